/* Raw binary files: placed at the address the user gives, on the alt the
 * user gives, and refused with a clear message otherwise. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fixtures.h"
#include "mpflash/image.h"

static void assert_message_has(const mpf_error *err, const char *part)
{
    if (!strstr(err->message, part))
        fail_msg("message \"%s\" lacks \"%s\"", err->message, part);
}

static void test_loads_at_address_and_alt(void **state)
{
    (void)state;
    uint8_t data[300];
    fixture_fill_random(data, sizeof data, 11);
    mpf_image img;
    mpf_image_init(&img);
    mpf_error err = {0};
    mpf_load_options opt = {.has_address = 1, .address = 0x08020000u, .alt = 1};
    assert_int_equal(mpf_load_bin(&img, data, sizeof data, "fw.bin", &opt, &err), MPF_OK);
    assert_int_equal(img.count, 1);
    assert_int_equal(img.segments[0].alt, 1);
    assert_int_equal(img.segments[0].address, 0x08020000u);
    assert_int_equal(img.segments[0].size, 300);
    assert_memory_equal(img.segments[0].data, data, 300);
    assert_string_equal(img.segments[0].source, "fw.bin");
    assert_int_equal(img.format, MPF_FORMAT_BIN);
    assert_int_equal(img.has_suffix, 0);
    /* A second file keeps the first file's format. */
    img.format = MPF_FORMAT_DFUSE;
    opt.address = 0x08000000u;
    assert_int_equal(mpf_load_bin(&img, data, 4, "vec.bin", &opt, &err), MPF_OK);
    assert_int_equal(img.count, 2);
    assert_int_equal(img.format, MPF_FORMAT_DFUSE);
    assert_int_equal(img.segments[1].address, 0x08000000u);
    mpf_image_free(&img);
}

static void test_needs_an_address(void **state)
{
    (void)state;
    const uint8_t data[4] = {1, 2, 3, 4};
    mpf_image img;
    mpf_image_init(&img);
    mpf_error err = {0};
    mpf_load_options opt = {.address = 0x08000000u}; /* has_address not set */
    assert_int_equal(mpf_load_bin(&img, data, 4, "fw.bin", &opt, &err), MPF_ERR_INPUT);
    assert_int_equal(err.code, MPF_ERR_INPUT);
    assert_string_equal(err.message, "fw.bin: a raw binary file has no load address; "
                                     "give it one (STM32 flash starts at 0x08000000)");
    assert_int_equal(mpf_load_bin(&img, data, 4, "fw.bin", NULL, &err), MPF_ERR_INPUT);
    assert_message_has(&err, "give it one (STM32 flash starts at 0x08000000)");
    assert_int_equal(img.count, 0);
    assert_int_equal(img.format, MPF_FORMAT_UNKNOWN);
    mpf_image_free(&img);
}

static void test_empty_file_is_an_error(void **state)
{
    (void)state;
    mpf_image img;
    mpf_image_init(&img);
    mpf_error err = {0};
    mpf_load_options opt = {.has_address = 1, .address = 0x08000000u};
    assert_int_equal(mpf_load_bin(&img, NULL, 0, "empty.bin", &opt, &err), MPF_ERR_INPUT);
    assert_string_equal(err.message, "empty.bin: offset 0: the raw binary file is empty; nothing to flash");
    assert_int_equal(img.count, 0);
    assert_int_equal(img.format, MPF_FORMAT_UNKNOWN);
    mpf_image_free(&img);
}

static void test_wrap_past_top(void **state)
{
    (void)state;
    uint8_t data[32] = {0};
    mpf_image img;
    mpf_image_init(&img);
    mpf_error err = {0};
    mpf_load_options opt = {.has_address = 1, .address = 0xFFFFFFF0u};
    assert_int_equal(mpf_load_bin(&img, data, 17, "big.bin", &opt, &err), MPF_ERR_INPUT);
    assert_string_equal(err.message, "big.bin: 17 bytes at 0xFFFFFFF0 run past 0xFFFFFFFF "
                                     "(byte at offset 16 would wrap); check the address");
    assert_int_equal(img.count, 0);
    assert_int_equal(mpf_load_bin(&img, data, 16, "fits.bin", &opt, &err), MPF_OK);
    assert_int_equal(img.segments[0].size, 16);
    mpf_image_free(&img);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_loads_at_address_and_alt),
        cmocka_unit_test(test_needs_an_address),
        cmocka_unit_test(test_empty_file_is_an_error),
        cmocka_unit_test(test_wrap_past_top),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
