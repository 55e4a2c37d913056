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

static void test_match_by_serial_and_path(void **state)
{
    (void)state;
    mpf_device_info devs[] = {dfu("1-4", "206B31915632", MPF_MODE_DFU),
                              dfu("1-2", "3276345F3234", MPF_MODE_DFU)};
    size_t idx = 9;
    unsigned how = 0;
    mpf_error err = {0};
    assert_int_equal(mpf_serial_match_dfu("3276345F3234", "1-2", devs, 2, &idx, &how, &err), MPF_OK);
    assert_int_equal(idx, 1);
    assert_int_equal(how, MPF_SERIAL_MATCH_SERIAL | MPF_SERIAL_MATCH_PATH);
}

static void test_match_by_serial_alone(void **state)
{
    (void)state;
    /* Replugged elsewhere in between, or the port path is unknown. */
    mpf_device_info devs[] = {dfu("1-4", "206B31915632", MPF_MODE_DFU),
                              dfu("2-1", ROM_SERIAL, MPF_MODE_DFU)};
    size_t idx = 9;
    unsigned how = 0;
    mpf_error err = {0};
    assert_int_equal(mpf_serial_match_dfu(UID_HEX, "1-2", devs, 2, &idx, &how, &err), MPF_OK);
    assert_int_equal(idx, 1);
    assert_int_equal(how, MPF_SERIAL_MATCH_SERIAL);
    assert_int_equal(mpf_serial_match_dfu(UID_HEX, NULL, devs, 2, &idx, &how, &err), MPF_OK);
    assert_int_equal(idx, 1);
}

static void test_match_by_path_when_serials_cannot_be_tied(void **state)
{
    (void)state;
    /* An application serial with no known relation to the DFU serial. */
    mpf_device_info devs[] = {dfu("1-4", "206B31915632", MPF_MODE_DFU),
                              dfu("1-3.1", "3276345F3234", MPF_MODE_DFU)};
    size_t idx = 9;
    unsigned how = 0;
    mpf_error err = {0};
    assert_int_equal(mpf_serial_match_dfu("e66038b7133a7a2b", "1-3.1", devs, 2, &idx, &how, &err), MPF_OK);
    assert_int_equal(idx, 1);
    assert_int_equal(how, MPF_SERIAL_MATCH_PATH);
}

static void test_match_refuses_when_nothing_ties(void **state)
{
    (void)state;
    mpf_device_info devs[] = {dfu("1-4", "206B31915632", MPF_MODE_DFU),
                              dfu("1-5", "3276345F3234", MPF_MODE_DFU)};
    size_t idx = 9;
    unsigned how = 7;
    mpf_error err = {0};
    assert_int_equal(mpf_serial_match_dfu("e66038b7133a7a2b", "1-2", devs, 2, &idx, &how, &err),
                     MPF_ERR_AMBIGUOUS);
    assert_int_equal(err.code, MPF_ERR_AMBIGUOUS);
    assert_int_equal(idx, 9);
    assert_int_equal(how, 0);
    assert_non_null(strstr(err.message, "2 DFU devices and none has the board's serial number (e66038b7133a7a2b) "
                                        "or port (1-2); refusing to guess"));
}

static void test_match_refuses_contradiction(void **state)
{
    (void)state;
    mpf_device_info devs[] = {dfu("1-4", "3276345F3234", MPF_MODE_DFU),
                              dfu("1-2", "206B31915632", MPF_MODE_DFU)};
    size_t idx = 9;
    mpf_error err = {0};
    assert_int_equal(mpf_serial_match_dfu("3276345F3234", "1-2", devs, 2, &idx, NULL, &err), MPF_ERR_AMBIGUOUS);
    assert_non_null(strstr(err.message, "serial number 3276345F3234 points to the DFU device at 1-4 but its port 1-2 "
                                        "holds another DFU device (serial 206B31915632)"));
    assert_int_equal(idx, 9);
}

