/* How a device is named to people: its port path ("1-2.3", the same form
 * dfu-util and Linux sysfs use, stable across re-enumeration) and a one-line
 * description used in lists and error messages. */
#include <stdio.h>

#include "mpflash/usb.h"

mpf_err mpf_usb_format_path(uint8_t bus, const uint8_t *ports, size_t count, char *out,
                            size_t size, mpf_error *err)
{
    if (!out || size == 0)
        return mpf_error_set(err, MPF_ERR_USAGE, "no room for a port path");
    int n = snprintf(out, size, "%u", (unsigned)bus);
    for (size_t i = 0; n >= 0 && (size_t)n < size && i < count; i++)
        n += snprintf(out + n, size - (size_t)n, "%c%u", i == 0 ? '-' : '.', (unsigned)ports[i]);
    if (n < 0 || (size_t)n >= size) {
        out[0] = '\0';
        return mpf_error_set(err, MPF_ERR_USAGE,
                             "port path of bus %u with %zu ports does not fit in %zu bytes",
                             (unsigned)bus, count, size);
    }
    return MPF_OK;
}

void mpf_usb_describe(const mpf_device_info *dev, char *out, size_t size)
{
    if (!out || size == 0)
        return;
    int n = snprintf(out, size, "%04x:%04x", dev->vid, dev->pid);
    if (n >= 0 && (size_t)n < size && dev->serial[0])
        n += snprintf(out + n, size - (size_t)n, " serial %s", dev->serial);
    if (n >= 0 && (size_t)n < size && dev->path[0])
        n += snprintf(out + n, size - (size_t)n, " at %s", dev->path);
    if (n >= 0 && (size_t)n < size)
        snprintf(out + n, size - (size_t)n, " (%s)",
                 dev->mode == MPF_MODE_RUNTIME ? "runtime mode" : "DFU mode");
}
