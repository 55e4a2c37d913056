/* src/platform, on every system it builds for (Linux natively, Windows
 * under Wine): port names, what Windows' device IDs say about a USB serial
 * port (the SetupAPI walk's output, faked), binary files and the atomic
 * replace, the injectable clock, threads. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "platform/clock.h"
#include "platform/file.h"
#include "platform/serial_port.h"
#include "platform/thread.h"
#include "platform/win_device_id.h"
#include "test_os.h"

static void test_port_names(void **state)
{
    (void)state;
    static const char *const com[] = {"COM1", "COM5", "com12", "Com255", "\\\\.\\COM7"};
    static const char *const not_com[] = {"COM", "COM0", "COM5x", "COM1234", "CON", "xCOM5", "COM-1", ""};
    for (size_t i = 0; i < sizeof com / sizeof *com; i++)
        assert_true(mpf_port_name_is_com(com[i]));
    for (size_t i = 0; i < sizeof not_com / sizeof *not_com; i++)
        assert_false(mpf_port_name_is_com(not_com[i]));
    assert_false(mpf_port_name_is_com(NULL));
    assert_true(mpf_port_name_is_dev("/dev/ttyACM0"));
    assert_false(mpf_port_name_is_dev("/dev/"));
    assert_false(mpf_port_name_is_dev("dev/ttyACM0"));
    assert_false(mpf_port_name_is_dev("COM5"));
    /* This system's own kind. */
#ifdef _WIN32
    assert_true(mpf_port_name_is_port("COM5"));
    assert_false(mpf_port_name_is_port("/dev/ttyACM0"));
#else
    assert_true(mpf_port_name_is_port("/dev/ttyACM0"));
    assert_false(mpf_port_name_is_port("COM5"));
#endif
}

/* A pyboard (composite: CDC + MSC), as SetupAPI and CfgMgr32 report it. */
static void test_windows_ids_composite(void **state)
{
    (void)state;
    mpf_win_port_record r = {"COM7", "USB\\VID_F055&PID_9800&MI_00\\6&2C3A1B4&0&0000",
                             "USB\\VID_F055&PID_9800\\2061376B5748", "Pyboard Virtual Comm Port in FS Mode",
                             "PCIROOT(0)#PCI(1400)#USBROOT(0)#USB(2)#USB(3)#USBMI(0)",
                             "PCIROOT(0)#PCI(1400)#USBROOT(0)#USB(2)#USB(3)"};
    mpf_serial_port p;
    assert_int_equal(mpf_win_port_describe(&r, &p), 1);
    assert_string_equal(p.name, "COM7");
    assert_string_equal(p.dev_path, "COM7");
    assert_int_equal(p.vid, 0xf055);
    assert_int_equal(p.pid, 0x9800);
    assert_int_equal(p.interface_number, 0);
    assert_string_equal(p.serial, "2061376B5748");
    assert_string_equal(p.product, "Pyboard Virtual Comm Port in FS Mode");
    assert_string_equal(p.path, "0-2.3"); /* the interface hop is not a port */
    assert_true(p.is_micropython);

    /* No location of its own (or one that is not USB): the parent's. */
    r.location = NULL;
    assert_int_equal(mpf_win_port_describe(&r, &p), 1);
    assert_string_equal(p.path, "0-2.3");
    r.location = "ACPI(_SB_)#ACPI(PCI0)";
    assert_int_equal(mpf_win_port_describe(&r, &p), 1);
    assert_string_equal(p.path, "0-2.3");
    r.parent_location = "PCIROOT(0)#PCI(1400)#USBROOT(0)#USB(12)";
    assert_int_equal(mpf_win_port_describe(&r, &p), 1);
    assert_string_equal(p.path, "0-12");
}

/* Location paths as Windows forms them, to the port chain libusb's Windows
 * backend gives (libusb_get_port_numbers), on bus 0: "not known". */
