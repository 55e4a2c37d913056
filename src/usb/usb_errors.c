/* libusb error codes -> mpf_err, with a message that tells the user what to
 * do. The codes are distinct because the engine acts on them (a stall or a
 * vanished device after a leave request is success). */
#include <libusb.h>
#include <stdio.h>

#include "mpflash/usb.h"

/* Access is denied for different reasons: on Linux the device node's
 * permissions (udev), on Windows a driver that is not WinUSB, or another
 * program holding the device (WinUSB serves one program at a time). */
#ifdef _WIN32
#define ACCESS_ADVICE                                                                             \
    "another program has the device open (STM32CubeProgrammer, dfu-util, another mpflash?), or " \
    "its driver is not WinUSB (install WinUSB with Zadig, https://zadig.akeo.ie)"
#else
#define ACCESS_ADVICE \
    "this user may not open USB devices: install mpflash's udev rule (50-mpflash.rules), then replug the board (or run as root)"
#endif

/* libusb opens a device on Windows only through WinUSB (or libusbK); a
 * device whose driver is another one, or none, gives NOT_SUPPORTED. ST's
 * ROM bootloader ships no Microsoft OS descriptors, so Windows binds it
 * nothing by itself; mboot has them (WCID) and gets WinUSB at plug-in. */
static const char *no_driver_advice(const mpf_device_info *dev)
{
    if (dev && dev->vid == 0x0483 && dev->pid == 0xdf11)
        return "no WinUSB driver is bound to the device, and ST's system bootloader gets none by itself: "
               "run Zadig (https://zadig.akeo.ie), pick \"STM32 BOOTLOADER\", choose WinUSB and press "
               "Install Driver (once per PC), then retry";
    return "no WinUSB driver is bound to the device: MicroPython's mboot has Windows bind WinUSB by itself "
           "(an older mboot may not); for any other device install WinUSB for it with Zadig "
           "(https://zadig.akeo.ie), then retry";
}

mpf_err mpf_usb_error(mpf_error *err, int libusb_code, const mpf_device_info *dev,
                      const char *doing, unsigned timeout_ms)
{
    /* "<doing> <device>", or just "<doing>" when no device is involved. */
    char what[192];
    if (!doing)
        doing = "using";
    if (!dev)
        snprintf(what, sizeof what, "%s", doing);
    else if (dev->path[0])
        snprintf(what, sizeof what, "%s %04x:%04x at %s", doing, dev->vid, dev->pid, dev->path);
    else
        snprintf(what, sizeof what, "%s %04x:%04x", doing, dev->vid, dev->pid);

    switch (libusb_code) {
    case LIBUSB_SUCCESS:
        return mpf_error_set(err, MPF_ERR_INTERNAL, "no error %s mapped as an error", what);
    case LIBUSB_ERROR_ACCESS:
        return mpf_error_refuse(err, MPF_ERR_USB_ACCESS, MPF_REASON_PERMISSION,
                                "permission denied %s: " ACCESS_ADVICE, what);
    case LIBUSB_ERROR_BUSY:
        return mpf_error_set(err, MPF_ERR_USB_BUSY,
                             "device busy %s: another program has claimed it (dfu-util, "
                             "pydfu, another mpflash?); close it and retry",
                             what);
    case LIBUSB_ERROR_NO_DEVICE:
        return mpf_error_set(err, MPF_ERR_USB_DISCONNECTED,
                             "device disconnected %s (unplugged, or it reset itself)", what);
    case LIBUSB_ERROR_PIPE:
        return mpf_error_set(err, MPF_ERR_USB_STALL, "request stalled %s", what);
    case LIBUSB_ERROR_TIMEOUT:
        if (timeout_ms)
            return mpf_error_set(err, MPF_ERR_USB_TIMEOUT, "timed out after %u ms %s",
                                 timeout_ms, what);
        return mpf_error_set(err, MPF_ERR_USB_TIMEOUT, "timed out %s", what);
    case LIBUSB_ERROR_NOT_SUPPORTED:
        return mpf_error_set(err, MPF_ERR_USB_NOT_SUPPORTED, "%s failed: %s", what,
                             no_driver_advice(dev));
    case LIBUSB_ERROR_NO_MEM:
        return mpf_error_set(err, MPF_ERR_NOMEM, "out of memory %s", what);
    default:
        return mpf_error_set(err, MPF_ERR_USB, "USB error %s: %s (%s)", what,
                             libusb_error_name(libusb_code), libusb_strerror(libusb_code));
    }
}
