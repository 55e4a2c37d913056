/* Serial port discovery on a fake sysfs tree, choosing the board, and
 * waiting for the application's port to come back. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fake_sysfs.h"
#include "mpflash/serial.h"

static const fake_usb_tty pyboard = {
    .tty = "ttyACM0", .bus = 1, .devpath = "2", .interface = 1, .vid = 0xf055, .pid = 0x9800,
    .serial = "3276345F3234", .manufacturer = "MicroPython",
    .product = "Pyboard Virtual Comm Port in FS Mode"};
static const fake_usb_tty pico = {
    .tty = "ttyACM1", .bus = 1, .devpath = "3.1", .interface = 0, .vid = 0x2e8a, .pid = 0x0005,
    .serial = "e66038b7133a7a2b", .manufacturer = "MicroPython", .product = "Board in FS mode"};
/* One board with two CDC interfaces: the REPL is the lower one. */
static const fake_usb_tty dual_second = {
    .tty = "ttyACM2", .bus = 3, .devpath = "1.4.2", .interface = 2, .vid = 0xf055, .pid = 0x9805,
    .serial = "206B31915632", .manufacturer = "MicroPython", .product = "Pyboard Virtual Comm Port in FS Mode"};
static const fake_usb_tty dual_first = {
    .tty = "ttyACM10", .bus = 3, .devpath = "1.4.2", .interface = 0, .vid = 0xf055, .pid = 0x9805,
    .serial = "206B31915632", .manufacturer = "MicroPython", .product = "Pyboard Virtual Comm Port in FS Mode"};
static const fake_usb_tty modem = {
    .tty = "ttyACM4", .bus = 2, .devpath = "1", .interface = 0, .vid = 0x1bc7, .pid = 0x1201};
static const fake_usb_tty st_vcp = {
    .tty = "ttyACM5", .bus = 2, .devpath = "2", .interface = 0, .vid = 0x0483, .pid = 0x5740,
    .serial = "00000000001A", .manufacturer = "STMicroelectronics",
    .product = "STM32 Virtual ComPort", .no_busnum_devpath = 1};
static const fake_usb_tty ftdi = {
    .tty = "ttyUSB0", .usb_serial_layout = 1, .bus = 1, .devpath = "4", .interface = 0,
    .vid = 0x0403, .pid = 0x6001, .serial = "A50285BI", .manufacturer = "FTDI",
    .product = "FT232R USB UART"};

static int setup_tree(void **state)
{
    static fake_sysfs fs;
    if (fake_sysfs_init(&fs))
        return -1;
    const fake_usb_tty *all[] = {&pyboard, &pico, &dual_second, &dual_first, &modem, &st_vcp, &ftdi};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        if (fake_sysfs_add_usb_tty(&fs, all[i]))
            return -1;
    if (fake_sysfs_add_platform_tty(&fs, "ttyS0") || fake_sysfs_add_virtual_tty(&fs, "tty0"))
        return -1;
    *state = &fs;
    return 0;
}

static int teardown_tree(void **state)
{
    fake_sysfs_cleanup(*state);
    return 0;
}

static void check_port(const fake_sysfs *fs, const mpf_serial_port *p, const char *name,
                       uint16_t vid, uint16_t pid, uint8_t bus, const char *path, int intf,
                       const char *serial, const char *manufacturer, const char *product,
                       int is_mp, const char *firmware)
{
    char dev[400];
    snprintf(dev, sizeof dev, "%s/%s", fs->dev, name);
    assert_string_equal(p->name, name);
    assert_string_equal(p->dev_path, dev);
    assert_int_equal(p->vid, vid);
    assert_int_equal(p->pid, pid);
    assert_int_equal(p->bus, bus);
    assert_string_equal(p->path, path);
    assert_int_equal(p->interface_number, intf);
    assert_string_equal(p->serial, serial);
    assert_string_equal(p->manufacturer, manufacturer);
    assert_string_equal(p->product, product);
    assert_int_equal(p->is_micropython, is_mp);
    if (firmware)
        assert_string_equal(p->firmware, firmware);
    else
        assert_null(p->firmware);
}

