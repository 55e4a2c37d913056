/* Runtime mode -> DFU mode (DFU 1.1 section 5): DFU_DETACH, a USB reset
 * unless the device detaches by itself, then wait for the bootloader to
 * enumerate and recognise it as the same board. */
#include <stdio.h>
#include <string.h>

#include "mpflash/dfu.h"
#include "platform/clock.h"
#include "usb/usb_list.h"

#define DETACH_REQUEST_TIMEOUT_MS 1000
/* wValue when the device states no wDetachTimeOut: long enough for any
 * host to follow up with the reset. */
#define DETACH_DEFAULT_WAIT_MS 1000
#define RESCAN_INTERVAL_MS 100

mpf_err mpf_usb_detach_request(mpf_transport *t, mpf_error *err)
{
    const mpf_device_info *info = &t->info;
    uint16_t wait = info->func.detach_timeout_ms ? info->func.detach_timeout_ms
                                                 : DETACH_DEFAULT_WAIT_MS;
    int will_detach = (info->func.attributes & MPF_DFU_ATTR_WILL_DETACH) != 0;
    mpf_err rc = t->ops->control_out(t->ctx, MPF_DFU_DETACH, wait, NULL, 0,
                                     DETACH_REQUEST_TIMEOUT_MS, err);
    /* A device that detaches itself may be gone before the status stage. */
    if (rc == MPF_ERR_USB_DISCONNECTED || (will_detach && rc == MPF_ERR_USB))
        return MPF_OK;
    if (rc != MPF_OK) {
        mpf_error_prefix(err, "DFU_DETACH refused");
        return rc;
    }
    if (will_detach)
        return MPF_OK;
    rc = t->ops->reset(t->ctx, err);
    if (rc == MPF_ERR_USB_DISCONNECTED)
        return MPF_OK;
    if (rc != MPF_OK)
        mpf_error_prefix(err, "USB reset after DFU_DETACH");
    return rc;
}

/* Indices of DFU-mode devices passing f whose `field` equals want. */
static size_t candidates(const mpf_usb_filter *f, const mpf_device_info *devs, size_t count,
                         int by_serial, const char *want, size_t *first, size_t *second)
{
    size_t n = 0;
    for (size_t i = 0; i < count; i++) {
        const mpf_device_info *d = &devs[i];
        if (d->mode != MPF_MODE_DFU || strcmp(by_serial ? d->serial : d->path, want) != 0)
            continue;
        if (f && !mpf_usb_filter_match(f, d))
            continue;
        if (n == 0)
            *first = i;
        else if (n == 1)
            *second = i;
        n++;
    }
    return n;
}

mpf_err mpf_usb_find_reenumerated(const mpf_device_info *runtime, const mpf_usb_filter *f,
                                  const mpf_device_info *devs, size_t count, size_t *index,
                                  mpf_error *err)
{
    /* The runtime device's own serial and path are the identity here; the
     * filter contributes only the DFU-mode IDs and the alt setting. */
    mpf_usb_filter dfu;
    if (f) {
        dfu = *f;
        dfu.dfu_serial[0] = '\0';
        dfu.path[0] = '\0';
        dfu.interface = -1;
    }
    const mpf_usb_filter *use = f ? &dfu : NULL;
    size_t first = 0, second = 0, n = 0;
    int by_serial = runtime->serial[0] != '\0';
    if (by_serial)
        n = candidates(use, devs, count, 1, runtime->serial, &first, &second);
    /* Some bootloaders report a serial different from the application's. */
    if (n == 0 && runtime->path[0]) {
        by_serial = 0;
        n = candidates(use, devs, count, 0, runtime->path, &first, &second);
    }
    char was[sizeof runtime->serial + 64];
    mpf_usb_describe(runtime, was, sizeof was);
    if (n == 0)
        return mpf_error_set(err, MPF_ERR_NO_DEVICE,
                             "%s has not reappeared in DFU mode (looked for serial '%s' or path "
                             "%s among %zu devices)",
                             was, runtime->serial, runtime->path, count);
    if (n > 1) {
        char a[sizeof was], b[sizeof was];
        mpf_usb_describe(&devs[first], a, sizeof a);
        mpf_usb_describe(&devs[second], b, sizeof b);
        return mpf_error_set(err, MPF_ERR_AMBIGUOUS,
                             "after detaching %s, %zu DFU-mode devices have its %s: %s; %s",
                             was, n, by_serial ? "serial" : "path", a, b);
    }
    *index = first;
    return MPF_OK;
}

mpf_err mpf_usb_detach_and_reopen(mpf_usb *usb, mpf_transport *t, const mpf_usb_filter *f,
                                  unsigned wait_ms, mpf_transport *out, mpf_error *err)
{
    const mpf_device_info runtime = t->info;
    mpf_err rc = mpf_usb_detach_request(t, err);
    /* An open handle can hold up re-enumeration on some hosts. */
    mpf_transport_close(t);
    uint64_t deadline = mpf_host_now_us() + (uint64_t)wait_ms * 1000u;
    while (rc == MPF_OK) {
        mpf_usb_list *list = NULL;
        rc = mpf_usb_scan(usb, &list, err);
        if (rc != MPF_OK)
            break;
        size_t index = 0;
        rc = mpf_usb_find_reenumerated(&runtime, f, list->devices, list->count, &index, err);
        if (rc == MPF_OK)
            rc = mpf_usb_open(list, index, out, err);
        mpf_usb_list_free(list);
        /* Just after enumeration udev may not yet have applied the rule's
         * permissions, and the device may still be settling: retry those. */
        int transient = rc == MPF_ERR_NO_DEVICE || rc == MPF_ERR_USB_ACCESS ||
                        rc == MPF_ERR_USB_DISCONNECTED;
        if (!transient || mpf_host_now_us() >= deadline)
            break;
        mpf_clock_sleep_ms(NULL, RESCAN_INTERVAL_MS);
        rc = MPF_OK;
    }
    if (rc == MPF_ERR_NO_DEVICE)
        mpf_error_prefix(err, "waited %u ms after DFU_DETACH", wait_ms);
    return rc;
}
