/* The emulated usbfs bus: the fake libusb's boards (MPFLASH_FAKE_USB, see
 * tests/fake_libusb/README.md) served to the real libusb-1.0 through
 * umockdev's emulated sysfs, /dev/bus/usb nodes and usbdevfs ioctls. The
 * real library then enumerates them from sysfs, opens their nodes, submits
 * and reaps URBs, and sees them leave and come back through uevents, as on
 * a Linux machine with the boards plugged in.
 *
 * Used in-process (the test links libumockdev-preload, which must be loaded
 * before libc: it redirects /sys and /dev into the testbed) and by
 * usbfs-launch, which runs the mpflash binary as a child with the preload.
 * A board with open=access gets a node only root may open (no udev rule).
 * Test code: one bus per process. */
#ifndef MPFLASH_USBFS_H
#define MPFLASH_USBFS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

typedef struct usbfs_bed usbfs_bed;

/* Builds the boards from MPFLASH_FAKE_USB (and _STATE, _LOG) as the fake
 * libusb would, and puts them on the emulated bus; sets UMOCKDEV_DIR in
 * this process. NULL on failure, with the reason on stderr. */
usbfs_bed *usbfs_bed_start(void);
/* Saves the boards' state, takes the bus down, removes the testbed. */
void usbfs_bed_stop(usbfs_bed *bed);

/* The testbed's root (what UMOCKDEV_DIR must name for a child). */
const char *usbfs_bed_root(const usbfs_bed *bed);

/* Wait until every change the boards made (a board leaving, coming back
 * after a detach or reset) is on the bus: sysfs and the uevents. */
void usbfs_bed_settle(usbfs_bed *bed);

/* The process whose ioctls these are: at its first ioctl, the lines of its
 * /proc/PID/maps that name a libusb are appended to report_path. */
void usbfs_bed_watch_child(usbfs_bed *bed, pid_t pid, const char *report_path);

/* The child has said it is stopping after a Ctrl-C (a ctrl-c= board sent
 * it SIGINT): the request held since then is answered. */
void usbfs_bed_child_interrupted(usbfs_bed *bed);

/* Nonzero if a board has ctrl-c=N (then the child's standard error must be
 * watched for its "interrupted" line). */
int usbfs_bed_wants_ctrl_c(void);

/* Let a process without root's rights use the bus: the testbed and the
 * device nodes' ioctl sockets open to everyone (a node's own mode still
 * applies to opening it; umockdev's preload connects to the socket even
 * when that open fails, and exits if it cannot). */
void usbfs_bed_open_to_all(usbfs_bed *bed);

#endif
