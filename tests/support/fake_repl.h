/* A pseudo-terminal that plays a MicroPython board's REPL, on a thread.
 * mpflash opens fake_repl_port(); the board side follows pyexec.c's rules:
 * a running program stops on Ctrl-C, the friendly REPL answers Ctrl-C with
 * a new prompt and Ctrl-A with the raw REPL banner, the raw REPL answers
 * Ctrl-A with the banner again and Ctrl-D with "OK". Code that calls
 * machine.bootloader() makes the board "drop off USB": it closes its side,
 * which the port sees as a hang-up. Every byte received is recorded. */
#ifndef MPFLASH_TEST_FAKE_REPL_H
#define MPFLASH_TEST_FAKE_REPL_H

#include <stddef.h>

typedef enum fake_repl_start {
    FAKE_REPL_AT_PROMPT = 0, /* friendly REPL, ">>> " */
    FAKE_REPL_RUNNING,       /* main.py is running and printing */
    FAKE_REPL_IN_RAW         /* already in the raw REPL */
} fake_repl_start;

typedef struct fake_repl_config {
    fake_repl_start start;
    int silent;               /* reads and records, never answers */
    int garbage;              /* answers every byte with line noise */
    unsigned print_every_ms;  /* FAKE_REPL_RUNNING: a line of output this often (0 = 2) */
    unsigned ignore_ctrl_c;   /* the program swallows this many Ctrl-C (KeyboardInterrupt caught) */
    int exec_error;           /* running code fails with an AttributeError instead */
    int stay_after_ok;        /* machine.bootloader() does nothing visible: no hang-up */
    int drop_before_ok;       /* closes at Ctrl-D, before writing OK */
    int answer_not_ok;        /* answers Ctrl-D with "NO" */
    int late_banner;          /* in the raw REPL, answers Ctrl-A with the banner twice,
                               * as if an earlier Ctrl-A had been answered late */
    const char *machine;      /* sys.implementation._machine; NULL = firmware too old
                               * to have it (the query raises AttributeError) */
} fake_repl_config;

typedef struct fake_repl fake_repl;

/* NULL if the pty or the thread cannot be made. */
fake_repl *fake_repl_start_board(const fake_repl_config *cfg);
const char *fake_repl_port(const fake_repl *fr);
/* Copies what the board received so far; returns its length. */
size_t fake_repl_received(fake_repl *fr, unsigned char *buf, size_t cap);
/* Nonzero once the board closed its side. */
int fake_repl_dropped(fake_repl *fr);
/* Bytes of program output written while it was "running". */
size_t fake_repl_printed(fake_repl *fr);
void fake_repl_stop(fake_repl *fr);

#endif
