/* The diagnosis of an empty USB scan (src/tool/tool_usb_access.c) on fake
 * /dev trees: no bus, an empty bus, nodes this user may not read, and one
 * it may. Readability is injected: the tests may run as root. */
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
#include <unistd.h>

#include "tool/tool_usb_access.h"

static char root[64];
static const char *readable_node; /* the one path the fake user may read, or NULL */

static int fake_readable(const char *path)
{
    return readable_node && strcmp(path, readable_node) == 0;
}

static void make(const char *sub, int dir)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", root, sub);
    if (dir) {
        assert_int_equal(tos_mkdir(path), 0);
    } else {
        FILE *f = fopen(path, "w");
        assert_non_null(f);
        fclose(f);
    }
}

static void test_usb_access(void **state)
{
    (void)state;
    char *dir = tos_temp_dir("mpflash_usb_access");
    assert_non_null(dir);
    snprintf(root, sizeof root, "%s", dir);
    free(dir);
    mpf_error err = {0};

    /* No /dev/bus/usb at all: a container without the bus. */
    assert_int_equal(tool_usb_access_check(root, fake_readable), TOOL_USB_NO_BUS);
    assert_int_equal(tool_usb_access_error(TOOL_USB_NO_BUS, root, &err), MPF_ERR_USB_ACCESS);
    assert_non_null(strstr(err.message, "/bus/usb is missing or empty"));
    assert_non_null(strstr(err.message, "docker run --device=/dev/bus/usb"));
    /* There, but empty. */
    make("bus", 1);
    make("bus/usb", 1);
    make("bus/usb/001", 1);
    assert_int_equal(tool_usb_access_check(root, fake_readable), TOOL_USB_NO_BUS);
    /* Devices, none readable by this user. */
    make("bus/usb/001/001", 0);
    make("bus/usb/001/004", 0);
    make("bus/usb/002", 1);
    make("bus/usb/002/001", 0);
    readable_node = NULL;
    assert_int_equal(tool_usb_access_check(root, fake_readable), TOOL_USB_NO_PERMISSION);
    assert_int_equal(tool_usb_access_error(TOOL_USB_NO_PERMISSION, root, &err), MPF_ERR_USB_ACCESS);
    assert_non_null(strstr(err.message, "this user may read none of the USB devices in "));
    assert_non_null(strstr(err.message, "udev rule"));
    /* One readable device: an empty scan then means no board. */
    char seen[256];
    snprintf(seen, sizeof seen, "%s/bus/usb/002/001", root);
    readable_node = seen;
    assert_int_equal(tool_usb_access_check(root, fake_readable), TOOL_USB_SEEN);
    mpf_error_clear(&err);
    assert_int_equal(tool_usb_access_error(TOOL_USB_SEEN, root, &err), MPF_OK);
    assert_int_equal(err.code, MPF_OK);

    const char *rm[] = {"bus/usb/002/001", "bus/usb/002", "bus/usb/001/004", "bus/usb/001/001", "bus/usb/001",
                        "bus/usb", "bus", ""};
    for (size_t i = 0; i < sizeof rm / sizeof rm[0]; i++) {
        char path[256];
        snprintf(path, sizeof path, "%s/%s", root, rm[i]);
        if (unlink(path) != 0)
            rmdir(path);
    }
}

/* What the flashing and listing paths ask: only an empty scan (nothing to
 * list, or no board to open) is explained, and only by missing access. */
static void test_explain_only_an_empty_scan(void **state)
{
    (void)state;
    char none[96];
    snprintf(none, sizeof none, "/tmp/mpflash_usb_explain_XXXXXX");
    assert_non_null(mkdtemp(none)); /* no bus/usb under it */
    mpf_error err;
    mpf_error_set(&err, MPF_ERR_NO_DEVICE, "no DFU device found: put the board in DFU mode");
    /* A board was seen (it did not match): the scan's own answer stands. */
    assert_int_equal(tool_usb_access_explain(MPF_ERR_NO_DEVICE, 1, none, &err), MPF_ERR_NO_DEVICE);
    assert_string_equal(err.message, "no DFU device found: put the board in DFU mode");
    /* Another failure is not about an empty bus. */
    assert_int_equal(tool_usb_access_explain(MPF_ERR_USB_BUSY, 0, none, &err), MPF_ERR_USB_BUSY);
    assert_int_equal(err.code, MPF_ERR_NO_DEVICE);
    /* Nothing seen, no bus: the diagnosis replaces the message, for a run
     * with a board to open and for a listing alike. */
    assert_int_equal(tool_usb_access_explain(MPF_ERR_NO_DEVICE, 0, none, &err), MPF_ERR_USB_ACCESS);
    assert_int_equal(err.code, MPF_ERR_USB_ACCESS);
    assert_non_null(strstr(err.message, "/bus/usb is missing or empty"));
    mpf_error_clear(&err);
    assert_int_equal(tool_usb_access_explain(MPF_OK, 0, none, &err), MPF_ERR_USB_ACCESS);
    assert_non_null(strstr(err.message, none));
    assert_int_equal(rmdir(none), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_usb_access),
        cmocka_unit_test(test_explain_only_an_empty_scan),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
