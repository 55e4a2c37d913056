/* Ctrl-C in the tool (src/tool/tool_interrupt.c): what a Ctrl-C delivers
 * stops every running session before its next request, the run ends with
 * exit code 130, and the same flash run again finishes the job with the
 * image byte for byte and the filesystem untouched. The signal plumbing
 * (sigwait thread, console handler) only calls tool_interrupt_deliver. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "engine_board.h"
#include "fixtures.h"
#include "tool/tool_exit.h"
#include "tool/tool_interrupt.h"

#define SEED_OLD 0x01D0u
#define SEED_FS 0xF11E5u
#define SEED_NEW 0xC0FFEEu

typedef struct ctrl_c {
    board *b;
    uint64_t at_bytes;     /* Ctrl-C once the write has reached this */
    unsigned delivered;    /* what tool_interrupt_deliver returned */
    size_t log_at_ctrl_c;  /* the device's request count then */
} ctrl_c;

static void press_ctrl_c(void *user, mpf_phase phase, uint64_t done, uint64_t total)
{
    (void)total;
    ctrl_c *c = user;
    if (phase != MPF_PHASE_WRITE || done < c->at_bytes || tool_interrupted())
        return;
    c->log_at_ctrl_c = mpf_sim_request_count(c->b->sim);
    c->delivered = tool_interrupt_deliver();
}

static void old_board(board *b, mpf_image *img)
{
    board_new(b, "f401");
    board_fill(b, 0x08000000u, 0x80000u, SEED_OLD);
    board_fill(b, BOARD_FS_ADDR, BOARD_FS_SIZE, SEED_FS);
    mpf_image_init(img);
    assert_int_equal(fixture_micropython_image(img, 0, SEED_NEW), 0);
}

static mpf_err flash_once(board *b, const mpf_callbacks *cb, mpf_error *err)
{
    mpf_dfu *d = NULL;
    mpf_err rc = tool_session_new(&b->t, cb, &d, err);
    if (!rc) {
        mpf_dfu_flash_options fo;
        mpf_dfu_flash_options_default(&fo);
        rc = mpf_dfu_flash_ex(d, &b->plan, &fo, err);
    }
    tool_session_close(d);
    return rc;
}

static void test_ctrl_c_mid_write_stops_and_a_rerun_finishes(void **state)
{
    (void)state;
    tool_interrupt_reset();
    board b;
    mpf_image img;
    old_board(&b, &img);
    assert_int_equal(board_open(&b, &img, NULL, 0), MPF_OK);

    ctrl_c c = {.b = &b, .at_bytes = 64 * 1024};
    mpf_callbacks cb = {press_ctrl_c, NULL, &c};
    mpf_error err;
    mpf_err rc = flash_once(&b, &cb, &err);
    assert_int_equal(rc, MPF_ERR_CANCELLED);
    assert_int_equal(tool_exit_code(rc), TOOL_EXIT_INTERRUPTED);
    assert_int_equal(c.delivered, 1);
    /* At most the request already past its cancel check goes out. */
    assert_true(mpf_sim_request_count(b.sim) <= c.log_at_ctrl_c + 1);
    assert_false(board_has_image(&b, &img));
    assert_true(board_holds_fill(&b, BOARD_FS_ADDR, BOARD_FS_SIZE, SEED_FS));

    /* The next run of the same command. */
    tool_interrupt_reset();
    mpf_callbacks quiet = {NULL, NULL, NULL};
    assert_int_equal(flash_once(&b, &quiet, &err), MPF_OK);
    assert_true(board_has_image(&b, &img));
    assert_true(board_holds_fill(&b, BOARD_FS_ADDR, BOARD_FS_SIZE, SEED_FS));
    mpf_image_free(&img);
    board_free(&b);
}

static void test_nothing_running_means_quit_at_once(void **state)
{
    (void)state;
    tool_interrupt_reset();
    /* 0 tells the signal thread there is nothing to stop cleanly. */
    assert_int_equal(tool_interrupt_deliver(), 0);
    assert_true(tool_interrupted());
    tool_interrupt_reset();
    assert_false(tool_interrupted());
}

static void test_a_session_opened_after_ctrl_c_sends_no_flash_request(void **state)
{
    (void)state;
    board b;
    mpf_image img;
    old_board(&b, &img);
    assert_int_equal(board_open(&b, &img, NULL, 0), MPF_OK);
    tool_interrupt_reset();
    tool_interrupt_deliver();
    const size_t before_open = mpf_sim_request_count(b.sim);
    mpf_callbacks quiet = {NULL, NULL, NULL};
    mpf_dfu *d = NULL;
    mpf_error err;
    mpf_err rc = tool_session_new(&b.t, &quiet, &d, &err);
    const size_t after_open = mpf_sim_request_count(b.sim);
    if (!rc) {
        mpf_dfu_flash_options fo;
        mpf_dfu_flash_options_default(&fo);
        rc = mpf_dfu_flash_ex(d, &b.plan, &fo, &err);
    }
    assert_int_equal(rc, MPF_ERR_CANCELLED);
    /* Opening may talk to the device; the flash sends nothing. */
    assert_true(after_open >= before_open);
    assert_int_equal(mpf_sim_request_count(b.sim), after_open);
    tool_session_close(d);
    tool_interrupt_reset();
    assert_true(board_holds_fill(&b, 0x08000000u, 0x4000u, SEED_OLD));
    assert_false(board_has_image(&b, &img));
    mpf_image_free(&img);
    board_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ctrl_c_mid_write_stops_and_a_rerun_finishes),
        cmocka_unit_test(test_nothing_running_means_quit_at_once),
        cmocka_unit_test(test_a_session_opened_after_ctrl_c_sends_no_flash_request),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
