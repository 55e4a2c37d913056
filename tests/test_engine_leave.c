/* Leaving DFU mode, against scripted devices: the pointer is always set, and
 * a device that vanishes after the leave request has succeeded. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "engine_fixture.h"

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

static void vanish_after_leave(void **state, mpf_err how)
{
    engine_fx *f = *state;
    engine_fx_open_idle(f);
    expect_leave_request(f->s, 0x08010000);
    scripted_expect_getstatus(f->s, MPF_DFU_STATUS_OK, 0, MPF_DFU_STATE_MANIFEST);
    scripted_then_fail(f->s, how);
    assert_int_equal(mpf_dfu_leave(&f->d, 0x08010000, &f->err), MPF_OK);
    assert_script_complete(f->s); /* and nothing sent after it */
    assert_true(f->d.left);
    assert_int_equal(capture_count(&f->cap, MPF_LOG_INFO, "left DFU mode"), 1);
}

static void test_stall_after_leave_is_success(void **state)
{
    vanish_after_leave(state, MPF_ERR_USB_STALL);
}

static void test_io_error_after_leave_is_success(void **state)
{
    vanish_after_leave(state, MPF_ERR_USB);
}

static void test_disconnect_after_leave_is_success(void **state)
{
    vanish_after_leave(state, MPF_ERR_USB_DISCONNECTED);
}

static void test_disconnect_on_the_leave_request_is_success(void **state)
{
    engine_fx *f = *state;
    engine_fx_open_idle(f);
    expect_leave_request(f->s, 0x08000000);
    scripted_then_fail(f->s, MPF_ERR_USB_DISCONNECTED);
    assert_int_equal(mpf_dfu_leave(&f->d, 0x08000000, &f->err), MPF_OK);
    assert_script_complete(f->s);
    assert_true(f->d.left);
}

/* The leave request stalls; the device then reports dfuERROR with status. */
static mpf_err leave_stalled_by(engine_fx *f, uint8_t status)
{
    engine_fx_open_idle(f);
    expect_leave_request(f->s, 0x08000000);
    scripted_then_fail(f->s, MPF_ERR_USB_STALL);
    scripted_expect_getstatus(f->s, status, 0, MPF_DFU_STATE_ERROR);
    return mpf_dfu_leave(&f->d, 0x08000000, &f->err);
}

static void test_refused_leave_request_is_an_error(void **state)
{
    engine_fx *f = *state;
    assert_int_equal(leave_stalled_by(f, MPF_DFU_STATUS_ERR_STALLEDPKT), MPF_ERR_USB_STALL);
    assert_script_complete(f->s);
    assert_false(f->d.left);
    assert_non_null(strstr(f->err.message, "leave at 0x08000000: DNLOAD: "));
    assert_non_null(strstr(f->err.message, "errSTALLEDPKT, dfuERROR: it refused to leave"));
}

/* Read protection is the reason the device gave: exit code 5, and the
 * way out, which is never taken on the user's behalf. */
static void test_leave_refused_for_read_protection_says_how_to_unprotect(void **state)
{
    engine_fx *f = *state;
    assert_int_equal(leave_stalled_by(f, MPF_DFU_STATUS_ERR_VENDOR), MPF_ERR_DEVICE_STATUS);
    assert_script_complete(f->s); /* no unprotect, nothing after the status */
    assert_false(f->d.left);
    assert_int_equal(f->err.code, MPF_ERR_DEVICE_STATUS);
    assert_int_equal(mpf_err_exit_code(f->err.code), 5);
    assert_non_null(strstr(f->err.message, "leave at 0x08000000 failed: errVENDOR (dfuERROR)"));
    assert_non_null(strstr(f->err.message, "read-protected (RDP level 1)"));
    assert_non_null(strstr(f->err.message, "--unprotect --force (or -s :unprotect:force)"));
    assert_int_equal(f->d.stats.requests[MPF_DFU_DNLOAD], 2); /* set-address, leave */
}

static void test_stall_on_the_leave_request_of_a_resetting_device_is_success(void **state)
{
    engine_fx *f = *state;
    engine_fx_open_idle(f);
    expect_leave_request(f->s, 0x08000000);
    scripted_then_fail(f->s, MPF_ERR_USB_STALL);
    scripted_expect_getstatus(f->s, MPF_DFU_STATUS_OK, 0, MPF_DFU_STATE_MANIFEST);
    scripted_then_fail(f->s, MPF_ERR_USB_DISCONNECTED);
    assert_int_equal(mpf_dfu_leave(&f->d, 0x08000000, &f->err), MPF_OK);
    assert_script_complete(f->s);
    assert_true(f->d.left);
    assert_int_equal(f->err.code, MPF_OK);
}

static void test_incomplete_firmware_status_is_an_error(void **state)
{
    engine_fx *f = *state;
    engine_fx_open_idle(f);
    expect_leave_request(f->s, 0x08000000);
    scripted_expect_getstatus(f->s, MPF_DFU_STATUS_ERR_NOTDONE, 0, MPF_DFU_STATE_ERROR);
    assert_int_equal(mpf_dfu_leave(&f->d, 0x08000000, &f->err), MPF_ERR_DEVICE_STATUS);
    assert_script_complete(f->s);
    assert_non_null(strstr(f->err.message, "leave at 0x08000000 failed: errNOTDONE (dfuERROR)"));
}

static void test_timeout_after_leave_is_still_an_error(void **state)
{
    engine_fx *f = *state;
    engine_fx_open_idle(f);
    expect_leave_request(f->s, 0x08000000);
    scripted_expect_getstatus(f->s, MPF_DFU_STATUS_OK, 0, MPF_DFU_STATE_MANIFEST);
    scripted_then_fail(f->s, MPF_ERR_USB_TIMEOUT);
    assert_int_equal(mpf_dfu_leave(&f->d, 0x08000000, &f->err), MPF_ERR_USB_TIMEOUT);
    assert_script_complete(f->s);
    assert_non_null(strstr(f->err.message, "leave at 0x08000000: GETSTATUS: "));
}

static void test_device_staying_idle_did_not_leave(void **state)
{
    engine_fx *f = *state;
    engine_fx_open_idle(f);
    expect_leave_request(f->s, 0x08000000);
    scripted_expect_getstatus(f->s, MPF_DFU_STATUS_OK, 0, MPF_DFU_STATE_IDLE);
    assert_int_equal(mpf_dfu_leave(&f->d, 0x08000000, &f->err), MPF_ERR_PROTOCOL);
    assert_script_complete(f->s);
    assert_non_null(strstr(f->err.message, "did not leave DFU mode"));
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
    const struct CMUnitTest tests[] = {
        T(test_leave_sets_the_pointer_and_sees_manifest),
        T(test_nothing_is_sent_after_the_device_left),
        T(test_stall_after_leave_is_success),
        T(test_io_error_after_leave_is_success),
        T(test_disconnect_after_leave_is_success),
        T(test_disconnect_on_the_leave_request_is_success),
        T(test_refused_leave_request_is_an_error),
        T(test_leave_refused_for_read_protection_says_how_to_unprotect),
        T(test_stall_on_the_leave_request_of_a_resetting_device_is_success),
        T(test_incomplete_firmware_status_is_an_error),
        T(test_timeout_after_leave_is_still_an_error),
        T(test_device_staying_idle_did_not_leave),
        T(test_failed_set_address_sends_no_leave),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
