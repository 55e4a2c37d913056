#include "mpflash/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const struct {
    const char *name;
    int exit_code;
} err_table[MPF_ERR__COUNT] = {
    [MPF_OK] = {"ok", 0},
    [MPF_ERR_USAGE] = {"usage", 1},
    [MPF_ERR_INPUT] = {"bad-input", 2},
    [MPF_ERR_IO] = {"file-io", 2},
    [MPF_ERR_IMAGE_FIT] = {"image-does-not-fit", 2},
    [MPF_ERR_REFUSED] = {"refused", 2},
    [MPF_ERR_NO_DEVICE] = {"no-device", 3},
    [MPF_ERR_AMBIGUOUS] = {"ambiguous-device", 3},
    [MPF_ERR_USB] = {"usb", 4},
    [MPF_ERR_USB_STALL] = {"usb-stall", 4},
    [MPF_ERR_USB_TIMEOUT] = {"usb-timeout", 4},
    [MPF_ERR_USB_DISCONNECTED] = {"usb-disconnected", 4},
    [MPF_ERR_USB_ACCESS] = {"usb-access", 4},
    [MPF_ERR_USB_BUSY] = {"usb-busy", 4},
    [MPF_ERR_USB_NOT_SUPPORTED] = {"usb-not-supported", 4},
    [MPF_ERR_DEVICE_STATUS] = {"device-status", 5},
    [MPF_ERR_PROTOCOL] = {"protocol", 5},
    [MPF_ERR_VERIFY] = {"verify-mismatch", 6},
    [MPF_ERR_APP_TIMEOUT] = {"app-timeout", 7},
    [MPF_ERR_NOMEM] = {"out-of-memory", 8},
    [MPF_ERR_INTERNAL] = {"internal", 8},
};

const char *mpf_err_name(mpf_err code)
{
    if ((int)code < 0 || code >= MPF_ERR__COUNT)
        return "unknown";
    return err_table[code].name;
}

int mpf_err_exit_code(mpf_err code)
{
    if ((int)code < 0 || code >= MPF_ERR__COUNT)
        return 8;
    return err_table[code].exit_code;
}

mpf_err mpf_error_set(mpf_error *err, mpf_err code, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        err->code = code;
        vsnprintf(err->message, sizeof err->message, fmt, ap);
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
    /* Long messages are cut at the end: the prefix says where, the tail is detail. */
    size_t used = (size_t)n < sizeof joined - 1 ? (size_t)n : sizeof joined - 1;
    const char sep[] = ": ";
    for (size_t i = 0; sep[i] && used < sizeof joined - 1; i++)
        joined[used++] = sep[i];
    size_t rest = strlen(err->message);
    if (rest > sizeof joined - 1 - used)
        rest = sizeof joined - 1 - used;
    memcpy(joined + used, err->message, rest);
    joined[used + rest] = '\0';
    memcpy(err->message, joined, sizeof joined);
}

void mpf_error_clear(mpf_error *err)
{
    if (err) {
        err->code = MPF_OK;
        err->message[0] = '\0';
    }
}
