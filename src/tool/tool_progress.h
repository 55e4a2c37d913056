/* Progress and log output for the engine's callbacks. */
#ifndef MPFLASH_TOOL_PROGRESS_H
#define MPFLASH_TOOL_PROGRESS_H

#include <stdint.h>

#include "mpflash/engine.h"
#include "tool/tool_ctx.h"
#include "tool/tool_device.h"

typedef enum tool_progress_mode {
    TOOL_PROGRESS_NONE = 0,
    TOOL_PROGRESS_TTY,   /* one line per phase, redrawn */
    TOOL_PROGRESS_LINES, /* a line per 10% */
    TOOL_PROGRESS_JSON   /* a progress event per 10% */
} tool_progress_mode;

typedef struct tool_progress {
    tool_ctx *ctx;
    tool_device *dev; /* its clock, and the --sim testing aid */
    tool_progress_mode mode;
    int active;          /* a phase is under way */
    mpf_phase phase;
    uint64_t phase_start_us;
    int last_step;       /* tenths already reported */
    int last_pct;        /* TTY: redraw only when the percentage moves */
    int line_open;       /* a TTY line waits for its newline */
    int flipped;         /* the flip:ADDR aid has fired */
} tool_progress;

void tool_progress_init(tool_progress *p, tool_ctx *ctx, tool_device *dev);

/* Callbacks for mpf_dfu_open; user = the tool_progress. */
void tool_progress_callbacks(tool_progress *p, mpf_callbacks *cb);

/* End an open TTY line (before printing anything else). */
void tool_progress_end_line(tool_progress *p);

#endif
