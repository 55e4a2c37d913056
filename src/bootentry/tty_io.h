/* A serial port with deadlines and a trace log, over the platform's port
 * functions and clock (both replaceable: see mpf_serial_env). Internal. */
#ifndef MPFLASH_BOOTENTRY_TTY_IO_H
#define MPFLASH_BOOTENTRY_TTY_IO_H

#include <stddef.h>
#include <stdint.h>

#include "bootentry/serial_internal.h"
#include "platform/serial_port.h"

typedef struct mpf_tty {
    void *handle;
    const mpf_port_ops *ops;
    const mpf_clock *clock;
    const char *port;
    mpf_serial_log_fn log;
    void *user;
} mpf_tty;

/* What mpf_tty_read returns besides a byte count. */
#define MPF_TTY_TIMEOUT MPF_PORT_TIMEOUT
#define MPF_TTY_HANGUP MPF_PORT_HANGUP
#define MPF_TTY_FAILED MPF_PORT_FAILED

/* Opens port through env (NULL: the host's ports and clock). */
mpf_err mpf_tty_open(mpf_tty *t, const mpf_serial_env *env, const char *port, mpf_serial_log_fn log,
                     void *user, mpf_error *err);
void mpf_tty_close(mpf_tty *t);

/* Monotonic milliseconds on the tty's clock; deadlines are in these. */
uint64_t mpf_tty_now_ms(const mpf_tty *t);

/* All of data, or an error once deadline_ms has passed. */
mpf_err mpf_tty_write(mpf_tty *t, const uint8_t *data, size_t len, uint64_t deadline_ms,
                      mpf_error *err);

/* Waits until something arrives or deadline_ms; returns the byte count or
 * one of MPF_TTY_*. */
long mpf_tty_read(mpf_tty *t, uint8_t *buf, size_t cap, uint64_t deadline_ms);

#endif
