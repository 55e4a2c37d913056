/* Fault injection and recovery: stalls, timeouts, disconnects, forced
 * statuses, starting in dfuERROR, replugging. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "test_sim_helpers.h"

static void add(simt *s, mpf_sim_fault_kind kind, mpf_sim_op op, unsigned nth, uint8_t status)
{
    mpf_sim_fault f = { .kind = kind, .op = op, .nth = nth, .status = status };
    assert_int_equal(mpf_sim_add_fault(s->sim, &f, &s->err), MPF_OK);
}

static void test_add_fault_validates(void **state)
{
    (void)state;
    simt s;
    simt_open(&s, "f405");
    mpf_sim_fault f = { .kind = MPF_SIM_FAULT_STALL, .op = MPF_SIM_OP_ANY, .nth = 0 };
    assert_int_equal(mpf_sim_add_fault(s.sim, &f, &s.err), MPF_ERR_USAGE);
    f.nth = 1;
    f.op = (mpf_sim_op)99;
    assert_int_equal(mpf_sim_add_fault(s.sim, &f, &s.err), MPF_ERR_USAGE);
    f.op = MPF_SIM_OP_ANY;
    f.kind = (mpf_sim_fault_kind)99;
    assert_int_equal(mpf_sim_add_fault(s.sim, &f, &s.err), MPF_ERR_USAGE);
    assert_int_equal(mpf_sim_add_fault(s.sim, NULL, &s.err), MPF_ERR_USAGE);
    simt_close(&s);
}

static void test_stall_fault(void **state)
{
    (void)state;
    simt s;
    simt_open(&s, "f405");
    add(&s, MPF_SIM_FAULT_STALL, MPF_SIM_OP_GETSTATUS, 2, 0);
    expect_status(&s, MPF_DFU_STATE_IDLE, 0, 0); /* 1st: fine */
    mpf_dfu_status_reply r = { 0 };
    assert_int_equal(t_getstatus(&s, &r), MPF_ERR_USB_STALL); /* 2nd */
    assert_int_equal(mpf_sim_state(s.sim), MPF_DFU_STATE_ERROR);
    assert_int_equal(mpf_sim_status(s.sim), MPF_DFU_STATUS_ERR_STALLEDPKT);
    expect_status(&s, MPF_DFU_STATE_ERROR, MPF_DFU_STATUS_ERR_STALLEDPKT, 0); /* until CLRSTATUS */
    assert_int_equal(t_clrstatus(&s), MPF_OK);
    expect_status(&s, MPF_DFU_STATE_IDLE, 0, 0);
    simt_close(&s);
}

/* A stall drops the DNLOAD that was waiting for its GETSTATUS. */
static void test_stall_drops_stored_block(void **state)
{
    (void)state;
    simt s;
    simt_open(&s, "f405");
    add(&s, MPF_SIM_FAULT_STALL, MPF_SIM_OP_GETSTATUS, 1, 0);
    assert_int_equal(t_erase(&s, 0x08000000), MPF_OK);
    uint8_t before[4] = { 0, 0, 0, 0 };
    assert_int_equal(mpf_sim_poke(s.sim, 0x08000000, before, 4), 0);
    mpf_dfu_status_reply r = { 0 };
    assert_int_equal(t_getstatus(&s, &r), MPF_ERR_USB_STALL);
    assert_int_equal(t_clrstatus(&s), MPF_OK);
    expect_status(&s, MPF_DFU_STATE_IDLE, 0, 0);
    assert_int_equal(mpf_sim_erase_count(s.sim), 0);
    uint8_t back[4];
    assert_int_equal(mpf_sim_peek(s.sim, 0x08000000, back, 4), 0);
    assert_memory_equal(back, before, 4);
    simt_close(&s);
}

