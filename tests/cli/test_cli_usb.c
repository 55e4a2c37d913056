/* The built binary through the real USB code, with libusb replaced by the
 * fake (tests/fake_libusb, LD_PRELOAD) whose boards are virtual STM32s:
 * listing, choosing among several boards, the errors a real bus gives, and
 * MicroPython's deploy command lines exactly as the Makefile writes them.
 * Each board's flash is read from the fake's state file afterwards. Built
 * again as test_usbfs_cli_usb, on the real libusb over emulated usbfs
 * (tests/usbfs.cmake): RUN_USB then runs the binary there. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include "test_os.h"
#include <sys/stat.h>

#include "cli_helpers.h"

#ifdef MPFLASH_FAKE_LIBUSB

static void test_list(void **state)
{
    (void)state;
    char dir[512];
    cli_workdir("usb-list", dir, sizeof dir);
    cli_result r;
    RUN_USB(dir, "f401:SER1:port=2,mboot:SER2:port=3.1", &r, "-l");
    assert_int_equal(r.exit_code, 0);
    assert_int_equal(r.err_len, 0);
    cli_golden("usb-list.out", r.out, r.out_len);
    cli_result_free(&r);
    RUN_USB(dir, "f401:SER1:port=2,mboot:SER2:port=3.1", &r, "-l", "-S", "SER2", "--json");
    assert_int_equal(r.exit_code, 0);
    cli_golden("usb-list.json", r.out, r.out_len);
    cli_result_free(&r);
}

/* dir/dev, MPFLASH_DEV_ROOT's stand-in for /dev, made with a USB bus. */
static void fake_dev_with_bus(const char *dir)
{
    char unused[600];
    cli_fake_dev_with_bus(dir, unused, sizeof unused);
}

/* RUN_USB with MPFLASH_DEV_ROOT=dir/dev. */
#define RUN_USB_ROOTED(dir, boards, r, ...)                                                        \
    do {                                                                                           \
        const char *const args_[] = {__VA_ARGS__, NULL};                                           \
        char root_[600];                                                                           \
        snprintf(root_, sizeof root_, "MPFLASH_DEV_ROOT=%s/dev", dir);                             \
        const char *const env_[] = {root_, NULL};                                                  \
        cli_usb_run(dir, boards, args_, env_, r);                                                  \
    } while (0)

#ifdef __linux__ /* usbfs: /dev/bus/usb (src/tool/tool_usb_access.c) */
/* Nothing found: plainly so when USB devices can be seen, otherwise which
 * access is missing and what to do (exit code 4). MPFLASH_DEV_ROOT stands
 * for /dev; root reads every node, so the permission case is a unit test
 * (test_tool_usb_access.c). */
static void test_list_nothing(void **state)
{
    (void)state;
    char dir[512];
    cli_workdir("usb-list-nothing", dir, sizeof dir);
    cli_result r;
    RUN_USB_ROOTED(dir, "", &r, "-l");
    cli_assert_exit(&r, 4);
    assert_int_equal(r.out_len, 0);
    cli_assert_error_line(&r, "no DFU devices found, and none could be: ");
    assert_non_null(strstr(r.err, "/dev/bus/usb is missing or empty"));
    assert_non_null(strstr(r.err, "docker run --device=/dev/bus/usb"));
    cli_result_free(&r);

    fake_dev_with_bus(dir);
    RUN_USB_ROOTED(dir, "", &r, "-l");
    cli_assert_exit(&r, 0);
    assert_string_equal(r.out, "no DFU devices found\n");
    assert_int_equal(r.err_len, 0);
    cli_result_free(&r);
}

/* Both deploy lines of ports/stm32/Makefile, character for character. */
#endif

static void test_makefile_command_lines(void **state)
{
    (void)state;
    char dir[512];
    cli_workdir("usb-makefile", dir, sizeof dir);
    cli_copy_sample(dir, "firmware.dfu", "build-PYBV11/firmware.dfu");
    uint8_t *want = cli_sample_flashed_over(NULL);
    RUN_USB_EXPECT(dir, "f401:PYDFU", 0, "--vid", "0x0483", "--pid", "0xDF11", "-u", "build-PYBV11/firmware.dfu");
    cli_assert_fake_flash(dir, "f401-PYDFU.mem", want);
    RUN_USB_EXPECT(dir, "f401:DFUUTIL", 0, "-a", "0", "-d", "0x0483:0xDF11", "-D", "build-PYBV11/firmware.dfu", "-s",
            ":leave");
    cli_assert_fake_flash(dir, "f401-DFUUTIL.mem", want);
    /* Read back the way a backup does. */
    RUN_USB_EXPECT(dir, "f401:DFUUTIL", 0, "-a", "0", "-d", "0483:df11", "-U", "back.bin", "-s", "0x08000000:0x80000");
    cli_assert_file_bytes(dir, "back.bin", want, F401_FLASH, FLASH_BASE);
    free(want);
}

