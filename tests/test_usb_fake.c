/* src/usb end to end against the fake libusb (tests/fake_libusb, preloaded
 * by ctest): enumeration from synthesised descriptor bytes, strings, the
 * GET_DESCRIPTOR fallback, injected permission and busy errors, a flash and
 * a read-back in a second libusb session through the state directory,
 * leaving, and runtime -> DFU detach.
 *
 * Built a second time as test_usbfs_usb (tests/usbfs.cmake, USBFS_TIER):
 * the same boards on an emulated usbfs bus under the system's real libusb.
 * There the board's log cannot show the host's timeouts (libusb keeps them)
 * or its close (no ioctl), and root opens any node, so permission denied
 * is left to the command-line tier, which runs the binary unprivileged. */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include "test_os.h"
#include <libusb.h>

#include "engine/dfu_session.h"
#include "fixtures.h"
#ifdef USBFS_TIER
#include "usbfs.h"
#define TMO(ms) "-" /* a control request's timeout, as the board's log shows it */
#else
#define TMO(ms) #ms
#endif
#include "mpflash/engine.h"
#include "mpflash/plan.h"
#include "mpflash/usb.h"

#define F401_FLASH "@Internal Flash  /0x08000000/04*016Kg,01*064Kg,03*128Kg"
#define F405_FLASH "@Internal Flash  /0x08000000/04*016Kg,01*064Kg,07*128Kg"

typedef struct fx {
    char dir[64];
    char log[96];
    mpf_usb *usb;
    mpf_usb_list *list;
    mpf_error err;
#ifdef USBFS_TIER
    usbfs_bed *bed;
#endif
} fx;

static int setup(void **state)
{
#ifdef USBFS_TIER
    if (strcmp(libusb_get_version()->describe, "mpflash fake libusb") == 0) {
        print_error("the fake libusb is preloaded: this tier is the real one\n");
        return -1;
    }
#else
    if (strcmp(libusb_get_version()->describe, "mpflash fake libusb") != 0) {
        print_error("the fake libusb is not preloaded: run through ctest, or with "
                    "LD_PRELOAD=.../libfakeusb.so\n");
        return -1;
    }
#endif
    fx *f = calloc(1, sizeof *f);
    assert_non_null(f);
    char *dir = tos_temp_dir("mpflash-usb-fake");
    assert_non_null(dir);
    snprintf(f->dir, sizeof f->dir, "%s", dir);
    free(dir);
    snprintf(f->log, sizeof f->log, "%s/usb.log", f->dir);
    tos_setenv("MPFLASH_FAKE_USB_STATE", f->dir);
    tos_setenv("MPFLASH_FAKE_USB_LOG", f->log);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    mpf_usb_list_free(f->list);
    mpf_usb_free(f->usb);
#ifdef USBFS_TIER
    usbfs_bed_stop(f->bed);
#endif
    /* Not system("rm -rf"): a shell would inherit the preload. */
    int rc = tos_remove_tree(f->dir);
    free(f);
    return rc;
}

/* A fresh libusb session on the boards `spec` describes. */
static void boards(fx *f, const char *spec)
{
    mpf_usb_list_free(f->list);
    f->list = NULL;
    mpf_usb_free(f->usb);
    f->usb = NULL;
    tos_setenv("MPFLASH_FAKE_USB", spec);
#ifdef USBFS_TIER
    usbfs_bed_stop(f->bed); /* the previous session's boards keep their flash */
    f->bed = usbfs_bed_start();
    assert_non_null(f->bed);
#endif
    assert_int_equal(mpf_usb_new(&f->usb, &f->err), MPF_OK);
}

static void scan(fx *f)
{
    mpf_usb_list_free(f->list);
    f->list = NULL;
    assert_int_equal(mpf_usb_scan(f->usb, &f->list, &f->err), MPF_OK);
}

/* The bus after a board left it or came back. Under usbfs the real libusb
 * learns of it from a uevent, on a thread of its own: the boards' side
 * settles first, then the scan is repeated (a bounded number of times)
 * until the list has the expected length. */
