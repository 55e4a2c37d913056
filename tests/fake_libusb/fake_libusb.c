/* The libusb-1.0 functions mpflash calls, answered by virtual boards. Built
 * as libfakeusb.so and put in front of the real library with LD_PRELOAD, so
 * the unchanged mpflash binary enumerates, opens and flashes them.
 *
 * Environment:
 *   MPFLASH_FAKE_USB        boards: "chip[:serial[:option...]],..." with chip
 *                           f401 f405 f407 f411 f446 mboot mboot-f401;
 *                           "chip:" has no serial number. Options:
 *                             port=P[.P...] bus=N      where it is plugged
 *                             open=ERR claim=ERR       fail that call (ERR: access
 *                                                      busy nodev notsup io pipe
 *                                                      timeout notfound)
 *                             nofunc                   functional descriptor only
 *                                                      via GET_DESCRIPTOR(0x21)
 *                             runtime [willdetach]     starts as an application
 *                                                      with a DFU runtime interface
 *                             transfer=N timing start-error rdp   (virtual device)
 *                             fault=KIND/OP/N[/STATUS] wp=ADDR    (its faults)
 *                             appear=PATH              absent until PATH exists
 *                             onleave=PATH             create PATH on leaving DFU
 *   MPFLASH_FAKE_USB_STATE  directory keeping each board's memory between runs
 *   MPFLASH_FAKE_USB_LOG    file to append one line per USB event to
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fake_internal.h"

/* ---- context and enumeration -------------------------------------------- */

static int locked_init(libusb_context **ctx)
{
    if (fake.inits == 0 && fake_world_start() != 0)
        return LIBUSB_ERROR_OTHER;
    fake.inits++;
    if (ctx)
        *ctx = &fake.ctx;
    return 0;
}

static void locked_exit(libusb_context *ctx)
{
    (void)ctx;
    if (fake.inits > 0 && --fake.inits == 0)
        fake_world_stop();
}

static ssize_t locked_get_device_list(libusb_context *ctx, libusb_device ***list)
{
    (void)ctx;
    fake_world_refresh();
    libusb_device **l = calloc(fake.count + 1, sizeof *l);
    if (!l)
        return LIBUSB_ERROR_NO_MEM;
    /* Newest first, as the real library's Linux backend hands them out:
     * callers must not take the list's order for the ports'. */
    size_t n = 0;
    for (size_t i = fake.count; i-- > 0;) {
        if (!fake.devs[i].present)
            continue;
        fake.devs[i].refs++;
        l[n++] = &fake.devs[i];
    }
    *list = l;
    return (ssize_t)n;
}

static void locked_free_device_list(libusb_device **list, int unref_devices)
{
    if (!list)
        return;
    for (size_t i = 0; unref_devices && list[i]; i++)
        list[i]->refs--;
    free(list);
}

static libusb_device *locked_ref_device(libusb_device *dev)
{
    dev->refs++;
    return dev;
}

static void locked_unref_device(libusb_device *dev)
{
    if (dev)
        dev->refs--;
}

int libusb_get_device_descriptor(libusb_device *dev, struct libusb_device_descriptor *desc)
{
    uint8_t b[18];
    fake_device_descriptor(dev, b);
    desc->bLength = b[0];
    desc->bDescriptorType = b[1];
    desc->bcdUSB = (uint16_t)(b[2] | b[3] << 8);
    desc->bDeviceClass = b[4];
    desc->bDeviceSubClass = b[5];
    desc->bDeviceProtocol = b[6];
    desc->bMaxPacketSize0 = b[7];
    desc->idVendor = (uint16_t)(b[8] | b[9] << 8);
    desc->idProduct = (uint16_t)(b[10] | b[11] << 8);
    desc->bcdDevice = (uint16_t)(b[12] | b[13] << 8);
    desc->iManufacturer = b[14];
    desc->iProduct = b[15];
    desc->iSerialNumber = b[16];
    desc->bNumConfigurations = b[17];
    return 0;
}

