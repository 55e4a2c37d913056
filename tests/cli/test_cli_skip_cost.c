/* The built binary on an ECC chip holding "holes" (the firmware with bytes
 * 8..31 of every 64-byte block still 0xFF), flashed with the whole firmware:
 * --dry-run shows the decision the flash then takes (the same sectors
 * erased) and an estimate within 15% of its modelled time, which is no
 * longer than --full's; the board ends holding the firmware byte for byte.
 * (The engine-level figures are in tests/test_skip_cost.c.) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cli_helpers.h"

#define IMAGE_SIZE (48u * 1024u)
#define HOLES_FROM (16u * 1024u)

static void workdir_with_images(const char *name, char *dir, size_t size)
{
    cli_workdir(name, dir, size);
    uint8_t *b = malloc(IMAGE_SIZE);
    assert_non_null(b);
    cli_fill_pattern(b, IMAGE_SIZE, 0x5EC7u);
    for (size_t i = 0; i < IMAGE_SIZE; i++)
        b[i] &= 0x7F; /* no 0xFF byte: every hole is a change */
    cli_write(dir, "whole.bin", b, IMAGE_SIZE);
    for (uint32_t at = HOLES_FROM; at < IMAGE_SIZE; at += 64)
        memset(b + at + 8, 0xFF, 24);
    cli_write(dir, "holes.bin", b, IMAGE_SIZE);
    free(b);
}

static const char *event(const cli_result *r, const char *name)
{
    char pattern[64];
    snprintf(pattern, sizeof pattern, "{\"event\":\"%s\"", name);
    const char *at = strstr(r->out, pattern);
    if (!at)
        fail_msg("no %s event in:\n%s", name, r->out);
    return at;
}

static size_t count_in_line(const char *line, const char *what)
{
    const char *end = strchr(line, '\n');
    size_t n = 0;
    for (const char *p = strstr(line, what); p && (!end || p < end); p = strstr(p + 1, what))
        n++;
    return n;
}

static void holes_then_whole(const char *chip)
{
    char dir[512];
    workdir_with_images(chip, dir, sizeof dir);
    RUN_EXPECT(dir, 0, "--sim", chip, "--sim-state", "board.bin", "-q", "-s", "0x08000000", "-D",
               "holes.bin");
    RUN_EXPECT(dir, 0, "--sim", chip, "--sim-state", "full.bin", "-q", "-s", "0x08000000", "-D",
               "holes.bin");

    cli_result dry, run, full;
    RUN(dir, &dry, "--sim", chip, "--sim-state", "board.bin", "--dry-run", "--json", "-s",
        "0x08000000", "-D", "whole.bin");
    cli_assert_exit(&dry, 0);
    const char *plan = event(&dry, "plan");
    const size_t erase = count_in_line(plan, "\"action\":\"erase\"");
    const size_t unchanged = count_in_line(plan, "\"action\":\"unchanged\"");
    assert_non_null(strstr(plan, "\"estimate_upper_bound\":false"));
    const uint64_t estimate = cli_json_number(plan, "estimated_ms");

    RUN(dir, &run, "--sim", chip, "--sim-state", "board.bin", "--json", "-s", "0x08000000", "-D",
        "whole.bin");
    cli_assert_exit(&run, 0);
    const char *result = event(&run, "result");
    assert_int_equal(cli_json_number(result, "sectors_erased"), erase);
    assert_int_equal(cli_json_number(result, "sectors_skipped"), unchanged);
    assert_int_equal(cli_json_number(result, "sectors_blank"), 0);
    assert_true(erase > 0 && unchanged > 0);
    const uint64_t run_ms = cli_json_number(result, "elapsed_ms");

    RUN(dir, &full, "--sim", chip, "--sim-state", "full.bin", "--json", "--full", "-s",
        "0x08000000", "-D", "whole.bin");
    cli_assert_exit(&full, 0);
    const uint64_t full_ms = cli_json_number(event(&full, "result"), "elapsed_ms");
    if (run_ms > full_ms)
        fail_msg("%s: %llu ms, --full %llu ms", chip, (unsigned long long)run_ms,
                 (unsigned long long)full_ms);
    const double x = (double)estimate / (double)run_ms;
    if (x < 0.85 || x > 1.15)
        fail_msg("%s: --dry-run said %llu ms, the flash took %llu ms", chip,
                 (unsigned long long)estimate, (unsigned long long)run_ms);

    /* Both boards hold the whole firmware, byte for byte. */
    size_t n = 0, m = 0;
    uint8_t *want = cli_read(dir, "whole.bin", &n);
    uint8_t *a = cli_read(dir, "board.bin", &m);
    uint8_t *b = cli_read(dir, "full.bin", &m);
    assert_true(m >= n);
    assert_memory_equal(a, want, n);
    assert_memory_equal(b, want, n);
    free(want);
    free(a);
    free(b);
    cli_result_free(&dry);
    cli_result_free(&run);
    cli_result_free(&full);
}

