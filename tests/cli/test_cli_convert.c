/* --convert on the built binary. The .dfu it writes is compared with one
 * built independently of the library's writer, by the tests' DfuSe builder
 * (tests/support/dfuse_builder.c), from the file format's facts (UM0391,
 * and MicroPython's tools/dfu.py conventions: one target "ST..." on alt 0,
 * elements zero-padded to 8 bytes, DFUImageSize without the suffix,
 * bcdDevice 0, the raw CRC register in the suffix). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cli_run.h"
#include "fixtures.h"

#define RUN(dir, r, ...)                                                                                   \
    do {                                                                                                   \
        const char *const args_[] = {__VA_ARGS__, NULL};                                                   \
        cli_run(dir, args_, NULL, r);                                                                      \
    } while (0)

/* ---- the expected file, from the tests' own DfuSe builder ----------------- */

typedef struct element {
    uint32_t address;
    const uint8_t *data;
    size_t size;
} element;

static uint8_t *expected_dfuse(const element *e, size_t n, uint16_t vid, uint16_t pid, size_t *len)
{
    fixture_dfuse d;
    fixture_dfuse_init(&d);
    d.vid = vid;
    d.pid = pid;
    fixture_dfuse_target *t = fixture_dfuse_add_target(&d, 0, "ST...");
    assert_non_null(t);
    uint8_t *padded[FIXTURE_DFUSE_MAX_ELEMENTS] = {0};
    assert_true(n <= FIXTURE_DFUSE_MAX_ELEMENTS);
    for (size_t i = 0; i < n; i++) {
        size_t size = (e[i].size + 7) & ~(size_t)7; /* zero-padded to 8 bytes */
        padded[i] = calloc(1, size);
        assert_non_null(padded[i]);
        memcpy(padded[i], e[i].data, e[i].size);
        assert_non_null(fixture_dfuse_add_element(t, e[i].address, padded[i], size));
    }
    uint8_t *f = fixture_dfuse_build(&d, len);
    assert_non_null(f);
    for (size_t i = 0; i < n; i++)
        free(padded[i]);
    return f;
}

static void assert_file_equals(const char *dir, const char *name, const uint8_t *want, size_t want_len)
{
    size_t len;
    uint8_t *got = cli_read(dir, name, &len);
    assert_int_equal(len, want_len);
    assert_memory_equal(got, want, want_len);
    free(got);
}

/* ---- tests -------------------------------------------------------------- */

static void test_bins_to_dfu_match_independent_writer(void **state)
{
    (void)state;
    char dir[512];
    cli_workdir("convert-bins", dir, sizeof dir);
    cli_copy_sample(dir, "firmware0.bin", "firmware0.bin");
    cli_copy_sample(dir, "firmware1.bin", "firmware1.bin");
    size_t len0, len1, want_len;
    uint8_t *b0 = cli_read(dir, "firmware0.bin", &len0);
    uint8_t *b1 = cli_read(dir, "firmware1.bin", &len1);
    element e[2] = {{0x08000000u, b0, len0}, {0x08020000u, b1, len1}};
    uint8_t *want = expected_dfuse(e, 2, 0x0483, 0xDF11, &want_len);

    cli_result r;
    RUN(dir, &r, "--convert", "out.dfu", "0x08000000:firmware0.bin", "0x08020000:firmware1.bin");
    assert_int_equal(r.exit_code, 0);
    assert_int_equal(r.err_len, 0);
    cli_golden("convert-bins.out", r.out, r.out_len);
    cli_result_free(&r);
    assert_file_equals(dir, "out.dfu", want, want_len);
    /* Given in the other order, the file is the same: segments are sorted. */
    RUN(dir, &r, "-q", "--convert", "swapped.dfu", "0x08020000:firmware1.bin", "0x08000000:firmware0.bin");
    assert_int_equal(r.exit_code, 0);
    assert_int_equal(r.out_len, 0);
    cli_result_free(&r);
    assert_file_equals(dir, "swapped.dfu", want, want_len);
    /* And the sample, built by the library's writer, is that file too. */
    size_t sample_len;
    uint8_t *sample = cli_read(MPFLASH_SAMPLE_DIR, "firmware.dfu", &sample_len);
    assert_int_equal(sample_len, want_len);
    assert_memory_equal(sample, want, want_len);
    free(sample);
    free(want);

    /* --vid/--pid go into the suffix (and the CRC follows). */
    want = expected_dfuse(e, 2, 0x1209, 0xBEEF, &want_len);
    RUN(dir, &r, "--convert", "ids.dfu", "--vid", "0x1209", "--pid", "0xBEEF", "0x08000000:firmware0.bin",
        "0x08020000:firmware1.bin");
    assert_int_equal(r.exit_code, 0);
    cli_result_free(&r);
    assert_file_equals(dir, "ids.dfu", want, want_len);
    free(want);
    free(b0);
    free(b1);
}

