/* mpf_transport over a USB device handle: DFU class requests on the claimed
 * interface (bmRequestType 0x21 / 0xA1, wIndex = interface number), alt
 * setting selection, port reset, and the host clock. All device I/O goes
 * through an mpf_usb_io table. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>

#include "mpflash/dfu.h"
#include "platform/clock.h"
#include "usb/usb_internal.h"

typedef struct usb_link {
    const mpf_usb_io *io;
    void *handle;
    mpf_device_info info; /* for messages: which device, which interface */
    mpf_sleep_tail sleep; /* how late this host's timer wakes (Windows' spin) */
} usb_link;

static mpf_err link_out(void *ctx, uint8_t request, uint16_t value, const uint8_t *data,
                        uint16_t length, unsigned timeout_ms, mpf_error *err)
{
    usb_link *l = ctx;
    if (length && !data)
        return mpf_error_set(err, MPF_ERR_INTERNAL, "%s of %u bytes with no data",
                             mpf_dfu_request_name(request), (unsigned)length);
    /* libusb takes one non-const buffer for both directions and only reads
     * it for host-to-device transfers. */
    int rc = l->io->control_transfer(l->handle, MPF_DFU_REQTYPE_OUT, request, value,
                                     l->info.interface_number, (unsigned char *)data, length,
                                     timeout_ms);
    char doing[96];
    snprintf(doing, sizeof doing, "sending %s (wValue %u, %u bytes) to",
             mpf_dfu_request_name(request), (unsigned)value, (unsigned)length);
    if (rc < 0)
        return mpf_usb_error(err, rc, &l->info, doing, timeout_ms);
    if (rc != length)
        return mpf_error_set(err, MPF_ERR_USB,
                             "short transfer %s %04x:%04x at %s: %d of %u bytes sent", doing,
                             l->info.vid, l->info.pid, l->info.path, rc, (unsigned)length);
    return MPF_OK;
}

static mpf_err link_in(void *ctx, uint8_t request, uint16_t value, uint8_t *data,
                       uint16_t length, size_t *received, unsigned timeout_ms, mpf_error *err)
{
    usb_link *l = ctx;
    *received = 0;
    if (length && !data)
        return mpf_error_set(err, MPF_ERR_INTERNAL, "%s of %u bytes with no buffer",
                             mpf_dfu_request_name(request), (unsigned)length);
    int rc = l->io->control_transfer(l->handle, MPF_DFU_REQTYPE_IN, request, value,
                                     l->info.interface_number, data, length, timeout_ms);
    if (rc < 0) {
        char doing[96];
        snprintf(doing, sizeof doing, "reading %s (wValue %u, %u bytes) from",
                 mpf_dfu_request_name(request), (unsigned)value, (unsigned)length);
        return mpf_usb_error(err, rc, &l->info, doing, timeout_ms);
    }
    if (rc > length)
        return mpf_error_set(err, MPF_ERR_PROTOCOL, "%s returned %d bytes for %u asked",
                             mpf_dfu_request_name(request), rc, (unsigned)length);
    *received = (size_t)rc;
    return MPF_OK;
}

static mpf_err link_select_alt(void *ctx, uint8_t alt, mpf_error *err)
{
    usb_link *l = ctx;
    int rc = l->io->set_interface_alt_setting(l->handle, l->info.interface_number, alt);
    /* libusb on Linux reports every SET_INTERFACE failure but a missing alt
     * setting or a vanished device as LIBUSB_ERROR_OTHER (the kernel's EPIPE
     * of a stall included); elsewhere a stall is LIBUSB_ERROR_PIPE. */
    if (rc == LIBUSB_ERROR_OTHER || rc == LIBUSB_ERROR_PIPE)
        return mpf_error_set(err, MPF_ERR_USB,
                             "%04x:%04x at %s refused SET_INTERFACE to alt setting %u of "
                             "interface %u (%s): it stalled the request or did not answer; "
                             "check that the device offers that alt setting",
                             l->info.vid, l->info.pid, l->info.path, (unsigned)alt,
                             (unsigned)l->info.interface_number, libusb_error_name(rc));
    if (rc < 0) {
        char doing[96];
        snprintf(doing, sizeof doing, "selecting alt setting %u of interface %u on",
                 (unsigned)alt, (unsigned)l->info.interface_number);
        return mpf_usb_error(err, rc, &l->info, doing, 0);
    }
    return MPF_OK;
}

