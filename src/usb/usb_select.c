/* Matching devices against a filter and choosing exactly one. Flashing the
 * wrong board is worse than stopping, so several matches are an error that
 * lists them and says how to pick one. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/cut_mark.h"
#include "mpflash/usb.h"

/* A bounded message being built up; an overflow ends it with the cut mark. */
typedef struct msgbuf {
    char text[MPF_ERROR_MESSAGE_MAX];
    size_t used;
} msgbuf;

MPF_PRINTF(2, 3)
static void add(msgbuf *m, const char *fmt, ...)
{
    if (m->used >= sizeof m->text - 1)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(m->text + m->used, sizeof m->text - m->used, fmt, ap);
    va_end(ap);
    if (n > 0 && (size_t)n >= sizeof m->text - m->used) {
        /* Full: the message shows it was cut, and takes nothing more. */
        mpf_cut_mark_end(m->text, sizeof m->text);
        m->used = sizeof m->text - 1;
    } else if (n > 0) {
        m->used += (size_t)n;
    }
}

static int id_ok(int32_t want, uint16_t have)
{
    return want == MPF_USB_ANY_ID || want == (int32_t)have;
}

/* "@Internal Flash  /0x08000000/..." -> does `want` equal "Internal Flash"? */
static int layout_name_is(const char *name, const char *want)
{
    if (name[0] != '@')
        return 0;
    const char *start = name + 1;
    while (*start == ' ')
        start++;
    const char *end = strchr(start, '/');
    if (!end)
        return 0;
    while (end > start && end[-1] == ' ')
        end--;
    size_t n = (size_t)(end - start);
    return strlen(want) == n && memcmp(start, want, n) == 0;
}

/* Index into dev->alts of the alt the filter names, or -1; -2 if it names none. */
static int find_alt(const mpf_usb_filter *f, const mpf_device_info *dev)
{
    if (f->alt < 0 && !f->alt_name[0])
        return -2;
    for (size_t i = 0; i < dev->num_alts && i < MPF_MAX_ALTS; i++) {
        const mpf_alt_setting *a = &dev->alts[i];
        if (f->alt >= 0 ? a->alt == f->alt
                        : strcmp(a->name, f->alt_name) == 0 || layout_name_is(a->name, f->alt_name))
            return (int)i;
    }
    return -1;
}

int mpf_usb_filter_match(const mpf_usb_filter *f, const mpf_device_info *dev)
{
    int runtime = dev->mode == MPF_MODE_RUNTIME;
    const char *serial = runtime ? f->serial : f->dfu_serial;
    if (!id_ok(runtime ? f->vid : f->dfu_vid, dev->vid) ||
        !id_ok(runtime ? f->pid : f->dfu_pid, dev->pid))
        return 0;
    if (serial[0] && strcmp(serial, dev->serial) != 0)
        return 0;
    if (f->path[0] && strcmp(f->path, dev->path) != 0)
        return 0;
    if (f->interface >= 0 && f->interface != dev->interface_number)
        return 0;
    if (f->devnum >= 0 && f->devnum != dev->devnum)
        return 0;
    if (f->configuration > 0 && dev->configuration && f->configuration != dev->configuration)
        return 0;
    return runtime || find_alt(f, dev) != -1;
}

static void add_id(msgbuf *m, int32_t vid, int32_t pid)
{
    int32_t v[2] = {vid, pid};
    for (int i = 0; i < 2; i++) {
        if (i)
            add(m, ":");
        if (v[i] == MPF_USB_ANY_ID)
            add(m, "*");
        else if (v[i] == MPF_USB_NO_ID)
            add(m, "-");
        else
            add(m, "%04x", (unsigned)v[i]);
    }
}

/* add() with ", " in front unless this is the first part since `start`. */
MPF_PRINTF(3, 4)
static void add_part(msgbuf *m, size_t start, const char *fmt, ...)
{
    if (m->used > start)
        add(m, ", ");
    char part[MPF_ALT_NAME_MAX + 64];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(part, sizeof part, fmt, ap);
    va_end(ap);
    add(m, "%s", part);
}

static void add_filter(msgbuf *m, const mpf_usb_filter *f)
{
    size_t start = m->used;
    if (f->vid == f->dfu_vid && f->pid == f->dfu_pid) {
        if (f->vid != MPF_USB_ANY_ID || f->pid != MPF_USB_ANY_ID) {
            add(m, "ID ");
            add_id(m, f->vid, f->pid);
        }
    } else {
        add(m, "runtime ID ");
        add_id(m, f->vid, f->pid);
        add(m, ", DFU ID ");
        add_id(m, f->dfu_vid, f->dfu_pid);
    }
    if (f->serial[0] && strcmp(f->serial, f->dfu_serial) == 0) {
        add_part(m, start, "serial %s", f->serial);
    } else {
        if (f->serial[0])
            add_part(m, start, "runtime serial %s", f->serial);
        if (f->dfu_serial[0])
            add_part(m, start, "DFU serial %s", f->dfu_serial);
    }
    if (f->path[0])
        add_part(m, start, "path %s", f->path);
    if (f->devnum >= 0)
        add_part(m, start, "device number %d", f->devnum);
    /* 0 is dfu-util's "any configuration" too. */
    if (f->configuration > 0)
        add_part(m, start, "configuration %d", f->configuration);
    if (f->interface >= 0)
        add_part(m, start, "interface %d", f->interface);
    if (f->alt >= 0)
        add_part(m, start, "alt setting %d", f->alt);
    else if (f->alt_name[0])
        add_part(m, start, "alt setting '%s'", f->alt_name);
    if (m->used == start)
        add(m, "any DFU device");
}

