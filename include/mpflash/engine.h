/* mpflash — the DFU 1.1 + ST DfuSe protocol engine. It drives a transport
 * through a plan: erase, write, verify, leave. It never sleeps or reads a
 * clock except through the transport, never prints (log and progress go to
 * callbacks), and stops at the first error: no flash-changing request is sent
 * after one.
 */
#ifndef MPFLASH_ENGINE_H
#define MPFLASH_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#include "mpflash/dfu.h"
#include "mpflash/error.h"
#include "mpflash/plan.h"
#include "mpflash/transport.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum mpf_phase {
    MPF_PHASE_CONNECT = 0,
    MPF_PHASE_ERASE,
    MPF_PHASE_WRITE,
    MPF_PHASE_VERIFY,
    MPF_PHASE_READ,
    MPF_PHASE_LEAVE,
    MPF_PHASE__COUNT
} mpf_phase;

const char *mpf_phase_name(mpf_phase p); /* "connect", "erase", ... */

typedef enum mpf_log_level {
    MPF_LOG_ERROR = 0,
    MPF_LOG_WARN,
    MPF_LOG_INFO,
    MPF_LOG_DEBUG,
    MPF_LOG_TRACE /* every request, for -v */
} mpf_log_level;

typedef struct mpf_callbacks {
    /* done/total are bytes (write, verify, read) or sectors (erase); total
     * is known up front from the plan. */
    void (*progress)(void *user, mpf_phase phase, uint64_t done, uint64_t total);
    void (*log)(void *user, mpf_log_level level, const char *message);
    void *user;
} mpf_callbacks;

typedef struct mpf_dfu_stats {
    uint32_t requests[7];   /* by DFU request code (MPF_DFU_DETACH..MPF_DFU_ABORT) */
    uint32_t set_address;   /* DfuSe 0x21 commands */
    uint32_t erase_sectors; /* DfuSe 0x41 + address */
    uint32_t mass_erases;   /* DfuSe 0x41 alone */
    uint32_t blocks_down;   /* data DNLOADs */
    uint32_t blocks_up;     /* data UPLOADs */
    uint64_t bytes_down;
    uint64_t bytes_up;
    uint64_t slept_ms;      /* sum of poll waits */
} mpf_dfu_stats;

typedef struct mpf_dfu {
    mpf_transport *transport; /* not owned */
    mpf_callbacks cb;
    mpf_dfu_stats stats;
    int dfuse;              /* bcdDFUVersion 0x011A */
    uint16_t transfer_size;
    int current_alt;        /* -1 before the first select */
    int left;               /* a leave request was sent: the device may vanish */
} mpf_dfu;

/* Bring the device to dfuIDLE (GETSTATUS; CLRSTATUS out of dfuERROR; ABORT
 * out of upload/download idle). Does not take ownership of t. */
mpf_err mpf_dfu_open(mpf_dfu *d, mpf_transport *t, const mpf_callbacks *cb, mpf_error *err);

/* Run a plan: erase, write, verify, leave, as it says. */
mpf_err mpf_dfu_flash(mpf_dfu *d, const mpf_plan *plan, mpf_error *err);

/* Read len bytes from address on an alt setting (DfuSe UPLOAD). */
mpf_err mpf_dfu_read(mpf_dfu *d, uint8_t alt, uint32_t address, uint8_t *buf, size_t len,
                     mpf_error *err);

/* Set the address pointer and leave DFU mode; the device vanishing after
 * the request is success. */
mpf_err mpf_dfu_leave(mpf_dfu *d, uint32_t address, mpf_error *err);

mpf_err mpf_dfu_mass_erase(mpf_dfu *d, uint8_t alt, mpf_error *err);

/* DfuSe 0x92: erases all flash and resets the device. Only on explicit request. */
mpf_err mpf_dfu_read_unprotect(mpf_dfu *d, mpf_error *err);

mpf_err mpf_dfu_get_status(mpf_dfu *d, mpf_dfu_status_reply *out, mpf_error *err);

#ifdef __cplusplus
}
#endif
#endif
