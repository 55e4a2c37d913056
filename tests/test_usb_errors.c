/* libusb error codes -> mpf_err codes and messages, one by one: the engine
 * acts on the code, the user on the message. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <libusb.h>

#include "mpflash/usb.h"

static mpf_device_info board(void)
{
    mpf_device_info d;
    memset(&d, 0, sizeof d);
    d.vid = 0x0483;
    d.pid = 0xdf11;
    strcpy(d.path, "1-2");
    return d;
}

static void expect(int libusb_code, mpf_err code, const char *message)
{
    mpf_device_info d = board();
    mpf_error err = {0};
    assert_int_equal(mpf_usb_error(&err, libusb_code, &d, "opening", 0), code);
    assert_int_equal(err.code, code);
    assert_string_equal(err.message, message);
    /* Only a permission problem is the user's to settle (the udev rule). */
    assert_int_equal(err.reason, code == MPF_ERR_USB_ACCESS ? MPF_REASON_PERMISSION : MPF_REASON_NONE);
}

static void test_access_gives_udev_advice(void **state)
{
    (void)state;
#ifdef _WIN32
    expect(LIBUSB_ERROR_ACCESS, MPF_ERR_USB_ACCESS,
           "permission denied opening 0483:df11 at 1-2: another program has the device open "
           "(STM32CubeProgrammer, dfu-util, another mpflash?), or its driver is not WinUSB (install "
           "WinUSB with Zadig, https://zadig.akeo.ie)");
#else
    expect(LIBUSB_ERROR_ACCESS, MPF_ERR_USB_ACCESS,
           "permission denied opening 0483:df11 at 1-2: this user may not open USB devices: "
           "install mpflash's udev rule (50-mpflash.rules), then replug the board (or run as "
           "root)");
#endif
}

/* No WinUSB driver (libusb's NOT_SUPPORTED on Windows): what to do depends
 * on the bootloader. */
static void test_no_driver_says_which_and_what_to_do(void **state)
{
    (void)state;
    expect(LIBUSB_ERROR_NOT_SUPPORTED, MPF_ERR_USB_NOT_SUPPORTED,
           "opening 0483:df11 at 1-2 failed: no WinUSB driver is bound to the device, and ST's system "
           "bootloader gets none by itself: run Zadig (https://zadig.akeo.ie), pick \"STM32 BOOTLOADER\", "
           "choose WinUSB and press Install Driver (once per PC), then retry");
    mpf_device_info d = board();
    d.vid = 0x1209; /* mboot's own IDs, or any other DFU device */
    d.pid = 0x0005;
    mpf_error err = {0};
    assert_int_equal(mpf_usb_error(&err, LIBUSB_ERROR_NOT_SUPPORTED, &d, "opening", 0), MPF_ERR_USB_NOT_SUPPORTED);
    assert_non_null(strstr(err.message, "1209:0005 at 1-2 failed: no WinUSB driver is bound to the device: MicroPython's mboot "
                                        "has Windows bind WinUSB by itself"));
    assert_non_null(strstr(err.message, "install WinUSB for it with Zadig"));
}

static void test_each_code(void **state)
{
    (void)state;
    expect(LIBUSB_ERROR_BUSY, MPF_ERR_USB_BUSY,
           "device busy opening 0483:df11 at 1-2: another program has claimed it (dfu-util, "
           "pydfu, another mpflash?); close it and retry");
    expect(LIBUSB_ERROR_NO_DEVICE, MPF_ERR_USB_DISCONNECTED,
           "device disconnected opening 0483:df11 at 1-2 (unplugged, or it reset itself)");
    expect(LIBUSB_ERROR_PIPE, MPF_ERR_USB_STALL, "request stalled opening 0483:df11 at 1-2");
    expect(LIBUSB_ERROR_TIMEOUT, MPF_ERR_USB_TIMEOUT, "timed out opening 0483:df11 at 1-2");
    expect(LIBUSB_ERROR_NO_MEM, MPF_ERR_NOMEM, "out of memory opening 0483:df11 at 1-2");
    expect(LIBUSB_ERROR_IO, MPF_ERR_USB,
           "USB error opening 0483:df11 at 1-2: LIBUSB_ERROR_IO (Input/Output Error)");
    expect(LIBUSB_ERROR_INVALID_PARAM, MPF_ERR_USB,
           "USB error opening 0483:df11 at 1-2: LIBUSB_ERROR_INVALID_PARAM (Invalid parameter)");
    expect(LIBUSB_ERROR_NOT_FOUND, MPF_ERR_USB,
           "USB error opening 0483:df11 at 1-2: LIBUSB_ERROR_NOT_FOUND (Entity not found)");
    expect(LIBUSB_ERROR_OVERFLOW, MPF_ERR_USB,
           "USB error opening 0483:df11 at 1-2: LIBUSB_ERROR_OVERFLOW (Overflow)");
    expect(LIBUSB_ERROR_INTERRUPTED, MPF_ERR_USB,
           "USB error opening 0483:df11 at 1-2: LIBUSB_ERROR_INTERRUPTED (System call "
           "interrupted (perhaps due to signal))");
    expect(LIBUSB_ERROR_OTHER, MPF_ERR_USB,
           "USB error opening 0483:df11 at 1-2: LIBUSB_ERROR_OTHER (Other error)");
    expect(LIBUSB_SUCCESS, MPF_ERR_INTERNAL, "no error opening 0483:df11 at 1-2 mapped as an error");
}

static void test_timeout_quotes_the_limit(void **state)
{
    (void)state;
    mpf_device_info d = board();
    mpf_error err = {0};
    assert_int_equal(mpf_usb_error(&err, LIBUSB_ERROR_TIMEOUT, &d, "reading GETSTATUS from", 5000),
                     MPF_ERR_USB_TIMEOUT);
    assert_string_equal(err.message, "timed out after 5000 ms reading GETSTATUS from 0483:df11 at 1-2");
}

static void test_without_device_or_path(void **state)
{
    (void)state;
    mpf_error err = {0};
    assert_int_equal(mpf_usb_error(&err, LIBUSB_ERROR_NO_MEM, NULL, "listing USB devices", 0),
                     MPF_ERR_NOMEM);
    assert_string_equal(err.message, "out of memory listing USB devices");
    mpf_device_info d = board();
    d.path[0] = '\0';
    assert_int_equal(mpf_usb_error(&err, LIBUSB_ERROR_PIPE, &d, NULL, 0), MPF_ERR_USB_STALL);
    assert_string_equal(err.message, "request stalled using 0483:df11");
    /* A NULL error object is allowed: only the code comes back. */
    assert_int_equal(mpf_usb_error(NULL, LIBUSB_ERROR_ACCESS, &d, "opening", 0),
                     MPF_ERR_USB_ACCESS);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_access_gives_udev_advice),
        cmocka_unit_test(test_no_driver_says_which_and_what_to_do),
        cmocka_unit_test(test_each_code),
        cmocka_unit_test(test_timeout_quotes_the_limit),
        cmocka_unit_test(test_without_device_or_path),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
