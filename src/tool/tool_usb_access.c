/* See tool_usb_access.h. libusb on Linux finds devices through usbfs
 * (/dev/bus/usb/BUS/DEVICE) and reads their descriptors from sysfs or, without
 * it, from those nodes; a user who can read none of them, or a system (a
 * container, WSL) without them, gets an empty list that says nothing. */
#include "tool/tool_usb_access.h"

#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#ifdef __linux__
static int can_read(const char *path)
{
    return access(path, R_OK) == 0;
}

static const char *root_or_dev(const char *dev_root)
{
    return dev_root ? dev_root : "/dev";
}

/* One bus directory: how many device nodes, and whether one is readable. */
static void scan_bus(const char *bus_dir, int (*readable)(const char *), size_t *nodes, int *any_readable)
{
    DIR *d = opendir(bus_dir);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL && !*any_readable) {
        if (e->d_name[0] == '.')
            continue;
        char path[1536];
        snprintf(path, sizeof path, "%s/%s", bus_dir, e->d_name);
        (*nodes)++;
        *any_readable = readable(path);
    }
    closedir(d);
}
#endif

tool_usb_access tool_usb_access_check(const char *dev_root, int (*readable)(const char *path))
{
#ifdef __linux__
    char usb[512];
    snprintf(usb, sizeof usb, "%s/bus/usb", root_or_dev(dev_root));
    DIR *d = opendir(usb);
    if (!d)
        return TOOL_USB_NO_BUS;
    size_t nodes = 0;
    int any_readable = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL && !any_readable) {
        if (e->d_name[0] == '.')
            continue;
        char bus[1024];
        snprintf(bus, sizeof bus, "%s/%s", usb, e->d_name);
        scan_bus(bus, readable ? readable : can_read, &nodes, &any_readable);
    }
    closedir(d);
    if (any_readable)
        return TOOL_USB_SEEN;
    return nodes ? TOOL_USB_NO_PERMISSION : TOOL_USB_NO_BUS;
#else
    (void)dev_root;
    (void)readable;
    return TOOL_USB_SEEN;
#endif
}

mpf_err tool_usb_access_error(tool_usb_access access, const char *dev_root, mpf_error *err)
{
#ifdef __linux__
    const char *root = root_or_dev(dev_root);
    switch (access) {
    case TOOL_USB_NO_BUS:
        return mpf_error_set(err, MPF_ERR_USB_ACCESS,
                             "no DFU devices found, and none could be: %s/bus/usb is missing or empty, so this "
                             "system shows no USB devices (in a container, pass them in: docker run "
                             "--device=/dev/bus/usb ...; under WSL, attach the board with usbipd)",
                             root);
    case TOOL_USB_NO_PERMISSION:
        return mpf_error_set(err, MPF_ERR_USB_ACCESS,
                             "no DFU devices found, but this user may read none of the USB devices in %s/bus/usb, "
                             "so a board would not be seen: install mpflash's udev rule (see FILES in mpflash(1)) "
                             "and replug the board, or run as root",
                             root);
    case TOOL_USB_SEEN: break;
    }
#else
    (void)access;
    (void)dev_root;
    (void)err;
#endif
    return MPF_OK;
}

mpf_err tool_usb_access_explain(mpf_err rc, size_t found, const char *dev_root, mpf_error *err)
{
    if (found || (rc != MPF_OK && rc != MPF_ERR_NO_DEVICE))
        return rc;
    mpf_err why = tool_usb_access_error(tool_usb_access_check(dev_root, NULL), dev_root, err);
    return why ? why : rc;
}
