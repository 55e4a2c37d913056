/* USB IDs that MicroPython firmware enumerates with by default. Only IDs
 * that are MicroPython's own are here (docs/bootloader.md names where each
 * comes from); a board on a generic vendor ID must be named explicitly, so
 * "pick the board" can never land on someone's FTDI cable or modem. */
#include "bootentry/serial_internal.h"

#include <stddef.h>

static const struct {
    uint16_t vid, pid;
    const char *what;
} mp_ids[] = {
    /* ports/stm32/usb.h: one PID per USB mode, so Windows keeps drivers apart. */
    {0xf055, 0x9800, "MicroPython stm32 CDC+MSC"},
    {0xf055, 0x9801, "MicroPython stm32 CDC+HID"},
    /* Also the default of the samd and mimxrt ports. */
    {0xf055, 0x9802, "MicroPython CDC"},
    {0xf055, 0x9803, "MicroPython stm32 MSC"},
    {0xf055, 0x9804, "MicroPython stm32 2xCDC+MSC"},
    {0xf055, 0x9805, "MicroPython stm32 2xCDC"},
    {0xf055, 0x9806, "MicroPython stm32 3xCDC"},
    {0xf055, 0x9807, "MicroPython stm32 3xCDC+MSC"},
    {0xf055, 0x9808, "MicroPython stm32 CDC+MSC+HID"},
    {0xf055, 0x9809, "MicroPython stm32 2xCDC+MSC+HID"},
    {0xf055, 0x980a, "MicroPython stm32 3xCDC+MSC+HID"},
    /* ports/rp2/mpconfigport.h: Raspberry Pi's PID for MicroPython on RP2. */
    {0x2e8a, 0x0005, "MicroPython rp2"},
};

/* Arduino's boards: MicroPython runs on them under Arduino's vendor ID with
 * a PID per board (e.g. 2341:025e, with MICROPY_HW_USB_CDC_1200BPS_TOUCH),
 * so the whole vendor ID counts; they enter the bootloader by the touch. */
#define ARDUINO_WHAT "Arduino board (bootloader by 1200-baud touch)"

int mpf_serial_micropython_id(uint16_t vid, uint16_t pid, const char **what)
{
    for (size_t i = 0; i < sizeof mp_ids / sizeof mp_ids[0]; i++) {
        if (mp_ids[i].vid == vid && mp_ids[i].pid == pid) {
            if (what)
                *what = mp_ids[i].what;
            return 1;
        }
    }
    if (mpf_serial_enters_by_touch(vid, pid)) {
        if (what)
            *what = ARDUINO_WHAT;
        return 1;
    }
    if (what)
        *what = NULL;
    return 0;
}
