/* Device instance IDs (USB\VID_xxxx&PID_xxxx[&MI_xx]\instance), as the
 * Windows USB hub driver forms them, and location paths
 * (PCIROOT(0)#PCI(1400)#USBROOT(0)#USB(2)#USB(3)). */
#include "platform/win_device_id.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "bootentry/serial_internal.h"

static int starts_ci(const char *s, const char *prefix)
{
    for (; *prefix; s++, prefix++)
        if (toupper((unsigned char)*s) != toupper((unsigned char)*prefix))
            return 0;
    return 1;
}

/* The hex number of `digits` digits after key (e.g. "VID_") in the
 * hardware part of id (between the first and second backslash), or -1. */
static long hex_after(const char *id, const char *key, int digits)
{
    const char *s = strchr(id, '\\');
    if (!s)
        return -1;
    for (s++; *s && *s != '\\'; s++) {
        if (!starts_ci(s, key))
            continue;
        long v = 0;
        for (int i = 0; i < digits; i++) {
            unsigned char c = (unsigned char)s[strlen(key) + (size_t)i];
            if (!isxdigit(c))
                return -1;
            v = v * 16 + (isdigit(c) ? c - '0' : toupper(c) - 'A' + 10);
        }
        return v;
    }
    return -1;
}

/* The USB device's own ID: the parent for an interface of a composite
 * device (…&MI_xx\…), else the port's own. */
static const char *device_id(const mpf_win_port_record *r)
{
    if (hex_after(r->instance_id, "MI_", 2) >= 0 && r->parent_id && starts_ci(r->parent_id, "USB\\"))
        return r->parent_id;
    return r->instance_id;
}

static void serial_of(const char *id, char *out, size_t size)
{
    out[0] = '\0';
    const char *last = strrchr(id, '\\');
    if (!last || !last[1] || strchr(last, '&'))
        return; /* no serial number: Windows made this one up */
    snprintf(out, size, "%s", last + 1);
}

/* "…#USBROOT(0)#USB(2)#USB(3)" -> "0-2.3"; "" if a hop is not USB. The
 * USB(n) hops are the port numbers on each hub from the root down, the
 * numbers libusb's Windows backend gives libusb_get_port_numbers (it reads
 * each device's port from the same property, or from its "Port_#0003.Hub_#0002"
 * LocationInformation, which names only the last port: libusb 1.0.26
 * windows_winusb.c, get_dev_port_number). A last USBMI(n) hop is the
 * interface of a composite device (usbccgp), the port of the device before
 * it. The host controller (PCIROOT…#USBROOT) has no libusb bus number to be
 * had from here: libusb numbers the controllers in the order SetupAPI lists
 * them, so the bus is written as 0 and compared as "any"
 * (mpf_serial_same_port). */
static int path_of(const char *loc, char *out, size_t size)
{
    out[0] = '\0';
    const char *root = loc ? strstr(loc, "#USBROOT(") : NULL;
    if (!root)
        return 0;
    const char *s = strchr(root + 1, '#');
    char built[32] = "0-";
    size_t used = 2;
    int hops = 0;
    while (s) {
        unsigned port;
        int n = 0;
        if (hops && sscanf(s, "#USBMI(%u)%n", &port, &n) == 1 && n > 0 && s[n] == '\0')
            break;
        if (sscanf(s, "#USB(%u)%n", &port, &n) != 1 || n == 0 || port == 0 || port > 255)
            return 0;
        int w = snprintf(built + used, sizeof built - used, hops ? ".%u" : "%u", port);
        if (w < 0 || (size_t)w >= sizeof built - used)
            return 0;
        used += (size_t)w;
        hops++;
        s += n;
        if (*s && *s != '#')
            return 0;
        s = *s ? s : NULL;
    }
    if (hops)
        snprintf(out, size, "%s", built);
    return hops > 0;
}

int mpf_win_port_describe(const mpf_win_port_record *r, mpf_serial_port *p)
{
    if (!r->port_name || !r->instance_id || !starts_ci(r->instance_id, "USB\\"))
        return 0;
    long vid = hex_after(r->instance_id, "VID_", 4), pid = hex_after(r->instance_id, "PID_", 4);
    if (vid < 0 || pid < 0)
        return 0;
    memset(p, 0, sizeof *p);
    snprintf(p->name, sizeof p->name, "%s", r->port_name);
    snprintf(p->dev_path, sizeof p->dev_path, "%s", r->port_name);
    p->vid = (uint16_t)vid;
    p->pid = (uint16_t)pid;
    long mi = hex_after(r->instance_id, "MI_", 2);
    p->interface_number = mi >= 0 ? (int)mi : -1;
    serial_of(device_id(r), p->serial, sizeof p->serial);
    if (r->product)
        snprintf(p->product, sizeof p->product, "%s", r->product);
    /* The port's own location, else its composite parent's. */
    if (!path_of(r->location, p->path, sizeof p->path) && device_id(r) == r->parent_id)
        path_of(r->parent_location, p->path, sizeof p->path);
    p->is_micropython = mpf_serial_micropython_id(p->vid, p->pid, &p->firmware);
    return 1;
}
