/* Tying a DFU device to the board it came from: serial numbers (including
 * the STM32 ROM's derived form), USB port paths, and refusing to guess. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "mpflash/serial.h"
#include "table_tests.h"

/* The unique ID 002d0030 3334510b 32313533 (UID0, UID1, UID2) and the
 * serial the STM32F4 ROM bootloader showed for it, as reported in
 * libopencm3 issue #760; the 24-digit form is those words' bytes in memory
 * order, as MicroPython's TinyUSB builds print them. */
#define UID_HEX "30002d000b51343333353132"
#define ROM_SERIAL "325E35633334"

static void test_rom_serial_from_unique_id(void **state)
{
    (void)state;
    char rom[13], mboot[13];
    assert_int_equal(mpf_serial_stm32_dfu_serials(UID_HEX, rom, mboot), 1);
    assert_string_equal(rom, ROM_SERIAL);
    assert_string_equal(mboot, ROM_SERIAL);
    /* Upper-case input too, and either output may be skipped. */
    assert_int_equal(mpf_serial_stm32_dfu_serials("30002D000B51343333353132", rom, NULL), 1);
    assert_string_equal(rom, ROM_SERIAL);
}

static void test_rom_and_mboot_differ_on_carry(void **state)
{
    (void)state;
    /* UID0 = 0x000000f0, UID2 = 0x32313520: the low bytes sum past 0xff. The
     * ROM adds 32-bit words (the carry reaches the next digit pair); mboot
     * and MicroPython's own stack add byte by byte and drop it. */
    char rom[13], mboot[13];
    assert_int_equal(mpf_serial_stm32_dfu_serials("f00000000b51343320353132", rom, mboot), 1);
    assert_string_equal(rom, "323136103334");
    assert_string_equal(mboot, "323135103334");
    assert_true(mpf_serial_same_chip("f00000000b51343320353132", "323136103334"));
    assert_true(mpf_serial_same_chip("f00000000b51343320353132", "323135103334"));
}

static void test_rom_serial_rejects_other_forms(void **state)
{
    (void)state;
    char rom[13] = "untouched";
    assert_int_equal(mpf_serial_stm32_dfu_serials("30002d000b5134333335313", rom, NULL), 0);   /* 23 digits */
    assert_int_equal(mpf_serial_stm32_dfu_serials("30002d000b513433333531322", rom, NULL), 0); /* 25 */
    assert_int_equal(mpf_serial_stm32_dfu_serials("30002d000b5134333335313g", rom, NULL), 0);
    assert_int_equal(mpf_serial_stm32_dfu_serials(NULL, rom, NULL), 0);
    assert_string_equal(rom, "untouched");
}

static void test_same_chip(void **state)
{
    (void)state;
    assert_true(mpf_serial_same_chip("3276345F3234", "3276345F3234"));
    assert_true(mpf_serial_same_chip("3276345f3234", "3276345F3234"));
    assert_true(mpf_serial_same_chip(UID_HEX, ROM_SERIAL));
    assert_false(mpf_serial_same_chip(UID_HEX, "325E35633335"));
    assert_false(mpf_serial_same_chip("3276345F3234", "3276345F3235"));
    assert_false(mpf_serial_same_chip("", ""));
    assert_false(mpf_serial_same_chip(NULL, ROM_SERIAL));
    assert_false(mpf_serial_same_chip(UID_HEX, NULL));
    assert_false(mpf_serial_same_chip(UID_HEX, ""));
}

static mpf_device_info dfu(const char *path, const char *serial, mpf_dfu_mode mode)
{
    mpf_device_info d;
    memset(&d, 0, sizeof d);
    d.vid = 0x0483;
    d.pid = 0xdf11;
    d.mode = mode;
    snprintf(d.path, sizeof d.path, "%s", path);
    snprintf(d.serial, sizeof d.serial, "%s", serial);
    return d;
}

typedef struct dfu_spec {
    const char *path, *serial;
    mpf_dfu_mode mode;
} dfu_spec;

/* One call of mpf_serial_match_dfu: the board (serial, path), the devices seen,
 * and what must come back. idx 9 means the index is left alone. */
typedef struct match_case {
    const char *name;
    const char *serial, *path;
    dfu_spec devs[2];
    size_t count;
    mpf_err rc;
    size_t idx;
    unsigned how;
    const char *message;
} match_case;

#define UNTOUCHED 9
#define BOTH (MPF_SERIAL_MATCH_SERIAL | MPF_SERIAL_MATCH_PATH)

