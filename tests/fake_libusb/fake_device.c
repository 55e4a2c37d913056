/* A board's side of the bus: what it answers to a claim, an alt setting, a
 * port reset and a control request, in libusb's result codes. Shared by the
 * two front ends that put the boards in front of mpflash: the fake libusb
 * (fake_libusb.c, called through the libusb API) and the emulated usbfs
 * (tests/usbfs, called through the kernel's ioctls under the real libusb),
 * so both see the same boards and write the same log. The caller holds
 * fake_lock and has checked that its handle is not stale. */
#include <stdio.h>
#include <string.h>

#include "fake_internal.h"

static int from_mpf(mpf_err e)
{
    switch (e) {
    case MPF_OK:
        return 0;
    case MPF_ERR_USB_STALL:
        return LIBUSB_ERROR_PIPE;
    case MPF_ERR_USB_TIMEOUT:
        return LIBUSB_ERROR_TIMEOUT;
    case MPF_ERR_USB_DISCONNECTED:
        return LIBUSB_ERROR_NO_DEVICE;
    default:
        return LIBUSB_ERROR_IO;
    }
}

int fake_dev_claim(struct libusb_device *d, int interface)
{
    int rc = d->claim_error                                   ? d->claim_error
             : interface != fake_interface(d) && !(d->runtime && interface >= 0 && interface < 2)
                 ? LIBUSB_ERROR_NOT_FOUND
                 : 0;
    fake_log(d, "claim %d -> %d", interface, rc);
    return rc;
}

int fake_dev_set_alt(struct libusb_device *d, unsigned claimed, int interface, int alt)
{
    int rc;
    if (!(interface >= 0 && interface < 32 && (claimed & 1u << interface)) ||
        interface != fake_interface(d) || alt < 0 || (size_t)alt >= fake_alt_count(d))
        rc = LIBUSB_ERROR_NOT_FOUND;
    else if (d->runtime)
        rc = 0;
    else
        rc = from_mpf(d->t.ops->select_alt(d->t.ctx, (uint8_t)alt, NULL));
    /* The real library's Linux backend: any SET_INTERFACE failure but a
     * missing alt setting (EINVAL) or a vanished device (ENODEV) is
     * LIBUSB_ERROR_OTHER, a stall included. */
    if (rc < 0 && rc != LIBUSB_ERROR_NOT_FOUND && rc != LIBUSB_ERROR_NO_DEVICE)
        rc = LIBUSB_ERROR_OTHER;
    fake_log(d, "alt %d %d -> %d", interface, alt, rc);
    return rc;
}

int fake_dev_reset(struct libusb_device *d)
{
    int rc = 0;
    if (d->runtime) {
        /* After DETACH the reset brings up the bootloader: a new device. */
        if (d->detach_armed) {
            fake_enter_dfu(d);
            rc = LIBUSB_ERROR_NOT_FOUND;
        }
    } else {
        rc = from_mpf(d->t.ops->reset(d->t.ctx, NULL));
    }
    fake_log(d, "reset -> %d", rc);
    return rc;
}

static int put_string(const char *s, unsigned char *data, uint16_t length)
{
    uint8_t buf[256];
    size_t n = 0;
    buf[n++] = 0;
    buf[n++] = LIBUSB_DT_STRING;
    for (; *s && n + 2 <= sizeof buf; s++) {
        buf[n++] = (uint8_t)*s;
        buf[n++] = 0;
    }
    buf[0] = (uint8_t)n;
    n = n < length ? n : length;
    memcpy(data, buf, n);
    return (int)n;
}

