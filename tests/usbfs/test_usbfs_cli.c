/* The unmodified mpflash binary on Debian's libusb-1.0 over an emulated
 * usbfs bus (usbfs-launch): listing, choosing a board, MicroPython's deploy
 * command lines, reading back, a board in its application detached into
 * DFU mode, a kernel driver in the way, and a node without the udev rule.
 * Every flash is checked byte for byte from the boards' state files. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "usbfs_cli.h"

/* The binary ran on the system's libusb-1.0.so.0, not on the fake. */
static void test_runs_on_the_system_libusb(void **state)
{
    (void)state;
    char dir[512];
    cli_workdir("usbfs-system-libusb", dir, sizeof dir);
    cli_result r;
    RUN_BUS(dir, "f401:SYS1", &r, "-l");
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

static void test_list(void **state)
{
    (void)state;
    char dir[512];
    cli_workdir("usbfs-list", dir, sizeof dir);
    cli_result r;
    RUN_BUS(dir, "f401:SER1:port=2,mboot:SER2:port=3.1", &r, "-l");
    cli_assert_exit(&r, 0);
    assert_int_equal(r.err_len, 0);
    cli_golden("usb-list.out", r.out, r.out_len);
    cli_result_free(&r);
    RUN_BUS(dir, "f401:SER1:port=2,mboot:SER2:port=3.1", &r, "-l", "-S", "SER2", "--json");
    cli_assert_exit(&r, 0);
    cli_golden("usb-list.json", r.out, r.out_len);
    cli_result_free(&r);
    RUN_BUS(dir, "", &r, "-l");
    cli_assert_exit(&r, 0);
    assert_string_equal(r.out, "no DFU devices found\n");
    cli_result_free(&r);
}

/* ports/stm32's two deploy lines, character for character. */
static void test_makefile_command_lines(void **state)
{
    (void)state;
    char dir[512];
    cli_workdir("usbfs-makefile", dir, sizeof dir);
    cli_copy_sample(dir, "firmware.dfu", "build-PYBV11/firmware.dfu");
    uint8_t *want = cli_sample_flashed_over(NULL);
    RUN_BUS_EXPECT(dir, "f401:PYDFU", 0, "--vid", "0x0483", "--pid", "0xDF11", "-u",
                   "build-PYBV11/firmware.dfu");
    cli_assert_fake_flash(dir, "f401-PYDFU.mem", want);
    RUN_BUS_EXPECT(dir, "f401:DFUUTIL", 0, "-a", "0", "-d", "0x0483:0xDF11", "-D",
                   "build-PYBV11/firmware.dfu", "-s", ":leave");
    cli_assert_fake_flash(dir, "f401-DFUUTIL.mem", want);
    free(want);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_runs_on_the_system_libusb),
        cmocka_unit_test(test_list),
        cmocka_unit_test(test_makefile_command_lines),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
