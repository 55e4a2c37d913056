/* MicroPython keeps the user's files in flash sectors 1-4 (0x08004000 to
 * 0x0801FFFF on F401 and F405), between the vector table (sector 0) and the
 * firmware text (from 0x08020000). Flashing a new firmware.dfu must keep
 * those bytes exactly: on both chips, with every engine option, through the
 * file loader, twice in a row, and after a failed flash. Only a mass erase
 * wipes them (a gap-filled raw .bin covers them, so its plan says so before
 * any request). All of it with skip-unchanged too (mpf_dfu_flash_ex), which
 * must also leave an unchanged chip completely alone. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "engine/dfu_session.h"
#include "engine_board.h"
#include "fixtures.h"
#include "hostile_board.h"
#include "hostile_checks.h"

#define SEED_FS 0xF11E5u
#define SEED_OLD 0x01D0u

typedef struct chip {
    const char *name;
    uint32_t flash_end;
} chip;

static const chip chips[] = {{"f401", 0x08080000u}, {"f405", 0x08100000u}};

static void new_board(board *b, const chip *c)
{
    board_new(b, c->name);
    board_fill(b, 0x08000000u, c->flash_end - 0x08000000u, SEED_OLD);
    board_fill(b, BOARD_FS_ADDR, BOARD_FS_SIZE, SEED_FS);
}

static void micropython(mpf_image *img, uint32_t seed)
{
    mpf_image_init(img);
    assert_int_equal(fixture_micropython_image(img, 96u * 1024u, seed), 0);
}

static int plan_touches_fs(const mpf_plan *p)
{
    for (size_t i = 0; i < p->erase_count; i++)
        if (p->erases[i].alt == 0 && p->erases[i].address < BOARD_FS_ADDR + BOARD_FS_SIZE &&
            p->erases[i].address + p->erases[i].size > BOARD_FS_ADDR)
            return 1;
    return p->mass_erase;
}

/* Every combination of the options that shape a flash: only mass_erase
 * may cost the filesystem. */
static void test_only_a_mass_erase_wipes_the_filesystem(void **state)
{
    (void)state;
    size_t runs = 0;
    for (size_t c = 0; c < sizeof chips / sizeof chips[0]; c++) {
        for (unsigned combo = 0; combo < 32; combo++) {
            mpf_dfu_flash_options fo;
            mpf_dfu_flash_options_default(&fo);
            fo.skip_unchanged = (combo >> 4) & 1;
            mpf_plan_options opt;
            mpf_plan_options_default(&opt);
            opt.verify = combo & 1;
            opt.leave = (combo >> 1) & 1;
            opt.transfer_size = (combo >> 2) & 1 ? 1024 : 0; /* a pointer per block */
            opt.mass_erase = (combo >> 3) & 1;
            board b;
            new_board(&b, &chips[c]);
            mpf_image img;
            micropython(&img, 100 + combo);
            if (hostile_board_flash(&b, &img, &opt, &fo) != MPF_OK)
                fail_msg("%s combo %u: %s", chips[c].name, combo, b.err.message);
            assert_true(board_has_image(&b, &img));
            assert_int_equal(plan_touches_fs(&b.plan), opt.mass_erase);
            if (opt.mass_erase) {
                assert_true(board_reads_blank(&b, BOARD_FS_ADDR, BOARD_FS_SIZE));
            } else if (!board_holds_fill(&b, BOARD_FS_ADDR, BOARD_FS_SIZE, SEED_FS)) {
                fail_msg("%s combo %u: the filesystem changed", chips[c].name, combo);
            } else {
                /* the device never even erased next to it */
                for (size_t i = 0; i < mpf_sim_erase_count(b.sim); i++) {
                    uint32_t at = mpf_sim_erase_at(b.sim, i);
                    assert_true(at < BOARD_FS_ADDR || at >= BOARD_FS_ADDR + BOARD_FS_SIZE);
                }
            }
            mpf_image_free(&img);
            board_free(&b);
            runs++;
        }
    }
    assert_int_equal(runs, 64);
}

/* Skip-unchanged on a chip that already holds the firmware: nothing is
 * erased or written, the files stay; with a new firmware text only the
 * text's sectors are redone. */