static void scan_after_change(fx *f, size_t want)
{
    scan(f);
#ifdef USBFS_TIER
    usbfs_bed_settle(f->bed);
    for (int tries = 0; tries < 200 && mpf_usb_list_count(f->list) != want; tries++) {
        usleep(10000);
        scan(f);
    }
#else
    (void)want;
#endif
}

/* Open the board a filter picks after it left the bus and came back. On
 * usbfs the real libusb lists the old device until the uevents reach its
 * event thread: its strings cannot be read then, so nothing matches (or the
 * open fails as disconnected), and it is tried again (a bounded number of
 * times). The fake libusb re-enumerates within the scan. */
static mpf_err open_after_change(fx *f, const mpf_usb_filter *filter, mpf_transport *t)
{
    mpf_err rc = mpf_usb_open_matching(f->usb, filter, 1000, t, &f->err);
#ifdef USBFS_TIER
    usbfs_bed_settle(f->bed);
    for (int tries = 0; tries < 200 && (rc == MPF_ERR_USB_DISCONNECTED || rc == MPF_ERR_NO_DEVICE);
         tries++) {
        usleep(10000);
        rc = mpf_usb_open_matching(f->usb, filter, 1000, t, &f->err);
    }
#endif
    return rc;
}

static int log_has(const fx *f, const char *line)
{
    FILE *in = fopen(f->log, "r");
    if (!in)
        return 0;
    char buf[256];
    int found = 0;
    while (!found && fgets(buf, sizeof buf, in)) {
        buf[strcspn(buf, "\n")] = '\0';
        found = strcmp(buf, line) == 0;
    }
    fclose(in);
    return found;
}

static void test_scan_two_rom_bootloaders(void **state)
{
    fx *f = *state;
    boards(f, "f401:AAA,f405:BBB:port=3.1");
    scan(f);
    assert_int_equal(mpf_usb_list_count(f->list), 2);
    const mpf_device_info *d = mpf_usb_list_devices(f->list);
    const mpf_error *notes = mpf_usb_list_notes(f->list);
    assert_int_equal(d[0].vid, 0x0483);
    assert_int_equal(d[0].pid, 0xdf11);
    assert_int_equal(d[0].bcd_device, 0x2200);
    assert_int_equal(d[0].mode, MPF_MODE_DFU);
    assert_int_equal(d[0].interface_number, 0);
    assert_int_equal(d[0].bus, 1);
    assert_string_equal(d[0].path, "1-1");
    assert_string_equal(d[0].serial, "AAA");
    assert_string_equal(d[0].manufacturer, "STMicroelectronics");
    assert_int_equal(d[0].func.attributes, 0x0B);
    assert_int_equal(d[0].func.transfer_size, 2048);
    assert_int_equal(d[0].func.dfu_version, 0x011A);
    assert_int_equal(d[0].num_alts, 4);
    assert_int_equal(d[0].alts[0].alt, 0);
    assert_string_equal(d[0].alts[0].name, F401_FLASH);
    assert_int_equal(d[0].alts[3].alt, 3);
    assert_int_equal(notes[0].code, MPF_OK);
    assert_string_equal(d[1].path, "1-3.1");
    assert_string_equal(d[1].serial, "BBB");
    assert_string_equal(d[1].alts[0].name, F405_FLASH);
    assert_string_equal(d[1].alts[1].name, "@Option Bytes  /0x1FFFC000/01*016 g");
    assert_int_equal(notes[1].code, MPF_OK);
}

