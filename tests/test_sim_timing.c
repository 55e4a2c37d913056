/* The virtual clock: modelled erase/program/USB time to the microsecond,
 * bwPollTimeout, requests that come early or have to wait, mboot's
 * blocking GETSTATUS. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "test_sim_helpers.h"

#define K 1024u

static uint64_t usb(uint64_t bytes)
{
    return mpf_timing_usb_us(tm(), bytes);
}

static uint64_t now(simt *s)
{
    uint64_t t = s->t.ops->now_us(s->t.ctx);
    assert_int_equal(t, mpf_sim_clock_us(s->sim));
    return t;
}

/* A GETSTATUS sent straight after the one that started the erase waits for
 * the erase: the clock moves by exactly the erase time. */
static void test_sector_erase_time(void **state)
{
    (void)state;
    simt s;
    simt_open(&s, "f405");
    uint64_t t0 = now(&s);
    assert_int_equal(t_erase(&s, 0x08020000), MPF_OK);
    assert_int_equal(now(&s) - t0, usb(5));
    uint64_t erase = mpf_timing_erase_us(tm(), 128 * K);
    expect_status(&s, MPF_DFU_STATE_DNBUSY, 0, (uint32_t)((erase + 999) / 1000));
    uint64_t t1 = now(&s);
    assert_int_equal(t1 - t0, usb(5) + usb(6));
    expect_status(&s, MPF_DFU_STATE_DNLOAD_IDLE, 0, 0);
    assert_int_equal(now(&s) - t1, erase + usb(6));
    assert_int_equal(mpf_sim_early_count(s.sim), 1);
    assert_int_equal(mpf_sim_blocked_count(s.sim), 1);
    assert_int_equal(mpf_sim_device_busy_us(s.sim), erase);
    simt_close(&s);
}

/* A host that sleeps the reported bwPollTimeout is neither early nor kept
 * waiting. */
static void test_waiting_as_told_is_not_early(void **state)
{
    (void)state;
    simt s;
    simt_open(&s, "f401");
    uint64_t t0 = now(&s);
    rom_erase(&s, 0x08004000, 16 * K);
    uint32_t poll = poll_ms_for(mpf_timing_erase_us(tm(), 16 * K));
    assert_int_equal(poll, 251); /* 143 ms + 16 x 6.7 ms = 250.2 ms, rounded up */
    assert_int_equal(now(&s) - t0, usb(5) + usb(6) + (uint64_t)poll * 1000 + usb(6));
    assert_int_equal(mpf_sim_early_count(s.sim), 0);
    assert_int_equal(mpf_sim_blocked_count(s.sim), 0);
    simt_close(&s);
}

static void test_program_time(void **state)
{
    (void)state;
    simt s;
    simt_open(&s, "f405");
    rom_set_address(&s, 0x08010000);
    static uint8_t block[2048];
    fill_pattern(block, sizeof block, 3);
    uint64_t t0 = now(&s);
    assert_int_equal(t_dnload(&s, 2, block, 2048), MPF_OK);
    uint64_t program = mpf_timing_program_us(tm(), 2048);
    assert_int_equal(program, 8192);
    expect_status(&s, MPF_DFU_STATE_DNBUSY, 0, 9);
    expect_status(&s, MPF_DFU_STATE_DNLOAD_IDLE, 0, 0);
    assert_int_equal(now(&s) - t0, usb(2048) + usb(6) + program + usb(6));
    assert_int_equal(usb(2048), tm()->usb_request_us + 32 * tm()->usb_us_per_packet);
    simt_close(&s);
}

static void test_mass_erase_time(void **state)
{
    (void)state;
    simt s;
    simt_open(&s, "f407");
    assert_int_equal(t_cmd1(&s, MPF_DFUSE_CMD_ERASE), MPF_OK);
    expect_status(&s, MPF_DFU_STATE_DNBUSY, 0, poll_ms_for(tm()->mass_erase_us));
    uint64_t t1 = now(&s);
    expect_status(&s, MPF_DFU_STATE_DNLOAD_IDLE, 0, 0);
    assert_int_equal(now(&s) - t1, tm()->mass_erase_us + usb(6));
    simt_close(&s);

    /* mboot erases sector by sector: 2 x 16K skipped (itself), 2 x 16K,
     * 64K, 7 x 128K. */
    simt_open(&s, "mboot");
    assert_int_equal(t_cmd1(&s, MPF_DFUSE_CMD_ERASE), MPF_OK);
    expect_status(&s, MPF_DFU_STATE_DNBUSY, 0, 0);
    t1 = now(&s);
    expect_status(&s, MPF_DFU_STATE_DNLOAD_IDLE, 0, 0);
    uint64_t want = 2 * mpf_timing_erase_us(tm(), 16 * K) + mpf_timing_erase_us(tm(), 64 * K) +
                    7 * mpf_timing_erase_us(tm(), 128 * K);
    assert_int_equal(now(&s) - t1, want + usb(6));
    assert_int_equal(mpf_sim_erase_count(s.sim), 10);
    simt_close(&s);
}