static void test_match_duplicate_serial(void **state)
{
    (void)state;
    mpf_device_info devs[] = {dfu("1-4", "3276345F3234", MPF_MODE_DFU),
                              dfu("1-2", "3276345F3234", MPF_MODE_DFU)};
    size_t idx = 9;
    unsigned how = 0;
    mpf_error err = {0};
    /* The path picks one of the two. */
    assert_int_equal(mpf_serial_match_dfu("3276345F3234", "1-2", devs, 2, &idx, &how, &err), MPF_OK);
    assert_int_equal(idx, 1);
    assert_int_equal(how, MPF_SERIAL_MATCH_SERIAL | MPF_SERIAL_MATCH_PATH);
    /* Without a path nothing does. */
    assert_int_equal(mpf_serial_match_dfu("3276345F3234", NULL, devs, 2, &idx, &how, &err), MPF_ERR_AMBIGUOUS);
    assert_non_null(strstr(err.message, "2 DFU devices match the board (serial 3276345F3234, port none)"));
}

static void test_match_sole_device(void **state)
{
    (void)state;
    mpf_device_info one[] = {dfu("1-2", "", MPF_MODE_DFU)};
    size_t idx = 9;
    unsigned how = 0;
    mpf_error err = {0};
    /* The DFU device has no serial and the board's path is unknown: nothing contradicts. */
    assert_int_equal(mpf_serial_match_dfu("3276345F3234", NULL, one, 1, &idx, &how, &err), MPF_OK);
    assert_int_equal(idx, 0);
    assert_int_equal(how, MPF_SERIAL_MATCH_SOLE);
}

static void test_match_sole_device_that_is_another_board(void **state)
{
    (void)state;
    mpf_device_info one[] = {dfu("1-4", "206B31915632", MPF_MODE_DFU)};
    size_t idx = 9;
    unsigned how = 0;
    mpf_error err = {0};
    assert_int_equal(mpf_serial_match_dfu("3276345F3234", "1-2", one, 1, &idx, &how, &err), MPF_ERR_NO_DEVICE);
    assert_non_null(strstr(err.message, "the only DFU device (serial 206B31915632, port 1-4) is not the board "
                                        "(serial 3276345F3234, port 1-2); refusing to flash another board"));
    assert_int_equal(idx, 9);
}

static void test_match_ignores_runtime_interfaces(void **state)
{
    (void)state;
    /* A board still running its application, with a DFU runtime interface, at the same path. */
    mpf_device_info devs[] = {dfu("1-2", "3276345F3234", MPF_MODE_RUNTIME),
                              dfu("1-2", "3276345F3234", MPF_MODE_DFU)};
    size_t idx = 9;
    unsigned how = 0;
    mpf_error err = {0};
    assert_int_equal(mpf_serial_match_dfu("3276345F3234", "1-2", devs, 2, &idx, &how, &err), MPF_OK);
    assert_int_equal(idx, 1);
    assert_int_equal(mpf_serial_match_dfu("3276345F3234", "1-2", devs, 1, &idx, &how, &err), MPF_ERR_NO_DEVICE);
    assert_non_null(strstr(err.message, "no DFU device found for the board (serial 3276345F3234, port 1-2)"));
    assert_int_equal(mpf_serial_match_dfu("3276345F3234", "1-2", NULL, 0, &idx, &how, &err), MPF_ERR_NO_DEVICE);
    assert_int_equal(mpf_serial_match_dfu("3276345F3234", "1-2", devs, 2, NULL, &how, &err), MPF_ERR_USAGE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rom_serial_from_unique_id),
        cmocka_unit_test(test_rom_and_mboot_differ_on_carry),
        cmocka_unit_test(test_rom_serial_rejects_other_forms),
        cmocka_unit_test(test_same_chip),
        cmocka_unit_test(test_match_by_serial_and_path),
        cmocka_unit_test(test_match_by_serial_alone),
        cmocka_unit_test(test_match_by_path_when_serials_cannot_be_tied),
        cmocka_unit_test(test_match_refuses_when_nothing_ties),
        cmocka_unit_test(test_match_refuses_contradiction),
        cmocka_unit_test(test_match_duplicate_serial),
        cmocka_unit_test(test_match_sole_device),
        cmocka_unit_test(test_match_sole_device_that_is_another_board),
        cmocka_unit_test(test_match_ignores_runtime_interfaces),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
