/* Helpers shared by the serial-port files; not part of the public API. */
#ifndef MPFLASH_SERIAL_INTERNAL_H
#define MPFLASH_SERIAL_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "mpflash/serial.h"
#include "platform/clock.h"
#include "platform/serial_port.h"

typedef void (*mpf_serial_log_fn)(void *user, mpf_log_level level, const char *message);

/* Where the serial code gets its ports and its time; a NULL pointer or
 * field means the host's. Tests put a board model and a virtual clock here. */
typedef struct mpf_serial_env {
    const mpf_port_ops *ports;
    const mpf_clock *clock;
} mpf_serial_env;

/* mpf_serial_enter_bootloader through env. */
mpf_err mpf_serial_enter_bootloader_env(const mpf_serial_env *env, const char *port,
                                        const mpf_serial_enter_options *o, mpf_error *err);

/* mpf_serial_touch through env. */
mpf_err mpf_serial_touch_env(const mpf_serial_env *env, const char *port, uint32_t baud, mpf_error *err);

/* printf-style log line through an optional callback. */
void mpf_serial_logf(mpf_serial_log_fn log, void *user, mpf_log_level level, const char *fmt, ...)
    MPF_PRINTF(4, 5)
    ;

/* Bytes as a C-like quoted string ("raw REPL\r\n>", "\x04"), cut to fit out
 * with "..." when longer. For logs and error messages. */
void mpf_serial_escape(const uint8_t *data, size_t len, char *out, size_t out_size);

/* Case-insensitive equality of two ASCII strings; NULL and "" never match. */
int mpf_serial_ieq(const char *a, const char *b);

/* Natural order of tty names: ttyACM2 before ttyACM10. */
int mpf_serial_name_cmp(const char *a, const char *b);

#endif
