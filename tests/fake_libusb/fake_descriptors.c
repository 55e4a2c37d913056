/* Descriptor bytes synthesised from a board's state, as a device would send
 * them: the bootloader's (from the virtual device's mpf_device_info) or, for
 * a board running its application, a CDC + DFU-runtime composite. */
#include <string.h>

#include "fake_internal.h"
#include "mpflash/dfu.h"

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v & 0xFF);
    p[1] = (uint8_t)(v >> 8);
}

uint8_t fake_interface(const struct libusb_device *d)
{
    return d->runtime ? FAKE_RUNTIME_INTERFACE : FAKE_DFU_INTERFACE;
}

size_t fake_alt_count(const struct libusb_device *d)
{
    return d->runtime ? 1 : d->t.info.num_alts;
}

void fake_device_descriptor(const struct libusb_device *d, uint8_t out[18])
{
    const mpf_device_info *i = &d->t.info;
    uint8_t dd[18] = {18, LIBUSB_DT_DEVICE, 0x00, 0x02, 0, 0, 0, 64};
    if (d->runtime) {
        /* Composite with an interface association: class EF/02/01. */
        dd[4] = 0xEF;
        dd[5] = 0x02;
        dd[6] = 0x01;
    }
    put16(dd + 8, d->runtime ? FAKE_RUNTIME_VID : i->vid);
    put16(dd + 10, d->runtime ? FAKE_RUNTIME_PID : i->pid);
    put16(dd + 12, d->runtime ? 0x0200 : i->bcd_device);
    dd[14] = 1;
    dd[15] = 2;
    dd[16] = d->serial[0] ? 3 : 0;
    dd[17] = 1;
    memcpy(out, dd, sizeof dd);
}

void fake_functional(const struct libusb_device *d, uint8_t out[9])
{
    mpf_dfu_functional f = d->t.info.func;
    if (d->runtime) {
        f.attributes = MPF_DFU_ATTR_CAN_DNLOAD | MPF_DFU_ATTR_CAN_UPLOAD |
                       (d->will_detach ? MPF_DFU_ATTR_WILL_DETACH : 0);
        f.detach_timeout_ms = 1000;
    }
    out[0] = 9;
    out[1] = MPF_DFU_FUNCTIONAL_DESCRIPTOR_TYPE;
    out[2] = f.attributes;
    put16(out + 3, f.detach_timeout_ms);
    put16(out + 5, f.transfer_size);
    put16(out + 7, f.dfu_version);
}

static const uint8_t runtime_cdc[] = {
    0x08, 0x0B, 0x00, 0x02, 0x02, 0x02, 0x00, 0x00,       /* IAD */
    0x09, 0x04, 0x00, 0x00, 0x01, 0x02, 0x02, 0x00, 0x00, /* CDC comm */
    0x05, 0x24, 0x00, 0x10, 0x01,
    0x05, 0x24, 0x01, 0x00, 0x01,
    0x04, 0x24, 0x02, 0x02,
    0x05, 0x24, 0x06, 0x00, 0x01,
    0x07, 0x05, 0x81, 0x03, 0x08, 0x00, 0xFF,
    0x09, 0x04, 0x01, 0x00, 0x02, 0x0A, 0x00, 0x00, 0x00, /* CDC data */
    0x07, 0x05, 0x02, 0x02, 0x40, 0x00, 0x00,
    0x07, 0x05, 0x82, 0x02, 0x40, 0x00, 0x00,
};

/* Appends n bytes if they fit; returns the length the whole would need. */
static size_t add(uint8_t *out, size_t size, size_t at, const void *src, size_t n)
{
    if (at + n <= size)
        memcpy(out + at, src, n);
    return at + n;
}

size_t fake_config_bytes(const struct libusb_device *d, int with_functional, uint8_t *out,
                         size_t size)
{
    uint8_t head[9] = {9, LIBUSB_DT_CONFIG, 0, 0, 1, 1, 0, 0xC0, 0x32};
    size_t n = add(out, size, 0, head, sizeof head);
    if (d->runtime) {
        n = add(out, size, n, runtime_cdc, sizeof runtime_cdc);
        const uint8_t itf[9] = {9, LIBUSB_DT_INTERFACE, FAKE_RUNTIME_INTERFACE, 0, 0,
                                0xFE, 0x01, 0x01, 4};
        n = add(out, size, n, itf, sizeof itf);
    } else {
        for (size_t a = 0; a < d->t.info.num_alts; a++) {
            const uint8_t itf[9] = {9, LIBUSB_DT_INTERFACE, FAKE_DFU_INTERFACE,
                                    d->t.info.alts[a].alt, 0, 0xFE, 0x01, 0x02,
                                    (uint8_t)(4 + a)};
            n = add(out, size, n, itf, sizeof itf);
        }
    }
    if (with_functional) {
        uint8_t f[9];
        fake_functional(d, f);
        n = add(out, size, n, f, sizeof f);
    }
    if (size >= 4) {
        put16(out + 2, (uint16_t)n);
        out[4] = d->runtime ? 3 : 1;
    }
    return n;
}

const char *fake_string(struct libusb_device *d, uint8_t index)
{
    const mpf_device_info *i = &d->t.info;
    switch (index) {
    case 1:
        return d->runtime ? "MicroPython" : i->manufacturer;
    case 2:
        return d->runtime ? "Pyboard Virtual Comm Port in FS Mode" : i->product;
    case 3:
        return d->serial[0] ? d->serial : NULL;
    default:
        break;
    }
    if (d->runtime)
        return index == 4 ? "MicroPython DFU runtime" : NULL;
    if (index >= 4 && (size_t)(index - 4) < i->num_alts)
        return i->alts[index - 4].name;
    /* Anything else is the virtual device's own (mboot's reasons). */
    mpf_error ignored;
    if (d->t.ops && d->t.ops->get_string &&
        d->t.ops->get_string(d->t.ctx, index, d->device_string, sizeof d->device_string,
                             &ignored) == MPF_OK)
        return d->device_string;
    return NULL;
}
