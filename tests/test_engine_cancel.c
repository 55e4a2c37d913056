/* mpf_dfu_cancel: a flash cancelled after any request stops before the
 * next one reaches the device, and the same flash run again on the same
 * board (the session opened again, as a GUI would) finishes it: the image
 * byte for byte, MicroPython's filesystem sectors untouched. Cut at every
 * few requests of a whole flash over older firmware: during the check, the
 * erases (between an erase command and its status), the writes, the verify
 * and just before the leave. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "engine_board.h"
#include "fixtures.h"

#define SEED_OLD 0x01D0u
#define SEED_FS 0xF11E5u
#define SEED_NEW 0xC0FFEEu
#define F401_END 0x08080000u

typedef struct cutter {
    board *b;
    size_t at;       /* cancel while the at-th request (1-based) goes out */
    size_t seen;
    size_t log_then; /* the device's request log once that request is in */
    mpf_sim_op op;   /* what the cut request was */
} cutter;

static void cut_before(void *user, uint8_t request, uint16_t value, int dir_in)
{
    (void)request;
    (void)value;
    (void)dir_in;
    cutter *c = user;
    if (++c->seen != c->at)
        return;
    mpf_dfu_cancel(&c->b->d);
    /* This request is already past the check and still goes out. */
    c->log_then = mpf_sim_request_count(c->b->sim) + 1;
}

static void old_board(board *b, mpf_image *img)
{
    board_new(b, "f401");
    board_fill(b, 0x08000000u, F401_END - 0x08000000u, SEED_OLD);
    board_fill(b, BOARD_FS_ADDR, BOARD_FS_SIZE, SEED_FS);
    mpf_image_init(img);
    assert_int_equal(fixture_micropython_image(img, 0, SEED_NEW), 0);
}

/* The flash's control requests (what the cutter counts), uncut, and where
 * its erase commands are among them (1-based). */
static size_t whole_flash_requests(size_t *erases, size_t room, size_t *n_erases)
{
    board b;
    mpf_image img;
    old_board(&b, &img);
    assert_int_equal(board_open(&b, &img, NULL, 0), MPF_OK);
    const size_t from = b.spy.requests, log_from = mpf_sim_request_count(b.sim);
    mpf_dfu_flash_options fo;
    mpf_dfu_flash_options_default(&fo);
    assert_int_equal(mpf_dfu_flash_ex(&b.d, &b.plan, &fo, &b.err), MPF_OK);
    const size_t n = b.spy.requests - from;
    assert_true(board_has_image(&b, &img));
    size_t control = 0;
    *n_erases = 0;
    for (size_t i = log_from; i < mpf_sim_request_count(b.sim); i++) {
        const mpf_sim_request *r = mpf_sim_request_at(b.sim, i);
        if (r->op == MPF_SIM_OP_SELECT_ALT || r->op == MPF_SIM_OP_RESET)
            continue;
        control++;
        if (r->op == MPF_SIM_OP_ERASE && *n_erases < room)
            erases[(*n_erases)++] = control;
    }
    assert_int_equal(control, n);
    mpf_image_free(&img);
    board_free(&b);
    return n;
}

static void cut_and_rerun(size_t at, unsigned *kinds)
{
    board b;
    mpf_image img;
    old_board(&b, &img);
    mpf_dfu_flash_options fo;
    mpf_dfu_flash_options_default(&fo);
    assert_int_equal(board_open(&b, &img, NULL, 0), MPF_OK);
    cutter c = {.b = &b, .at = at};
    b.spy.before = cut_before;
    b.spy.user = &c;
    mpf_err rc = mpf_dfu_flash_ex(&b.d, &b.plan, &fo, &b.err);
    if (rc != MPF_ERR_CANCELLED)
        fail_msg("cut at request %zu: %s, not cancelled (%s)", at, mpf_err_name(rc), b.err.message);
    assert_int_equal(b.err.code, MPF_ERR_CANCELLED);
    /* Nothing after the cut request reached the device. */
    if (mpf_sim_request_count(b.sim) != c.log_then)
        fail_msg("cut at request %zu: %zu requests after the cancel", at,
                 mpf_sim_request_count(b.sim) - c.log_then);
    kinds[mpf_sim_request_at(b.sim, c.log_then - 1)->op]++;

    /* Again, on the same session and board: open, the same flash. */
    b.spy.before = NULL;
    assert_int_equal(mpf_dfu_open(&b.d, &b.t, &b.cb, &b.err), MPF_OK);
    rc = mpf_dfu_flash_ex(&b.d, &b.plan, &fo, &b.err);
    if (rc != MPF_OK)
        fail_msg("cut at request %zu, then again: %s", at, b.err.message);
    if (!board_has_image(&b, &img))
        fail_msg("cut at request %zu, then again: the board does not hold the image", at);
    if (!board_holds_fill(&b, BOARD_FS_ADDR, BOARD_FS_SIZE, SEED_FS))
        fail_msg("cut at request %zu: the filesystem changed", at);
    uint32_t jump = 0;
    assert_true(mpf_sim_has_left(b.sim, &jump));
    assert_int_equal(jump, 0x08000000u);
    mpf_image_free(&img);
    board_free(&b);
}

