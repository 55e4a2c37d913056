/* Reading the user's device choice in dfu-util's forms (-d, -S, -p, -a) into
 * an mpf_usb_filter. Strict where dfu-util is lenient: a mistyped ID is a
 * usage error, not a silent "any". */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "mpflash/usb.h"

void mpf_usb_filter_init(mpf_usb_filter *f)
{
    memset(f, 0, sizeof *f);
    f->vid = f->pid = f->dfu_vid = f->dfu_pid = MPF_USB_ANY_ID;
    f->interface = -1;
    f->devnum = -1;
    f->configuration = -1;
    f->alt = -1;
}

/* One VID or PID token of n bytes; empty keeps *out. */
static mpf_err parse_id(const char *s, size_t n, int32_t *out, const char *what,
                        const char *spec, mpf_error *err)
{
    if (n == 0)
        return MPF_OK;
    if (n == 1 && s[0] == '*') {
        *out = MPF_USB_ANY_ID;
        return MPF_OK;
    }
    if (n == 1 && s[0] == '-') {
        *out = MPF_USB_NO_ID;
        return MPF_OK;
    }
    size_t i = 0;
    if (n > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
        i = 2;
    if (n - i > 4)
        return mpf_error_set(err, MPF_ERR_USAGE,
                             "%s '%.*s' in '%s' is too long: expected up to 4 hex digits "
                             "like 0483",
                             what, (int)n, s, spec);
    int32_t v = 0;
    for (; i < n; i++) {
        int c = (unsigned char)s[i];
        if (!isxdigit(c))
            return mpf_error_set(err, MPF_ERR_USAGE,
                                 "%s '%.*s' in '%s' is not hexadecimal: expected e.g. "
                                 "0483:df11",
                                 what, (int)n, s, spec);
        v = v * 16 + (isdigit(c) ? c - '0' : tolower(c) - 'a' + 10);
    }
    *out = v;
    return MPF_OK;
}

/* "[VID][:[PID]]" of n bytes. */
static mpf_err parse_pair(const char *s, size_t n, int32_t *vid, int32_t *pid,
                          const char *spec, mpf_error *err)
{
    const char *colon = memchr(s, ':', n);
    size_t vlen = colon ? (size_t)(colon - s) : n;
    if (colon && memchr(colon + 1, ':', n - vlen - 1))
        return mpf_error_set(err, MPF_ERR_USAGE,
                             "too many ':' in '%s': expected VID:PID[,VID:PID]", spec);
    mpf_err rc = parse_id(s, vlen, vid, "vendor ID", spec, err);
    if (rc == MPF_OK && colon)
        rc = parse_id(colon + 1, n - vlen - 1, pid, "product ID", spec, err);
    return rc;
}

mpf_err mpf_usb_filter_set_ids(mpf_usb_filter *f, const char *spec, mpf_error *err)
{
    if (!spec)
        return mpf_error_set(err, MPF_ERR_USAGE, "missing VID:PID");
    int32_t vid = MPF_USB_ANY_ID, pid = MPF_USB_ANY_ID;
    const char *comma = strchr(spec, ',');
    size_t len = strlen(spec);
    if (comma && strchr(comma + 1, ','))
        return mpf_error_set(err, MPF_ERR_USAGE,
                             "too many ',' in '%s': expected VID:PID[,VID:PID]", spec);
    mpf_err rc;
    if (comma == spec) {
        /* Only the DFU-mode IDs: no runtime device is wanted. */
        vid = pid = MPF_USB_NO_ID;
    } else {
        rc = parse_pair(spec, comma ? (size_t)(comma - spec) : len, &vid, &pid, spec, err);
        if (rc != MPF_OK)
            return rc;
    }
    int32_t dvid = comma == spec ? MPF_USB_ANY_ID : vid;
    int32_t dpid = comma == spec ? MPF_USB_ANY_ID : pid;
    if (comma) {
        rc = parse_pair(comma + 1, strlen(comma + 1), &dvid, &dpid, spec, err);
        if (rc != MPF_OK)
            return rc;
    }
    f->vid = vid;
    f->pid = pid;
    f->dfu_vid = dvid;
    f->dfu_pid = dpid;
    return MPF_OK;
}

static mpf_err copy_field(char *dst, size_t size, const char *src, size_t n, const char *what,
                          mpf_error *err)
{
    if (n >= size)
        return mpf_error_set(err, MPF_ERR_USAGE, "%s is too long (%zu characters, at most %zu)",
                             what, n, size - 1);
    memcpy(dst, src, n);
    dst[n] = '\0';
    return MPF_OK;
}

mpf_err mpf_usb_filter_set_serial(mpf_usb_filter *f, const char *spec, mpf_error *err)
{
    if (!spec)
        return mpf_error_set(err, MPF_ERR_USAGE, "missing serial number");
    const char *comma = strchr(spec, ',');
    size_t first = comma ? (size_t)(comma - spec) : strlen(spec);
    const char *second = comma ? comma + 1 : spec;
    size_t second_len = comma ? strlen(comma + 1) : first;
    char a[sizeof f->serial], b[sizeof f->dfu_serial];
    mpf_err rc = copy_field(a, sizeof a, spec, first, "serial number", err);
    if (rc == MPF_OK)
        rc = copy_field(b, sizeof b, second, second_len, "DFU-mode serial number", err);
    if (rc != MPF_OK)
        return rc;
    memcpy(f->serial, a, sizeof a);
    memcpy(f->dfu_serial, b, sizeof b);
    return MPF_OK;
}

mpf_err mpf_usb_filter_set_path(mpf_usb_filter *f, const char *path, mpf_error *err)
{
    if (!path)
        return mpf_error_set(err, MPF_ERR_USAGE, "missing port path");
    /* BUS-PORT[.PORT]...: numbers up to 255, at most 7 ports (USB's hub depth). */
    const char *p = path;
    int fields = 0;
    for (;;) {
        unsigned v = 0;
        int digits = 0;
        while (isdigit((unsigned char)*p) && digits < 4) {
            v = v * 10 + (unsigned)(*p++ - '0');
            digits++;
        }
        if (digits == 0 || digits > 3 || v > 255)
            break;
        fields++;
        char want = fields == 1 ? '-' : '.';
        if (*p == '\0' && fields >= 2 && fields <= 8)
            return copy_field(f->path, sizeof f->path, path, strlen(path), "port path", err);
        if (*p != want || fields > 8)
            break;
        p++;
    }
    return mpf_error_set(err, MPF_ERR_USAGE,
                         "bad port path '%s': expected BUS-PORT[.PORT...] like 1-2 or 3-1.4 "
                         "(see the list of devices)",
                         path);
}

mpf_err mpf_usb_filter_set_alt(mpf_usb_filter *f, const char *spec, mpf_error *err)
{
    if (!spec || !spec[0])
        return mpf_error_set(err, MPF_ERR_USAGE, "missing alt setting (a number or a name)");
    int hex = spec[0] == '0' && (spec[1] == 'x' || spec[1] == 'X') && spec[2];
    const char *p = spec + (hex ? 2 : 0);
    unsigned long v = 0;
    int numeric = 1;
    for (; *p && numeric; p++) {
        int c = (unsigned char)*p;
        if (hex ? !isxdigit(c) : !isdigit(c))
            numeric = 0;
        else if (v <= 0xFFFF)
            v = v * (hex ? 16u : 10u) +
                (unsigned long)(isdigit(c) ? c - '0' : tolower(c) - 'a' + 10);
    }
    if (numeric) {
        if (v > 255)
            return mpf_error_set(err, MPF_ERR_USAGE, "alt setting %s is out of range (0-255)",
                                 spec);
        f->alt = (int)v;
        f->alt_name[0] = '\0';
        return MPF_OK;
    }
    mpf_err rc = copy_field(f->alt_name, sizeof f->alt_name, spec, strlen(spec),
                            "alt setting name", err);
    if (rc == MPF_OK)
        f->alt = -1;
    return rc;
}
