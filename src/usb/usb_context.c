/* The libusb context behind mpf_usb: one per caller, never libusb's default
 * context, so a GUI can hold several and the library has no global state. */
#include <stdlib.h>

#include "usb/usb_internal.h"
#include "usb/usb_list.h"

mpf_err mpf_usb_new(mpf_usb **out, mpf_error *err)
{
    *out = NULL;
    mpf_usb *usb = calloc(1, sizeof *usb);
    if (!usb)
        return mpf_error_set(err, MPF_ERR_NOMEM, "out of memory starting libusb");
    int rc = libusb_init(&usb->ctx);
    if (rc < 0) {
        free(usb);
        return mpf_usb_error(err, rc, NULL, "starting libusb", 0);
    }
    *out = usb;
    return MPF_OK;
}

void mpf_usb_free(mpf_usb *usb)
{
    if (!usb)
        return;
    libusb_exit(usb->ctx);
    free(usb);
}
