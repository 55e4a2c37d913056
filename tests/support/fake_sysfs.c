#include "fake_sysfs.h"

#include <errno.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PCI "devices/pci0000:00/0000:00:14.0"

static int mkdir_p(const char *path)
{
    char buf[1024];
    if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf)
        return -1;
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(buf, 0755) != 0 && errno != EEXIST)
            return -1;
        *p = '/';
    }
    return (mkdir(buf, 0755) != 0 && errno != EEXIST) ? -1 : 0;
}

static int write_attr(const char *dir, const char *name, const char *value)
{
    char file[2048];
    snprintf(file, sizeof file, "%s/%s", dir, name);
    FILE *f = fopen(file, "w");
    if (!f)
        return -1;
    fprintf(f, "%s\n", value); /* sysfs attributes end in a newline */
    return fclose(f);
}

static int link_at(const char *target, const char *dir, const char *name)
{
    char file[2048];
    snprintf(file, sizeof file, "%s/%s", dir, name);
    return symlink(target, file);
}

int fake_sysfs_init(fake_sysfs *fs)
{
    const char *tmp = getenv("TMPDIR");
    snprintf(fs->root, sizeof fs->root, "%s/mpflash-sysfs-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(fs->root))
        return -1;
    snprintf(fs->sys, sizeof fs->sys, "%s/sys", fs->root);
    snprintf(fs->dev, sizeof fs->dev, "%s/dev", fs->root);
    char d[1024];
    snprintf(d, sizeof d, "%s/class/tty", fs->sys);
    if (mkdir_p(d) || mkdir_p(fs->dev))
        return -1;
    snprintf(d, sizeof d, "%s/" PCI, fs->sys);
    return mkdir_p(d);
}

/* A USB device directory with the attributes the kernel gives every device. */
static int usb_device_dir(const char *dir, unsigned bus, const char *devpath, uint16_t vid,
                          uint16_t pid, int with_path_attrs) /* bus as the busnum file says it */
{
    char v[16];
    if (mkdir_p(dir))
        return -1;
    snprintf(v, sizeof v, "%04x", vid);
    if (write_attr(dir, "idVendor", v))
        return -1;
    snprintf(v, sizeof v, "%04x", pid);
    if (write_attr(dir, "idProduct", v))
        return -1;
    if (with_path_attrs) {
        snprintf(v, sizeof v, "%u", bus);
        if (write_attr(dir, "busnum", v) || write_attr(dir, "devpath", devpath))
            return -1;
    }
    return 0;
}

int fake_sysfs_add_usb_tty(fake_sysfs *fs, const fake_usb_tty *t)
{
    char rel[768], dir[1200];
    /* Root hub, then one hub per '.' in devpath, then the device. */
    int n = snprintf(rel, sizeof rel, PCI "/usb%u", t->bus);
    snprintf(dir, sizeof dir, "%s/%s", fs->sys, rel);
    if (usb_device_dir(dir, t->bus, "0", 0x1d6b, 0x0002, 1))
        return -1;
    char sofar[64] = "";
    const char *p = t->devpath;
    for (;;) {
        const char *dot = strchr(p, '.');
        size_t len = dot ? (size_t)(dot - p) : strlen(p);
        size_t used = strlen(sofar);
        snprintf(sofar + used, sizeof sofar - used, "%s%.*s", used ? "." : "", (int)len, p);
        n += snprintf(rel + n, sizeof rel - (size_t)n, "/%u-%s", t->bus, sofar);
        snprintf(dir, sizeof dir, "%s/%s", fs->sys, rel);
        if (!dot)
            break;
        if (usb_device_dir(dir, t->bus, sofar, 0x05e3, 0x0608, 1)) /* a USB 2.0 hub */
            return -1;
        p = dot + 1;
    }
    if (usb_device_dir(dir, t->bus_unknown ? 0 : t->bus, t->devpath, t->vid, t->pid, !t->no_busnum_devpath))
        return -1;
    if ((t->serial && write_attr(dir, "serial", t->serial)) ||
        (t->manufacturer && write_attr(dir, "manufacturer", t->manufacturer)) ||
        (t->product && write_attr(dir, "product", t->product)))
        return -1;

    /* Interface directory "1-2.3:1.0". */
    char intf_name[96], v[8];
    snprintf(intf_name, sizeof intf_name, "%u-%s:1.%u", t->bus, t->devpath, t->interface);
    n += snprintf(rel + n, sizeof rel - (size_t)n, "/%s", intf_name);
    snprintf(dir, sizeof dir, "%s/%s", fs->sys, rel);
    snprintf(v, sizeof v, "%02x", t->interface);
    if (mkdir_p(dir) || write_attr(dir, "bInterfaceNumber", v))
        return -1;

    char target[128];
    if (t->usb_serial_layout) {
        /* usb-serial: interface/ttyUSB0/tty/ttyUSB0, device -> the port dir. */
        n += snprintf(rel + n, sizeof rel - (size_t)n, "/%s/tty/%s", t->tty, t->tty);
        snprintf(target, sizeof target, "../../../%s", t->tty);
    } else {
        /* cdc_acm: interface/tty/ttyACM0, device -> the interface. */
        n += snprintf(rel + n, sizeof rel - (size_t)n, "/tty/%s", t->tty);
        snprintf(target, sizeof target, "../../../%s", intf_name);
    }
    snprintf(dir, sizeof dir, "%s/%s", fs->sys, rel);
    if (mkdir_p(dir) || link_at(target, dir, "device"))
        return -1;

    char class_dir[512], class_target[1024];
    snprintf(class_dir, sizeof class_dir, "%s/class/tty", fs->sys);
    snprintf(class_target, sizeof class_target, "../../%s", rel);
    if (link_at(class_target, class_dir, t->tty))
        return -1;
    if (!t->no_dev_node) {
        char node[512];
        snprintf(node, sizeof node, "%s/%s", fs->dev, t->tty);
        FILE *f = fopen(node, "w");
        if (!f)
            return -1;
        fclose(f);
    }
    return 0;
}

int fake_sysfs_add_platform_tty(fake_sysfs *fs, const char *tty)
{
    char dir[1024], class_dir[512], target[256];
    snprintf(dir, sizeof dir, "%s/devices/platform/serial8250/tty/%s", fs->sys, tty);
    if (mkdir_p(dir) || link_at("../../../serial8250", dir, "device"))
        return -1;
    snprintf(class_dir, sizeof class_dir, "%s/class/tty", fs->sys);
    snprintf(target, sizeof target, "../../devices/platform/serial8250/tty/%s", tty);
    return link_at(target, class_dir, tty);
}

int fake_sysfs_add_virtual_tty(fake_sysfs *fs, const char *tty)
{
    char dir[1024], class_dir[512], target[256];
    snprintf(dir, sizeof dir, "%s/devices/virtual/tty/%s", fs->sys, tty);
    if (mkdir_p(dir))
        return -1;
    snprintf(class_dir, sizeof class_dir, "%s/class/tty", fs->sys);
    snprintf(target, sizeof target, "../../devices/virtual/tty/%s", tty);
    return link_at(target, class_dir, tty);
}

int fake_sysfs_remove_tty(fake_sysfs *fs, const char *tty)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/class/tty/%s", fs->sys, tty);
    int rc = unlink(path);
    snprintf(path, sizeof path, "%s/%s", fs->dev, tty);
    unlink(path);
    return rc;
}

/* rm -rf, without following symlinks (the tree is full of them). */
static void remove_tree(const char *path)
{
    struct stat st;
    if (lstat(path, &st) != 0)
        return;
    if (S_ISDIR(st.st_mode)) {
        DIR *d = opendir(path);
        if (d) {
            struct dirent *e;
            while ((e = readdir(d)) != NULL) {
                if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                    continue;
                char child[1024];
                snprintf(child, sizeof child, "%s/%s", path, e->d_name);
                remove_tree(child);
            }
            closedir(d);
        }
        rmdir(path);
    } else {
        unlink(path);
    }
}

void fake_sysfs_cleanup(fake_sysfs *fs)
{
    if (fs->root[0])
        remove_tree(fs->root);
    fs->root[0] = '\0';
}
