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

/* "1-2.10" after "1-2.9": the numbers compared as numbers, a path before
 * the paths through it. */
static int path_compare(const char *a, const char *b)
{
    while (*a && *b) {
        char *ea, *eb;
        unsigned long na = strtoul(a, &ea, 10), nb = strtoul(b, &eb, 10);
        if (ea == a || eb == b)
            return strcmp(a, b);
        if (na != nb)
            return na < nb ? -1 : 1;
        a = *ea ? ea + 1 : ea;
        b = *eb ? eb + 1 : eb;
    }
    return (*a != '\0') - (*b != '\0');
}

static void swap_entries(mpf_usb_list *l, size_t i, size_t j)
{
    mpf_device_info d = l->devices[i];
    l->devices[i] = l->devices[j];
    l->devices[j] = d;
    mpf_error n = l->notes[i];
    l->notes[i] = l->notes[j];
    l->notes[j] = n;
    libusb_device *r = l->refs[i];
    l->refs[i] = l->refs[j];
    l->refs[j] = r;
}

/* libusb lists devices in whatever order its backend found them (on Linux,
 * the order of hotplug events: not the same from one run to the next), so
 * the list is put in port order. Stable: a device's interfaces keep theirs. */
void usb_list_sort(mpf_usb_list *l)
{
    for (size_t i = 1; i < l->count; i++)
        for (size_t j = i; j > 0 && path_compare(l->devices[j - 1].path, l->devices[j].path) > 0;
             j--)
            swap_entries(l, j - 1, j);
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
