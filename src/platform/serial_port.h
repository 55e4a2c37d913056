/* A serial port of the host, opened raw: the operating-system part of the
 * REPL bootloader entry. Behind a table of functions so tests can put a
 * board model in its place. Internal (src/platform). */
#ifndef MPFLASH_PLATFORM_SERIAL_PORT_H
#define MPFLASH_PLATFORM_SERIAL_PORT_H

#include <stddef.h>
#include <stdint.h>

#include "mpflash/error.h"

/* What read and write return besides a byte count. */
#define MPF_PORT_TIMEOUT 0
#define MPF_PORT_HANGUP (-1) /* the device went away */
#define MPF_PORT_FAILED (-2) /* any other error; the message is in err */

typedef struct mpf_port_ops {
    /* Opens name at 115200 8N1, raw, no flow control, with pending input and
     * output dropped, and held exclusively (POSIX: an advisory flock, the
     * convention of pyserial and so mpremote; Windows: COM ports are
     * exclusive by nature). Errors: MPF_ERR_NO_DEVICE, MPF_ERR_USB_ACCESS,
     * MPF_ERR_USB_BUSY, MPF_ERR_USAGE (not a serial port), MPF_ERR_USB. */
    mpf_err (*open)(void *ctx, const char *name, void **handle, mpf_error *err);
    void (*close)(void *ctx, void *handle);
    /* Writes up to len bytes, waiting at most wait_ms for room; returns the
     * count (0: none taken in time) or MPF_PORT_HANGUP / MPF_PORT_FAILED
     * with err set. */
    long (*write)(void *ctx, void *handle, const uint8_t *data, size_t len, uint32_t wait_ms,
                  mpf_error *err);
    /* Reads what is there, waiting at most wait_ms for the first byte;
     * returns the count or one of MPF_PORT_*. Bytes that arrived before a
     * hang-up are returned first. */
    long (*read)(void *ctx, void *handle, uint8_t *buf, size_t cap, uint32_t wait_ms);
    void *ctx;
    /* Opens name at `baud` and closes it again, dropping DTR: Arduino's
     * "touch" (1200 baud) that asks a board to enter its bootloader. NULL
     * where the ports cannot do it. Errors as for open. */
    mpf_err (*touch)(void *ctx, const char *name, uint32_t baud, mpf_error *err);
} mpf_port_ops;

/* The host's serial ports: termios on POSIX, the comm API on Windows
 * ("COM5" is opened as \\.\COM5 so that COM10 and above work). */
const mpf_port_ops *mpf_port_host(void);

/* A port name of this host's kind, for messages. */
#ifdef _WIN32
#define MPF_PORT_EXAMPLE "COM5"
#else
#define MPF_PORT_EXAMPLE "/dev/ttyACM0"
#endif

/* Nonzero if name can only be a serial port of this host:
 * mpf_port_name_is_dev on POSIX, mpf_port_name_is_com on Windows. */
int mpf_port_name_is_port(const char *name);

/* "COM5", "com12", "\\.\COM7": a Windows COM port name (COM1-COM999). */
int mpf_port_name_is_com(const char *name);
/* "/dev/ttyACM0": a POSIX device node path. */
int mpf_port_name_is_dev(const char *name);

/* Nonzero once a listed port can be opened by name: on Linux the sysfs
 * entry comes before udev makes the device node; Windows lists only ports
 * that are there. */
int mpf_port_node_ready(const char *name);

#endif
