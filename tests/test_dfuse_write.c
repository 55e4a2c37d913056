/* The DfuSe writer: exact bytes field by field (as MicroPython's dfu.py
 * writes them), an independently computed CRC, agreement with the test
 * builder, round trips, and the sample firmware the build produces. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fixtures.h"
#include "mpflash/image.h"

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint16_t le16(const uint8_t *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

static void assert_message_has(const mpf_error *err, const char *part)
{
    if (!strstr(err->message, part))
        fail_msg("message \"%s\" lacks \"%s\"", err->message, part);
}

static void assert_same_segments(const mpf_image *a, const mpf_image *b)
{
    char why[200];
    if (!fixture_same_segments(a, b, why, sizeof why))
        fail_msg("%s", why);
}

static void test_crc32_known_values(void **state)
{
    (void)state;
    /* The check value of CRC-32 (zlib, PNG): "123456789" -> 0xCBF43926. */
    assert_int_equal(mpf_crc32("123456789", 9), 0xCBF43926u);
    assert_int_equal(mpf_crc32_update(0xFFFFFFFFu, "123456789", 9), 0x340BC6D9u);
    assert_int_equal(mpf_crc32("", 0), 0);
    uint8_t buf[1000];
    fixture_fill_random(buf, sizeof buf, 99);
    uint32_t split = mpf_crc32_update(mpf_crc32_update(0xFFFFFFFFu, buf, 333), buf + 333, sizeof buf - 333);
    assert_int_equal(split, fixture_dfu_crc(buf, sizeof buf));
}

static void test_defaults(void **state)
{
    (void)state;
    mpf_dfuse_write_options o;
    memset(&o, 0xAB, sizeof o);
    mpf_dfuse_write_options_default(&o);
    assert_int_equal(o.vid, 0x0483);
    assert_int_equal(o.pid, 0xDF11);
    assert_int_equal(o.bcd_device, 0x0000);
    assert_string_equal(o.target_name, "ST...");
}

/* 3 bytes at 0x08000000: every byte of the 317-byte file. */
static void test_tiny_file_field_by_field(void **state)
{
    (void)state;
    mpf_image img;
    mpf_image_init(&img);
    mpf_error err = {0};
    assert_int_equal(mpf_image_add(&img, 0, 0x08000000u, (const uint8_t[]){0xA1, 0xB2, 0xC3}, 3, "t", &err), MPF_OK);
    uint8_t *out = NULL;
    size_t len = 0;
    assert_int_equal(mpf_write_dfuse(&img, NULL, &out, &len, &err), MPF_OK);
    assert_int_equal(len, 11 + 274 + 8 + 8 + 16);
    /* prefix */
    assert_memory_equal(out, "DfuSe", 5);
    assert_int_equal(out[5], 1);
    assert_int_equal(le32(out + 6), 301); /* file length without the suffix */
    assert_int_equal(out[10], 1);
    /* target prefix */
    const uint8_t *t = out + 11;
    assert_memory_equal(t, "Target", 6);
    assert_int_equal(t[6], 0);
    assert_int_equal(le32(t + 7), 1);
    assert_memory_equal(t + 11, "ST...", 5);
    for (size_t i = 5; i < 255; i++)
        assert_int_equal(t[11 + i], 0);
    assert_int_equal(le32(t + 266), 16); /* 8-byte header + 3 bytes padded to 8 */
    assert_int_equal(le32(t + 270), 1);
    /* element */
    const uint8_t *e = t + 274;
    assert_int_equal(le32(e), 0x08000000u);
    assert_int_equal(le32(e + 4), 8);
    static const uint8_t data[8] = {0xA1, 0xB2, 0xC3, 0, 0, 0, 0, 0};
    assert_memory_equal(e + 8, data, 8);
    /* suffix */
    const uint8_t *s = out + 301;
    assert_int_equal(le16(s), 0x0000);
    assert_int_equal(le16(s + 2), 0xDF11);
    assert_int_equal(le16(s + 4), 0x0483);
    assert_int_equal(le16(s + 6), 0x011A);
    assert_memory_equal(s + 8, "UFD", 3);
    assert_int_equal(s[11], 16);
    assert_int_equal(le32(s + 12), fixture_dfu_crc(out, 313));
    free(out);
    mpf_image_free(&img);
}

/* The writer and the test builder are written separately; for the same
 * input they must agree byte for byte. */
