/* Device filters: dfu-util's -d/-S/-p/-a forms (table-driven), matching,
 * selection (never a silent pick), alt resolution, port path formatting. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "mpflash/usb.h"
#include "table_tests.h"

#define ANY MPF_USB_ANY_ID
#define NONE MPF_USB_NO_ID

typedef mpf_err (*setter)(mpf_usb_filter *, const char *, mpf_error *);

/* A fresh filter with one option applied, as the command line does it. */
static mpf_err fresh(mpf_usb_filter *f, setter set, const char *spec, mpf_error *err)
{
    mpf_usb_filter_init(f);
    return set(f, spec, err);
}

/* ---- -d ------------------------------------------------------------------ */

static const struct {
    const char *spec;
    int32_t vid, pid, dfu_vid, dfu_pid;
} good_ids[] = {
    {"0483:df11", 0x0483, 0xdf11, 0x0483, 0xdf11},
    {"0x0483:0xDF11", 0x0483, 0xdf11, 0x0483, 0xdf11},
    {"0X483:Df11", 0x0483, 0xdf11, 0x0483, 0xdf11},
    {"0483", 0x0483, ANY, 0x0483, ANY},
    {"0483:", 0x0483, ANY, 0x0483, ANY},
    {":df11", ANY, 0xdf11, ANY, 0xdf11},
    {"*:df11", ANY, 0xdf11, ANY, 0xdf11},
    {"0483:*", 0x0483, ANY, 0x0483, ANY},
    {"f055:9800,0483:df11", 0xf055, 0x9800, 0x0483, 0xdf11},
    {"0xf055:0x9800,0x0483:0xdf11", 0xf055, 0x9800, 0x0483, 0xdf11},
    {"f055:9800,", 0xf055, 0x9800, 0xf055, 0x9800},
    {"f055:9800,:df12", 0xf055, 0x9800, 0xf055, 0xdf12},
    {"f055:9800,0483", 0xf055, 0x9800, 0x0483, 0x9800},
    {",0483:df11", NONE, NONE, 0x0483, 0xdf11},
    {"-:-,0483:df11", NONE, NONE, 0x0483, 0xdf11},
    {"", ANY, ANY, ANY, ANY},
    {"0:0", 0, 0, 0, 0},
};

static void test_ids_good(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof good_ids / sizeof good_ids[0]; i++) {
        mpf_usb_filter f;
        mpf_error err = {0};
        if (fresh(&f, mpf_usb_filter_set_ids, good_ids[i].spec, &err) != MPF_OK)
            fail_msg("'%s': %s", good_ids[i].spec, err.message);
        if (f.vid != good_ids[i].vid || f.pid != good_ids[i].pid ||
            f.dfu_vid != good_ids[i].dfu_vid || f.dfu_pid != good_ids[i].dfu_pid)
            fail_msg("'%s' gave %x:%x,%x:%x", good_ids[i].spec, (unsigned)f.vid,
                     (unsigned)f.pid, (unsigned)f.dfu_vid, (unsigned)f.dfu_pid);
    }
}

static const struct {
    const char *spec, *message;
} bad_ids[] = {
    {"0483:df1g", "product ID 'df1g' in '0483:df1g' is not hexadecimal: expected e.g. 0483:df11"},
    {"12345:1", "vendor ID '12345' in '12345:1' is too long: expected up to 4 hex digits like 0483"},
    {"0x:1", "vendor ID '0x' in '0x:1' is not hexadecimal: expected e.g. 0483:df11"},
    {"1:2:3", "too many ':' in '1:2:3': expected VID:PID[,VID:PID]"},
    {"1,2,3", "too many ',' in '1,2,3': expected VID:PID[,VID:PID]"},
    {"f055:9800,0483:df11x", "product ID 'df11x' in 'f055:9800,0483:df11x' is too long: "
                             "expected up to 4 hex digits like 0483"},
    {"stm32", "vendor ID 'stm32' in 'stm32' is too long: expected up to 4 hex digits like 0483"},
    {" 0483", "vendor ID ' 0483' in ' 0483' is too long: expected up to 4 hex digits like 0483"},
};