static void test_list_every_field(void **state)
{
    fake_sysfs *fs = *state;
    mpf_serial_port *ports = NULL;
    size_t n = 0;
    mpf_error err = {0};
    assert_int_equal(mpf_serial_list(fs->sys, fs->dev, &ports, &n, &err), MPF_OK);
    /* ttyS0 (platform) and tty0 (virtual) have no USB device above them. */
    assert_int_equal(n, 7);
    check_port(fs, &ports[0], "ttyACM0", 0xf055, 0x9800, 1, "1-2", 1, "3276345F3234", "MicroPython",
               "Pyboard Virtual Comm Port in FS Mode", 1, "MicroPython stm32 CDC+MSC");
    /* Behind a hub: the nearest directory with idVendor is the device, not the hub. */
    check_port(fs, &ports[1], "ttyACM1", 0x2e8a, 0x0005, 1, "1-3.1", 0, "e66038b7133a7a2b", "MicroPython",
               "Board in FS mode", 1, "MicroPython rp2");
    check_port(fs, &ports[2], "ttyACM2", 0xf055, 0x9805, 3, "3-1.4.2", 2, "206B31915632", "MicroPython",
               "Pyboard Virtual Comm Port in FS Mode", 1, "MicroPython stm32 2xCDC");
    check_port(fs, &ports[3], "ttyACM4", 0x1bc7, 0x1201, 2, "2-1", 0, "", "", "", 0, NULL);
    /* No busnum/devpath files: the device directory's name is the path. */
    check_port(fs, &ports[4], "ttyACM5", 0x0483, 0x5740, 2, "2-2", 0, "00000000001A", "STMicroelectronics",
               "STM32 Virtual ComPort", 0, NULL);
    check_port(fs, &ports[5], "ttyACM10", 0xf055, 0x9805, 3, "3-1.4.2", 0, "206B31915632", "MicroPython",
               "Pyboard Virtual Comm Port in FS Mode", 1, "MicroPython stm32 2xCDC");
    /* usb-serial layout: the device link is a port directory below the interface. */
    check_port(fs, &ports[6], "ttyUSB0", 0x0403, 0x6001, 1, "1-4", 0, "A50285BI", "FTDI",
               "FT232R USB UART", 0, NULL);
    mpf_serial_list_free(ports);
}

static void test_list_default_dev_root(void **state)
{
    fake_sysfs *fs = *state;
    mpf_serial_port *ports = NULL;
    size_t n = 0;
    assert_int_equal(mpf_serial_list(fs->sys, NULL, &ports, &n, NULL), MPF_OK);
    assert_int_equal(n, 7);
    assert_string_equal(ports[0].dev_path, "/dev/ttyACM0");
    mpf_serial_list_free(ports);
}

static void test_list_empty_and_missing(void **state)
{
    (void)state;
    fake_sysfs empty;
    assert_int_equal(fake_sysfs_init(&empty), 0);
    fake_sysfs_add_platform_tty(&empty, "ttyS0");
    mpf_serial_port *ports = (mpf_serial_port *)1;
    size_t n = 99;
    mpf_error err = {0};
    assert_int_equal(mpf_serial_list(empty.sys, empty.dev, &ports, &n, &err), MPF_OK);
    assert_int_equal(n, 0);
    assert_null(ports);
    fake_sysfs_cleanup(&empty);

    assert_int_equal(mpf_serial_list("/nonexistent-sysfs", NULL, &ports, &n, &err), MPF_ERR_IO);
    assert_non_null(strstr(err.message, "cannot open sysfs at /nonexistent-sysfs"));
    assert_int_equal(mpf_serial_list(NULL, NULL, NULL, &n, &err), MPF_ERR_USAGE);
}