static void test_functional_descriptor_fallback(void **state)
{
    fx *f = *state;
    boards(f, "mboot:MB1:nofunc");
    scan(f);
    assert_int_equal(mpf_usb_list_count(f->list), 1);
    const mpf_device_info *d = mpf_usb_list_devices(f->list);
    assert_int_equal(d[0].bcd_device, 0x0300);
    assert_int_equal(d[0].num_alts, 1);
    assert_int_equal(d[0].func.transfer_size, 2048);
    assert_int_equal(d[0].func.dfu_version, 0x011A);
    assert_int_equal(mpf_usb_list_notes(f->list)[0].code, MPF_OK);
    /* Asked as the device: bmRequestType 0x80, GET_DESCRIPTOR, type 0x21. */
    assert_true(log_has(f, "MB1 ctrl 80 06 2100 0000 9 " TMO(1000) " -> 9"));
}

static void test_permission_denied_is_listed_and_explained(void **state)
{
    fx *f = *state;
#ifdef USBFS_TIER
    if (geteuid() == 0)
        skip(); /* root opens any node; test_usbfs_cli_usb runs this unprivileged */
#endif
    boards(f, "f401:AAA:open=access");
    scan(f);
    assert_int_equal(mpf_usb_list_count(f->list), 1);
    const mpf_device_info *d = mpf_usb_list_devices(f->list);
    const mpf_error *note = &mpf_usb_list_notes(f->list)[0];
    assert_int_equal(d[0].pid, 0xdf11);
    assert_string_equal(d[0].serial, ""); /* unreadable without opening */
    assert_string_equal(d[0].alts[0].name, "");
    assert_int_equal(d[0].func.transfer_size, 2048); /* descriptors need no opening */
    assert_int_equal(note->code, MPF_ERR_USB_ACCESS);
#ifdef _WIN32
    assert_string_equal(note->message,
                        "permission denied opening 0483:df11 at 1-1: another program has the device open "
                        "(STM32CubeProgrammer, dfu-util, another mpflash?), or its driver is not WinUSB "
                        "(install WinUSB with Zadig, https://zadig.akeo.ie)");
#else
    assert_string_equal(note->message,
                        "permission denied opening 0483:df11 at 1-1: this user may not open USB "
                        "devices: install mpflash's udev rule (50-mpflash.rules), then replug the "
                        "board (or run as root)");
#endif
    assert_int_equal(note->reason, MPF_REASON_PERMISSION);
    mpf_transport t;
    assert_int_equal(mpf_usb_open(f->list, 0, &t, &f->err), MPF_ERR_USB_ACCESS);
    assert_string_equal(f->err.message, note->message);
    assert_int_equal(f->err.reason, MPF_REASON_PERMISSION);
}

static void test_busy_interface(void **state)
{
    fx *f = *state;
    boards(f, "f401:AAA:claim=busy");
    scan(f);
    mpf_transport t;
    assert_int_equal(mpf_usb_open(f->list, 0, &t, &f->err), MPF_ERR_USB_BUSY);
    assert_string_equal(f->err.message,
                        "device busy claiming interface 0 of 0483:df11 at 1-1: another program "
                        "has claimed it (dfu-util, pydfu, another mpflash?); close it and retry");
#ifndef USBFS_TIER
    assert_true(log_has(f, "AAA close"));
#endif
}

static void test_requests_reach_the_device(void **state)
{
    fx *f = *state;
    boards(f, "f405:BBB");
    scan(f);
    mpf_transport t;
    assert_int_equal(mpf_usb_open(f->list, 0, &t, &f->err), MPF_OK);
    uint8_t st[6];
    size_t got = 0;
    assert_int_equal(t.ops->control_in(t.ctx, 3, 0, st, 6, &got, 500, &f->err), MPF_OK);
    assert_int_equal(got, 6);
    assert_int_equal(st[4], 2); /* dfuIDLE */
    assert_int_equal(t.ops->select_alt(t.ctx, 3, &f->err), MPF_OK);
    assert_int_equal(t.ops->select_alt(t.ctx, 4, &f->err), MPF_ERR_USB);
    mpf_transport_close(&t);
    assert_true(log_has(f, "BBB auto-detach 1"));
    assert_true(log_has(f, "BBB claim 0 -> 0"));
    assert_true(log_has(f, "BBB ctrl a1 03 0000 0000 6 " TMO(500) " -> 6"));
    assert_true(log_has(f, "BBB alt 0 3 -> 0"));
    assert_true(log_has(f, "BBB alt 0 4 -> -5"));
    assert_true(log_has(f, "BBB release 0 -> 0"));
}