static const match_case match_cases[] = {
    {"match_by_serial_and_path", "3276345F3234", "1-2",
     {{"1-4", "206B31915632", MPF_MODE_DFU}, {"1-2", "3276345F3234", MPF_MODE_DFU}}, 2,
     MPF_OK, 1, BOTH, NULL},
    /* Replugged elsewhere in between, or the port path is unknown. */
    {"match_by_serial_alone", UID_HEX, "1-2",
     {{"1-4", "206B31915632", MPF_MODE_DFU}, {"2-1", ROM_SERIAL, MPF_MODE_DFU}}, 2,
     MPF_OK, 1, MPF_SERIAL_MATCH_SERIAL, NULL},
    {"match_by_serial_without_path", UID_HEX, NULL,
     {{"1-4", "206B31915632", MPF_MODE_DFU}, {"2-1", ROM_SERIAL, MPF_MODE_DFU}}, 2,
     MPF_OK, 1, MPF_SERIAL_MATCH_SERIAL, NULL},
    /* An application serial with no known relation to the DFU serial. */
    {"match_by_path_when_serials_cannot_be_tied", "e66038b7133a7a2b", "1-3.1",
     {{"1-4", "206B31915632", MPF_MODE_DFU}, {"1-3.1", "3276345F3234", MPF_MODE_DFU}}, 2,
     MPF_OK, 1, MPF_SERIAL_MATCH_PATH, NULL},
    {"match_refuses_when_nothing_ties", "e66038b7133a7a2b", "1-2",
     {{"1-4", "206B31915632", MPF_MODE_DFU}, {"1-5", "3276345F3234", MPF_MODE_DFU}}, 2,
     MPF_ERR_AMBIGUOUS, UNTOUCHED, 0,
     "2 DFU devices and none has the board's serial number (e66038b7133a7a2b) "
     "or port (1-2); refusing to guess"},
    {"match_refuses_contradiction", "3276345F3234", "1-2",
     {{"1-4", "3276345F3234", MPF_MODE_DFU}, {"1-2", "206B31915632", MPF_MODE_DFU}}, 2,
     MPF_ERR_AMBIGUOUS, UNTOUCHED, 0,
     "serial number 3276345F3234 points to the DFU device at 1-4 but its port 1-2 "
     "holds another DFU device (serial 206B31915632)"},
    /* Two devices with the board's serial: the path picks one of the two... */
    {"match_duplicate_serial_by_path", "3276345F3234", "1-2",
     {{"1-4", "3276345F3234", MPF_MODE_DFU}, {"1-2", "3276345F3234", MPF_MODE_DFU}}, 2,
     MPF_OK, 1, BOTH, NULL},
    /* ...and without a path nothing does. */
    {"match_duplicate_serial_without_path", "3276345F3234", NULL,
     {{"1-4", "3276345F3234", MPF_MODE_DFU}, {"1-2", "3276345F3234", MPF_MODE_DFU}}, 2,
     MPF_ERR_AMBIGUOUS, UNTOUCHED, 0,
     "2 DFU devices match the board (serial 3276345F3234, port none)"},
    /* The DFU device has no serial and the board's path is unknown: nothing contradicts. */
    {"match_sole_device", "3276345F3234", NULL, {{"1-2", "", MPF_MODE_DFU}}, 1,
     MPF_OK, 0, MPF_SERIAL_MATCH_SOLE, NULL},
    {"match_sole_device_that_is_another_board", "3276345F3234", "1-2",
     {{"1-4", "206B31915632", MPF_MODE_DFU}}, 1, MPF_ERR_NO_DEVICE, UNTOUCHED, 0,
     "the only DFU device (serial 206B31915632, port 1-4) is not the board "
     "(serial 3276345F3234, port 1-2); refusing to flash another board"},
    /* A board still running its application, with a DFU runtime interface, at the same path. */
    {"match_ignores_runtime_interfaces", "3276345F3234", "1-2",
     {{"1-2", "3276345F3234", MPF_MODE_RUNTIME}, {"1-2", "3276345F3234", MPF_MODE_DFU}}, 2,
     MPF_OK, 1, BOTH, NULL},
    /* Windows: the serial port's bus is not known ("0-"), only its port chain. */
    {"match_windows_port_chain", "e66038b7133a7a2b", "0-2.3",
     {{"1-2", "206B31915632", MPF_MODE_DFU}, {"2-2.3", "3276345F3234", MPF_MODE_DFU}}, 2,
     MPF_OK, 1, MPF_SERIAL_MATCH_PATH, NULL},
    {"match_windows_chain_on_two_controllers", "e66038b7133a7a2b", "0-2.3",
     {{"1-2.3", "206B31915632", MPF_MODE_DFU}, {"2-2.3", "3276345F3234", MPF_MODE_DFU}}, 2,
     MPF_ERR_AMBIGUOUS, UNTOUCHED, 0, "2 DFU devices match the board (serial e66038b7133a7a2b, port 0-2.3)"},
    {"match_windows_chain_on_two_controllers_serial_decides", "3276345F3234", "0-2.3",
     {{"1-2.3", "206B31915632", MPF_MODE_DFU}, {"2-2.3", "3276345F3234", MPF_MODE_DFU}}, 2,
     MPF_OK, 1, BOTH, NULL},
    {"match_windows_chain_is_whole", "e66038b7133a7a2b", "0-2",
     {{"1-2.3", "206B31915632", MPF_MODE_DFU}, {"1-12", "3276345F3234", MPF_MODE_DFU}}, 2,
     MPF_ERR_AMBIGUOUS, UNTOUCHED, 0, "none has the board's serial number"},
    {"match_runtime_interface_alone", "3276345F3234", "1-2",
     {{"1-2", "3276345F3234", MPF_MODE_RUNTIME}}, 1, MPF_ERR_NO_DEVICE, UNTOUCHED, 0,
     "no DFU device found for the board (serial 3276345F3234, port 1-2)"},
};

