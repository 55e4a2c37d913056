/* A fake Linux sysfs + /dev in a temporary directory, shaped like the real
 * one for USB serial ports: class/tty/<name> links into devices/..., the
 * tty's "device" link points at the USB interface (cdc_acm) or at a port
 * directory under it (usb-serial drivers), and the USB device directory
 * holds idVendor, idProduct, serial, busnum, devpath... */
#ifndef MPFLASH_TEST_FAKE_SYSFS_H
#define MPFLASH_TEST_FAKE_SYSFS_H

#include <stdint.h>

typedef struct fake_sysfs {
    char root[256]; /* the temporary directory */
    char sys[300];  /* <root>/sys */
    char dev[300];  /* <root>/dev */
} fake_sysfs;

typedef struct fake_usb_tty {
    const char *tty;        /* "ttyACM0" */
    int usb_serial_layout;  /* 1: ttyUSB style (port dir below the interface) */
    unsigned bus;           /* 1 */
    const char *devpath;    /* "2.3": hubs "1-2", then the device "1-2.3" */
    unsigned interface;     /* bInterfaceNumber */
    uint16_t vid, pid;
    const char *serial;     /* NULL: no serial file */
    const char *manufacturer, *product; /* NULL: no file */
    int no_busnum_devpath;  /* leave out busnum and devpath files */
    int bus_unknown;        /* the device's busnum file says 0, as Windows' port list has it
                             * (bus not known, only the port chain); the tree is still on bus */
    int no_dev_node;        /* do not create <dev>/<tty> */
} fake_usb_tty;

/* 0 on success. */
int fake_sysfs_init(fake_sysfs *fs);
int fake_sysfs_add_usb_tty(fake_sysfs *fs, const fake_usb_tty *t);
/* ttyS-like: device link to a platform device, no USB above it. */
int fake_sysfs_add_platform_tty(fake_sysfs *fs, const char *tty);
/* tty0-like: no device link at all. */
int fake_sysfs_add_virtual_tty(fake_sysfs *fs, const char *tty);
/* Removes the class entry and the device node (the device tree stays). */
int fake_sysfs_remove_tty(fake_sysfs *fs, const char *tty);
void fake_sysfs_cleanup(fake_sysfs *fs);

#endif
