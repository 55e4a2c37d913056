/* Faults injected into the virtual device at each stage of flashing the
 * MicroPython image: every kind (STALL, timeout, disconnect, error status)
 * at every point gives its own error, nothing that changes flash follows
 * it, and a second run on the same board then flashes correctly. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "engine_board.h"
#include "fixtures.h"

#define SEED_FS 0x5F5Fu

typedef struct fault_point {
    const char *name;
    mpf_sim_op op;
    unsigned nth;
    uint8_t status;    /* for MPF_SIM_FAULT_STATUS */
    const char *what;  /* the operation the message must name */
} fault_point;

/* The F401 MicroPython flash: erases 0x08000000, 0x08020000, 0x08040000,
 * 0x08060000; runs 0x08000000 (block 2) and 0x08020000 (blocks 2..150). */
static const fault_point points[] = {
    {"start-up", MPF_SIM_OP_GETSTATUS, 1, MPF_DFU_STATUS_ERR_UNKNOWN, "connect: GETSTATUS"},
    {"first erase", MPF_SIM_OP_ERASE, 1, MPF_DFU_STATUS_ERR_ERASE, "erase of sector at 0x08000000"},
    {"mid-erase", MPF_SIM_OP_ERASE, 3, MPF_DFU_STATUS_ERR_ERASE, "erase of sector at 0x08040000"},
    /* open 1, erase 1 polls 2-3: the 4th GETSTATUS executes the second erase */
    {"erase poll", MPF_SIM_OP_GETSTATUS, 4, MPF_DFU_STATUS_ERR_ERASE,
     "erase of sector at 0x08020000"},
    {"set-address", MPF_SIM_OP_SET_ADDRESS, 2, MPF_DFU_STATUS_ERR_TARGET,
     "set address 0x08020000"},
    {"mid-write", MPF_SIM_OP_WRITE, 40, MPF_DFU_STATUS_ERR_WRITE, "write of block 40 at 0x08033000"},
    {"mid-verify", MPF_SIM_OP_UPLOAD, 10, MPF_DFU_STATUS_ERR_VENDOR,
     "verify of 0x08020000-0x0806A7FF: read of block 10 at 0x08024000"},
};

static const mpf_sim_fault_kind kinds[] = {MPF_SIM_FAULT_STALL, MPF_SIM_FAULT_TIMEOUT,
                                           MPF_SIM_FAULT_DISCONNECT, MPF_SIM_FAULT_STATUS};
static const char *const kind_names[] = {"stall", "timeout", "disconnect", "status"};

static int is_dnload_op(mpf_sim_op op)
{
    return op == MPF_SIM_OP_ERASE || op == MPF_SIM_OP_SET_ADDRESS || op == MPF_SIM_OP_WRITE ||
           op == MPF_SIM_OP_LEAVE;
}

static mpf_err expected_code(const fault_point *p, mpf_sim_fault_kind k)
{
    switch (k) {
    case MPF_SIM_FAULT_STALL:
        return MPF_ERR_USB_STALL;
    case MPF_SIM_FAULT_TIMEOUT:
        return MPF_ERR_USB_TIMEOUT;
    case MPF_SIM_FAULT_DISCONNECT:
        return MPF_ERR_USB_DISCONNECTED;
    case MPF_SIM_FAULT_STATUS:
    default:
        if (p->op == MPF_SIM_OP_UPLOAD) /* the device stalls it and sets the status */
            return p->status == MPF_DFU_STATUS_ERR_VENDOR ? MPF_ERR_DEVICE_STATUS
                                                          : MPF_ERR_USB_STALL;
        if (p->op == MPF_SIM_OP_GETSTATUS && p->nth == 1)
            return MPF_OK; /* an error found at start-up is cleared */
        return MPF_ERR_DEVICE_STATUS;
    }
}

/* Requests the engine may send after the failed one: one GETSTATUS to read
 * the status after a stalled request (not after a stalled GETSTATUS), or
 * the GETSTATUS that reports the failed operation. */
static size_t expected_after(const fault_point *p, mpf_sim_fault_kind k)
{
    if (k == MPF_SIM_FAULT_STALL)
        return p->op == MPF_SIM_OP_GETSTATUS ? 0 : 1;
    if (k == MPF_SIM_FAULT_STATUS)
        return (is_dnload_op(p->op) || p->op == MPF_SIM_OP_UPLOAD) ? 1 : 0;
    return 0;
}

/* After a fault (and a replug if the board went away), the same board
 * takes the whole image, verifies it and starts it. */
