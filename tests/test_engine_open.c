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
#include "table_tests.h"

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

/* ---- start-up scripts ------------------------------------------------------ */

enum { START_ABORT = 1, START_STATUS, START_CLEAR };

/* One request of the start-up and the device's answer. */
typedef struct start_step {
    int kind; /* 0 ends the script */
    uint8_t status, state; /* START_STATUS's reply */
    mpf_err fail;          /* the transport's result instead of the reply */
} start_step;

#define ABORT {START_ABORT, 0, 0, MPF_OK}
/* A device in dfuERROR refuses ABORT with a stall; its first status must
 * still be the one it had, and be cleared the usual way. */
#define ABORT_STALLS {START_ABORT, 0, 0, MPF_ERR_USB_STALL}
#define ABORT_FAILS(code) {START_ABORT, 0, 0, (code)}
#define STATUS(status, state) {START_STATUS, MPF_DFU_STATUS_##status, MPF_DFU_STATE_##state, MPF_OK}
#define CLEAR {START_CLEAR, 0, 0, MPF_OK}
#define IDLE STATUS(OK, IDLE)

typedef struct start_case {
    const char *name;
    start_step script[6];
    mpf_err result;
    const char *message[2]; /* parts of the error message */
    log_want logs[3];
} start_case;

static const start_case start_cases[] = {
    {"rom_error_firmware_is_cleared_quietly",
     {ABORT_STALLS, STATUS(ERR_FIRMWARE, ERROR), CLEAR, IDLE},
     MPF_OK,
     {NULL},
     {{MPF_LOG_INFO, "errFIRMWARE", 1}, {MPF_LOG_WARN, "", 0}, {MPF_LOG_ERROR, "", 0}}},
    {"other_error_is_cleared_with_a_warning",
     {ABORT_STALLS, STATUS(ERR_ERASE, ERROR), CLEAR, IDLE},
     MPF_OK,
     {NULL},
     {{MPF_LOG_WARN, "errERASE", 1}}},
    /* A strict DFU 1.1 device stalls ABORT in dfuDNLOAD-SYNC: the stall that
     * our own request caused is cleared without alarming anyone. */
    {"error_caused_by_our_abort_is_cleared_quietly",
     {ABORT_STALLS, STATUS(ERR_STALLEDPKT, ERROR), CLEAR, IDLE},
     MPF_OK,
     {NULL},
     {{MPF_LOG_WARN, "", 0}, {MPF_LOG_INFO, "", 0}, {MPF_LOG_DEBUG, "our start-up ABORT", 1}}},
    /* A device that ignores ABORT and is still in dfuDNLOAD-IDLE or
     * dfuUPLOAD-IDLE gets a second one after its status is known. */
    {"dnload_idle_left_by_an_ignored_abort_is_aborted_again",
     {ABORT, STATUS(OK, DNLOAD_IDLE), ABORT, IDLE},
     MPF_OK,
     {NULL},
     {{0}}},
    {"upload_idle_left_by_an_ignored_abort_is_aborted_again",
     {ABORT, STATUS(OK, UPLOAD_IDLE), ABORT, IDLE},
     MPF_OK,
     {NULL},
     {{0}}},
    {"bad_status_in_idle_is_cleared",
     {ABORT, STATUS(ERR_UNKNOWN, IDLE), CLEAR, IDLE},
     MPF_OK,
     {NULL},
     {{0}}},
    {"error_that_will_not_clear_names_the_state",
     {ABORT_STALLS, STATUS(ERR_FIRMWARE, ERROR), CLEAR, STATUS(ERR_FIRMWARE, ERROR)},
     MPF_ERR_PROTOCOL,
     {"device is in dfuERROR (errFIRMWARE)", "expected dfuIDLE"},
     {{0}}},
    {"runtime_mode_is_refused",
     {ABORT_STALLS, STATUS(OK, APP_IDLE)},
     MPF_ERR_PROTOCOL,
     {"appIDLE", "detached first"},
     {{0}}},
    {"usb_timeout_on_abort_keeps_its_code",
     {ABORT_FAILS(MPF_ERR_USB_TIMEOUT)},
     MPF_ERR_USB_TIMEOUT,
     {"connect: ABORT: "},
     {{0}}},
    {"usb_disconnect_on_abort_keeps_its_code",
     {ABORT_FAILS(MPF_ERR_USB_DISCONNECTED)},
     MPF_ERR_USB_DISCONNECTED,
     {"connect: ABORT: "},
     {{0}}},
    {"usb_error_on_abort_keeps_its_code",
     {ABORT_FAILS(MPF_ERR_USB)},
     MPF_ERR_USB,
     {"connect: ABORT: "},
     {{0}}},
    {"usb_error_on_status_keeps_its_code",
     {ABORT, {START_STATUS, MPF_DFU_STATUS_OK, MPF_DFU_STATE_IDLE, MPF_ERR_USB_TIMEOUT}},
     MPF_ERR_USB_TIMEOUT,
     {"connect: GETSTATUS: "},
     {{0}}},
    /* A device may report any byte: the message keeps the number, so the user
     * can look it up (DFU 1.1 defines states 0-10 and statuses 0x00-0x0F). */
    {"unknown_state_and_status_keep_their_number",
     {ABORT, {START_STATUS, 0x3C, 42, MPF_OK}, CLEAR, {START_STATUS, 0x3C, 42, MPF_OK}},
     MPF_ERR_PROTOCOL,
     {"connect: device is in state 42 (unknown) (status 0x3C (unknown))"},
     {{MPF_LOG_WARN, "reports status 0x3C (unknown) in state 42 (unknown)", 1}}},
};