int libusb_get_config_descriptor(libusb_device *dev, uint8_t index,
                                 struct libusb_config_descriptor **config)
{
    if (index != 0)
        return LIBUSB_ERROR_NOT_FOUND;
    uint8_t bytes[512];
    size_t n = fake_config_bytes(dev, !dev->hide_functional, bytes, sizeof bytes);
    if (n > sizeof bytes)
        return LIBUSB_ERROR_OVERFLOW;
    *config = fake_config_struct(bytes, n);
    return *config ? 0 : LIBUSB_ERROR_NO_MEM;
}

int libusb_get_active_config_descriptor(libusb_device *dev,
                                        struct libusb_config_descriptor **config)
{
    return libusb_get_config_descriptor(dev, 0, config);
}

void libusb_free_config_descriptor(struct libusb_config_descriptor *config)
{
    fake_config_struct_free(config);
}

uint8_t libusb_get_bus_number(libusb_device *dev)
{
    return dev->bus;
}

uint8_t libusb_get_device_address(libusb_device *dev)
{
    /* A new address at each enumeration, as a host controller assigns. */
    return (uint8_t)(2 + dev->index + 16 * (dev->generation % 8));
}

int libusb_get_port_numbers(libusb_device *dev, uint8_t *port_numbers, int port_numbers_len)
{
    if (port_numbers_len < dev->nports)
        return LIBUSB_ERROR_OVERFLOW;
    memcpy(port_numbers, dev->ports, dev->nports);
    return dev->nports;
}

/* ---- handles -------------------------------------------------------------- */

static int locked_open(libusb_device *dev, libusb_device_handle **handle)
{
    int rc = dev->present ? dev->open_error : LIBUSB_ERROR_NO_DEVICE;
    fake_log(dev, "open -> %d", rc);
    if (rc)
        return rc;
    libusb_device_handle *h = calloc(1, sizeof *h);
    if (!h)
        return LIBUSB_ERROR_NO_MEM;
    h->dev = dev;
    h->generation = dev->generation;
    dev->refs++;
    fake.open_handles++;
    *handle = h;
    return 0;
}

static void locked_close(libusb_device_handle *h)
{
    if (!h)
        return;
    /* The virtual clock (modelled USB and device time) so far: what a
     * benchmark compares between hosts run on the same virtual board. */
    fake_log(h->dev, "clock %llu us", (unsigned long long)mpf_sim_clock_us(h->dev->sim));
    fake_log(h->dev, "close");
    fake_world_save(h->dev);
    h->dev->refs--;
    fake.open_handles--;
    free(h);
}

/* The handle outlived the device it opened (re-enumeration, unplug). */
static int stale(const libusb_device_handle *h)
{
    return !h->dev->present || h->generation != h->dev->generation;
}

int libusb_set_auto_detach_kernel_driver(libusb_device_handle *h, int enable)
{
    fake_lock();
    h->auto_detach = enable;
    fake_log(h->dev, "auto-detach %d", enable);
    fake_unlock();
    return 0;
}

/* A kernel driver bound to the DFU interface (driver=NAME) keeps it from
 * a claim unless libusb may detach it, and gets it back on release. */
static int locked_claim_interface(libusb_device_handle *h, int interface)
{
    struct libusb_device *d = h->dev;
    if (stale(h)) {
        fake_log(d, "claim %d -> %d", interface, LIBUSB_ERROR_NO_DEVICE);
        return LIBUSB_ERROR_NO_DEVICE;
    }
    if (d->driver[0] && !h->detached && interface == fake_interface(d)) {
        if (!h->auto_detach) {
            fake_log(d, "claim %d -> kernel driver %s holds it", interface, d->driver);
            return LIBUSB_ERROR_BUSY;
        }
        h->detached = 1;
        fake_log(d, "kernel driver %s detached from interface %d", d->driver, interface);
    }
    int rc = fake_dev_claim(d, interface);
    if (rc == 0)
        h->claimed |= 1u << interface;
    return rc;
}

