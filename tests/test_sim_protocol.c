/* The virtual bootloader's protocol: enumeration data, the DFU state
 * machine request by request, DfuSe addressing, leaving, the request log. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "test_sim_helpers.h"

static void test_chip_list(void **state)
{
    (void)state;
    static const char *names[] = { "f401", "f405", "f407", "f411", "f446", "f429", "mboot",
                                   "mboot-f401", "lego-hub6",
                                   "nano-esp32", "portenta-c33", "dfu11",
                                   /* the other families (src/sim/families.c) */
                                   "f722", "f767", "h743", "h7b3", "l476", "g0b1", "g474",
                                   "wb55", "u575", "h563", "l4r5", "l4r5-1bank", "mboot-f767",
                                   "mboot-h743", "mboot-g0b1", "mboot-h563", "mboot-wb55" };
    const size_t n = sizeof names / sizeof names[0];
    assert_int_equal(mpf_sim_chip_count(), n);
    for (size_t i = 0; i < n; i++) {
        assert_string_equal(mpf_sim_chip_name(i), names[i]);
        assert_non_null(mpf_sim_chip_description(i));
    }
    assert_null(mpf_sim_chip_name(n));
    assert_null(mpf_sim_chip_description(n));

    mpf_sim *sim = (mpf_sim *)&sim;
    mpf_error err;
    assert_int_equal(mpf_sim_new("f999", &sim, &err), MPF_ERR_USAGE);
    assert_null(sim);
    assert_non_null(strstr(err.message, "f999"));
    assert_non_null(strstr(err.message, "mboot-f401"));
}

static void test_info_f405(void **state)
{
    (void)state;
    simt s;
    simt_open(&s, "f405");
    const mpf_device_info *i = &s.t.info;
    assert_int_equal(i->vid, 0x0483);
    assert_int_equal(i->pid, 0xDF11);
    assert_int_equal(i->bcd_device, 0x2200);
    assert_int_equal(i->mode, MPF_MODE_DFU);
    assert_int_equal(i->interface_number, 0);
    assert_string_equal(i->path, "1-1");
    assert_string_equal(i->manufacturer, "STMicroelectronics");
    assert_string_equal(i->product, "STM32  BOOTLOADER");
    assert_string_equal(i->serial, "335A37543034");
    assert_int_equal(i->func.attributes, 0x0B);
    assert_int_equal(i->func.detach_timeout_ms, 255);
    assert_int_equal(i->func.transfer_size, 2048);
    assert_int_equal(i->func.dfu_version, 0x011A);
    assert_int_equal(i->num_alts, 4);
    static const char *names[] = {
        "@Internal Flash  /0x08000000/04*016Kg,01*064Kg,07*128Kg",
        "@Option Bytes  /0x1FFFC000/01*016 g",
        "@OTP Memory /0x1FFF7800/01*512 g,01*016 g",
        "@Device Feature/0xFFFF0000/01*004 g",
    };
    for (size_t a = 0; a < 4; a++) {
        assert_int_equal(i->alts[a].alt, a);
        assert_string_equal(i->alts[a].name, names[a]);
    }
    simt_close(&s);
}

static void test_info_f401_and_mboot(void **state)
{
    (void)state;
    simt s;
    simt_open(&s, "f401");
    assert_string_equal(s.t.info.alts[0].name,
                        "@Internal Flash  /0x08000000/04*016Kg,01*064Kg,03*128Kg");
    assert_string_equal(s.t.info.alts[1].name, "@Option Bytes  /0x1FFFC000/01*016 e");
    assert_string_equal(s.t.info.alts[2].name, "@OTP Memory /0x1FFF7800/01*512 e,01*016 e");
    assert_string_equal(s.t.info.alts[3].name, "@Device Feature/0xFFFF0000/01*004 e");
    char serial_f401[128];
    strcpy(serial_f401, s.t.info.serial);
    simt_close(&s);

    simt_open(&s, "mboot");
    assert_int_equal(s.t.info.bcd_device, 0x0300);
    assert_int_equal(s.t.info.vid, 0x0483);
    assert_int_equal(s.t.info.pid, 0xDF11);
    assert_int_equal(s.t.info.num_alts, 1);
    assert_int_equal(s.t.info.func.transfer_size, 2048);
    assert_string_equal(s.t.info.alts[0].name,
                        "@Internal Flash  /0x08000000/04*016Kg,01*064Kg,07*128Kg");
    assert_string_not_equal(s.t.info.serial, serial_f401);
    simt_close(&s);

    simt_open(&s, "mboot-f401");
    assert_string_equal(s.t.info.alts[0].name,
                        "@Internal Flash  /0x08000000/04*016Kg,01*064Kg,07*128Kg");
    simt_close(&s);
}

