/* mpflash — error codes and the error object every library call fills in.
 *
 * Library functions return an mpf_err (0 = success) and, when given a
 * non-NULL mpf_error, leave a one-line human message in it: what failed,
 * where (file offset, line, address) and what to do about it, in the
 * library's own terms. When the way out is a choice only the caller can
 * make (force a guarded write, pick one of several devices, get USB
 * permission), the error also carries an mpf_reason, so a front end can
 * say it in its own words (mpflash(1) names its options).
 */
#ifndef MPFLASH_ERROR_H
#define MPFLASH_ERROR_H

#include <stddef.h>

/* printf-style format checking for the library's message functions. MinGW
 * builds use MinGW's own C99 printf (__USE_MINGW_ANSI_STDIO), which knows
 * %zu and %lld; gnu_printf tells the compiler so (plain printf would check
 * against msvcrt's older rules). */
#if defined(__MINGW32__)
#define MPF_PRINTF(fmt_index, first_arg) __attribute__((format(gnu_printf, fmt_index, first_arg)))
#elif defined(__GNUC__) || defined(__clang__)
#define MPF_PRINTF(fmt_index, first_arg) __attribute__((format(printf, fmt_index, first_arg)))
#else
#define MPF_PRINTF(fmt_index, first_arg)
#endif

#ifdef __cplusplus
extern "C" {
#endif

typedef enum mpf_err {
    MPF_OK = 0,
    MPF_ERR_USAGE,            /* bad arguments to a call or the command line */
    MPF_ERR_INPUT,            /* malformed or unusable firmware file */
    MPF_ERR_IO,               /* host file could not be read or written */
    MPF_ERR_IMAGE_FIT,        /* image does not fit the device's memory layout */
    MPF_ERR_REFUSED,          /* a safety rule refused the operation (needs --force, or never) */
    MPF_ERR_NO_DEVICE,        /* no matching device */
    MPF_ERR_AMBIGUOUS,        /* more than one matching device */
    MPF_ERR_USB,              /* other USB failure */
    MPF_ERR_USB_STALL,        /* the device stalled a control request */
    MPF_ERR_USB_TIMEOUT,      /* a request did not complete in time */
    MPF_ERR_USB_DISCONNECTED, /* the device went away */
    MPF_ERR_USB_ACCESS,       /* permission denied */
    MPF_ERR_USB_BUSY,         /* another program holds the device */
    MPF_ERR_USB_NOT_SUPPORTED,/* OS driver does not allow access (Windows without WinUSB) */
    MPF_ERR_DEVICE_STATUS,    /* the device reported a DFU error status */
    MPF_ERR_PROTOCOL,         /* the device answered in a way DFU does not allow */
    MPF_ERR_VERIFY,           /* read-back differs from the image */
    MPF_ERR_APP_TIMEOUT,      /* the application did not come back after leaving DFU */
    MPF_ERR_NOMEM,            /* out of memory */
    MPF_ERR_INTERNAL,         /* a bug in mpflash */
    MPF_ERR_CANCELLED,        /* the caller cancelled (mpf_dfu_cancel) */
    MPF_ERR__COUNT
} mpf_err;

/* What would lift a refusal or settle a failure: a decision for the caller,
 * not something the library may do on its own. MPF_REASON_NONE for most
 * errors; the others come with the codes shown. */
typedef enum mpf_reason {
    MPF_REASON_NONE = 0,
    MPF_REASON_NEEDS_FORCE,      /* REFUSED: allowed with mpf_plan_options.force */
    MPF_REASON_NEVER,            /* REFUSED: no option allows it */
    MPF_REASON_AMBIGUOUS_DEVICE, /* AMBIGUOUS: choose by serial number or port path */
    MPF_REASON_AMBIGUOUS_PATH,   /* AMBIGUOUS: the serial numbers are the same: choose by path */
    MPF_REASON_PERMISSION,       /* USB_ACCESS: the user may not open the device (udev rule) */
    MPF_REASON_READ_PROTECTED,   /* DEVICE_STATUS: remove read protection first (it erases the chip) */
    MPF_REASON_NEEDS_ADDRESS,    /* INPUT: raw bytes need a load address (mpf_load_options) */
    MPF_REASON_OTHER_ALT,        /* REFUSED: data for an alt setting other than the one chosen
                                  * (mpf_plan_options.one_alt) */
    MPF_REASON_ONE_ALT,          /* IMAGE_FIT: the device takes one alt setting per session */
    MPF_REASON_BAD_DESCRIPTOR,   /* PROTOCOL: the device describes itself wrongly */
    MPF_REASON_DETACH_REFUSED,   /* USB_STALL: leave by USB reset, not by DETACH */
    MPF_REASON_DEVICE_FILE,      /* IO: a device (a serial port?) given as a file; ports go elsewhere */
    MPF_REASON__COUNT
} mpf_reason;

#define MPF_ERROR_MESSAGE_MAX 512

typedef struct mpf_error {
    mpf_err code;
    mpf_reason reason;
    char message[MPF_ERROR_MESSAGE_MAX];
} mpf_error;

/* Short stable identifier of a code ("usb-timeout"), used in JSON output. */
const char *mpf_err_name(mpf_err code);

/* A sentence saying what a code means ("the device stalled a control
 * request"), for a caller that has only the code. Constant strings; an
 * unknown code gives "unknown error". */
const char *mpf_strerror(mpf_err code);

/* Short stable identifier of a reason ("needs-force"); "none" for none. */
const char *mpf_reason_name(mpf_reason reason);

/* Set err (if non-NULL) to code, no reason, and a printf-style message;
 * returns code so callers can write `return mpf_error_set(err, MPF_ERR_INPUT, "...")`. */
mpf_err mpf_error_set(mpf_error *err, mpf_err code, const char *fmt, ...)
    MPF_PRINTF(3, 4)
    ;

/* The same, with a reason. */
mpf_err mpf_error_refuse(mpf_error *err, mpf_err code, mpf_reason reason, const char *fmt, ...)
    MPF_PRINTF(4, 5)
    ;

/* Put "context: " in front of an error's existing message. */
void mpf_error_prefix(mpf_error *err, const char *fmt, ...)
    MPF_PRINTF(2, 3)
    ;

/* Code MPF_OK, no reason, empty message. */
void mpf_error_clear(mpf_error *err);

#ifdef __cplusplus
}
#endif
#endif
