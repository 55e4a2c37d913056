/* Engine start-up against scripted devices: every state a device can be
 * found in, and what the engine sends to bring it to dfuIDLE. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "engine_fixture.h"
#include "mpflash/engine.h"
#include "scripted_transport.h"

typedef engine_fx fx;
#define open_it engine_fx_open
#define setup engine_fx_setup
#define teardown engine_fx_teardown

/* ABORT comes first so that a command a dead session left stored in the
 * device is dropped, not executed by our GETSTATUS (see engine_open.c). */
static void test_idle_device_needs_abort_and_one_getstatus(void **state)
{
    fx *f = *state;
    scripted_expect_abort(f->s);
    scripted_expect_getstatus(f->s, MPF_DFU_STATUS_OK, 0, MPF_DFU_STATE_IDLE);
    assert_int_equal(open_it(f), MPF_OK);
    assert_script_complete(f->s);
    assert_true(f->d.dfuse);
    assert_int_equal(f->d.transfer_size, 2048);
    assert_int_equal(f->d.current_alt, -1);
    assert_int_equal(f->d.left, 0);
    assert_int_equal(f->d.stats.requests[MPF_DFU_ABORT], 1);
    assert_int_equal(f->d.stats.requests[MPF_DFU_GETSTATUS], 1);
    assert_int_equal(mpf_dfu_stats_total(&f->d.stats), 2);
    assert_int_equal(scripted_timeout_at(f->s, 0), MPF_DFU_TIMEOUT_MS);
    assert_int_equal(scripted_timeout_at(f->s, 1), MPF_DFU_TIMEOUT_MS);
    assert_int_equal(f->cap.progress_count, 2);
    assert_int_equal(f->cap.progress[0].phase, MPF_PHASE_CONNECT);
    assert_int_equal(f->cap.progress[0].done, 0);
    assert_int_equal(f->cap.progress[1].done, 1);
    assert_int_equal(f->cap.progress[1].total, 1);
}

/* A device in dfuERROR refuses ABORT with a stall; its first status must
 * still be the one it had, and be cleared the usual way. */
static void expect_abort_stalled(fx *f)
{
    scripted_expect_abort(f->s);
    scripted_then_fail(f->s, MPF_ERR_USB_STALL);
}

static void test_rom_error_firmware_is_cleared_quietly(void **state)
{
    fx *f = *state;
    expect_abort_stalled(f);
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
    expect_abort_stalled(f);
    scripted_expect_getstatus(f->s, MPF_DFU_STATUS_ERR_ERASE, 0, MPF_DFU_STATE_ERROR);
    scripted_expect_clrstatus(f->s);
    scripted_expect_getstatus(f->s, MPF_DFU_STATUS_OK, 0, MPF_DFU_STATE_IDLE);
    assert_int_equal(open_it(f), MPF_OK);
    assert_script_complete(f->s);
    assert_int_equal(capture_count(&f->cap, MPF_LOG_WARN, "errERASE"), 1);
}

/* A strict DFU 1.1 device stalls ABORT in dfuDNLOAD-SYNC: the stall that
 * our own request caused is cleared without alarming anyone. */
static void test_error_caused_by_our_abort_is_cleared_quietly(void **state)
{
    fx *f = *state;
    expect_abort_stalled(f);
    scripted_expect_getstatus(f->s, MPF_DFU_STATUS_ERR_STALLEDPKT, 0, MPF_DFU_STATE_ERROR);
    scripted_expect_clrstatus(f->s);
    scripted_expect_getstatus(f->s, MPF_DFU_STATUS_OK, 0, MPF_DFU_STATE_IDLE);
    assert_int_equal(open_it(f), MPF_OK);
    assert_script_complete(f->s);
    assert_int_equal(capture_count(&f->cap, MPF_LOG_WARN, ""), 0);
    assert_int_equal(capture_count(&f->cap, MPF_LOG_INFO, ""), 0);
    assert_int_equal(capture_count(&f->cap, MPF_LOG_DEBUG, "our start-up ABORT"), 1);
}

/* A device that ignores ABORT and is still in dfuDNLOAD-IDLE or
 * dfuUPLOAD-IDLE gets a second one after its status is known. */