static void test_setters_reach_info(void **state)
{
    (void)state;
    simt s;
    simt_open(&s, "f411");
    mpf_sim_set_serial(s.sim, "BOARD-B");
    mpf_sim_set_path(s.sim, "3-1.4");
    mpf_sim_set_transfer_size(s.sim, 1024);
    mpf_sim_transport(s.sim, &s.t);
    assert_string_equal(s.t.info.serial, "BOARD-B");
    assert_string_equal(s.t.info.path, "3-1.4");
    assert_int_equal(s.t.info.func.transfer_size, 1024);
    mpf_sim_set_transfer_size(s.sim, 0);
    mpf_sim_transport(s.sim, &s.t);
    assert_int_equal(s.t.info.func.transfer_size, 2048);
    simt_close(&s);
}

/* ---- the state table ---------------------------------------------------- */

typedef enum req_kind {
    R_DNLOAD,    /* set-address command */
    R_LEAVE,     /* zero-length DNLOAD */
    R_UPLOAD,    /* UPLOAD block 0 */
    R_GETSTATUS,
    R_GETSTATE,
    R_CLRSTATUS,
    R_ABORT,
    R_DETACH,
    R_UNKNOWN,   /* bRequest 7 */
    R_STATUS_OUT /* GETSTATUS sent host-to-device */
} req_kind;

typedef struct transition {
    uint8_t from;
    req_kind req;
    mpf_err result;
    int reported;      /* GETSTATUS/GETSTATE: the state in the reply, else -1 */
    uint8_t to;        /* mpf_sim_state afterwards */
    uint8_t status_to; /* mpf_sim_status afterwards */
} transition;

#define ST(x) MPF_DFU_STATE_##x
#define OK_ MPF_DFU_STATUS_OK
#define STALLED MPF_DFU_STATUS_ERR_STALLEDPKT
#define FW MPF_DFU_STATUS_ERR_FIRMWARE
#define STALL MPF_ERR_USB_STALL