/* mboot says bwPollTimeout 0 and holds the next request instead. */
static void test_mboot_blocks_next_request(void **state)
{
    (void)state;
    simt s;
    simt_open(&s, "mboot");
    uint64_t erase = mpf_timing_erase_us(tm(), 128 * K);
    assert_int_equal(t_erase(&s, 0x08020000), MPF_OK);
    expect_status(&s, MPF_DFU_STATE_DNBUSY, 0, 0);
    uint64_t t1 = now(&s);

    /* a 100 ms timeout gives up first */
    mpf_dfu_status_reply r = { 0 };
    assert_int_equal(t_getstatus_to(&s, &r, 100), MPF_ERR_USB_TIMEOUT);
    assert_int_equal(s.err.code, MPF_ERR_USB_TIMEOUT);
    assert_int_equal(now(&s) - t1, 100000);
    assert_int_equal(mpf_sim_state(s.sim), MPF_DFU_STATE_DNBUSY);
    const mpf_sim_request *lost = mpf_sim_request_at(s.sim, mpf_sim_request_count(s.sim) - 1);
    assert_int_equal(lost->op, MPF_SIM_OP_GETSTATUS);
    assert_int_equal(lost->result, MPF_ERR_USB_TIMEOUT);

    /* a long one completes when the erase does */
    assert_int_equal(t_getstatus_to(&s, &r, 5000), MPF_OK);
    assert_int_equal(r.state, MPF_DFU_STATE_DNLOAD_IDLE);
    assert_int_equal(r.status, 0);
    assert_int_equal(now(&s) - t1, erase + usb(6));
    assert_int_equal(mpf_sim_early_count(s.sim), 0);
    assert_int_equal(mpf_sim_blocked_count(s.sim), 2);
    assert_int_equal(mpf_sim_erase_count(s.sim), 1);
    simt_close(&s);
}

/* A timeout of exactly the remaining time is enough. */
static void test_timeout_boundary(void **state)
{
    (void)state;
    simt s;
    simt_open(&s, "mboot");
    assert_int_equal(t_erase(&s, 0x08010000), MPF_OK); /* 64K */
    expect_status(&s, MPF_DFU_STATE_DNBUSY, 0, 0);
    uint64_t erase = mpf_timing_erase_us(tm(), 64 * K);
    assert_int_equal(erase % 1000, 800); /* 571.8 ms */
    t_sleep(&s, 71);
    uint8_t st = 0;
    /* 500.8 ms left: 500 ms is short, 501 is enough */
    size_t got;
    assert_int_equal(t_in(&s, MPF_DFU_GETSTATE, 0, &st, 1, &got, 500), MPF_ERR_USB_TIMEOUT);
    simt_close(&s);

    simt_open(&s, "mboot");
    assert_int_equal(t_erase(&s, 0x08010000), MPF_OK);
    expect_status(&s, MPF_DFU_STATE_DNBUSY, 0, 0);
    t_sleep(&s, 71);
    assert_int_equal(t_in(&s, MPF_DFU_GETSTATE, 0, &st, 1, &got, 501), MPF_OK);
    assert_int_equal(st, MPF_DFU_STATE_DNLOAD_IDLE);
    simt_close(&s);
}

static void test_early_request_on_rom(void **state)
{
    (void)state;
    simt s;
    simt_open(&s, "f405");
    assert_int_equal(t_erase(&s, 0x08000000), MPF_OK);
    uint32_t poll = poll_ms_for(mpf_timing_erase_us(tm(), 16 * K));
    expect_status(&s, MPF_DFU_STATE_DNBUSY, 0, poll);
    t_sleep(&s, poll / 2);
    uint8_t st = 0;
    assert_int_equal(t_getstate(&s, &st), MPF_OK);
    assert_int_equal(st, MPF_DFU_STATE_DNLOAD_SYNC);
    assert_int_equal(mpf_sim_early_count(s.sim), 1);
    assert_int_equal(mpf_sim_blocked_count(s.sim), 1);
    /* the erase is over now: no more early requests */
    expect_status(&s, MPF_DFU_STATE_DNLOAD_IDLE, 0, 0);
    assert_int_equal(mpf_sim_early_count(s.sim), 1);
    mpf_sim_clear_log(s.sim);
    assert_int_equal(mpf_sim_early_count(s.sim), 0);
    assert_int_equal(mpf_sim_blocked_count(s.sim), 0);
    simt_close(&s);
}

