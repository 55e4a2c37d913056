/* The engine against the virtual STM32F4 bootloaders, through the real plan:
 * the device's memory afterwards byte for byte, the filesystem sectors
 * untouched, the erases and the requests as they reached the device. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "engine_board.h"
#include "fixtures.h"

#define SEED_FS 0x5F5Fu
#define SEED_OLD 0x0BADu
#define MP_BLOCKS ((FIXTURE_MP_VECTOR_SIZE + 2047) / 2048 + (FIXTURE_MP_TEXT_DEFAULT_SIZE + 2047) / 2048)

static void load_micropython(mpf_image *img, uint32_t vector_addr)
{
    mpf_image_init(img);
    assert_int_equal(fixture_micropython_image(img, 0, 7), 0);
    img->segments[0].address = vector_addr; /* under mboot the app starts after it */
}

/* The request log of a whole MicroPython flash: every count exact. */
static void assert_micropython_requests(board *b, size_t erases, size_t start_requests)
{
    board_log log;
    board_log_summary(b->sim, 0, &log);
    assert_int_equal(log.by_op[MPF_SIM_OP_WRITE], MP_BLOCKS);
    assert_int_equal(log.runs, 2);                                   /* one pointer per run */
    assert_int_equal(log.by_op[MPF_SIM_OP_SET_ADDRESS], 2 + 2 + 1); /* write, verify, leave */
    assert_int_equal(log.bad_block_shape, 0);                        /* DNLOAD + 2 GETSTATUS */
    assert_int_equal(log.bad_block_number, 0);                       /* wBlockNum 2, 3, ... */
    assert_int_equal(log.by_op[MPF_SIM_OP_ERASE], erases);
    assert_int_equal(log.by_op[MPF_SIM_OP_MASS_ERASE], 0);
    assert_int_equal(log.by_op[MPF_SIM_OP_UPLOAD], MP_BLOCKS);
    assert_int_equal(log.by_op[MPF_SIM_OP_ABORT], 1 + 2 * 2); /* start-up, verify */
    assert_int_equal(log.by_op[MPF_SIM_OP_LEAVE], 1);
    assert_int_equal(log.by_op[MPF_SIM_OP_SELECT_ALT], 1);
    /* start-up, then 3 per erase, pointer and block, then the verify's
     * ABORTs and UPLOADs, then the leave's DNLOAD and GETSTATUS */
    const size_t total = start_requests + 3 * erases + 3 * 5 + 3 * MP_BLOCKS + 2 * 2 + MP_BLOCKS + 2;
    assert_int_equal(log.dfu_requests, total);
    assert_int_equal(mpf_dfu_stats_total(&b->d.stats), total);
    assert_int_equal(b->d.stats.blocks_down, MP_BLOCKS);
    assert_int_equal(b->d.stats.blocks_up, MP_BLOCKS);
    assert_int_equal(b->d.stats.bytes_down, FIXTURE_MP_VECTOR_SIZE + FIXTURE_MP_TEXT_DEFAULT_SIZE);
    assert_int_equal(b->d.stats.erase_sectors, erases);
    assert_int_equal(b->d.stats.set_address, 5);
    printf("# %zu DFU requests (%u blocks, 5 set-address, %zu erases), slept %llu ms, "
           "modelled %.3f s (device busy %.3f s)\n",
           log.dfu_requests, (unsigned)MP_BLOCKS, erases, (unsigned long long)b->d.stats.slept_ms,
           (double)mpf_sim_clock_us(b->sim) / 1e6, (double)mpf_sim_device_busy_us(b->sim) / 1e6);
}

