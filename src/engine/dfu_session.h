/* mpflash — the inside of an mpf_dfu session. Not installed: the public
 * header has only the opaque type. The engine's files use it, and so may
 * in-tree tests and tools that keep a session on the stack (then
 * mpf_dfu_open it in place; mpf_dfu_close is only for mpf_dfu_new's). */
#ifndef MPFLASH_DFU_SESSION_H
#define MPFLASH_DFU_SESSION_H

#include <stdatomic.h>
#include <stdint.h>

#include "mpflash/engine.h"

struct mpf_dfu {
    mpf_transport *transport; /* not owned */
    mpf_callbacks cb;
    mpf_dfu_stats stats;
    uint64_t usb_model_us;  /* the USB time of every request sent, priced with the
                             * profile's typical timing (chip, else the STM32F4's):
                             * a dry run's forecast takes its reading from here */
    int dfuse;              /* bcdDFUVersion 0x011A */
    uint16_t transfer_size;
    int current_alt;        /* -1 before the first select */
    int left;               /* the device left DFU mode (leave, read-unprotect): then
                             * mpf_dfu_leave does nothing and the calls that need the
                             * device are refused with MPF_ERR_USAGE until mpf_dfu_open */
    int poll_cap_warned;    /* a capped bwPollTimeout was logged at WARN: a device that
                             * asks for it on every block is told about once */
    uint16_t read_size;     /* bytes per UPLOAD in mpf_dfu_read; 0 = transfer_size */
    const struct mpf_chip *chip; /* the family profile of the plan being run (timeouts);
                                  * NULL = the F4-era bounds */
    /* Plain DFU 1.1 only: */
    int manifested;         /* a download was manifested: the device runs it after a
                             * USB reset (or DETACH, or by itself when it vanished) */
    int wait_reset;         /* it is in dfuMANIFEST-WAIT-RESET: only a reset helps */
    const char *unverified; /* a flash asked to verify but could not (static text, e.g.
                             * the device answers UPLOAD with 0 bytes); NULL otherwise */
    const struct eng_eta *eta; /* a DfuSe flash under way, decided: mpf_dfu_time_left_us */
    atomic_int cancelled;   /* mpf_dfu_cancel: every request fails before it is sent */
};

#endif