static const transition table[] = {
    { ST(IDLE), R_DNLOAD, MPF_OK, -1, ST(DNLOAD_SYNC), OK_ },
    { ST(IDLE), R_LEAVE, MPF_OK, -1, ST(MANIFEST_SYNC), OK_ },
    { ST(IDLE), R_UPLOAD, MPF_OK, -1, ST(UPLOAD_IDLE), OK_ },
    { ST(IDLE), R_GETSTATUS, MPF_OK, ST(IDLE), ST(IDLE), OK_ },
    { ST(IDLE), R_GETSTATE, MPF_OK, ST(IDLE), ST(IDLE), OK_ },
    { ST(IDLE), R_CLRSTATUS, STALL, -1, ST(ERROR), STALLED },
    { ST(IDLE), R_ABORT, MPF_OK, -1, ST(IDLE), OK_ },
    { ST(IDLE), R_DETACH, STALL, -1, ST(ERROR), STALLED },
    { ST(IDLE), R_UNKNOWN, STALL, -1, ST(ERROR), STALLED },
    { ST(IDLE), R_STATUS_OUT, STALL, -1, ST(ERROR), STALLED },

    { ST(DNLOAD_SYNC), R_DNLOAD, STALL, -1, ST(ERROR), STALLED },
    { ST(DNLOAD_SYNC), R_LEAVE, STALL, -1, ST(ERROR), STALLED },
    { ST(DNLOAD_SYNC), R_UPLOAD, STALL, -1, ST(ERROR), STALLED },
    /* executes the set-address: dfuDNBUSY, done at once, back to SYNC */
    { ST(DNLOAD_SYNC), R_GETSTATUS, MPF_OK, ST(DNBUSY), ST(DNLOAD_SYNC), OK_ },
    { ST(DNLOAD_SYNC), R_GETSTATE, MPF_OK, ST(DNLOAD_SYNC), ST(DNLOAD_SYNC), OK_ },
    { ST(DNLOAD_SYNC), R_CLRSTATUS, STALL, -1, ST(ERROR), STALLED },
    { ST(DNLOAD_SYNC), R_ABORT, MPF_OK, -1, ST(IDLE), OK_ },
    { ST(DNLOAD_SYNC), R_DETACH, STALL, -1, ST(ERROR), STALLED },
    { ST(DNLOAD_SYNC), R_UNKNOWN, STALL, -1, ST(ERROR), STALLED },

    { ST(DNLOAD_IDLE), R_DNLOAD, MPF_OK, -1, ST(DNLOAD_SYNC), OK_ },
    { ST(DNLOAD_IDLE), R_LEAVE, MPF_OK, -1, ST(MANIFEST_SYNC), OK_ },
    { ST(DNLOAD_IDLE), R_UPLOAD, STALL, -1, ST(ERROR), STALLED },
    { ST(DNLOAD_IDLE), R_GETSTATUS, MPF_OK, ST(DNLOAD_IDLE), ST(DNLOAD_IDLE), OK_ },
    { ST(DNLOAD_IDLE), R_GETSTATE, MPF_OK, ST(DNLOAD_IDLE), ST(DNLOAD_IDLE), OK_ },
    { ST(DNLOAD_IDLE), R_CLRSTATUS, STALL, -1, ST(ERROR), STALLED },
    { ST(DNLOAD_IDLE), R_ABORT, MPF_OK, -1, ST(IDLE), OK_ },
    { ST(DNLOAD_IDLE), R_DETACH, STALL, -1, ST(ERROR), STALLED },
    { ST(DNLOAD_IDLE), R_UNKNOWN, STALL, -1, ST(ERROR), STALLED },

    { ST(UPLOAD_IDLE), R_DNLOAD, STALL, -1, ST(ERROR), STALLED },
    { ST(UPLOAD_IDLE), R_LEAVE, STALL, -1, ST(ERROR), STALLED },
    { ST(UPLOAD_IDLE), R_UPLOAD, MPF_OK, -1, ST(UPLOAD_IDLE), OK_ },
    { ST(UPLOAD_IDLE), R_GETSTATUS, MPF_OK, ST(UPLOAD_IDLE), ST(UPLOAD_IDLE), OK_ },
    { ST(UPLOAD_IDLE), R_GETSTATE, MPF_OK, ST(UPLOAD_IDLE), ST(UPLOAD_IDLE), OK_ },
    { ST(UPLOAD_IDLE), R_CLRSTATUS, STALL, -1, ST(ERROR), STALLED },
    { ST(UPLOAD_IDLE), R_ABORT, MPF_OK, -1, ST(IDLE), OK_ },
    { ST(UPLOAD_IDLE), R_DETACH, STALL, -1, ST(ERROR), STALLED },
    { ST(UPLOAD_IDLE), R_UNKNOWN, STALL, -1, ST(ERROR), STALLED },

    /* dfuERROR keeps the status it is reporting */
    { ST(ERROR), R_DNLOAD, STALL, -1, ST(ERROR), FW },
    { ST(ERROR), R_LEAVE, STALL, -1, ST(ERROR), FW },
    { ST(ERROR), R_UPLOAD, STALL, -1, ST(ERROR), FW },
    { ST(ERROR), R_GETSTATUS, MPF_OK, ST(ERROR), ST(ERROR), FW },
    { ST(ERROR), R_GETSTATE, MPF_OK, ST(ERROR), ST(ERROR), FW },
    { ST(ERROR), R_CLRSTATUS, MPF_OK, -1, ST(IDLE), OK_ },
    { ST(ERROR), R_ABORT, STALL, -1, ST(ERROR), FW },
    { ST(ERROR), R_DETACH, STALL, -1, ST(ERROR), FW },
    { ST(ERROR), R_UNKNOWN, STALL, -1, ST(ERROR), FW },

    { ST(MANIFEST_SYNC), R_DNLOAD, STALL, -1, ST(ERROR), STALLED },
    { ST(MANIFEST_SYNC), R_UPLOAD, STALL, -1, ST(ERROR), STALLED },
    { ST(MANIFEST_SYNC), R_GETSTATUS, MPF_OK, ST(MANIFEST), ST(MANIFEST), OK_ },
    { ST(MANIFEST_SYNC), R_GETSTATE, MPF_OK, ST(MANIFEST_SYNC), ST(MANIFEST_SYNC), OK_ },
    { ST(MANIFEST_SYNC), R_CLRSTATUS, STALL, -1, ST(ERROR), STALLED },
    { ST(MANIFEST_SYNC), R_ABORT, STALL, -1, ST(ERROR), STALLED },
    { ST(MANIFEST_SYNC), R_DETACH, STALL, -1, ST(ERROR), STALLED },
};