/* ST ROM: old firmware where the image goes, a filesystem in sectors 1..4. */
static void flash_on_rom(board_case *c, uint32_t flash_end)
{
    board *b = &c->b;
    load_micropython(&c->img, FIXTURE_MP_VECTOR_ADDR);
    board_fill(b, 0x08000000, 0x4000, SEED_OLD);
    board_fill(b, BOARD_FS_ADDR, BOARD_FS_SIZE, SEED_FS);
    board_fill(b, 0x08020000, flash_end - 0x08020000, SEED_OLD + 1);

    assert_int_equal(board_flash(b, &c->img, NULL), MPF_OK);
    assert_true(board_has_image(b, &c->img));
    assert_true(board_holds_fill(b, BOARD_FS_ADDR, BOARD_FS_SIZE, SEED_FS));
    /* past the image, the sector tail was erased (it is the image's sector) */
    uint8_t tail[16];
    assert_int_equal(mpf_sim_peek(b->sim, 0x0806A800, tail, sizeof tail), 0);
    for (size_t i = 0; i < sizeof tail; i++)
        assert_int_equal(tail[i], 0xFF);

    const uint32_t erased[] = {0x08000000, 0x08020000, 0x08040000, 0x08060000};
    board_assert_erased(b, erased, 4);
    uint32_t jumped = 0;
    assert_true(mpf_sim_has_left(b->sim, &jumped));
    assert_int_equal(jumped, 0x08000000);
    assert_true(b->d.left);
    assert_micropython_requests(b, 4, 2);

    /* Waited as told: nothing arrived before its bwPollTimeout, and the
     * waits are exactly the poll timeouts the device reported. */
    assert_int_equal(mpf_sim_early_count(b->sim), 0);
    assert_true(b->spy.busy_poll_ms > 0);
    assert_int_equal(b->d.stats.slept_ms, b->spy.busy_poll_ms);
    assert_int_equal(b->spy.pass.slept_ms, b->spy.busy_poll_ms);
    assert_int_equal(capture_count(&b->cap, MPF_LOG_WARN, ""), 0);
    assert_int_equal(capture_count(&b->cap, MPF_LOG_ERROR, ""), 0);
}

static void test_micropython_image_on_f401(void **state)
{
    flash_on_rom(*state, 0x08080000);
}

static void test_micropython_image_on_f405(void **state)
{
    flash_on_rom(*state, 0x08100000);
    /* and F405's sectors 8..11 stay as they were, on a second board */
    board_case more;
    board_case_open(&more, "f405");
    load_micropython(&more.img, FIXTURE_MP_VECTOR_ADDR);
    board_fill(&more.b, 0x08080000, 0x80000, SEED_OLD + 2);
    assert_int_equal(board_flash(&more.b, &more.img, NULL), MPF_OK);
    assert_true(board_holds_fill(&more.b, 0x08080000, 0x80000, SEED_OLD + 2));
    board_case_close(&more);
}

/* mboot: bwPollTimeout 0, the GETSTATUS after an operation is held until it
 * ends; mboot lives in sectors 0..1, the app from sector 2. */
static void test_micropython_image_under_mboot(void **state)
{
    board_case *c = *state;
    board *b = &c->b;
    load_micropython(&c->img, 0x08008000);
    board_fill(b, 0x08000000, 0x8000, SEED_OLD + 3); /* mboot itself */
    board_fill(b, 0x0800C000, 0x08020000 - 0x0800C000, SEED_FS);
    board_fill(b, 0x08008000, 0x4000, SEED_OLD);
    board_fill(b, 0x08020000, 0x08100000 - 0x08020000, SEED_OLD + 1);

    assert_int_equal(board_flash(b, &c->img, NULL), MPF_OK);
    assert_true(board_has_image(b, &c->img));
    assert_true(board_holds_fill(b, 0x08000000, 0x8000, SEED_OLD + 3));
    assert_true(board_holds_fill(b, 0x0800C000, 0x08020000 - 0x0800C000, SEED_FS));
    const uint32_t erased[] = {0x08008000, 0x08020000, 0x08040000, 0x08060000};
    board_assert_erased(b, erased, 4);
    uint32_t jumped = 0;
    assert_true(mpf_sim_has_left(b->sim, &jumped));
    assert_int_equal(jumped, 0x08008000);
    /* + 1: the GETSTATUS after mboot's first UPLOAD of the verify, which
     * catches a packing mboot answering reads with bytes that are not flash. */
    assert_micropython_requests(b, 4, 2 + 1);

    /* Nothing to sleep: the device said 0 and held the next GETSTATUS. */
    assert_int_equal(b->d.stats.slept_ms, 0);
    assert_int_equal(b->spy.pass.sleeps, 0);
    assert_int_equal(mpf_sim_early_count(b->sim), 0);
    assert_true(mpf_sim_blocked_count(b->sim) >= 4 + MP_BLOCKS);
}

