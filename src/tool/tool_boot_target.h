/* The boards --bootloader is about to enter: who each is as an application
 * (serial number, USB port path) and how to ask it to enter its bootloader. */
#ifndef MPFLASH_TOOL_BOOT_TARGET_H
#define MPFLASH_TOOL_BOOT_TARGET_H

#include <stddef.h>
#include <stdint.h>

#include "mpflash/serial.h"
#include "mpflash/usb.h"
#include "tool/tool_board.h"

typedef struct tool_boot_target {
    char label[160];
    char port[256];       /* the tty for the raw REPL; "" with DFU_DETACH */
    char serial[128];     /* the application's USB serial number, "" if unknown */
    char path[32];        /* its USB port path, "" if unknown */
    uint16_t vid, pid;
    int detach;           /* its firmware has a DFU run-time interface */
    int touch;            /* an Arduino board: the 1200-baud touch, not the REPL */
    size_t runtime_index; /* that interface in the first scan */
    mpf_err rc;           /* entering failed, or tying it to a DFU device did */
    mpf_error err;
    mpf_err wait_rc;      /* the latest reason it is not tied yet */
    mpf_error wait_err;
    int matched;
    unsigned how;         /* MPF_SERIAL_MATCH_* */
    tool_board *board;
} tool_boot_target;

/* From the options (-B PORT..., or every MicroPython board, filtered by -S
 * and -p) and the USB scan (for run-time DFU interfaces). Without --all or
 * several boards named, exactly one board must be found. */
mpf_err tool_boot_targets_find(tool_ctx *ctx, mpf_usb_list *scan, tool_boot_target *out, size_t *n,
                               mpf_error *err);

/* "(f055:9800 serial 3276345F3234 at 1-2)" */
void tool_boot_target_describe(const tool_boot_target *t, char *out, size_t size);

#endif
