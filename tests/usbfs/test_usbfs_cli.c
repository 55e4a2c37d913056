/* What only the emulated usbfs bus can show about the binary: that it ran
 * on the system's libusb-1.0.so.0. (The binary's end-to-end tests on this
 * bus are tests/cli's built again: test_usbfs_cli_usb, test_usbfs_cli_lines,
 * test_usbfs_cli_faults, test_usbfs_cli_timeouts.) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_runs_on_the_system_libusb),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
