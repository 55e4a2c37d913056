/* The result of a scan: device information, per-device notes, and the
 * libusb device references needed to open an entry later. */
#include <stdlib.h>
#include <string.h>

#include "usb/usb_list.h"

mpf_err usb_list_add(mpf_usb_list *l, libusb_device *dev, const mpf_device_info *info,
                     const mpf_error *note, mpf_error *err)
{
    if (l->count == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 8;
        mpf_device_info *d = realloc(l->devices, cap * sizeof *d);
        if (d)
            l->devices = d;
        mpf_error *n = d ? realloc(l->notes, cap * sizeof *n) : NULL;
        if (n)
            l->notes = n;
        libusb_device **r = n ? realloc(l->refs, cap * sizeof *r) : NULL;
        if (!r)
            return mpf_error_set(err, MPF_ERR_NOMEM, "out of memory listing USB devices");
        l->refs = r;
        l->cap = cap;
    }
    l->devices[l->count] = *info;
    if (note)
        l->notes[l->count] = *note;
    else
        mpf_error_clear(&l->notes[l->count]);
    l->refs[l->count] = libusb_ref_device(dev);
    l->count++;
    return MPF_OK;
}

size_t mpf_usb_list_count(const mpf_usb_list *list)
{
    return list ? list->count : 0;
}

const mpf_device_info *mpf_usb_list_devices(const mpf_usb_list *list)
{
    return list ? list->devices : NULL;
}

const mpf_error *mpf_usb_list_notes(const mpf_usb_list *list)
{
    return list ? list->notes : NULL;
}

void mpf_usb_list_free(mpf_usb_list *list)
{
    if (!list)
        return;
    for (size_t i = 0; i < list->count; i++)
        libusb_unref_device(list->refs[i]);
    free(list->devices);
    free(list->notes);
    free(list->refs);
    free(list);
}