static void reach(simt *s, uint8_t st)
{
    size_t got;
    uint8_t buf[8];
    switch (st) {
    case ST(IDLE):
        break;
    case ST(DNLOAD_SYNC):
        assert_int_equal(t_set_address(s, 0x08000000), MPF_OK);
        break;
    case ST(DNLOAD_IDLE):
        rom_set_address(s, 0x08000000);
        break;
    case ST(UPLOAD_IDLE):
        assert_int_equal(t_upload(s, 0, buf, sizeof buf, &got), MPF_OK);
        break;
    case ST(ERROR):
        mpf_sim_start_in_error(s->sim);
        break;
    case ST(MANIFEST_SYNC):
        assert_int_equal(t_dnload(s, 0, NULL, 0), MPF_OK);
        break;
    default:
        fail();
    }
    assert_int_equal(mpf_sim_state(s->sim), st);
}

static mpf_err send(simt *s, req_kind r, int *reported)
{
    uint8_t buf[8];
    size_t got;
    mpf_dfu_status_reply rep;
    mpf_err rc;
    *reported = -1;
    switch (r) {
    case R_DNLOAD:
        return t_set_address(s, 0x08000000);
    case R_LEAVE:
        return t_dnload(s, 0, NULL, 0);
    case R_UPLOAD:
        return t_upload(s, 0, buf, sizeof buf, &got);
    case R_GETSTATUS:
        rc = t_getstatus(s, &rep);
        if (rc == MPF_OK)
            *reported = rep.state;
        return rc;
    case R_GETSTATE:
        rc = t_getstate(s, buf);
        if (rc == MPF_OK)
            *reported = buf[0];
        return rc;
    case R_CLRSTATUS:
        return t_clrstatus(s);
    case R_ABORT:
        return t_abort(s);
    case R_DETACH:
        return t_out(s, MPF_DFU_DETACH, 1000, NULL, 0, T_TIMEOUT_MS);
    case R_UNKNOWN:
        return t_out(s, 7, 0, NULL, 0, T_TIMEOUT_MS);
    case R_STATUS_OUT:
        return t_out(s, MPF_DFU_GETSTATUS, 0, NULL, 0, T_TIMEOUT_MS);
    }
    return MPF_ERR_INTERNAL;
}

static void test_state_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
        const transition *t = &table[i];
        simt s;
        simt_open(&s, "f405");
        reach(&s, t->from);
        int reported;
        mpf_err rc = send(&s, t->req, &reported);
        if (rc != t->result || reported != t->reported || mpf_sim_state(s.sim) != t->to ||
            mpf_sim_status(s.sim) != t->status_to)
            print_error("row %zu: from %s request %d: rc %d reported %d state %s status %s\n", i,
                        mpf_dfu_state_name(t->from), (int)t->req, (int)rc, reported,
                        mpf_dfu_state_name(mpf_sim_state(s.sim)),
                        mpf_dfu_status_name(mpf_sim_status(s.sim)));
        assert_int_equal(rc, t->result);
        assert_int_equal(reported, t->reported);
        assert_int_equal(mpf_sim_state(s.sim), t->to);
        assert_int_equal(mpf_sim_status(s.sim), t->status_to);
        simt_close(&s);
    }
}

static void test_stall_then_clrstatus(void **state)
{
    (void)state;
    simt s;
    simt_open(&s, "f405");
    rom_set_address(&s, 0x08000000);
    uint8_t buf[16];
    size_t got = 7;
    /* UPLOAD in dfuDNLOAD-IDLE is not allowed: ABORT first. */
    assert_int_equal(t_upload(&s, 2, buf, sizeof buf, &got), MPF_ERR_USB_STALL);
    assert_int_equal(got, 0);
    assert_int_equal(s.err.code, MPF_ERR_USB_STALL);
    expect_status(&s, ST(ERROR), STALLED, 0);
    assert_int_equal(t_clrstatus(&s), MPF_OK);
    expect_status(&s, ST(IDLE), OK_, 0);
    assert_int_equal(t_upload(&s, 2, buf, sizeof buf, &got), MPF_OK);
    assert_int_equal(got, 16);
    simt_close(&s);
}