static void test_rom_starting_in_error_is_cleared_and_waited_for(void **state)
{
    board_case *c = *state;
    board *b = &c->b;
    mpf_sim_start_in_error(b->sim);
    load_micropython(&c->img, FIXTURE_MP_VECTOR_ADDR);
    assert_int_equal(board_flash(b, &c->img, NULL), MPF_OK);
    assert_true(board_has_image(b, &c->img));
    assert_true(mpf_sim_has_left(b->sim, NULL));
    /* ABORT (stalled: the ROM is in dfuERROR), GETSTATUS, CLRSTATUS, GETSTATUS */
    assert_int_equal(mpf_sim_request_at(b->sim, 0)->op, MPF_SIM_OP_ABORT);
    assert_int_equal(mpf_sim_request_at(b->sim, 1)->op, MPF_SIM_OP_GETSTATUS);
    assert_int_equal(mpf_sim_request_at(b->sim, 2)->op, MPF_SIM_OP_CLRSTATUS);
    assert_int_equal(mpf_sim_request_at(b->sim, 3)->op, MPF_SIM_OP_GETSTATUS);
    assert_micropython_requests(b, 4, 4);
    assert_int_equal(capture_count(&b->cap, MPF_LOG_INFO, "errFIRMWARE"), 1);
    assert_int_equal(capture_count(&b->cap, MPF_LOG_WARN, ""), 0);
    assert_int_equal(capture_count(&b->cap, MPF_LOG_ERROR, ""), 0);
    assert_int_equal(mpf_sim_early_count(b->sim), 0);
    assert_int_equal(b->d.stats.slept_ms, b->spy.busy_poll_ms);
}

/* The plan's refusal comes before the first request: nothing was sent. */
static void assert_refused_with_no_request(board *b, const mpf_image *img, mpf_err want)
{
    assert_int_equal(board_flash(b, img, NULL), want);
    assert_int_equal(mpf_sim_request_count(b->sim), 0);
}

static void refused_outside_flash(const char *chip, uint32_t address, const char *needle)
{
    board_case one, *c = &one;
    board_case_open(c, chip);
    uint8_t data[64];
    fixture_fill_random(data, sizeof data, 3);
    assert_int_equal(mpf_image_add(&c->img, 0, 0x08000000, data, sizeof data, "ok", NULL), MPF_OK);
    assert_int_equal(mpf_image_add(&c->img, 0, address, data, sizeof data, "bad", NULL), MPF_OK);
    assert_int_equal(mpf_image_normalize(&c->img, NULL), MPF_OK);
    assert_refused_with_no_request(&c->b, &c->img, MPF_ERR_IMAGE_FIT);
    assert_non_null(strstr(c->b.err.message, needle));
    assert_int_equal(mpf_sim_erase_count(c->b.sim), 0);
    board_case_close(c);
}

static void test_image_outside_flash_is_refused_before_any_request(void **state)
{
    (void)state;
    refused_outside_flash("f401", 0x08080000, "0x08080000");
    refused_outside_flash("f401", 0x20000000, "0x20000000");
    refused_outside_flash("f405", 0x08100000, "0x08100000");
}

