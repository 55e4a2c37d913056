/* mpflash — the libusb-1.0 transport and device discovery.
 *
 * Four layers, each usable on its own:
 *  - descriptors: pure parsing of raw USB descriptor bytes into DFU interfaces;
 *  - filters: pure matching of devices against what the user asked for
 *    (dfu-util's -d/-S/-p/-a), refusing to guess when several devices match;
 *  - the transport: mpf_transport over an open device handle, through a small
 *    table of I/O functions (mpf_usb_io) that defaults to libusb and that tests
 *    or other USB stacks can replace;
 *  - discovery: enumerate with libusb, open, and turn a runtime-mode device
 *    into its DFU-mode self (DFU_DETACH).
 */
#ifndef MPFLASH_USB_H
#define MPFLASH_USB_H

#include <stddef.h>
#include <stdint.h>

#include "mpflash/error.h"
#include "mpflash/transport.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- descriptors (pure) -------------------------------------------------- */

#define MPF_USB_MAX_DFU_INTERFACES 4

typedef struct mpf_usb_dfu_alt {
    uint8_t alt;          /* bAlternateSetting */
    uint8_t string_index; /* iInterface: its name (a DfuSe layout); 0 = none */
} mpf_usb_dfu_alt;

typedef struct mpf_usb_dfu_interface {
    uint8_t interface_number;
    mpf_dfu_mode mode;
    int has_functional; /* 0: none in the configuration; ask the device for it */
    mpf_dfu_functional func;
    size_t num_alts;
    mpf_usb_dfu_alt alts[MPF_MAX_ALTS];
} mpf_usb_dfu_interface;

typedef struct mpf_usb_dfu_config {
    uint8_t configuration_value;
    size_t count; /* DFU interfaces found; 0 is not an error */
    mpf_usb_dfu_interface interfaces[MPF_USB_MAX_DFU_INTERFACES];
} mpf_usb_dfu_config;

/* Parse a whole configuration descriptor (as GET_DESCRIPTOR(CONFIGURATION)
 * returns it) into its DFU interfaces (class 0xFE, subclass 0x01). The DFU
 * functional descriptor is looked for among each DFU interface's following
 * descriptors. Malformed bytes (bLength 0, a descriptor running past the
 * end, a short interface or functional descriptor) are MPF_ERR_PROTOCOL
 * naming the byte offset. */
mpf_err mpf_usb_parse_config(const uint8_t *desc, size_t len, mpf_usb_dfu_config *out,
                             mpf_error *err);

/* Parse a DFU functional descriptor on its own (the reply to
 * GET_DESCRIPTOR(0x21)). A 7-byte DFU 1.0 descriptor reads as version 0x0100. */
mpf_err mpf_usb_parse_functional(const uint8_t *desc, size_t len, mpf_dfu_functional *out,
                                 mpf_error *err);

/* "BUS-P1.P2.P3" (dfu-util's -p form). MPF_ERR_USAGE if it does not fit. */
mpf_err mpf_usb_format_path(uint8_t bus, const uint8_t *ports, size_t count, char *out,
                            size_t size, mpf_error *err);

/* Nonzero for a serial number that does not tell chips apart: the STM32F072
 * ROM shows FFFFFFFEFFFF on every chip (FACTS.md, ROM quirks). Boards with
 * one are told apart by USB port path. */
int mpf_usb_serial_shared(const char *serial);

/* "0483:df11 serial 3276388B3233 at 1-2 (DFU mode)", for messages and lists. */
void mpf_usb_describe(const mpf_device_info *dev, char *out, size_t size);

/* ---- filters (pure) ------------------------------------------------------ */

#define MPF_USB_ANY_ID (-1)      /* matches every vendor or product */
#define MPF_USB_NO_ID 0x10000    /* matches none: "-d ,VID:PID" excludes runtime devices */

