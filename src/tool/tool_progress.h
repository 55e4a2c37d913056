/* Progress and log output for the engine's callbacks. */
#ifndef MPFLASH_TOOL_PROGRESS_H
#define MPFLASH_TOOL_PROGRESS_H

#include <stdint.h>

#include "mpflash/engine.h"
#include "tool/tool_ctx.h"
#include "tool/tool_device.h"
#include "tool/tool_display.h"

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
    /* One of several boards at once: its label on every line, and the shared
     * display (NULL when the run has one board). */
    const char *label;
    tool_display *display;
    size_t slot;
    /* Phases the caller runs as one (a backup reading sector after sector):
     * done and total are offset into one whole. */
    uint64_t span_base, span_total;
    /* What reading is for, in text (NULL: "read"): a flash reads to find the
     * sectors it can skip ("check", no rate: it jumps past what it need not
     * read) and for --backup ("backup"). */
    const char *read_name;
    const char *phase_read_name; /* read_name when the current phase began */
    /* The session of a flash under way (NULL otherwise): once its check has
     * decided, the ETA is the rest of the flash as the engine prices it
     * (mpf_dfu_time_left_us), not the current phase's rate. */
    const mpf_dfu *session;
} tool_progress;

void tool_progress_init(tool_progress *p, tool_ctx *ctx, tool_device *dev);

/* Make p one board's progress among several. */
void tool_progress_set_board(tool_progress *p, const char *label, tool_display *display, size_t slot);

/* Report the next calls' amounts as part of a span of span_total, starting
 * at base (0, 0 ends it). */
void tool_progress_span(tool_progress *p, uint64_t base, uint64_t span_total);

/* A warning line for this board (prefixed with its label among several). */
void tool_progress_warn(tool_progress *p, const char *message);

/* Callbacks for mpf_dfu_open; user = the tool_progress. */
void tool_progress_callbacks(tool_progress *p, mpf_callbacks *cb);

/* End an open TTY line (before printing anything else). */
void tool_progress_end_line(tool_progress *p);

#endif