static void test_cancel_anywhere_then_the_same_flash_finishes(void **state)
{
    (void)state;
    size_t erases[8], n_erases = 0;
    const size_t total = whole_flash_requests(erases, 8, &n_erases);
    assert_true(total > 300);
    assert_int_equal(n_erases, 4); /* sector 0 and the three of the text */
    unsigned kinds[MPF_SIM_OP_RESET + 1] = {0};
    size_t cuts = 0;
    /* 7 is prime to the 3-request rhythm of a data block (DNLOAD, two
     * GETSTATUS), so cuts land on every step of it. The last request is
     * the leave's status: cutting there leaves nothing to cancel. */
    for (size_t at = 1; at < total; at += 7, cuts++)
        cut_and_rerun(at, kinds);
    cut_and_rerun(total - 1, kinds);
    /* On each erase command (its status not yet asked for), and on the
     * status that runs it. */
    for (size_t i = 0; i < n_erases; i++) {
        cut_and_rerun(erases[i], kinds);
        cut_and_rerun(erases[i] + 1, kinds);
    }
    /* The cuts hit reads, erases, writes, status polls and the leave. */
    assert_true(kinds[MPF_SIM_OP_UPLOAD] > 0);
    assert_true(kinds[MPF_SIM_OP_ERASE] > 0);
    assert_true(kinds[MPF_SIM_OP_WRITE] > 0);
    assert_true(kinds[MPF_SIM_OP_GETSTATUS] > 0);
    assert_true(kinds[MPF_SIM_OP_SET_ADDRESS] > 0);
    assert_true(cuts > 40);
}

/* What a GUI does: the cancel comes from the progress callback. */
typedef struct gui {
    mpf_dfu *d;
    uint64_t cancel_at; /* written bytes */
    int cancelled;
} gui;

static void gui_progress(void *user, mpf_phase phase, uint64_t done, uint64_t total)
{
    (void)total;
    gui *g = user;
    if (phase == MPF_PHASE_WRITE && done >= g->cancel_at && !g->cancelled) {
        g->cancelled = 1;
        mpf_dfu_cancel(g->d);
    }
}

static void test_cancel_from_the_progress_callback(void **state)
{
    (void)state;
    board b;
    mpf_image img;
    old_board(&b, &img);
    mpf_sim_transport(b.sim, &b.t);
    assert_int_equal(mpf_plan_build(&img, &b.t.info, NULL, &b.plan, &b.err), MPF_OK);
    b.has_plan = 1;
    gui g = {.cancel_at = 100000};
    mpf_callbacks cb = {gui_progress, NULL, &g};
    mpf_dfu *d = NULL;
    assert_int_equal(mpf_dfu_new(&b.t, &cb, &d, &b.err), MPF_OK);
    g.d = d;
    assert_int_equal(mpf_dfu_flash_ex(d, &b.plan, NULL, &b.err), MPF_ERR_CANCELLED);
    assert_true(g.cancelled);
    const uint64_t first = mpf_dfu_get_stats(d)->bytes_down;
    assert_true(first >= 100000 && first < b.plan.write_bytes);
    assert_false(mpf_sim_has_left(b.sim, NULL));

    /* A cancelled session refuses everything until it is opened again. */
    mpf_dfu_status_reply st;
    assert_int_equal(mpf_dfu_get_status(d, &st, &b.err), MPF_ERR_CANCELLED);
    assert_int_equal(mpf_dfu_open(d, &b.t, &cb, &b.err), MPF_OK);
    assert_int_equal(mpf_dfu_flash_ex(d, &b.plan, NULL, &b.err), MPF_OK);
    /* The second run sent only what the first did not finish. */
    assert_true(mpf_dfu_get_stats(d)->bytes_down + first < b.plan.write_bytes + 2 * 2048u);
    assert_true(board_has_image(&b, &img));
    assert_true(board_holds_fill(&b, BOARD_FS_ADDR, BOARD_FS_SIZE, SEED_FS));
    mpf_dfu_close(d);
    mpf_transport_close(&b.t);
    mpf_transport_close(&b.t); /* a second close does nothing */
    mpf_image_free(&img);
    board_free(&b);
}

/* Cancelled before it starts: not one request. */
static void test_cancel_before_the_flash_sends_nothing(void **state)
{
    (void)state;
    board b;
    mpf_image img;
    old_board(&b, &img);
    assert_int_equal(board_open(&b, &img, NULL, 0), MPF_OK);
    const size_t before = mpf_sim_request_count(b.sim);
    mpf_dfu_cancel(&b.d);
    assert_int_equal(mpf_dfu_flash_ex(&b.d, &b.plan, NULL, &b.err), MPF_ERR_CANCELLED);
    assert_int_equal(mpf_dfu_leave(&b.d, 0x08000000u, &b.err), MPF_ERR_CANCELLED);
    assert_int_equal(mpf_sim_request_count(b.sim), before);
    assert_true(board_holds_fill(&b, 0x08000000u, BOARD_FS_ADDR - 0x08000000u, SEED_OLD));
    mpf_image_free(&img);
    board_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cancel_anywhere_then_the_same_flash_finishes),
        cmocka_unit_test(test_cancel_from_the_progress_callback),
        cmocka_unit_test(test_cancel_before_the_flash_sends_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