static void test_micropython_ids(void **state)
{
    (void)state;
    const char *what = "x";
    assert_true(mpf_serial_micropython_id(0xf055, 0x9800, &what));
    assert_string_equal(what, "MicroPython stm32 CDC+MSC");
    assert_true(mpf_serial_micropython_id(0xf055, 0x980a, &what));
    assert_string_equal(what, "MicroPython stm32 3xCDC+MSC+HID");
    assert_true(mpf_serial_micropython_id(0x2e8a, 0x0005, NULL));
    assert_false(mpf_serial_micropython_id(0xf055, 0x980b, &what));
    assert_null(what);
    assert_false(mpf_serial_micropython_id(0x0483, 0x5740, NULL)); /* generic ST VCP */
    assert_false(mpf_serial_micropython_id(0x0483, 0xdf11, NULL)); /* the DFU bootloader */
    assert_false(mpf_serial_micropython_id(0x0403, 0x6001, NULL));
}

static mpf_serial_port *list(fake_sysfs *fs, size_t *n)
{
    mpf_serial_port *ports = NULL;
    assert_int_equal(mpf_serial_list(fs->sys, fs->dev, &ports, n, NULL), MPF_OK);
    return ports;
}

static void test_pick_refuses_several_boards(void **state)
{
    fake_sysfs *fs = *state;
    size_t n, idx = 42;
    mpf_serial_port *ports = list(fs, &n);
    mpf_error err = {0};
    assert_int_equal(mpf_serial_pick_board(ports, n, &idx, &err), MPF_ERR_AMBIGUOUS);
    assert_int_equal(idx, 42);
    char want[1200];
    snprintf(want, sizeof want,
             "3 MicroPython boards found: %s/ttyACM0 (f055:9800 at 1-2), %s/ttyACM1 (2e8a:0005 at 1-3.1), "
             "%s/ttyACM2 (f055:9805 at 3-1.4.2); name the port",
             fs->dev, fs->dev, fs->dev);
    assert_non_null(strstr(err.message, want));
    mpf_serial_list_free(ports);
}

static void test_pick_one_board_lowest_interface(void **state)
{
    fake_sysfs *fs = *state;
    size_t n, idx = 42;
    mpf_serial_port *ports = list(fs, &n);
    /* Keep the dual-CDC board (ttyACM2, ttyACM10) and the non-MicroPython ports. */
    mpf_serial_port some[5] = {ports[2], ports[3], ports[4], ports[5], ports[6]};
    mpf_error err = {0};
    assert_int_equal(mpf_serial_pick_board(some, 5, &idx, &err), MPF_OK);
    assert_int_equal(idx, 3);
    assert_string_equal(some[idx].name, "ttyACM10");
    mpf_serial_list_free(ports);
}

static void test_pick_leaves_other_serial_devices_alone(void **state)
{
    fake_sysfs *fs = *state;
    size_t n, idx = 42;
    mpf_serial_port *ports = list(fs, &n);
    mpf_serial_port others[3] = {ports[3], ports[4], ports[6]}; /* modem, ST VCP, FTDI */
    mpf_error err = {0};
    assert_int_equal(mpf_serial_pick_board(others, 3, &idx, &err), MPF_ERR_NO_DEVICE);
    assert_int_equal(idx, 42);
    char want[1200];
    snprintf(want, sizeof want,
             "no MicroPython board on a USB serial port; left alone: %s/ttyACM4 (1bc7:1201 at 2-1), "
             "%s/ttyACM5 (0483:5740 at 2-2), %s/ttyUSB0 (0403:6001 at 1-4)",
             fs->dev, fs->dev, fs->dev);
    assert_non_null(strstr(err.message, want));
    assert_int_equal(mpf_serial_pick_board(NULL, 0, &idx, &err), MPF_ERR_NO_DEVICE);
    assert_non_null(strstr(err.message, "no USB serial port found"));
    mpf_serial_list_free(ports);
}

/* ---- waiting for the application ---- */

static uint64_t ms_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static mpf_serial_wait_options wait_in(const fake_sysfs *fs, unsigned timeout_ms)
{
    mpf_serial_wait_options o = {.sysfs_root = fs->sys, .dev_root = fs->dev,
                                 .timeout_ms = timeout_ms, .poll_ms = 10};
    return o;
}