static void test_matches_independent_builder(void **state)
{
    (void)state;
    uint8_t a[1088], b[1001];
    fixture_fill_random(a, sizeof a, 1);
    fixture_fill_random(b, sizeof b, 2);
    uint8_t b_padded[1008] = {0};
    memcpy(b_padded, b, sizeof b);

    mpf_image img;
    mpf_image_init(&img);
    mpf_error err = {0};
    assert_int_equal(mpf_image_add(&img, 0, 0x08000000u, a, sizeof a, "a", &err), MPF_OK);
    assert_int_equal(mpf_image_add(&img, 0, 0x08020000u, b, sizeof b, "b", &err), MPF_OK);
    mpf_dfuse_write_options o;
    mpf_dfuse_write_options_default(&o);
    o.bcd_device = 0x0300;
    o.vid = 0x1209;
    o.pid = 0xABCD;
    uint8_t *out = NULL;
    size_t len = 0;
    assert_int_equal(mpf_write_dfuse(&img, &o, &out, &len, &err), MPF_OK);

    fixture_dfuse f;
    fixture_dfuse_init(&f);
    fixture_dfuse_target *t = fixture_dfuse_add_target(&f, 0, "ST...");
    fixture_dfuse_add_element(t, 0x08000000u, a, sizeof a);
    fixture_dfuse_add_element(t, 0x08020000u, b_padded, sizeof b_padded);
    f.bcd_device = 0x0300;
    f.vid = 0x1209;
    f.pid = 0xABCD;
    size_t expected_len = 0;
    uint8_t *expected = fixture_dfuse_build(&f, &expected_len);
    assert_int_equal(len, expected_len);
    assert_memory_equal(out, expected, len);
    free(expected);
    free(out);
    mpf_image_free(&img);
}

static void test_one_target_per_alt(void **state)
{
    (void)state;
    mpf_image img;
    mpf_image_init(&img);
    mpf_error err = {0};
    assert_int_equal(mpf_image_add(&img, 3, 0x1FFF7800u, (const uint8_t[]){7, 7}, 2, "otp", &err), MPF_OK);
    assert_int_equal(mpf_image_add(&img, 0, 0x08000000u, (const uint8_t[]){1, 2, 3, 4, 5, 6, 7, 8}, 8, "fw", &err),
                     MPF_OK);
    mpf_dfuse_write_options o;
    mpf_dfuse_write_options_default(&o);
    o.target_name = "Internal Flash";
    uint8_t *out = NULL;
    size_t len = 0;
    assert_int_equal(mpf_write_dfuse(&img, &o, &out, &len, &err), MPF_OK);
    assert_int_equal(len, 11 + 2 * 274 + 16 + 16 + 16);
    assert_int_equal(out[10], 2);
    /* alt order, not insertion order */
    assert_int_equal(out[11 + 6], 0);
    assert_string_equal((const char *)out + 11 + 11, "Internal Flash");
    assert_int_equal(le32(out + 11 + 266), 16);
    const uint8_t *t1 = out + 11 + 274 + 16;
    assert_memory_equal(t1, "Target", 6);
    assert_int_equal(t1[6], 3);
    assert_int_equal(le32(t1 + 274), 0x1FFF7800u);
    assert_int_equal(le32(t1 + 278), 8);

    mpf_image back;
    mpf_image_init(&back);
    assert_int_equal(mpf_load_dfuse(&back, out, len, "two.dfu", NULL, &err), MPF_OK);
    assert_int_equal(back.count, 2);
    assert_int_equal(back.segments[1].alt, 3);
    assert_int_equal(back.segments[1].size, 8); /* padded */
    assert_memory_equal(back.segments[1].data, ((const uint8_t[]){7, 7, 0, 0, 0, 0, 0, 0}), 8);
    assert_int_equal(back.target_count, 2);
    assert_string_equal(back.targets[1].name, "Internal Flash");
    mpf_image_free(&back);
    free(out);
    mpf_image_free(&img);
}

static void test_round_trip_micropython_image(void **state)
{
    (void)state;
    mpf_image img;
    mpf_image_init(&img);
    assert_int_equal(fixture_micropython_image(&img, 0, 7), 0);
    mpf_error err = {0};
    uint8_t *out = NULL;
    size_t len = 0;
    assert_int_equal(mpf_write_dfuse(&img, NULL, &out, &len, &err), MPF_OK);
    assert_int_equal(len, 11 + 274 + 8 + FIXTURE_MP_VECTOR_SIZE + 8 + FIXTURE_MP_TEXT_DEFAULT_SIZE + 16);
    mpf_image back;
    mpf_image_init(&back);
    assert_int_equal(mpf_load_dfuse(&back, out, len, "firmware.dfu", NULL, &err), MPF_OK);
    assert_int_equal(mpf_image_normalize(&back, &err), MPF_OK);
    assert_same_segments(&img, &back);
    assert_int_equal(back.crc_ok, 1);
    assert_int_equal(back.vid, 0x0483);
    assert_int_equal(back.pid, 0xDF11);
    assert_int_equal(back.format, MPF_FORMAT_DFUSE);
    mpf_image_free(&back);
    free(out);
    mpf_image_free(&img);
}

