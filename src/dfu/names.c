/* Names for DFU states, statuses and requests, as the DFU 1.1 spec spells them. */
#include "mpflash/dfu.h"

#include <stddef.h>

static const char *const state_names[] = {
    "appIDLE",          "appDETACH",   "dfuIDLE",
    "dfuDNLOAD-SYNC",   "dfuDNBUSY",   "dfuDNLOAD-IDLE",
    "dfuMANIFEST-SYNC", "dfuMANIFEST", "dfuMANIFEST-WAIT-RESET",
    "dfuUPLOAD-IDLE",   "dfuERROR",
};

static const struct {
    const char *name;
    const char *description;
} statuses[] = {
    {"OK", "no error"},
    {"errTARGET", "file is not targeted for this device"},
    {"errFILE", "file fails a vendor-specific verification test"},
    {"errWRITE", "device is unable to write memory"},
    {"errERASE", "memory erase failed"},
    {"errCHECK_ERASED", "memory erase check failed"},
    {"errPROG", "program memory function failed"},
    {"errVERIFY", "programmed memory failed verification"},
    {"errADDRESS", "address is out of range"},
    {"errNOTDONE", "received a zero-length download but the firmware is incomplete"},
    {"errFIRMWARE", "device firmware is corrupt; cannot return to run-time operation"},
    {"errVENDOR", "vendor-specific error (on STM32: read protection is active)"},
    {"errUSBR", "unexpected USB reset"},
    {"errPOR", "unexpected power-on reset"},
    {"errUNKNOWN", "unknown error"},
    {"errSTALLEDPKT", "device stalled an unexpected request"},
};

static const char *const request_names[] = {
    "DETACH", "DNLOAD", "UPLOAD", "GETSTATUS", "CLRSTATUS", "GETSTATE", "ABORT",
};

const char *mpf_dfu_state_name(uint8_t state)
{
    return state < sizeof state_names / sizeof *state_names ? state_names[state] : "state?";
}

const char *mpf_dfu_status_name(uint8_t status)
{
    return status < sizeof statuses / sizeof *statuses ? statuses[status].name : "status?";
}

const char *mpf_dfu_status_description(uint8_t status)
{
    return status < sizeof statuses / sizeof *statuses ? statuses[status].description
                                                       : "status code outside DFU 1.1";
}

const char *mpf_dfu_request_name(uint8_t request)
{
    return request < sizeof request_names / sizeof *request_names ? request_names[request]
                                                                   : "request?";
}