static void second_run_flashes_it_all(board *b, const mpf_image *img, const char *cell)
{
    if (!mpf_sim_connected(b->sim))
        mpf_sim_replug(b->sim);
    mpf_sim_clear_log(b->sim);
    if (board_flash(b, img, NULL) != MPF_OK)
        fail_msg("%s: second run: %s", cell, b->err.message);
    assert_true(board_has_image(b, img));
    uint32_t jumped = 0;
    assert_true(mpf_sim_has_left(b->sim, &jumped));
    assert_int_equal(jumped, 0x08000000);
    board_log log;
    board_log_summary(b->sim, 0, &log);
    assert_int_equal(log.by_op[MPF_SIM_OP_LEAVE], 1);
    assert_int_equal(log.by_op[MPF_SIM_OP_WRITE], 150);
}

static void run_fault(const fault_point *p, size_t kind_index)
{
    const mpf_sim_fault_kind k = kinds[kind_index];
    board b;
    board_new(&b, "f401");
    board_fill(&b, BOARD_FS_ADDR, BOARD_FS_SIZE, SEED_FS);
    mpf_image img;
    mpf_image_init(&img);
    assert_int_equal(fixture_micropython_image(&img, 0, 9), 0);

    mpf_sim_fault f = {.kind = k, .op = p->op, .nth = p->nth, .status = p->status};
    assert_int_equal(mpf_sim_add_fault(b.sim, &f, &b.err), MPF_OK);
    const mpf_err rc = board_flash(&b, &img, NULL);
    const mpf_err want = expected_code(p, k);
    if (rc != want)
        fail_msg("%s/%s: got %s (%s), want %s", p->name, kind_names[kind_index], mpf_err_name(rc),
                 b.err.message, mpf_err_name(want));
    if (want != MPF_OK) {
        assert_int_equal(b.err.code, want);
        if (!strstr(b.err.message, p->what))
            fail_msg("%s/%s: message \"%s\" does not name \"%s\"", p->name,
                     kind_names[kind_index], b.err.message, p->what);
        if (k == MPF_SIM_FAULT_STATUS && !strstr(b.err.message, mpf_dfu_status_name(p->status)))
            fail_msg("%s/status: message \"%s\" lacks %s", p->name, b.err.message,
                     mpf_dfu_status_name(p->status));
        /* It stopped: nothing after the failed request but what it may send
         * to read the device's status, and nothing that changes flash. */
        size_t at = board_log_find(b.sim, p->op, p->nth);
        assert_true(at != (size_t)-1);
        size_t after = mpf_sim_request_count(b.sim) - at - 1;
        if (after != expected_after(p, k))
            fail_msg("%s/%s: %zu requests after the fault, want %zu", p->name,
                     kind_names[kind_index], after, expected_after(p, k));
        assert_int_equal(board_log_flash_changes_after(b.sim, at), 0);
        assert_false(mpf_sim_has_left(b.sim, NULL));
        assert_false(b.d.left);
    } else {
        assert_true(board_has_image(&b, &img));
    }
    assert_true(board_holds_fill(&b, BOARD_FS_ADDR, BOARD_FS_SIZE, SEED_FS));

    /* Second run on the same board: it flashes everything correctly. */
    char cell[96];
    snprintf(cell, sizeof cell, "%s/%s", p->name, kind_names[kind_index]);
    second_run_flashes_it_all(&b, &img, cell);
    assert_true(board_holds_fill(&b, BOARD_FS_ADDR, BOARD_FS_SIZE, SEED_FS));
    mpf_image_free(&img);
    board_free(&b);
}

static void test_every_fault_at_every_point(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof points / sizeof points[0]; i++)
        for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++)
            run_fault(&points[i], k);
}

/* ---- during leave --------------------------------------------------------- */

/* How many GETSTATUS a clean run sends: the last one is the leave's. */
static unsigned clean_getstatus_count(void)
{
    board b;
    board_new(&b, "f401");
    mpf_image img;
    mpf_image_init(&img);
    assert_int_equal(fixture_micropython_image(&img, 0, 9), 0);
    assert_int_equal(board_flash(&b, &img, NULL), MPF_OK);
    board_log log;
    board_log_summary(b.sim, 0, &log);
    size_t last = mpf_sim_request_count(b.sim) - 1;
    assert_int_equal(mpf_sim_request_at(b.sim, last)->op, MPF_SIM_OP_GETSTATUS);
    assert_int_equal(mpf_sim_request_at(b.sim, last - 1)->op, MPF_SIM_OP_LEAVE);
    mpf_image_free(&img);
    board_free(&b);
    return (unsigned)log.by_op[MPF_SIM_OP_GETSTATUS];
}

