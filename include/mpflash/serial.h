/* mpflash — boards running MicroPython, reached over their USB serial port.
 *
 * CI flashes boards that run MicroPython rather than sit in DFU mode. This
 * part of the library finds them (Linux sysfs), asks the firmware to jump to
 * its bootloader through the raw REPL, ties the DFU device that then appears
 * to the board it came from, and waits for the application's serial port to
 * come back after flashing. See docs/bootloader.md for the protocol, the
 * USB IDs and how the serial numbers relate.
 *
 * Like the rest of the library: nothing is printed (an optional log
 * callback), nothing exits, every wait is bounded, errors are an mpf_err
 * with a one-line message.
 */
#ifndef MPFLASH_SERIAL_H
#define MPFLASH_SERIAL_H

#include <stddef.h>
#include <stdint.h>

#include "mpflash/engine.h" /* mpf_log_level */
#include "mpflash/error.h"
#include "mpflash/transport.h" /* mpf_device_info */

#ifdef __cplusplus
extern "C" {
#endif

/* ---- discovery ---------------------------------------------------------- */

typedef struct mpf_serial_port {
    char name[64];            /* "ttyACM0" */
    char dev_path[256];       /* "<dev_root>/ttyACM0" */
    uint16_t vid, pid;
    uint8_t bus;
    int interface_number;     /* bInterfaceNumber of the tty's interface, -1 if unknown */
    char path[32];            /* "1-2.3": same form as mpf_device_info.path */
    char serial[128];         /* iSerialNumber, "" if the device has none */
    char manufacturer[128];
    char product[128];
    int is_micropython;       /* VID:PID is one MicroPython firmware uses (mpf_serial_micropython_id) */
    const char *firmware;     /* what the ID table says, e.g. "MicroPython stm32 CDC+MSC"; NULL if unknown */
} mpf_serial_port;

/* Every tty with a USB device above it in sysfs, sorted by name (ttyACM2
 * before ttyACM10). Serial ports without a USB parent (ttyS*, virtual
 * consoles) are left out. sysfs_root NULL = "/sys", dev_root NULL = "/dev"
 * (tests pass a fake tree). *ports is NULL when *count is 0; free it with
 * mpf_serial_list_free. Only reads files: nothing is opened as a tty. */
mpf_err mpf_serial_list(const char *sysfs_root, const char *dev_root,
                        mpf_serial_port **ports, size_t *count, mpf_error *err);
void mpf_serial_list_free(mpf_serial_port *ports);

/* Nonzero if vid:pid is one that MicroPython firmware enumerates with by
 * default; *what (if non-NULL) gets a short description. Generic IDs shared
 * with other firmware (ST's 0483:5740 VCP, Espressif's TinyUSB defaults) are
 * deliberately not in the table: a board using them must be named. */
int mpf_serial_micropython_id(uint16_t vid, uint16_t pid, const char **what);

/* For "--bootloader" without a port: the one MicroPython board among ports.
 * A board with several CDC interfaces counts once; its lowest interface is
 * chosen (the REPL). Ports that are not MicroPython are never chosen.
 * MPF_ERR_NO_DEVICE if there is none, MPF_ERR_AMBIGUOUS if there are several
 * (the message lists them). */
mpf_err mpf_serial_pick_board(const mpf_serial_port *ports, size_t count, size_t *index,
                              mpf_error *err);

/* ---- bootloader entry over the raw REPL --------------------------------- */

/* What is run in the raw REPL. The pause lets the "OK" reach the host before
 * the firmware shuts USB down (stm32's machine.bootloader() does that first). */
#define MPF_SERIAL_BOOTLOADER_CODE "import machine, time; time.sleep_ms(100); machine.bootloader()"

typedef struct mpf_serial_enter_options {
    unsigned timeout_ms; /* bound on each wait for the board (banner, OK); 0 = 1000 */
    unsigned attempts;   /* rounds of Ctrl-C Ctrl-C Ctrl-A before giving up; 0 = 3 */
    unsigned settle_ms;  /* after "OK", how long to watch for an error or the hang-up; 0 = 500 */
    const char *code;    /* NULL = MPF_SERIAL_BOOTLOADER_CODE */
    void (*log)(void *user, mpf_log_level level, const char *message); /* optional */
    void *user;
    /* Optional: first ask the board for sys.implementation._machine
     * (MPF_SERIAL_MACHINE_CODE; "NUCLEO-F401RE with STM32F401xE", or "" when
     * the firmware is too old to have it) and pass it here, with user. An
     * error returned stops the entry before the bootloader code is sent: the
     * board keeps running its firmware, and that error is the entry's. */
    mpf_err (*machine)(void *user, const char *machine, mpf_error *err);
} mpf_serial_enter_options;

#define MPF_SERIAL_MACHINE_CODE "import sys; print(sys.implementation._machine)"

/* Open port (a tty path) raw at 115200 8N1, and per attempt send Ctrl-C
 * twice (stop a running program, clear the line) and Ctrl-A (enter the raw
 * REPL), then wait up to timeout_ms for "raw REPL; CTRL-B to exit\r\n>".
 * Then send the code and Ctrl-D and expect "OK". The board dropping off USB
 * after Ctrl-D (read error, EOF, hang-up) is success, with or without the
 * OK; so is silence for settle_ms after the OK. Errors:
 *  MPF_ERR_NO_DEVICE / MPF_ERR_USB_ACCESS / MPF_ERR_USB_BUSY  port cannot be opened
 *      (BUSY also when another program holds its flock, as mpremote does);
 *  MPF_ERR_USAGE            not a terminal;
 *  MPF_ERR_USB_TIMEOUT      the board never answered, or gave no OK;
 *  MPF_ERR_PROTOCOL         it answered, but never with the banner (garbage, or
 *                           still printing after every Ctrl-C), or not with OK;
 *  MPF_ERR_DEVICE_STATUS    the code ran and raised (the message quotes the error),
 *                           or returned to the prompt;
 *  MPF_ERR_USB_DISCONNECTED the port went away before the command was sent.
 * o may be NULL (all defaults). */
mpf_err mpf_serial_enter_bootloader(const char *port, const mpf_serial_enter_options *o,
                                    mpf_error *err);

/* ---- bootloader entry by the 1200-baud touch (Arduino boards) ------------ */

#define MPF_SERIAL_TOUCH_BAUD 1200u

/* Nonzero if a board with this USB ID enters its bootloader when its CDC
 * port is opened at 1200 baud and closed (Arduino's boards, in their
 * sketches and in MicroPython). */
int mpf_serial_enters_by_touch(uint16_t vid, uint16_t pid);

/* Open port at baud (MPF_SERIAL_TOUCH_BAUD) and close it, dropping DTR; the
 * board then resets into its bootloader. Errors as for opening the port;
 * MPF_ERR_USAGE where the host cannot set the speed. */
mpf_err mpf_serial_touch(const char *port, uint32_t baud, mpf_error *err);

/* ---- tying the DFU device to the board ---------------------------------- */

typedef enum mpf_serial_match_how {
    MPF_SERIAL_MATCH_SERIAL = 1, /* the serial numbers denote the same chip */
    MPF_SERIAL_MATCH_PATH = 2,   /* same USB port path */
    MPF_SERIAL_MATCH_SOLE = 4    /* the only DFU device, and nothing contradicts */
} mpf_serial_match_how;

/* Nonzero if a MicroPython application's USB serial number and a DFU
 * device's serial number denote the same STM32: equal ignoring case, or the
 * application's is the 24-digit unique ID (TinyUSB builds) and the DFU one
 * is what the ST ROM or mboot derives from that ID. */
int mpf_serial_same_chip(const char *app_serial, const char *dfu_serial);

/* The 12-digit serial the STM32F2/F4 ROM bootloader shows, derived from the
 * 96-bit unique ID given as 24 hex digits in memory order (how MicroPython's
 * TinyUSB builds report it): (UID0 + UID2) as 8 digits, then the top 16 bits
 * of UID1. mboot's variant adds byte-wise without carries. out needs 13
 * bytes; either may be NULL. Returns 0 if uid_hex is not 24 hex digits. */
int mpf_serial_stm32_dfu_serials(const char *uid_hex, char *rom_out, char *mboot_out);

/* Nonzero if two USB port paths ("1-2.3": bus, then the port on each hub
 * from the root) name the same port. Bus 0 means "bus not known" and matches
 * any bus with the same port chain: Windows' serial port list gives no
 * libusb bus number (libusb numbers host controllers in its own listing
 * order), so a serial port there is "0-2.3". Such a chain can be shared by
 * ports of different host controllers; mpf_serial_match_dfu then refuses
 * to choose by path. */
int mpf_serial_same_port(const char *a, const char *b);

/* Among devs (entries in MPF_MODE_RUNTIME are ignored), find the DFU device
 * that the board with this application serial number and USB port path
 * (either may be NULL or ""; compared with mpf_serial_same_port) turned into. *how gets MPF_SERIAL_MATCH_* bits.
 * A device that both identifiers point to wins; one identifier pointing to
 * one device is enough when the other points nowhere; a single DFU device
 * with nothing to compare is taken (SOLE). Otherwise it refuses rather than
 * guess: MPF_ERR_AMBIGUOUS when several devices could be the board or the
 * identifiers point to different devices, MPF_ERR_NO_DEVICE when there is no
 * DFU device or the only one is shown to be another board. */
mpf_err mpf_serial_match_dfu(const char *serial, const char *path,
                             const mpf_device_info *devs, size_t count,
                             size_t *index, unsigned *how, mpf_error *err);

/* ---- waiting for the application to come back --------------------------- */

typedef struct mpf_serial_wait_options {
    const char *sysfs_root; /* NULL = "/sys" */
    const char *dev_root;   /* NULL = "/dev" */
    unsigned timeout_ms;    /* 0 = 10000 */
    unsigned poll_ms;       /* 0 = 100 */
    void (*log)(void *user, mpf_log_level level, const char *message); /* optional */
    void *user;
} mpf_serial_wait_options;

/* After leaving DFU mode: poll until a serial port of the same board exists
 * (its sysfs entry and its device node): one whose serial number is serial,
 * or, failing that, one at the same USB port path (the new firmware may
 * report its serial number differently). Among a board's several ports the
 * lowest interface is returned. MPF_ERR_APP_TIMEOUT when nothing came in
 * timeout_ms, MPF_ERR_AMBIGUOUS when two boards claim the serial number,
 * MPF_ERR_USAGE when neither serial nor path is given. o may be NULL. */
mpf_err mpf_serial_wait_app(const mpf_serial_wait_options *o, const char *serial,
                            const char *path, mpf_serial_port *found, mpf_error *err);

#ifdef __cplusplus
}
#endif
#endif