static void test_ids_bad(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof bad_ids / sizeof bad_ids[0]; i++) {
        mpf_usb_filter f;
        mpf_error err = {0};
        assert_int_equal(fresh(&f, mpf_usb_filter_set_ids, bad_ids[i].spec, &err), MPF_ERR_USAGE);
        assert_string_equal(err.message, bad_ids[i].message);
        /* Nothing half-applied. */
        assert_int_equal(f.vid, ANY);
        assert_int_equal(f.pid, ANY);
        assert_int_equal(f.dfu_vid, ANY);
        assert_int_equal(f.dfu_pid, ANY);
    }
}

/* ---- -S, -p, -a ------------------------------------------------------------ */

static void test_serial_forms(void **state)
{
    (void)state;
    static const struct {
        const char *spec, *serial, *dfu_serial;
    } cases[] = {
        {"3276388B3233", "3276388B3233", "3276388B3233"},
        {"APP,BOOT", "APP", "BOOT"},
        {",BOOT", "", "BOOT"},
        {"APP,", "APP", ""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        mpf_usb_filter f;
        assert_int_equal(fresh(&f, mpf_usb_filter_set_serial, cases[i].spec, NULL), MPF_OK);
        assert_string_equal(f.serial, cases[i].serial);
        assert_string_equal(f.dfu_serial, cases[i].dfu_serial);
    }
    char big[201];
    memset(big, 'A', 200);
    big[200] = '\0';
    mpf_usb_filter f;
    mpf_error err = {0};
    assert_int_equal(fresh(&f, mpf_usb_filter_set_serial, big, &err), MPF_ERR_USAGE);
    assert_string_equal(err.message, "serial number is too long (200 characters, at most 127)");
    assert_string_equal(f.serial, "");
}

static void test_path_forms(void **state)
{
    (void)state;
    static const char *const good[] = {"1-2", "3-1.4.2", "255-7.7.7.7.7.7.7", "0-0", "12-255"};
    static const char *const bad[] = {"1",     "1-",    "a-1",      "1.2", "1-2-3",
                                      "256-1", "1-2.",  "1-1234",   "",    "-1",
                                      "1-1.1.1.1.1.1.1.1", "1-2 "};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        mpf_usb_filter f;
        mpf_error err = {0};
        if (fresh(&f, mpf_usb_filter_set_path, good[i], &err) != MPF_OK)
            fail_msg("'%s': %s", good[i], err.message);
        assert_string_equal(f.path, good[i]);
    }
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        mpf_usb_filter f;
        mpf_error err = {0};
        if (fresh(&f, mpf_usb_filter_set_path, bad[i], &err) != MPF_ERR_USAGE)
            fail_msg("'%s' was accepted", bad[i]);
        char want[200];
        snprintf(want, sizeof want,
                 "bad port path '%s': expected BUS-PORT[.PORT...] like 1-2 or 3-1.4 (see the "
                 "list of devices)",
                 bad[i]);
        assert_string_equal(err.message, want);
        assert_string_equal(f.path, "");
    }
}

