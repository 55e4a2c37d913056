/* What Windows' device instance IDs say about a USB serial port. Portable
 * (no Windows calls), so the parsing is tested on every system; the
 * SetupAPI walk that collects the strings is src/platform/win32/port_list.c.
 * Internal (src/platform). */
#ifndef MPFLASH_PLATFORM_WIN_DEVICE_ID_H
#define MPFLASH_PLATFORM_WIN_DEVICE_ID_H

#include "mpflash/serial.h"

/* What the SetupAPI walk found for one COM port. */
typedef struct mpf_win_port_record {
    const char *port_name;   /* "COM5", from the device's PortName value */
    const char *instance_id; /* "USB\VID_F055&PID_9800&MI_00\6&2C3A1B&0&0000" */
    const char *parent_id;   /* the composite parent: "USB\VID_F055&PID_9800\2061376B5748"; may be NULL */
    const char *product;     /* the bus-reported description; may be NULL */
    const char *location;    /* first of the location paths: "PCIROOT(0)#PCI(1400)#USBROOT(0)#USB(2)#USB(3)#USBMI(0)"; may be NULL */
    const char *parent_location; /* the composite parent's: "…#USB(2)#USB(3)"; may be NULL */
} mpf_win_port_record;

/* Fills p from r; returns 1 if it is a USB serial port (the ID starts with
 * USB\ and has VID_ and PID_), 0 otherwise (Bluetooth, PCI and ACPI ports).
 * The serial number is the last part of the USB device's own ID when the
 * device reported one (Windows makes up IDs with '&' for devices without a
 * serial number, or when a serial number repeats); the interface number is
 * MI_xx; path is "" unless the location path (the port's own, else its
 * composite parent's) is all USB hops, with at most a last USBMI(n): then
 * "0-2.3", the port chain libusb_get_port_numbers gives, on bus 0 ("not
 * known": libusb numbers the host controllers its own way). */
int mpf_win_port_describe(const mpf_win_port_record *r, mpf_serial_port *p);

#endif
