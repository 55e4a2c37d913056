/* Opening a scanned device into a transport, and the one-call path the
 * command line uses: scan, choose exactly one, detach it if it is running
 * its application, open. */
#include <stdio.h>
#include <string.h>

#include "usb/usb_list.h"

/* Append "; held by NAME (PID n)" to a busy error where the holder is visible. */
static void name_holder(libusb_device *dev, mpf_error *err)
{
    char who[96];
    if (!err || !usb_find_holder(libusb_get_bus_number(dev), libusb_get_device_address(dev), who,
                                 sizeof who))
        return;
    size_t used = strlen(err->message);
    snprintf(err->message + used, sizeof err->message - used, " (held by %s)", who);
}

mpf_err mpf_usb_open(mpf_usb_list *list, size_t index, mpf_transport *out, mpf_error *err)
{
    if (!list || index >= list->count)
        return mpf_error_set(err, MPF_ERR_INTERNAL, "device %zu is not in the list of %zu", index,
                             list ? list->count : 0);
    const mpf_device_info *info = &list->devices[index];
    libusb_device_handle *h = NULL;
    int rc = libusb_open(list->refs[index], &h);
    if (rc < 0)
        return mpf_usb_error(err, rc, info, "opening", 0);
    mpf_err result = mpf_usb_transport_new(mpf_usb_io_libusb(), h, info, out, err);
    if (result == MPF_ERR_USB_BUSY)
        name_holder(list->refs[index], err);
    return result;
}

mpf_err mpf_usb_open_matching(mpf_usb *usb, const mpf_usb_filter *f, unsigned detach_wait_ms,
                              mpf_transport *out, mpf_error *err)
{
    mpf_usb_list *list = NULL;
    mpf_err rc = mpf_usb_scan(usb, &list, err);
    if (rc != MPF_OK)
        return rc;
    size_t index = 0;
    rc = mpf_usb_select(f, list->devices, list->notes, list->count, &index, err);
    if (rc == MPF_OK)
        rc = mpf_usb_open(list, index, out, err);
    int runtime = rc == MPF_OK && list->devices[index].mode == MPF_MODE_RUNTIME;
    /* Close our references first: keeping them could delay re-enumeration. */
    mpf_usb_list_free(list);
    if (runtime) {
        mpf_transport rt = *out;
        memset(out, 0, sizeof *out);
        rc = mpf_usb_detach_and_reopen(usb, &rt, f, detach_wait_ms, out, err);
    }
    return rc;
}
