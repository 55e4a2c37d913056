/* The REPL board model (repl_board.h) as a serial port and a clock for the
 * library (mpf_serial_env): no thread, no pty, no wall time. Writing hands
 * the bytes to the board at once; a read that finds nothing moves the
 * virtual clock to the board's next event, or to the end of the wait. Every
 * run is the same run. */
#ifndef MPFLASH_TEST_REPL_PORT_H
#define MPFLASH_TEST_REPL_PORT_H

#include "bootentry/serial_internal.h"
#include "repl_board.h"

typedef struct repl_port {
    repl_board board;
    mpf_port_ops ops;
    mpf_clock clock;
    mpf_serial_env env;
    unsigned opens;
    unsigned touches;    /* 1200-baud touches, and the speed of the last */
    uint32_t touch_baud;
} repl_port;

/* rp->env is what mpf_serial_enter_bootloader_env takes. */
void repl_port_init(repl_port *rp, const fake_repl_config *cfg);

#endif