static void test_image_over_option_bytes_is_refused_before_any_request(void **state)
{
    board_case *c = *state;
    uint8_t opt[16];
    memset(opt, 0xFF, sizeof opt);
    assert_int_equal(mpf_image_add(&c->img, 1, 0x1FFFC000, opt, sizeof opt, "opt", NULL), MPF_OK);
    assert_int_equal(mpf_image_normalize(&c->img, NULL), MPF_OK);
    assert_refused_with_no_request(&c->b, &c->img, MPF_ERR_REFUSED);
}

static void test_read_back_equals_what_was_written(void **state)
{
    board_case *c = *state;
    board *b = &c->b;
    load_micropython(&c->img, FIXTURE_MP_VECTOR_ADDR);
    c->opt.verify = 0;
    c->opt.leave = 0;
    assert_int_equal(board_flash(b, &c->img, &c->opt), MPF_OK);
    assert_false(mpf_sim_has_left(b->sim, NULL));
    assert_int_equal(b->d.stats.blocks_up, 0);

    const mpf_segment *text = &c->img.segments[1];
    uint8_t *buf = malloc(text->size + 100);
    assert_non_null(buf);
    size_t before = mpf_sim_request_count(b->sim);
    assert_int_equal(mpf_dfu_read(&b->d, 0, text->address, buf, text->size + 100, &b->err), MPF_OK);
    assert_memory_equal(buf, text->data, text->size);
    for (size_t i = 0; i < 100; i++)
        assert_int_equal(buf[text->size + i], 0xFF); /* the erased rest of sector 7 */
    board_log log;
    board_log_summary(b->sim, before, &log);
    const size_t blocks = (text->size + 100 + 2047) / 2048;
    assert_int_equal(log.by_op[MPF_SIM_OP_UPLOAD], blocks);
    assert_int_equal(log.by_op[MPF_SIM_OP_SET_ADDRESS], 1);
    assert_int_equal(log.dfu_requests, 3 + 1 + blocks + 1);
    assert_int_equal(mpf_sim_state(b->sim), MPF_DFU_STATE_IDLE);

    /* and the device is still usable afterwards */
    assert_int_equal(mpf_dfu_leave(&b->d, 0x08000000, &b->err), MPF_OK);
    assert_true(mpf_sim_has_left(b->sim, NULL));
    free(buf);
}

typedef struct corrupt {
    board *b;
    uint32_t address;
    int done;
} corrupt;

/* Flip a byte in flash just before the verify's first UPLOAD. */
static void corrupt_before_upload(void *user, uint8_t request, uint16_t value, int dir_in)
{
    (void)value;
    corrupt *c = user;
    if (c->done || !dir_in || request != MPF_DFU_UPLOAD)
        return;
    uint8_t byte;
    assert_int_equal(mpf_sim_peek(c->b->sim, c->address, &byte, 1), 0);
    byte ^= 0x5A;
    assert_int_equal(mpf_sim_poke(c->b->sim, c->address, &byte, 1), 0);
    c->done = 1;
}

static void test_verify_names_a_byte_changed_after_writing(void **state)
{
    board_case *sc = *state;
    board *b = &sc->b;
    load_micropython(&sc->img, FIXTURE_MP_VECTOR_ADDR);
    assert_int_equal(board_open(b, &sc->img, NULL, 0), MPF_OK);
    /* Opening sends no UPLOAD: the hook set now still sees the verify's first. */
    corrupt c = {b, 0x08020010 + 3 * 2048, 0};
    b->spy.before = corrupt_before_upload;
    b->spy.user = &c;
    assert_int_equal(mpf_dfu_flash(&b->d, &b->plan, &b->err), MPF_ERR_VERIFY);
    assert_true(c.done);
    const uint8_t wrote = sc->img.segments[1].data[0x10 + 3 * 2048];
    char want[96];
    snprintf(want, sizeof want, "verify failed at 0x08021810: wrote 0x%02X, read 0x%02X",
             wrote, wrote ^ 0x5A);
    assert_non_null(strstr(b->err.message, want));
    assert_false(mpf_sim_has_left(b->sim, NULL));
    assert_int_equal(board_log_flash_changes_after(
                         b->sim, board_log_find(b->sim, MPF_SIM_OP_UPLOAD, 5)), 0);
}