static void test_state_left_by_an_ignored_abort_is_aborted_again(void **state)
{
    const uint8_t states[] = {MPF_DFU_STATE_DNLOAD_IDLE, MPF_DFU_STATE_UPLOAD_IDLE};
    for (size_t i = 0; i < sizeof states; i++) {
        fx *f = *state;
        scripted_expect_abort(f->s);
        scripted_expect_getstatus(f->s, MPF_DFU_STATUS_OK, 0, states[i]);
        scripted_expect_abort(f->s);
        scripted_expect_getstatus(f->s, MPF_DFU_STATUS_OK, 0, MPF_DFU_STATE_IDLE);
        assert_int_equal(open_it(f), MPF_OK);
        assert_script_complete(f->s);
        assert_int_equal(f->d.stats.requests[MPF_DFU_ABORT], 2);
        engine_fx_teardown(state);
        assert_int_equal(engine_fx_setup(state), 0);
    }
}

static void test_bad_status_in_idle_is_cleared(void **state)
{
    fx *f = *state;
    scripted_expect_abort(f->s);
    scripted_expect_getstatus(f->s, MPF_DFU_STATUS_ERR_UNKNOWN, 0, MPF_DFU_STATE_IDLE);
    scripted_expect_clrstatus(f->s);
    scripted_expect_getstatus(f->s, MPF_DFU_STATUS_OK, 0, MPF_DFU_STATE_IDLE);
    assert_int_equal(open_it(f), MPF_OK);
    assert_script_complete(f->s);
}

static void test_error_that_will_not_clear_names_the_state(void **state)
{
    fx *f = *state;
    expect_abort_stalled(f);
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
    expect_abort_stalled(f);
    scripted_expect_getstatus(f->s, MPF_DFU_STATUS_OK, 0, MPF_DFU_STATE_APP_IDLE);
    assert_int_equal(open_it(f), MPF_ERR_PROTOCOL);
    assert_script_complete(f->s);
    assert_non_null(strstr(f->err.message, "appIDLE"));
    assert_non_null(strstr(f->err.message, "detached first"));
}

/* A device that answers ABORT while an operation is running (and so did
 * not drop it) is waited for, not interrupted. */
static void test_busy_device_is_waited_for_then_aborted(void **state)
{
    fx *f = *state;
    scripted_expect_abort(f->s);
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

static void test_usb_error_on_abort_keeps_its_code(void **state)
{
    const mpf_err codes[] = {MPF_ERR_USB_TIMEOUT, MPF_ERR_USB_DISCONNECTED, MPF_ERR_USB};
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
        fx *f = *state;
        scripted_expect_abort(f->s);
        scripted_then_fail(f->s, codes[i]);
        assert_int_equal(open_it(f), codes[i]);
        assert_script_complete(f->s);
        assert_int_equal(f->err.code, codes[i]);
        assert_non_null(strstr(f->err.message, "connect: ABORT: "));
        assert_int_equal(mpf_dfu_stats_total(&f->d.stats), 1);
        engine_fx_teardown(state);
        assert_int_equal(engine_fx_setup(state), 0);
    }
}

static void test_usb_error_on_status_keeps_its_code(void **state)
{
    fx *f = *state;
    scripted_expect_abort(f->s);
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
    scripted_expect_abort(f->s);
    scripted_expect_in(f->s, MPF_DFU_GETSTATUS, 0, 6, three, sizeof three);
    assert_int_equal(open_it(f), MPF_ERR_PROTOCOL);
    assert_script_complete(f->s);
    assert_non_null(strstr(f->err.message, "GETSTATUS returned 3 bytes"));
}

/* Open an idle device whose functional descriptor says otherwise. */
static void open_idle_as(fx *f, uint16_t dfu_version, uint16_t transfer_size)
{
    engine_fx_expect_start_idle(f);
    scripted_transport(f->s, &f->t);
    f->t.info.func.dfu_version = dfu_version;
    f->t.info.func.transfer_size = transfer_size;
    assert_int_equal(mpf_dfu_open(&f->d, &f->t, &f->cb, &f->err), MPF_OK);
}

static void test_plain_dfu_device_is_not_flashed(void **state)
{
    fx *f = *state;
    open_idle_as(f, 0x0110, 2048);
    assert_false(f->d.dfuse);
    mpf_plan plan;
    memset(&plan, 0, sizeof plan);
    plan.leave = 1;
    plan.leave_address = 0x08000000;
    assert_int_equal(mpf_dfu_flash(&f->d, &plan, &f->err), MPF_ERR_REFUSED);
    assert_non_null(strstr(f->err.message, "0x0110"));
    assert_int_equal(mpf_dfu_stats_total(&f->d.stats), 2); /* the open's ABORT and GETSTATUS */
    assert_script_complete(f->s);
}

/* A device may report any byte: the message keeps the number, so the user
 * can look it up (DFU 1.1 defines states 0-10 and statuses 0x00-0x0F). */
