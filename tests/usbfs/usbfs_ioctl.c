/* The kernel's side of usbdevfs, as far as libusb's Linux backend uses it:
 * claim/release (with a kernel driver to take the interface from), alt
 * settings, port reset, and control URBs. A URB is completed the way the
 * kernel does it: SUBMITURB only queues it; the board's answer is reaped
 * later (REAPURBNDELAY), a stall as -EPIPE, a vanished board as -ENODEV. A
 * request the board never answers stays in flight until libusb gives up on
 * it: DISCARDURB, then reaped with -ENOENT, which libusb reports as
 * LIBUSB_ERROR_TIMEOUT. Runs on umockdev's ioctl thread. */
#include <errno.h>
#include <linux/usbdevice_fs.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "usbfs_internal.h"

static uint64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* libusb result -> the errno the kernel gives for it. */
static int errno_of(int libusb_code)
{
    switch (libusb_code) {
    case LIBUSB_ERROR_ACCESS:
        return EACCES;
    case LIBUSB_ERROR_BUSY:
        return EBUSY;
    case LIBUSB_ERROR_NO_DEVICE:
        return ENODEV;
    case LIBUSB_ERROR_NOT_FOUND:
        return ENOENT;
    case LIBUSB_ERROR_PIPE:
        return EPIPE;
    case LIBUSB_ERROR_TIMEOUT:
        return ETIMEDOUT;
    default:
        return EPROTO;
    }
}

static void report_maps(usbfs_bed *bed)
{
    if (bed->maps_written || !bed->child || !bed->maps_report[0])
        return;
    bed->maps_written = 1;
    char path[64], line[1024];
    snprintf(path, sizeof path, "/proc/%ld/maps", (long)bed->child);
    FILE *in = fopen(path, "r");
    FILE *out = fopen(bed->maps_report, "a");
    while (in && out && fgets(line, sizeof line, in))
        if (strstr(line, "libusb") || strstr(line, "fakeusb"))
            fputs(line, out);
    if (in)
        fclose(in);
    if (out)
        fclose(out);
}

/* ---- URBs ------------------------------------------------------------------- */

static void urb_free(usbfs_urb *u)
{
    umockdev_ioctl_data_unref(u->buf);
    umockdev_ioctl_data_unref(u->urb);
    free(u);
}

void usbfs_urbs_disconnect(usbfs_node *n)
{
    for (usbfs_urb *u = n->urbs; u; u = u->next) {
        if (u->lost || u->ready_us) {
            u->lost = 0;
            u->status = -ENODEV;
            u->actual = 0;
            u->ready_us = 0;
        }
    }
}

void usbfs_urbs_free(usbfs_node *n)
{
    while (n->urbs) {
        usbfs_urb *u = n->urbs;
        n->urbs = u->next;
        urb_free(u);
    }
}

static void append(usbfs_node *n, usbfs_urb *u)
{
    usbfs_urb **at = &n->urbs;
    while (*at)
        at = &(*at)->next;
    *at = u;
}

/* The board's clock runs on the host's requests only (and on its own
 * operations): catch it up with the real time since it was tied, so that
 * the host's sleeps count as they would on a real board, and an operation
 * the board is running ends in real time. */
static void keep_time(usbfs_clock *c, struct libusb_device *d, uint64_t now)
{
    uint64_t sim = mpf_sim_clock_us(d->sim);
    if (!c->tied) {
        c->tied = 1;
        c->real_us = now;
        c->sim_us = sim;
        return;
    }
    uint64_t target = c->sim_us + (now - c->real_us);
    if (target > sim + 1000)
        d->t.ops->sleep_ms(d->t.ctx, (uint32_t)((target - sim) / 1000));
}

