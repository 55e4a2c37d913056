/* libusb hands out configurations already split into structs, with any
 * class-specific descriptors kept raw in `extra`. Writing them back out as
 * the device sent them lets mpf_usb_parse_config be the only place that
 * decides what a DFU interface is, for live devices and test bytes alike. */
#include <stdlib.h>
#include <string.h>

#include "usb/usb_internal.h"

typedef struct out_buf {
    uint8_t *data;
    size_t len, cap;
    int failed;
} out_buf;

static void put(out_buf *b, const void *src, size_t n)
{
    if (b->failed || n == 0)
        return;
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 256;
        while (cap < b->len + n)
            cap *= 2;
        uint8_t *grown = realloc(b->data, cap);
        if (!grown) {
            b->failed = 1;
            return;
        }
        b->data = grown;
        b->cap = cap;
    }
    memcpy(b->data + b->len, src, n);
    b->len += n;
}

static void put_extra(out_buf *b, const unsigned char *extra, int len)
{
    if (extra && len > 0)
        put(b, extra, (size_t)len);
}

static void put_endpoint(out_buf *b, const struct libusb_endpoint_descriptor *e)
{
    /* Audio endpoints carry two more bytes; libusb keeps them. */
    uint8_t len = e->bLength >= 9 ? 9 : 7;
    uint8_t d[9] = {len,
                    LIBUSB_DT_ENDPOINT,
                    e->bEndpointAddress,
                    e->bmAttributes,
                    (uint8_t)(e->wMaxPacketSize & 0xFF),
                    (uint8_t)(e->wMaxPacketSize >> 8),
                    e->bInterval,
                    e->bRefresh,
                    e->bSynchAddress};
    put(b, d, len);
    put_extra(b, e->extra, e->extra_length);
}

static void put_altsetting(out_buf *b, const struct libusb_interface_descriptor *a)
{
    uint8_t d[9] = {9,
                    LIBUSB_DT_INTERFACE,
                    a->bInterfaceNumber,
                    a->bAlternateSetting,
                    a->bNumEndpoints,
                    a->bInterfaceClass,
                    a->bInterfaceSubClass,
                    a->bInterfaceProtocol,
                    a->iInterface};
    put(b, d, sizeof d);
    put_extra(b, a->extra, a->extra_length);
    for (int i = 0; a->endpoint && i < a->bNumEndpoints; i++)
        put_endpoint(b, &a->endpoint[i]);
}

mpf_err usb_config_to_bytes(const struct libusb_config_descriptor *c, uint8_t **out,
                            size_t *len, mpf_error *err)
{
    *out = NULL;
    *len = 0;
    out_buf b = {0};
    uint8_t head[9] = {9,
                       LIBUSB_DT_CONFIG,
                       0,
                       0, /* wTotalLength, filled in below */
                       c->bNumInterfaces,
                       c->bConfigurationValue,
                       c->iConfiguration,
                       c->bmAttributes,
                       c->MaxPower};
    put(&b, head, sizeof head);
    put_extra(&b, c->extra, c->extra_length);
    for (int i = 0; c->interface && i < c->bNumInterfaces; i++) {
        const struct libusb_interface *itf = &c->interface[i];
        for (int a = 0; itf->altsetting && a < itf->num_altsetting; a++)
            put_altsetting(&b, &itf->altsetting[a]);
    }
    if (b.failed) {
        free(b.data);
        return mpf_error_set(err, MPF_ERR_NOMEM, "out of memory copying a configuration");
    }
    if (b.len > 0xFFFF) {
        free(b.data);
        return mpf_error_set(err, MPF_ERR_PROTOCOL,
                             "configuration descriptor of %zu bytes exceeds wTotalLength's range",
                             b.len);
    }
    b.data[2] = (uint8_t)(b.len & 0xFF);
    b.data[3] = (uint8_t)(b.len >> 8);
    *out = b.data;
    *len = b.len;
    return MPF_OK;
}