static void test_windows_location_paths(void **state)
{
    (void)state;
    static const struct {
        const char *location, *path;
    } cases[] = {
        {"PCIROOT(0)#PCI(1400)#USBROOT(0)#USB(2)", "0-2"},
        {"PCIROOT(B2)#PCI(0300)#PCI(0000)#USBROOT(0)#USB(1)#USB(2)#USBMI(3)", "0-1.2"},
        {"PCIROOT(0)#PCI(1400)#USBROOT(0)#USB(1)#USB(4)#USB(2)#USB(7)", "0-1.4.2.7"},
        {"PCIROOT(0)#PCI(1400)#USBROOT(0)#USB(255)", "0-255"},
        {"PCIROOT(0)#PCI(1400)#USBROOT(0)", ""},            /* the root hub itself */
        {"PCIROOT(0)#PCI(1400)#USBROOT(0)#USB(0)", ""},     /* no port 0 */
        {"PCIROOT(0)#PCI(1400)#USBROOT(0)#USB(256)", ""},
        {"PCIROOT(0)#PCI(1400)#USBROOT(0)#USBMI(0)", ""},   /* an interface of nothing */
        {"PCIROOT(0)#PCI(1400)#USBROOT(0)#USB(2)#USBMI(0)#USB(3)", ""},
        {"PCIROOT(0)#PCI(1400)#USBROOT(0)#USB(2)x", ""},
        {"PCIROOT(0)#PCI(1400)#USBROOT(0)#USB(2)#", ""},
        {"PCIROOT(0)#PCI(1C00)#PCI(0000)", ""},             /* not USB */
        {"USBROOT(0)#USB(2)", ""},
        {"PCIROOT(0)#PCI(1400)#USBROOT(0)#USB(1)#USB(2)#USB(3)#USB(4)#USB(5)#USB(6)#USB(7)", "0-1.2.3.4.5.6.7"},
        {"PCIROOT(0)#PCI(1400)#USBROOT(0)#USB(101)#USB(102)#USB(103)#USB(104)#USB(105)#USB(106)#USB(107)#USB(108)",
         ""}, /* does not fit a port path */
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        mpf_win_port_record r = {"COM5", "USB\\VID_F055&PID_9800\\ABC", NULL, NULL, cases[i].location, NULL};
        mpf_serial_port p;
        assert_int_equal(mpf_win_port_describe(&r, &p), 1);
        if (strcmp(p.path, cases[i].path) != 0)
            fail_msg("%s: got \"%s\", want \"%s\"", cases[i].location, p.path, cases[i].path);
    }
}

/* A single-interface CDC device, a device without a serial number, and
 * ports that are not USB. */
static void test_windows_ids_other_shapes(void **state)
{
    (void)state;
    mpf_serial_port p;
    mpf_win_port_record plain = {"COM12", "USB\\VID_2E8A&PID_0005\\E66138935F2B1A2C", NULL, NULL, NULL, NULL};
    assert_int_equal(mpf_win_port_describe(&plain, &p), 1);
    assert_int_equal(p.vid, 0x2e8a);
    assert_int_equal(p.pid, 0x0005);
    assert_int_equal(p.interface_number, -1);
    assert_string_equal(p.serial, "E66138935F2B1A2C");
    assert_string_equal(p.path, "");

    mpf_win_port_record made_up = {"COM3", "USB\\VID_0483&PID_5740\\5&1A2B3C4D&0&2", NULL, NULL,
                                   "PCIROOT(0)#PCI(1400)#USBROOT(0)#USB(4)", NULL};
    assert_int_equal(mpf_win_port_describe(&made_up, &p), 1);
    assert_string_equal(p.serial, ""); /* Windows' own instance ID, not the device's */
    assert_string_equal(p.path, "0-4");
    assert_false(p.is_micropython);

    mpf_win_port_record bt = {"COM4", "BTHENUM\\{00001101-0000-1000-8000-00805F9B34FB}_LOCALMFG&0002\\7&1&0", NULL,
                              NULL, NULL, NULL};
    assert_int_equal(mpf_win_port_describe(&bt, &p), 0);
    mpf_win_port_record acpi = {"COM1", "ACPI\\PNP0501\\0", NULL, NULL, NULL, NULL};
    assert_int_equal(mpf_win_port_describe(&acpi, &p), 0);
    mpf_win_port_record short_vid = {"COM9", "USB\\VID_F05&PID_9800\\X", NULL, NULL, NULL, NULL};
    assert_int_equal(mpf_win_port_describe(&short_vid, &p), 0);
    /* Not an interface (no MI_xx): a parent's location is not taken. */
    mpf_win_port_record own_only = {"COM8", "USB\\VID_F055&PID_9800\\ABC", "USB\\ROOT_HUB30\\4&1", NULL, NULL,
                                    "PCIROOT(0)#PCI(1400)#USBROOT(0)"};
    assert_int_equal(mpf_win_port_describe(&own_only, &p), 1);
    assert_string_equal(p.path, "");
}