static mpf_err link_reset(void *ctx, mpf_error *err)
{
    usb_link *l = ctx;
    int rc = l->io->reset_device(l->handle);
    /* NOT_FOUND: the device came back as a different device (as it does
     * after DETACH), so this handle is stale. */
    if (rc == LIBUSB_ERROR_NOT_FOUND)
        return mpf_error_set(err, MPF_ERR_USB_DISCONNECTED,
                             "%04x:%04x at %s re-enumerated after the USB reset", l->info.vid,
                             l->info.pid, l->info.path);
    if (rc < 0)
        return mpf_usb_error(err, rc, &l->info, "resetting", 0);
    return MPF_OK;
}

static void link_sleep_ms(void *ctx, uint32_t ms)
{
    usb_link *l = ctx;
    mpf_host_sleep_tail_us(&l->sleep, (uint64_t)ms * 1000u);
}

static uint64_t link_now_us(void *ctx)
{
    (void)ctx;
    return mpf_host_now_us();
}

static void link_close(void *ctx)
{
    usb_link *l = ctx;
    if (!l)
        return;
    /* Nothing useful can be done if release fails: the device is going anyway. */
    (void)l->io->release_interface(l->handle, l->info.interface_number);
    l->io->close(l->handle);
    free(l);
}

static mpf_err link_string(void *ctx, uint8_t index, char *out, size_t size, mpf_error *err)
{
    usb_link *l = ctx;
    if (size == 0)
        return mpf_error_set(err, MPF_ERR_INTERNAL, "string descriptor %u: no room", (unsigned)index);
    out[0] = '\0';
    if (!l->io->get_string_ascii)
        return mpf_error_set(err, MPF_ERR_USB, "this USB back end cannot read string descriptors");
    int n = l->io->get_string_ascii(l->handle, index, (unsigned char *)out,
                                    size - 1 > INT_MAX ? INT_MAX : (int)(size - 1));
    if (n < 0) {
        char doing[64];
        snprintf(doing, sizeof doing, "reading string descriptor %u of", (unsigned)index);
        return mpf_usb_error(err, n, &l->info, doing, 0);
    }
    out[(size_t)n < size ? (size_t)n : size - 1] = '\0';
    return MPF_OK;
}

static const mpf_transport_ops link_ops = {
    .control_out = link_out,
    .control_in = link_in,
    .select_alt = link_select_alt,
    .reset = link_reset,
    .sleep_ms = link_sleep_ms,
    .now_us = link_now_us,
    .close = link_close,
    .get_string = link_string,
};

mpf_err mpf_usb_transport_new(const mpf_usb_io *io, void *handle, const mpf_device_info *info,
                              mpf_transport *out, mpf_error *err)
{
    if (!io || !handle || !info || !out) {
        if (io && handle)
            io->close(handle);
        return mpf_error_set(err, MPF_ERR_INTERNAL, "transport needs an I/O table, a handle "
                                                    "and device information");
    }
    usb_link *l = calloc(1, sizeof *l);
    if (!l) {
        io->close(handle);
        return mpf_error_set(err, MPF_ERR_NOMEM, "out of memory opening %04x:%04x", info->vid,
                             info->pid);
    }
    l->io = io;
    l->handle = handle;
    l->info = *info;
    mpf_sleep_tail_init(&l->sleep);
    /* Only Linux can unbind a kernel driver; elsewhere this fails harmlessly
     * and the claim below reports any real obstacle. */
    (void)io->set_auto_detach_kernel_driver(handle, 1);
    int rc = io->claim_interface(handle, info->interface_number);
    if (rc < 0) {
        char doing[64];
        snprintf(doing, sizeof doing, "claiming interface %u of",
                 (unsigned)info->interface_number);
        mpf_err code = mpf_usb_error(err, rc, info, doing, 0);
        io->close(handle);
        free(l);
        return code;
    }
    out->ops = &link_ops;
    out->ctx = l;
    out->info = *info;
    return MPF_OK;
}
