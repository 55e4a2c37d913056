#include "mpflash/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/cut_mark.h"

static const struct {
    const char *name;
    const char *sentence;
} err_table[MPF_ERR__COUNT] = {
    [MPF_OK] = {"ok", "success"},
    [MPF_ERR_USAGE] = {"usage", "bad arguments"},
    [MPF_ERR_INPUT] = {"bad-input", "malformed or unusable firmware file"},
    [MPF_ERR_IO] = {"file-io", "a file could not be read or written"},
    [MPF_ERR_IMAGE_FIT] = {"image-does-not-fit", "the image does not fit the device's memory layout"},
    [MPF_ERR_REFUSED] = {"refused", "a safety rule refused the operation"},
    [MPF_ERR_NO_DEVICE] = {"no-device", "no matching device"},
    [MPF_ERR_AMBIGUOUS] = {"ambiguous-device", "more than one matching device"},
    [MPF_ERR_USB] = {"usb", "USB failure"},
    [MPF_ERR_USB_STALL] = {"usb-stall", "the device stalled a control request"},
    [MPF_ERR_USB_TIMEOUT] = {"usb-timeout", "a USB request did not complete in time"},
    [MPF_ERR_USB_DISCONNECTED] = {"usb-disconnected", "the device went away"},
    [MPF_ERR_USB_ACCESS] = {"usb-access", "permission denied on the USB device"},
    [MPF_ERR_USB_BUSY] = {"usb-busy", "another program holds the USB device"},
    [MPF_ERR_USB_NOT_SUPPORTED] = {"usb-not-supported", "the operating system's driver does not allow access to the device"},
    [MPF_ERR_DEVICE_STATUS] = {"device-status", "the device reported an error"},
    [MPF_ERR_PROTOCOL] = {"protocol", "the device answered in a way DFU does not allow"},
    [MPF_ERR_VERIFY] = {"verify-mismatch", "the read-back differs from the image"},
    [MPF_ERR_APP_TIMEOUT] = {"app-timeout", "the application did not come back after leaving DFU mode"},
    [MPF_ERR_NOMEM] = {"out-of-memory", "out of memory"},
    [MPF_ERR_INTERNAL] = {"internal", "internal error"},
    [MPF_ERR_CANCELLED] = {"cancelled", "cancelled by the caller"},
};

static const char *const reason_names[MPF_REASON__COUNT] = {
    [MPF_REASON_NONE] = "none",
    [MPF_REASON_NEEDS_FORCE] = "needs-force",
    [MPF_REASON_NEVER] = "never",
    [MPF_REASON_AMBIGUOUS_DEVICE] = "ambiguous-device",
    [MPF_REASON_AMBIGUOUS_PATH] = "ambiguous-path",
    [MPF_REASON_PERMISSION] = "permission",
    [MPF_REASON_READ_PROTECTED] = "read-protected",
    [MPF_REASON_NEEDS_ADDRESS] = "needs-address",
    [MPF_REASON_OTHER_ALT] = "other-alt",
    [MPF_REASON_ONE_ALT] = "one-alt",
    [MPF_REASON_BAD_DESCRIPTOR] = "bad-descriptor",
    [MPF_REASON_DETACH_REFUSED] = "detach-refused",
    [MPF_REASON_DEVICE_FILE] = "device-file",
};

const char *mpf_err_name(mpf_err code)
{
    if ((int)code < 0 || code >= MPF_ERR__COUNT)
        return "unknown";
    return err_table[code].name;
}

const char *mpf_strerror(mpf_err code)
{
    if ((int)code < 0 || code >= MPF_ERR__COUNT)
        return "unknown error";
    return err_table[code].sentence;
}

const char *mpf_reason_name(mpf_reason reason)
{
    if ((int)reason < 0 || reason >= MPF_REASON__COUNT)
        return "unknown";
    return reason_names[reason];
}

/* The attribute tells clang's -Wformat-nonliteral that fmt is checked at
 * the public entry points that pass it on. */
static MPF_PRINTF(4, 0) void set_va(mpf_error *err, mpf_err code, mpf_reason reason, const char *fmt,
                                    va_list ap)
{
    err->code = code;
    err->reason = reason;
    int n = vsnprintf(err->message, sizeof err->message, fmt, ap);
    if (n >= (int)sizeof err->message)
        mpf_cut_mark_end(err->message, sizeof err->message);
}

mpf_err mpf_error_refuse(mpf_error *err, mpf_err code, mpf_reason reason, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        set_va(err, code, reason, fmt, ap);
        va_end(ap);
    }
    return code;
}

mpf_err mpf_error_set(mpf_error *err, mpf_err code, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        set_va(err, code, MPF_REASON_NONE, fmt, ap);
        va_end(ap);
    }
    return code;
}

void mpf_error_prefix(mpf_error *err, const char *fmt, ...)
{
    if (!err)
        return;
    char joined[MPF_ERROR_MESSAGE_MAX];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(joined, sizeof joined, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    /* Long messages are cut at the end, marked: the prefix says where, the
     * tail is detail. */
    int cut = (size_t)n >= sizeof joined;
    size_t used = cut ? sizeof joined - 1 : (size_t)n;
    const char sep[] = ": ";
    size_t i = 0;
    for (; sep[i] && used < sizeof joined - 1; i++)
        joined[used++] = sep[i];
    cut |= sep[i] != '\0';
    size_t rest = strlen(err->message);
    if (rest > sizeof joined - 1 - used) {
        rest = sizeof joined - 1 - used;
        cut = 1;
    }
    memcpy(joined + used, err->message, rest);
    joined[used + rest] = '\0';
    if (cut)
        mpf_cut_mark_end(joined, sizeof joined);
    memcpy(err->message, joined, sizeof joined);
}

void mpf_error_clear(mpf_error *err)
{
    if (err) {
        err->code = MPF_OK;
        err->reason = MPF_REASON_NONE;
        err->message[0] = '\0';
    }
}