static void test_skip_unchanged_keeps_the_filesystem_and_touches_nothing_twice(void **state)
{
    (void)state;
    for (size_t c = 0; c < sizeof chips / sizeof chips[0]; c++) {
        board b;
        new_board(&b, &chips[c]);
        mpf_dfu_flash_options fo;
        mpf_dfu_flash_options_default(&fo);
        assert_true(fo.skip_unchanged);
        mpf_image img;
        micropython(&img, 41);
        for (int round = 0; round < 2; round++) {
            mpf_sim_replug(b.sim);
            mpf_sim_clear_log(b.sim);
            if (hostile_board_flash(&b, &img, NULL, &fo) != MPF_OK)
                fail_msg("%s round %d: %s", chips[c].name, round, b.err.message);
            assert_true(board_has_image(&b, &img));
            assert_true(board_holds_fill(&b, BOARD_FS_ADDR, BOARD_FS_SIZE, SEED_FS));
            assert_int_equal(hostile_log_count(b.sim, MPF_SIM_OP_ERASE), round ? 0 : 2);
            assert_int_equal(hostile_log_count(b.sim, MPF_SIM_OP_WRITE), round ? 0 : 1 + 48);
            assert_int_equal(b.d.stats.sectors_unchanged, round ? 2 : 0);
            assert_true(mpf_sim_has_left(b.sim, NULL));
        }
        /* New text, same vector table: sector 0 stays, sector 5 is redone. */
        mpf_image next;
        mpf_image_init(&next);
        assert_int_equal(mpf_image_add(&next, 0, img.segments[0].address, img.segments[0].data,
                                       img.segments[0].size, "vectors", NULL), MPF_OK);
        uint8_t text[4096];
        fixture_fill_random(text, sizeof text, 42);
        assert_int_equal(mpf_image_add(&next, 0, FIXTURE_MP_TEXT_ADDR, text, sizeof text, "text",
                                       NULL), MPF_OK);
        assert_int_equal(mpf_image_normalize(&next, NULL), MPF_OK);
        mpf_sim_replug(b.sim);
        mpf_sim_clear_log(b.sim);
        assert_int_equal(hostile_board_flash(&b, &next, NULL, &fo), MPF_OK);
        assert_true(board_has_image(&b, &next));
        assert_true(board_holds_fill(&b, BOARD_FS_ADDR, BOARD_FS_SIZE, SEED_FS));
        assert_int_equal(mpf_sim_erase_count(b.sim), 1);
        assert_int_equal(mpf_sim_erase_at(b.sim, 0), FIXTURE_MP_TEXT_ADDR);
        mpf_image_free(&next);
        mpf_image_free(&img);
        board_free(&b);
    }
}

/* The real path: firmware.dfu bytes through the loader, flashed twice (an
 * update over an update), with a different firmware the second time. */
static void test_dfu_file_flashed_twice_keeps_the_filesystem(void **state)
{
    (void)state;
    for (size_t c = 0; c < sizeof chips / sizeof chips[0]; c++) {
        board b;
        new_board(&b, &chips[c]);
        for (uint32_t round = 0; round < 2; round++) {
            mpf_image built;
            micropython(&built, 7 + round);
            uint8_t *file = NULL;
            size_t len = 0;
            assert_int_equal(mpf_write_dfuse(&built, NULL, &file, &len, &b.err), MPF_OK);
            mpf_image img;
            mpf_image_init(&img);
            mpf_format f;
            assert_int_equal(mpf_load_buffer(&img, file, len, "firmware.dfu", NULL, &f, &b.err),
                             MPF_OK);
            assert_int_equal(f, MPF_FORMAT_DFUSE);
            assert_int_equal(mpf_image_normalize(&img, &b.err), MPF_OK);
            assert_int_equal(img.count, 2);
            mpf_sim_replug(b.sim); /* it left after the first round */
            if (board_flash(&b, &img, NULL) != MPF_OK)
                fail_msg("%s round %u: %s", chips[c].name, (unsigned)round, b.err.message);
            assert_true(board_has_image(&b, &img));
            assert_true(board_holds_fill(&b, BOARD_FS_ADDR, BOARD_FS_SIZE, SEED_FS));
            free(file);
            mpf_image_free(&img);
            mpf_image_free(&built);
        }
        board_free(&b);
    }
}

/* Images that come as close as they can: the last byte of sector 0 and the
 * first byte of sector 5. */
