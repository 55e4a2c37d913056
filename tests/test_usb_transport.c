/* The libusb transport's request encoding, through a recording mpf_usb_io:
 * the exact setup packets, alt selection, reset, claim/release/close order,
 * and how each failure comes back. No USB device involved. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <libusb.h>

#include "mpflash/dfu.h"
#include "mpflash/usb.h"

enum call_kind { CALL_CONTROL, CALL_CLAIM, CALL_RELEASE, CALL_ALT, CALL_RESET, CALL_AUTO_DETACH, CALL_CLOSE };

typedef struct call {
    enum call_kind kind;
    uint8_t request_type, request;
    uint16_t value, index, length;
    unsigned timeout;
    int arg1, arg2;
    uint8_t data[64];
} call;

/* The fake device behind the handle: what was asked, and what to answer. */
typedef struct rec {
    call calls[16];
    size_t count;
    int control_rc;      /* < 0: error; >= 0: bytes transferred (-100: the request's length) */
    uint8_t reply[64];   /* IN data */
    int claim_rc, alt_rc, reset_rc, auto_detach_rc;
} rec;

static call *log_call(rec *r, enum call_kind kind)
{
    assert_true(r->count < sizeof r->calls / sizeof r->calls[0]);
    call *c = &r->calls[r->count++];
    memset(c, 0, sizeof *c);
    c->kind = kind;
    return c;
}

static int rec_control(void *h, uint8_t request_type, uint8_t request, uint16_t value,
                       uint16_t index, unsigned char *data, uint16_t length, unsigned timeout)
{
    rec *r = h;
    call *c = log_call(r, CALL_CONTROL);
    c->request_type = request_type;
    c->request = request;
    c->value = value;
    c->index = index;
    c->length = length;
    c->timeout = timeout;
    int rc = r->control_rc == -100 ? length : r->control_rc;
    if (request_type & 0x80) {
        /* A stack claiming more than asked must not write more than asked. */
        if (rc > 0)
            memcpy(data, r->reply, (size_t)(rc < length ? rc : length));
    } else if (length) {
        memcpy(c->data, data, length < sizeof c->data ? length : sizeof c->data);
    }
    return rc;
}

static int rec_claim(void *h, int interface)
{
    rec *r = h;
    log_call(r, CALL_CLAIM)->arg1 = interface;
    return r->claim_rc;
}

static int rec_release(void *h, int interface)
{
    log_call(h, CALL_RELEASE)->arg1 = interface;
    return 0;
}

static int rec_alt(void *h, int interface, int alt)
{
    rec *r = h;
    call *c = log_call(r, CALL_ALT);
    c->arg1 = interface;
    c->arg2 = alt;
    return r->alt_rc;
}

static int rec_reset(void *h)
{
    rec *r = h;
    log_call(r, CALL_RESET);
    return r->reset_rc;
}

static int rec_auto_detach(void *h, int enable)
{
    rec *r = h;
    log_call(r, CALL_AUTO_DETACH)->arg1 = enable;
    return r->auto_detach_rc;
}

static void rec_close(void *h)
{
    log_call(h, CALL_CLOSE);
}

static const mpf_usb_io rec_io = {
    .control_transfer = rec_control,
    .claim_interface = rec_claim,
    .release_interface = rec_release,
    .set_interface_alt_setting = rec_alt,
    .reset_device = rec_reset,
    .set_auto_detach_kernel_driver = rec_auto_detach,
    .close = rec_close,
};

typedef struct fx {
    rec r;
    mpf_device_info info;
    mpf_transport t;
    mpf_error err;
} fx;

static int setup(void **state)
{
    static fx f;
    memset(&f, 0, sizeof f);
    f.r.control_rc = -100;
    f.info.vid = 0x0483;
    f.info.pid = 0xdf11;
    f.info.mode = MPF_MODE_DFU;
    f.info.interface_number = 3; /* not 0, so wIndex is visibly the interface */
    strcpy(f.info.path, "1-2");
    strcpy(f.info.serial, "3276388B3233");
    *state = &f;
    return 0;
}