static const char *note_phrase(const mpf_error *note)
{
    switch (note->code) {
    case MPF_ERR_USB_ACCESS:
        return "permission denied: the udev rule is missing";
    case MPF_ERR_USB_BUSY:
        return "in use by another program";
    case MPF_ERR_USB_NOT_SUPPORTED:
        return "no WinUSB driver";
    default:
        return mpf_err_name(note->code);
    }
}

static void add_device(msgbuf *m, const mpf_device_info *dev, const mpf_error *note)
{
    char d[sizeof dev->serial + 64];
    mpf_usb_describe(dev, d, sizeof d);
    add(m, "%s", d);
    if (note && note->code != MPF_OK)
        add(m, " [could not be opened: %s]", note_phrase(note));
}

static mpf_err no_match(const mpf_usb_filter *f, const mpf_device_info *devs,
                        const mpf_error *notes, size_t count, mpf_error *err)
{
    if (count == 0)
        return mpf_error_set(err, MPF_ERR_NO_DEVICE,
                             "no DFU device found: put the board in DFU mode (connect BOOT0 to "
                             "3.3V and press reset, or run machine.bootloader() in MicroPython) "
                             "and check that the USB cable carries data");
    msgbuf m = {.used = 0};
    m.text[0] = '\0';
    add(&m, "no DFU device matches ");
    add_filter(&m, f);
    add(&m, "; seen: ");
    for (size_t i = 0; i < count; i++) {
        if (i)
            add(&m, "; ");
        add_device(&m, &devs[i], notes ? &notes[i] : NULL);
    }
    /* A device that could not be opened for lack of permission may be the
     * one asked for: its serial number could not be read. */
    mpf_reason why = MPF_REASON_NONE;
    for (size_t i = 0; notes && i < count; i++)
        if (notes[i].code == MPF_ERR_USB_ACCESS)
            why = MPF_REASON_PERMISSION;
    return mpf_error_refuse(err, MPF_ERR_NO_DEVICE, why, "%s", m.text);
}

static int serials_tell_apart(const mpf_device_info *devs, const size_t *idx, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (!devs[idx[i]].serial[0])
            return 0;
        for (size_t j = i + 1; j < n; j++)
            if (strcmp(devs[idx[i]].serial, devs[idx[j]].serial) == 0)
                return 0;
    }
    return 1;
}

mpf_err mpf_usb_select(const mpf_usb_filter *f, const mpf_device_info *devs,
                       const mpf_error *notes, size_t count, size_t *index, mpf_error *err)
{
    /* Matches beyond what a message can show are still counted. */
    size_t shown[16];
    size_t matches = 0;
    for (size_t i = 0; i < count; i++) {
        if (!mpf_usb_filter_match(f, &devs[i]))
            continue;
        if (matches < sizeof shown / sizeof shown[0])
            shown[matches] = i;
        matches++;
    }
    if (matches == 0)
        return no_match(f, devs, notes, count, err);
    if (matches == 1) {
        *index = shown[0];
        return MPF_OK;
    }
    size_t listed = matches < sizeof shown / sizeof shown[0] ? matches : sizeof shown / sizeof shown[0];
    msgbuf m = {.used = 0};
    m.text[0] = '\0';
    add(&m, "%zu DFU devices match: ", matches);
    for (size_t i = 0; i < listed; i++) {
        if (i)
            add(&m, "; ");
        add_device(&m, &devs[shown[i]], notes ? &notes[shown[i]] : NULL);
    }
    if (serials_tell_apart(devs, shown, listed))
        return mpf_error_refuse(err, MPF_ERR_AMBIGUOUS, MPF_REASON_AMBIGUOUS_DEVICE,
                                "%s; choose one by serial number or USB port path", m.text);
    const char *serial = devs[shown[0]].serial;
    return mpf_error_refuse(err, MPF_ERR_AMBIGUOUS, MPF_REASON_AMBIGUOUS_PATH,
                            "%s; choose one by USB port path (their serial numbers do not tell "
                            "them apart%s)", m.text,
                            mpf_usb_serial_shared(serial)
                                ? ": FFFFFFFEFFFF is what the STM32F072 ROM shows on every chip"
                                : "");
}

mpf_err mpf_usb_filter_alt(const mpf_usb_filter *f, const mpf_device_info *dev, uint8_t *alt,
                           mpf_error *err)
{
    int i = find_alt(f, dev);
    if (i >= 0) {
        *alt = dev->alts[i].alt;
        return MPF_OK;
    }
    if (i == -2) {
        *alt = dev->num_alts ? dev->alts[0].alt : 0;
        return MPF_OK;
    }
    msgbuf m = {.used = 0};
    m.text[0] = '\0';
    char d[sizeof dev->serial + 64];
    mpf_usb_describe(dev, d, sizeof d);
    if (f->alt >= 0)
        add(&m, "%s has no alt setting %d", d, f->alt);
    else
        add(&m, "%s has no alt setting named '%s'", d, f->alt_name);
    add(&m, "; it has:");
    for (size_t k = 0; k < dev->num_alts && k < MPF_MAX_ALTS; k++)
        add(&m, "%s %u '%s'", k ? "," : "", dev->alts[k].alt, dev->alts[k].name);
    if (dev->num_alts == 0)
        add(&m, " none");
    return mpf_error_set(err, MPF_ERR_NO_DEVICE, "%s", m.text);
}
