/* Enumeration: every device with a DFU interface becomes an mpf_device_info.
 * The descriptors come from libusb without opening the device; the strings
 * (serial, alt setting names) need it opened, and a device that cannot be
 * opened is still listed, with a note saying why. */
#include <stdlib.h>
#include <string.h>

#include "mpflash/dfu.h"
#include "usb/usb_list.h"

#define STRING_TIMEOUT_MS 1000

static void read_string(libusb_device_handle *h, uint8_t index, char *out, size_t size)
{
    out[0] = '\0';
    if (index == 0 || size < 2)
        return;
    int n = libusb_get_string_descriptor_ascii(h, index, (unsigned char *)out, (int)size - 1);
    out[n > 0 && (size_t)n < size ? (size_t)n : 0] = '\0';
}

/* For devices that leave the functional descriptor out of the configuration:
 * ask for it, as the device (dfu-util's way), then as the interface. */
static int ask_functional(libusb_device_handle *h, uint8_t interface, mpf_dfu_functional *func)
{
    static const uint8_t recipients[] = {LIBUSB_RECIPIENT_DEVICE, LIBUSB_RECIPIENT_INTERFACE};
    for (size_t i = 0; i < sizeof recipients; i++) {
        unsigned char buf[9];
        uint8_t type = (uint8_t)(LIBUSB_ENDPOINT_IN | LIBUSB_REQUEST_TYPE_STANDARD | recipients[i]);
        int n = libusb_control_transfer(h, type, LIBUSB_REQUEST_GET_DESCRIPTOR,
                                        MPF_DFU_FUNCTIONAL_DESCRIPTOR_TYPE << 8,
                                        recipients[i] == LIBUSB_RECIPIENT_DEVICE ? 0 : interface,
                                        buf, sizeof buf, STRING_TIMEOUT_MS);
        if (n > 0 && mpf_usb_parse_functional(buf, (size_t)n, func, NULL) == MPF_OK)
            return 1;
    }
    return 0;
}

/* The device's DFU interfaces, from its configuration descriptor. */
static int dfu_interfaces(libusb_device *dev, mpf_usb_dfu_config *out)
{
    struct libusb_config_descriptor *cfg = NULL;
    if (libusb_get_active_config_descriptor(dev, &cfg) < 0 &&
        libusb_get_config_descriptor(dev, 0, &cfg) < 0)
        return 0;
    uint8_t *bytes = NULL;
    size_t len = 0;
    mpf_err rc = usb_config_to_bytes(cfg, &bytes, &len, NULL);
    libusb_free_config_descriptor(cfg);
    /* A device with malformed descriptors is not one we can flash: skip it. */
    if (rc == MPF_OK)
        rc = mpf_usb_parse_config(bytes, len, out, NULL);
    free(bytes);
    return rc == MPF_OK && out->count > 0;
}

static void fill_interface(mpf_device_info *info, const mpf_usb_dfu_interface *itf,
                           libusb_device_handle *h, mpf_error *note)
{
    info->mode = itf->mode;
    info->interface_number = itf->interface_number;
    info->func = itf->func;
    info->num_alts = itf->num_alts;
    for (size_t a = 0; a < itf->num_alts; a++) {
        info->alts[a].alt = itf->alts[a].alt;
        info->alts[a].name[0] = '\0';
        if (h)
            read_string(h, itf->alts[a].string_index, info->alts[a].name,
                        sizeof info->alts[a].name);
    }
    if (!itf->has_functional && !(h && ask_functional(h, itf->interface_number, &info->func)) &&
        note->code == MPF_OK)
        mpf_error_set(note, MPF_ERR_PROTOCOL,
                      "%04x:%04x interface %u has no DFU functional descriptor: transfer size "
                      "and DFU version unknown",
                      info->vid, info->pid, (unsigned)itf->interface_number);
}

static mpf_err scan_device(mpf_usb_list *l, libusb_device *dev, mpf_error *err)
{
    struct libusb_device_descriptor dd;
    mpf_usb_dfu_config cfg;
    if (libusb_get_device_descriptor(dev, &dd) < 0 || dd.bDeviceClass == LIBUSB_CLASS_HUB ||
        !dfu_interfaces(dev, &cfg))
        return MPF_OK;

    mpf_device_info *info = calloc(1, sizeof *info);
    if (!info)
        return mpf_error_set(err, MPF_ERR_NOMEM, "out of memory listing USB devices");
    info->vid = dd.idVendor;
    info->pid = dd.idProduct;
    info->bcd_device = dd.bcdDevice;
    info->bus = libusb_get_bus_number(dev);
    info->devnum = libusb_get_device_address(dev);
    info->configuration = cfg.configuration_value;
    uint8_t ports[8];
    int nports = libusb_get_port_numbers(dev, ports, (int)sizeof ports);
    if (mpf_usb_format_path(info->bus, ports, nports > 0 ? (size_t)nports : 0, info->path,
                            sizeof info->path, NULL) != MPF_OK)
        info->path[0] = '\0';

    mpf_error note;
    mpf_error_clear(&note);
    libusb_device_handle *h = NULL;
    int rc = libusb_open(dev, &h);
    if (rc < 0) {
        h = NULL;
        mpf_usb_error(&note, rc, info, "opening", 0);
    } else {
        read_string(h, dd.iManufacturer, info->manufacturer, sizeof info->manufacturer);
        read_string(h, dd.iProduct, info->product, sizeof info->product);
        read_string(h, dd.iSerialNumber, info->serial, sizeof info->serial);
    }
    mpf_err result = MPF_OK;
    for (size_t i = 0; i < cfg.count && result == MPF_OK; i++) {
        mpf_error itf_note = note;
        fill_interface(info, &cfg.interfaces[i], h, &itf_note);
        result = usb_list_add(l, dev, info, &itf_note, err);
    }
    if (h)
        libusb_close(h);
    free(info);
    return result;
}

mpf_err mpf_usb_scan(mpf_usb *usb, mpf_usb_list **out, mpf_error *err)
{
    *out = NULL;
    mpf_usb_list *l = calloc(1, sizeof *l);
    if (!l)
        return mpf_error_set(err, MPF_ERR_NOMEM, "out of memory listing USB devices");
    libusb_device **all = NULL;
    ssize_t n = libusb_get_device_list(usb->ctx, &all);
    if (n < 0) {
        free(l);
        return mpf_usb_error(err, (int)n, NULL, "listing USB devices", 0);
    }
    mpf_err rc = MPF_OK;
    for (ssize_t i = 0; i < n && rc == MPF_OK; i++)
        rc = scan_device(l, all[i], err);
    libusb_free_device_list(all, 1);
    if (rc != MPF_OK) {
        mpf_usb_list_free(l);
        return rc;
    }
    usb_list_sort(l);
    *out = l;
    return MPF_OK;
}
