/* A MicroPython board's REPL as a model with a clock of its own: what it
 * receives goes in with repl_board_receive, what it prints collects in
 * out, and time passes only through repl_board_advance. The rules follow
 * pyexec.c: a running program stops on Ctrl-C, the friendly REPL answers
 * Ctrl-C with a new prompt and Ctrl-A with the raw REPL banner, the raw
 * REPL answers Ctrl-A with the banner again and Ctrl-D with "OK". Code
 * that calls machine.bootloader() makes the board drop off USB 30 ms later
 * (time.sleep_ms(100) in the real code lets the OK out first).
 *
 * Two ports drive it: fake_repl.h (a pseudo-terminal on a thread, in real
 * time, for the built mpflash) and repl_port.h (in-process, virtual time,
 * for the library's tests). */
#ifndef MPFLASH_TEST_REPL_BOARD_H
#define MPFLASH_TEST_REPL_BOARD_H

#include <stddef.h>
#include <stdint.h>

#include "fake_repl.h"

typedef enum { REPL_RUNNING, REPL_FRIENDLY, REPL_RAW } repl_board_mode;

#define REPL_BOARD_NEVER UINT64_MAX

typedef struct repl_board {
    fake_repl_config cfg;
    uint64_t now_ms;
    /* what the board printed and nobody has read yet; a full buffer loses
     * output, as a real board's does when the host does not read */
    unsigned char out[4096];
    size_t out_len;
    unsigned char received[8192];
    size_t received_len;
    size_t printed;  /* program output while running */
    int dropped;     /* dropped off USB */
    /* board state */
    repl_board_mode mode;
    char line[512];
    size_t line_len;
    unsigned ctrl_c_ignored;
    unsigned tick;
    uint64_t next_print_ms;  /* REPL_RUNNING: the next line of output */
    uint64_t drop_at_ms;     /* machine.bootloader() is under way */
    uint64_t banner_rest_ms; /* late_banner: the rest of a split banner */
    unsigned char busy_in[512]; /* received while busy printing it, handled after */
    size_t busy_len;
} repl_board;

void repl_board_init(repl_board *b, const fake_repl_config *cfg);

/* Bytes from the host, at the board's current time. */
void repl_board_receive(repl_board *b, const unsigned char *data, size_t n);

/* Lets time pass up to to_ms, doing what falls due (printing, dropping). */
void repl_board_advance(repl_board *b, uint64_t to_ms);

/* When something will next happen by itself; REPL_BOARD_NEVER if nothing. */
uint64_t repl_board_next_event(const repl_board *b);

/* Moves up to cap printed bytes to buf; returns the count. */
size_t repl_board_take(repl_board *b, unsigned char *buf, size_t cap);

#endif