/* ST's ROM erases a write-protected sector "successfully" and changes
 * nothing; the first block written into it fails. */
static void test_write_protected_sector_stops_at_its_first_block(void **state)
{
    board_case *c = *state;
    board *b = &c->b;
    mpf_sim_write_protect(b->sim, 0x08040000);
    board_fill(b, 0x08040000, 0x20000, SEED_OLD);
    load_micropython(&c->img, FIXTURE_MP_VECTOR_ADDR);
    assert_int_equal(board_flash(b, &c->img, NULL), MPF_ERR_DEVICE_STATUS);
    assert_non_null(strstr(b->err.message, "write of block 66 at 0x08040000 failed: errWRITE (dfuERROR)"));
    const uint32_t erased[] = {0x08000000, 0x08020000, 0x08060000};
    board_assert_erased(b, erased, 3);
    assert_true(board_holds_fill(b, 0x08040000, 0x20000, SEED_OLD));
    assert_int_equal(board_log_flash_changes_after(
                         b->sim, board_log_find(b->sim, MPF_SIM_OP_WRITE, 1 + 64 + 1)), 0);
    assert_false(mpf_sim_has_left(b->sim, NULL));
}

static void test_read_protection_is_reported_and_unprotect_is_explicit(void **state)
{
    board_case *c = *state;
    board *b = &c->b;
    mpf_sim_set_read_protection(b->sim, 1);
    board_fill(b, BOARD_FS_ADDR, BOARD_FS_SIZE, SEED_FS);
    load_micropython(&c->img, FIXTURE_MP_VECTOR_ADDR);
    assert_int_equal(board_flash(b, &c->img, NULL), MPF_ERR_DEVICE_STATUS);
    assert_non_null(strstr(b->err.message, "erase of sector at 0x08000000 failed: errVENDOR (dfuERROR)"));
    assert_non_null(strstr(b->err.message, "mpf_dfu_read_unprotect"));
    assert_int_equal(b->err.reason, MPF_REASON_READ_PROTECTED);
    board_log log;
    board_log_summary(b->sim, 0, &log);
    assert_int_equal(log.by_op[MPF_SIM_OP_UNPROTECT], 0);
    assert_int_equal(log.by_op[MPF_SIM_OP_ERASE], 1);
    assert_true(board_holds_fill(b, BOARD_FS_ADDR, BOARD_FS_SIZE, SEED_FS));

    /* asked for explicitly: the chip erases itself and resets */
    mpf_sim_transport(b->sim, &b->raw);
    assert_int_equal(mpf_dfu_open(&b->d, &b->raw, &b->cb, &b->err), MPF_OK);
    assert_int_equal(mpf_dfu_read_unprotect(&b->d, &b->err), MPF_OK);
    assert_true(b->d.left);
    assert_false(mpf_sim_connected(b->sim));
    mpf_sim_replug(b->sim);
    assert_int_equal(board_flash(b, &c->img, NULL), MPF_OK);
    assert_true(board_has_image(b, &c->img));
}