static uint16_t le16(const uint8_t *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

static int submit(usbfs_bed *bed, usbfs_node *n, UMockdevIoctlData *arg, int *err)
{
    UMockdevIoctlData *ud = umockdev_ioctl_data_resolve(arg, 0, sizeof(struct usbdevfs_urb), NULL);
    if (!ud) {
        *err = EFAULT;
        return -1;
    }
    struct usbdevfs_urb *urb = (struct usbdevfs_urb *)ud->data;
    if (urb->type != USBDEVFS_URB_TYPE_CONTROL || urb->buffer_length < 8) {
        /* The boards have no other endpoints. */
        umockdev_ioctl_data_unref(ud);
        *err = EINVAL;
        return -1;
    }
    UMockdevIoctlData *bd = umockdev_ioctl_data_resolve(
        ud, G_STRUCT_OFFSET(struct usbdevfs_urb, buffer), (gsize)urb->buffer_length, NULL);
    if (!bd) {
        umockdev_ioctl_data_unref(ud);
        *err = EFAULT;
        return -1;
    }
    usbfs_urb *u = calloc(1, sizeof *u);
    if (!u) {
        umockdev_ioctl_data_unref(bd);
        umockdev_ioctl_data_unref(ud);
        *err = ENOMEM;
        return -1;
    }
    u->urb = ud;
    u->buf = bd;
    uint8_t *setup = bd->data;
    uint16_t length = le16(setup + 6);
    if ((int)length > urb->buffer_length - 8)
        length = (uint16_t)(urb->buffer_length - 8);
    struct libusb_device *d = &fake.devs[n->dev];
    usbfs_clock *clock = &bed->clocks[n->dev];
    uint64_t arrived = now_us();
    keep_time(clock, d, arrived);
    uint64_t before = mpf_sim_clock_us(d->sim);
    int rc = fake_dev_control(d, n->claimed, setup[0], setup[1], le16(setup + 2), le16(setup + 4),
                              setup + 8, length, 0 /* libusb keeps the host's timeout */);
    if (rc == LIBUSB_ERROR_TIMEOUT)
        /* The board charged the host's wait for a lost request to its
         * clock; here the host waits in real time. */
        clock->sim_us += mpf_sim_clock_us(d->sim) - before;
    /* ctrl-c=N: Ctrl-C arrives while the Nth DFU_DNLOAD is on the wire; its
     * answer waits until the program has taken it (usbfs_bed_child_interrupted). */
    if (setup[0] == 0x21 && setup[1] == 1 && d->ctrl_c_at && ++d->dnloads == d->ctrl_c_at && bed->child > 0) {
        kill(bed->child, SIGINT);
        bed->interrupt_sent_us = arrived;
        u->until_interrupted = 1;
        fake_log(d, "ctrl-c sent at DNLOAD %u", d->dnloads);
    }
    if (rc >= 0) {
        u->actual = rc;
    } else if (rc == LIBUSB_ERROR_TIMEOUT) {
        u->lost = 1; /* no answer, ever */
    } else {
        u->status = -errno_of(rc);
    }
    /* Answered when real time reaches the board's clock: a board busy
     * with an operation (mboot's erase, a slow GETSTATUS) holds the URB. */
    uint64_t done = clock->real_us + (mpf_sim_clock_us(d->sim) - clock->sim_us);
    u->ready_us = u->lost ? 0 : done > arrived ? done : arrived;
    /* Holds longer than a transfer's own time on the wire (a 2 KiB block
     * is about 1.5 ms at full speed) are the board being busy. */
    if (!u->lost && done >= arrived + 20000)
        fake_log(d, "held %llu ms", (unsigned long long)((done - arrived) / 1000));
    append(n, u);
    return 0;
}

/* A URB held for ctrl-c= is answered once the program said it is
 * stopping, or after 10 s (then the test sees what the program sent). */
#define CTRL_C_HOLD_MAX_US 10000000u

static int held_for_ctrl_c(const usbfs_bed *bed, const usbfs_urb *u, uint64_t now)
{
    return u->until_interrupted && !bed->child_interrupted && now < bed->interrupt_sent_us + CTRL_C_HOLD_MAX_US;
}

/* Nothing to reap yet: how long the caller may wait before answering,
 * until the first held URB is due (lost ones: the most). libusb polls the
 * node for completions, and umockdev's socket is always ready, so without
 * this a held URB keeps a core busy with REAPURBNDELAY round trips. */
#define REAP_IDLE_MAX_US 2000u

static unsigned idle_before_eagain(const usbfs_bed *bed, const usbfs_node *n, uint64_t now)
{
    unsigned idle = 0;
    for (const usbfs_urb *u = n->urbs; u; u = u->next) {
        uint64_t due = u->lost || held_for_ctrl_c(bed, u, now) ? now + REAP_IDLE_MAX_US : u->ready_us;
        unsigned wait = due > now + REAP_IDLE_MAX_US ? REAP_IDLE_MAX_US : (unsigned)(due - now);
        if (idle == 0 || wait < idle)
            idle = wait;
    }
    return idle;
}

static int reap(const usbfs_bed *bed, usbfs_node *n, UMockdevIoctlData *arg, int *err, unsigned *idle_us)
{
    uint64_t now = now_us();
    usbfs_urb **at = &n->urbs;
    while (*at && ((*at)->lost || (*at)->ready_us > now || held_for_ctrl_c(bed, *at, now)))
        at = &(*at)->next;
    usbfs_urb *u = *at;
    if (!u) {
        *err = n->live ? EAGAIN : ENODEV;
        *idle_us = n->live ? idle_before_eagain(bed, n, now) : 0;
        return -1;
    }
    *at = u->next;
    struct usbdevfs_urb *urb = (struct usbdevfs_urb *)u->urb->data;
    urb->status = u->status;
    urb->actual_length = u->actual;
    UMockdevIoctlData *ptr = umockdev_ioctl_data_resolve(arg, 0, sizeof(void *), NULL);
    if (!ptr) {
        urb_free(u);
        *err = EFAULT;
        return -1;
    }
    umockdev_ioctl_data_set_ptr(ptr, 0, u->urb);
    umockdev_ioctl_data_unref(ptr);
    urb_free(u);
    return 0;
}

static int discard(usbfs_node *n, UMockdevIoctlData *arg, int *err)
{
    gulong addr = (gulong) * (void **)arg->data;
    for (usbfs_urb *u = n->urbs; u; u = u->next) {
        if (u->urb->client_addr != addr)
            continue;
        if (u->lost || u->ready_us > now_us() || u->until_interrupted) {
            u->lost = 0;
            u->until_interrupted = 0;
            u->status = -ENOENT;
            u->actual = 0;
            u->ready_us = 0;
        }
        return 0;
    }
    *err = EINVAL;
    return -1;
}

/* ---- interfaces ------------------------------------------------------------- */

static int claim(usbfs_node *n, unsigned interface, int *err)
{
    if (interface >= 32) {
        *err = EINVAL;
        return -1;
    }
    if (n->claimed & 1u << interface)
        return 0;
    struct libusb_device *d = &fake.devs[n->dev];
    if (n->driver[0] && interface == fake_interface(d)) {
        fake_log(d, "claim %u -> kernel driver %s holds it", interface, n->driver);
        *err = EBUSY;
        return -1;
    }
    int rc = fake_dev_claim(d, (int)interface);
    if (rc < 0) {
        *err = errno_of(rc);
        return -1;
    }
    n->claimed |= 1u << interface;
    return 0;
}

static int is_dfu_interface(const usbfs_node *n, unsigned interface)
{
    return interface == fake_interface(&fake.devs[n->dev]);
}

static void unbind(usbfs_node *n, unsigned interface)
{
    fake_log(&fake.devs[n->dev], "kernel driver %s detached from interface %u", n->driver,
             interface);
    snprintf(n->detached, sizeof n->detached, "%s", n->driver);
    n->driver[0] = '\0';
}

/* USBDEVFS_DISCONNECT_CLAIM (libusb's auto-detach): unbind the driver that
 * holds the interface, unless the flags spare it, then claim. */
static int disconnect_claim(usbfs_node *n, const struct usbdevfs_disconnect_claim *dc, int *err)
{
    if (n->driver[0] && is_dfu_interface(n, dc->interface)) {
        int same = strncmp(n->driver, dc->driver, sizeof dc->driver) == 0;
        if (((dc->flags & USBDEVFS_DISCONNECT_CLAIM_IF_DRIVER) && !same) ||
            ((dc->flags & USBDEVFS_DISCONNECT_CLAIM_EXCEPT_DRIVER) && same)) {
            *err = EBUSY;
            return -1;
        }
        unbind(n, dc->interface);
    }
    /* What the fake logs at libusb_set_auto_detach_kernel_driver: here the
     * claim itself shows libusb was told to detach. */
    fake_log(&fake.devs[n->dev], "auto-detach 1");
    return claim(n, dc->interface, err);
}

static int get_driver(usbfs_node *n, struct usbdevfs_getdriver *gd, int *err)
{
    const char *name = (n->claimed & 1u << (gd->interface & 31)) ? "usbfs"
                       : n->driver[0] && is_dfu_interface(n, gd->interface) ? n->driver
                                                                            : NULL;
    if (!name) {
        *err = ENODATA;
        return -1;
    }
    memset(gd->driver, 0, sizeof gd->driver);
    snprintf(gd->driver, sizeof gd->driver, "%s", name);
    return 0;
}

/* USBDEVFS_IOCTL: libusb's detach and re-attach of a kernel driver. */
static int driver_ioctl(usbfs_node *n, const struct usbdevfs_ioctl *io, int *err)
{
    unsigned interface = (unsigned)io->ifno;
    if (io->ioctl_code == USBDEVFS_DISCONNECT) {
        if (!n->driver[0] || !is_dfu_interface(n, interface)) {
            *err = ENODATA;
            return -1;
        }
        unbind(n, interface);
        return 0;
    }
    if (io->ioctl_code == USBDEVFS_CONNECT) {
        if (n->claimed & 1u << (interface & 31)) {
            *err = EBUSY;
            return -1;
        }
        if (n->detached[0] && is_dfu_interface(n, interface)) {
            snprintf(n->driver, sizeof n->driver, "%s", n->detached);
            n->detached[0] = '\0';
            fake_log(&fake.devs[n->dev], "kernel driver %s attached to interface %u", n->driver,
                     interface);
        }
        return 0;
    }
    *err = ENOTTY;
    return -1;
}

/* ---- the dispatcher ------------------------------------------------------------ */

/* The argument is the caller's pointer: its struct is fetched (and written
 * back when the ioctl completes) by resolving it. */
#define ARG(type) ((type *)(arg_data = umockdev_ioctl_data_resolve(arg, 0, sizeof(type), NULL)) \
                       ->data)