static void open_ok(fx *f)
{
    assert_int_equal(mpf_usb_transport_new(&rec_io, &f->r, &f->info, &f->t, &f->err), MPF_OK);
    f->r.count = 0; /* the tests below look at what follows the open */
}

static void test_open_detaches_driver_then_claims(void **state)
{
    fx *f = *state;
    f->r.auto_detach_rc = LIBUSB_ERROR_NOT_SUPPORTED; /* as on macOS: harmless */
    assert_int_equal(mpf_usb_transport_new(&rec_io, &f->r, &f->info, &f->t, &f->err), MPF_OK);
    assert_int_equal(f->r.count, 2);
    assert_int_equal(f->r.calls[0].kind, CALL_AUTO_DETACH);
    assert_int_equal(f->r.calls[0].arg1, 1);
    assert_int_equal(f->r.calls[1].kind, CALL_CLAIM);
    assert_int_equal(f->r.calls[1].arg1, 3);
    assert_non_null(f->t.ops);
    assert_int_equal(f->t.info.vid, 0x0483);
    assert_string_equal(f->t.info.serial, "3276388B3233");
    mpf_transport_close(&f->t);
}

static void test_claim_failure_closes_the_handle(void **state)
{
    fx *f = *state;
    f->r.claim_rc = LIBUSB_ERROR_BUSY;
    assert_int_equal(mpf_usb_transport_new(&rec_io, &f->r, &f->info, &f->t, &f->err),
                     MPF_ERR_USB_BUSY);
    assert_string_equal(f->err.message,
                        "device busy claiming interface 3 of 0483:df11 at 1-2: another program "
                        "has claimed it (dfu-util, pydfu, another mpflash?); close it and retry");
    assert_int_equal(f->r.count, 3);
    assert_int_equal(f->r.calls[2].kind, CALL_CLOSE); /* closed, never released */
}

static void test_control_out_setup_packet(void **state)
{
    fx *f = *state;
    open_ok(f);
    const uint8_t cmd[5] = {0x21, 0x00, 0x00, 0x02, 0x08};
    assert_int_equal(f->t.ops->control_out(f->t.ctx, MPF_DFU_DNLOAD, 0, cmd, 5, 5000, &f->err),
                     MPF_OK);
    assert_int_equal(f->r.count, 1);
    const call *c = &f->r.calls[0];
    assert_int_equal(c->kind, CALL_CONTROL);
    assert_int_equal(c->request_type, 0x21);
    assert_int_equal(c->request, 1);
    assert_int_equal(c->value, 0);
    assert_int_equal(c->index, 3);
    assert_int_equal(c->length, 5);
    assert_int_equal(c->timeout, 5000);
    assert_memory_equal(c->data, cmd, 5);
    mpf_transport_close(&f->t);
}

static void test_zero_length_out(void **state)
{
    fx *f = *state;
    open_ok(f);
    assert_int_equal(f->t.ops->control_out(f->t.ctx, MPF_DFU_DNLOAD, 2, NULL, 0, 700, &f->err),
                     MPF_OK);
    const call *c = &f->r.calls[0];
    assert_int_equal(c->request_type, 0x21);
    assert_int_equal(c->request, MPF_DFU_DNLOAD);
    assert_int_equal(c->value, 2);
    assert_int_equal(c->index, 3);
    assert_int_equal(c->length, 0);
    assert_int_equal(c->timeout, 700);
    assert_int_equal(f->t.ops->control_out(f->t.ctx, MPF_DFU_CLRSTATUS, 0, NULL, 0, 1000, &f->err),
                     MPF_OK);
    assert_int_equal(f->r.calls[1].request, 4);
    mpf_transport_close(&f->t);
}