static void test_getstatus_short_buffer_stalls(void **state)
{
    (void)state;
    simt s;
    simt_open(&s, "f405");
    uint8_t b[5];
    size_t got;
    assert_int_equal(t_in(&s, MPF_DFU_GETSTATUS, 0, b, 5, &got, T_TIMEOUT_MS), MPF_ERR_USB_STALL);
    assert_int_equal(mpf_sim_state(s.sim), ST(ERROR));
    simt_close(&s);
}

/* ---- leaving ------------------------------------------------------------ */

static void test_leave_rom(void **state)
{
    (void)state;
    simt s;
    simt_open(&s, "f405");
    rom_set_address(&s, 0x08000000);
    assert_int_equal(t_dnload(&s, 0, NULL, 0), MPF_OK);
    assert_int_equal(mpf_sim_has_left(s.sim, NULL), 0);
    expect_status(&s, ST(MANIFEST), OK_, 0);
    uint32_t jump = 0;
    assert_int_equal(mpf_sim_has_left(s.sim, &jump), 1);
    assert_int_equal(jump, 0x08000000);
    assert_int_equal(mpf_sim_connected(s.sim), 0);
    mpf_dfu_status_reply r = { 0 };
    assert_int_equal(t_getstatus(&s, &r), MPF_ERR_USB_DISCONNECTED);
    assert_int_equal(t_abort(&s), MPF_ERR_USB_DISCONNECTED);
    assert_int_equal(t_select_alt(&s, 0), MPF_ERR_USB_DISCONNECTED);
    assert_int_equal(s.t.ops->reset(s.t.ctx, &s.err), MPF_ERR_USB_DISCONNECTED);

    size_t n = mpf_sim_request_count(s.sim);
    const mpf_sim_request *leave = mpf_sim_request_at(s.sim, n - 6);
    assert_int_equal(leave->op, MPF_SIM_OP_LEAVE);
    assert_int_equal(leave->length, 0);
    assert_int_equal(leave->result, MPF_OK);
    assert_int_equal(mpf_sim_request_at(s.sim, n - 1)->result, MPF_ERR_USB_DISCONNECTED);
    assert_int_equal(mpf_sim_request_at(s.sim, n - 1)->op, MPF_SIM_OP_RESET);

    mpf_sim_replug(s.sim);
    assert_int_equal(mpf_sim_connected(s.sim), 1);
    expect_status(&s, ST(IDLE), OK_, 0);
    assert_int_equal(mpf_sim_has_left(s.sim, NULL), 1);
    simt_close(&s);
}

/* Without a fresh set-address, the ROM jumps to where it last wrote. */
static void test_leave_follows_last_write(void **state)
{
    (void)state;
    simt s;
    simt_open(&s, "f401");
    rom_erase(&s, 0x08020000, 128 * 1024);
    rom_set_address(&s, 0x08020000);
    uint8_t data[64];
    memset(data, 0x5A, sizeof data);
    rom_write(&s, 3, data, sizeof data);
    assert_int_equal(t_dnload(&s, 0, NULL, 0), MPF_OK);
    expect_status(&s, ST(MANIFEST), OK_, 0);
    uint32_t jump = 0;
    assert_int_equal(mpf_sim_has_left(s.sim, &jump), 1);
    assert_int_equal(jump, 0x08020800);
    simt_close(&s);
}

static void test_leave_mboot_starts_application(void **state)
{
    (void)state;
    simt s;
    simt_open(&s, "mboot");
    assert_int_equal(t_set_address(&s, 0x08020000), MPF_OK);
    expect_status(&s, ST(DNBUSY), OK_, 0);
    expect_status(&s, ST(DNLOAD_IDLE), OK_, 0);
    assert_int_equal(t_dnload(&s, 0, NULL, 0), MPF_OK);
    expect_status(&s, ST(MANIFEST), OK_, 0);
    uint32_t jump = 0;
    assert_int_equal(mpf_sim_has_left(s.sim, &jump), 1);
    assert_int_equal(jump, 0x08008000);
    simt_close(&s);
}

/* ---- DfuSe commands and addressing -------------------------------------- */

