/* The boards on the emulated bus: a root hub per bus, a hub for every port
 * a board sits behind, and a node per enumeration of each board. The board
 * side (fake_world) decides when a board leaves, resets or comes back; this
 * file turns those changes into what the kernel would show: the old device
 * removed (a "remove" uevent), the new one added at a new address (an "add"
 * uevent), in sysfs the way libusb's Linux backend reads it. The testbed is
 * only touched from the sync thread, never from umockdev's ioctl thread. */
#define _XOPEN_SOURCE 700 /* nftw */
#include <errno.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "usbfs_internal.h"

/* A USB 2.0 root hub (1d6b:0002), also standing in for external hubs:
 * device descriptor, then configuration, interface, endpoint. */
static const char hub_descriptors[] = "12010002090001406b1d020006050302010109021900010100e00009"
                                      "04000001090000000705810304000c";

usbfs_node *usbfs_node_by_devnode(usbfs_bed *bed, const char *devnode)
{
    for (size_t i = 0; i < bed->node_count; i++)
        if (strcmp(bed->nodes[i].devnode, devnode) == 0)
            return &bed->nodes[i];
    return NULL;
}

static size_t new_node(usbfs_bed *bed, int dev, uint8_t bus, const uint8_t *ports, uint8_t nports)
{
    if (bed->node_count == USBFS_MAX_NODES) {
        fprintf(stderr, "usbfs: more than %d device nodes\n", USBFS_MAX_NODES);
        abort();
    }
    size_t i = bed->node_count++;
    usbfs_node *n = &bed->nodes[i];
    memset(n, 0, sizeof *n);
    n->dev = dev;
    n->bus = bus;
    n->nports = nports;
    if (nports)
        memcpy(n->ports, ports, nports);
    /* Addresses count up and are never reused here, as a host controller
     * hands them out (the root hub is always 1). */
    if (bed->next_devnum[bus] == 0)
        bed->next_devnum[bus] = 1;
    n->devnum = bed->next_devnum[bus]++;
    snprintf(n->devnode, sizeof n->devnode, "/dev/bus/usb/%03u/%03u", bus, n->devnum);
    int len = snprintf(n->syspath, sizeof n->syspath, "/sys/devices/usb%u", bus);
    for (uint8_t depth = 1; depth <= nports && len > 0 && (size_t)len < sizeof n->syspath;
         depth++) {
        len += snprintf(n->syspath + len, sizeof n->syspath - (size_t)len, "/%u", bus);
        for (uint8_t k = 0; k < depth && (size_t)len < sizeof n->syspath; k++)
            len += snprintf(n->syspath + len, sizeof n->syspath - (size_t)len, "%c%u",
                            k ? '.' : '-', ports[k]);
    }
    n->live = 1;
    return i;
}

static void queue(usbfs_bed *bed, usbfs_action_kind kind, size_t node)
{
    bed->actions[bed->action_count].kind = kind;
    bed->actions[bed->action_count].node = node;
    bed->action_count++;
    bed->changes_made++;
}

static int has_hub(const usbfs_bed *bed, uint8_t bus, const uint8_t *ports, uint8_t nports)
{
    for (size_t i = 0; i < bed->node_count; i++) {
        const usbfs_node *n = &bed->nodes[i];
        if (n->dev == USBFS_HUB && n->bus == bus && n->nports == nports &&
            memcmp(n->ports, ports, nports) == 0)
            return 1;
    }
    return 0;
}

/* The root hub and every hub between it and a board. */
static void add_hubs(usbfs_bed *bed, const struct libusb_device *d)
{
    for (uint8_t depth = 0; depth < d->nports; depth++)
        if (!has_hub(bed, d->bus, d->ports, depth))
            queue(bed, USBFS_ADD, new_node(bed, USBFS_HUB, d->bus, d->ports, depth));
}

static usbfs_node *live_node_of(usbfs_bed *bed, int dev)
{
    for (size_t i = 0; i < bed->node_count; i++)
        if (bed->nodes[i].dev == dev && bed->nodes[i].live)
            return &bed->nodes[i];
    return NULL;
}

