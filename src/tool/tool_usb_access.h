/* Why a USB scan that found nothing may not mean "no board": on Linux,
 * libusb sees only what /dev/bus/usb shows this user. */
#ifndef MPFLASH_TOOL_USB_ACCESS_H
#define MPFLASH_TOOL_USB_ACCESS_H

#include <stddef.h>

#include "mpflash/error.h"

typedef enum tool_usb_access {
    TOOL_USB_SEEN,         /* some device node can be read: an empty scan means no board */
    TOOL_USB_NO_BUS,       /* no /dev/bus/usb, or no device in it (a container?) */
    TOOL_USB_NO_PERMISSION /* device nodes, none of them readable by this user */
} tool_usb_access;

/* Looks at dev_root/bus/usb/BUS/DEVICE (dev_root NULL: /dev); readable(path)
 * says whether this user may read a node (access(2) when NULL; tests pass
 * their own, since root may read anything). Always TOOL_USB_SEEN off Linux. */
tool_usb_access tool_usb_access_check(const char *dev_root, int (*readable)(const char *path));

/* The error for an empty scan: MPF_OK when access is not the problem;
 * otherwise which problem it is and what to do (exit code 4). */
mpf_err tool_usb_access_error(tool_usb_access access, const char *dev_root, mpf_error *err);

/* After a USB scan that found `found` DFU devices and ended in rc: when it
 * found none (rc MPF_OK for a listing, MPF_ERR_NO_DEVICE for a run that had
 * a board to open) and the cause is missing USB access under dev_root (NULL:
 * /dev), replaces err by that diagnosis and returns MPF_ERR_USB_ACCESS (exit
 * code 4). Otherwise returns rc and leaves err alone. */
mpf_err tool_usb_access_explain(mpf_err rc, size_t found, const char *dev_root, mpf_error *err);

#endif