static void test_upload_command_list(void **state)
{
    (void)state;
    simt s;
    simt_open(&s, "f405");
    uint8_t buf[16];
    size_t got = 0;
    assert_int_equal(t_upload(&s, 0, buf, sizeof buf, &got), MPF_OK);
    assert_int_equal(got, 4);
    static const uint8_t rom[] = { 0x00, 0x21, 0x41, 0x92 };
    assert_memory_equal(buf, rom, 4);
    assert_int_equal(mpf_sim_state(s.sim), ST(UPLOAD_IDLE));
    /* block 1 is not used by DfuSe */
    assert_int_equal(t_upload(&s, 1, buf, sizeof buf, &got), MPF_ERR_USB_STALL);
    assert_int_equal(mpf_sim_status(s.sim), STALLED);
    simt_close(&s);

    simt_open(&s, "mboot");
    assert_int_equal(t_upload(&s, 0, buf, sizeof buf, &got), MPF_OK);
    assert_int_equal(got, 3);
    assert_memory_equal(buf, rom, 3);
    simt_close(&s);
}

static void test_upload_longer_than_transfer_size_stalls(void **state)
{
    (void)state;
    simt s;
    simt_open(&s, "f405");
    static uint8_t buf[4096];
    size_t got = 1;
    assert_int_equal(t_upload(&s, 2, buf, 2049, &got), MPF_ERR_USB_STALL);
    assert_int_equal(got, 0);
    assert_int_equal(mpf_sim_state(s.sim), ST(ERROR));
    assert_int_equal(t_clrstatus(&s), MPF_OK);
    assert_int_equal(t_upload(&s, 2, buf, 2048, &got), MPF_OK);
    assert_int_equal(got, 2048);
    simt_close(&s);
}

static void test_dnload_longer_than_transfer_size_stalls(void **state)
{
    (void)state;
    simt s;
    simt_open(&s, "f405");
    static uint8_t buf[4096];
    assert_int_equal(t_dnload(&s, 2, buf, 2049), MPF_ERR_USB_STALL);
    assert_int_equal(mpf_sim_state(s.sim), ST(ERROR));
    assert_int_equal(mpf_sim_status(s.sim), STALLED);
    simt_close(&s);
}

static void test_block_address_mapping(void **state)
{
    (void)state;
    simt s;
    simt_open(&s, "f405");
    rom_erase(&s, 0x08020000, 128 * 1024);
    rom_set_address(&s, 0x08020000);
    static uint8_t data[3][2048];
    fill_pattern(data[0], sizeof data, 7);
    mpf_sim_clear_log(s.sim);
    rom_write(&s, 2, data[0], 2048);
    rom_write(&s, 3, data[1], 2048);
    rom_write(&s, 4, data[2], 100); /* a partial last block */

    assert_int_equal(mpf_sim_request_count(s.sim), 9);
    static const uint32_t want[] = { 0x08020000, 0x08020800, 0x08021000 };
    for (size_t b = 0; b < 3; b++) {
        const mpf_sim_request *r = mpf_sim_request_at(s.sim, b * 3);
        assert_int_equal(r->op, MPF_SIM_OP_WRITE);
        assert_int_equal(r->request, MPF_DFU_DNLOAD);
        assert_int_equal(r->value, b + 2);
        assert_int_equal(r->length, b == 2 ? 100 : 2048);
        assert_int_equal(r->address, want[b]);
        assert_int_equal(r->result, MPF_OK);
        assert_int_equal(mpf_sim_request_at(s.sim, b * 3 + 1)->op, MPF_SIM_OP_GETSTATUS);
    }
    static uint8_t back[3 * 2048];
    assert_int_equal(mpf_sim_peek(s.sim, 0x08020000, back, 2 * 2048 + 100), 0);
    assert_memory_equal(back, data[0], 2 * 2048 + 100);
    /* the byte after the partial block is still erased */
    assert_int_equal(mpf_sim_peek(s.sim, 0x08021064, back, 1), 0);
    assert_int_equal(back[0], 0xFF);
    simt_close(&s);
}

/* The DEVICE's wTransferSize decides the mapping, whatever the host sends. */
static void test_block_mapping_uses_device_transfer_size(void **state)
{
    (void)state;
    simt s;
    simt_open(&s, "f405");
    mpf_sim_set_transfer_size(s.sim, 1024);
    rom_erase(&s, 0x08010000, 64 * 1024);
    rom_set_address(&s, 0x08010000);
    uint8_t a[16], b[16];
    memset(a, 0x11, sizeof a);
    memset(b, 0x22, sizeof b);
    rom_write(&s, 2, a, sizeof a);
    rom_write(&s, 3, b, sizeof b);
    uint8_t back[16];
    assert_int_equal(mpf_sim_peek(s.sim, 0x08010400, back, sizeof back), 0);
    assert_memory_equal(back, b, sizeof b);
    assert_int_equal(mpf_sim_request_at(s.sim, mpf_sim_request_count(s.sim) - 3)->address,
                     0x08010400);
    static uint8_t big[2048];
    assert_int_equal(t_dnload(&s, 4, big, 1025), MPF_ERR_USB_STALL);
    simt_close(&s);
}