static void test_wait_finds_by_serial(void **state)
{
    fake_sysfs *fs = *state;
    mpf_serial_wait_options o = wait_in(fs, 500);
    mpf_serial_port found;
    mpf_error err = {0};
    /* Case differs: serial numbers are compared as hex, ignoring case. */
    assert_int_equal(mpf_serial_wait_app(&o, "3276345f3234", NULL, &found, &err), MPF_OK);
    assert_string_equal(found.name, "ttyACM0");
    assert_string_equal(found.path, "1-2");
    /* A board with two ports: the lower interface. */
    assert_int_equal(mpf_serial_wait_app(&o, "206B31915632", NULL, &found, &err), MPF_OK);
    assert_string_equal(found.name, "ttyACM10");
}

static void capture(void *user, mpf_log_level level, const char *message)
{
    char *logs = user;
    size_t used = strlen(logs);
    snprintf(logs + used, 2048 - used, "[%d] %s\n", (int)level, message);
}

typedef struct later {
    fake_sysfs *fs;
    fake_usb_tty tty;
    unsigned delay_ms;
    int rc;
} later;

static void *add_later(void *arg)
{
    later *l = arg;
    usleep(l->delay_ms * 1000);
    l->rc = fake_sysfs_add_usb_tty(l->fs, &l->tty);
    return NULL;
}

/* A tree of its own, for tests that change it or need fewer ports. */
static void own_tree(fake_sysfs *fs, const fake_usb_tty *const *ttys, size_t n)
{
    assert_int_equal(fake_sysfs_init(fs), 0);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(fake_sysfs_add_usb_tty(fs, ttys[i]), 0);
}

static void test_wait_for_port_that_appears(void **state)
{
    (void)state;
    fake_sysfs fs;
    own_tree(&fs, (const fake_usb_tty *[]){&ftdi}, 1);
    later l = {&fs, pyboard, 150, -1};
    pthread_t t;
    uint64_t t0 = ms_now();
    assert_int_equal(pthread_create(&t, NULL, add_later, &l), 0);
    mpf_serial_wait_options o = wait_in(&fs, 5000);
    mpf_serial_port found;
    mpf_error err = {0};
    mpf_err rc = mpf_serial_wait_app(&o, pyboard.serial, "1-2", &found, &err);
    uint64_t took = ms_now() - t0;
    pthread_join(t, NULL);
    assert_int_equal(l.rc, 0);
    assert_int_equal(rc, MPF_OK);
    assert_string_equal(found.name, "ttyACM0");
    /* Found once it was there, not before and not by running out the clock. */
    assert_true(took >= 150 && took < 5000);
    fake_sysfs_cleanup(&fs);
}

static void test_wait_by_path_when_serial_changed(void **state)
{
    (void)state;
    /* New firmware (TinyUSB build) reports the whole unique ID instead. */
    fake_usb_tty reflashed = pyboard;
    reflashed.serial = "30002d000b51343333353132";
    fake_sysfs fs;
    own_tree(&fs, (const fake_usb_tty *[]){&reflashed, &ftdi}, 2);
    char logs[2048] = "";
    mpf_serial_wait_options o = wait_in(&fs, 300);
    o.log = capture;
    o.user = logs;
    mpf_serial_port found;
    mpf_error err = {0};
    assert_int_equal(mpf_serial_wait_app(&o, "325E35633334", "1-2", &found, &err), MPF_OK);
    assert_string_equal(found.name, "ttyACM0");
    assert_string_equal(found.serial, "30002d000b51343333353132");
    assert_non_null(strstr(logs, "is on the board's port 1-2 but reports serial 30002d000b51343333353132 (was 325E35633334)"));
    fake_sysfs_cleanup(&fs);
}

/* The same where the list gives no bus (Windows: "0-2"), for a board known
 * by its DFU run-time interface's path, 3-2. */
