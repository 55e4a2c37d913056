/* Choosing the boards for --bootloader. Only ports whose USB IDs are
 * MicroPython's own are taken unasked (mpf_serial_micropython_id), and a
 * board with several CDC interfaces is one board, reached on its lowest. */
#include "tool/tool_boot_target.h"

#include "platform/file.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void tool_boot_target_describe(const tool_boot_target *t, char *out, size_t size)
{
    snprintf(out, size, "(%04x:%04x serial %s at %s)", t->vid, t->pid, t->serial[0] ? t->serial : "none",
             t->path[0] ? t->path : "an unknown port");
}

static void set_label(tool_boot_target *t)
{
    const char *l = t->serial[0] ? t->serial : t->path[0] ? t->path : t->port;
    snprintf(t->label, sizeof t->label, "%.159s", l);
}


static void from_port(tool_boot_target *t, const mpf_serial_port *p)
{
    snprintf(t->port, sizeof t->port, "%s", p->dev_path);
    snprintf(t->serial, sizeof t->serial, "%s", p->serial);
    snprintf(t->path, sizeof t->path, "%s", p->path);
    t->vid = p->vid;
    t->pid = p->pid;
    t->touch = mpf_serial_enters_by_touch(p->vid, p->pid);
}

/* The application (port path, serial number, IDs) and the USB device d are
 * one device: the same port, the same IDs, and serial numbers that do not
 * disagree. On Windows the application's port is only a port chain
 * (mpf_serial_same_port), which a device on another host controller can
 * share; the IDs and serial number then still have to agree. */
static int same_device(const char *path, const char *serial, uint16_t vid, uint16_t pid, const mpf_device_info *d)
{
    return path[0] && mpf_serial_same_port(path, d->path) && vid == d->vid && pid == d->pid &&
           (!serial[0] || !d->serial[0] || strcmp(serial, d->serial) == 0);
}

/* A board whose firmware has a DFU run-time interface is detached rather
 * than talked to: that is the protocol's own way, and works without a REPL.
 * Two such devices that could both be the board (one port chain on two
 * host controllers): the REPL is used, never a guess. */
static void prefer_detach(tool_boot_target *t, mpf_usb_list *scan)
{
    const mpf_device_info *devs = mpf_usb_list_devices(scan);
    size_t found = 0, at = 0;
    for (size_t i = 0; i < mpf_usb_list_count(scan); i++) {
        if (devs[i].mode != MPF_MODE_RUNTIME || !same_device(t->path, t->serial, t->vid, t->pid, &devs[i]))
            continue;
        if (found && strcmp(devs[at].path, devs[i].path) == 0)
            continue; /* another run-time interface of the same device */
        found++;
        at = i;
    }
    if (found != 1)
        return;
    t->detach = 1;
    t->touch = 0;
    t->runtime_index = at;
}

static mpf_err named_ports(tool_ctx *ctx, const mpf_serial_port *ports, size_t count, mpf_usb_list *scan,
                           tool_boot_target *out, size_t *n)
{
    for (size_t k = 0; k < ctx->opt.port_count; k++) {
        tool_boot_target *t = &out[(*n)++];
        const char *port = ctx->opt.ports[k];
        size_t i;
        for (i = 0; i < count && !mpf_file_same(port, ports[i].dev_path); i++) {
        }
        if (i < count) {
            from_port(t, &ports[i]);
            snprintf(t->port, sizeof t->port, "%s", port); /* as the user named it */
        } else {
            snprintf(t->port, sizeof t->port, "%s", port);
            tool_warn(ctx, "%s is not a USB serial port mpflash can see in %s/class/tty, so its serial number and "
                           "port are unknown: its DFU device can only be recognised as the only one",
                      port, ctx->io->sysfs_root ? ctx->io->sysfs_root : "/sys");
        }
        prefer_detach(t, scan);
        set_label(t);
    }
    return MPF_OK;
}

static int wanted(const tool_ctx *ctx, const char *serial, const char *path)
{
    if (ctx->opt.filter.path[0] && !mpf_serial_same_port(ctx->opt.filter.path, path))
        return 0;
    if (ctx->opt.serial_count == 0)
        return 1;
    for (size_t s = 0; s < ctx->opt.serial_count; s++)
        if (mpf_serial_same_chip(serial, ctx->opt.serials[s]))
            return 1;
    return 0;
}

/* The board already found whose serial port is another interface of the
 * same USB device (same port path and serial number). */
static tool_boot_target *same_board(tool_boot_target *out, size_t n, const mpf_serial_port *p)
{
    for (size_t i = 0; p->path[0] && i < n; i++)
        if (strcmp(out[i].path, p->path) == 0 && strcmp(out[i].serial, p->serial) == 0)
            return &out[i];
    return NULL;
}

/* A board already found that the run-time device d is. */
static int has_device(const tool_boot_target *out, size_t n, const mpf_device_info *d)
{
    for (size_t i = 0; i < n; i++)
        if (same_device(out[i].path, out[i].serial, out[i].vid, out[i].pid, d))
            return 1;
    return 0;
}

static mpf_err too_many(mpf_error *err)
{
    return mpf_error_set(err, MPF_ERR_USAGE, "more than %u boards; choose some with -S SERIAL", TOOL_MAX_BOARDS);
}

/* Every MicroPython board: its serial ports, then DFU run-time interfaces
 * of boards that have no such port. */