static void leave_fault(mpf_sim_op op, unsigned nth, mpf_sim_fault_kind k, mpf_err want,
                        const char *needle)
{
    board b;
    board_new(&b, "f401");
    mpf_image img;
    mpf_image_init(&img);
    assert_int_equal(fixture_micropython_image(&img, 0, 9), 0);
    mpf_sim_fault f = {.kind = k, .op = op, .nth = nth, .status = MPF_DFU_STATUS_ERR_NOTDONE};
    assert_int_equal(mpf_sim_add_fault(b.sim, &f, &b.err), MPF_OK);
    const mpf_err rc = board_flash(&b, &img, NULL);
    if (rc != want)
        fail_msg("leave fault %d on op %d: got %s (%s), want %s", (int)k, (int)op,
                 mpf_err_name(rc), b.err.message, mpf_err_name(want));
    assert_true(board_has_image(&b, &img)); /* everything was written before */
    if (want == MPF_OK) {
        assert_true(b.d.left);
        assert_int_equal(b.err.code, MPF_OK);
        assert_int_equal(capture_count(&b.cap, MPF_LOG_ERROR, ""), 0);
    } else {
        assert_non_null(strstr(b.err.message, needle));
    }
    size_t at = board_log_find(b.sim, op, nth);
    assert_true(at != (size_t)-1);
    if (board_log_flash_changes_after(b.sim, at) != 0)
        fail_msg("leave fault %d on op %d: requests after it: %zu of %zu, %s", (int)k, (int)op,
                 at, mpf_sim_request_count(b.sim), b.err.message);

    /* When the leave's GETSTATUS was lost the leave is still stored in the
     * device; the next start-up's ABORT drops it, so the second run below
     * must flash normally instead of finishing the old leave. */
    const int leave_stored =
        mpf_sim_connected(b.sim) && mpf_sim_state(b.sim) == MPF_DFU_STATE_MANIFEST_SYNC;
    if (leave_stored)
        assert_false(mpf_sim_has_left(b.sim, NULL));
    char cell[96];
    snprintf(cell, sizeof cell, "leave fault %d on op %d", (int)k, (int)op);
    second_run_flashes_it_all(&b, &img, cell);
    mpf_image_free(&img);
    board_free(&b);
}

static void test_device_vanishing_during_leave_is_success(void **state)
{
    (void)state;
    const unsigned n = clean_getstatus_count();
    leave_fault(MPF_SIM_OP_GETSTATUS, n, MPF_SIM_FAULT_STALL, MPF_OK, NULL);
    leave_fault(MPF_SIM_OP_GETSTATUS, n, MPF_SIM_FAULT_DISCONNECT, MPF_OK, NULL);
    leave_fault(MPF_SIM_OP_LEAVE, 1, MPF_SIM_FAULT_DISCONNECT, MPF_OK, NULL);
}

static void test_device_staying_after_leave_is_an_error(void **state)
{
    (void)state;
    const unsigned n = clean_getstatus_count();
    leave_fault(MPF_SIM_OP_GETSTATUS, n, MPF_SIM_FAULT_TIMEOUT, MPF_ERR_USB_TIMEOUT,
                "leave at 0x08000000: GETSTATUS");
    leave_fault(MPF_SIM_OP_GETSTATUS, n, MPF_SIM_FAULT_STATUS, MPF_ERR_DEVICE_STATUS,
                "leave at 0x08000000 failed: errNOTDONE (dfuERROR)");
    leave_fault(MPF_SIM_OP_LEAVE, 1, MPF_SIM_FAULT_TIMEOUT, MPF_ERR_USB_TIMEOUT,
                "leave at 0x08000000: DNLOAD");
    /* A STALL the device answers with dfuERROR is a refusal, not a reset. */
    leave_fault(MPF_SIM_OP_LEAVE, 1, MPF_SIM_FAULT_STALL, MPF_ERR_USB_STALL,
                "it refused to leave");
    leave_fault(MPF_SIM_OP_LEAVE, 1, MPF_SIM_FAULT_STATUS, MPF_ERR_DEVICE_STATUS,
                "leave at 0x08000000 failed: errNOTDONE (dfuERROR)");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_fault_at_every_point),
        cmocka_unit_test(test_device_vanishing_during_leave_is_success),
        cmocka_unit_test(test_device_staying_after_leave_is_an_error),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
