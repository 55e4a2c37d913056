/* Leaving DFU mode, against scripted devices: the pointer is always set, and
 * a device that vanishes after the leave request has succeeded. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "engine_fixture.h"
#include "table_tests.h"
#include "tool/tool_exit.h"

static void expect_leave_request(scripted *s, uint32_t address)
{
    scripted_expect_select_alt(s, 0);
    scripted_expect_set_address(s, address);
    scripted_expect_busy_idle(s, 2);
    scripted_expect_dnload(s, 0, NULL, 0);
}

static void test_leave_sets_the_pointer_and_sees_manifest(void **state)
{
    engine_fx *f = *state;
    engine_fx_open_idle(f);
    expect_leave_request(f->s, 0x08000000);
    scripted_expect_getstatus(f->s, MPF_DFU_STATUS_OK, 0, MPF_DFU_STATE_MANIFEST);
    assert_int_equal(mpf_dfu_leave(&f->d, 0x08000000, &f->err), MPF_OK);
    assert_script_complete(f->s);
    assert_true(f->d.left);
    assert_int_equal(f->d.stats.set_address, 1);
    assert_int_equal(mpf_dfu_stats_total(&f->d.stats), 5);
    assert_int_equal(capture_progress_count(&f->cap, MPF_PHASE_LEAVE), 2);
    assert_int_equal(capture_count(&f->cap, MPF_LOG_ERROR, ""), 0);
}

static void test_nothing_is_sent_after_the_device_left(void **state)
{
    engine_fx *f = *state;
    engine_fx_open_idle(f);
    expect_leave_request(f->s, 0x08000000);
    scripted_expect_getstatus(f->s, MPF_DFU_STATUS_OK, 0, MPF_DFU_STATE_MANIFEST);
    assert_int_equal(mpf_dfu_leave(&f->d, 0x08000000, &f->err), MPF_OK);
    mpf_plan p;
    memset(&p, 0, sizeof p);
    p.mass_erase = 1;
    assert_int_equal(mpf_dfu_flash(&f->d, &p, &f->err), MPF_ERR_USAGE);
    assert_non_null(strstr(f->err.message, "left DFU mode"));
    assert_int_equal(mpf_dfu_leave(&f->d, 0x08000000, &f->err), MPF_OK); /* nothing sent */
    uint8_t buf[4];
    assert_int_equal(mpf_dfu_read(&f->d, 0, 0x08000000, buf, sizeof buf, &f->err), MPF_ERR_USAGE);
    assert_int_equal(mpf_dfu_mass_erase(&f->d, 0, &f->err), MPF_ERR_USAGE);
    assert_script_complete(f->s);
    assert_int_equal(mpf_dfu_stats_total(&f->d.stats), 5);
}

/* Read protection is the reason the device gave: exit code 5, and the
 * way out, which is never taken on the user's behalf. */
static void test_leave_refused_for_read_protection_says_how_to_unprotect(void **state)
{
    engine_fx *f = *state;
    engine_fx_open_idle(f);
    expect_leave_request(f->s, 0x08000000);
    scripted_then_fail(f->s, MPF_ERR_USB_STALL);
    scripted_expect_getstatus(f->s, MPF_DFU_STATUS_ERR_VENDOR, 0, MPF_DFU_STATE_ERROR);
    assert_int_equal(mpf_dfu_leave(&f->d, 0x08000000, &f->err), MPF_ERR_DEVICE_STATUS);
    assert_script_complete(f->s); /* no unprotect, nothing after the status */
    assert_false(f->d.left);
    assert_int_equal(f->err.code, MPF_ERR_DEVICE_STATUS);
    assert_int_equal(tool_exit_code(f->err.code), 5);
    assert_non_null(strstr(f->err.message, "leave at 0x08000000 failed: errVENDOR (dfuERROR)"));
    assert_non_null(strstr(f->err.message, "read-protected (RDP level 1)"));
    assert_non_null(strstr(f->err.message, "remove it explicitly (mpf_dfu_read_unprotect)"));
    assert_int_equal(f->d.stats.requests[MPF_DFU_DNLOAD], 2); /* set-address, leave */
}

/* ---- how the leave request ends ------------------------------------------- */

/* The leave request (a zero-length DNLOAD after the pointer) and the
 * GETSTATUS after it, when there is one. A device that resets as it leaves
 * may drop off the bus at either. */
typedef struct leave_case {
    const char *name;
    uint32_t address;
    mpf_err request_fails;
    int polled; /* whether a GETSTATUS follows */
    uint8_t status, state;
    mpf_err poll_fails;
    mpf_err result;
    int left;
    const char *parts[2]; /* of the error message */
    log_want logs[1];
} leave_case;

#define VANISHES(name, how)                                                                        \
    {name, 0x08010000, MPF_OK, 1, MPF_DFU_STATUS_OK, MPF_DFU_STATE_MANIFEST, (how), MPF_OK, 1,      \
     {NULL}, {{MPF_LOG_INFO, "left DFU mode", 1}}}

