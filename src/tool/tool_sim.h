/* The --sim board's extras: the fault-injection testing aid and the state
 * file that carries its flash from one run to the next. */
#ifndef MPFLASH_TOOL_SIM_H
#define MPFLASH_TOOL_SIM_H

#include <stddef.h>
#include <stdint.h>

#include "mpflash/error.h"
#include "mpflash/sim.h"
#include "mpflash/transport.h"
#include "tool/tool_options.h"

/* What MPFLASH_SIM_FAULT asks for beyond mpf_sim's own faults. */
typedef struct tool_sim_extras {
    int flip_before_verify; /* flip:ADDR: a cell that lost its value */
    uint32_t flip_address;
} tool_sim_extras;

/* Apply MPFLASH_SIM_FAULT, a comma-separated list of
 *   KIND:OP:N[:STATUS]  stall, timeout, disconnect or status, on the Nth OP
 *                       (any, getstatus, getstate, clrstatus, abort, detach,
 *                       set-address, erase, mass-erase, unprotect, write,
 *                       leave, upload); STATUS a name (errERASE) or number
 *   wp:ADDR             write-protect the sector holding ADDR
 *   rdp                 read protection (level 1) on
 *   start-error         the board starts in dfuERROR (errFIRMWARE)
 *   flip:ADDR           invert the byte at ADDR just before verifying
 * MPF_ERR_USAGE naming the bad item. */
/* An item may start with SERIAL= to apply to that virtual board only
 * (e.g. SIM2=status:erase:1:errERASE with several boards); serial is the
 * board's. */
mpf_err tool_sim_apply_faults(mpf_sim *sim, const char *spec, const char *serial, tool_sim_extras *extras,
                              mpf_error *err);

/* How many virtual boards the options make (0 without --sim), the chip of
 * each, and their identities: with more than one, board i is serial
 * "SIM<i+1>" at path "1-<i+1>"; a lone board keeps its chip's serial. */
size_t tool_sim_board_count(const tool_options *o);
const char *tool_sim_board_chip(const tool_options *o, size_t index);
void tool_sim_board_identity(mpf_sim *sim, const tool_options *o, size_t index);

/* A per-board file name for runs with several boards: FILE with ".BOARD"
 * before its extension (board.bin -> board.SIM2.bin). */
void tool_board_file(const char *file, const char *board, char *out, size_t size);

/* The part of alt 0 the state file holds: from the layout's first address,
 * as far as the chip really has memory (mboot claims more than some do). */
mpf_err tool_sim_state_region(const mpf_sim *sim, const mpf_device_info *info, uint32_t *base, size_t *len,
                              mpf_error *err);

/* Load the file into the board's flash if it exists (a missing file is a new
 * board, erased). */
mpf_err tool_sim_state_load(mpf_sim *sim, const char *path, uint32_t base, size_t len, mpf_error *err);
mpf_err tool_sim_state_save(const mpf_sim *sim, const char *path, uint32_t base, size_t len, mpf_error *err);

#endif
