/* The boards of one flashing run. Usually one; with --all, several -S, or
 * several -B PORTs, many, each flashed on a thread of its own with its own
 * transport (a libusb handle or a virtual board), so one board's failure
 * cannot touch another's flash. */
#ifndef MPFLASH_TOOL_BOARD_H
#define MPFLASH_TOOL_BOARD_H

#include <stddef.h>
#include <stdint.h>

#include "mpflash/image.h"
#include "mpflash/plan.h"
#include "mpflash/serial.h"
#include "mpflash/usb.h"
#include "tool/tool_ctx.h"
#include "tool/tool_device.h"

/* What flashing one board did, for the summary line, the table and JSON. */
typedef struct tool_flash_result {
    int ran;                 /* the flash was attempted (not refused before) */
    uint64_t bytes_written;  /* the image's bytes now on the board (the plan's) */
    uint64_t bytes_sent;     /* in data blocks: less when sectors or 0xFF blocks were skipped */
    uint64_t erase_bytes;    /* in the sectors erased (skipped ones not) */
    uint32_t sectors_erased;
    uint32_t sectors_skipped; /* already held the image (skip-unchanged) */
    uint32_t sectors_blank;   /* written without an erase: 0xFF wherever they change */
    int mass_erase, verified, left;
    int plain;               /* a plain DFU 1.1 board: streamed, reset or detached */
    const char *unverified;  /* verify was asked for but could not be done: why */
    uint32_t leave_address;
    uint64_t requests;
    uint64_t elapsed_us;     /* the board's clock: modelled with --sim */
    char backup_file[1024];  /* "" without --backup */
    uint64_t backup_bytes;
    int app_back;            /* --wait-app found the application's port */
    char app_port[256];
} tool_flash_result;

typedef struct tool_board {
    char label[160];     /* its serial number (or port path): prefixes its lines */
    tool_device dev;
    int opened;          /* dev holds an open transport */
    mpf_err rc;          /* MPF_OK, or why this board failed */
    mpf_error err;
    /* --bootloader: how the board was reached, and the application's
     * identity, which --wait-app looks for afterwards. */
    char entered[280];   /* "/dev/ttyACM0 (raw REPL)" or "DFU_DETACH"; "" */
    char app_serial[128];
    char app_path[32];
    char machine[160];   /* what it reported as sys.implementation._machine ("" = nothing) */
    /* The run's working state (tool_flash.c). */
    mpf_image own_image; /* -a NAME: loaded again for this board's alt */
    int has_own_image;
    mpf_plan plan;
    int has_plan;
    tool_flash_result res;
} tool_board;

typedef struct tool_board_set {
    tool_board *boards;
    size_t count;
    mpf_usb *usb; /* shared by the set's USB boards; NULL for one board or --sim */
    int multi;    /* several boards: labelled lines, threads, a table at the end */
} tool_board_set;

/* Whether the options ask for several boards (--all, -S twice, -B twice). */
int tool_boards_multi(const tool_options *o);

/* Find and open the boards. A failure that concerns the whole run (no board
 * at all, libusb cannot start) is returned; one board's failure is kept in
 * its rc/err and the others go on. With one board, failures are returned. */
mpf_err tool_boards_acquire(tool_ctx *ctx, tool_board_set *set, mpf_error *err);

/* --bootloader: enter the boards' bootloaders and open the DFU devices they
 * become (tool_bootloader.c). */
mpf_err tool_boards_bootloader(tool_ctx *ctx, tool_board_set *set, mpf_error *err);

/* Add a board to the set: label from its device's serial or path; n-th of
 * the set. Returns NULL when out of memory. */
tool_board *tool_boards_add(tool_board_set *set, mpf_error *err);
void tool_board_label(tool_board *b, const char *serial, const char *path);

/* Close every board (saving --sim-state) and the USB context; the boards'
 * results stay for the report. A close failure of an otherwise successful
 * board becomes its result. */
void tool_boards_close(tool_ctx *ctx, tool_board_set *set);
void tool_boards_free(tool_board_set *set);

#endif
