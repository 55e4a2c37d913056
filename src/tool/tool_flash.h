/* Flashing one board, in the halves a run with several boards needs:
 * preparing happens on the main thread and changes nothing; flashing and
 * waiting for the application run on the board's own thread and print only
 * through its tool_progress. */
#ifndef MPFLASH_TOOL_FLASH_H
#define MPFLASH_TOOL_FLASH_H

#include "mpflash/image.h"
#include "tool/tool_board.h"
#include "tool/tool_progress.h"

/* Announce the board, check the image against it (alt, DFU suffix, the
 * existing --backup file) and build its plan into b->plan; show the plan (in
 * full with --dry-run). img is shared by every board and not changed; -a
 * NAME loads a board's own copy when its alt differs from loaded_alt. */
mpf_err tool_flash_prepare(tool_ctx *ctx, tool_board *b, const mpf_image *img, uint8_t loaded_alt, mpf_error *err);

/* Back up (--backup), erase, write, verify and leave as b->plan says;
 * results go to b->res. */
mpf_err tool_flash_run(tool_ctx *ctx, tool_board *b, tool_progress *prog, mpf_error *err);

/* --wait-app: wait for the application's serial port to come back. */
mpf_err tool_flash_wait_app(tool_ctx *ctx, tool_board *b, tool_progress *prog, mpf_error *err);

/* The result keys of a flashed board (docs/json.md). */
void tool_flash_result_json(tool_ctx *ctx, tool_json *j, const tool_board *b);

/* Where --backup writes for board b: the file, or with several boards the
 * file with the board's label before its extension. */
void tool_flash_backup_file(const tool_ctx *ctx, const tool_board *b, char *out, size_t size);

/* Several boards: prepare each, flash them at once (one thread each),
 * then tool_flash_report after the boards are closed. */
mpf_err tool_flash_boards(tool_ctx *ctx, tool_board_set *set, const mpf_image *img, uint8_t loaded_alt,
                          mpf_error *err);
mpf_err tool_flash_report(tool_ctx *ctx, const tool_board_set *set, mpf_error *err);

/* --backup: read every sector the plan erases (those unchanged[i] marks as
 * skipped aside; unchanged may be NULL) into a DfuSe file, written
 * atomically, that -u restores; *bytes gets its payload. With no sector
 * to keep, no file is written and *bytes is 0. */
mpf_err tool_backup_sectors(mpf_dfu *d, tool_progress *prog, const mpf_plan *plan, const uint8_t *unchanged,
                            const mpf_device_info *info, const char *file, uint64_t *bytes, mpf_error *err);

#endif