static void test_control_in_setup_packet_and_reply(void **state)
{
    fx *f = *state;
    open_ok(f);
    const uint8_t status[6] = {0x00, 0x64, 0x00, 0x00, 0x04, 0x00};
    memcpy(f->r.reply, status, 6);
    uint8_t buf[6] = {0};
    size_t got = 99;
    assert_int_equal(
        f->t.ops->control_in(f->t.ctx, MPF_DFU_GETSTATUS, 0, buf, 6, &got, 1234, &f->err),
        MPF_OK);
    const call *c = &f->r.calls[0];
    assert_int_equal(c->request_type, 0xA1);
    assert_int_equal(c->request, 3);
    assert_int_equal(c->value, 0);
    assert_int_equal(c->index, 3);
    assert_int_equal(c->length, 6);
    assert_int_equal(c->timeout, 1234);
    assert_int_equal(got, 6);
    assert_memory_equal(buf, status, 6);

    /* A short reply is reported as such, not padded. */
    f->r.control_rc = 2;
    got = 99;
    assert_int_equal(
        f->t.ops->control_in(f->t.ctx, MPF_DFU_UPLOAD, 7, buf, 6, &got, 5000, &f->err), MPF_OK);
    assert_int_equal(f->r.calls[1].request, MPF_DFU_UPLOAD);
    assert_int_equal(f->r.calls[1].value, 7);
    assert_int_equal(got, 2);
    mpf_transport_close(&f->t);
}

static void test_control_failures(void **state)
{
    fx *f = *state;
    open_ok(f);
    const uint8_t block[4] = {1, 2, 3, 4};
    size_t got = 99;
    uint8_t buf[16];

    f->r.control_rc = LIBUSB_ERROR_PIPE;
    assert_int_equal(f->t.ops->control_out(f->t.ctx, MPF_DFU_DNLOAD, 2, block, 4, 5000, &f->err),
                     MPF_ERR_USB_STALL);
    assert_string_equal(f->err.message,
                        "request stalled sending DNLOAD (wValue 2, 4 bytes) to 0483:df11 at 1-2");

    f->r.control_rc = LIBUSB_ERROR_TIMEOUT;
    assert_int_equal(
        f->t.ops->control_in(f->t.ctx, MPF_DFU_UPLOAD, 9, buf, 16, &got, 5000, &f->err),
        MPF_ERR_USB_TIMEOUT);
    assert_int_equal(got, 0);
    assert_string_equal(f->err.message, "timed out after 5000 ms reading UPLOAD (wValue 9, 16 "
                                        "bytes) from 0483:df11 at 1-2");

    f->r.control_rc = LIBUSB_ERROR_NO_DEVICE;
    assert_int_equal(f->t.ops->control_out(f->t.ctx, MPF_DFU_DNLOAD, 0, NULL, 0, 5000, &f->err),
                     MPF_ERR_USB_DISCONNECTED);
    assert_string_equal(f->err.message, "device disconnected sending DNLOAD (wValue 0, 0 bytes) "
                                        "to 0483:df11 at 1-2 (unplugged, or it reset itself)");

    f->r.control_rc = 2;
    assert_int_equal(f->t.ops->control_out(f->t.ctx, MPF_DFU_DNLOAD, 2, block, 4, 5000, &f->err),
                     MPF_ERR_USB);
    assert_string_equal(f->err.message, "short transfer sending DNLOAD (wValue 2, 4 bytes) to "
                                        "0483:df11 at 1-2: 2 of 4 bytes sent");

    f->r.control_rc = 17; /* more than asked: a broken stack, not data to trust */
    assert_int_equal(
        f->t.ops->control_in(f->t.ctx, MPF_DFU_UPLOAD, 2, buf, 16, &got, 5000, &f->err),
        MPF_ERR_PROTOCOL);
    assert_string_equal(f->err.message, "UPLOAD returned 17 bytes for 16 asked");
    assert_int_equal(got, 0);
    mpf_transport_close(&f->t);
}