/* Flash a MicroPython-shaped image, end the libusb session, and read it
 * back in a new one: the state directory carries the flash over. */
static void test_flash_then_read_back_in_a_new_session(void **state)
{
    fx *f = *state;
    boards(f, "f405:BBB");
    mpf_image img;
    mpf_image_init(&img);
    assert_int_equal(fixture_micropython_image(&img, 64 * 1024, 7), 0);
    mpf_transport t;
    mpf_usb_filter filter;
    mpf_usb_filter_init(&filter);
    assert_int_equal(mpf_usb_open_matching(f->usb, &filter, 1000, &t, &f->err), MPF_OK);
    mpf_plan plan;
    mpf_plan_options opt;
    mpf_plan_options_default(&opt);
    opt.leave = 0;
    assert_int_equal(mpf_plan_build(&img, &t.info, &opt, &plan, &f->err), MPF_OK);
    mpf_dfu d;
    assert_int_equal(mpf_dfu_open(&d, &t, NULL, &f->err), MPF_OK);
    if (mpf_dfu_flash(&d, &plan, &f->err) != MPF_OK)
        fail_msg("flash: %s", f->err.message);
    mpf_plan_free(&plan);
    mpf_transport_close(&t);

    boards(f, "f405:BBB");
    assert_int_equal(mpf_usb_open_matching(f->usb, &filter, 1000, &t, &f->err), MPF_OK);
    assert_int_equal(mpf_dfu_open(&d, &t, NULL, &f->err), MPF_OK);
    for (size_t s = 0; s < img.count; s++) {
        uint8_t *back = malloc(img.segments[s].size);
        assert_non_null(back);
        assert_int_equal(mpf_dfu_read(&d, 0, img.segments[s].address, back, img.segments[s].size,
                                      &f->err),
                         MPF_OK);
        assert_memory_equal(back, img.segments[s].data, img.segments[s].size);
        free(back);
    }
    /* Untouched flash is still erased. */
    uint8_t gap[16], ff[16];
    memset(ff, 0xFF, sizeof ff);
    assert_int_equal(mpf_dfu_read(&d, 0, 0x08004000, gap, sizeof gap, &f->err), MPF_OK);
    assert_memory_equal(gap, ff, sizeof ff);
    mpf_transport_close(&t);
    mpf_image_free(&img);
}

static void test_leaving_takes_the_board_off_the_bus(void **state)
{
    fx *f = *state;
    boards(f, "f401:AAA,f405:BBB:runtime");
    mpf_usb_filter filter;
    mpf_usb_filter_init(&filter);
    assert_int_equal(mpf_usb_filter_set_serial(&filter, "AAA", NULL), MPF_OK);
    mpf_transport t;
    assert_int_equal(mpf_usb_open_matching(f->usb, &filter, 1000, &t, &f->err), MPF_OK);
    mpf_dfu d;
    assert_int_equal(mpf_dfu_open(&d, &t, NULL, &f->err), MPF_OK);
    assert_int_equal(mpf_dfu_leave(&d, 0x08000000, &f->err), MPF_OK);
#ifdef USBFS_TIER
    /* Already off the bus (sysfs, uevent) when the request that made it
     * leave was answered, not some time later. */
    char sysfs[512];
    snprintf(sysfs, sizeof sysfs, "%s/sys/devices/usb1/1-1", usbfs_bed_root(f->bed));
    if (access(sysfs, F_OK) == 0)
        fail_msg("%s is still there after the leave was answered", sysfs);
#endif
    mpf_transport_close(&t);
    scan_after_change(f, 1);
    /* The ROM board now runs its (absent) application; the other is an
     * application with a DFU runtime interface. */
    assert_int_equal(mpf_usb_list_count(f->list), 1);
    assert_string_equal(mpf_usb_list_devices(f->list)[0].serial, "BBB");
}