static void test_alt_forms(void **state)
{
    (void)state;
    static const struct {
        const char *spec;
        int alt;
        const char *name;
    } cases[] = {
        {"0", 0, ""},
        {"3", 3, ""},
        {"0x1", 1, ""},
        {"255", 255, ""},
        {"Internal Flash", -1, "Internal Flash"},
        {"@Option Bytes  /0x1FFFC000/01*016 e", -1, "@Option Bytes  /0x1FFFC000/01*016 e"},
        {"1a", -1, "1a"},
        {"0x", -1, "0x"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        mpf_usb_filter f;
        assert_int_equal(fresh(&f, mpf_usb_filter_set_alt, cases[i].spec, NULL), MPF_OK);
        assert_int_equal(f.alt, cases[i].alt);
        assert_string_equal(f.alt_name, cases[i].name);
    }
    mpf_usb_filter f;
    mpf_usb_filter_init(&f);
    mpf_error err = {0};
    assert_int_equal(mpf_usb_filter_set_alt(&f, "256", &err), MPF_ERR_USAGE);
    assert_string_equal(err.message, "alt setting 256 is out of range (0-255)");
    assert_int_equal(mpf_usb_filter_set_alt(&f, "", &err), MPF_ERR_USAGE);
    assert_string_equal(err.message, "missing alt setting (a number or a name)");
    /* A later -a replaces an earlier one of the other kind. */
    assert_int_equal(mpf_usb_filter_set_alt(&f, "Internal Flash", NULL), MPF_OK);
    assert_int_equal(mpf_usb_filter_set_alt(&f, "1", NULL), MPF_OK);
    assert_int_equal(f.alt, 1);
    assert_string_equal(f.alt_name, "");
}

/* ---- matching and selection ----------------------------------------------- */

enum { A, B, C, D, NDEV };

static const char *const f401_alts[] = {
    "@Internal Flash  /0x08000000/04*016Kg,01*064Kg,03*128Kg",
    "@Option Bytes  /0x1FFFC000/01*016 e",
};
static const char *const f405_alts[] = {
    "@Internal Flash  /0x08000000/04*016Kg,01*064Kg,07*128Kg",
    "@Option Bytes  /0x1FFFC000/01*016 g",
    "@OTP Memory /0x1FFF7800/01*512 g,01*016 g",
    "@Device Feature/0xFFFF0000/01*004 g",
};

static void make(mpf_device_info *d, uint16_t vid, uint16_t pid, mpf_dfu_mode mode,
                 const char *serial, const char *path, uint8_t itf, const char *const *alts,
                 size_t n)
{
    memset(d, 0, sizeof *d);
    d->vid = vid;
    d->pid = pid;
    d->mode = mode;
    d->interface_number = itf;
    strcpy(d->serial, serial);
    strcpy(d->path, path);
    d->num_alts = n ? n : 1;
    for (size_t i = 0; i < n; i++) {
        d->alts[i].alt = (uint8_t)i;
        strcpy(d->alts[i].name, alts[i]);
    }
}

/* A: F401 ROM, B: F405 ROM, C: an application in runtime mode, D: mboot
 * whose serial could not be read. */
static void board_set(mpf_device_info devs[NDEV])
{
    make(&devs[A], 0x0483, 0xdf11, MPF_MODE_DFU, "AAA", "1-1", 0, f401_alts, 2);
    make(&devs[B], 0x0483, 0xdf11, MPF_MODE_DFU, "BBB", "1-2", 0, f405_alts, 4);
    make(&devs[C], 0xf055, 0x9800, MPF_MODE_RUNTIME, "CCC", "1-3", 2, NULL, 0);
    make(&devs[D], 0x0483, 0xdf11, MPF_MODE_DFU, "", "2-1.4", 0, f405_alts, 1);
}

static const struct {
    setter set;
    const char *arg;
    const char *matches; /* letters of the devices that match */
} match_cases[] = {
    {NULL, NULL, "ABCD"},
    {mpf_usb_filter_set_ids, "0483:df11", "ABD"},
    {mpf_usb_filter_set_ids, "0483", "ABD"},
    {mpf_usb_filter_set_ids, ":df11", "ABD"},
    {mpf_usb_filter_set_ids, "f055:9800", "C"},
    {mpf_usb_filter_set_ids, "f055:9800,0483:df11", "ABCD"},
    {mpf_usb_filter_set_ids, ",0483:df11", "ABD"},
    {mpf_usb_filter_set_ids, "f055:9800,-", "C"},
    {mpf_usb_filter_set_ids, "1234:5678", ""},
    {mpf_usb_filter_set_serial, "BBB", "B"},
    {mpf_usb_filter_set_serial, "CCC,BBB", "BC"},
    {mpf_usb_filter_set_serial, "bbb", ""},
    {mpf_usb_filter_set_path, "1-2", "B"},
    {mpf_usb_filter_set_path, "2-1.4", "D"},
    {mpf_usb_filter_set_path, "2-1", ""},
    {mpf_usb_filter_set_alt, "3", "BC"},
    {mpf_usb_filter_set_alt, "0", "ABCD"},
    {mpf_usb_filter_set_alt, "Option Bytes", "ABC"},
    {mpf_usb_filter_set_alt, "OTP Memory", "BC"},
    {mpf_usb_filter_set_alt, "Device Feature", "BC"},
    {mpf_usb_filter_set_alt, "@Internal Flash  /0x08000000/04*016Kg,01*064Kg,03*128Kg", "AC"},
    {mpf_usb_filter_set_alt, "Internal", "C"},
};

static void test_match_table(void **state)
{
    (void)state;
    mpf_device_info devs[NDEV];
    board_set(devs);
    for (size_t i = 0; i < sizeof match_cases / sizeof match_cases[0]; i++) {
        mpf_usb_filter f;
        mpf_usb_filter_init(&f);
        if (match_cases[i].set)
            assert_int_equal(match_cases[i].set(&f, match_cases[i].arg, NULL), MPF_OK);
        char got[NDEV + 1];
        size_t n = 0;
        for (int k = 0; k < NDEV; k++)
            if (mpf_usb_filter_match(&f, &devs[k]))
                got[n++] = (char)('A' + k);
        got[n] = '\0';
        if (strcmp(got, match_cases[i].matches) != 0)
            fail_msg("filter '%s' matched '%s', expected '%s'",
                     match_cases[i].arg ? match_cases[i].arg : "(none)", got,
                     match_cases[i].matches);
    }
    mpf_usb_filter f;
    mpf_usb_filter_init(&f);
    f.interface = 2;
    assert_false(mpf_usb_filter_match(&f, &devs[A]));
    assert_true(mpf_usb_filter_match(&f, &devs[C]));
}

/* mpf_usb_select over the board set (or over nothing): the filter's -d, -S
 * and -a (NULL: not given) and what must come back. index 99: left alone. */
typedef struct select_case {
    const char *name;
    const char *ids, *serial, *alt;
    int nothing_connected;
    int d_unopenable; /* D could not be opened while listing */
    mpf_err rc;
    size_t index;
    const char *message;
    mpf_reason reason; /* what a front end is told would settle it */
} select_case;

static const select_case select_cases[] = {
    {"select_one", NULL, "BBB", NULL, 0, 0, MPF_OK, B, NULL, MPF_REASON_NONE},
    {"ambiguous_lists_both_and_says_how_to_choose", "0483:df11", NULL, "1", 0, 0, MPF_ERR_AMBIGUOUS, 99,
     "2 DFU devices match: 0483:df11 serial AAA at 1-1 (DFU mode); 0483:df11 "
     "serial BBB at 1-2 (DFU mode); choose one by serial number or USB port path",
     MPF_REASON_AMBIGUOUS_DEVICE},
    {"ambiguous_without_serials_points_to_path", "0483:df11", NULL, NULL, 0, 0, MPF_ERR_AMBIGUOUS, 99,
     "3 DFU devices match: 0483:df11 serial AAA at 1-1 (DFU mode); 0483:df11 "
     "serial BBB at 1-2 (DFU mode); 0483:df11 at 2-1.4 (DFU mode); choose "
     "one by USB port path (their serial numbers do not tell them apart)",
     MPF_REASON_AMBIGUOUS_PATH},
    {"no_match_lists_what_was_seen", ",0483:df11", "ZZZ", "Internal Flash", 0, 1, MPF_ERR_NO_DEVICE, 99,
     "no DFU device matches runtime ID -:-, DFU ID 0483:df11, serial ZZZ, "
     "alt setting 'Internal Flash'; seen: 0483:df11 serial AAA at 1-1 (DFU "
     "mode); 0483:df11 serial BBB at 1-2 (DFU mode); f055:9800 serial CCC at "
     "1-3 (runtime mode); 0483:df11 at 2-1.4 (DFU mode) [could not be opened: "
     "permission denied: the udev rule is missing]",
     MPF_REASON_PERMISSION},
    {"nothing_connected", NULL, NULL, NULL, 1, 0, MPF_ERR_NO_DEVICE, 99,
     "no DFU device found: put the board in DFU mode (connect BOOT0 to 3.3V "
     "and press reset, or run machine.bootloader() in MicroPython) and check "
     "that the USB cable carries data", MPF_REASON_NONE},
};

static void run_select_case(void **state)
{
    const select_case *c = *state;
    mpf_device_info devs[NDEV];
    board_set(devs);
    mpf_error notes[NDEV] = {{0}};
    if (c->d_unopenable)
        mpf_error_set(&notes[D], MPF_ERR_USB_ACCESS, "permission denied opening ...");
    mpf_usb_filter f;
    mpf_usb_filter_init(&f);
    if (c->ids)
        assert_int_equal(mpf_usb_filter_set_ids(&f, c->ids, NULL), MPF_OK);
    if (c->serial)
        assert_int_equal(mpf_usb_filter_set_serial(&f, c->serial, NULL), MPF_OK);
    if (c->alt)
        assert_int_equal(mpf_usb_filter_set_alt(&f, c->alt, NULL), MPF_OK);
    size_t index = 99;
    mpf_error err = {0};
    if (c->nothing_connected)
        assert_int_equal(mpf_usb_select(&f, NULL, NULL, 0, &index, &err), c->rc);
    else
        assert_int_equal(mpf_usb_select(&f, devs, c->d_unopenable ? notes : NULL, NDEV, &index, &err),
                         c->rc);
    assert_int_equal(index, c->index);
    if (c->message)
        assert_string_equal(err.message, c->message);
    assert_int_equal(err.reason, c->reason);
}

static void test_filter_alt(void **state)
{
    (void)state;
    mpf_device_info devs[NDEV];
    board_set(devs);
    mpf_usb_filter f;
    mpf_usb_filter_init(&f);
    uint8_t alt = 99;
    assert_int_equal(mpf_usb_filter_alt(&f, &devs[B], &alt, NULL), MPF_OK);
    assert_int_equal(alt, 0);
    assert_int_equal(mpf_usb_filter_set_alt(&f, "OTP Memory", NULL), MPF_OK);
    assert_int_equal(mpf_usb_filter_alt(&f, &devs[B], &alt, NULL), MPF_OK);
    assert_int_equal(alt, 2);
    assert_int_equal(mpf_usb_filter_set_alt(&f, "3", NULL), MPF_OK);
    mpf_error err = {0};
    alt = 99;
    assert_int_equal(mpf_usb_filter_alt(&f, &devs[A], &alt, &err), MPF_ERR_NO_DEVICE);
    assert_int_equal(alt, 99);
    assert_string_equal(err.message,
                        "0483:df11 serial AAA at 1-1 (DFU mode) has no alt setting 3; it has: 0 "
                        "'@Internal Flash  /0x08000000/04*016Kg,01*064Kg,03*128Kg', 1 '@Option "
                        "Bytes  /0x1FFFC000/01*016 e'");
}

/* -n, -c and -i narrow the search too, so "no device matches" names them
 * (it once said "matches any DFU device" for -c 2). */
static void test_no_match_names_devnum_cfg_intf(void **state)
{
    (void)state;
    mpf_device_info devs[NDEV];
    board_set(devs);
    for (size_t i = 0; i < NDEV; i++)
        devs[i].configuration = 1;
    mpf_usb_filter f;
    mpf_usb_filter_init(&f);
    f.configuration = 2;
    size_t index = 99;
    mpf_error err = {0};
    assert_int_equal(mpf_usb_select(&f, devs, NULL, NDEV, &index, &err), MPF_ERR_NO_DEVICE);
    assert_non_null(strstr(err.message, "no DFU device matches configuration 2; seen: "));
    f.devnum = 7;
    f.interface = 3;
    assert_int_equal(mpf_usb_select(&f, devs, NULL, NDEV, &index, &err), MPF_ERR_NO_DEVICE);
    assert_non_null(strstr(err.message, "no DFU device matches device number 7, configuration 2, interface 3; seen: "));
    f.configuration = 0; /* dfu-util's "any" */
    f.devnum = 99;
    f.interface = -1;
    assert_int_equal(mpf_usb_select(&f, devs, NULL, NDEV, &index, &err), MPF_ERR_NO_DEVICE);
    assert_non_null(strstr(err.message, "no DFU device matches device number 99; seen: "));
    assert_int_equal(index, 99);
}

/* ---- naming ---------------------------------------------------------------- */

static void test_port_paths(void **state)
{
    (void)state;
    char out[32];
    const uint8_t p1[] = {2};
    const uint8_t p3[] = {1, 4, 2};
    const uint8_t p7[] = {255, 255, 255, 255, 255, 255, 255};
    assert_int_equal(mpf_usb_format_path(1, p1, 1, out, sizeof out, NULL), MPF_OK);
    assert_string_equal(out, "1-2");
    assert_int_equal(mpf_usb_format_path(3, p3, 3, out, sizeof out, NULL), MPF_OK);
    assert_string_equal(out, "3-1.4.2");
    assert_int_equal(mpf_usb_format_path(255, p7, 7, out, sizeof out, NULL), MPF_OK);
    assert_string_equal(out, "255-255.255.255.255.255.255.255");
    assert_int_equal(mpf_usb_format_path(2, NULL, 0, out, sizeof out, NULL), MPF_OK);
    assert_string_equal(out, "2");
    mpf_error err = {0};
    assert_int_equal(mpf_usb_format_path(255, p7, 7, out, 31, &err), MPF_ERR_USAGE);
    assert_string_equal(out, "");
    assert_string_equal(err.message, "port path of bus 255 with 7 ports does not fit in 31 bytes");
    /* What is formatted is what -p accepts. */
    mpf_usb_filter f;
    mpf_usb_filter_init(&f);
    assert_int_equal(mpf_usb_format_path(3, p3, 3, out, sizeof out, NULL), MPF_OK);
    assert_int_equal(mpf_usb_filter_set_path(&f, out, NULL), MPF_OK);
}

static void test_describe(void **state)
{
    (void)state;
    mpf_device_info d;
    make(&d, 0xf055, 0x9800, MPF_MODE_RUNTIME, "", "", 0, NULL, 0);
    char out[128];
    mpf_usb_describe(&d, out, sizeof out);
    assert_string_equal(out, "f055:9800 (runtime mode)");
    make(&d, 0x0483, 0xdf11, MPF_MODE_DFU, "3276388B3233", "1-2", 0, NULL, 0);
    mpf_usb_describe(&d, out, sizeof out);
    assert_string_equal(out, "0483:df11 serial 3276388B3233 at 1-2 (DFU mode)");
    mpf_usb_describe(&d, out, 12);
    assert_string_equal(out, "0483:df11 s");
}

/* ---- after DFU_DETACH ------------------------------------------------------ */

static void test_reenumerated_by_serial_then_path(void **state)
{
    (void)state;
    mpf_device_info rt, devs[4];
    make(&rt, 0xf055, 0x9800, MPF_MODE_RUNTIME, "CCC", "1-3", 2, NULL, 0);
    make(&devs[0], 0x0483, 0xdf11, MPF_MODE_DFU, "AAA", "1-1", 0, f401_alts, 2);
    devs[1] = rt; /* the application, still listed: not a DFU-mode device */
    make(&devs[2], 0x0483, 0xdf11, MPF_MODE_DFU, "CCC", "1-4", 0, f405_alts, 4);
    make(&devs[3], 0x0483, 0xdf11, MPF_MODE_DFU, "XYZ", "1-3", 0, f405_alts, 4);
    size_t index = 99;
    /* Serial first, even though another device took the old path. */
    assert_int_equal(mpf_usb_find_reenumerated(&rt, NULL, devs, 4, &index, NULL), MPF_OK);
    assert_int_equal(index, 2);
    /* Without a serial match, the port path decides. */
    strcpy(devs[2].serial, "OTHER");
    assert_int_equal(mpf_usb_find_reenumerated(&rt, NULL, devs, 4, &index, NULL), MPF_OK);
    assert_int_equal(index, 3);
    /* A runtime device with no serial: by path only. */
    rt.serial[0] = '\0';
    strcpy(devs[3].serial, "");
    assert_int_equal(mpf_usb_find_reenumerated(&rt, NULL, devs, 4, &index, NULL), MPF_OK);
    assert_int_equal(index, 3);
}

static void test_reenumerated_respects_dfu_ids_and_refuses_to_guess(void **state)
{
    (void)state;
    mpf_device_info rt, devs[3];
    make(&rt, 0xf055, 0x9800, MPF_MODE_RUNTIME, "CCC", "1-3", 2, NULL, 0);
    make(&devs[0], 0x0483, 0xdf11, MPF_MODE_DFU, "CCC", "1-3", 0, f405_alts, 4);
    make(&devs[1], 0x0483, 0xdf11, MPF_MODE_DFU, "CCC", "2-1", 0, f405_alts, 4);
    make(&devs[2], 0x0483, 0xdf11, MPF_MODE_DFU, "AAA", "2-2", 0, f405_alts, 4);
    size_t index = 99;
    mpf_error err = {0};
    assert_int_equal(mpf_usb_find_reenumerated(&rt, NULL, devs, 3, &index, &err),
                     MPF_ERR_AMBIGUOUS);
    assert_string_equal(err.message, "after detaching f055:9800 serial CCC at 1-3 (runtime "
                                     "mode), 2 DFU-mode devices have its serial: 0483:df11 "
                                     "serial CCC at 1-3 (DFU mode); 0483:df11 serial CCC at 2-1 "
                                     "(DFU mode)");
    /* The filter's DFU-mode IDs and path (a runtime path) do not exclude it,
     * but a mismatching DFU ID does. */
    mpf_usb_filter f;
    mpf_usb_filter_init(&f);
    assert_int_equal(mpf_usb_filter_set_ids(&f, "f055:9800,0483:df11", NULL), MPF_OK);
    assert_int_equal(mpf_usb_filter_set_path(&f, "1-3", NULL), MPF_OK);
    assert_int_equal(mpf_usb_find_reenumerated(&rt, &f, devs, 1, &index, &err), MPF_OK);
    assert_int_equal(index, 0);
    assert_int_equal(mpf_usb_filter_set_ids(&f, "f055:9800,0483:df12", NULL), MPF_OK);
    assert_int_equal(mpf_usb_find_reenumerated(&rt, &f, devs, 1, &index, &err),
                     MPF_ERR_NO_DEVICE);
    assert_string_equal(err.message, "f055:9800 serial CCC at 1-3 (runtime mode) has not "
                                     "reappeared in DFU mode (looked for serial 'CCC' or path 1-3 "
                                     "among 1 devices)");
}

int main(void)
{
    static const struct CMUnitTest fixed[] = {
        cmocka_unit_test(test_ids_good),
        cmocka_unit_test(test_ids_bad),
        cmocka_unit_test(test_serial_forms),
        cmocka_unit_test(test_path_forms),
        cmocka_unit_test(test_alt_forms),
        cmocka_unit_test(test_match_table),
        cmocka_unit_test(test_filter_alt),
        cmocka_unit_test(test_no_match_names_devnum_cfg_intf),
        cmocka_unit_test(test_port_paths),
        cmocka_unit_test(test_describe),
        cmocka_unit_test(test_reenumerated_by_serial_then_path),
        cmocka_unit_test(test_reenumerated_respects_dfu_ids_and_refuses_to_guess),
    };
    const test_table tables[] = {TEST_TABLE(select_cases, run_select_case)};
    return run_tests_and_tables("usb_filter", fixed, TABLE_LEN(fixed), tables, TABLE_LEN(tables));
}