/* Bytes Windows' text mode would change (CR LF, Ctrl-Z) come back as
 * written, and a second write replaces the first. */
static void test_binary_files_and_replace(void **state)
{
    (void)state;
    char *dir = tos_temp_dir("mpflash_platform");
    assert_non_null(dir);
    char path[512], tmp[512];
    snprintf(path, sizeof path, "%s/fw.bin", dir);
    snprintf(tmp, sizeof tmp, "%s/fw.bin.new", dir);
    static const uint8_t bytes[] = {'a', '\r', '\n', 0x1a, '\n', 0, 0xff, '\r'};
    for (int round = 0; round < 2; round++) {
        FILE *f = mpf_file_create_new(tmp);
        assert_non_null(f);
        assert_int_equal(fwrite(bytes, 1, sizeof bytes - (size_t)round, f), sizeof bytes - (size_t)round);
        assert_int_equal(mpf_file_sync(f), 0);
        assert_int_equal(fclose(f), 0);
        assert_null(mpf_file_create_new(tmp) == NULL ? NULL : (void *)1); /* exists: refused */
        assert_int_equal(mpf_file_replace(tmp, path), 0); /* round 1 replaces round 0's file */
    }
    FILE *f = mpf_file_open_read(path);
    assert_non_null(f);
    uint64_t size = 0;
    assert_int_equal(mpf_file_kind(f, &size), MPF_FILE_REGULAR);
    assert_int_equal(size, sizeof bytes - 1);
    uint8_t back[16];
    assert_int_equal(fread(back, 1, sizeof back, f), sizeof bytes - 1);
    assert_memory_equal(back, bytes, sizeof bytes - 1);
    fclose(f);
    assert_null(mpf_file_open_read(dir)); /* a folder is not a file */
    assert_null(mpf_file_open_read(tmp)); /* the temporary was moved */
    assert_true(mpf_file_same(path, path));
    assert_int_equal(mpf_file_remove(path), 0);
    assert_int_not_equal(mpf_file_remove(path), 0);
    assert_int_equal(tos_remove_tree(dir), 0);
    free(dir);
}

typedef struct fake_time {
    uint64_t now_us;
    unsigned sleeps;
} fake_time;

static uint64_t fake_now(void *ctx)
{
    return ((fake_time *)ctx)->now_us;
}

static void fake_sleep(void *ctx, uint64_t us)
{
    fake_time *t = ctx;
    t->now_us += us;
    t->sleeps++;
}

static void test_clock(void **state)
{
    (void)state;
    fake_time t = {5000, 0};
    mpf_clock c = {fake_now, fake_sleep, &t};
    assert_int_equal(mpf_clock_now_ms(&c), 5);
    mpf_clock_sleep_ms(&c, 250);
    assert_int_equal(mpf_clock_now_ms(&c), 255);
    assert_int_equal(t.sleeps, 1);
    /* The host clock moves forward and a sleep lasts at least as asked. */
    uint64_t a = mpf_clock_now_ms(NULL);
    mpf_clock_sleep_ms(NULL, 3);
    uint64_t b = mpf_clock_now_ms(NULL);
    assert_true(b >= a + 3);
    assert_ptr_equal(mpf_clock_host()->now_us, mpf_clock_host()->now_us);
}

typedef struct counter {
    mpf_mutex lock;
    unsigned value;
} counter;

static void count_up(void *arg)
{
    counter *c = arg;
    for (int i = 0; i < 10000; i++) {
        mpf_mutex_lock(&c->lock);
        c->value++;
        mpf_mutex_unlock(&c->lock);
    }
}

static void test_threads(void **state)
{
    (void)state;
    counter c = {.value = 0};
    assert_int_equal(mpf_mutex_init(&c.lock), 0);
    mpf_thread t[4];
    for (int i = 0; i < 4; i++)
        assert_int_equal(mpf_thread_start(&t[i], count_up, &c), 0);
    for (int i = 0; i < 4; i++)
        mpf_thread_join(&t[i]);
    assert_int_equal(c.value, 40000);
    mpf_mutex_destroy(&c.lock);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_port_names),
        cmocka_unit_test(test_windows_ids_composite),
        cmocka_unit_test(test_windows_ids_other_shapes),
        cmocka_unit_test(test_windows_location_paths),
        cmocka_unit_test(test_binary_files_and_replace),
        cmocka_unit_test(test_clock),
        cmocka_unit_test(test_threads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
