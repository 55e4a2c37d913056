/* What only the emulated usbfs bus can show about the binary: that it ran
 * on the system's libusb-1.0.so.0, that it waits for a board that holds
 * a request while it works, and that Ctrl-C stops it between two requests. (The binary's end-to-end tests on this
 * bus are tests/cli's built again: test_usbfs_cli_usb, test_usbfs_cli_lines,
 * test_usbfs_cli_faults, test_usbfs_cli_timeouts.) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "cli_helpers.h"

/* The binary ran on the system's libusb-1.0.so.0, not on the fake. */
static void test_runs_on_the_system_libusb(void **state)
{
    (void)state;
    char dir[512];
    cli_workdir("system-libusb", dir, sizeof dir);
    cli_result r;
    RUN_USB(dir, "f401:SYS1", &r, "-l");
    cli_assert_exit(&r, 0);
    assert_non_null(strstr(r.out, "serial SYS1"));
    cli_result_free(&r);
    size_t len;
    char *maps = (char *)cli_read(dir, "libusb.maps", &len);
    char want[600];
    snprintf(want, sizeof want, " %s/libusb-1.0.so.0", LIBUSB_LIBDIR);
    char real_lib[600], *resolved = realpath(want + 1, NULL);
    assert_non_null(resolved);
    snprintf(real_lib, sizeof real_lib, " %s\n", resolved);
    free(resolved);
    if (!strstr(maps, real_lib) || strstr(maps, "fakeusb"))
        fail_msg("the binary's libusb is not%s:\n%s", real_lib, maps);
    free(maps);
}

/* mboot reports bwPollTimeout 0 and does the work after answering, so the
 * request after an erase waits until the erase is done: with modelled
 * timing the board holds that URB in real time, the real libusb waits for
 * it (well inside its timeout), and the flash ends right. */
static void test_board_holding_requests_while_it_erases(void **state)
{
    (void)state;
    char dir[512], build_dir[600];
    cli_workdir("held-requests", dir, sizeof dir);
    snprintf(build_dir, sizeof build_dir, "%s/build-B", dir);
    assert_int_equal(mkdir(build_dir, 0777), 0);
    uint8_t *app = malloc(40000);
    assert_non_null(app);
    cli_fill_pattern(app, 40000, 0xB007u);
    cli_write(dir, "app.bin", app, 40000);
    RUN_EXPECT(dir, 0, "-q", "--convert", "build-B/firmware.dfu", "0x08008000:app.bin");
    /* Flash that must be erased first: sectors 2-4 (16, 16, 64 KiB). */
    uint8_t *want = cli_pattern_flash(0x4E1Du);
    cli_fake_flash_write(dir, "mboot-MT.mem", want);
    RUN_USB_EXPECT(dir, "mboot:MT:timing", 0, "-q", "-u", "build-B/firmware.dfu");
    memset(want + 0x8000, 0xFF, 0x18000);
    memcpy(want + 0x8000, app, 40000);
    cli_assert_fake_flash(dir, "mboot-MT.mem", want);
    /* Each erase held the next request for its modelled time, a quarter
     * of a second or more. */
    size_t len;
    char *log = (char *)cli_read(dir, "usb.log", &len);
    unsigned long longest = 0, held = 0;
    for (const char *at = log; (at = strstr(at, "MT held ")) != NULL; at++) {
        unsigned long ms = strtoul(at + strlen("MT held "), NULL, 10);
        longest = ms > longest ? ms : longest;
        held++;
    }
    if (held < 3 || longest < 200)
        fail_msg("want 3 or more holds, one of 200 ms or more; got %lu, longest %lu ms:\n%s", held, longest,
                 log);
    free(log);
    free(want);
    free(app);
}

/* Ctrl-C in the middle of the write (the board sends SIGINT at its 60th
 * DFU_DNLOAD and answers that request once mpflash has said it is
 * stopping): exit 130, not one request after it, and the same command run
 * again finishes the job, the whole flash byte for byte, the filesystem and
 * the sectors the image does not touch as they were. */
static void test_ctrl_c_between_requests(void **state)
{
    (void)state;
    char dir[512];
    cli_workdir_with_firmware("ctrl-c", dir, sizeof dir);
    uint8_t *before = cli_pattern_flash(0xC7A1Cu);
    cli_fake_flash_write(dir, "f401-CC.mem", before);
    cli_result r;
    RUN_USB(dir, "f401:CC:ctrl-c=60", &r, "--no-progress", "-u", "firmware.dfu");
    cli_assert_exit(&r, 130);
    assert_non_null(strstr(r.err, "mpflash: interrupted: stopping after the request in progress"));
    assert_non_null(strstr(r.err, "cancelled: nothing more was sent to the device"));
    cli_result_free(&r);
    size_t len;
    char *log = (char *)cli_read(dir, "usb.log", &len);
    const char *cut = strstr(log, "CC ctrl-c sent at DNLOAD 60\n");
    if (!cut)
        fail_msg("the board never sent the Ctrl-C:\n%s", log);
    if (strstr(cut, " ctrl "))
        fail_msg("a request after the Ctrl-C:\n%s", cut);
    /* It came in the middle: the write had begun and not finished. */
    assert_non_null(strstr(log, "CC ctrl 21 01 0002 "));
    free(log);
    RUN_USB_EXPECT(dir, "f401:CC", 0, "-q", "-u", "firmware.dfu");
    uint8_t *want = cli_sample_flashed_over(before);
    cli_assert_fake_flash(dir, "f401-CC.mem", want);
    free(want);
    free(before);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_runs_on_the_system_libusb),
        cmocka_unit_test(test_board_holding_requests_while_it_erases),
        cmocka_unit_test(test_ctrl_c_between_requests),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