static void test_unknown_command_and_block1(void **state)
{
    (void)state;
    simt s;
    simt_open(&s, "f405");
    assert_int_equal(t_cmd1(&s, 0x55), MPF_OK);
    assert_int_equal(mpf_sim_request_at(s.sim, 0)->op, MPF_SIM_OP_OTHER);
    finish_error(&s, MPF_DFU_STATUS_ERR_UNKNOWN);
    assert_int_equal(t_clrstatus(&s), MPF_OK);
    uint8_t data[4] = { 1, 2, 3, 4 };
    assert_int_equal(t_dnload(&s, 1, data, 4), MPF_OK);
    finish_error(&s, MPF_DFU_STATUS_ERR_UNKNOWN);
    simt_close(&s);

    /* mboot: dfuERROR, but bStatus left at OK, as mboot does. */
    simt_open(&s, "mboot");
    assert_int_equal(t_cmd1(&s, MPF_DFUSE_CMD_READ_UNPROTECT), MPF_OK);
    expect_status(&s, ST(DNBUSY), OK_, 0);
    expect_status(&s, ST(ERROR), OK_, 0);
    simt_close(&s);
}

static void test_set_address_checked(void **state)
{
    (void)state;
    simt s;
    simt_open(&s, "f405");
    assert_int_equal(t_set_address(&s, 0x20000000), MPF_OK);
    finish_error(&s, MPF_DFU_STATUS_ERR_TARGET);
    assert_int_equal(mpf_sim_address_pointer(s.sim), 0x08000000);
    assert_int_equal(t_clrstatus(&s), MPF_OK);
    /* option bytes are alt 1's: not valid while alt 0 is selected */
    assert_int_equal(t_set_address(&s, 0x1FFFC000), MPF_OK);
    finish_error(&s, MPF_DFU_STATUS_ERR_TARGET);
    assert_int_equal(t_clrstatus(&s), MPF_OK);
    assert_int_equal(t_select_alt(&s, 1), MPF_OK);
    assert_int_equal(mpf_sim_current_alt(s.sim), 1);
    rom_set_address(&s, 0x1FFFC000);
    assert_int_equal(mpf_sim_address_pointer(s.sim), 0x1FFFC000);
    simt_close(&s);

    /* mboot takes any pointer; the failure comes with the write. */
    simt_open(&s, "mboot");
    assert_int_equal(t_set_address(&s, 0x20000000), MPF_OK);
    expect_status(&s, ST(DNBUSY), OK_, 0);
    expect_status(&s, ST(DNLOAD_IDLE), OK_, 0);
    uint8_t d[4] = { 0 };
    assert_int_equal(t_dnload(&s, 2, d, 4), MPF_OK);
    expect_status(&s, ST(DNBUSY), OK_, 0);
    expect_status(&s, ST(ERROR), MPF_DFU_STATUS_ERR_ADDRESS, 0);
    /* mboot says each error once; the state stays dfuERROR */
    expect_status(&s, ST(ERROR), OK_, 0);
    simt_close(&s);
}

static void test_select_alt(void **state)
{
    (void)state;
    simt s;
    simt_open(&s, "f405");
    assert_int_equal(t_select_alt(&s, 4), MPF_ERR_USB_STALL);
    assert_int_equal(mpf_sim_current_alt(s.sim), 0);
    assert_int_equal(mpf_sim_state(s.sim), ST(IDLE));
    const mpf_sim_request *r = mpf_sim_request_at(s.sim, 0);
    assert_int_equal(r->op, MPF_SIM_OP_SELECT_ALT);
    assert_int_equal(r->request, MPF_SIM_REQUEST_SET_INTERFACE);
    assert_int_equal(r->value, 4);
    assert_int_equal(r->result, MPF_ERR_USB_STALL);
    assert_int_equal(t_select_alt(&s, 3), MPF_OK);
    assert_int_equal(mpf_sim_current_alt(s.sim), 3);
    simt_close(&s);

    simt_open(&s, "mboot");
    assert_int_equal(t_select_alt(&s, 1), MPF_ERR_USB_STALL);
    simt_close(&s);
}