/* An element whose size is not a multiple of 8 is padded with zeros. */
static void test_padding(void **state)
{
    (void)state;
    char dir[512];
    cli_workdir("convert-pad", dir, sizeof dir);
    const uint8_t odd[13] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13};
    cli_write(dir, "odd.bin", odd, sizeof odd);
    element e = {0x08004000u, odd, sizeof odd};
    size_t want_len;
    uint8_t *want = expected_dfuse(&e, 1, 0x0483, 0xDF11, &want_len);
    cli_result r;
    RUN(dir, &r, "--convert", "odd.dfu", "-s", "0x08004000", "odd.bin");
    assert_int_equal(r.exit_code, 0);
    cli_result_free(&r);
    assert_file_equals(dir, "odd.dfu", want, want_len);
    free(want);
}

static void test_round_trips(void **state)
{
    (void)state;
    char dir[512];
    cli_workdir("convert-round", dir, sizeof dir);
    cli_copy_sample(dir, "firmware.dfu", "firmware.dfu");
    size_t dfu_len;
    uint8_t *dfu = cli_read(dir, "firmware.dfu", &dfu_len);
    cli_result r;
    /* .dfu -> .dfu is the identity. */
    RUN(dir, &r, "--convert", "same.dfu", "firmware.dfu");
    assert_int_equal(r.exit_code, 0);
    cli_result_free(&r);
    assert_file_equals(dir, "same.dfu", dfu, dfu_len);
    /* .dfu -> .hex -> .dfu comes back byte for byte. */
    RUN(dir, &r, "--convert", "fw.hex", "firmware.dfu");
    assert_int_equal(r.exit_code, 0);
    cli_result_free(&r);
    RUN(dir, &r, "--info", "fw.hex");
    assert_int_equal(r.exit_code, 0);
    cli_golden("info-hex.out", r.out, r.out_len);
    cli_result_free(&r);
    RUN(dir, &r, "--convert", "back.dfu", "fw.hex");
    assert_int_equal(r.exit_code, 0);
    cli_result_free(&r);
    assert_file_equals(dir, "back.dfu", dfu, dfu_len);
    free(dfu);
    /* .dfu -> one .bin per segment, named by index and address. */
    RUN(dir, &r, "--convert", "split.bin", "firmware.dfu");
    assert_int_equal(r.exit_code, 0);
    cli_golden("convert-split.out", r.out, r.out_len);
    cli_result_free(&r);
    size_t len0, len1;
    uint8_t *b0 = cli_read(MPFLASH_SAMPLE_DIR, "firmware0.bin", &len0);
    uint8_t *b1 = cli_read(MPFLASH_SAMPLE_DIR, "firmware1.bin", &len1);
    assert_file_equals(dir, "split.0.0x08000000.bin", b0, len0);
    assert_file_equals(dir, "split.1.0x08020000.bin", b1, len1);
    assert_false(cli_exists(dir, "split.bin"));
    /* --gap-fill: one image from the first byte to the last. */
    RUN(dir, &r, "--convert", "whole.bin", "--gap-fill", "0xA5", "firmware.dfu");
    assert_int_equal(r.exit_code, 0);
    cli_result_free(&r);
    size_t whole_len;
    uint8_t *whole = cli_read(dir, "whole.bin", &whole_len);
    assert_int_equal(whole_len, 0x20000 + len1);
    assert_memory_equal(whole, b0, len0);
    for (size_t i = len0; i < 0x20000; i++)
        if (whole[i] != 0xA5)
            fail_msg("gap byte at offset %zu is 0x%02X", i, whole[i]);
    assert_memory_equal(whole + 0x20000, b1, len1);
    free(whole);
    free(b0);
    free(b1);
}

