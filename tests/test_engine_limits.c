/* The minimum of requests, against the virtual bootloaders: sleeps exactly
 * as long as bwPollTimeout says, 0xFF blocks left out of a run without
 * costing a request, one pointer per run and per check, and wBlockNum
 * running past 65535. Every count is exact and every flash is checked byte
 * for byte. */
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
#include "mpflash/timing.h"

#define KIB 1024u
#define TEXT 0x08020000u

static uint64_t ceil_ms(uint64_t us)
{
    return (us + 999) / 1000;
}

/* The image is these bytes at address (copied), and nothing else. */
static void image_of(mpf_image *img, uint32_t address, const uint8_t *data, size_t size)
{
    assert_int_equal(mpf_image_add(img, 0, address, data, size, "test", NULL), MPF_OK);
    assert_int_equal(mpf_image_normalize(img, NULL), MPF_OK);
}

/* ---- waiting ------------------------------------------------------------ */

static void test_the_host_sleeps_exactly_the_poll_timeouts(void **state)
{
    board_case *c = *state;
    board *b = &c->b;
    assert_int_equal(fixture_micropython_image(&c->img, 0, 3), 0);
    c->opt.verify = 0;
    assert_int_equal(board_flash_ex(b, &c->img, &c->opt, 0, 0), MPF_OK);

    /* What the ROM reports: each operation's time rounded up to whole ms. */
    const mpf_timing *t = mpf_timing_stm32f4();
    uint64_t want_ms = ceil_ms(mpf_timing_erase_us(t, 16 * KIB)) +
                       3 * ceil_ms(mpf_timing_erase_us(t, 128 * KIB)) +
                       ceil_ms(mpf_timing_program_us(t, FIXTURE_MP_VECTOR_SIZE)) +
                       149 * ceil_ms(mpf_timing_program_us(t, 2048));
    assert_int_equal(b->d.stats.slept_ms, want_ms);
    assert_int_equal(b->spy.busy_poll_ms, want_ms);
    assert_int_equal(b->spy.pass.slept_ms, want_ms);
    assert_int_equal(b->spy.pass.sleeps, b->spy.busy_replies - 3); /* set-address ops report 0 ms */
    assert_int_equal(mpf_sim_early_count(b->sim), 0);
    assert_int_equal(mpf_sim_blocked_count(b->sim), 0);

    board_log log;
    board_log_summary(b->sim, 0, &log);
    assert_int_equal(log.runs, 2);
    assert_int_equal(log.bad_block_shape, 0);
    assert_int_equal(log.bad_block_number, 0);
    assert_int_equal(log.by_op[MPF_SIM_OP_WRITE], 150);
    /* start-up 2; 3 per erase, pointer (2 runs, the leave) and block; leave 2 */
    assert_int_equal(log.dfu_requests, 2 + 3 * (4 + 3 + 150) + 2);
    assert_true(board_has_image(b, &c->img));
}

/* mboot says 0 ms and holds the next GETSTATUS until it is done: nothing to
 * sleep, nothing early. */
static void test_mboot_needs_no_sleep(void **state)
{
    board_case *c = *state;
    assert_int_equal(fixture_micropython_image(&c->img, 0, 4), 0);
    c->img.segments[0].address = 0x08008000;
    assert_int_equal(board_flash_ex(&c->b, &c->img, NULL, 1, 0), MPF_OK);
    assert_int_equal(c->b.d.stats.slept_ms, 0);
    assert_int_equal(mpf_sim_early_count(c->b.sim), 0);
    assert_true(board_has_image(&c->b, &c->img));
}

/* ---- 0xFF blocks -------------------------------------------------------- */