static void test_mass_erase_option_erases_everything_once(void **state)
{
    board_case *c = *state;
    board *b = &c->b;
    board_fill(b, BOARD_FS_ADDR, BOARD_FS_SIZE, SEED_FS);
    load_micropython(&c->img, FIXTURE_MP_VECTOR_ADDR);
    c->opt.mass_erase = 1;
    assert_int_equal(board_flash(b, &c->img, &c->opt), MPF_OK);
    assert_true(board_has_image(b, &c->img));
    board_log log;
    board_log_summary(b->sim, 0, &log);
    assert_int_equal(log.by_op[MPF_SIM_OP_MASS_ERASE], 1);
    assert_int_equal(log.by_op[MPF_SIM_OP_ERASE], 0);
    assert_int_equal(mpf_sim_erase_count(b->sim), 8); /* every sector, as asked */
    uint8_t fs[16];
    assert_int_equal(mpf_sim_peek(b->sim, BOARD_FS_ADDR, fs, sizeof fs), 0);
    for (size_t i = 0; i < sizeof fs; i++)
        assert_int_equal(fs[i], 0xFF);
    assert_int_equal(b->d.stats.slept_ms, b->spy.busy_poll_ms);
    assert_int_equal(mpf_sim_early_count(b->sim), 0);
}

#define BLOCKS_OF_1024 \
    ((FIXTURE_MP_VECTOR_SIZE + 1023) / 1024 + FIXTURE_MP_TEXT_DEFAULT_SIZE / 1024)

/* Blocks of 1024 bytes, whether the plan or the device chose that size: the
 * image arrives whole, every block in the write log numbered in order. */
static board_log flash_in_1024_byte_blocks(board_case *c, const mpf_plan_options *opt)
{
    load_micropython(&c->img, FIXTURE_MP_VECTOR_ADDR);
    assert_int_equal(board_flash(&c->b, &c->img, opt), MPF_OK);
    assert_true(board_has_image(&c->b, &c->img));
    board_log log;
    board_log_summary(c->b.sim, 0, &log);
    assert_int_equal(log.by_op[MPF_SIM_OP_WRITE], BLOCKS_OF_1024);
    assert_int_equal(log.bad_block_number, 0);
    return log;
}

static void test_plan_block_size_other_than_the_devices_is_still_correct(void **state)
{
    board_case *c = *state;
    c->opt.transfer_size = 1024;
    c->opt.verify = 0;
    board_log log = flash_in_1024_byte_blocks(c, &c->opt);
    assert_int_equal(log.by_op[MPF_SIM_OP_SET_ADDRESS], BLOCKS_OF_1024 + 1); /* + the leave's */
    assert_true(mpf_sim_has_left(c->b.sim, NULL));
}

static void test_device_with_1024_byte_transfers_keeps_3_requests_per_block(void **state)
{
    board_case *c = *state;
    mpf_sim_set_transfer_size(c->b.sim, 1024);
    board_log log = flash_in_1024_byte_blocks(c, NULL);
    assert_int_equal(log.runs, 2);
    assert_int_equal(log.bad_block_shape, 0);
    assert_int_equal(log.by_op[MPF_SIM_OP_UPLOAD], BLOCKS_OF_1024);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        BOARD_TEST("f401", test_micropython_image_on_f401),
        BOARD_TEST("f405", test_micropython_image_on_f405),
        BOARD_TEST("mboot", test_micropython_image_under_mboot),
        BOARD_TEST("f401", test_rom_starting_in_error_is_cleared_and_waited_for),
        cmocka_unit_test(test_image_outside_flash_is_refused_before_any_request),
        BOARD_TEST("f405", test_image_over_option_bytes_is_refused_before_any_request),
        BOARD_TEST("f401", test_read_back_equals_what_was_written),
        BOARD_TEST("f401", test_verify_names_a_byte_changed_after_writing),
        BOARD_TEST("f401", test_write_protected_sector_stops_at_its_first_block),
        BOARD_TEST("f401", test_read_protection_is_reported_and_unprotect_is_explicit),
        BOARD_TEST("f401", test_mass_erase_option_erases_everything_once),
        BOARD_TEST("f401", test_plan_block_size_other_than_the_devices_is_still_correct),
        BOARD_TEST("f401", test_device_with_1024_byte_transfers_keeps_3_requests_per_block),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
