/* mpflash — the transport: the seam between the DFU engine and a device.
 *
 * Implementations: the libusb transport (usb.h) and the virtual STM32
 * bootloader (sim.h). The engine sends every request, sleeps and reads the
 * clock only through these operations, so the virtual device can run on a
 * virtual clock.
 */
#ifndef MPFLASH_TRANSPORT_H
#define MPFLASH_TRANSPORT_H

#include <stddef.h>
#include <stdint.h>

#include "mpflash/error.h"

#ifdef __cplusplus
extern "C" {
#endif

#define MPF_MAX_ALTS 16
#define MPF_ALT_NAME_MAX 256

typedef struct mpf_dfu_functional {
    uint8_t attributes;         /* MPF_DFU_ATTR_* */
    uint16_t detach_timeout_ms; /* wDetachTimeOut */
    uint16_t transfer_size;     /* wTransferSize */
    uint16_t dfu_version;       /* bcdDFUVersion; 0x011A = ST DfuSe */
} mpf_dfu_functional;

typedef struct mpf_alt_setting {
    uint8_t alt;                  /* bAlternateSetting */
    char name[MPF_ALT_NAME_MAX];  /* interface string: the DfuSe layout "@Internal Flash /0x08000000/..." */
} mpf_alt_setting;

typedef enum mpf_dfu_mode {
    MPF_MODE_RUNTIME = 1, /* interface protocol 1: the application, can be detached */
    MPF_MODE_DFU = 2      /* interface protocol 2: the bootloader */
} mpf_dfu_mode;

typedef struct mpf_device_info {
    uint16_t vid, pid, bcd_device;
    mpf_dfu_mode mode;
    uint8_t interface_number;
    uint8_t bus;
    uint8_t devnum;        /* USB device address on the bus (changes at every enumeration); 0 = unknown */
    uint8_t configuration; /* bConfigurationValue holding the DFU interface; 0 = unknown */
    char path[32];      /* "1-2.3": bus-port path, stable across re-enumeration */
    char serial[128];   /* iSerialNumber string, "" if none */
    char manufacturer[128];
    char product[128];
    mpf_dfu_functional func;
    size_t num_alts;
    mpf_alt_setting alts[MPF_MAX_ALTS];
} mpf_device_info;

/* Every operation returns MPF_OK or an MPF_ERR_USB_* code with a message in
 * err. The distinct codes matter: the engine treats STALL / DISCONNECTED /
 * USB after a leave request as success, and a STALL mid-flash as a device
 * error to be read with GETSTATUS. */
typedef struct mpf_transport_ops {
    /* Class request, host to device (bmRequestType 0x21, wIndex = interface). */
    mpf_err (*control_out)(void *ctx, uint8_t request, uint16_t value,
                           const uint8_t *data, uint16_t length,
                           unsigned timeout_ms, mpf_error *err);
    /* Class request, device to host (bmRequestType 0xA1, wIndex = interface).
     * *received is set to the number of bytes the device returned. */
    mpf_err (*control_in)(void *ctx, uint8_t request, uint16_t value,
                          uint8_t *data, uint16_t length, size_t *received,
                          unsigned timeout_ms, mpf_error *err);
    /* SET_INTERFACE to an alternate setting of the DFU interface. */
    mpf_err (*select_alt)(void *ctx, uint8_t alt, mpf_error *err);
    /* USB port reset (used after DETACH on devices without bitWillDetach). */
    mpf_err (*reset)(void *ctx, mpf_error *err);
    void (*sleep_ms)(void *ctx, uint32_t ms);
    uint64_t (*now_us)(void *ctx); /* monotonic microseconds */
    /* Release the interface and close; the transport must not be used after. */
    void (*close)(void *ctx);
    /* Optional (NULL: cannot). String descriptor `index` as ASCII, NUL-
     * terminated in out[size]. The engine reads the one a failed GETSTATUS
     * names in iString: mboot puts its reason there ("Can't overwrite
     * mboot"). A standard GET_DESCRIPTOR: it changes no DFU state. */
    mpf_err (*get_string)(void *ctx, uint8_t index, char *out, size_t size, mpf_error *err);
} mpf_transport_ops;

typedef struct mpf_transport {
    const mpf_transport_ops *ops;
    void *ctx;
    mpf_device_info info; /* filled in by whoever opened the transport */
} mpf_transport;

/* Close the connection (ops->close: release the interface, close the
 * handle) and clear ops and ctx, so a second close, or closing a zeroed
 * transport, does nothing; info stays, as a record of what was connected.
 * The object it came from (an mpf_usb context, an mpf_sim) is not freed:
 * the board outlives the connection. */
void mpf_transport_close(mpf_transport *t);

#ifdef __cplusplus
}
#endif
#endif
