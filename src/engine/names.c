/* Names for DFU states, statuses and requests, as the DFU 1.1 spec spells them.
 *
 * A device may report any byte. The value is what the user needs to look
 * it up, so every possible byte has a name, built at compile time: the
 * functions keep returning constant strings (no buffer to pass, nothing
 * shared between threads). */
#include "mpflash/dfu.h"

#include <stddef.h>

#define UNKNOWN_STATE(n) "state " #n " (unknown)"
#define STATES_10(t)                                                                             \
    UNKNOWN_STATE(t##0), UNKNOWN_STATE(t##1), UNKNOWN_STATE(t##2), UNKNOWN_STATE(t##3),          \
        UNKNOWN_STATE(t##4), UNKNOWN_STATE(t##5), UNKNOWN_STATE(t##6), UNKNOWN_STATE(t##7),      \
        UNKNOWN_STATE(t##8), UNKNOWN_STATE(t##9)

static const char *const state_names[] = {
    "appIDLE",          "appDETACH",   "dfuIDLE",
    "dfuDNLOAD-SYNC",   "dfuDNBUSY",   "dfuDNLOAD-IDLE",
    "dfuMANIFEST-SYNC", "dfuMANIFEST", "dfuMANIFEST-WAIT-RESET",
    "dfuUPLOAD-IDLE",   "dfuERROR",
    UNKNOWN_STATE(11), UNKNOWN_STATE(12), UNKNOWN_STATE(13), UNKNOWN_STATE(14),
    UNKNOWN_STATE(15), UNKNOWN_STATE(16), UNKNOWN_STATE(17), UNKNOWN_STATE(18),
    UNKNOWN_STATE(19),
    STATES_10(2),  STATES_10(3),  STATES_10(4),  STATES_10(5),  STATES_10(6),
    STATES_10(7),  STATES_10(8),  STATES_10(9),  STATES_10(10), STATES_10(11),
    STATES_10(12), STATES_10(13), STATES_10(14), STATES_10(15), STATES_10(16),
    STATES_10(17), STATES_10(18), STATES_10(19), STATES_10(20), STATES_10(21),
    STATES_10(22), STATES_10(23), STATES_10(24),
    UNKNOWN_STATE(250), UNKNOWN_STATE(251), UNKNOWN_STATE(252), UNKNOWN_STATE(253),
    UNKNOWN_STATE(254), UNKNOWN_STATE(255),
};

#define UNKNOWN_STATUS(x) "status 0x" #x " (unknown)"
#define STATUSES_16(h)                                                                           \
    UNKNOWN_STATUS(h##0), UNKNOWN_STATUS(h##1), UNKNOWN_STATUS(h##2), UNKNOWN_STATUS(h##3),      \
        UNKNOWN_STATUS(h##4), UNKNOWN_STATUS(h##5), UNKNOWN_STATUS(h##6), UNKNOWN_STATUS(h##7),  \
        UNKNOWN_STATUS(h##8), UNKNOWN_STATUS(h##9), UNKNOWN_STATUS(h##A), UNKNOWN_STATUS(h##B),  \
        UNKNOWN_STATUS(h##C), UNKNOWN_STATUS(h##D), UNKNOWN_STATUS(h##E), UNKNOWN_STATUS(h##F)

static const char *const status_names[] = {
    "OK",         "errTARGET", "errFILE",   "errWRITE",    "errERASE",   "errCHECK_ERASED",
    "errPROG",    "errVERIFY", "errADDRESS", "errNOTDONE", "errFIRMWARE", "errVENDOR",
    "errUSBR",    "errPOR",    "errUNKNOWN", "errSTALLEDPKT",
    STATUSES_16(1), STATUSES_16(2), STATUSES_16(3), STATUSES_16(4), STATUSES_16(5),
    STATUSES_16(6), STATUSES_16(7), STATUSES_16(8), STATUSES_16(9), STATUSES_16(A),
    STATUSES_16(B), STATUSES_16(C), STATUSES_16(D), STATUSES_16(E), STATUSES_16(F),
};

static const char *const status_descriptions[] = {
    "no error",
    "file is not targeted for this device",
    "file fails a vendor-specific verification test",
    "device is unable to write memory",
    "memory erase failed",
    "memory erase check failed",
    "program memory function failed",
    "programmed memory failed verification",
    "address is out of range",
    "received a zero-length download but the firmware is incomplete",
    "device firmware is corrupt; cannot return to run-time operation",
    "vendor-specific error (on STM32: read protection is active)",
    "unexpected USB reset",
    "unexpected power-on reset",
    "unknown error",
    "device stalled an unexpected request",
};

static const char *const request_names[] = {
    "DETACH", "DNLOAD", "UPLOAD", "GETSTATUS", "CLRSTATUS", "GETSTATE", "ABORT",
};

/* Indexed by any byte: one name too few would be read past the end. */
_Static_assert(sizeof state_names / sizeof *state_names == 256, "a name for every state byte");
_Static_assert(sizeof status_names / sizeof *status_names == 256, "a name for every status byte");

const char *mpf_dfu_state_name(uint8_t state)
{
    return state_names[state];
}

const char *mpf_dfu_status_name(uint8_t status)
{
    return status_names[status];
}

const char *mpf_dfu_status_description(uint8_t status)
{
    return status < sizeof status_descriptions / sizeof *status_descriptions
               ? status_descriptions[status]
               : "status code outside DFU 1.1";
}

const char *mpf_dfu_request_name(uint8_t request)
{
    return request < sizeof request_names / sizeof *request_names ? request_names[request]
                                                                   : "request?";
}
