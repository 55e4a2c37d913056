/* The emulated bus's private model, shared by tests/usbfs only. */
#ifndef MPFLASH_USBFS_INTERNAL_H
#define MPFLASH_USBFS_INTERNAL_H

#include <pthread.h>
#include <umockdev.h>

#include "fake_internal.h"
#include "usbfs.h"

#define USBFS_MAX_NODES 128
#define USBFS_HUB (-1)

/* A URB submitted and not yet reaped. */
typedef struct usbfs_urb {
    UMockdevIoctlData *urb; /* the client's struct usbdevfs_urb */
    UMockdevIoctlData *buf; /* its buffer: setup packet + data stage */
    int status;             /* 0 or -errno, as the kernel completes it */
    int actual;             /* data-stage bytes */
    int lost;               /* the device never answers: only a discard ends it */
    uint64_t ready_us;      /* reapable from then */
    int until_interrupted;  /* ctrl-c=: held until the program says it is stopping */
    struct usbfs_urb *next;
} usbfs_urb;

/* One /dev/bus/usb node: a hub, or one enumeration of a board. A board that
 * re-enumerates gets a new node (new address); the old one answers ENODEV
 * to whoever still holds it open. */
typedef struct usbfs_node {
    int dev;             /* index into fake.devs, or USBFS_HUB */
    unsigned generation; /* the board's enumeration this node is */
    int live;
    int on_bus;          /* in sysfs now (the sync thread's side) */
    uint8_t bus, devnum, nports, ports[7];
    char devnode[32];    /* /dev/bus/usb/BBB/DDD */
    char syspath[128];   /* /sys/devices/usbB/... */
    unsigned claimed;    /* bit per interface */
    char driver[32];     /* kernel driver bound to the DFU interface, "" none */
    char detached[32];   /* the driver usbfs took it from, to give back */
    usbfs_urb *urbs;
} usbfs_node;

typedef enum { USBFS_ADD, USBFS_REMOVE } usbfs_action_kind;

/* A board's virtual clock tied to real time: at real time real_us the
 * board's clock read sim_us. */
typedef struct usbfs_clock {
    int tied;
    uint64_t real_us, sim_us;
} usbfs_clock;

struct usbfs_bed {
    UMockdevTestbed *tb;
    UMockdevIoctlBase *handler;
    char *root;
    usbfs_node nodes[USBFS_MAX_NODES];
    usbfs_clock clocks[FAKE_MAX_DEVICES];
    size_t node_count;
    uint8_t next_devnum[256];

    /* bus changes waiting for the sync thread, which polls (fake_lock) */
    struct { usbfs_action_kind kind; size_t node; } actions[USBFS_MAX_NODES];
    size_t action_count;
    unsigned changes_made, changes_done;
    pthread_t sync;
    int stopping;

    int open_to_all; /* usbfs_bed_open_to_all */
    volatile int child_interrupted; /* usbfs_bed_child_interrupted was called */
    uint64_t interrupt_sent_us;     /* when a ctrl-c= board sent SIGINT; 0 = not yet */
    pid_t child;
    char maps_report[512];
    int maps_written;
};

/* usbfs_bus.c: bring the nodes in line with the boards (fake_lock held);
 * returns 1 when something changed. */
int usbfs_reconcile(usbfs_bed *bed);
usbfs_node *usbfs_node_by_devnode(usbfs_bed *bed, const char *devnode);

/* usbfs_ioctl.c */
gboolean usbfs_handle_ioctl(UMockdevIoctlBase *handler, UMockdevIoctlClient *client,
                            gpointer bed);
/* Every URB of a node that vanished completes with -ENODEV. */
void usbfs_urbs_disconnect(usbfs_node *n);
void usbfs_urbs_free(usbfs_node *n);

#endif