static void test_unknown_state_and_status_keep_their_number(void **state)
{
    fx *f = *state;
    scripted_expect_abort(f->s);
    scripted_expect_getstatus(f->s, 0x3C, 0, 42);
    scripted_expect_clrstatus(f->s);
    scripted_expect_getstatus(f->s, 0x3C, 0, 42);
    assert_int_equal(open_it(f), MPF_ERR_PROTOCOL);
    assert_script_complete(f->s);
    assert_non_null(strstr(f->err.message,
                           "connect: device is in state 42 (unknown) (status 0x3C (unknown))"));
    assert_int_equal(
        capture_count(&f->cap, MPF_LOG_WARN, "reports status 0x3C (unknown) in state 42 (unknown)"),
        1);
}

/* A defined value has its own name; any other is exactly `unknown`. */
static void assert_named(const char *name, int defined, const char *unknown)
{
    assert_non_null(name);
    if (defined)
        assert_null(strstr(name, "unknown"));
    else
        assert_string_equal(name, unknown);
}

static void test_every_state_and_status_byte_has_a_name(void **state)
{
    (void)state;
    for (unsigned v = 0; v <= 255; v++) {
        char want[32];
        snprintf(want, sizeof want, "state %u (unknown)", v);
        assert_named(mpf_dfu_state_name((uint8_t)v), v <= MPF_DFU_STATE_ERROR, want);
        snprintf(want, sizeof want, "status 0x%02X (unknown)", v);
        assert_named(mpf_dfu_status_name((uint8_t)v), v <= MPF_DFU_STATUS_ERR_STALLEDPKT, want);
    }
    assert_string_equal(mpf_dfu_state_name(MPF_DFU_STATE_ERROR), "dfuERROR");
    assert_string_equal(mpf_dfu_status_name(MPF_DFU_STATUS_ERR_STALLEDPKT), "errSTALLEDPKT");
}

/* A set-address or erase is 5 bytes; a device that takes fewer per
 * transfer is refused before any command, by every call that sends one. */
static void test_transfer_size_below_a_command_is_refused_before_any_command(void **state)
{
    fx *f = *state;
    open_idle_as(f, MPF_DFU_VERSION_DFUSE, 4);
    assert_int_equal(mpf_dfu_erase_sector(&f->d, 0, 0x08000000, 0, &f->err), MPF_ERR_PROTOCOL);
    assert_non_null(strstr(f->err.message, "erase of sector at 0x08000000: the device reports "
                                           "wTransferSize 4, less than the 5 bytes"));
    assert_int_equal(mpf_dfu_leave(&f->d, 0x08000000, &f->err), MPF_ERR_PROTOCOL);
    assert_non_null(strstr(f->err.message, "leave at 0x08000000: the device reports "
                                           "wTransferSize 4"));
    assert_false(f->d.left);
    assert_int_equal(mpf_dfu_stats_total(&f->d.stats), 2); /* the open's ABORT and GETSTATUS */
    assert_script_complete(f->s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_idle_device_needs_abort_and_one_getstatus, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rom_error_firmware_is_cleared_quietly, setup, teardown),
        cmocka_unit_test_setup_teardown(test_other_error_is_cleared_with_a_warning, setup, teardown),
        cmocka_unit_test_setup_teardown(test_error_caused_by_our_abort_is_cleared_quietly, setup, teardown),
        cmocka_unit_test_setup_teardown(test_state_left_by_an_ignored_abort_is_aborted_again, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_status_in_idle_is_cleared, setup, teardown),
        cmocka_unit_test_setup_teardown(test_error_that_will_not_clear_names_the_state, setup, teardown),
        cmocka_unit_test_setup_teardown(test_runtime_mode_is_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_busy_device_is_waited_for_then_aborted, setup, teardown),
        cmocka_unit_test_setup_teardown(test_usb_error_on_abort_keeps_its_code, setup, teardown),
        cmocka_unit_test_setup_teardown(test_usb_error_on_status_keeps_its_code, setup, teardown),
        cmocka_unit_test_setup_teardown(test_short_status_reply_is_a_protocol_error, setup, teardown),
        cmocka_unit_test_setup_teardown(test_plain_dfu_device_is_not_flashed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unknown_state_and_status_keep_their_number, setup, teardown),
        cmocka_unit_test_setup_teardown(test_every_state_and_status_byte_has_a_name, setup, teardown),
        cmocka_unit_test_setup_teardown(test_transfer_size_below_a_command_is_refused_before_any_command, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