/* Overrides change what the device says, not what it does. */
static void test_poll_timeout_override(void **state)
{
    (void)state;
    simt s;
    simt_open(&s, "f405");
    mpf_sim_set_poll_timeout(s.sim, 0);
    assert_int_equal(t_erase(&s, 0x08000000), MPF_OK);
    expect_status(&s, MPF_DFU_STATE_DNBUSY, 0, 0);
    expect_status(&s, MPF_DFU_STATE_DNLOAD_IDLE, 0, 0);
    assert_int_equal(mpf_sim_early_count(s.sim), 0);
    assert_int_equal(mpf_sim_blocked_count(s.sim), 1);

    mpf_sim_set_poll_timeout(s.sim, 5000);
    assert_int_equal(t_erase(&s, 0x08004000), MPF_OK);
    expect_status(&s, MPF_DFU_STATE_DNBUSY, 0, 5000);
    t_sleep(&s, 1000); /* the erase is over, the reported time is not */
    expect_status(&s, MPF_DFU_STATE_DNLOAD_IDLE, 0, 0);
    assert_int_equal(mpf_sim_early_count(s.sim), 1);
    assert_int_equal(mpf_sim_blocked_count(s.sim), 1);

    mpf_sim_set_poll_timeout(s.sim, 0x7FFFFFFF); /* clamped to 24 bits */
    assert_int_equal(t_erase(&s, 0x08008000), MPF_OK);
    expect_status(&s, MPF_DFU_STATE_DNBUSY, 0, 0xFFFFFF);
    mpf_sim_set_poll_timeout(s.sim, -1);
    t_sleep(&s, 0xFFFFFF);
    expect_status(&s, MPF_DFU_STATE_DNLOAD_IDLE, 0, 0);
    assert_int_equal(t_erase(&s, 0x0800C000), MPF_OK);
    expect_status(&s, MPF_DFU_STATE_DNBUSY, 0, poll_ms_for(mpf_timing_erase_us(tm(), 16 * K)));
    simt_close(&s);
}

static void test_timing_off(void **state)
{
    (void)state;
    simt s;
    simt_open(&s, "f405");
    mpf_sim_set_timing(s.sim, 0);
    assert_int_equal(t_erase(&s, 0x08020000), MPF_OK);
    expect_status(&s, MPF_DFU_STATE_DNBUSY, 0, 0);
    expect_status(&s, MPF_DFU_STATE_DNLOAD_IDLE, 0, 0);
    assert_int_equal(now(&s), 0);
    assert_int_equal(mpf_sim_blocked_count(s.sim), 0);
    assert_int_equal(mpf_sim_erase_count(s.sim), 1);
    t_sleep(&s, 7);
    assert_int_equal(now(&s), 7000);
    simt_close(&s);
}

static void test_upload_costs_only_usb(void **state)
{
    (void)state;
    simt s;
    simt_open(&s, "f405");
    uint64_t t0 = now(&s);
    static uint8_t buf[2048];
    size_t got = 0;
    assert_int_equal(t_upload(&s, 2, buf, 2048, &got), MPF_OK);
    assert_int_equal(now(&s) - t0, usb(2048));
    assert_int_equal(t_upload(&s, 0, buf, 2048, &got), MPF_OK);
    assert_int_equal(got, 4);
    assert_int_equal(now(&s) - t0, usb(2048) + usb(4));
    simt_close(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sector_erase_time),
        cmocka_unit_test(test_waiting_as_told_is_not_early),
        cmocka_unit_test(test_program_time),
        cmocka_unit_test(test_mass_erase_time),
        cmocka_unit_test(test_mboot_blocks_next_request),
        cmocka_unit_test(test_timeout_boundary),
        cmocka_unit_test(test_early_request_on_rom),
        cmocka_unit_test(test_poll_timeout_override),
        cmocka_unit_test(test_timing_off),
        cmocka_unit_test(test_upload_costs_only_usb),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
