/* Raw configuration bytes -> struct libusb_config_descriptor, following
 * libusb's conventions: unknown descriptors go into the `extra` bytes of the
 * config, interface or endpoint they follow. Only ever fed the fake's own
 * well-formed bytes, so it checks lengths but does not diagnose. */
#include <stdlib.h>
#include <string.h>

#include "fake_internal.h"

typedef struct owned_config {
    struct libusb_config_descriptor c; /* first: the pointer handed out */
    uint8_t *bytes;                    /* every `extra` points in here */
} owned_config;

static void add_extra(const unsigned char **extra, int *len, const uint8_t *at, size_t n)
{
    if (!*extra)
        *extra = at;
    *len += (int)n;
}

struct libusb_config_descriptor *fake_config_struct(const uint8_t *src, size_t len)
{
    if (len < 9)
        return NULL;
    owned_config *o = calloc(1, sizeof *o);
    uint8_t *b = malloc(len);
    if (!o || !b) {
        free(o);
        free(b);
        return NULL;
    }
    memcpy(b, src, len);
    o->bytes = b;
    struct libusb_config_descriptor *c = &o->c;
    c->bLength = b[0];
    c->bDescriptorType = b[1];
    c->wTotalLength = (uint16_t)(b[2] | b[3] << 8);
    c->bNumInterfaces = b[4];
    c->bConfigurationValue = b[5];
    c->iConfiguration = b[6];
    c->bmAttributes = b[7];
    c->MaxPower = b[8];
    struct libusb_interface *itfs = calloc(c->bNumInterfaces ? c->bNumInterfaces : 1, sizeof *itfs);
    if (!itfs) {
        free(b);
        free(o);
        return NULL;
    }
    c->interface = itfs;

    struct libusb_interface_descriptor *alt = NULL;
    struct libusb_endpoint_descriptor *ep = NULL;
    int eps = 0;
    for (size_t off = b[0]; off + 2 <= len && b[off] >= 2 && off + b[off] <= len; off += b[off]) {
        const uint8_t *p = b + off;
        if (p[1] == LIBUSB_DT_INTERFACE && p[0] >= 9 && p[2] < c->bNumInterfaces) {
            struct libusb_interface *itf = &itfs[p[2]];
            struct libusb_interface_descriptor *grown =
                realloc((void *)itf->altsetting, (size_t)(itf->num_altsetting + 1) * sizeof *grown);
            if (!grown)
                break;
            itf->altsetting = grown;
            alt = &grown[itf->num_altsetting++];
            memset(alt, 0, sizeof *alt);
            alt->bLength = p[0];
            alt->bDescriptorType = p[1];
            alt->bInterfaceNumber = p[2];
            alt->bAlternateSetting = p[3];
            alt->bNumEndpoints = p[4];
            alt->bInterfaceClass = p[5];
            alt->bInterfaceSubClass = p[6];
            alt->bInterfaceProtocol = p[7];
            alt->iInterface = p[8];
            alt->endpoint = p[4] ? calloc(p[4], sizeof *alt->endpoint) : NULL;
            ep = NULL;
            eps = 0;
        } else if (p[1] == LIBUSB_DT_ENDPOINT && p[0] >= 7 && alt && alt->endpoint &&
                   eps < alt->bNumEndpoints) {
            ep = (struct libusb_endpoint_descriptor *)&alt->endpoint[eps++];
            ep->bLength = p[0];
            ep->bDescriptorType = p[1];
            ep->bEndpointAddress = p[2];
            ep->bmAttributes = p[3];
            ep->wMaxPacketSize = (uint16_t)(p[4] | p[5] << 8);
            ep->bInterval = p[6];
        } else if (ep) {
            add_extra(&ep->extra, &ep->extra_length, p, p[0]);
        } else if (alt) {
            add_extra(&alt->extra, &alt->extra_length, p, p[0]);
        } else {
            add_extra(&c->extra, &c->extra_length, p, p[0]);
        }
    }
    return c;
}

void fake_config_struct_free(struct libusb_config_descriptor *c)
{
    if (!c)
        return;
    owned_config *o = (owned_config *)c;
    for (int i = 0; i < c->bNumInterfaces; i++) {
        const struct libusb_interface *itf = &c->interface[i];
        for (int a = 0; a < itf->num_altsetting; a++)
            free((void *)itf->altsetting[a].endpoint);
        free((void *)itf->altsetting);
    }
    free((void *)c->interface);
    free(o->bytes);
    free(o);
}