/* --info --json on file succeeds and says needle. */
static void info_json_says(const char *dir, const char *file, const char *needle)
{
    cli_result r;
    RUN(dir, &r, "--info", "--json", file);
    assert_int_equal(r.exit_code, 0);
    if (!strstr(r.out, needle))
        fail_msg("--info --json %s: \"%s\" lacks %s", file, r.out, needle);
    cli_result_free(&r);
}

/* A HEX file's start address (record 05) is shown by --info, and is lost
 * on the way to a .dfu, which has no place for it. */
static void test_info_shows_the_entry_point(void **state)
{
    (void)state;
    char dir[512];
    cli_workdir("info-entry", dir, sizeof dir);
    static const char hex[] = ":020000040800F2\r\n"
                              ":0400000001020304F2\r\n"
                              ":040000050800019559\r\n"
                              ":00000001FF\r\n";
    cli_write(dir, "start.hex", hex, sizeof hex - 1);
    cli_result r;
    RUN(dir, &r, "--info", "start.hex");
    assert_int_equal(r.exit_code, 0);
    cli_golden("info-entry.out", r.out, r.out_len);
    cli_result_free(&r);
    info_json_says(dir, "start.hex", "\"entry\":134218133,"); /* 0x08000195 */
    RUN(dir, &r, "-q", "--convert", "start.dfu", "start.hex");
    assert_int_equal(r.exit_code, 0);
    cli_result_free(&r);
    info_json_says(dir, "start.dfu", "\"entry\":null,");
}

static void test_refusals(void **state)
{
    (void)state;
    char dir[512];
    cli_workdir("convert-refuse", dir, sizeof dir);
    cli_copy_sample(dir, "firmware.dfu", "firmware.dfu");
    cli_result r;
    RUN(dir, &r, "--convert", "out.srec", "firmware.dfu");
    assert_int_equal(r.exit_code, 1);
    assert_string_equal(r.err, "mpflash: error: --convert out.srec: the output format comes from the name; end it "
                               "in .dfu, .hex or .bin\nmpflash: hint: see mpflash --help\n");
    assert_false(cli_exists(dir, "out.srec"));
    cli_result_free(&r);
    RUN(dir, &r, "--convert", "firmware.dfu", "firmware.dfu");
    assert_int_equal(r.exit_code, 1);
    cli_assert_error_line(&r, "--convert firmware.dfu would overwrite its own input");
    cli_result_free(&r);
    RUN(dir, &r, "--convert", "out.hex", "--vid", "0x1209", "firmware.dfu");
    assert_int_equal(r.exit_code, 1);
    cli_result_free(&r);
    RUN(dir, &r, "--convert", "out.dfu", "missing.hex");
    assert_int_equal(r.exit_code, 2);
    assert_false(cli_exists(dir, "out.dfu"));
    cli_result_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bins_to_dfu_match_independent_writer),
        cmocka_unit_test(test_padding),
        cmocka_unit_test(test_round_trips),
        cmocka_unit_test(test_info_shows_the_entry_point),
        cmocka_unit_test(test_refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