static void test_timeout_fault(void **state)
{
    (void)state;
    simt s;
    simt_open(&s, "f405");
    rom_erase(&s, 0x08020000, 128 * 1024);
    rom_set_address(&s, 0x08020000);
    add(&s, MPF_SIM_FAULT_TIMEOUT, MPF_SIM_OP_WRITE, 1, 0);
    uint8_t data[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
    uint64_t t0 = mpf_sim_clock_us(s.sim);
    assert_int_equal(t_out(&s, MPF_DFU_DNLOAD, 2, data, 8, 1234), MPF_ERR_USB_TIMEOUT);
    assert_int_equal(mpf_sim_clock_us(s.sim) - t0, 1234000);
    /* lost: the device is where it was and nothing was written */
    assert_int_equal(mpf_sim_state(s.sim), MPF_DFU_STATE_DNLOAD_IDLE);
    expect_status(&s, MPF_DFU_STATE_DNLOAD_IDLE, 0, 0);
    uint8_t back[8];
    assert_int_equal(mpf_sim_peek(s.sim, 0x08020000, back, 8), 0);
    for (size_t i = 0; i < 8; i++)
        assert_int_equal(back[i], 0xFF);
    /* the fault fired once: the retry goes through */
    rom_write(&s, 2, data, 8);
    assert_int_equal(mpf_sim_peek(s.sim, 0x08020000, back, 8), 0);
    assert_memory_equal(back, data, 8);
    simt_close(&s);
}

static void test_disconnect_fault_and_replug(void **state)
{
    (void)state;
    simt s;
    simt_open(&s, "f405");
    uint8_t mark[2] = { 0x12, 0x34 };
    assert_int_equal(mpf_sim_poke(s.sim, 0x08000000, mark, 2), 0);
    add(&s, MPF_SIM_FAULT_DISCONNECT, MPF_SIM_OP_ANY, 3, 0);
    add(&s, MPF_SIM_FAULT_STALL, MPF_SIM_OP_ABORT, 1, 0);
    assert_int_equal(t_set_address(&s, 0x08000000), MPF_OK); /* 1 */
    expect_status(&s, MPF_DFU_STATE_DNBUSY, 0, 0);         /* 2 */
    uint8_t st;
    assert_int_equal(t_getstate(&s, &st), MPF_ERR_USB_DISCONNECTED); /* 3 */
    assert_int_equal(s.err.code, MPF_ERR_USB_DISCONNECTED);
    assert_int_equal(mpf_sim_connected(s.sim), 0);
    /* requests to a vanished device do not count towards faults */
    assert_int_equal(t_abort(&s), MPF_ERR_USB_DISCONNECTED);
    assert_int_equal(t_upload(&s, 0, &st, 1, NULL), MPF_ERR_USB_DISCONNECTED);
    assert_int_equal(mpf_sim_has_left(s.sim, NULL), 0);

    mpf_sim_replug(s.sim);
    assert_int_equal(mpf_sim_connected(s.sim), 1);
    assert_int_equal(mpf_sim_state(s.sim), MPF_DFU_STATE_IDLE);
    assert_int_equal(mpf_sim_status(s.sim), MPF_DFU_STATUS_OK);
    uint8_t back[2];
    assert_int_equal(mpf_sim_peek(s.sim, 0x08000000, back, 2), 0);
    assert_memory_equal(back, mark, 2);
    /* faults are kept across the replug: the first ABORT that arrives stalls */
    assert_int_equal(t_abort(&s), MPF_ERR_USB_STALL);
    assert_int_equal(t_clrstatus(&s), MPF_OK);
    assert_int_equal(t_abort(&s), MPF_OK);
    simt_close(&s);
}

static void test_status_fault_on_erase(void **state)
{
    (void)state;
    simt s;
    simt_open(&s, "f405");
    uint8_t zeros[4] = { 0 };
    assert_int_equal(mpf_sim_poke(s.sim, 0x08020000, zeros, 4), 0);
    add(&s, MPF_SIM_FAULT_STATUS, MPF_SIM_OP_ERASE, 1, MPF_DFU_STATUS_ERR_ERASE);
    assert_int_equal(t_erase(&s, 0x08020000), MPF_OK);
    expect_status(&s, MPF_DFU_STATE_ERROR, MPF_DFU_STATUS_ERR_ERASE, 0);
    assert_int_equal(mpf_sim_erase_count(s.sim), 0);
    uint8_t back[4];
    assert_int_equal(mpf_sim_peek(s.sim, 0x08020000, back, 4), 0);
    assert_memory_equal(back, zeros, 4);
    assert_int_equal(mpf_sim_device_busy_us(s.sim), 0);
    assert_int_equal(t_clrstatus(&s), MPF_OK);
    rom_erase(&s, 0x08020000, 128 * 1024);
    assert_int_equal(mpf_sim_erase_count(s.sim), 1);
    simt_close(&s);
}

static void test_status_fault_on_nth_write(void **state)
{
    (void)state;
    simt s;
    simt_open(&s, "f401");
    rom_erase(&s, 0x08010000, 64 * 1024);
    rom_set_address(&s, 0x08010000);
    add(&s, MPF_SIM_FAULT_STATUS, MPF_SIM_OP_WRITE, 2, MPF_DFU_STATUS_ERR_VERIFY);
    uint8_t a[4] = { 1, 1, 1, 1 }, b[4] = { 2, 2, 2, 2 };
    rom_write(&s, 2, a, 4);
    assert_int_equal(t_dnload(&s, 3, b, 4), MPF_OK);
    expect_status(&s, MPF_DFU_STATE_ERROR, MPF_DFU_STATUS_ERR_VERIFY, 0);
    uint8_t back[4];
    assert_int_equal(mpf_sim_peek(s.sim, 0x08010800, back, 4), 0);
    assert_int_equal(back[0], 0xFF);
    assert_int_equal(mpf_sim_peek(s.sim, 0x08010000, back, 4), 0);
    assert_memory_equal(back, a, 4);
    simt_close(&s);
}

static void test_status_fault_on_leave(void **state)
{
    (void)state;
    simt s;
    simt_open(&s, "f405");
    add(&s, MPF_SIM_FAULT_STATUS, MPF_SIM_OP_LEAVE, 1, MPF_DFU_STATUS_ERR_FIRMWARE);
    assert_int_equal(t_dnload(&s, 0, NULL, 0), MPF_OK);
    expect_status(&s, MPF_DFU_STATE_ERROR, MPF_DFU_STATUS_ERR_FIRMWARE, 0);
    assert_int_equal(mpf_sim_has_left(s.sim, NULL), 0);
    assert_int_equal(mpf_sim_connected(s.sim), 1);
    simt_close(&s);
}

static void test_status_fault_on_upload(void **state)
{
    (void)state;
    simt s;
    simt_open(&s, "f405");
    add(&s, MPF_SIM_FAULT_STATUS, MPF_SIM_OP_UPLOAD, 1, MPF_DFU_STATUS_ERR_VENDOR);
    uint8_t buf[16];
    size_t got = 5;
    assert_int_equal(t_upload(&s, 2, buf, 16, &got), MPF_ERR_USB_STALL);
    assert_int_equal(got, 0);
    expect_status(&s, MPF_DFU_STATE_ERROR, MPF_DFU_STATUS_ERR_VENDOR, 0);
    simt_close(&s);
}

static void test_status_fault_on_getstatus(void **state)
{
    (void)state;
    simt s;
    simt_open(&s, "f405");
    add(&s, MPF_SIM_FAULT_STATUS, MPF_SIM_OP_GETSTATUS, 1, MPF_DFU_STATUS_ERR_POR);
    expect_status(&s, MPF_DFU_STATE_ERROR, MPF_DFU_STATUS_ERR_POR, 0);
    expect_status(&s, MPF_DFU_STATE_ERROR, MPF_DFU_STATUS_ERR_POR, 0);
    simt_close(&s);
}

static void test_status_fault_on_other_request_stalls(void **state)
{
    (void)state;
    simt s;
    simt_open(&s, "f405");
    add(&s, MPF_SIM_FAULT_STATUS, MPF_SIM_OP_ABORT, 1, MPF_DFU_STATUS_ERR_USBR);
    assert_int_equal(t_abort(&s), MPF_ERR_USB_STALL);
    expect_status(&s, MPF_DFU_STATE_ERROR, MPF_DFU_STATUS_ERR_USBR, 0);
    simt_close(&s);
}

/* ANY counts every request, whatever its class. */
static void test_any_counts_all(void **state)
{
    (void)state;
    simt s;
    simt_open(&s, "f405");
    add(&s, MPF_SIM_FAULT_TIMEOUT, MPF_SIM_OP_ANY, 4, 0);
    assert_int_equal(t_select_alt(&s, 0), MPF_OK);             /* 1 */
    expect_status(&s, MPF_DFU_STATE_IDLE, 0, 0);               /* 2 */
    assert_int_equal(t_abort(&s), MPF_OK);                     /* 3 */
    uint8_t st;
    assert_int_equal(t_getstate(&s, &st), MPF_ERR_USB_TIMEOUT); /* 4 */
    assert_int_equal(t_getstate(&s, &st), MPF_OK);
    assert_int_equal(mpf_sim_request_count(s.sim), 5);
    assert_int_equal(mpf_sim_request_at(s.sim, 3)->result, MPF_ERR_USB_TIMEOUT);
    simt_close(&s);
}

static void test_start_in_error(void **state)
{
    (void)state;
    simt s;
    simt_open(&s, "f411");
    mpf_sim_start_in_error(s.sim);
    expect_status(&s, MPF_DFU_STATE_ERROR, MPF_DFU_STATUS_ERR_FIRMWARE, 0);
    assert_int_equal(t_set_address(&s, 0x08000000), MPF_ERR_USB_STALL);
    expect_status(&s, MPF_DFU_STATE_ERROR, MPF_DFU_STATUS_ERR_FIRMWARE, 0);
    assert_int_equal(t_clrstatus(&s), MPF_OK);
    expect_status(&s, MPF_DFU_STATE_IDLE, MPF_DFU_STATUS_OK, 0);
    simt_close(&s);
}

static void test_replug_discards_pending_and_busy(void **state)
{
    (void)state;
    simt s;
    simt_open(&s, "f405");
    assert_int_equal(t_select_alt(&s, 2), MPF_OK);
    rom_set_address(&s, 0x1FFF7800);
    assert_int_equal(t_select_alt(&s, 0), MPF_OK);
    assert_int_equal(t_erase(&s, 0x08000000), MPF_OK);
    mpf_sim_replug(s.sim);
    expect_status(&s, MPF_DFU_STATE_IDLE, 0, 0);
    assert_int_equal(mpf_sim_erase_count(s.sim), 0);
    assert_int_equal(mpf_sim_address_pointer(s.sim), 0x08000000);

    assert_int_equal(t_erase(&s, 0x08000000), MPF_OK);
    expect_status(&s, MPF_DFU_STATE_DNBUSY, 0, poll_ms_for(mpf_timing_erase_us(tm(), 16384)));
    mpf_sim_replug(s.sim); /* mid-erase: the erase had started */
    uint64_t t0 = mpf_sim_clock_us(s.sim);
    expect_status(&s, MPF_DFU_STATE_IDLE, 0, 0);
    assert_int_equal(mpf_sim_clock_us(s.sim) - t0, mpf_timing_usb_us(tm(), 6));
    assert_int_equal(mpf_sim_blocked_count(s.sim), 0);
    simt_close(&s);
}

static void test_port_reset(void **state)
{
    (void)state;
    simt s;
    simt_open(&s, "f405");
    assert_int_equal(t_set_address(&s, 0x08000000), MPF_OK);
    assert_int_equal(s.t.ops->reset(s.t.ctx, &s.err), MPF_OK);
    expect_status(&s, MPF_DFU_STATE_IDLE, 0, 0);
    const mpf_sim_request *r = mpf_sim_request_at(s.sim, 1);
    assert_int_equal(r->op, MPF_SIM_OP_RESET);
    assert_int_equal(r->request, MPF_SIM_REQUEST_PORT_RESET);
    simt_close(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_add_fault_validates),
        cmocka_unit_test(test_stall_fault),
        cmocka_unit_test(test_stall_drops_stored_block),
        cmocka_unit_test(test_timeout_fault),
        cmocka_unit_test(test_disconnect_fault_and_replug),
        cmocka_unit_test(test_status_fault_on_erase),
        cmocka_unit_test(test_status_fault_on_nth_write),
        cmocka_unit_test(test_status_fault_on_leave),
        cmocka_unit_test(test_status_fault_on_upload),
        cmocka_unit_test(test_status_fault_on_getstatus),
        cmocka_unit_test(test_status_fault_on_other_request_stalls),
        cmocka_unit_test(test_any_counts_all),
        cmocka_unit_test(test_start_in_error),
        cmocka_unit_test(test_replug_discards_pending_and_busy),
        cmocka_unit_test(test_port_reset),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
