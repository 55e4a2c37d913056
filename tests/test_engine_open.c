/* Engine start-up against scripted devices: every state a device can be
 * found in, and what the engine sends to bring it to dfuIDLE. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "engine_fixture.h"
#include "mpflash/engine.h"
#include "scripted_transport.h"

typedef engine_fx fx;
#define open_it engine_fx_open
#define setup engine_fx_setup
#define teardown engine_fx_teardown

static void test_idle_device_needs_one_getstatus(void **state)
{
    fx *f = *state;
    scripted_expect_getstatus(f->s, MPF_DFU_STATUS_OK, 0, MPF_DFU_STATE_IDLE);
    assert_int_equal(open_it(f), MPF_OK);
    assert_script_complete(f->s);
    assert_true(f->d.dfuse);
    assert_int_equal(f->d.transfer_size, 2048);
    assert_int_equal(f->d.current_alt, -1);
    assert_int_equal(f->d.left, 0);
    assert_int_equal(f->d.stats.requests[MPF_DFU_GETSTATUS], 1);
    assert_int_equal(mpf_dfu_stats_total(&f->d.stats), 1);
    assert_int_equal(scripted_timeout_at(f->s, 0), MPF_DFU_TIMEOUT_MS);
    assert_int_equal(f->cap.progress_count, 2);
    assert_int_equal(f->cap.progress[0].phase, MPF_PHASE_CONNECT);
    assert_int_equal(f->cap.progress[0].done, 0);
    assert_int_equal(f->cap.progress[1].done, 1);
    assert_int_equal(f->cap.progress[1].total, 1);
}

static void test_rom_error_firmware_is_cleared_quietly(void **state)
{
    fx *f = *state;
    scripted_expect_getstatus(f->s, MPF_DFU_STATUS_ERR_FIRMWARE, 0, MPF_DFU_STATE_ERROR);
    scripted_expect_clrstatus(f->s);
    scripted_expect_getstatus(f->s, MPF_DFU_STATUS_OK, 0, MPF_DFU_STATE_IDLE);
    assert_int_equal(open_it(f), MPF_OK);
    assert_script_complete(f->s);
    assert_int_equal(capture_count(&f->cap, MPF_LOG_INFO, "errFIRMWARE"), 1);
    assert_int_equal(capture_count(&f->cap, MPF_LOG_WARN, ""), 0);
    assert_int_equal(capture_count(&f->cap, MPF_LOG_ERROR, ""), 0);
    assert_int_equal(f->d.stats.requests[MPF_DFU_CLRSTATUS], 1);
}

static void test_other_error_is_cleared_with_a_warning(void **state)
{
    fx *f = *state;
    scripted_expect_getstatus(f->s, MPF_DFU_STATUS_ERR_ERASE, 0, MPF_DFU_STATE_ERROR);
    scripted_expect_clrstatus(f->s);
    scripted_expect_getstatus(f->s, MPF_DFU_STATUS_OK, 0, MPF_DFU_STATE_IDLE);
    assert_int_equal(open_it(f), MPF_OK);
    assert_script_complete(f->s);
    assert_int_equal(capture_count(&f->cap, MPF_LOG_WARN, "errERASE"), 1);
}

static void test_dnload_idle_is_aborted(void **state)
{
    fx *f = *state;
    scripted_expect_getstatus(f->s, MPF_DFU_STATUS_OK, 0, MPF_DFU_STATE_DNLOAD_IDLE);
    scripted_expect_abort(f->s);
    scripted_expect_getstatus(f->s, MPF_DFU_STATUS_OK, 0, MPF_DFU_STATE_IDLE);
    assert_int_equal(open_it(f), MPF_OK);
    assert_script_complete(f->s);
    assert_int_equal(f->d.stats.requests[MPF_DFU_ABORT], 1);
}

static void test_upload_idle_is_aborted(void **state)
{
    fx *f = *state;
    scripted_expect_getstatus(f->s, MPF_DFU_STATUS_OK, 0, MPF_DFU_STATE_UPLOAD_IDLE);
    scripted_expect_abort(f->s);
    scripted_expect_getstatus(f->s, MPF_DFU_STATUS_OK, 0, MPF_DFU_STATE_IDLE);
    assert_int_equal(open_it(f), MPF_OK);
    assert_script_complete(f->s);
}

static void test_bad_status_in_idle_is_cleared(void **state)
{
    fx *f = *state;
    scripted_expect_getstatus(f->s, MPF_DFU_STATUS_ERR_UNKNOWN, 0, MPF_DFU_STATE_IDLE);
    scripted_expect_clrstatus(f->s);
    scripted_expect_getstatus(f->s, MPF_DFU_STATUS_OK, 0, MPF_DFU_STATE_IDLE);
    assert_int_equal(open_it(f), MPF_OK);
    assert_script_complete(f->s);
}

static void test_error_that_will_not_clear_names_the_state(void **state)
{
    fx *f = *state;
    scripted_expect_getstatus(f->s, MPF_DFU_STATUS_ERR_FIRMWARE, 0, MPF_DFU_STATE_ERROR);
    scripted_expect_clrstatus(f->s);
    scripted_expect_getstatus(f->s, MPF_DFU_STATUS_ERR_FIRMWARE, 0, MPF_DFU_STATE_ERROR);
    assert_int_equal(open_it(f), MPF_ERR_PROTOCOL);
    assert_script_complete(f->s);
    assert_int_equal(f->err.code, MPF_ERR_PROTOCOL);
    assert_non_null(strstr(f->err.message, "device is in dfuERROR (errFIRMWARE)"));
    assert_non_null(strstr(f->err.message, "expected dfuIDLE"));
}

static void test_runtime_mode_is_refused(void **state)
{
    fx *f = *state;
    scripted_expect_getstatus(f->s, MPF_DFU_STATUS_OK, 0, MPF_DFU_STATE_APP_IDLE);
    assert_int_equal(open_it(f), MPF_ERR_PROTOCOL);
    assert_script_complete(f->s);
    assert_non_null(strstr(f->err.message, "appIDLE"));
    assert_non_null(strstr(f->err.message, "detached first"));
}

static void test_busy_device_is_waited_for_then_aborted(void **state)
{
    fx *f = *state;
    scripted_expect_getstatus(f->s, MPF_DFU_STATUS_OK, 120, MPF_DFU_STATE_DNBUSY);
    scripted_expect_getstatus(f->s, MPF_DFU_STATUS_OK, 0, MPF_DFU_STATE_DNLOAD_IDLE);
    scripted_expect_abort(f->s);
    scripted_expect_getstatus(f->s, MPF_DFU_STATUS_OK, 0, MPF_DFU_STATE_IDLE);
    assert_int_equal(open_it(f), MPF_OK);
    assert_script_complete(f->s);
    assert_int_equal(scripted_sleep_count(f->s), 1);
    assert_int_equal(scripted_sleep_at(f->s, 0), 120);
    assert_int_equal(f->d.stats.slept_ms, 120);
}

static void test_usb_error_keeps_its_code(void **state)
{
    fx *f = *state;
    scripted_expect_getstatus(f->s, MPF_DFU_STATUS_OK, 0, MPF_DFU_STATE_IDLE);
    scripted_then_fail(f->s, MPF_ERR_USB_TIMEOUT);
    assert_int_equal(open_it(f), MPF_ERR_USB_TIMEOUT);
    assert_script_complete(f->s);
    assert_int_equal(f->err.code, MPF_ERR_USB_TIMEOUT);
    assert_non_null(strstr(f->err.message, "connect: GETSTATUS: "));
}

static void test_short_status_reply_is_a_protocol_error(void **state)
{
    fx *f = *state;
    const uint8_t three[3] = {0, 0, 0};
    scripted_expect_in(f->s, MPF_DFU_GETSTATUS, 0, 6, three, sizeof three);
    assert_int_equal(open_it(f), MPF_ERR_PROTOCOL);
    assert_script_complete(f->s);
    assert_non_null(strstr(f->err.message, "GETSTATUS returned 3 bytes"));
}

static void test_plain_dfu_device_is_not_flashed(void **state)
{
    fx *f = *state;
    scripted_expect_getstatus(f->s, MPF_DFU_STATUS_OK, 0, MPF_DFU_STATE_IDLE);
    scripted_transport(f->s, &f->t);
    f->t.info.func.dfu_version = 0x0110;
    assert_int_equal(mpf_dfu_open(&f->d, &f->t, &f->cb, &f->err), MPF_OK);
    assert_false(f->d.dfuse);
    mpf_plan plan;
    memset(&plan, 0, sizeof plan);
    plan.leave = 1;
    plan.leave_address = 0x08000000;
    assert_int_equal(mpf_dfu_flash(&f->d, &plan, &f->err), MPF_ERR_REFUSED);
    assert_non_null(strstr(f->err.message, "0x0110"));
    assert_int_equal(mpf_dfu_stats_total(&f->d.stats), 1); /* the open's GETSTATUS only */
    assert_script_complete(f->s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_idle_device_needs_one_getstatus, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rom_error_firmware_is_cleared_quietly, setup, teardown),
        cmocka_unit_test_setup_teardown(test_other_error_is_cleared_with_a_warning, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dnload_idle_is_aborted, setup, teardown),
        cmocka_unit_test_setup_teardown(test_upload_idle_is_aborted, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_status_in_idle_is_cleared, setup, teardown),
        cmocka_unit_test_setup_teardown(test_error_that_will_not_clear_names_the_state, setup, teardown),
        cmocka_unit_test_setup_teardown(test_runtime_mode_is_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_busy_device_is_waited_for_then_aborted, setup, teardown),
        cmocka_unit_test_setup_teardown(test_usb_error_keeps_its_code, setup, teardown),
        cmocka_unit_test_setup_teardown(test_short_status_reply_is_a_protocol_error, setup, teardown),
        cmocka_unit_test_setup_teardown(test_plain_dfu_device_is_not_flashed, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