static const leave_case leave_cases[] = {
    VANISHES("stall_after_leave_is_success", MPF_ERR_USB_STALL),
    VANISHES("io_error_after_leave_is_success", MPF_ERR_USB),
    VANISHES("disconnect_after_leave_is_success", MPF_ERR_USB_DISCONNECTED),
    {"disconnect_on_the_leave_request_is_success", 0x08000000, MPF_ERR_USB_DISCONNECTED, 0, 0, 0,
     MPF_OK, MPF_OK, 1, {NULL}, {{0}}},
    {"refused_leave_request_is_an_error", 0x08000000, MPF_ERR_USB_STALL, 1,
     MPF_DFU_STATUS_ERR_STALLEDPKT, MPF_DFU_STATE_ERROR, MPF_OK, MPF_ERR_USB_STALL, 0,
     {"leave at 0x08000000: DNLOAD: ", "errSTALLEDPKT, dfuERROR: it refused to leave"}, {{0}}},
    {"stall_on_the_leave_request_of_a_resetting_device_is_success", 0x08000000, MPF_ERR_USB_STALL,
     1, MPF_DFU_STATUS_OK, MPF_DFU_STATE_MANIFEST, MPF_ERR_USB_DISCONNECTED, MPF_OK, 1, {NULL},
     {{0}}},
    {"incomplete_firmware_status_is_an_error", 0x08000000, MPF_OK, 1, MPF_DFU_STATUS_ERR_NOTDONE,
     MPF_DFU_STATE_ERROR, MPF_OK, MPF_ERR_DEVICE_STATUS, 0,
     {"leave at 0x08000000 failed: errNOTDONE (dfuERROR)"}, {{0}}},
    /* Counted as left all the same: it may still be on its way out, and must
     * not be sent anything more. */
    {"timeout_after_leave_is_still_an_error", 0x08000000, MPF_OK, 1, MPF_DFU_STATUS_OK,
     MPF_DFU_STATE_MANIFEST, MPF_ERR_USB_TIMEOUT, MPF_ERR_USB_TIMEOUT, 1,
     {"leave at 0x08000000: GETSTATUS: "}, {{0}}},
    {"device_staying_idle_did_not_leave", 0x08000000, MPF_OK, 1, MPF_DFU_STATUS_OK,
     MPF_DFU_STATE_IDLE, MPF_OK, MPF_ERR_PROTOCOL, 0, {"did not leave DFU mode"}, {{0}}},
};

/* The script's end is checked too: nothing is sent after the leave. */
static void run_leave_case(void **state)
{
    const leave_case *c = *state;
    engine_fx *f = engine_fx_new(2048);
    engine_fx_open_idle(f);
    expect_leave_request(f->s, c->address);
    if (c->request_fails != MPF_OK)
        scripted_then_fail(f->s, c->request_fails);
    if (c->polled)
        scripted_expect_getstatus(f->s, c->status, 0, c->state);
    if (c->polled && c->poll_fails != MPF_OK)
        scripted_then_fail(f->s, c->poll_fails);
    assert_int_equal(mpf_dfu_leave(&f->d, c->address, &f->err), c->result);
    assert_script_complete(f->s);
    assert_int_equal(f->d.left, c->left);
    assert_int_equal(f->err.code, c->result);
    engine_fx_assert_message_has(f, c->parts, TABLE_LEN(c->parts));
    engine_fx_assert_logs(f, c->logs, TABLE_LEN(c->logs));
    assert_int_equal(f->d.stats.requests[MPF_DFU_DNLOAD], 2); /* set-address, leave */
    engine_fx_delete(f);
}

static void test_failed_set_address_sends_no_leave(void **state)
{
    engine_fx *f = *state;
    engine_fx_open_idle(f);
    scripted_expect_select_alt(f->s, 0);
    scripted_expect_set_address(f->s, 0x20000000);
    scripted_expect_getstatus(f->s, MPF_DFU_STATUS_ERR_ADDRESS, 0, MPF_DFU_STATE_ERROR);
    assert_int_equal(mpf_dfu_leave(&f->d, 0x20000000, &f->err), MPF_ERR_DEVICE_STATUS);
    assert_script_complete(f->s);
    assert_false(f->d.left);
    assert_non_null(strstr(f->err.message, "set address 0x20000000 failed: errADDRESS (dfuERROR)"));
}

#define T(name) cmocka_unit_test_setup_teardown(name, engine_fx_setup, engine_fx_teardown)

int main(void)
{
    const struct CMUnitTest fixed[] = {
        T(test_leave_sets_the_pointer_and_sees_manifest),
        T(test_nothing_is_sent_after_the_device_left),
        T(test_leave_refused_for_read_protection_says_how_to_unprotect),
        T(test_failed_set_address_sends_no_leave),
    };
    const test_table tables[] = {TEST_TABLE(leave_cases, run_leave_case)};
    return run_tests_and_tables("engine_leave", fixed, TABLE_LEN(fixed), tables, TABLE_LEN(tables));
}