static void test_a_blank_block_in_a_run_is_skipped_by_wblocknum(void **state)
{
    board_case *c = *state;
    board *b = &c->b;
    board_fill(b, TEXT, 128 * KIB, 0x77); /* old contents: the erase must clear them */
    uint8_t data[3 * 2048 + 100];
    fixture_fill_random(data, sizeof data, 31);
    memset(data + 2048, 0xFF, 2048);
    image_of(&c->img, TEXT, data, sizeof data);
    assert_int_equal(board_flash(b, &c->img, NULL), MPF_OK); /* a full flash skips it too */

    assert_int_equal(board_ops(b, MPF_SIM_OP_WRITE), 3);
    assert_int_equal(board_nth(b, MPF_SIM_OP_SET_ADDRESS, 1)->address, TEXT);
    const uint16_t blocks[3] = {2, 4, 5};
    for (unsigned k = 0; k < 3; k++) {
        assert_int_equal(board_nth(b, MPF_SIM_OP_WRITE, k + 1)->value, blocks[k]);
        assert_int_equal(board_nth(b, MPF_SIM_OP_WRITE, k + 1)->address, TEXT + (blocks[k] - 2) * 2048u);
    }
    /* One pointer for the run, one for the verify, one for the leave. */
    assert_int_equal(board_ops(b, MPF_SIM_OP_SET_ADDRESS), 3);
    /* The verify reads the skipped block too: it must be 0xFF. */
    assert_int_equal(board_ops(b, MPF_SIM_OP_UPLOAD), 4);
    assert_int_equal(b->d.stats.blocks_blank, 1);
    assert_int_equal(b->d.stats.blocks_down, 3);
    assert_int_equal(b->d.stats.bytes_down, sizeof data - 2048);
    assert_true(board_has_image(b, &c->img));
    /* Progress counts the blank block as written. */
    const capture_progress *last = &b->cap.progress[0];
    for (size_t i = 0; i < b->cap.progress_count; i++)
        if (b->cap.progress[i].phase == MPF_PHASE_WRITE)
            last = &b->cap.progress[i];
    assert_int_equal(last->done, sizeof data);
    assert_int_equal(last->total, sizeof data);
}

static void test_a_blank_first_block_moves_the_pointer_not_the_count(void **state)
{
    board_case *c = *state;
    board *b = &c->b;
    /* Old contents, so the sector is erased and its 0xFF blocks are the erase's. */
    board_fill(b, TEXT, 128 * KIB, 0x78);
    uint8_t data[2 * 2048 + 2048];
    memset(data, 0xFF, sizeof data);
    fixture_fill_random(data + 2 * 2048, 2048, 32);
    image_of(&c->img, TEXT, data, sizeof data);
    assert_int_equal(board_flash_ex(b, &c->img, NULL, 1, 0), MPF_OK);
    assert_int_equal(board_ops(b, MPF_SIM_OP_WRITE), 1);
    /* check, write run, verify, leave */
    assert_int_equal(board_nth(b, MPF_SIM_OP_SET_ADDRESS, 2)->address, TEXT + 2 * 2048);
    assert_int_equal(board_nth(b, MPF_SIM_OP_WRITE, 1)->value, 2);
    assert_int_equal(b->d.stats.blocks_blank, 2);
    assert_true(board_has_image(b, &c->img));
}

static void test_an_all_blank_image_sends_no_data_but_is_verified(void **state)
{
    board_case *c = *state;
    board *b = &c->b;
    board_fill(b, 0x08004000, 16 * KIB, 0x99);
    uint8_t data[16 * KIB];
    memset(data, 0xFF, sizeof data);
    image_of(&c->img, 0x08004000, data, sizeof data);
    assert_int_equal(board_flash(b, &c->img, NULL), MPF_OK);
    assert_int_equal(board_ops(b, MPF_SIM_OP_ERASE), 1);
    assert_int_equal(board_ops(b, MPF_SIM_OP_WRITE), 0);
    assert_int_equal(board_ops(b, MPF_SIM_OP_SET_ADDRESS), 2); /* verify, leave: no write pointer */
    assert_int_equal(board_ops(b, MPF_SIM_OP_UPLOAD), 8);
    assert_true(board_has_image(b, &c->img));
}

static void test_blank_blocks_in_memory_not_erased_are_sent(void **state)
{
    board_case *c = *state;
    board *b = &c->b;
    uint8_t otp[512];
    memset(otp, 0xFF, sizeof otp);
    /* OTP (alt 2) is never erased: what is there now is unknown. */
    assert_int_equal(mpf_image_add(&c->img, 2, 0x1FFF7800, otp, sizeof otp, "otp", NULL), MPF_OK);
    assert_int_equal(mpf_image_normalize(&c->img, NULL), MPF_OK);
    c->opt.force = 1;
    c->opt.verify = 0;
    c->opt.leave = 0;
    assert_int_equal(board_flash_ex(b, &c->img, &c->opt, 1, 0), MPF_OK);
    assert_int_equal(b->plan.erase_count, 0);
    assert_int_equal(board_ops(b, MPF_SIM_OP_WRITE), 1);
    assert_int_equal(board_ops(b, MPF_SIM_OP_UPLOAD), 0);
    assert_int_equal(b->d.stats.blocks_blank, 0);
}