/* The chip is the test's state. */
static void test_holes(void **state)
{
    holes_then_whole(*state);
}

/* The text says which estimate it is. */
static void test_dry_run_says_what_the_estimate_is(void **state)
{
    (void)state;
    char dir[512];
    workdir_with_images("estimate-text", dir, sizeof dir);
    RUN_EXPECT(dir, 0, "--sim", "l476", "--sim-state", "board.bin", "-q", "-s", "0x08000000", "-D",
               "holes.bin");
    cli_result r;
    RUN(dir, &r, "--sim", "l476", "--sim-state", "board.bin", "--dry-run", "-s", "0x08000000",
        "-D", "whole.bin");
    cli_assert_exit(&r, 0);
    assert_non_null(strstr(r.out, "erase 16 sectors (32 KiB); 8 more already hold the new contents"));
    assert_non_null(strstr(r.out, "(the flash as checked: reading "));
    cli_result_free(&r);
    RUN(dir, &r, "--sim", "l476", "--sim-state", "board.bin", "--dry-run", "--full", "-s",
        "0x08000000", "-D", "whole.bin");
    cli_assert_exit(&r, 0);
    assert_non_null(strstr(r.out, "erase 24 sectors (48 KiB):"));
    assert_null(strstr(r.out, "as checked"));
    assert_null(strstr(r.out, "at most"));
    cli_result_free(&r);
}

/* A board that will not be read (mboot built with packing answers UPLOAD
 * with errFILE in dfuUPLOAD-IDLE): the dry run leaves it with ABORT, and
 * says its estimate, a full flash's, is an upper bound. */
static void test_unreadable_board_estimate_is_an_upper_bound(void **state)
{
    (void)state;
    char dir[512];
    workdir_with_images("upper-bound", dir, sizeof dir);
    cli_result r;
    RUN(dir, &r, "--sim", "mboot+packing", "--dry-run", "-s", "0x08020000", "-D", "whole.bin");
    cli_assert_exit(&r, 0);
    assert_non_null(strstr(r.err, "refused to be read at 0x08020000 (errFILE)"));
    assert_non_null(strstr(r.out, "estimated time: at most "));
    assert_non_null(strstr(r.out, "the board could not be read"));
    cli_result_free(&r);
    RUN(dir, &r, "--sim", "mboot+packing", "--dry-run", "--json", "-s", "0x08020000", "-D",
        "whole.bin");
    cli_assert_exit(&r, 0);
    assert_non_null(strstr(event(&r, "plan"), "\"estimate_upper_bound\":true"));
    cli_result_free(&r);
}

/* --backup on an ECC chip after a flash cut off mid-write. The H743's
 * 128 KiB sectors take 64 blocks: the cut leaves sector 0 written, sector 1
 * written up to block 31 and blank after it, sector 2 blank. The flash's
 * check, which records the programmed words, writes sector 1 on without an
 * erase; the --backup run must take that same check (before, it decided
 * from a check without the record, erased sector 1 and backed it up while
 * its dry run said nothing would be erased). */
#define H7_SECTOR (128u * 1024u)
#define H7_IMAGE (3u * H7_SECTOR)

static void h7_image(const char *dir, const char *name, uint32_t seed, int change_sector0)
{
    uint8_t *b = malloc(H7_IMAGE);
    assert_non_null(b);
    cli_fill_pattern(b, H7_IMAGE, seed);
    for (size_t i = 0; i < H7_IMAGE; i++)
        b[i] &= 0x7F;
    if (change_sector0)
        b[100] ^= 0x01;
    cli_write(dir, name, b, H7_IMAGE);
    free(b);
}

/* "backup: the N sectors to erase" of a dry run. */
static size_t dry_run_backup_count(const cli_result *r)
{
    const char *at = strstr(r->out, "backup: the ");
    if (!at)
        fail_msg("no backup line in:\n%s", r->out);
    return (size_t)strtoul(at + strlen("backup: the "), NULL, 10);
}

