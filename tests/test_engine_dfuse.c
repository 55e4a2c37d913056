/* DfuSe commands and the poll loop, against scripted devices: the exact
 * bytes sent, the waits, the request timeouts, and every way a command can
 * fail. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "engine_fixture.h"
#include "table_tests.h"

#define KIB 1024u

/* Steps: 0 open GETSTATUS, 1 select alt, 2 DNLOAD, 3.. GETSTATUS. */
static void test_sector_erase_waits_exactly_the_poll_timeout(void **state)
{
    engine_fx *f = *state;
    engine_fx_open_idle(f);
    scripted_expect_select_alt(f->s, 0);
    scripted_expect_erase(f->s, 0x08020000);
    scripted_expect_busy_idle(f->s, 1037);
    assert_int_equal(mpf_dfu_erase_sector(&f->d, 0, 0x08020000, 128 * KIB, &f->err), MPF_OK);
    assert_script_complete(f->s);
    assert_int_equal(scripted_sleep_count(f->s), 1);
    assert_int_equal(scripted_sleep_at(f->s, 0), 1037);
    assert_int_equal(f->d.stats.slept_ms, 1037);
    assert_int_equal(f->d.stats.erase_sectors, 1);
    assert_int_equal(f->d.stats.set_address, 0);
    assert_int_equal(f->d.stats.requests[MPF_DFU_DNLOAD], 1);
    assert_int_equal(f->d.stats.requests[MPF_DFU_GETSTATUS], 2);
    assert_int_equal(f->d.stats.blocks_down, 0);
    assert_int_equal(f->d.current_alt, 0);
    /* The command itself is short; the polls that carry the erase are long. */
    assert_int_equal(scripted_timeout_at(f->s, 3), MPF_DFU_TIMEOUT_MS);
    assert_int_equal(scripted_timeout_at(f->s, 4), mpf_dfu_erase_timeout_ms(128 * KIB));
    assert_int_equal(scripted_timeout_at(f->s, 5), mpf_dfu_erase_timeout_ms(128 * KIB));
}

static void test_erase_timeouts_cover_twice_the_datasheet_worst_case(void **state)
{
    (void)state;
    /* STM32F4 at x8: 16 KiB 800 ms, 64 KiB 2400 ms, 128 KiB 4000 ms, mass 32 s. */
    assert_true(mpf_dfu_erase_timeout_ms(16 * KIB) >= 2 * 800);
    assert_true(mpf_dfu_erase_timeout_ms(64 * KIB) >= 2 * 2400);
    assert_true(mpf_dfu_erase_timeout_ms(128 * KIB) >= 2 * 4000);
    assert_true(mpf_dfu_erase_timeout_ms(16 * KIB) < mpf_dfu_erase_timeout_ms(128 * KIB));
    assert_true(MPF_DFU_MASS_ERASE_TIMEOUT_MS >= 2 * 32000);
    assert_int_equal(mpf_dfu_erase_timeout_ms(0xFFFFFFFFu), MPF_DFU_MASS_ERASE_TIMEOUT_MS);
}

static void test_mboot_blocks_the_second_getstatus(void **state)
{
    engine_fx *f = *state;
    engine_fx_open_idle(f);
    scripted_expect_select_alt(f->s, 0);
    scripted_expect_erase(f->s, 0x08004000);
    scripted_expect_getstatus(f->s, MPF_DFU_STATUS_OK, 0, MPF_DFU_STATE_DNBUSY);
    scripted_expect_getstatus(f->s, MPF_DFU_STATUS_OK, 0, MPF_DFU_STATE_DNLOAD_IDLE);
    scripted_then_take_ms(f->s, 1900); /* held until the 16 KiB erase is done */
    assert_int_equal(mpf_dfu_erase_sector(&f->d, 0, 0x08004000, 16 * KIB, &f->err), MPF_OK);
    assert_script_complete(f->s);
    assert_int_equal(scripted_sleep_count(f->s), 0);
    assert_int_equal(f->d.stats.slept_ms, 0);
    assert_true(scripted_timeout_at(f->s, 5) > 1900);
}

static void test_mass_erase_sends_the_bare_command_with_the_longest_timeout(void **state)
{
    engine_fx *f = *state;
    engine_fx_open_idle(f);
    scripted_expect_select_alt(f->s, 0);
    scripted_expect_mass_erase(f->s); /* one byte: 0x41 */
    scripted_expect_busy_idle(f->s, 100);
    assert_int_equal(mpf_dfu_mass_erase(&f->d, 0, &f->err), MPF_OK);
    assert_script_complete(f->s);
    assert_int_equal(f->d.stats.mass_erases, 1);
    assert_int_equal(f->d.stats.erase_sectors, 0);
    assert_int_equal(scripted_timeout_at(f->s, 4), MPF_DFU_MASS_ERASE_TIMEOUT_MS);
    assert_int_equal(scripted_timeout_at(f->s, 5), MPF_DFU_MASS_ERASE_TIMEOUT_MS);
}