static void test_runtime_board_is_detached(void **state)
{
    fx *f = *state;
    boards(f, "f405:CCC:runtime");
    scan(f);
    assert_int_equal(mpf_usb_list_count(f->list), 1);
    const mpf_device_info *rt = mpf_usb_list_devices(f->list);
    assert_int_equal(rt->vid, 0xf055);
    assert_int_equal(rt->pid, 0x9800);
    assert_int_equal(rt->mode, MPF_MODE_RUNTIME);
    assert_int_equal(rt->interface_number, 2);
    assert_int_equal(rt->num_alts, 1);
    assert_string_equal(rt->alts[0].name, "MicroPython DFU runtime");
    assert_int_equal(rt->func.attributes, 0x03);
    assert_int_equal(rt->func.detach_timeout_ms, 1000);
    assert_string_equal(rt->product, "Pyboard Virtual Comm Port in FS Mode");

    mpf_usb_filter filter;
    mpf_usb_filter_init(&filter);
    assert_int_equal(mpf_usb_filter_set_ids(&filter, "f055:9800,0483:df11", NULL), MPF_OK);
    mpf_transport t;
    assert_int_equal(mpf_usb_open_matching(f->usb, &filter, 2000, &t, &f->err), MPF_OK);
    assert_int_equal(t.info.mode, MPF_MODE_DFU);
    assert_int_equal(t.info.pid, 0xdf11);
    assert_string_equal(t.info.serial, "CCC");
    assert_int_equal(t.info.num_alts, 4);
    mpf_transport_close(&t);
    /* DETACH with wValue = wDetachTimeOut, on the runtime interface; then the reset. */
    assert_true(log_has(f, "CCC ctrl 21 00 03e8 0002 0 " TMO(1000) " -> 0"));
    assert_true(log_has(f, "CCC reset -> -5"));
    assert_true(log_has(f, "CCC enumerate dfu"));
}

static void test_runtime_board_that_detaches_itself(void **state)
{
    fx *f = *state;
    boards(f, "f401:DDD:runtime:willdetach");
    mpf_usb_filter filter;
    mpf_usb_filter_init(&filter);
    mpf_transport t;
    assert_int_equal(mpf_usb_open_matching(f->usb, &filter, 2000, &t, &f->err), MPF_OK);
    assert_int_equal(t.info.mode, MPF_MODE_DFU);
    assert_string_equal(t.info.serial, "DDD");
    mpf_transport_close(&t);
    assert_true(log_has(f, "DDD ctrl 21 00 03e8 0002 0 " TMO(1000) " -> -4"));
    assert_false(log_has(f, "DDD reset -> -5"));
}

/* A request the board never answers ends at the host's timeout (on usbfs:
 * libusb discards the held URB and reaps it with -ENOENT) and leaves
 * nothing behind; a stall is its own error, and the board then says why. */
static void test_lost_and_stalled_requests(void **state)
{
    fx *f = *state;
    boards(f, "f401:AAA:fault=timeout/getstatus/1:fault=stall/getstatus/2");
    scan(f);
    mpf_transport t;
    assert_int_equal(mpf_usb_open(f->list, 0, &t, &f->err), MPF_OK);
    uint8_t st[6];
    size_t got = 0;
    assert_int_equal(t.ops->control_in(t.ctx, 3, 0, st, 6, &got, 200, &f->err), MPF_ERR_USB_TIMEOUT);
    assert_string_equal(f->err.message,
                        "timed out after 200 ms reading GETSTATUS (wValue 0, 6 bytes) from 0483:df11 at 1-1");
    assert_int_equal(got, 0);
    assert_int_equal(t.ops->control_in(t.ctx, 3, 0, st, 6, &got, 500, &f->err), MPF_ERR_USB_STALL);
    assert_int_equal(t.ops->control_in(t.ctx, 3, 0, st, 6, &got, 500, &f->err), MPF_OK);
    assert_int_equal(got, 6);
    assert_int_equal(st[0], 15); /* errSTALLEDPKT */
    assert_int_equal(st[4], 10); /* dfuERROR */
    mpf_transport_close(&t);
    assert_true(log_has(f, "AAA ctrl a1 03 0000 0000 6 " TMO(200) " -> -7"));
    assert_true(log_has(f, "AAA ctrl a1 03 0000 0000 6 " TMO(500) " -> -9"));
}