static void backup_after_cut(const char *image, size_t want_erased)
{
    char dir[512];
    cli_workdir(image, dir, sizeof dir);
    h7_image(dir, "old.bin", 0x01D5u, 0);
    h7_image(dir, "new.bin", 0x2E11u, 0);
    h7_image(dir, "newer.bin", 0x2E11u, 1);
    RUN_EXPECT(dir, 0, "--sim", "h743", "--sim-state", "board.bin", "-q", "-s", "0x08000000",
               "-D", "old.bin");
    cli_result r;
    RUN_ENV(dir, "MPFLASH_SIM_FAULT=timeout:write:96", &r, "--sim", "h743", "--sim-state",
            "board.bin", "-q", "-s", "0x08000000", "-D", "new.bin");
    cli_assert_exit(&r, 4);
    cli_result_free(&r);
    size_t len = 0, n = 0;
    uint8_t *before = cli_read(dir, "board.bin", &len);
    /* The cut: sector 1 part written, part blank. */
    uint8_t *want = cli_read(dir, "new.bin", &n);
    assert_memory_equal(before + H7_SECTOR, want + H7_SECTOR, 2048);
    assert_int_equal(before[2 * H7_SECTOR - 1], 0xFF);

    cli_result dry, run;
    RUN(dir, &dry, "--sim", "h743", "--sim-state", "board.bin", "--dry-run", "--backup", "b.dfu",
        "-s", "0x08000000", "-D", image);
    cli_assert_exit(&dry, 0);
    const size_t said = dry_run_backup_count(&dry);
    RUN(dir, &run, "--sim", "h743", "--sim-state", "board.bin", "--backup", "b.dfu", "--json",
        "--no-progress", "-s", "0x08000000", "-D", image);
    cli_assert_exit(&run, 0);
    const uint64_t erased = cli_json_number(event(&run, "result"), "sectors_erased");
    /* Nothing programmed twice: the virtual ECC chip fails a second program
     * with errPROG, and the board holds the image. */
    free(want);
    want = cli_read(dir, image, &n);
    size_t m = 0;
    uint8_t *after = cli_read(dir, "board.bin", &m);
    assert_memory_equal(after, want, n);
    free(after);

    /* The run erased what its dry run said it would back up, and b.dfu
     * holds exactly those sectors (one element: the file's prefix, target
     * prefix, element header and suffix around them). */
    assert_int_equal(erased, want_erased);
    assert_int_equal(said, want_erased);
    assert_int_equal(cli_exists(dir, "b.dfu"), want_erased > 0);
    cli_result_free(&dry);
    cli_result_free(&run);
    const size_t bytes = want_erased * H7_SECTOR;

    if (want_erased) {
        size_t file = 0;
        free(cli_read(dir, "b.dfu", &file));
        assert_int_equal(file, 11 + 274 + 8 + bytes + 16);
        RUN_EXPECT(dir, 0, "--sim", "h743", "--sim-state", "board.bin", "-q", "-u", "b.dfu");
        uint8_t *restored = cli_read(dir, "board.bin", &m);
        assert_memory_equal(restored, before, bytes);
        /* The sectors written without an erase are not in the backup:
         * every byte they held before is still there. */
        for (size_t i = bytes; i < H7_IMAGE; i++)
            if (before[i] != 0xFF && restored[i] != before[i])
                fail_msg("byte 0x%zx: 0x%02x before the run, 0x%02x restored", i, before[i],
                         restored[i]);
        free(restored);
    }
    free(want);
    free(before);
}

/* The same image again: the check writes the cut sector on without an
 * erase, so nothing is erased and no backup is written; the dry run says
 * the same. */
static void test_backup_after_cut_same_image(void **state)
{
    (void)state;
    backup_after_cut("new.bin", 0);
}

/* An image that also changed in sector 0: that sector is erased, backed up
 * (and only it), and b.dfu gives it back byte for byte. */
static void test_backup_after_cut_changed_image(void **state)
{
    (void)state;
    backup_after_cut("newer.bin", 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        {"holes then whole on l476", test_holes, NULL, NULL, (void *)"l476"},
        {"holes then whole on wb55", test_holes, NULL, NULL, (void *)"wb55"},
        {"holes then whole on g474", test_holes, NULL, NULL, (void *)"g474"},
        cmocka_unit_test(test_dry_run_says_what_the_estimate_is),
        cmocka_unit_test(test_unreadable_board_estimate_is_an_upper_bound),
        cmocka_unit_test(test_backup_after_cut_same_image),
        cmocka_unit_test(test_backup_after_cut_changed_image),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