static void test_absurd_poll_timeout_is_capped_with_a_warning(void **state)
{
    engine_fx *f = *state;
    engine_fx_open_idle(f);
    scripted_expect_select_alt(f->s, 0);
    scripted_expect_erase(f->s, 0x08000000);
    scripted_expect_busy_idle(f->s, 0xFFFFFF);
    assert_int_equal(mpf_dfu_erase_sector(&f->d, 0, 0x08000000, 16 * KIB, &f->err), MPF_OK);
    assert_script_complete(f->s);
    assert_int_equal(scripted_sleep_count(f->s), 1);
    assert_int_equal(scripted_sleep_at(f->s, 0), mpf_dfu_erase_timeout_ms(16 * KIB));
    assert_int_equal(capture_count(&f->cap, MPF_LOG_WARN, "wait 16777215 ms"), 1);
}

static void test_device_busy_forever_is_a_bounded_protocol_error(void **state)
{
    engine_fx *f = *state;
    engine_fx_open_idle(f);
    scripted_expect_select_alt(f->s, 0);
    scripted_expect_mass_erase(f->s);
    /* Capped to 64 s each: busy at 0 s, 64 s, then 128 s = twice the bound. */
    for (int i = 0; i < 3; i++)
        scripted_expect_getstatus(f->s, MPF_DFU_STATUS_OK, 0xFFFFFF, MPF_DFU_STATE_DNBUSY);
    assert_int_equal(mpf_dfu_mass_erase(&f->d, 0, &f->err), MPF_ERR_PROTOCOL);
    assert_script_complete(f->s);
    assert_string_equal(f->err.message,
                        "device stayed in dfuDNBUSY for 128000 ms (3 polls) after mass erase; "
                        "gave up at twice the 64000 ms it may take");
    assert_int_equal(f->d.stats.slept_ms, 128000);
    assert_int_equal(capture_count(&f->cap, MPF_LOG_WARN, ""), 1); /* warned once */
}

static void test_busy_with_zero_poll_timeout_backs_off_and_gives_up(void **state)
{
    engine_fx *f = *state;
    engine_fx_open_idle(f);
    scripted_expect_select_alt(f->s, 0);
    scripted_expect_erase(f->s, 0x08000000);
    for (int i = 0; i < 1000; i++)
        scripted_expect_getstatus(f->s, MPF_DFU_STATUS_OK, 0, MPF_DFU_STATE_DNBUSY);
    assert_int_equal(mpf_dfu_erase_sector(&f->d, 0, 0x08000000, 16 * KIB, &f->err),
                     MPF_ERR_PROTOCOL);
    assert_non_null(strstr(f->err.message, "device stayed in dfuDNBUSY for "));
    assert_non_null(strstr(f->err.message, "after erase of sector at 0x08000000"));
    /* Never a busy loop: every poll after the first waited, doubling up to
     * 64 ms, and it stopped once twice the erase bound had passed. */
    const uint32_t budget = 2 * mpf_dfu_erase_timeout_ms(16 * KIB);
    size_t n = scripted_sleep_count(f->s);
    assert_int_equal(scripted_sleep_at(f->s, 0), 1);
    assert_int_equal(scripted_sleep_at(f->s, 6), 64);
    for (size_t i = 0; i < n; i++)
        assert_true(scripted_sleep_at(f->s, i) >= 1 && scripted_sleep_at(f->s, i) <= 64);
    assert_true(scripted_slept_ms(f->s) >= budget);
    assert_true(scripted_slept_ms(f->s) < budget + 64);
    /* Polls: the first (no wait asked), one after each wait, and none more. */
    assert_int_equal(f->d.stats.requests[MPF_DFU_GETSTATUS], n + 2);
    assert_true(n < 100);
}

/* ---- a sector erase that fails -------------------------------------------- */

/* A GETSTATUS answer, or the transport's failure in its place. */
typedef struct poll_reply {
    uint8_t status;
    uint32_t poll_ms;
    uint8_t state;
    mpf_err fail;
} poll_reply;