#ifdef __linux__ /* kernel drivers are detached through usbfs; libusb does it only on Linux */
/* A kernel driver bound to the DFU interface: detached for the claim, and
 * given back when mpflash lets go. */
static void test_kernel_driver_is_detached_and_given_back(void **state)
{
    (void)state;
    char dir[512];
    cli_workdir_with_firmware("usb-driver", dir, sizeof dir);
    RUN_USB_EXPECT(dir, "f401:KD:driver=usbhid", 0, "-a", "0", "-U", "head.bin", "-s", "0x08000000:0x4000");
    size_t len;
    char *log = (char *)cli_read(dir, "usb.log", &len);
    const char *detached = strstr(log, "KD kernel driver usbhid detached from interface 0\n");
    const char *claimed = detached ? strstr(detached, "KD claim 0 -> 0\n") : NULL;
    const char *released = claimed ? strstr(claimed, "KD release 0 -> 0\n") : NULL;
    if (!released || !strstr(released, "KD kernel driver usbhid attached to interface 0\n"))
        fail_msg("want detach, claim, release, attach in that order; the log:\n%s", log);
    free(log);
}
#endif

/* Two boards: refuse to guess; -S or -p picks one, and only it changes. */
static void test_choosing_among_boards(void **state)
{
    (void)state;
    char dir[512];
    cli_workdir_with_firmware("usb-choose", dir, sizeof dir);
    const char *boards = "f401:AAA:port=1,f401:BBB:port=4";
    cli_result r;
    RUN_USB(dir, boards, &r, "-q", "-u", "firmware.dfu");
    assert_int_equal(r.exit_code, 3);
    assert_string_equal(r.err, "mpflash: error: 2 DFU devices match: 0483:df11 serial AAA at 1-1 (DFU mode); "
                               "0483:df11 serial BBB at 1-4 (DFU mode); choose one by serial number or USB port path\n"
                               "mpflash: hint: choose one with -S SERIAL or -p PATH (mpflash -l shows both)\n");
    cli_result_free(&r);
    uint8_t *erased = cli_erased_flash();
    cli_assert_fake_flash(dir, "f401-AAA.mem", erased);
    cli_assert_fake_flash(dir, "f401-BBB.mem", erased);

    uint8_t *want = cli_sample_flashed_over(NULL);
    RUN_USB_EXPECT(dir, boards, 0, "-q", "-S", "BBB", "-u", "firmware.dfu");
    cli_assert_fake_flash(dir, "f401-AAA.mem", erased);
    cli_assert_fake_flash(dir, "f401-BBB.mem", want);
    RUN_USB_EXPECT(dir, boards, 0, "-q", "-p", "1-1", "-u", "firmware.dfu");
    cli_assert_fake_flash(dir, "f401-AAA.mem", want);
    free(want);
    free(erased);
}

/* No board: without USB access the flashing paths (-u, -e) say which
 * access is missing, as -l does (exit 4, nothing else tried); with access,
 * how to put the board in DFU mode (exit 3). */