static void test_image_next_to_the_filesystem_leaves_it_alone(void **state)
{
    (void)state;
    for (size_t c = 0; c < sizeof chips / sizeof chips[0]; c++) {
        board b;
        new_board(&b, &chips[c]);
        mpf_image img;
        mpf_image_init(&img);
        const uint8_t a = 0x5A, z = 0xA5;
        assert_int_equal(mpf_image_add(&img, 0, BOARD_FS_ADDR - 1, &a, 1, "edge", NULL), MPF_OK);
        assert_int_equal(mpf_image_add(&img, 0, BOARD_FS_ADDR + BOARD_FS_SIZE, &z, 1, "edge", NULL),
                         MPF_OK);
        assert_int_equal(mpf_image_normalize(&img, NULL), MPF_OK);
        assert_int_equal(board_flash(&b, &img, NULL), MPF_OK);
        assert_true(board_has_image(&b, &img));
        assert_true(board_holds_fill(&b, BOARD_FS_ADDR, BOARD_FS_SIZE, SEED_FS));
        assert_int_equal(mpf_sim_erase_count(b.sim), 2);
        assert_int_equal(mpf_sim_erase_at(b.sim, 0), 0x08000000u);
        assert_int_equal(mpf_sim_erase_at(b.sim, 1), 0x08020000u);
        mpf_image_free(&img);
        board_free(&b);
    }
}

/* A raw .bin from 0x08000000 with the gap filled covers the filesystem: the
 * plan erases sectors 1-4 and says so before any request is sent. */
static void test_gap_filled_bin_names_the_filesystem_sectors_in_its_plan(void **state)
{
    (void)state;
    const size_t len = 0x08020000u + 2048 - 0x08000000u;
    uint8_t *bin = malloc(len);
    assert_non_null(bin);
    memset(bin, 0xFF, len);
    fixture_fill_random(bin, 1088, 3);
    fixture_fill_random(bin + (len - 2048), 2048, 4);
    mpf_image img;
    mpf_image_init(&img);
    mpf_load_options lo = {.has_address = 1, .address = 0x08000000u};
    board b;
    new_board(&b, &chips[0]);
    assert_int_equal(mpf_load_buffer(&img, bin, len, "firmware.bin", &lo, NULL, &b.err), MPF_OK);
    mpf_transport t;
    mpf_sim_transport(b.sim, &t);
    mpf_plan plan;
    assert_int_equal(mpf_plan_build(&img, &t.info, NULL, &plan, &b.err), MPF_OK);
    assert_true(plan_touches_fs(&plan));
    static const uint32_t fs_sectors[] = {0x08004000u, 0x08008000u, 0x0800C000u, 0x08010000u};
    for (size_t i = 0; i < 4; i++)
        assert_int_equal(plan.erases[1 + i].address, fs_sectors[i]);
    assert_int_equal(mpf_sim_request_count(b.sim), 0);
    mpf_plan_free(&plan);
    mpf_image_free(&img);
    board_free(&b);
    free(bin);
}

/* After a flash that failed mid-write, the filesystem can still be read
 * back whole (the rescue path) and a second flash keeps it. */
static void test_failed_flash_then_read_back_returns_the_files(void **state)
{
    (void)state;
    for (size_t c = 0; c < sizeof chips / sizeof chips[0]; c++) {
        board b;
        new_board(&b, &chips[c]);
        mpf_image img;
        micropython(&img, 21);
        mpf_sim_fault f = {.kind = MPF_SIM_FAULT_DISCONNECT, .op = MPF_SIM_OP_WRITE, .nth = 9};
        assert_int_equal(mpf_sim_add_fault(b.sim, &f, &b.err), MPF_OK);
        assert_int_equal(board_flash(&b, &img, NULL), MPF_ERR_USB_DISCONNECTED);
        mpf_sim_replug(b.sim);

        mpf_sim_clear_log(b.sim);
        mpf_transport t;
        mpf_sim_transport(b.sim, &t);
        mpf_dfu d;
        assert_int_equal(mpf_dfu_open(&d, &t, NULL, &b.err), MPF_OK);
        uint8_t *files = malloc(BOARD_FS_SIZE), *want = malloc(BOARD_FS_SIZE);
        assert_non_null(files);
        assert_non_null(want);
        assert_int_equal(mpf_dfu_read(&d, 0, BOARD_FS_ADDR, files, BOARD_FS_SIZE, &b.err), MPF_OK);
        fixture_fill_random(want, BOARD_FS_SIZE, SEED_FS);
        assert_memory_equal(files, want, BOARD_FS_SIZE);
        assert_int_equal(mpf_sim_erase_count(b.sim), 0);
        assert_int_equal(hostile_log_count(b.sim, MPF_SIM_OP_WRITE), 0);
        free(files);
        free(want);

        assert_int_equal(board_flash(&b, &img, NULL), MPF_OK);
        assert_true(board_has_image(&b, &img));
        assert_true(board_holds_fill(&b, BOARD_FS_ADDR, BOARD_FS_SIZE, SEED_FS));
        mpf_image_free(&img);
        board_free(&b);
    }
}