static int locked_release_interface(libusb_device_handle *h, int interface)
{
    int rc = interface >= 0 && interface < 32 && (h->claimed & 1u << interface)
                 ? 0
                 : LIBUSB_ERROR_NOT_FOUND;
    if (rc == 0)
        h->claimed &= ~(1u << interface);
    if (rc == 0 && stale(h))
        rc = LIBUSB_ERROR_NO_DEVICE;
    fake_log(h->dev, "release %d -> %d", interface, rc);
    if (rc == 0 && h->detached && interface == fake_interface(h->dev)) {
        h->detached = 0;
        fake_log(h->dev, "kernel driver %s attached to interface %d", h->dev->driver, interface);
    }
    return rc;
}

static int locked_set_interface_alt_setting(libusb_device_handle *h, int interface, int alt)
{
    if (stale(h)) {
        fake_log(h->dev, "alt %d %d -> %d", interface, alt, LIBUSB_ERROR_NO_DEVICE);
        return LIBUSB_ERROR_NO_DEVICE;
    }
    return fake_dev_set_alt(h->dev, h->claimed, interface, alt);
}

static int locked_reset_device(libusb_device_handle *h)
{
    if (stale(h)) {
        fake_log(h->dev, "reset -> %d", LIBUSB_ERROR_NOT_FOUND);
        return LIBUSB_ERROR_NOT_FOUND;
    }
    return fake_dev_reset(h->dev);
}

static int locked_control_transfer(libusb_device_handle *h, uint8_t type, uint8_t request,
                                   uint16_t value, uint16_t index, unsigned char *data,
                                   uint16_t length, unsigned int timeout)
{
    if (stale(h)) {
        fake_log(h->dev, "ctrl %02x %02x %04x %04x %u %u -> %d", type, request, value, index,
                 length, timeout, LIBUSB_ERROR_NO_DEVICE);
        return LIBUSB_ERROR_NO_DEVICE;
    }
    return fake_dev_control(h->dev, h->claimed, type, request, value, index, data, length,
                            timeout);
}

static int locked_get_string_descriptor_ascii(libusb_device_handle *h, uint8_t index,
                                       unsigned char *data, int length)
{
    if (index == 0 || length <= 0)
        return LIBUSB_ERROR_INVALID_PARAM;
    if (stale(h))
        return LIBUSB_ERROR_NO_DEVICE;
    const char *s = fake_string(h->dev, index);
    if (!s)
        return LIBUSB_ERROR_PIPE;
    size_t n = strlen(s);
    if (n > (size_t)length - 1)
        n = (size_t)length - 1;
    memcpy(data, s, n);
    data[n] = '\0';
    return (int)n;
}

/* ---- names ------------------------------------------------------------------ */

static const struct {
    int code;
    const char *name, *text;
} names[] = {
    {LIBUSB_SUCCESS, "LIBUSB_SUCCESS", "Success"},
    {LIBUSB_ERROR_IO, "LIBUSB_ERROR_IO", "Input/Output Error"},
    {LIBUSB_ERROR_INVALID_PARAM, "LIBUSB_ERROR_INVALID_PARAM", "Invalid parameter"},
    {LIBUSB_ERROR_ACCESS, "LIBUSB_ERROR_ACCESS", "Access denied (insufficient permissions)"},
    {LIBUSB_ERROR_NO_DEVICE, "LIBUSB_ERROR_NO_DEVICE", "No such device (it may have been disconnected)"},
    {LIBUSB_ERROR_NOT_FOUND, "LIBUSB_ERROR_NOT_FOUND", "Entity not found"},
    {LIBUSB_ERROR_BUSY, "LIBUSB_ERROR_BUSY", "Resource busy"},
    {LIBUSB_ERROR_TIMEOUT, "LIBUSB_ERROR_TIMEOUT", "Operation timed out"},
    {LIBUSB_ERROR_OVERFLOW, "LIBUSB_ERROR_OVERFLOW", "Overflow"},
    {LIBUSB_ERROR_PIPE, "LIBUSB_ERROR_PIPE", "Pipe error"},
    {LIBUSB_ERROR_INTERRUPTED, "LIBUSB_ERROR_INTERRUPTED", "System call interrupted (perhaps due to signal)"},
    {LIBUSB_ERROR_NO_MEM, "LIBUSB_ERROR_NO_MEM", "Insufficient memory"},
    {LIBUSB_ERROR_NOT_SUPPORTED, "LIBUSB_ERROR_NOT_SUPPORTED", "Operation not supported or unimplemented on this platform"},
};