static void test_no_board(void **state)
{
    (void)state;
    char dir[512];
    cli_workdir_with_firmware("usb-none", dir, sizeof dir);
    cli_result r;
#ifdef __linux__ /* usbfs access: Linux only (src/tool/tool_usb_access.c) */
    RUN_USB_ROOTED(dir, "", &r, "-q", "-u", "firmware.dfu");
    cli_assert_exit(&r, 4);
    cli_assert_error_line(&r, "no DFU devices found, and none could be: ");
    assert_non_null(strstr(r.err, "/dev/bus/usb is missing or empty"));
    assert_non_null(strstr(r.err, "docker run --device=/dev/bus/usb"));
    cli_result_free(&r);
    RUN_USB_ROOTED(dir, "", &r, "-e");
    cli_assert_exit(&r, 4);
    cli_assert_error_line(&r, "no DFU devices found, and none could be: ");
    cli_result_free(&r);
    /* Waiting says up front why it may wait in vain, and ends the same way. */
    RUN_USB_ROOTED(dir, "", &r, "-q", "--wait=1", "-u", "firmware.dfu");
    cli_assert_exit(&r, 4);
    assert_int_equal(strncmp(r.err, "mpflash: warning: no DFU devices found, and none could be: ", 59), 0);
    assert_non_null(strstr(r.err, "\nmpflash: error: no DFU devices found, and none could be: "));
    cli_result_free(&r);
#endif
    /* A board that does not match the filter is named in the message, bus or not. */
    RUN_USB_ROOTED(dir, "f405:X1", &r, "-q", "-d", "0483:df12", "-u", "firmware.dfu");
    assert_int_equal(r.exit_code, 3);
    cli_assert_error_line(&r, "no DFU device matches");
    assert_non_null(strstr(r.err, "serial X1"));
    cli_result_free(&r);

    fake_dev_with_bus(dir);
    RUN_USB_ROOTED(dir, "", &r, "-q", "-u", "firmware.dfu");
    assert_int_equal(r.exit_code, 3);
    cli_assert_error_line(&r, "no DFU device found: put the board in DFU mode");
    cli_result_free(&r);
    /* --wait=1 gives up after a second with the same answer. */
    RUN_USB_ROOTED(dir, "", &r, "-q", "--wait=1", "-u", "firmware.dfu");
    assert_int_equal(r.exit_code, 3);
    cli_assert_error_line(&r, "after waiting 1 s: no DFU device found");
    assert_null(strstr(r.err, "warning"));
    cli_result_free(&r);
}

/* Exit code 4: permission denied, and a board another program holds. */
static void test_usb_errors(void **state)
{
    (void)state;
    char dir[512];
    cli_workdir_with_firmware("usb-errors", dir, sizeof dir);
    cli_result r;
    RUN_USB(dir, "f401:P1:open=access", &r, "-u", "firmware.dfu");
    assert_int_equal(r.exit_code, 4);
#ifdef _WIN32
    cli_assert_error_line(&r, "permission denied opening 0483:df11 at 1-1: another program has the device open");
    assert_non_null(strstr(r.err, "\nmpflash: hint: close the program that holds the board, or give it the WinUSB "
                                  "driver with Zadig (README, Windows)\n"));
#else
    cli_assert_error_line(&r, "permission denied opening 0483:df11 at 1-1: this user may not open USB devices");
    /* The library says why; the tool says which file goes where. */
    assert_non_null(strstr(r.err, "\nmpflash: hint: install the udev rule: sudo cp udev/50-mpflash.rules "
                                  "/etc/udev/rules.d/ && sudo udevadm control --reload && sudo udevadm trigger, "
                                  "then replug the board (or run as root)\n"));
#endif
#ifndef USBFS_LAUNCH /* the fake libusb answers as Windows does; Linux usbfs never says this */
    cli_result_free(&r);
    /* No WinUSB driver on the ST ROM: what to do, exit code 4. */
    RUN_USB(dir, "f401:P1:open=notsup", &r, "-u", "firmware.dfu");
    assert_int_equal(r.exit_code, 4);
    cli_assert_error_line(&r, "opening 0483:df11 at 1-1 failed: no WinUSB driver is bound to the device, and ST's "
                              "system bootloader gets none by itself: run Zadig");
#endif
    cli_result_free(&r);
    RUN_USB(dir, "f401:P1:claim=busy", &r, "-q", "-u", "firmware.dfu");
    assert_int_equal(r.exit_code, 4);
    cli_assert_error_line(&r, "device busy claiming interface 0 of 0483:df11 at 1-1");
    cli_result_free(&r);
}

/* A board running its application (DFU run-time mode) is detached into
 * DFU mode and flashed; -e alone only detaches. */
