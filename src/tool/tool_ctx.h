/* The state one run of the tool passes to its commands (instead of globals). */
#ifndef MPFLASH_TOOL_CTX_H
#define MPFLASH_TOOL_CTX_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "mpflash/error.h"
#include "tool/tool.h"
#include "tool/tool_json.h"
#include "tool/tool_options.h"

typedef struct tool_ctx {
    const tool_io *io;
    tool_options opt;
    FILE *out; /* io->out */
    FILE *err; /* io->err */
    /* Several boards: the board whose text tool_say is printing starts each
     * line with "LABEL: " (main thread only; NULL otherwise). */
    const char *line_prefix;
    int mid_line; /* the last tool_say did not end its line */
    /* The wrong-board guard: the board and MCU the firmware being flashed
     * names (mpf_image_machine), NULL when it names none or with --force. */
    const struct mpf_machine *image_machine;
    /* Several boards: counts for the final JSON result, also on failure. */
    size_t boards, boards_failed;
    /* The failure's JSON result is out already (one board's, with what it
     * did before it failed): tool_fail prints only the error lines. */
    int result_written;
} tool_ctx;

/* Human text on stdout: suppressed by -q and by --json (which owns stdout). */
void tool_say(tool_ctx *ctx, const char *fmt, ...)
    MPF_PRINTF(2, 3)
    ;

/* "mpflash: warning: ..." on stderr (kept with -q: a warning may matter). */
void tool_warn(tool_ctx *ctx, const char *fmt, ...)
    MPF_PRINTF(2, 3)
    ;

/* The failure report: "mpflash: error: <message>" first, then a hint line
 * when one helps, and with --json a result object on stdout. Returns the
 * exit code. */
int tool_fail(tool_ctx *ctx, const char *command, const mpf_error *e);

/* Start a failed JSON "result" object (event, command, ok, exit_code,
 * error, message), as tool_fail prints it; the caller adds keys and tj_end. */
void tool_result_fail_begin(tool_ctx *ctx, tool_json *j, const char *command, const mpf_error *e);

/* Start a successful JSON "result" object (event, command, ok, exit_code);
 * the caller adds its keys and calls tj_end. */
void tool_result_begin(tool_ctx *ctx, tool_json *j, const char *command);

/* "16 KiB" style sizes and "2.3 s" style durations for messages. */
void tool_format_size(char *buf, size_t n, uint64_t bytes);
void tool_format_duration(char *buf, size_t n, uint64_t us);

#endif
