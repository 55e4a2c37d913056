/* The board a command talks to: the --sim virtual board or one USB device,
 * chosen by the filters (never a silent pick among several). */
#ifndef MPFLASH_TOOL_DEVICE_H
#define MPFLASH_TOOL_DEVICE_H

#include "mpflash/sim.h"
#include "mpflash/transport.h"
#include "mpflash/usb.h"
#include "tool/tool_ctx.h"
#include "tool/tool_sim.h"

typedef struct tool_device {
    mpf_transport transport;
    int has_transport;
    mpf_usb *usb;          /* USB: the libusb context, outlives the transport; NULL
                            * when the boards of a set share one (tool_board.h) */
    mpf_sim *sim;          /* --sim: the virtual board */
    const char *sim_chip;  /* its chip, for messages and JSON */
    tool_sim_extras extras;
    int has_state;         /* --sim-state region below, kept in state_file */
    char state_file[1024];
    uint32_t state_base;
    size_t state_len;
} tool_device;

/* Open the one board the options select. A run-time-mode USB device is
 * detached into DFU mode first. Changes nothing on the board. */
mpf_err tool_device_open(tool_ctx *ctx, tool_device *dev, mpf_error *err);

/* Virtual board `index` of the run (tool_sim_board_count), with its faults
 * and --sim-state loaded; the filters are not applied here. */
mpf_err tool_device_open_sim(tool_ctx *ctx, size_t index, tool_device *dev, mpf_error *err);

/* What virtual board `index` enumerates as, without keeping it. */
mpf_err tool_device_sim_info(tool_ctx *ctx, size_t index, mpf_device_info *info, mpf_error *err);

/* A device around a transport someone else opened (a board of a set). */
void tool_device_adopt(tool_device *dev, const mpf_transport *t);

/* Close it; for --sim-state, save the board's flash (also after a failure:
 * a half-done flash is the state the next run must see). */
mpf_err tool_device_close(tool_ctx *ctx, tool_device *dev, mpf_error *err);

/* The alt setting the options select on the open board (default: its first). */
mpf_err tool_device_alt(tool_ctx *ctx, const tool_device *dev, uint8_t *alt, mpf_error *err);

/* Modelled (--sim) or wall-clock microseconds, from the transport. */
uint64_t tool_device_now_us(const tool_device *dev);

/* The device's keys in a JSON object (docs/json.md); sim_chip NULL for USB. */
void tool_device_json_fields(tool_json *j, const mpf_device_info *info, const char *sim_chip);

/* JSON "device" event or nothing (text mode prints its own line). */
void tool_device_announce(tool_ctx *ctx, const tool_device *dev);

#endif