static void test_runtime_board(void **state)
{
    (void)state;
    char dir[512];
    cli_workdir_with_firmware("usb-runtime", dir, sizeof dir);
    cli_result r;
    RUN_USB_EXPECT(dir, "f401:RT1:runtime", 0, "-q", "-u", "firmware.dfu");
    uint8_t *want = cli_sample_flashed_over(NULL);
    cli_assert_fake_flash(dir, "f401-RT1.mem", want);
    free(want);
    RUN_USB(dir, "f401:RT2:runtime", &r, "-e");
    assert_int_equal(r.exit_code, 0);
    assert_string_equal(r.out, "device: f055:9800 serial RT2 at 1-1 (runtime mode)\n"
                               "done: detach sent; the board comes back in DFU mode\n");
    cli_result_free(&r);
    /* A board already in DFU mode has nothing to detach. */
    RUN_USB(dir, "f401:D1", &r, "-e");
    assert_int_equal(r.exit_code, 0);
    assert_string_equal(r.out, "device: 0483:df11 serial D1 at 1-1 (DFU mode)\n"
                               "done: the board is already in DFU mode\n");
    cli_result_free(&r);
}

/* --all through the real USB code: one handle and one thread per board. A
 * fault on one board fails it alone; the others end correct. A board
 * running its application is left alone, with a warning. */
static void test_all_boards_one_fault(void **state)
{
    (void)state;
    char dir[512];
    cli_workdir_with_firmware("usb-all", dir, sizeof dir);
    const char *boards = "f401:AAA:port=1,f401:BBB:port=2:fault=status/erase/2/errERASE,f401:CCC:port=3,"
                         "f401:RRR:port=4:runtime";
    /* BBB starts with flash of its own, so what the fault left shows. */
    uint8_t *seed = malloc(F401_FLASH);
    assert_non_null(seed);
    for (size_t i = 0; i < F401_FLASH; i++)
        seed[i] = (uint8_t)(i * 7u + (i >> 11));
    cli_fake_flash_write(dir, "f401-BBB.mem", seed);
    cli_result r;
    RUN_USB(dir, boards, &r, "--all", "--no-progress", "-u", "firmware.dfu");
    assert_int_equal(r.exit_code, 5);
    assert_non_null(strstr(r.out, "\nAAA    1-1   ok      "));
    assert_non_null(strstr(r.out, "\nBBB    1-2   failed (exit 5)"));
    assert_non_null(strstr(r.out, "\nCCC    1-3   ok      "));
    assert_null(strstr(r.out, "RRR"));
    assert_non_null(strstr(r.err, "mpflash: warning: left alone: f055:9800 serial RRR at 1-4 (runtime mode) runs "
                                  "its application; add --bootloader to switch it to DFU mode\n"));
    assert_non_null(strstr(r.err, "mpflash: error: BBB: erase of sector at 0x08020000 failed: errERASE"));
    cli_result_free(&r);
    uint8_t *want = cli_sample_flashed_over(NULL);
    cli_assert_fake_flash(dir, "f401-AAA.mem", want);
    cli_assert_fake_flash(dir, "f401-CCC.mem", want);
    /* BBB: its first sector erased, the fault on the second erase, and
     * nothing written (erasing comes first). */
    memset(seed, 0xFF, 0x4000);
    cli_assert_fake_flash(dir, "f401-BBB.mem", seed);

    /* Several -S: exactly those boards. */
    RUN_USB(dir, "f401:AAA:port=1,f401:BBB:port=2,f401:CCC:port=3", &r, "-S", "CCC", "-S", "BBB", "-q", "-u",
            "firmware.dfu");
    assert_int_equal(r.exit_code, 0);
    assert_int_equal(r.out_len + r.err_len, 0);
    cli_result_free(&r);
    /* Flashed now; sectors 1..4 (the filesystem) keep their bytes. */
    memcpy(want + 0x4000, seed + 0x4000, TEXT_START - 0x4000);
    cli_assert_fake_flash(dir, "f401-BBB.mem", want);
    free(seed);
    free(want);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_list),
#ifdef __linux__
        cmocka_unit_test(test_list_nothing),
#endif
        cmocka_unit_test(test_makefile_command_lines),
#ifdef __linux__
        cmocka_unit_test(test_kernel_driver_is_detached_and_given_back),
#endif
        cmocka_unit_test(test_choosing_among_boards),
        cmocka_unit_test(test_no_board),
        cmocka_unit_test(test_usb_errors),
        cmocka_unit_test(test_runtime_board),
        cmocka_unit_test(test_all_boards_one_fault),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

#else

int main(void)
{
    /* Without the fake libusb there is nothing to run these against. */
    return 77;
}

#endif