static mpf_err found_boards(tool_ctx *ctx, const mpf_serial_port *ports, size_t count, mpf_usb_list *scan,
                            tool_boot_target *out, size_t *n, mpf_error *err)
{
    int iface[TOOL_MAX_BOARDS];
    for (size_t i = 0; i < count; i++) {
        const mpf_serial_port *p = &ports[i];
        if (!p->is_micropython || !wanted(ctx, p->serial, p->path))
            continue;
        tool_boot_target *same = same_board(out, *n, p);
        if (same) {
            /* One board with several CDC interfaces: the REPL is on its first. */
            size_t k = (size_t)(same - out);
            if (p->interface_number >= 0 && (iface[k] < 0 || p->interface_number < iface[k])) {
                from_port(same, p);
                iface[k] = p->interface_number;
            }
            continue;
        }
        if (*n == TOOL_MAX_BOARDS)
            return too_many(err);
        iface[*n] = p->interface_number;
        from_port(&out[(*n)++], p);
    }
    const mpf_device_info *devs = mpf_usb_list_devices(scan);
    for (size_t i = 0; i < mpf_usb_list_count(scan); i++) {
        const mpf_device_info *d = &devs[i];
        if (d->mode != MPF_MODE_RUNTIME || has_device(out, *n, d) ||
            !mpf_usb_filter_match(&ctx->opt.filter, d) || !wanted(ctx, d->serial, d->path))
            continue;
        if (*n == TOOL_MAX_BOARDS)
            return too_many(err);
        tool_boot_target *t = &out[(*n)++];
        snprintf(t->serial, sizeof t->serial, "%s", d->serial);
        snprintf(t->path, sizeof t->path, "%s", d->path);
        t->vid = d->vid;
        t->pid = d->pid;
    }
    for (size_t i = 0; i < *n; i++) {
        prefer_detach(&out[i], scan);
        set_label(&out[i]);
    }
    return MPF_OK;
}

/* -S names boards: one that is not there fails, the others go on. */
static void missing_serials(tool_ctx *ctx, tool_boot_target *out, size_t *n)
{
    for (size_t s = 0; ctx->opt.serial_count > 1 && s < ctx->opt.serial_count && *n < TOOL_MAX_BOARDS; s++) {
        size_t i;
        for (i = 0; i < *n && !mpf_serial_same_chip(out[i].serial, ctx->opt.serials[s]); i++) {
        }
        if (i < *n)
            continue;
        tool_boot_target *t = &out[(*n)++];
        snprintf(t->label, sizeof t->label, "%s", ctx->opt.serials[s]);
        t->rc = mpf_error_set(&t->err, MPF_ERR_NO_DEVICE,
                              "no MicroPython board with serial number %s on a USB serial port or with a DFU "
                              "run-time interface", ctx->opt.serials[s]);
    }
}

static void list_targets(const tool_boot_target *t, size_t n, char *out, size_t size)
{
    out[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        char who[sizeof t->serial + sizeof t->path + 32];
        tool_boot_target_describe(&t[i], who, sizeof who);
        size_t used = strlen(out);
        snprintf(out + used, size - used, "%s%s %s", i ? ", " : "", t[i].detach ? "DFU run-time" : t[i].port, who);
    }
}

mpf_err tool_boot_targets_find(tool_ctx *ctx, mpf_usb_list *scan, tool_boot_target *out, size_t *n,
                               mpf_error *err)
{
    *n = 0;
    mpf_serial_port *ports = NULL;
    size_t count = 0;
    mpf_error list_err = {0};
    mpf_err rc = mpf_serial_list(ctx->io->sysfs_root, ctx->io->dev_root, &ports, &count, &list_err);
    if (ctx->opt.port_count) {
        if (rc)
            tool_warn(ctx, "%s", list_err.message);
        rc = named_ports(ctx, ports, count, scan, out, n);
    } else if (rc) {
        *err = list_err;
    } else {
        rc = found_boards(ctx, ports, count, scan, out, n, err);
    }
    if (!rc && *n == 0) {
        size_t unused;
        if (ctx->opt.serial_count || ctx->opt.filter.path[0] ||
            mpf_serial_pick_board(ports, count, &unused, err) == MPF_OK)
            rc = mpf_error_set(err, MPF_ERR_NO_DEVICE,
                               "no MicroPython board matches -S/-p among the USB serial ports and DFU run-time "
                               "devices; see mpflash -l");
        else
            rc = err->code;
    }
    if (!rc && *n > 1 && ctx->opt.filter.path[0]) {
        /* One path, several boards: a Windows port chain shared by two host controllers. */
        char seen[MPF_ERROR_MESSAGE_MAX];
        list_targets(out, *n, seen, sizeof seen);
        rc = mpf_error_set(err, MPF_ERR_AMBIGUOUS,
                           "port path %s fits %zu MicroPython boards: %s (the host controller of a serial port is "
                           "not known here, only its port chain); name the board with -B PORT or -S SERIAL",
                           ctx->opt.filter.path, *n, seen);
    }
    if (!rc && *n > 1 && !tool_boards_multi(&ctx->opt)) {
        char seen[MPF_ERROR_MESSAGE_MAX];
        list_targets(out, *n, seen, sizeof seen);
        rc = mpf_error_set(err, MPF_ERR_AMBIGUOUS,
                           "%zu MicroPython boards found: %s; name one with -B PORT or -S SERIAL, or add --all for "
                           "every one", *n, seen);
    }
    if (!rc)
        missing_serials(ctx, out, n);
    mpf_serial_list_free(ports);
    return rc;
}