static void test_refusals(void **state)
{
    (void)state;
    mpf_image img;
    mpf_image_init(&img);
    mpf_error err = {0};
    uint8_t *out = (uint8_t *)&err; /* must be reset to NULL on failure */
    size_t len = 99;
    assert_int_equal(mpf_write_dfuse(&img, NULL, &out, &len, &err), MPF_ERR_INPUT);
    assert_message_has(&err, "the image is empty");
    assert_null(out);
    assert_int_equal(len, 0);

    /* 5 bytes at 0xFFFFFFFA fit, but padded to 8 they would run past the top. */
    assert_int_equal(mpf_image_add(&img, 0, 0xFFFFFFFAu, (const uint8_t[]){1, 2, 3, 4, 5}, 5, "top.bin", &err), MPF_OK);
    assert_int_equal(mpf_write_dfuse(&img, NULL, &out, &len, &err), MPF_ERR_INPUT);
    assert_message_has(&err, "top.bin: 5 bytes at 0xFFFFFFFA padded to a multiple of 8 run past 0xFFFFFFFF");
    mpf_image_free(&img);

    assert_int_equal(mpf_image_add(&img, 0, 0, (const uint8_t[]){1}, 1, "x", &err), MPF_OK);
    char name[300];
    memset(name, 'n', sizeof name - 1);
    name[sizeof name - 1] = '\0';
    mpf_dfuse_write_options o;
    mpf_dfuse_write_options_default(&o);
    o.target_name = name;
    assert_int_equal(mpf_write_dfuse(&img, &o, &out, &len, &err), MPF_ERR_USAGE);
    assert_message_has(&err, "DfuSe target name is 299 characters; the file has room for 255");
    /* Exactly 255 fits, without a terminating NUL, as in dfu.py. */
    name[255] = '\0';
    assert_int_equal(mpf_write_dfuse(&img, &o, &out, &len, &err), MPF_OK);
    assert_int_equal(out[11 + 11 + 254], 'n');
    assert_int_equal(le32(out + 11 + 266), 16);
    free(out);
    mpf_image_free(&img);
}

/* The build writes sample/firmware.dfu from the fixture image; it must be
 * exactly what the writer makes of that image, and load back to it. */
static void test_build_sample_matches_fixture(void **state)
{
    (void)state;
    const char *path = MPFLASH_BUILD_DIR "/sample/firmware.dfu";
    uint8_t *file = NULL;
    size_t file_len = 0;
    mpf_error err = {0};
    if (mpf_read_file(path, &file, &file_len, &err) != MPF_OK)
        fail_msg("%s", err.message);
    mpf_image img;
    mpf_image_init(&img);
    assert_int_equal(fixture_micropython_image(&img, 0, FIXTURE_SAMPLE_SEED), 0);
    uint8_t *expected = NULL;
    size_t expected_len = 0;
    assert_int_equal(mpf_write_dfuse(&img, NULL, &expected, &expected_len, &err), MPF_OK);
    assert_int_equal(file_len, expected_len);
    assert_memory_equal(file, expected, file_len);

    mpf_image back;
    mpf_image_init(&back);
    assert_int_equal(mpf_load_dfuse(&back, file, file_len, "firmware.dfu", NULL, &err), MPF_OK);
    assert_int_equal(mpf_image_normalize(&back, &err), MPF_OK);
    assert_same_segments(&img, &back);
    assert_int_equal(back.segments[0].address, FIXTURE_MP_VECTOR_ADDR);
    assert_int_equal(back.segments[1].address, FIXTURE_MP_TEXT_ADDR);
    assert_int_equal(back.segments[1].size, FIXTURE_MP_TEXT_DEFAULT_SIZE);
    mpf_image_free(&back);
    mpf_image_free(&img);
    free(expected);
    free(file);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_crc32_known_values),
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_tiny_file_field_by_field),
        cmocka_unit_test(test_matches_independent_builder),
        cmocka_unit_test(test_one_target_per_alt),
        cmocka_unit_test(test_round_trip_micropython_image),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_build_sample_matches_fixture),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