#define REPLY(status, poll_ms, state)                                                              \
    {MPF_DFU_STATUS_##status, (poll_ms), MPF_DFU_STATE_##state, MPF_OK}

/* The erase of one sector of alt 0 on an open device; none is retried, and
 * nothing (no CLRSTATUS) is sent after the failure. */
typedef struct erase_failure {
    const char *name;
    uint32_t address, size;
    mpf_err command_fails; /* the erase DNLOAD itself */
    poll_reply replies[2];
    size_t reply_count;
    mpf_err result;
    const char *message;  /* the whole error message, or NULL */
    const char *parts[3]; /* parts of it */
} erase_failure;

static const erase_failure erase_failures[] = {
    {"erase_error_status_is_a_sentence_and_stops", 0x08020000, 128 * KIB, MPF_OK,
     {REPLY(OK, 20, DNBUSY), REPLY(ERR_ERASE, 0, ERROR)}, 2, MPF_ERR_DEVICE_STATUS, NULL,
     {"erase of sector at 0x08020000 failed: errERASE (dfuERROR)"}},
    {"error_state_without_a_status_is_still_an_error", 0x08008000, 16 * KIB, MPF_OK,
     {REPLY(OK, 0, DNBUSY), REPLY(OK, 0, ERROR)}, 2, MPF_ERR_DEVICE_STATUS,
     "erase of sector at 0x08008000 failed: the device entered dfuERROR without a reason "
     "(bStatus OK)",
     {NULL}},
    {"read_protection_points_to_unprotect_and_never_sends_it", 0x08000000, 16 * KIB, MPF_OK,
     {REPLY(ERR_VENDOR, 0, ERROR)}, 1, MPF_ERR_DEVICE_STATUS, NULL,
     {"failed: errVENDOR (dfuERROR)", "read-protected", "mpf_dfu_read_unprotect"}},
    {"stalled_command_asks_the_device_why", 0x08020000, 128 * KIB, MPF_ERR_USB_STALL,
     {REPLY(ERR_STALLEDPKT, 0, ERROR)}, 1, MPF_ERR_USB_STALL, NULL,
     {"erase of sector at 0x08020000: DNLOAD: ", "(device then reported errSTALLEDPKT, dfuERROR)"}},
    {"timeout_while_erasing_keeps_the_usb_code", 0x08020000, 128 * KIB, MPF_OK,
     {REPLY(OK, 0, DNBUSY), {MPF_DFU_STATUS_OK, 0, MPF_DFU_STATE_DNLOAD_IDLE, MPF_ERR_USB_TIMEOUT}},
     2, MPF_ERR_USB_TIMEOUT, NULL, {"erase of sector at 0x08020000: GETSTATUS: "}},
    {"wrong_state_after_a_command_is_a_protocol_error", 0x08000000, 16 * KIB, MPF_OK,
     {REPLY(OK, 0, IDLE)}, 1, MPF_ERR_PROTOCOL,
     "after erase of sector at 0x08000000 the device is in dfuIDLE, expected dfuDNLOAD-IDLE",
     {NULL}},
};

static void run_erase_failure(void **state)
{
    const erase_failure *c = *state;
    engine_fx *f = engine_fx_new(2048);
    engine_fx_open_idle(f);
    scripted_expect_select_alt(f->s, 0);
    scripted_expect_erase(f->s, c->address);
    if (c->command_fails != MPF_OK)
        scripted_then_fail(f->s, c->command_fails);
    for (size_t i = 0; i < c->reply_count; i++) {
        const poll_reply *r = &c->replies[i];
        scripted_expect_getstatus(f->s, r->status, r->poll_ms, r->state);
        if (r->fail != MPF_OK)
            scripted_then_fail(f->s, r->fail);
    }
    assert_int_equal(mpf_dfu_erase_sector(&f->d, 0, c->address, c->size, &f->err), c->result);
    assert_script_complete(f->s);
    assert_int_equal(f->err.code, c->result);
    if (c->message)
        assert_string_equal(f->err.message, c->message);
    engine_fx_assert_message_has(f, c->parts, TABLE_LEN(c->parts));
    assert_int_equal(f->d.stats.requests[MPF_DFU_DNLOAD], 1);
    engine_fx_delete(f);
}

static void test_alt_is_selected_only_when_it_changes(void **state)
{
    engine_fx *f = *state;
    engine_fx_open_idle(f);
    scripted_expect_select_alt(f->s, 1);
    scripted_expect_erase(f->s, 0x1FFFC000);
    scripted_expect_busy_idle(f->s, 5);
    scripted_expect_erase(f->s, 0x1FFFC000);
    scripted_expect_busy_idle(f->s, 5);
    scripted_expect_select_alt(f->s, 0);
    scripted_expect_erase(f->s, 0x08000000);
    scripted_expect_busy_idle(f->s, 5);
    assert_int_equal(mpf_dfu_erase_sector(&f->d, 1, 0x1FFFC000, 16 * KIB, &f->err), MPF_OK);
    assert_int_equal(mpf_dfu_erase_sector(&f->d, 1, 0x1FFFC000, 16 * KIB, &f->err), MPF_OK);
    assert_int_equal(mpf_dfu_erase_sector(&f->d, 0, 0x08000000, 16 * KIB, &f->err), MPF_OK);
    assert_script_complete(f->s);
}

static void test_failed_alt_selection_names_the_alt(void **state)
{
    engine_fx *f = *state;
    engine_fx_open_idle(f);
    scripted_expect_select_alt(f->s, 3);
    scripted_then_fail(f->s, MPF_ERR_USB_STALL);
    assert_int_equal(mpf_dfu_mass_erase(&f->d, 3, &f->err), MPF_ERR_USB_STALL);
    assert_script_complete(f->s);
    assert_non_null(strstr(f->err.message, "selecting alt setting 3: "));
    assert_int_equal(f->d.current_alt, -1);
}

/* The read-unprotect command is one byte, 0x92, on alt 0. */
static void open_and_expect_read_unprotect(engine_fx *f)
{
    const uint8_t cmd = 0x92;
    engine_fx_open_idle(f);
    scripted_expect_select_alt(f->s, 0);
    scripted_expect_dnload(f->s, 0, &cmd, 1);
}

static void test_read_unprotect_treats_the_reset_as_success(void **state)
{
    engine_fx *f = *state;
    open_and_expect_read_unprotect(f);
    scripted_expect_getstatus(f->s, MPF_DFU_STATUS_OK, 50, MPF_DFU_STATE_DNBUSY);
    scripted_expect_getstatus(f->s, MPF_DFU_STATUS_OK, 0, MPF_DFU_STATE_DNLOAD_IDLE);
    scripted_then_fail(f->s, MPF_ERR_USB_DISCONNECTED);
    assert_int_equal(mpf_dfu_read_unprotect(&f->d, &f->err), MPF_OK);
    assert_script_complete(f->s);
    assert_true(f->d.left);
    assert_int_equal(scripted_timeout_at(f->s, 4), MPF_DFU_MASS_ERASE_TIMEOUT_MS);
    assert_int_equal(capture_count(&f->cap, MPF_LOG_WARN, "erases all of its flash"), 1);
}

static void test_read_unprotect_refused_by_rdp2_is_an_error(void **state)
{
    engine_fx *f = *state;
    open_and_expect_read_unprotect(f);
    scripted_expect_getstatus(f->s, MPF_DFU_STATUS_ERR_TARGET, 0, MPF_DFU_STATE_ERROR);
    assert_int_equal(mpf_dfu_read_unprotect(&f->d, &f->err), MPF_ERR_DEVICE_STATUS);
    assert_script_complete(f->s);
    assert_false(f->d.left);
    assert_non_null(strstr(f->err.message, "read unprotect failed: errTARGET (dfuERROR)"));
}

static void test_get_status_decodes_the_24_bit_poll_timeout(void **state)
{
    engine_fx *f = *state;
    engine_fx_open_idle(f);
    scripted_expect_getstatus(f->s, MPF_DFU_STATUS_ERR_ADDRESS, 0x123456, MPF_DFU_STATE_ERROR);
    mpf_dfu_status_reply st;
    assert_int_equal(mpf_dfu_get_status(&f->d, &st, &f->err), MPF_OK);
    assert_script_complete(f->s);
    assert_int_equal(st.status, MPF_DFU_STATUS_ERR_ADDRESS);
    assert_int_equal(st.poll_timeout_ms, 0x123456);
    assert_int_equal(st.state, MPF_DFU_STATE_ERROR);
    assert_int_equal(f->d.stats.slept_ms, 0);
}

#define T(name) cmocka_unit_test_setup_teardown(name, engine_fx_setup, engine_fx_teardown)

int main(void)
{
    const struct CMUnitTest fixed[] = {
        T(test_sector_erase_waits_exactly_the_poll_timeout),
        T(test_erase_timeouts_cover_twice_the_datasheet_worst_case),
        T(test_mboot_blocks_the_second_getstatus),
        T(test_mass_erase_sends_the_bare_command_with_the_longest_timeout),
        T(test_absurd_poll_timeout_is_capped_with_a_warning),
        T(test_device_busy_forever_is_a_bounded_protocol_error),
        T(test_busy_with_zero_poll_timeout_backs_off_and_gives_up),
        T(test_alt_is_selected_only_when_it_changes),
        T(test_failed_alt_selection_names_the_alt),
        T(test_read_unprotect_treats_the_reset_as_success),
        T(test_read_unprotect_refused_by_rdp2_is_an_error),
        T(test_get_status_decodes_the_24_bit_poll_timeout),
    };
    const test_table tables[] = {TEST_TABLE(erase_failures, run_erase_failure)};
    return run_tests_and_tables("engine_dfuse", fixed, TABLE_LEN(fixed), tables, TABLE_LEN(tables));
}