static void run_match_case(void **state)
{
    const match_case *c = *state;
    mpf_device_info devs[2];
    for (size_t i = 0; i < c->count; i++)
        devs[i] = dfu(c->devs[i].path, c->devs[i].serial, c->devs[i].mode);
    size_t idx = UNTOUCHED;
    /* Not 0, so a refusal that leaves it alone is caught. */
    unsigned how = 7;
    mpf_error err = {0};
    assert_int_equal(mpf_serial_match_dfu(c->serial, c->path, devs, c->count, &idx, &how, &err),
                     c->rc);
    assert_int_equal(idx, c->idx);
    assert_int_equal(how, c->how);
    if (c->rc != MPF_OK) {
        assert_int_equal(err.code, c->rc);
        assert_non_null(strstr(err.message, c->message));
        /* The answer does not depend on whether the caller asks how. */
        idx = UNTOUCHED;
        assert_int_equal(mpf_serial_match_dfu(c->serial, c->path, devs, c->count, &idx, NULL, &err),
                         c->rc);
        assert_int_equal(idx, UNTOUCHED);
    }
}

static void test_same_port(void **state)
{
    (void)state;
    assert_true(mpf_serial_same_port("1-2.3", "1-2.3"));
    assert_false(mpf_serial_same_port("1-2.3", "2-2.3")); /* both buses known */
    assert_true(mpf_serial_same_port("0-2.3", "2-2.3"));  /* bus 0: not known */
    assert_true(mpf_serial_same_port("12-2.3", "0-2.3"));
    assert_false(mpf_serial_same_port("0-2.3", "1-2.30"));
    assert_false(mpf_serial_same_port("0-2", "1-2.3"));
    assert_false(mpf_serial_same_port("0-2.3", "1-2"));
    assert_false(mpf_serial_same_port("0-12", "1-2"));
    static const char *const not_paths[] = {NULL, "", "-2", "1-", "x-2", "1.2", "256-2", "0"};
    for (size_t i = 0; i < sizeof not_paths / sizeof *not_paths; i++) {
        assert_false(mpf_serial_same_port(not_paths[i], "1-2"));
        assert_false(mpf_serial_same_port("0-2", not_paths[i]));
    }
}

static void test_match_bad_arguments(void **state)
{
    (void)state;
    mpf_device_info devs[] = {dfu("1-2", "3276345F3234", MPF_MODE_DFU)};
    size_t idx = UNTOUCHED;
    unsigned how = 0;
    mpf_error err = {0};
    assert_int_equal(mpf_serial_match_dfu("3276345F3234", "1-2", NULL, 0, &idx, &how, &err),
                     MPF_ERR_NO_DEVICE);
    assert_int_equal(mpf_serial_match_dfu("3276345F3234", "1-2", devs, 1, NULL, &how, &err),
                     MPF_ERR_USAGE);
}

int main(void)
{
    static const struct CMUnitTest fixed[] = {
        cmocka_unit_test(test_rom_serial_from_unique_id),
        cmocka_unit_test(test_rom_and_mboot_differ_on_carry),
        cmocka_unit_test(test_rom_serial_rejects_other_forms),
        cmocka_unit_test(test_same_chip),
        cmocka_unit_test(test_same_port),
        cmocka_unit_test(test_match_bad_arguments),
    };
    const test_table tables[] = {TEST_TABLE(match_cases, run_match_case)};
    return run_tests_and_tables("serial_match", fixed, TABLE_LEN(fixed), tables, TABLE_LEN(tables));
}