int usbfs_reconcile(usbfs_bed *bed)
{
    size_t before = bed->changes_made;
    fake_world_refresh();
    for (size_t i = 0; i < fake.count; i++) {
        struct libusb_device *d = &fake.devs[i];
        usbfs_node *n = live_node_of(bed, (int)i);
        if (n && (!d->present || n->generation != d->generation)) {
            n->live = 0;
            usbfs_urbs_disconnect(n);
            queue(bed, USBFS_REMOVE, (size_t)(n - bed->nodes));
            n = NULL;
        }
        if (!n && d->present) {
            add_hubs(bed, d);
            size_t k = new_node(bed, (int)i, d->bus, d->ports, d->nports);
            bed->nodes[k].generation = d->generation;
            /* The kernel binds its driver again at every enumeration. */
            snprintf(bed->nodes[k].driver, sizeof bed->nodes[k].driver, "%s", d->driver);
            queue(bed, USBFS_ADD, k);
        }
    }
    return bed->changes_made != before;
}

/* ---- the sync thread: sysfs and uevents ----------------------------------- */

static void hex(char *out, const uint8_t *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        sprintf(out + 2 * i, "%02x", b[i]);
    out[2 * n] = '\0';
}

/* The udev database record of a device, as umockdev reads it. */
static void describe(const usbfs_node *n, const char *descriptors, char *out, size_t size)
{
    snprintf(out, size,
             "P: %s\nN: %s\nE: SUBSYSTEM=usb\nE: DRIVER=usb\nE: DEVTYPE=usb_device\n"
             "E: DEVNAME=%s\nE: BUSNUM=%03u\nE: DEVNUM=%03u\n"
             "A: busnum=%u\\n\nA: devnum=%u\\n\nA: speed=%s\\n\nA: bConfigurationValue=1\\n\n"
             "H: descriptors=%s\n",
             n->syspath + strlen("/sys"), n->devnode + strlen("/dev/"), n->devnode, n->bus,
             n->devnum, n->bus, n->devnum, n->dev == USBFS_HUB ? "480" : "12", descriptors);
}

static void add_to_testbed(usbfs_bed *bed, size_t k)
{
    usbfs_node n;
    char descriptors[2 * 600 + 1];
    fake_lock();
    n = bed->nodes[k];
    if (n.dev == USBFS_HUB) {
        snprintf(descriptors, sizeof descriptors, "%s", hub_descriptors);
    } else {
        uint8_t bytes[600];
        const struct libusb_device *d = &fake.devs[n.dev];
        fake_device_descriptor(d, bytes);
        size_t len = fake_config_bytes(d, !d->hide_functional, bytes + 18, sizeof bytes - 18);
        hex(descriptors, bytes, 18 + (len < sizeof bytes - 18 ? len : 0));
    }
    int deny = n.dev != USBFS_HUB && fake.devs[n.dev].open_error == LIBUSB_ERROR_ACCESS;
    fake_unlock();

    char record[2048];
    describe(&n, descriptors, record, sizeof record);
    GError *error = NULL;
    /* The ioctl handler first, so the node works the moment it appears. */
    if (n.dev != USBFS_HUB && !deny &&
        !umockdev_testbed_attach_ioctl(bed->tb, n.devnode, bed->handler, &error)) {
        fprintf(stderr, "usbfs: cannot emulate %s: %s\n", n.devnode, error ? error->message : "?");
        g_clear_error(&error);
    }
    if (!umockdev_testbed_add_from_string(bed->tb, record, &error)) {
        fprintf(stderr, "usbfs: cannot add %s: %s\n", n.syspath, error ? error->message : "?");
        g_clear_error(&error);
    }
    char path[700];
    if (deny) {
        /* No udev rule: the node is root's only. */
        snprintf(path, sizeof path, "%s%s", bed->root, n.devnode);
        chmod(path, 0);
    }
    if (bed->open_to_all && n.dev != USBFS_HUB) {
        snprintf(path, sizeof path, "%s/ioctl%s", bed->root, n.devnode);
        chmod(path, 0777);
    }
}

