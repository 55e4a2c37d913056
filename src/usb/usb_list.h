/* mpflash — the insides of mpf_usb and mpf_usb_list, shared by src/usb. */
#ifndef MPFLASH_USB_LIST_H
#define MPFLASH_USB_LIST_H

#include "usb/usb_internal.h"

struct mpf_usb {
    libusb_context *ctx;
};

struct mpf_usb_list {
    mpf_device_info *devices; /* parallel arrays, count entries */
    mpf_error *notes;
    libusb_device **refs;     /* one reference held per entry */
    size_t count, cap;
};

/* Append an entry, taking a new reference on dev. */
mpf_err usb_list_add(mpf_usb_list *l, libusb_device *dev, const mpf_device_info *info,
                     const mpf_error *note, mpf_error *err);

/* Put the entries in port-path order. */
void usb_list_sort(mpf_usb_list *l);

/* "name (PID n)" of a process that has the device node open, for "busy"
 * messages; 0 if none can be seen (not Linux, or another user's process). */
int usb_find_holder(uint8_t bus, uint8_t address, char *out, size_t size);

#endif