static void test_option_bytes_on_alt1(void **state)
{
    (void)state;
    simt s;
    simt_open(&s, "f405");
    assert_int_equal(t_select_alt(&s, 1), MPF_OK);
    rom_set_address(&s, 0x1FFFC000);
    assert_int_equal(t_abort(&s), MPF_OK);
    uint8_t ob[16];
    size_t got = 0;
    assert_int_equal(t_upload(&s, 2, ob, sizeof ob, &got), MPF_OK);
    assert_int_equal(got, 16);
    assert_int_equal(ob[1], 0xAA); /* RDP level 0 */
    static const uint8_t want[16] = { 0xEC, 0xAA, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
                                      0xFF, 0x0F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF };
    assert_memory_equal(ob, want, 16);
    /* 17 bytes run past the region */
    uint8_t more[17];
    assert_int_equal(t_upload(&s, 2, more, sizeof more, &got), MPF_ERR_USB_STALL);
    assert_int_equal(mpf_sim_status(s.sim), MPF_DFU_STATUS_ERR_TARGET);
    simt_close(&s);
}

static void test_request_log(void **state)
{
    (void)state;
    simt s;
    simt_open(&s, "f405");
    assert_int_equal(t_erase(&s, 0x08004000), MPF_OK);
    mpf_dfu_status_reply r = { 0 };
    assert_int_equal(t_getstatus(&s, &r), MPF_OK);
    uint8_t st;
    assert_int_equal(t_getstate(&s, &st), MPF_OK);
    assert_int_equal(t_clrstatus(&s), MPF_ERR_USB_STALL);
    assert_int_equal(mpf_sim_request_count(s.sim), 4);
    const mpf_sim_request *e = mpf_sim_request_at(s.sim, 0);
    assert_int_equal(e->op, MPF_SIM_OP_ERASE);
    assert_int_equal(e->request, MPF_DFU_DNLOAD);
    assert_int_equal(e->value, 0);
    assert_int_equal(e->length, 5);
    assert_int_equal(e->address, 0x08004000);
    assert_int_equal(e->result, MPF_OK);
    const mpf_sim_request *g = mpf_sim_request_at(s.sim, 1);
    assert_int_equal(g->op, MPF_SIM_OP_GETSTATUS);
    assert_int_equal(g->request, MPF_DFU_GETSTATUS);
    assert_int_equal(g->length, 6);
    assert_int_equal(mpf_sim_request_at(s.sim, 2)->op, MPF_SIM_OP_GETSTATE);
    assert_int_equal(mpf_sim_request_at(s.sim, 3)->op, MPF_SIM_OP_CLRSTATUS);
    assert_int_equal(mpf_sim_request_at(s.sim, 3)->result, MPF_ERR_USB_STALL);
    assert_null(mpf_sim_request_at(s.sim, 4));
    mpf_sim_clear_log(s.sim);
    assert_int_equal(mpf_sim_request_count(s.sim), 0);
    simt_close(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_chip_list),
        cmocka_unit_test(test_info_f405),
        cmocka_unit_test(test_info_f401_and_mboot),
        cmocka_unit_test(test_setters_reach_info),
        cmocka_unit_test(test_state_table),
        cmocka_unit_test(test_stall_then_clrstatus),
        cmocka_unit_test(test_getstatus_short_buffer_stalls),
        cmocka_unit_test(test_leave_rom),
        cmocka_unit_test(test_leave_follows_last_write),
        cmocka_unit_test(test_leave_mboot_starts_application),
        cmocka_unit_test(test_upload_command_list),
        cmocka_unit_test(test_upload_longer_than_transfer_size_stalls),
        cmocka_unit_test(test_dnload_longer_than_transfer_size_stalls),
        cmocka_unit_test(test_block_address_mapping),
        cmocka_unit_test(test_block_mapping_uses_device_transfer_size),
        cmocka_unit_test(test_unknown_command_and_block1),
        cmocka_unit_test(test_set_address_checked),
        cmocka_unit_test(test_select_alt),
        cmocka_unit_test(test_option_bytes_on_alt1),
        cmocka_unit_test(test_request_log),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