/* Every request the script holds is sent once, failed or not. */
static void run_start_case(void **state)
{
    const start_case *c = *state;
    engine_fx *f = engine_fx_new(2048);
    size_t sent[4] = {0}, steps = 0;
    for (const start_step *st = c->script; st->kind; st++, steps++) {
        sent[st->kind]++;
        if (st->kind == START_ABORT)
            scripted_expect_abort(f->s);
        else if (st->kind == START_CLEAR)
            scripted_expect_clrstatus(f->s);
        else
            scripted_expect_getstatus(f->s, st->status, 0, st->state);
        if (st->fail != MPF_OK)
            scripted_then_fail(f->s, st->fail);
    }
    assert_int_equal(open_it(f), c->result);
    assert_script_complete(f->s);
    assert_int_equal(f->err.code, c->result);
    engine_fx_assert_message_has(f, c->message, TABLE_LEN(c->message));
    engine_fx_assert_logs(f, c->logs, TABLE_LEN(c->logs));
    assert_int_equal(f->d.stats.requests[MPF_DFU_ABORT], sent[START_ABORT]);
    assert_int_equal(f->d.stats.requests[MPF_DFU_GETSTATUS], sent[START_STATUS]);
    assert_int_equal(f->d.stats.requests[MPF_DFU_CLRSTATUS], sent[START_CLEAR]);
    assert_int_equal(mpf_dfu_stats_total(&f->d.stats), steps);
    engine_fx_delete(f);
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
    const struct CMUnitTest fixed[] = {
        cmocka_unit_test_setup_teardown(test_idle_device_needs_abort_and_one_getstatus, setup, teardown),
        cmocka_unit_test_setup_teardown(test_busy_device_is_waited_for_then_aborted, setup, teardown),
        cmocka_unit_test_setup_teardown(test_short_status_reply_is_a_protocol_error, setup, teardown),
        cmocka_unit_test_setup_teardown(test_plain_dfu_device_is_not_flashed, setup, teardown),
        cmocka_unit_test(test_every_state_and_status_byte_has_a_name),
        cmocka_unit_test_setup_teardown(test_transfer_size_below_a_command_is_refused_before_any_command, setup, teardown),
    };
    const test_table tables[] = {TEST_TABLE(start_cases, run_start_case)};
    return run_tests_and_tables("engine_open", fixed, TABLE_LEN(fixed), tables, TABLE_LEN(tables));
}