const char *libusb_error_name(int code)
{
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (names[i].code == code)
            return names[i].name;
    return code == LIBUSB_ERROR_OTHER ? "LIBUSB_ERROR_OTHER" : "**UNKNOWN**";
}

const char *libusb_strerror(int code)
{
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (names[i].code == code)
            return names[i].text;
    return "Other error";
}

const struct libusb_version *libusb_get_version(void)
{
    static const struct libusb_version v = {1, 0, 26, 0, "", "mpflash fake libusb"};
    return &v;
}

/* ---- the entry points, one at a time (fake_lock) -------------------------------- */

int libusb_init(libusb_context **ctx)
{
    fake_lock();
    int rc = locked_init(ctx);
    fake_unlock();
    return rc;
}

void libusb_exit(libusb_context *ctx)
{
    fake_lock();
    locked_exit(ctx);
    fake_unlock();
}

ssize_t libusb_get_device_list(libusb_context *ctx, libusb_device ***list)
{
    fake_lock();
    ssize_t rc = locked_get_device_list(ctx, list);
    fake_unlock();
    return rc;
}

void libusb_free_device_list(libusb_device **list, int unref_devices)
{
    fake_lock();
    locked_free_device_list(list, unref_devices);
    fake_unlock();
}

libusb_device *libusb_ref_device(libusb_device *dev)
{
    fake_lock();
    libusb_device *rc = locked_ref_device(dev);
    fake_unlock();
    return rc;
}

void libusb_unref_device(libusb_device *dev)
{
    fake_lock();
    locked_unref_device(dev);
    fake_unlock();
}

int libusb_open(libusb_device *dev, libusb_device_handle **handle)
{
    fake_lock();
    int rc = locked_open(dev, handle);
    fake_unlock();
    return rc;
}

void libusb_close(libusb_device_handle *h)
{
    fake_lock();
    locked_close(h);
    fake_unlock();
}

int libusb_claim_interface(libusb_device_handle *h, int interface)
{
    fake_lock();
    int rc = locked_claim_interface(h, interface);
    fake_unlock();
    return rc;
}

int libusb_release_interface(libusb_device_handle *h, int interface)
{
    fake_lock();
    int rc = locked_release_interface(h, interface);
    fake_unlock();
    return rc;
}

int libusb_set_interface_alt_setting(libusb_device_handle *h, int interface, int alt)
{
    fake_lock();
    int rc = locked_set_interface_alt_setting(h, interface, alt);
    fake_unlock();
    return rc;
}

int libusb_reset_device(libusb_device_handle *h)
{
    fake_lock();
    int rc = locked_reset_device(h);
    fake_unlock();
    return rc;
}

int libusb_control_transfer(libusb_device_handle *h, uint8_t type, uint8_t request,
                            uint16_t value, uint16_t index, unsigned char *data, uint16_t length,
                            unsigned int timeout)
{
    fake_lock();
    int rc = locked_control_transfer(h, type, request, value, index, data, length, timeout);
    fake_unlock();
    return rc;
}

int libusb_get_string_descriptor_ascii(libusb_device_handle *h, uint8_t index,
                                       unsigned char *data, int length)
{
    fake_lock();
    int rc = locked_get_string_descriptor_ascii(h, index, data, length);
    fake_unlock();
    return rc;
}
