/* Progress of several boards flashing at once, from their threads: on a
 * terminal one line per board, redrawn in place as a block; otherwise plain
 * lines, each prefixed with its board. The lock also keeps JSON events of
 * different boards from interleaving on stdout. */
#ifndef MPFLASH_TOOL_DISPLAY_H
#define MPFLASH_TOOL_DISPLAY_H

#include <stddef.h>
#include <stdio.h>

#include "mpflash/error.h"
#include "platform/thread.h"

#define TOOL_DISPLAY_LINE 192

typedef struct tool_display {
    mpf_mutex lock;
    FILE *err;
    int tty;
    size_t count;
    char (*lines)[TOOL_DISPLAY_LINE];
    int drawn; /* the block is on the terminal, the cursor just below it */
} tool_display;

/* count lines, each starting as its label. */
mpf_err tool_display_init(tool_display *d, FILE *err, int tty, const char *const *labels, size_t count,
                          mpf_error *e);
void tool_display_free(tool_display *d);

void tool_display_lock(tool_display *d);
void tool_display_unlock(tool_display *d);

/* Board `slot`'s progress text: its line of the block on a terminal, a new
 * line otherwise. */
void tool_display_progress(tool_display *d, size_t slot, const char *text);

/* A whole line (warning, log) on stderr, above the block. */
void tool_display_message(tool_display *d, const char *text);

#endif