static void test_select_alt(void **state)
{
    fx *f = *state;
    open_ok(f);
    assert_int_equal(f->t.ops->select_alt(f->t.ctx, 2, &f->err), MPF_OK);
    assert_int_equal(f->r.calls[0].kind, CALL_ALT);
    assert_int_equal(f->r.calls[0].arg1, 3);
    assert_int_equal(f->r.calls[0].arg2, 2);
    f->r.alt_rc = LIBUSB_ERROR_NOT_FOUND;
    assert_int_equal(f->t.ops->select_alt(f->t.ctx, 5, &f->err), MPF_ERR_USB);
    assert_string_equal(f->err.message, "USB error selecting alt setting 5 of interface 3 on "
                                        "0483:df11 at 1-2: LIBUSB_ERROR_NOT_FOUND (Entity not "
                                        "found)");
    mpf_transport_close(&f->t);
}

static void test_reset(void **state)
{
    fx *f = *state;
    open_ok(f);
    assert_int_equal(f->t.ops->reset(f->t.ctx, &f->err), MPF_OK);
    assert_int_equal(f->r.calls[0].kind, CALL_RESET);
    f->r.reset_rc = LIBUSB_ERROR_NOT_FOUND;
    assert_int_equal(f->t.ops->reset(f->t.ctx, &f->err), MPF_ERR_USB_DISCONNECTED);
    assert_string_equal(f->err.message, "0483:df11 at 1-2 re-enumerated after the USB reset");
    f->r.reset_rc = LIBUSB_ERROR_IO;
    assert_int_equal(f->t.ops->reset(f->t.ctx, &f->err), MPF_ERR_USB);
    assert_string_equal(f->err.message, "USB error resetting 0483:df11 at 1-2: "
                                        "LIBUSB_ERROR_IO (Input/Output Error)");
    mpf_transport_close(&f->t);
}

static void test_close_releases_then_closes(void **state)
{
    fx *f = *state;
    open_ok(f);
    mpf_transport_close(&f->t);
    assert_int_equal(f->r.count, 2);
    assert_int_equal(f->r.calls[0].kind, CALL_RELEASE);
    assert_int_equal(f->r.calls[0].arg1, 3);
    assert_int_equal(f->r.calls[1].kind, CALL_CLOSE);
}

static void test_host_clock(void **state)
{
    fx *f = *state;
    open_ok(f);
    uint64_t t0 = f->t.ops->now_us(f->t.ctx);
    f->t.ops->sleep_ms(f->t.ctx, 20);
    uint64_t t1 = f->t.ops->now_us(f->t.ctx);
    assert_true(t0 > 0);
    assert_true(t1 - t0 >= 20000);
    assert_true(t1 - t0 < 2000000);
    mpf_transport_close(&f->t);
}

static void test_bad_arguments(void **state)
{
    fx *f = *state;
    assert_int_equal(mpf_usb_transport_new(&rec_io, &f->r, NULL, &f->t, &f->err),
                     MPF_ERR_INTERNAL);
    /* The handle was handed over, so it is closed even then. */
    assert_int_equal(f->r.count, 1);
    assert_int_equal(f->r.calls[0].kind, CALL_CLOSE);
}

/* ---- DFU_DETACH ------------------------------------------------------------ */

static void open_runtime(fx *f, uint8_t attributes, uint16_t detach_timeout)
{
    f->info.vid = 0xf055;
    f->info.pid = 0x9800;
    f->info.mode = MPF_MODE_RUNTIME;
    f->info.func.attributes = attributes;
    f->info.func.detach_timeout_ms = detach_timeout;
    open_ok(f);
}