static int get_descriptor(struct libusb_device *d, uint16_t value, unsigned char *data,
                          uint16_t length)
{
    uint8_t type = (uint8_t)(value >> 8), index = (uint8_t)value;
    uint8_t buf[512];
    size_t n = 0;
    if (type == LIBUSB_DT_DEVICE) {
        fake_device_descriptor(d, buf);
        n = 18;
    } else if (type == LIBUSB_DT_CONFIG && index == 0) {
        n = fake_config_bytes(d, !d->hide_functional, buf, sizeof buf);
    } else if (type == LIBUSB_DT_STRING && index == 0) {
        const uint8_t langs[4] = {4, LIBUSB_DT_STRING, 0x09, 0x04};
        memcpy(buf, langs, 4);
        n = 4;
    } else if (type == LIBUSB_DT_STRING) {
        const char *s = fake_string(d, index);
        return s ? put_string(s, data, length) : LIBUSB_ERROR_PIPE;
    } else if (type == 0x21) {
        fake_functional(d, buf);
        n = 9;
    } else {
        return LIBUSB_ERROR_PIPE;
    }
    n = n < length ? n : length;
    memcpy(data, buf, n);
    return (int)n;
}

/* A DFU class request to a board running its application: only DETACH
 * (and GETSTATUS, answering appIDLE) mean anything there. */
static int runtime_request(struct libusb_device *d, uint8_t request, unsigned char *data,
                           uint16_t length)
{
    if (request == 0 /* DETACH */) {
        d->detach_armed = 1;
        if (d->will_detach) {
            fake_enter_dfu(d);
            return LIBUSB_ERROR_NO_DEVICE; /* gone before the status stage */
        }
        return 0;
    }
    if (request == 3 /* GETSTATUS */ && length >= 6) {
        memset(data, 0, 6);
        return 6;
    }
    return LIBUSB_ERROR_PIPE;
}

static int class_request(struct libusb_device *d, unsigned claimed, uint8_t type,
                         uint8_t request, uint16_t value, uint16_t index, unsigned char *data,
                         uint16_t length, unsigned int timeout)
{
    if (index != fake_interface(d) || !(claimed & 1u << index)) {
        fprintf(stderr, "fakeusb: class request 0x%02x to interface %u, which is not the "
                        "claimed DFU interface\n",
                request, index);
        return LIBUSB_ERROR_IO;
    }
    if (d->runtime)
        return runtime_request(d, request, data, length);
    mpf_err rc;
    if (type & LIBUSB_ENDPOINT_IN) {
        size_t got = 0;
        rc = d->t.ops->control_in(d->t.ctx, request, value, data, length, &got, timeout, NULL);
        return rc == MPF_OK ? (int)got : from_mpf(rc);
    }
    rc = d->t.ops->control_out(d->t.ctx, request, value, data, length, timeout, NULL);
    return rc == MPF_OK ? length : from_mpf(rc);
}

int fake_dev_control(struct libusb_device *d, unsigned claimed, uint8_t type, uint8_t request,
                     uint16_t value, uint16_t index, unsigned char *data, uint16_t length,
                     unsigned int timeout)
{
    /* 0: the host's timeout is not known here (usbfs: libusb keeps it);
     * the board then must not give up before the host does. */
    unsigned board_timeout = timeout ? timeout : 600000u;
    int rc;
    if ((type & 0x60) == LIBUSB_REQUEST_TYPE_STANDARD &&
        request == LIBUSB_REQUEST_GET_DESCRIPTOR && (type & LIBUSB_ENDPOINT_IN)) {
        rc = get_descriptor(d, value, data, length);
    } else if ((type & 0x7F) == (LIBUSB_REQUEST_TYPE_CLASS | LIBUSB_RECIPIENT_INTERFACE)) {
        rc = class_request(d, claimed, type, request, value, index, data, length, board_timeout);
        fake_after_request(d);
    } else {
        rc = LIBUSB_ERROR_PIPE;
    }
    char shown[16] = "-";
    if (timeout)
        snprintf(shown, sizeof shown, "%u", timeout);
    fake_log(d, "ctrl %02x %02x %04x %04x %u %s -> %d", type, request, value, index, length,
             shown, rc);
    return rc;
}