static void remove_from_testbed(usbfs_bed *bed, size_t k)
{
    char syspath[128];
    fake_lock();
    snprintf(syspath, sizeof syspath, "%s", bed->nodes[k].syspath);
    fake_unlock();
    umockdev_testbed_uevent(bed->tb, syspath, "remove");
    umockdev_testbed_remove_device(bed->tb, syspath);
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

/* Applies queued changes in order; the world is also looked at every few
 * milliseconds, for boards that change on their own (appear=PATH). */
static void *sync_main(void *arg)
{
    usbfs_bed *bed = arg;
    for (;;) {
        fake_lock();
        if (bed->action_count == 0 && !bed->stopping)
            usbfs_reconcile(bed);
        int stop = bed->stopping && bed->action_count == 0;
        int have = bed->action_count > 0;
        usbfs_action_kind kind = USBFS_ADD;
        size_t node = 0;
        if (have) {
            kind = bed->actions[0].kind;
            node = bed->actions[0].node;
            memmove(bed->actions, bed->actions + 1, --bed->action_count * sizeof bed->actions[0]);
        }
        fake_unlock();
        if (stop)
            return NULL;
        if (!have) {
            sleep_ms(5);
            continue;
        }
        if (kind == USBFS_ADD)
            add_to_testbed(bed, node);
        else
            remove_from_testbed(bed, node);
        fake_lock();
        bed->nodes[node].on_bus = kind == USBFS_ADD;
        bed->changes_done++;
        fake_unlock();
    }
}

void usbfs_bed_settle(usbfs_bed *bed)
{
    for (;;) {
        fake_lock();
        int settled = bed->changes_done == bed->changes_made;
        fake_unlock();
        if (settled)
            return;
        sleep_ms(1);
    }
}

/* ---- lifetime ----------------------------------------------------------------- */

usbfs_bed *usbfs_bed_start(void)
{
    usbfs_bed *bed = calloc(1, sizeof *bed);
    if (!bed)
        return NULL;
    /* umockdev answers ioctls and sends uevents over sockets; a client
     * that has just exited or closed its node must not take this process
     * down with SIGPIPE. */
    signal(SIGPIPE, SIG_IGN);
    bed->tb = umockdev_testbed_new();
    bed->root = umockdev_testbed_get_root_dir(bed->tb);
    bed->handler = umockdev_ioctl_base_new();
    g_signal_connect(bed->handler, "handle-ioctl", G_CALLBACK(usbfs_handle_ioctl), bed);
    fake_lock();
    int rc = fake_world_start();
    /* Bus 1's root hub is there with no board, as on any machine. */
    if (rc == 0)
        queue(bed, USBFS_ADD, new_node(bed, USBFS_HUB, 1, NULL, 0));
    if (rc == 0)
        usbfs_reconcile(bed);
    fake_unlock();
    if (rc != 0 || pthread_create(&bed->sync, NULL, sync_main, bed) != 0) {
        fprintf(stderr, "usbfs: cannot build the boards of MPFLASH_FAKE_USB\n");
        g_object_unref(bed->handler);
        g_object_unref(bed->tb);
        g_free(bed->root);
        free(bed);
        return NULL;
    }
    usbfs_bed_settle(bed);
    return bed;
}

void usbfs_bed_stop(usbfs_bed *bed)
{
    if (!bed)
        return;
    fake_lock();
    bed->stopping = 1;
    fake_unlock();
    pthread_join(bed->sync, NULL);
    fake_lock();
    for (size_t i = 0; i < bed->node_count; i++)
        usbfs_urbs_free(&bed->nodes[i]);
    /* The boards are flushed and freed the way the fake's last libusb_exit
     * does it, so a leak of theirs shows the same. */
    fake_world_stop();
    fake_unlock();
    g_object_unref(bed->handler);
    g_object_unref(bed->tb);
    g_free(bed->root);
    free(bed);
}

static int open_up(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    (void)ftw;
    if (type == FTW_D || S_ISSOCK(st->st_mode))
        chmod(path, type == FTW_D ? 0755 : 0777);
    return 0;
}

void usbfs_bed_open_to_all(usbfs_bed *bed)
{
    fake_lock();
    bed->open_to_all = 1;
    fake_unlock();
    usbfs_bed_settle(bed);
    char path[700];
    snprintf(path, sizeof path, "%s/ioctl", bed->root);
    nftw(path, open_up, 16, FTW_PHYS);
    chmod(bed->root, 01777);
}

const char *usbfs_bed_root(const usbfs_bed *bed)
{
    return bed->root;
}

void usbfs_bed_watch_child(usbfs_bed *bed, pid_t pid, const char *report_path)
{
    fake_lock();
    bed->child = pid;
    snprintf(bed->maps_report, sizeof bed->maps_report, "%s", report_path ? report_path : "");
    bed->maps_written = 0;
    fake_unlock();
}

void usbfs_bed_child_interrupted(usbfs_bed *bed)
{
    fake_lock();
    bed->child_interrupted = 1;
    fake_unlock();
}

int usbfs_bed_wants_ctrl_c(void)
{
    int any = 0;
    fake_lock();
    for (size_t i = 0; i < fake.count; i++)
        any |= fake.devs[i].ctrl_c_at != 0;
    fake_unlock();
    return any;
}
