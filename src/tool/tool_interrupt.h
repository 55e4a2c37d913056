/* Ctrl-C during a flash: the first one stops every running DFU session
 * cleanly between two requests (mpf_dfu_cancel), so the board is never left
 * in the middle of a request and the same command finishes the job; with no
 * session running, or at the second Ctrl-C, the program ends at once. */
#ifndef MPFLASH_TOOL_INTERRUPT_H
#define MPFLASH_TOOL_INTERRUPT_H

#include "mpflash/engine.h"

/* Exit code of a run ended by Ctrl-C with nothing to stop cleanly (the
 * shell's 128 + SIGINT). */
#define TOOL_EXIT_INTERRUPTED 130

/* Routes Ctrl-C (SIGINT and SIGTERM on POSIX, the console's Ctrl-C and
 * Ctrl-Break on Windows) to tool_interrupt_deliver. Only the executable
 * calls it, first thing, before any other thread exists: on POSIX the
 * signals are blocked in every thread and taken by a thread of their own,
 * so what runs on Ctrl-C is ordinary code, not a signal handler. */
void tool_interrupt_install(void);
/* Undoes it before the program returns from main. */
void tool_interrupt_uninstall(void);

/* mpf_dfu_new / mpf_dfu_close that also enter and leave the set of
 * sessions a Ctrl-C stops. A session opened after a Ctrl-C is cancelled
 * straight away. */
mpf_err tool_session_new(mpf_transport *t, const mpf_callbacks *cb, mpf_dfu **out, mpf_error *err);
void tool_session_close(mpf_dfu *d);

/* What a Ctrl-C does: marks the run interrupted and cancels every session
 * running now; returns how many it cancelled (0: nothing to stop cleanly). */
unsigned tool_interrupt_deliver(void);
int tool_interrupted(void);
/* Forgets an earlier Ctrl-C (for tests that run the tool several times). */
void tool_interrupt_reset(void);

#endif