/* A session that only reads must change nothing, even when the session
 * before it died with a command stored in the device but not yet run: its
 * GETSTATUS (the request that runs a stored DfuSe command) was lost. Here
 * the dead session was a gap-filled .bin about to erase the first
 * filesystem sector, and the user, warned, reads the files out. */
static void read_after_a_lost_erase_status(const chip *c)
{
    board b;
    new_board(&b, c);
    const size_t len = 0x08004000u + 16 - 0x08000000u;
    uint8_t *bin = malloc(len);
    assert_non_null(bin);
    fixture_fill_random(bin, len, 5);
    mpf_image img;
    mpf_image_init(&img);
    mpf_load_options lo = {.has_address = 1, .address = 0x08000000u};
    assert_int_equal(mpf_load_buffer(&img, bin, len, "firmware.bin", &lo, NULL, &b.err), MPF_OK);
    /* GETSTATUS: 1 start-up; 2-3 erase of sector 0; 4 would run the erase
     * of 0x08004000, the first filesystem sector. */
    mpf_sim_fault f = {.kind = MPF_SIM_FAULT_TIMEOUT, .op = MPF_SIM_OP_GETSTATUS, .nth = 4};
    assert_int_equal(mpf_sim_add_fault(b.sim, &f, &b.err), MPF_OK);
    assert_int_equal(board_flash(&b, &img, NULL), MPF_ERR_USB_TIMEOUT);
    assert_non_null(strstr(b.err.message, "erase of sector at 0x08004000"));
    assert_int_equal(mpf_sim_erase_count(b.sim), 1);
    assert_true(board_holds_fill(&b, BOARD_FS_ADDR, BOARD_FS_SIZE, SEED_FS));
    /* The erase is still stored in the device, waiting for a GETSTATUS. */
    assert_int_equal(mpf_sim_state(b.sim), MPF_DFU_STATE_DNLOAD_SYNC);

    mpf_sim_clear_log(b.sim);
    mpf_transport t;
    mpf_sim_transport(b.sim, &t);
    mpf_dfu d;
    uint8_t *files = malloc(BOARD_FS_SIZE);
    assert_non_null(files);
    mpf_err rc = mpf_dfu_open(&d, &t, NULL, &b.err);
    if (rc == MPF_OK)
        rc = mpf_dfu_read(&d, 0, BOARD_FS_ADDR, files, BOARD_FS_SIZE, &b.err);
    if (rc != MPF_OK)
        fail_msg("%s: read after the dead session: %s", c->name, b.err.message);
    assert_int_equal(mpf_sim_erase_count(b.sim), 0); /* since the log was cleared */
    assert_true(board_holds_fill(&b, BOARD_FS_ADDR, BOARD_FS_SIZE, SEED_FS));
    /* ...and what was read is the files, not an erased sector. */
    uint8_t *want = malloc(BOARD_FS_SIZE);
    assert_non_null(want);
    fixture_fill_random(want, BOARD_FS_SIZE, SEED_FS);
    assert_memory_equal(files, want, BOARD_FS_SIZE);
    free(want);
    assert_int_equal(mpf_sim_request_at(b.sim, 0)->op, MPF_SIM_OP_ABORT);
    free(files);
    mpf_image_free(&img);
    free(bin);
    board_free(&b);
}

static void test_read_after_a_lost_erase_status_erases_nothing(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof chips / sizeof chips[0]; i++)
        read_after_a_lost_erase_status(&chips[i]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_only_a_mass_erase_wipes_the_filesystem),
        cmocka_unit_test(test_skip_unchanged_keeps_the_filesystem_and_touches_nothing_twice),
        cmocka_unit_test(test_dfu_file_flashed_twice_keeps_the_filesystem),
        cmocka_unit_test(test_image_next_to_the_filesystem_leaves_it_alone),
        cmocka_unit_test(test_gap_filled_bin_names_the_filesystem_sectors_in_its_plan),
        cmocka_unit_test(test_failed_flash_then_read_back_returns_the_files),
        cmocka_unit_test(test_read_after_a_lost_erase_status_erases_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