/* A board that vanishes mid-request: that request and the handle fail as
 * disconnected; the board comes back as a new device, which opens and
 * answers. */
static void test_disconnect_and_reenumeration(void **state)
{
    fx *f = *state;
    boards(f, "f401:AAA:fault=disconnect/getstatus/1");
    scan(f);
    mpf_transport t;
    assert_int_equal(mpf_usb_open(f->list, 0, &t, &f->err), MPF_OK);
    uint8_t st[6];
    size_t got = 0;
    assert_int_equal(t.ops->control_in(t.ctx, 3, 0, st, 6, &got, 500, &f->err), MPF_ERR_USB_DISCONNECTED);
    assert_string_equal(f->err.message, "device disconnected reading GETSTATUS (wValue 0, 6 bytes) from "
                                        "0483:df11 at 1-1 (unplugged, or it reset itself)");
    assert_int_equal(t.ops->control_in(t.ctx, 3, 0, st, 6, &got, 500, &f->err), MPF_ERR_USB_DISCONNECTED);
    mpf_transport_close(&t);
    mpf_usb_filter filter;
    mpf_usb_filter_init(&filter);
    assert_int_equal(mpf_usb_filter_set_serial(&filter, "AAA", NULL), MPF_OK);
    assert_int_equal(open_after_change(f, &filter, &t), MPF_OK);
    assert_int_equal(t.ops->control_in(t.ctx, 3, 0, st, 6, &got, 500, &f->err), MPF_OK);
    assert_int_equal(st[4], 2); /* dfuIDLE: a fresh start */
    mpf_transport_close(&t);
    assert_true(log_has(f, "AAA enumerate dfu"));
}

/* Removing read protection (0x92): the chip erases itself and resets, and
 * comes back as a new device, readable and blank. */
static void test_unprotect_and_reenumeration(void **state)
{
    fx *f = *state;
    boards(f, "f401:RP:rdp");
    mpf_usb_filter filter;
    mpf_usb_filter_init(&filter);
    assert_int_equal(mpf_usb_filter_set_serial(&filter, "RP", NULL), MPF_OK);
    mpf_transport t;
    assert_int_equal(mpf_usb_open_matching(f->usb, &filter, 1000, &t, &f->err), MPF_OK);
    mpf_dfu d;
    uint8_t head[16], erased[16];
    memset(erased, 0xFF, sizeof erased);
    assert_int_equal(mpf_dfu_open(&d, &t, NULL, &f->err), MPF_OK);
    assert_int_equal(mpf_dfu_read(&d, 0, 0x08000000, head, sizeof head, &f->err), MPF_ERR_DEVICE_STATUS);
    assert_int_equal(mpf_dfu_open(&d, &t, NULL, &f->err), MPF_OK);
    if (mpf_dfu_read_unprotect(&d, &f->err) != MPF_OK)
        fail_msg("unprotect: %s", f->err.message);
    mpf_transport_close(&t);
    assert_int_equal(open_after_change(f, &filter, &t), MPF_OK);
    assert_int_equal(mpf_dfu_open(&d, &t, NULL, &f->err), MPF_OK);
    assert_int_equal(mpf_dfu_read(&d, 0, 0x08000000, head, sizeof head, &f->err), MPF_OK);
    assert_memory_equal(head, erased, sizeof head);
    mpf_transport_close(&t);
    assert_true(log_has(f, "RP enumerate dfu"));
}

