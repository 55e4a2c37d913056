/* A serial port opened raw, with bounded reads and writes. Internal. */
#ifndef MPFLASH_SERIAL_TTY_IO_H
#define MPFLASH_SERIAL_TTY_IO_H

#include <stddef.h>
#include <stdint.h>

#include "bootentry/serial_internal.h"

typedef struct mpf_tty {
    int fd;
    const char *port;
    mpf_serial_log_fn log;
    void *user;
} mpf_tty;

/* What mpf_tty_read returns besides a byte count. */
#define MPF_TTY_TIMEOUT 0
#define MPF_TTY_HANGUP (-1) /* the device went away: EOF, EIO, POLLHUP */
#define MPF_TTY_FAILED (-2) /* any other error; errno is kept */

/* Open port at 115200 8N1, raw, no flow control, input and output flushed,
 * with an advisory exclusive lock (pyserial's and so mpremote's convention). */
mpf_err mpf_tty_open(mpf_tty *t, const char *port, mpf_serial_log_fn log, void *user,
                     mpf_error *err);
void mpf_tty_close(mpf_tty *t);

/* All of data, or an error once deadline_ms (monotonic) has passed. */
mpf_err mpf_tty_write(mpf_tty *t, const uint8_t *data, size_t len, uint64_t deadline_ms,
                      mpf_error *err);

/* Waits until something arrives or deadline_ms; returns the byte count or
 * one of MPF_TTY_*. */
long mpf_tty_read(mpf_tty *t, uint8_t *buf, size_t cap, uint64_t deadline_ms);

#endif
