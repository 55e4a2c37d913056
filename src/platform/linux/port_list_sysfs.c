/* Finding USB serial ports through Linux sysfs: each <root>/class/tty/<name>
 * whose "device" link leads into a USB device (the first directory upwards
 * that has idVendor and idProduct; the one below it is the interface). For
 * ttyACM the link is the interface itself, for usb-serial drivers (ttyUSB)
 * it is a port directory under the interface; ttyS* lead to platform or PNP
 * devices and never reach a USB device. */
#include "bootentry/serial_internal.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* sysfs nests USB devices a few hubs deep; more than this is not a USB tree. */
#define WALK_MAX_DEPTH 32

/* Reads one attribute file, without the trailing newline. "" if absent. */
static int read_attr(const char *dir, const char *name, char *out, size_t size)
{
    char file[PATH_MAX];
    out[0] = '\0';
    if (snprintf(file, sizeof file, "%s/%s", dir, name) >= (int)sizeof file)
        return 0;
    FILE *f = fopen(file, "r");
    if (!f)
        return 0;
    size_t n = fread(out, 1, size - 1, f);
    fclose(f);
    out[n] = '\0';
    while (n > 0 && (out[n - 1] == '\n' || out[n - 1] == '\r' || out[n - 1] == ' '))
        out[--n] = '\0';
    return 1;
}

static int has_attr(const char *dir, const char *name)
{
    char file[PATH_MAX];
    struct stat st;
    if (snprintf(file, sizeof file, "%s/%s", dir, name) >= (int)sizeof file)
        return 0;
    return stat(file, &st) == 0 && S_ISREG(st.st_mode);
}

static int under_root(const char *path, const char *root)
{
    size_t n = strlen(root);
    return strncmp(path, root, n) == 0 && (path[n] == '/' || path[n] == '\0');
}

/* From the tty's device directory up to the USB device; the directory just
 * below it (the interface) goes to intf ("" if the link was the device). */
static int find_usb_device(const char *start, const char *root, char *usb, char *intf)
{
    char cur[PATH_MAX], below[PATH_MAX] = "";
    snprintf(cur, sizeof cur, "%s", start);
    for (int depth = 0; depth < WALK_MAX_DEPTH; depth++) {
        if (!under_root(cur, root) || strcmp(cur, root) == 0)
            return 0;
        if (has_attr(cur, "idVendor") && has_attr(cur, "idProduct")) {
            memcpy(usb, cur, sizeof cur);
            memcpy(intf, below, sizeof below);
            return 1;
        }
        memcpy(below, cur, sizeof cur);
        char *slash = strrchr(cur, '/');
        if (!slash || slash == cur)
            return 0;
        *slash = '\0';
    }
    return 0;
}

static unsigned long parse_num(const char *s, int base, unsigned long fallback)
{
    char *end;
    if (!*s)
        return fallback;
    errno = 0;
    unsigned long v = strtoul(s, &end, base);
    return (errno || *end) ? fallback : v;
}

/* Fills p for tty `name`; returns 1 if it is a USB serial port. */
static int describe_tty(const char *sys, const char *root, const char *dev, const char *name,
                        mpf_serial_port *p)
{
    char link[PATH_MAX], real[PATH_MAX], usb[PATH_MAX], intf[PATH_MAX];
    if (snprintf(link, sizeof link, "%s/class/tty/%s/device", sys, name) >= (int)sizeof link)
        return 0;
    if (!realpath(link, real))
        return 0; /* virtual terminals have no device */
    if (!find_usb_device(real, root, usb, intf))
        return 0;

    memset(p, 0, sizeof *p);
    snprintf(p->name, sizeof p->name, "%s", name);
    snprintf(p->dev_path, sizeof p->dev_path, "%s/%s", dev, name);

    char buf[128];
    read_attr(usb, "idVendor", buf, sizeof buf);
    p->vid = (uint16_t)parse_num(buf, 16, 0);
    read_attr(usb, "idProduct", buf, sizeof buf);
    p->pid = (uint16_t)parse_num(buf, 16, 0);
    read_attr(usb, "serial", p->serial, sizeof p->serial);
    read_attr(usb, "manufacturer", p->manufacturer, sizeof p->manufacturer);
    read_attr(usb, "product", p->product, sizeof p->product);

    p->interface_number = -1;
    if (intf[0] && read_attr(intf, "bInterfaceNumber", buf, sizeof buf))
        p->interface_number = (int)parse_num(buf, 16, (unsigned long)-1);

    /* busnum + '-' + devpath is the name libusb's port numbers give; the
     * directory's own name is the same string, used when an attribute is missing. */
    char busnum[8], devpath[20]; /* "255", "1.2.3.4.5.6.7": both fit p->path */
    read_attr(usb, "busnum", busnum, sizeof busnum);
    read_attr(usb, "devpath", devpath, sizeof devpath);
    const char *base = strrchr(usb, '/') + 1;
    if (busnum[0] && devpath[0])
        snprintf(p->path, sizeof p->path, "%s-%s", busnum, devpath);
    else
        snprintf(p->path, sizeof p->path, "%s", base);
    p->bus = (uint8_t)(busnum[0] ? parse_num(busnum, 10, 0) : strtoul(base, NULL, 10));

    p->is_micropython = mpf_serial_micropython_id(p->vid, p->pid, &p->firmware);
    return 1;
}

static int by_name(const void *a, const void *b)
{
    return mpf_serial_name_cmp(((const mpf_serial_port *)a)->name,
                               ((const mpf_serial_port *)b)->name);
}

mpf_err mpf_serial_list(const char *sysfs_root, const char *dev_root,
                        mpf_serial_port **ports, size_t *count, mpf_error *err)
{
    if (!ports || !count)
        return mpf_error_set(err, MPF_ERR_USAGE, "mpf_serial_list: ports and count are required");
    *ports = NULL;
    *count = 0;
    const char *sys = sysfs_root ? sysfs_root : "/sys";
    const char *dev = dev_root ? dev_root : "/dev";

    char root[PATH_MAX], class_dir[PATH_MAX];
    if (!realpath(sys, root))
        return mpf_error_set(err, MPF_ERR_IO, "cannot open sysfs at %s: %s; serial port discovery needs Linux sysfs",
                             sys, strerror(errno));
    snprintf(class_dir, sizeof class_dir, "%s/class/tty", sys);
    DIR *d = opendir(class_dir);
    if (!d)
        return mpf_error_set(err, MPF_ERR_IO, "cannot list %s: %s; serial port discovery needs Linux sysfs",
                             class_dir, strerror(errno));

    mpf_serial_port *list = NULL;
    size_t n = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.' || strlen(e->d_name) >= sizeof list->name)
            continue;
        mpf_serial_port p;
        if (!describe_tty(sys, root, dev, e->d_name, &p))
            continue;
        if (n == cap) {
            size_t ncap = cap ? cap * 2 : 8;
            mpf_serial_port *grown = realloc(list, ncap * sizeof *list);
            if (!grown) {
                free(list);
                closedir(d);
                return mpf_error_set(err, MPF_ERR_NOMEM, "out of memory listing serial ports");
            }
            list = grown;
            cap = ncap;
        }
        list[n++] = p;
    }
    closedir(d);
    if (n)
        qsort(list, n, sizeof *list, by_name);
    *ports = list;
    *count = n;
    return MPF_OK;
}

void mpf_serial_list_free(mpf_serial_port *ports)
{
    free(ports);
}