/* A board that stalls SET_INTERFACE: the real library (Linux) reports it as
 * LIBUSB_ERROR_OTHER, not as a stall; the message says what happened. */
static void test_refused_alt_setting(void **state)
{
    fx *f = *state;
    boards(f, "f405:BBB:fault=stall/select-alt/1");
    scan(f);
    mpf_transport t;
    assert_int_equal(mpf_usb_open(f->list, 0, &t, &f->err), MPF_OK);
    assert_int_equal(t.ops->select_alt(t.ctx, 1, &f->err), MPF_ERR_USB);
    assert_string_equal(f->err.message,
                        "0483:df11 at 1-1 refused SET_INTERFACE to alt setting 1 of interface 0 "
                        "(LIBUSB_ERROR_OTHER): it stalled the request or did not answer; check that the "
                        "device offers that alt setting");
    assert_int_equal(t.ops->select_alt(t.ctx, 1, &f->err), MPF_OK);
    mpf_transport_close(&t);
    assert_true(log_has(f, "BBB alt 0 1 -> -99"));
}

static void test_two_boards_are_not_guessed_between(void **state)
{
    fx *f = *state;
    boards(f, "f401:AAA,f401:BBB");
    mpf_usb_filter filter;
    mpf_usb_filter_init(&filter);
    mpf_transport t;
    assert_int_equal(mpf_usb_open_matching(f->usb, &filter, 1000, &t, &f->err),
                     MPF_ERR_AMBIGUOUS);
    assert_string_equal(f->err.message,
                        "2 DFU devices match: 0483:df11 serial AAA at 1-1 (DFU mode); 0483:df11 "
                        "serial BBB at 1-2 (DFU mode); choose one by serial number or USB port path");
    assert_false(log_has(f, "AAA claim 0 -> 0"));
    assert_false(log_has(f, "BBB claim 0 -> 0"));
}

static void test_board_without_serial(void **state)
{
    fx *f = *state;
    boards(f, "f411:");
    scan(f);
    assert_int_equal(mpf_usb_list_count(f->list), 1);
    assert_string_equal(mpf_usb_list_devices(f->list)[0].serial, "");
    assert_int_equal(mpf_usb_list_notes(f->list)[0].code, MPF_OK);
}

static void test_no_boards(void **state)
{
    fx *f = *state;
    boards(f, "");
    scan(f);
    assert_int_equal(mpf_usb_list_count(f->list), 0);
    mpf_usb_filter filter;
    mpf_usb_filter_init(&filter);
    mpf_transport t;
    assert_int_equal(mpf_usb_open_matching(f->usb, &filter, 1000, &t, &f->err),
                     MPF_ERR_NO_DEVICE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_scan_two_rom_bootloaders, setup, teardown),
        cmocka_unit_test_setup_teardown(test_functional_descriptor_fallback, setup, teardown),
        cmocka_unit_test_setup_teardown(test_permission_denied_is_listed_and_explained, setup, teardown),
        cmocka_unit_test_setup_teardown(test_busy_interface, setup, teardown),
        cmocka_unit_test_setup_teardown(test_requests_reach_the_device, setup, teardown),
        cmocka_unit_test_setup_teardown(test_flash_then_read_back_in_a_new_session, setup, teardown),
        cmocka_unit_test_setup_teardown(test_leaving_takes_the_board_off_the_bus, setup, teardown),
        cmocka_unit_test_setup_teardown(test_runtime_board_is_detached, setup, teardown),
        cmocka_unit_test_setup_teardown(test_runtime_board_that_detaches_itself, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lost_and_stalled_requests, setup, teardown),
        cmocka_unit_test_setup_teardown(test_disconnect_and_reenumeration, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refused_alt_setting, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unprotect_and_reenumeration, setup, teardown),
        cmocka_unit_test_setup_teardown(test_two_boards_are_not_guessed_between, setup, teardown),
        cmocka_unit_test_setup_teardown(test_board_without_serial, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_boards, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
