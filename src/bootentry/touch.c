/* Arduino's "1200-baud touch": open the board's CDC port at 1200 baud and
 * close it. Arduino's tools do this before uploading to boards whose
 * boards.txt sets upload.use_1200bps_touch=true (ArduinoCore-renesas's
 * Portenta boards, with dfu-util), and MicroPython's Arduino boards answer
 * it too (MICROPY_HW_USB_CDC_1200BPS_TOUCH in their mpconfigboard.h): the
 * firmware resets into its bootloader. */
#include "bootentry/serial_internal.h"

#define ARDUINO_VID 0x2341u

int mpf_serial_enters_by_touch(uint16_t vid, uint16_t pid)
{
    (void)pid; /* every Arduino board the tools upload to over DFU or SAM-BA */
    return vid == ARDUINO_VID;
}

mpf_err mpf_serial_touch_env(const mpf_serial_env *env, const char *port, uint32_t baud, mpf_error *err)
{
    const mpf_port_ops *ops = env && env->ports ? env->ports : mpf_port_host();
    if (!port || !*port)
        return mpf_error_set(err, MPF_ERR_USAGE, "no serial port to touch");
    if (!ops->touch)
        return mpf_error_set(err, MPF_ERR_USAGE,
                             "%s: this host's serial ports cannot be opened at %u baud to reset the board",
                             port, (unsigned)baud);
    return ops->touch(ops->ctx, port, baud, err);
}

mpf_err mpf_serial_touch(const char *port, uint32_t baud, mpf_error *err)
{
    return mpf_serial_touch_env(NULL, port, baud, err);
}