typedef struct mpf_usb_filter {
    int32_t vid, pid;         /* runtime-mode device IDs */
    int32_t dfu_vid, dfu_pid; /* DFU-mode device IDs */
    char serial[128];         /* runtime-mode serial; "" = any */
    char dfu_serial[128];     /* DFU-mode serial; "" = any */
    char path[32];            /* "1-2.3"; "" = any */
    int interface;            /* interface number, -1 = any */
    int devnum;               /* device address (dfu-util -n), -1 = any */
    int configuration;        /* bConfigurationValue (dfu-util -c), -1 or 0 = any */
    int alt;                  /* alt setting number, -1 = not given */
    char alt_name[MPF_ALT_NAME_MAX]; /* alt setting name, "" = not given */
} mpf_usb_filter;

/* Everything "any". */
void mpf_usb_filter_init(mpf_usb_filter *f);

/* -d VID:PID[,VID:PID] — hex, with or without 0x; "*" or empty = any, "-" =
 * none. One pair applies to both runtime- and DFU-mode devices (unlike
 * dfu-util, where it leaves DFU mode unrestricted); with a comma the first
 * pair is the runtime device, the second the DFU-mode device, and a missing
 * part of the second defaults to the first. ",VID:PID" matches no runtime
 * device. */
mpf_err mpf_usb_filter_set_ids(mpf_usb_filter *f, const char *spec, mpf_error *err);

/* -S SERIAL[,DFU_SERIAL] (the second defaults to the first). */
mpf_err mpf_usb_filter_set_serial(mpf_usb_filter *f, const char *spec, mpf_error *err);

/* -p BUS-PORT[.PORT...]: checked for form, compared as a string. */
mpf_err mpf_usb_filter_set_path(mpf_usb_filter *f, const char *path, mpf_error *err);

/* -a N (decimal or 0x hex) or -a NAME: the full interface string, or the
 * memory name of a DfuSe layout ("Internal Flash"). */
mpf_err mpf_usb_filter_set_alt(mpf_usb_filter *f, const char *spec, mpf_error *err);

/* 1 if dev satisfies every part of f that applies to its mode (the alt
 * setting applies to DFU-mode devices only: a runtime device has no layouts). */
int mpf_usb_filter_match(const mpf_usb_filter *f, const mpf_device_info *dev);

/* Exactly one match, or an error: MPF_ERR_NO_DEVICE listing what was seen,
 * or MPF_ERR_AMBIGUOUS listing the matches and how to choose (-S / -p).
 * notes (may be NULL) holds per device why it could not be read fully (a
 * permission problem hides the serial); they are quoted in the message. */
mpf_err mpf_usb_select(const mpf_usb_filter *f, const mpf_device_info *devs,
                       const mpf_error *notes, size_t count, size_t *index, mpf_error *err);

/* The alt setting to use on a selected DFU-mode device: the one the filter
 * names, else the first. MPF_ERR_NO_DEVICE naming the device's alt settings
 * if it has no such one. */
mpf_err mpf_usb_filter_alt(const mpf_usb_filter *f, const mpf_device_info *dev, uint8_t *alt,
                           mpf_error *err);

/* ---- errors -------------------------------------------------------------- */

/* Map a libusb return code to an mpf_err and a message that says what to do:
 * "<problem> <doing> <device>: <advice>", e.g. "permission denied opening
 * 0483:df11 at 1-2: install the udev rule: ...". doing is a phrase such as
 * "opening" or "sending DNLOAD (wValue 2, 2048 bytes) to"; dev may be NULL
 * (the message then names no device);
 * timeout_ms (0 = none) is quoted for timeouts. */
mpf_err mpf_usb_error(mpf_error *err, int libusb_code, const mpf_device_info *dev,
                      const char *doing, unsigned timeout_ms);

/* ---- the transport ------------------------------------------------------- */

/* The device I/O the transport needs, with libusb's signatures and return
 * codes (negative LIBUSB_ERROR_*) but an opaque handle. */