static void test_wait_by_port_chain(void **state)
{
    (void)state;
    fake_usb_tty reflashed = pyboard;
    reflashed.serial = "30002d000b51343333353132";
    reflashed.bus_unknown = 1;
    fake_sysfs fs;
    own_tree(&fs, (const fake_usb_tty *[]){&reflashed, &ftdi}, 2);
    mpf_serial_wait_options o = wait_in(&fs, 300);
    mpf_serial_port found;
    mpf_error err = {0};
    assert_int_equal(mpf_serial_wait_app(&o, "325E35633334", "3-2", &found, &err), MPF_OK);
    assert_string_equal(found.name, "ttyACM0");
    assert_string_equal(found.path, "0-2");
    assert_int_equal(mpf_serial_wait_app(&o, "325E35633334", "3-2.1", &found, &err), MPF_ERR_APP_TIMEOUT);
    fake_sysfs_cleanup(&fs);
}

static void test_wait_needs_the_device_node(void **state)
{
    (void)state;
    fake_usb_tty no_node = pyboard;
    no_node.no_dev_node = 1;
    fake_sysfs fs;
    own_tree(&fs, (const fake_usb_tty *[]){&no_node}, 1);
    mpf_serial_wait_options o = wait_in(&fs, 100);
    mpf_serial_port found;
    mpf_error err = {0};
    uint64_t t0 = ms_now();
    assert_int_equal(mpf_serial_wait_app(&o, pyboard.serial, "1-2", &found, &err), MPF_ERR_APP_TIMEOUT);
    uint64_t took = ms_now() - t0;
    assert_true(took >= 100 && took < 3000); /* bounded by the 100 ms timeout */
    assert_non_null(strstr(err.message,
                           "the application's serial port (serial 3276345F3234, port 1-2) did not appear within 100 ms"));
    fake_sysfs_cleanup(&fs);
}

static void test_wait_ignores_other_boards(void **state)
{
    fake_sysfs *fs = *state;
    mpf_serial_wait_options o = wait_in(fs, 60);
    mpf_serial_port found;
    mpf_error err = {0};
    assert_int_equal(mpf_serial_wait_app(&o, "0123456789AB", "5-1", &found, &err), MPF_ERR_APP_TIMEOUT);
    assert_int_equal(mpf_serial_wait_app(&o, NULL, "", &found, &err), MPF_ERR_USAGE);
    assert_non_null(strstr(err.message, "needs the board's serial number or USB port path"));
}

static void test_wait_same_serial_on_two_devices(void **state)
{
    (void)state;
    fake_usb_tty twin = pico;
    twin.tty = "ttyACM7";
    twin.devpath = "5";
    twin.serial = pyboard.serial;
    fake_sysfs fs;
    own_tree(&fs, (const fake_usb_tty *[]){&pyboard, &twin}, 2);
    mpf_serial_wait_options o = wait_in(&fs, 200);
    mpf_serial_port found;
    mpf_error err = {0};
    assert_int_equal(mpf_serial_wait_app(&o, pyboard.serial, NULL, &found, &err), MPF_ERR_AMBIGUOUS);
    assert_non_null(strstr(err.message, "two USB devices report serial number 3276345F3234"));
    /* The port path settles it. */
    assert_int_equal(mpf_serial_wait_app(&o, pyboard.serial, "1-5", &found, &err), MPF_OK);
    assert_string_equal(found.name, "ttyACM7");
    fake_sysfs_cleanup(&fs);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_list_every_field),
        cmocka_unit_test(test_list_default_dev_root),
        cmocka_unit_test(test_list_empty_and_missing),
        cmocka_unit_test(test_micropython_ids),
        cmocka_unit_test(test_pick_refuses_several_boards),
        cmocka_unit_test(test_pick_one_board_lowest_interface),
        cmocka_unit_test(test_pick_leaves_other_serial_devices_alone),
        cmocka_unit_test(test_wait_finds_by_serial),
        cmocka_unit_test(test_wait_for_port_that_appears),
        cmocka_unit_test(test_wait_by_path_when_serial_changed),
        cmocka_unit_test(test_wait_by_port_chain),
        cmocka_unit_test(test_wait_needs_the_device_node),
        cmocka_unit_test(test_wait_ignores_other_boards),
        cmocka_unit_test(test_wait_same_serial_on_two_devices),
    };
    return cmocka_run_group_tests(tests, setup_tree, teardown_tree);
}