static int board_ioctl(usbfs_bed *bed, usbfs_node *n, gulong request, UMockdevIoctlData *arg,
                       long *res, int *err, unsigned *idle_us)
{
    struct libusb_device *d = &fake.devs[n->dev];
    switch (request) {
    case USBDEVFS_REAPURB:
    case USBDEVFS_REAPURBNDELAY:
        return reap(bed, n, arg, err, idle_us);
    case USBDEVFS_DISCARDURB:
        return discard(n, arg, err);
    default:
        break;
    }
    if (!n->live) {
        *err = ENODEV;
        return -1;
    }
    UMockdevIoctlData *arg_data = NULL;
    int rc = 0;
    switch (request) {
    case USBDEVFS_GET_CAPABILITIES:
        *ARG(uint32_t) = USBDEVFS_CAP_ZERO_PACKET | USBDEVFS_CAP_BULK_CONTINUATION |
                         USBDEVFS_CAP_NO_PACKET_SIZE_LIM | USBDEVFS_CAP_REAP_AFTER_DISCONNECT;
        break;
    case USBDEVFS_GET_SPEED:
        *res = 2; /* USB_SPEED_FULL: every STM32 bootloader */
        break;
    case USBDEVFS_CONNECTINFO: {
        struct usbdevfs_connectinfo *ci = ARG(struct usbdevfs_connectinfo);
        ci->devnum = n->devnum;
        ci->slow = 0;
        break;
    }
    case USBDEVFS_SUBMITURB:
        rc = submit(bed, n, arg, err);
        break;
    case USBDEVFS_CLAIMINTERFACE:
        rc = claim(n, *ARG(unsigned), err);
        break;
    case USBDEVFS_DISCONNECT_CLAIM:
        rc = disconnect_claim(n, ARG(struct usbdevfs_disconnect_claim), err);
        break;
    case USBDEVFS_RELEASEINTERFACE: {
        unsigned interface = *ARG(unsigned);
        if (interface >= 32 || !(n->claimed & 1u << interface)) {
            *err = EINVAL;
            rc = -1;
            break;
        }
        n->claimed &= ~(1u << interface);
        fake_log(d, "release %u -> 0", interface);
        break;
    }
    case USBDEVFS_GETDRIVER:
        rc = get_driver(n, ARG(struct usbdevfs_getdriver), err);
        break;
    case USBDEVFS_IOCTL:
        rc = driver_ioctl(n, ARG(struct usbdevfs_ioctl), err);
        break;
    case USBDEVFS_SETINTERFACE: {
        const struct usbdevfs_setinterface *si = ARG(struct usbdevfs_setinterface);
        int lrc = fake_dev_set_alt(d, n->claimed, (int)si->interface, (int)si->altsetting);
        /* The kernel's usb_set_interface: a bad alt setting is EINVAL; the
         * board's other failures (reported as LIBUSB_ERROR_OTHER, what the
         * real library makes of them) come from its stall, EPIPE. */
        *err = lrc == LIBUSB_ERROR_NOT_FOUND ? EINVAL
               : lrc == LIBUSB_ERROR_OTHER   ? EPIPE
               : lrc < 0                     ? errno_of(lrc)
                                             : 0;
        rc = lrc < 0 ? -1 : 0;
        break;
    }
    case USBDEVFS_RESET: {
        int lrc = fake_dev_reset(d);
        /* Re-enumerated as a different device: the kernel's logical
         * disconnect, ENODEV. */
        *err = lrc == LIBUSB_ERROR_NOT_FOUND ? ENODEV : lrc < 0 ? errno_of(lrc) : 0;
        rc = lrc < 0 ? -1 : 0;
        break;
    }
    default:
        fake_log(d, "usbfs: ioctl 0x%08lx not emulated", (unsigned long)request);
        *err = ENOTTY;
        rc = -1;
        break;
    }
    if (arg_data)
        umockdev_ioctl_data_unref(arg_data);
    return rc;
}