static void test_detach_device_that_detaches_itself(void **state)
{
    fx *f = *state;
    open_runtime(f, MPF_DFU_ATTR_CAN_DNLOAD | MPF_DFU_ATTR_CAN_UPLOAD | MPF_DFU_ATTR_WILL_DETACH,
                 255);
    assert_int_equal(mpf_usb_detach_request(&f->t, &f->err), MPF_OK);
    assert_int_equal(f->r.count, 1); /* no reset */
    const call *c = &f->r.calls[0];
    assert_int_equal(c->kind, CALL_CONTROL);
    assert_int_equal(c->request_type, 0x21);
    assert_int_equal(c->request, MPF_DFU_DETACH);
    assert_int_equal(c->value, 255);
    assert_int_equal(c->index, 3);
    assert_int_equal(c->length, 0);
    assert_int_equal(c->timeout, 1000);
    /* Gone before the status stage: still success. */
    f->r.control_rc = LIBUSB_ERROR_IO;
    assert_int_equal(mpf_usb_detach_request(&f->t, &f->err), MPF_OK);
    mpf_transport_close(&f->t);
}

static void test_detach_then_reset(void **state)
{
    fx *f = *state;
    open_runtime(f, MPF_DFU_ATTR_CAN_DNLOAD, 0);
    f->r.reset_rc = LIBUSB_ERROR_NOT_FOUND; /* re-enumerated as the bootloader */
    assert_int_equal(mpf_usb_detach_request(&f->t, &f->err), MPF_OK);
    assert_int_equal(f->r.count, 2);
    assert_int_equal(f->r.calls[0].request, MPF_DFU_DETACH);
    assert_int_equal(f->r.calls[0].value, 1000); /* no wDetachTimeOut given: 1 s */
    assert_int_equal(f->r.calls[1].kind, CALL_RESET);
    mpf_transport_close(&f->t);
}

static void test_detach_failures(void **state)
{
    fx *f = *state;
    open_runtime(f, MPF_DFU_ATTR_CAN_DNLOAD, 500);
    f->r.control_rc = LIBUSB_ERROR_PIPE;
    assert_int_equal(mpf_usb_detach_request(&f->t, &f->err), MPF_ERR_USB_STALL);
    assert_string_equal(f->err.message, "DFU_DETACH refused: request stalled sending DETACH "
                                        "(wValue 500, 0 bytes) to f055:9800 at 1-2");
    assert_int_equal(f->r.count, 1); /* no reset after a refusal */

    f->r.control_rc = LIBUSB_ERROR_NO_DEVICE; /* gone at once: success */
    assert_int_equal(mpf_usb_detach_request(&f->t, &f->err), MPF_OK);
    assert_int_equal(f->r.count, 2);

    f->r.control_rc = -100;
    f->r.reset_rc = LIBUSB_ERROR_IO;
    assert_int_equal(mpf_usb_detach_request(&f->t, &f->err), MPF_ERR_USB);
    assert_string_equal(f->err.message, "USB reset after DFU_DETACH: USB error resetting "
                                        "f055:9800 at 1-2: LIBUSB_ERROR_IO (Input/Output Error)");
    mpf_transport_close(&f->t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_open_detaches_driver_then_claims, setup),
        cmocka_unit_test_setup(test_claim_failure_closes_the_handle, setup),
        cmocka_unit_test_setup(test_control_out_setup_packet, setup),
        cmocka_unit_test_setup(test_zero_length_out, setup),
        cmocka_unit_test_setup(test_control_in_setup_packet_and_reply, setup),
        cmocka_unit_test_setup(test_control_failures, setup),
        cmocka_unit_test_setup(test_select_alt, setup),
        cmocka_unit_test_setup(test_reset, setup),
        cmocka_unit_test_setup(test_close_releases_then_closes, setup),
        cmocka_unit_test_setup(test_host_clock, setup),
        cmocka_unit_test_setup(test_bad_arguments, setup),
        cmocka_unit_test_setup(test_detach_device_that_detaches_itself, setup),
        cmocka_unit_test_setup(test_detach_then_reset, setup),
        cmocka_unit_test_setup(test_detach_failures, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
