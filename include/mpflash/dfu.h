/* mpflash — USB DFU 1.1 and ST DfuSe protocol constants. */
#ifndef MPFLASH_DFU_H
#define MPFLASH_DFU_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Class requests (bmRequestType 0x21 host-to-device, 0xA1 device-to-host;
 * wIndex = the DFU interface number). */
enum mpf_dfu_request {
    MPF_DFU_DETACH = 0,
    MPF_DFU_DNLOAD = 1,
    MPF_DFU_UPLOAD = 2,
    MPF_DFU_GETSTATUS = 3,
    MPF_DFU_CLRSTATUS = 4,
    MPF_DFU_GETSTATE = 5,
    MPF_DFU_ABORT = 6
};

#define MPF_DFU_REQTYPE_OUT 0x21
#define MPF_DFU_REQTYPE_IN 0xA1

enum mpf_dfu_state {
    MPF_DFU_STATE_APP_IDLE = 0,
    MPF_DFU_STATE_APP_DETACH = 1,
    MPF_DFU_STATE_IDLE = 2,
    MPF_DFU_STATE_DNLOAD_SYNC = 3,
    MPF_DFU_STATE_DNBUSY = 4,
    MPF_DFU_STATE_DNLOAD_IDLE = 5,
    MPF_DFU_STATE_MANIFEST_SYNC = 6,
    MPF_DFU_STATE_MANIFEST = 7,
    MPF_DFU_STATE_MANIFEST_WAIT_RESET = 8,
    MPF_DFU_STATE_UPLOAD_IDLE = 9,
    MPF_DFU_STATE_ERROR = 10
};

enum mpf_dfu_status {
    MPF_DFU_STATUS_OK = 0x00,
    MPF_DFU_STATUS_ERR_TARGET = 0x01,
    MPF_DFU_STATUS_ERR_FILE = 0x02,
    MPF_DFU_STATUS_ERR_WRITE = 0x03,
    MPF_DFU_STATUS_ERR_ERASE = 0x04,
    MPF_DFU_STATUS_ERR_CHECK_ERASED = 0x05,
    MPF_DFU_STATUS_ERR_PROG = 0x06,
    MPF_DFU_STATUS_ERR_VERIFY = 0x07,
    MPF_DFU_STATUS_ERR_ADDRESS = 0x08,
    MPF_DFU_STATUS_ERR_NOTDONE = 0x09,
    MPF_DFU_STATUS_ERR_FIRMWARE = 0x0A,
    MPF_DFU_STATUS_ERR_VENDOR = 0x0B,
    MPF_DFU_STATUS_ERR_USBR = 0x0C,
    MPF_DFU_STATUS_ERR_POR = 0x0D,
    MPF_DFU_STATUS_ERR_UNKNOWN = 0x0E,
    MPF_DFU_STATUS_ERR_STALLEDPKT = 0x0F
};

/* DfuSe commands, sent as DNLOAD with wBlockNum (wValue) 0. */
enum mpf_dfuse_command {
    MPF_DFUSE_CMD_GET_COMMANDS = 0x00, /* UPLOAD block 0 returns the list */
    MPF_DFUSE_CMD_SET_ADDRESS = 0x21,  /* + 4-byte LE address */
    MPF_DFUSE_CMD_ERASE = 0x41,        /* + 4-byte LE address; alone = mass erase */
    MPF_DFUSE_CMD_READ_UNPROTECT = 0x92
};

/* Data blocks use wBlockNum >= 2: address = pointer + (wBlockNum - 2) * wTransferSize. */
#define MPF_DFUSE_FIRST_DATA_BLOCK 2

/* bmAttributes of the DFU functional descriptor. */
#define MPF_DFU_ATTR_CAN_DNLOAD 0x01
#define MPF_DFU_ATTR_CAN_UPLOAD 0x02
#define MPF_DFU_ATTR_MANIFEST_TOLERANT 0x04
#define MPF_DFU_ATTR_WILL_DETACH 0x08

#define MPF_DFU_FUNCTIONAL_DESCRIPTOR_TYPE 0x21
#define MPF_DFU_VERSION_DFUSE 0x011A

/* USB interface class codes for DFU. */
#define MPF_USB_CLASS_APP_SPECIFIC 0xFE
#define MPF_USB_SUBCLASS_DFU 0x01
#define MPF_USB_PROTOCOL_DFU_RUNTIME 0x01
#define MPF_USB_PROTOCOL_DFU_MODE 0x02

/* GETSTATUS reply, decoded. */
typedef struct mpf_dfu_status_reply {
    uint8_t status;
    uint32_t poll_timeout_ms; /* 24-bit little-endian on the wire */
    uint8_t state;
    uint8_t string_index;
} mpf_dfu_status_reply;

/* "dfuIDLE", "errERASE", ...; values DFU 1.1 does not define keep their number:
 * "state 42 (unknown)", "status 0x3C (unknown)". Constant strings. */
const char *mpf_dfu_state_name(uint8_t state);
const char *mpf_dfu_status_name(uint8_t status);
/* A sentence for a status: "device is unable to erase memory". */
const char *mpf_dfu_status_description(uint8_t status);
const char *mpf_dfu_request_name(uint8_t request);

#ifdef __cplusplus
}
#endif
#endif