static void test_mass_erase_skips_blank_blocks(void **state)
{
    board_case *c = *state;
    board *b = &c->b;
    board_fill(b, 0x08000000, 512 * KIB, 0x42);
    uint8_t data[4 * 2048];
    fixture_fill_random(data, sizeof data, 33);
    memset(data + 2048, 0xFF, 2 * 2048);
    image_of(&c->img, 0x08000000, data, sizeof data);
    c->opt.mass_erase = 1;
    assert_int_equal(board_flash(b, &c->img, &c->opt), MPF_OK);
    assert_int_equal(board_ops(b, MPF_SIM_OP_MASS_ERASE), 1);
    assert_int_equal(board_ops(b, MPF_SIM_OP_WRITE), 2);
    assert_int_equal(board_nth(b, MPF_SIM_OP_WRITE, 2)->value, 5);
    assert_true(board_has_image(b, &c->img));
}

/* ---- wBlockNum past 65535 ------------------------------------------------ */

/* At wTransferSize 16 a 1 MiB flash is 65536 blocks: the check's one
 * pointer reaches wBlockNum 65535 and must be set again for the rest. */
static void test_the_check_sets_the_pointer_again_past_block_65535(void **state)
{
    board_case *c = *state;
    board *b = &c->b;
    mpf_sim_set_transfer_size(b->sim, 16);
    const size_t size = 1024 * KIB;
    uint8_t *data = malloc(size);
    assert_non_null(data);
    fixture_fill_random(data, size, 34);
    assert_int_equal(mpf_sim_poke(b->sim, 0x08000000, data, size), 0);
    assert_int_equal(mpf_image_add_owned(&c->img, 0, 0x08000000, data, size, "1M", NULL), MPF_OK);
    assert_int_equal(mpf_image_normalize(&c->img, NULL), MPF_OK);

    mpf_sim_transport(b->sim, &b->raw);
    mpf_plan plan;
    assert_int_equal(mpf_plan_build(&c->img, &b->raw.info, &c->opt, &plan, &b->err), MPF_OK);
    assert_int_equal(plan.erase_count, 12);
    assert_int_equal(mpf_dfu_open(&b->d, &b->raw, NULL, &b->err), MPF_OK);
    uint8_t unchanged[12];
    assert_int_equal(mpf_dfu_check_unchanged(&b->d, &plan, unchanged, &b->err), MPF_OK);
    for (size_t i = 0; i < 12; i++)
        assert_int_equal(unchanged[i], 1);
    assert_int_equal(board_ops(b, MPF_SIM_OP_UPLOAD), 65536);
    assert_int_equal(board_ops(b, MPF_SIM_OP_SET_ADDRESS), 2);
    assert_int_equal(board_nth(b, MPF_SIM_OP_SET_ADDRESS, 2)->address, 0x08000000 + 65534u * 16);
    assert_int_equal(board_nth(b, MPF_SIM_OP_UPLOAD, 65534)->value, 65535);
    assert_int_equal(board_nth(b, MPF_SIM_OP_UPLOAD, 65535)->value, 2);
    assert_int_equal(board_nth(b, MPF_SIM_OP_UPLOAD, 65536)->value, 3);
    /* start-up, after each pointer, before the second, at the end */
    assert_int_equal(board_ops(b, MPF_SIM_OP_ABORT), 5);
    mpf_plan_free(&plan);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        BOARD_TEST("f401", test_the_host_sleeps_exactly_the_poll_timeouts),
        BOARD_TEST("mboot", test_mboot_needs_no_sleep),
        BOARD_TEST("f401", test_a_blank_block_in_a_run_is_skipped_by_wblocknum),
        BOARD_TEST("f401", test_a_blank_first_block_moves_the_pointer_not_the_count),
        BOARD_TEST("f401", test_an_all_blank_image_sends_no_data_but_is_verified),
        BOARD_TEST("f401", test_blank_blocks_in_memory_not_erased_are_sent),
        BOARD_TEST("f401", test_mass_erase_skips_blank_blocks),
        BOARD_TEST("f405", test_the_check_sets_the_pointer_again_past_block_65535),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