gboolean usbfs_handle_ioctl(UMockdevIoctlBase *handler, UMockdevIoctlClient *client,
                            gpointer data)
{
    (void)handler;
    usbfs_bed *bed = data;
    gulong request = umockdev_ioctl_client_get_request(client);
    UMockdevIoctlData *arg = umockdev_ioctl_client_get_arg(client);
    long res = 0;
    int err = 0;
    unsigned idle_us = 0;
    fake_lock();
    report_maps(bed);
    usbfs_node *n = usbfs_node_by_devnode(bed, umockdev_ioctl_client_get_devnode(client));
    if (!n || n->dev == USBFS_HUB)
        err = ENOTTY;
    else if (board_ioctl(bed, n, request, arg, &res, &err, &idle_us) == 0)
        err = 0;
    int changed = n && n->dev != USBFS_HUB && usbfs_reconcile(bed);
    fake_unlock();
    /* What this request did to the bus (the board left, reset, came back)
     * is in sysfs and its uevents are sent before the program has the
     * answer, as the kernel's disconnect precedes the URB's -ENODEV. Sent
     * later, by the sync thread on its own, a uevent could meet a program
     * that took the answer and is exiting: umockdev 0.17.16 (Debian 12)
     * aborts the whole bus when the program's event socket closes between
     * its connect() and sendmsg() (src/uevent_sender.c, sendmsg_one: only
     * a refused connect() is forgiven), the "uevent_sender sendmsg_one:
     * sendmsg failed: Connection refused" seen under load. */
    if (changed)
        usbfs_bed_settle(bed);
    if (idle_us)
        usleep(idle_us);
    umockdev_ioctl_client_complete(client, err ? -1 : res, err);
    return TRUE;
}