typedef struct mpf_usb_io {
    int (*control_transfer)(void *handle, uint8_t request_type, uint8_t request, uint16_t value,
                            uint16_t index, unsigned char *data, uint16_t length,
                            unsigned int timeout_ms);
    int (*claim_interface)(void *handle, int interface);
    int (*release_interface)(void *handle, int interface);
    int (*set_interface_alt_setting)(void *handle, int interface, int alt);
    int (*reset_device)(void *handle);
    int (*set_auto_detach_kernel_driver)(void *handle, int enable);
    void (*close)(void *handle);
    /* Optional: libusb_get_string_descriptor_ascii (bytes, or a negative
     * libusb error). */
    int (*get_string_ascii)(void *handle, uint8_t index, unsigned char *data, int length);
} mpf_usb_io;

/* The default: handle is a libusb_device_handle *. */
const mpf_usb_io *mpf_usb_io_libusb(void);

/* A transport on an open handle: asks for automatic kernel driver detach
 * (where the platform has it) and claims info->interface_number. Takes
 * ownership of handle even on failure (it is closed then). out->info is a
 * copy of *info. */
mpf_err mpf_usb_transport_new(const mpf_usb_io *io, void *handle, const mpf_device_info *info,
                              mpf_transport *out, mpf_error *err);

/* ---- discovery ----------------------------------------------------------- */

typedef struct mpf_usb mpf_usb;           /* a libusb context */
typedef struct mpf_usb_list mpf_usb_list; /* a scan's result */

mpf_err mpf_usb_new(mpf_usb **out, mpf_error *err);
/* Close every transport opened through usb first. */
void mpf_usb_free(mpf_usb *usb);

/* Every DFU interface of every device (one entry per interface). Devices
 * that cannot be opened are listed with what the descriptors say and a note
 * (e.g. MPF_ERR_USB_ACCESS with the udev advice). */
mpf_err mpf_usb_scan(mpf_usb *usb, mpf_usb_list **out, mpf_error *err);
size_t mpf_usb_list_count(const mpf_usb_list *list);
const mpf_device_info *mpf_usb_list_devices(const mpf_usb_list *list); /* count entries */
const mpf_error *mpf_usb_list_notes(const mpf_usb_list *list); /* code MPF_OK = nothing to say */
void mpf_usb_list_free(mpf_usb_list *list);

/* Open entry index: the transport claims the DFU interface. The list may be
 * freed afterwards; usb must outlive the transport. */
mpf_err mpf_usb_open(mpf_usb_list *list, size_t index, mpf_transport *out, mpf_error *err);

/* ---- runtime -> DFU mode ------------------------------------------------- */

/* On an open runtime-mode transport: DFU_DETACH with wValue = wDetachTimeOut,
 * then a USB reset unless the device detaches itself (bitWillDetach). The
 * device vanishing during either is success. Does not close t. */
mpf_err mpf_usb_detach_request(mpf_transport *t, mpf_error *err);

/* Among freshly scanned devices, the DFU-mode device `runtime` became: the
 * one with its serial number where it has one, else the one at its port
 * path; it must also pass f's DFU-mode IDs. MPF_ERR_NO_DEVICE if absent,
 * MPF_ERR_AMBIGUOUS if two qualify. */
mpf_err mpf_usb_find_reenumerated(const mpf_device_info *runtime, const mpf_usb_filter *f,
                                  const mpf_device_info *devs, size_t count, size_t *index,
                                  mpf_error *err);

/* Detach the runtime device open on *t (closing t), then rescan every
 * 100 ms for up to wait_ms until its DFU-mode self appears, and open that
 * into *out. MPF_ERR_NO_DEVICE if it does not come. */
mpf_err mpf_usb_detach_and_reopen(mpf_usb *usb, mpf_transport *t, const mpf_usb_filter *f,
                                  unsigned wait_ms, mpf_transport *out, mpf_error *err);

/* Scan, select exactly one device (mpf_usb_select), detach it first if it
 * is in runtime mode (waiting up to detach_wait_ms), and open it. */
mpf_err mpf_usb_open_matching(mpf_usb *usb, const mpf_usb_filter *f, unsigned detach_wait_ms,
                              mpf_transport *out, mpf_error *err);

#ifdef __cplusplus
}
#endif
#endif
