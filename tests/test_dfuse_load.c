/* The DfuSe loader: valid files of every shape, plain DFU 1.1 files, and
 * every kind of damage — each must fail with MPF_ERR_INPUT, a message that
 * names the file, the offset and the fault, and an unchanged image. */
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

static const uint8_t elem_a[8] = {0x00, 0x00, 0x02, 0x20, 0x01, 0x01, 0x02, 0x08};
static const uint8_t elem_b[16] = {0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17,
                                   0x18, 0x19, 0x1A, 0x1B, 0x1C, 0x1D, 0x1E, 0x1F};

/* One named target on alt 0 with two elements, like MicroPython's firmware.dfu. */
static void two_element_file(fixture_dfuse *f)
{
    fixture_dfuse_init(f);
    fixture_dfuse_target *t = fixture_dfuse_add_target(f, 0, "ST...");
    fixture_dfuse_add_element(t, 0x08000000u, elem_a, sizeof elem_a);
    fixture_dfuse_add_element(t, 0x08020000u, elem_b, sizeof elem_b);
}

/* Offsets in two_element_file's output. */
#define OFF_TARGET 11u
#define OFF_ELEM0 (OFF_TARGET + 274u)
#define OFF_ELEM1 (OFF_ELEM0 + 8u + 8u)
#define OFF_SUFFIX (OFF_ELEM1 + 8u + 16u)
#define FILE_LEN (OFF_SUFFIX + 16u)

static void assert_message_has(const mpf_error *err, const char *part)
{
    if (!strstr(err->message, part))
        fail_msg("message \"%s\" lacks \"%s\"", err->message, part);
}

static mpf_err load(mpf_image *img, const uint8_t *buf, size_t len, const mpf_load_options *opt,
                    mpf_error *err)
{
    return mpf_load_dfuse(img, buf, len, "fw.dfu", opt, err);
}

/* Loading must fail with MPF_ERR_INPUT and this message, adding nothing. */
static void expect_bad_buffer(const uint8_t *buf, size_t len, const char *message)
{
    mpf_image img;
    mpf_image_init(&img);
    mpf_error err = {0};
    assert_int_equal(load(&img, buf, len, NULL, &err), MPF_ERR_INPUT);
    assert_int_equal(err.code, MPF_ERR_INPUT);
    assert_message_has(&err, "fw.dfu: ");
    assert_message_has(&err, message);
    assert_int_equal(img.count, 0);
    assert_int_equal(img.target_count, 0);
    assert_int_equal(img.has_suffix, 0);
    assert_int_equal(img.format, MPF_FORMAT_UNKNOWN);
    mpf_image_free(&img);
}

static void expect_bad(const fixture_dfuse *f, const char *message)
{
    size_t len = 0;
    uint8_t *buf = fixture_dfuse_build(f, &len);
    assert_non_null(buf);
    expect_bad_buffer(buf, len, message);
    free(buf);
}

/* Build f and load it, which must succeed; the caller frees img. */
static void load_good(const fixture_dfuse *f, mpf_image *img)
{
    size_t len = 0;
    uint8_t *buf = fixture_dfuse_build(f, &len);
    assert_non_null(buf);
    mpf_image_init(img);
    mpf_error err = {0};
    assert_int_equal(load(img, buf, len, NULL, &err), MPF_OK);
    free(buf);
}

/* The image holds one segment: this one. */
static void assert_only_segment(const mpf_image *img, uint8_t alt, uint32_t address, const uint8_t *data,
                                size_t size)
{
    assert_int_equal(img->count, 1);
    assert_int_equal(img->segments[0].alt, alt);
    assert_int_equal(img->segments[0].address, address);
    assert_int_equal(img->segments[0].size, size);
    assert_memory_equal(img->segments[0].data, data, size);
}

/* two_element_file plus a target 1 whose dwTargetSize cuts its element
 * short: target 0 loads before the damage is found. */
static void file_broken_in_second_target(fixture_dfuse *f)
{
    two_element_file(f);
    fixture_dfuse_target *t1 = fixture_dfuse_add_target(f, 1, "second");
    fixture_dfuse_add_element(t1, 0x1000, elem_b, 16);
    t1->size_override = 1;
    t1->size_field = 23;
}

static void test_loads_two_elements_exactly(void **state)
{
    (void)state;
    fixture_dfuse f;
    two_element_file(&f);
    f.bcd_device = 0x0300;
    size_t len = 0;
    uint8_t *buf = fixture_dfuse_build(&f, &len);
    assert_non_null(buf);
    assert_int_equal(len, FILE_LEN);
    mpf_image img;
    mpf_image_init(&img);
    mpf_error err = {0};
    assert_int_equal(load(&img, buf, len, NULL, &err), MPF_OK);
    assert_int_equal(img.count, 2);
    assert_int_equal(img.segments[0].alt, 0);
    assert_int_equal(img.segments[0].address, 0x08000000u);
    assert_int_equal(img.segments[0].size, 8);
    assert_memory_equal(img.segments[0].data, elem_a, 8);
    assert_string_equal(img.segments[0].source, "fw.dfu: target 0 element 0");
    assert_int_equal(img.segments[1].address, 0x08020000u);
    assert_int_equal(img.segments[1].size, 16);
    assert_memory_equal(img.segments[1].data, elem_b, 16);
    assert_string_equal(img.segments[1].source, "fw.dfu: target 0 element 1");
    assert_int_equal(img.format, MPF_FORMAT_DFUSE);
    assert_int_equal(img.target_count, 1);
    assert_int_equal(img.targets[0].alt, 0);
    assert_string_equal(img.targets[0].name, "ST...");
    assert_int_equal(img.has_suffix, 1);
    assert_int_equal(img.vid, 0x0483);
    assert_int_equal(img.pid, 0xDF11);
    assert_int_equal(img.bcd_device, 0x0300);
    assert_int_equal(img.bcd_dfu, 0x011A);
    assert_int_equal(img.crc_ok, 1);
    uint32_t stored = (uint32_t)buf[len - 4] | (uint32_t)buf[len - 3] << 8 | (uint32_t)buf[len - 2] << 16 |
                      (uint32_t)buf[len - 1] << 24;
    assert_int_equal(img.crc_stored, stored);
    assert_int_equal(img.crc_computed, stored);
    mpf_image_free(&img);
    free(buf);
}

static void test_several_targets_and_alts(void **state)
{
    (void)state;
    fixture_dfuse f;
    fixture_dfuse_init(&f);
    fixture_dfuse_target *t0 = fixture_dfuse_add_target(&f, 0, "Internal Flash");
    fixture_dfuse_add_element(t0, 0x08000000u, elem_a, 8);
    fixture_dfuse_target *t1 = fixture_dfuse_add_target(&f, 1, NULL); /* unnamed: not recorded */
    fixture_dfuse_add_element(t1, 0x1FFFC000u, elem_b, 4);
    fixture_dfuse_target *t2 = fixture_dfuse_add_target(&f, 2, "OTP");
    fixture_dfuse_add_element(t2, 0x1FFF7800u, elem_b + 4, 2);
    f.image_size_mode = FIXTURE_IMAGE_SIZE_WITH_SUFFIX; /* the other reading of DFUImageSize */
    mpf_image img;
    load_good(&f, &img);
    assert_int_equal(img.count, 3);
    assert_int_equal(img.segments[1].alt, 1);
    assert_int_equal(img.segments[1].address, 0x1FFFC000u);
    assert_memory_equal(img.segments[1].data, elem_b, 4);
    assert_string_equal(img.segments[1].source, "fw.dfu: target 1 element 0");
    assert_int_equal(img.segments[2].alt, 2);
    assert_int_equal(img.segments[2].size, 2);
    assert_string_equal(img.segments[2].source, "fw.dfu: target 2 element 0");
    assert_int_equal(img.target_count, 2);
    assert_int_equal(img.targets[0].alt, 0);
    assert_string_equal(img.targets[0].name, "Internal Flash");
    assert_int_equal(img.targets[1].alt, 2);
    assert_string_equal(img.targets[1].name, "OTP");
    mpf_image_free(&img);
}

static void test_padding_and_empty_elements_kept_as_they_are(void **state)
{
    (void)state;
    /* dfu.py pads a 5-byte element to 8 with zeros: the padding is data. */
    const uint8_t padded[8] = {1, 2, 3, 4, 5, 0, 0, 0};
    fixture_dfuse f;
    fixture_dfuse_init(&f);
    fixture_dfuse_target *t = fixture_dfuse_add_target(&f, 0, "ST...");
    fixture_dfuse_add_element(t, 0x08000000u, padded, 8);
    fixture_dfuse_add_element(t, 0x08004000u, NULL, 0);
    mpf_image img;
    load_good(&f, &img);
    assert_only_segment(&img, 0, 0x08000000u, padded, 8);
    mpf_image_free(&img);
}

static void test_unterminated_255_char_name(void **state)
{
    (void)state;
    fixture_dfuse f;
    fixture_dfuse_init(&f);
    fixture_dfuse_target *t = fixture_dfuse_add_target(&f, 0, NULL);
    t->named = 7;
    memset(t->name, 'Q', sizeof t->name);
    fixture_dfuse_add_element(t, 0x08000000u, elem_a, 8);
    mpf_image img;
    load_good(&f, &img);
    assert_int_equal(img.target_count, 1);
    assert_int_equal(strlen(img.targets[0].name), 255);
    assert_int_equal(img.targets[0].name[254], 'Q');
    mpf_image_free(&img);
}

static void test_element_ending_on_last_address(void **state)
{
    (void)state;
    fixture_dfuse f;
    fixture_dfuse_init(&f);
    fixture_dfuse_target *t = fixture_dfuse_add_target(&f, 0, "ST...");
    fixture_dfuse_add_element(t, 0xFFFFFFF8u, elem_a, 8);
    mpf_image img;
    load_good(&f, &img);
    assert_only_segment(&img, 0, 0xFFFFFFF8u, elem_a, 8);
    mpf_image_free(&img);
}

static void test_plain_dfu_file(void **state)
{
    (void)state;
    size_t len = 0;
    uint8_t *buf = fixture_dfu_plain_build(elem_b, sizeof elem_b, 0x1209, 0xBEEF, 0x0200, &len);
    assert_int_equal(len, 32);
    mpf_image img;
    mpf_image_init(&img);
    mpf_error err = {0};
    mpf_load_options opt = {.has_address = 1, .address = 0x08010000u, .alt = 3};
    assert_int_equal(load(&img, buf, len, &opt, &err), MPF_OK);
    assert_only_segment(&img, 3, 0x08010000u, elem_b, 16);
    assert_int_equal(img.format, MPF_FORMAT_DFU);
    assert_int_equal(img.has_suffix, 1);
    assert_int_equal(img.vid, 0x1209);
    assert_int_equal(img.pid, 0xBEEF);
    assert_int_equal(img.bcd_device, 0x0200);
    assert_int_equal(img.bcd_dfu, 0x0100);
    assert_int_equal(img.crc_ok, 1);
    mpf_image_free(&img);

    /* Without an address it cannot be placed. */
    expect_bad_buffer(buf, len, "fw.dfu: a plain DFU file (no \"DfuSe\" signature at offset 0) has no load address; "
                                "give it one (STM32 flash starts at 0x08000000)");
    /* A damaged plain DFU file is caught by its CRC. */
    buf[3] ^= 0x40;
    mpf_image_init(&img);
    assert_int_equal(load(&img, buf, len, &opt, &err), MPF_ERR_INPUT);
    assert_message_has(&err, "fw.dfu: offset 28: CRC-32 is 0x");
    assert_int_equal(img.count, 0);
    mpf_image_free(&img);
    free(buf);
}

static void test_wrong_crc(void **state)
{
    (void)state;
    fixture_dfuse f;
    two_element_file(&f);
    size_t len = 0;
    uint8_t *good = fixture_dfuse_build(&f, &len);
    uint32_t right = (uint32_t)good[len - 4] | (uint32_t)good[len - 3] << 8 | (uint32_t)good[len - 2] << 16 |
                     (uint32_t)good[len - 1] << 24;
    f.crc_override = 1;
    f.crc_field = 0x12345678u;
    uint8_t *bad = fixture_dfuse_build(&f, &len);
    char expected[160];
    snprintf(expected, sizeof expected, "fw.dfu: offset %u: CRC-32 is 0x%08X, file says 0x12345678; the file is damaged",
             FILE_LEN - 4, (unsigned)right);
    expect_bad_buffer(bad, len, expected);

    /* --info may still look inside: loaded, flagged. */
    mpf_image img;
    mpf_image_init(&img);
    mpf_error err = {0};
    mpf_load_options opt = {.accept_bad_crc = 1};
    assert_int_equal(load(&img, bad, len, &opt, &err), MPF_OK);
    assert_int_equal(img.count, 2);
    assert_int_equal(img.crc_ok, 0);
    assert_int_equal(img.crc_stored, 0x12345678u);
    assert_int_equal(img.crc_computed, right);
    /* A second, good file does not make the set look intact again. */
    assert_int_equal(mpf_load_dfuse(&img, good, len, "good.dfu", &opt, &err), MPF_OK);
    assert_int_equal(img.crc_ok, 0);
    assert_int_equal(img.count, 4);
    mpf_image_free(&img);
    free(good);
    free(bad);
}

static void test_signatures(void **state)
{
    (void)state;
    fixture_dfuse f;
    two_element_file(&f);
    f.targets[0].signature[5] = 'X';
    expect_bad(&f, "target 0: offset 11: signature is not \"Target\"");

    two_element_file(&f);
    memcpy(f.ufd, "UFX", 3);
    expect_bad(&f, "offset 333: no DFU suffix (expected \"UFD\", found 55 46 58)");

    /* A broken "DfuSe" with an intact suffix reads as a plain DFU file, which
     * says what it saw. */
    two_element_file(&f);
    memcpy(f.signature, "DfuSx", 5);
    expect_bad(&f, "no \"DfuSe\" signature at offset 0) has no load address");

    /* Neither signature nor suffix. */
    uint8_t junk[64];
    fixture_fill_random(junk, sizeof junk, 5);
    expect_bad_buffer(junk, sizeof junk, "offset 0: no \"DfuSe\" signature and no DFU suffix");
    expect_bad_buffer(junk, 0, "offset 0: the file is empty");
}

static void test_version_and_suffix_length(void **state)
{
    (void)state;
    fixture_dfuse f;
    two_element_file(&f);
    f.version = 2;
    expect_bad(&f, "offset 5: DfuSe bVersion is 2, only version 1 exists");

    two_element_file(&f);
    f.suffix_length = 15;
    expect_bad(&f, "offset 336: DFU suffix bLength is 15, expected 16");
}

static void test_image_size_off_by_one(void **state)
{
    (void)state;
    const uint32_t wrong[] = {FILE_LEN - 17, FILE_LEN - 15, FILE_LEN + 1, 0};
    for (size_t i = 0; i < sizeof wrong / sizeof wrong[0]; i++) {
        fixture_dfuse f;
        two_element_file(&f);
        f.image_size_mode = FIXTURE_IMAGE_SIZE_EXPLICIT;
        f.image_size_field = wrong[i];
        char expected[160];
        snprintf(expected, sizeof expected, "offset 6: DFUImageSize is %u but the file is %u bytes (%u without the DFU suffix)",
                 (unsigned)wrong[i], FILE_LEN, FILE_LEN - 16);
        expect_bad(&f, expected);
    }
}

static void test_target_counts(void **state)
{
    (void)state;
    fixture_dfuse f;
    two_element_file(&f);
    f.targets_override = 1;
    f.targets_field = 0;
    f.target_count = 0;
    expect_bad(&f, "offset 10: bTargets is 0; the file holds no firmware");

    two_element_file(&f);
    f.targets_override = 1;
    f.targets_field = 2;
    expect_bad(&f, "target 1: offset 325: the 274-byte target prefix runs past the DFU suffix at offset 325; "
                   "the file is truncated or bTargets (2) is wrong");

    /* bTargets says fewer than there are: the rest is trailing data. */
    two_element_file(&f);
    fixture_dfuse_add_element(fixture_dfuse_add_target(&f, 1, NULL), 0, elem_a, 8);
    f.targets_override = 1;
    f.targets_field = 1;
    expect_bad(&f, "offset 325: 290 bytes of unexpected data between the last target and the DFU suffix (bTargets is 1)");
}

static void test_element_sizes(void **state)
{
    (void)state;
    fixture_dfuse f;
    two_element_file(&f);
    f.targets[0].elements[1].size_override = 1;
    f.targets[0].elements[1].size_field = 17;
    expect_bad(&f, "target 0 element 1: offset 305: dwElementSize 17 runs past the end of the target (16 bytes left)");

    two_element_file(&f);
    f.targets[0].elements[0].size_override = 1;
    f.targets[0].elements[0].size_field = 0xFFFFFFFFu;
    expect_bad(&f, "target 0 element 0: offset 289: dwElementSize 4294967295 runs past the end of the target (32 bytes left)");

    /* Address + size wraps past the top of the address space. */
    two_element_file(&f);
    f.targets[0].elements[1].address = 0xFFFFFFF8u;
    expect_bad(&f, "target 0 element 1: offset 301: 16 bytes at 0xFFFFFFF8 run past 0xFFFFFFFF");
}

static void test_target_sizes(void **state)
{
    (void)state;
    fixture_dfuse f;
    two_element_file(&f);
    f.targets[0].size_override = 1;
    f.targets[0].size_field = 41; /* one past the suffix */
    expect_bad(&f, "target 0: offset 277: dwTargetSize 41 runs past the DFU suffix (40 bytes left)");

    two_element_file(&f);
    f.targets[0].size_override = 1;
    f.targets[0].size_field = 39; /* cuts the last element short */
    expect_bad(&f, "target 0 element 1: offset 305: dwElementSize 16 runs past the end of the target (15 bytes left)");

    /* Larger than the elements, but inside the file: left-over bytes. */
    static const uint8_t extra[8] = {0};
    two_element_file(&f);
    f.targets[0].size_override = 1;
    f.targets[0].size_field = 48;
    f.trailing = extra;
    f.trailing_len = sizeof extra;
    expect_bad(&f, "target 0: dwTargetSize is 48 but its 2 elements take 40 bytes (8 bytes left over at offset 325)");

    /* Element header cut by the target end. */
    two_element_file(&f);
    f.targets[0].size_override = 1;
    f.targets[0].size_field = 20;
    f.trailing = extra;
    f.trailing_len = 0;
    expect_bad(&f, "target 0 element 1: offset 301: the 8-byte element header runs past the end of the target (dwTargetSize 20)");
}

static void test_huge_element_count_fails_at_once(void **state)
{
    (void)state;
    fixture_dfuse f;
    two_element_file(&f);
    f.targets[0].count_override = 1;
    f.targets[0].count_field = 1000000;
    expect_bad(&f, "target 0: offset 281: dwNbElements 1000000 needs at least 8000000 bytes of element headers but dwTargetSize is 40");

    two_element_file(&f);
    f.targets[0].count_override = 1;
    f.targets[0].count_field = 0xFFFFFFFFu;
    expect_bad(&f, "dwNbElements 4294967295 needs at least 34359738360 bytes");
}

static void test_trailing_garbage(void **state)
{
    (void)state;
    static const uint8_t garbage[3] = {0xDE, 0xAD, 0x00};
    fixture_dfuse f;
    two_element_file(&f);
    f.trailing = garbage;
    f.trailing_len = sizeof garbage;
    expect_bad(&f, "offset 325: 3 bytes of unexpected data between the last target and the DFU suffix (bTargets is 1)");
}

/* Cut the file at every byte: nothing may be read past the cut, and the
 * message says what is missing. */
static void test_truncated_at_every_byte(void **state)
{
    (void)state;
    fixture_dfuse f;
    two_element_file(&f);
    size_t len = 0;
    uint8_t *full = fixture_dfuse_build(&f, &len);
    for (size_t cut = 0; cut < len; cut++) {
        /* A copy of exactly `cut` bytes, so ASan catches any over-read. */
        uint8_t *part = malloc(cut ? cut : 1);
        assert_non_null(part);
        memcpy(part, full, cut);
        const char *expected;
        if (cut == 0)
            expected = "offset 0: the file is empty";
        else if (cut < 11)
            expected = "the file ends inside the 11-byte DfuSe prefix; the file is truncated";
        else if (cut < 27)
            expected = "the file ends before its targets and the 16-byte DFU suffix; the file is truncated";
        else
            expected = "no DFU suffix (expected \"UFD\"";
        expect_bad_buffer(part, cut, expected);
        free(part);
    }
    free(full);
}

/* Cut the body at every header byte but give it a valid suffix and a
 * matching DFUImageSize: the structure checks alone must catch it. */
static void test_body_cut_at_every_header_byte_with_valid_suffix(void **state)
{
    (void)state;
    fixture_dfuse f;
    two_element_file(&f);
    size_t len = 0;
    uint8_t *full = fixture_dfuse_build(&f, &len);
    for (size_t cut = 11; cut < OFF_SUFFIX; cut++) {
        uint8_t *body = malloc(cut);
        assert_non_null(body);
        memcpy(body, full, cut);
        uint32_t image_size = (uint32_t)cut;
        body[6] = (uint8_t)image_size;
        body[7] = (uint8_t)(image_size >> 8);
        body[8] = 0;
        body[9] = 0;
        size_t cut_len = 0;
        uint8_t *file = fixture_dfu_plain_build(body, cut, 0x0483, 0xDF11, 0, &cut_len);
        assert_non_null(file);
        char expected[160];
        if (cut < OFF_ELEM0)
            snprintf(expected, sizeof expected,
                     "target 0: offset 11: the 274-byte target prefix runs past the DFU suffix at offset %zu", cut);
        else
            snprintf(expected, sizeof expected, "target 0: offset 277: dwTargetSize 40 runs past the DFU suffix (%zu bytes left)",
                     cut - OFF_ELEM0);
        expect_bad_buffer(file, cut_len, expected);
        free(file);
        free(body);
    }
    free(full);
}

static void test_failed_load_leaves_image_as_it_was(void **state)
{
    (void)state;
    mpf_image img;
    mpf_image_init(&img);
    mpf_error err = {0};
    assert_int_equal(mpf_image_add(&img, 0, 0x100, elem_a, 8, "earlier.bin", &err), MPF_OK);
    img.format = MPF_FORMAT_BIN;
    /* Target 0 loads fine, target 1 is broken: target 0's segments and name go too. */
    fixture_dfuse f;
    file_broken_in_second_target(&f);
    size_t len = 0;
    uint8_t *buf = fixture_dfuse_build(&f, &len);
    assert_int_equal(load(&img, buf, len, NULL, &err), MPF_ERR_INPUT);
    assert_message_has(&err, "target 1 element 0: offset 603: dwElementSize 16 runs past the end of the target (15 bytes left)");
    assert_int_equal(img.count, 1);
    assert_int_equal(img.target_count, 0);
    assert_int_equal(img.has_suffix, 0);
    assert_int_equal(img.format, MPF_FORMAT_BIN);
    assert_memory_equal(img.segments[0].data, elem_a, 8);
    mpf_image_free(&img);
    free(buf);
}

/* ---- loading from a buffer the loader takes (mpf_load_buffer_owned) ---- */

static mpf_err load_owned(mpf_image *img, const uint8_t *buf, size_t len, mpf_format *detected,
                          mpf_error *err)
{
    uint8_t *copy = malloc(len);
    assert_non_null(copy);
    memcpy(copy, buf, len);
    return mpf_load_buffer_owned(img, copy, len, "fw.dfu", NULL, detected, err);
}

static void assert_same_image(const mpf_image *a, const mpf_image *b)
{
    assert_int_equal(a->count, b->count);
    for (size_t i = 0; i < a->count; i++) {
        const mpf_segment *x = &a->segments[i], *y = &b->segments[i];
        assert_int_equal(x->alt, y->alt);
        assert_int_equal(x->address, y->address);
        assert_int_equal(x->size, y->size);
        assert_memory_equal(x->data, y->data, x->size);
        assert_string_equal(x->source, y->source);
    }
    assert_int_equal(a->target_count, b->target_count);
    for (size_t i = 0; i < a->target_count; i++) {
        assert_int_equal(a->targets[i].alt, b->targets[i].alt);
        assert_string_equal(a->targets[i].name, b->targets[i].name);
    }
    assert_int_equal(a->format, b->format);
    assert_int_equal(a->has_suffix, b->has_suffix);
    assert_int_equal(a->vid, b->vid);
    assert_int_equal(a->pid, b->pid);
    assert_int_equal(a->bcd_device, b->bcd_device);
    assert_int_equal(a->crc_ok, b->crc_ok);
    assert_int_equal(a->crc_stored, b->crc_stored);
}

static void test_owned_buffer_loads_the_same(void **state)
{
    (void)state;
    uint8_t big[600];
    fixture_fill_random(big, sizeof big, 31);
    /* The largest element first, in the middle and last: the others are
     * copied out before its bytes move to the front of the buffer. */
    for (int where = 0; where < 3; where++) {
        fixture_dfuse f;
        fixture_dfuse_init(&f);
        fixture_dfuse_target *t0 = fixture_dfuse_add_target(&f, 0, "Internal Flash");
        fixture_dfuse_target *t1 = fixture_dfuse_add_target(&f, 1, NULL);
        if (where == 0)
            fixture_dfuse_add_element(t0, 0x08020000u, big, sizeof big);
        fixture_dfuse_add_element(t0, 0x08000000u, elem_a, sizeof elem_a);
        if (where == 1)
            fixture_dfuse_add_element(t0, 0x08020000u, big, sizeof big);
        fixture_dfuse_add_element(t1, 0x1FFFC000u, elem_b, sizeof elem_b);
        if (where == 2)
            fixture_dfuse_add_element(t1, 0x08020000u, big, sizeof big);
        size_t len = 0;
        uint8_t *buf = fixture_dfuse_build(&f, &len);
        assert_non_null(buf);
        mpf_image want, got;
        mpf_image_init(&want);
        mpf_image_init(&got);
        mpf_error err = {0};
        mpf_format detected = MPF_FORMAT_UNKNOWN;
        assert_int_equal(load(&want, buf, len, NULL, &err), MPF_OK);
        assert_int_equal(load_owned(&got, buf, len, &detected, &err), MPF_OK);
        assert_int_equal(detected, MPF_FORMAT_DFUSE);
        assert_int_equal(got.count, 3);
        assert_same_image(&got, &want);
        mpf_image_free(&want);
        mpf_image_free(&got);
        free(buf);
    }
}

static void test_owned_plain_dfu_file(void **state)
{
    (void)state;
    size_t len = 0;
    uint8_t *buf = fixture_dfu_plain_build(elem_b, sizeof elem_b, 0x0483, 0xDF11, 0x0200, &len);
    assert_non_null(buf);
    mpf_load_options opt = {.has_address = 1, .address = 0x08004000u, .alt = 2};
    mpf_image img;
    mpf_image_init(&img);
    mpf_error err = {0};
    mpf_format detected = MPF_FORMAT_UNKNOWN;
    /* The buffer is the segment, cut before the suffix. */
    assert_int_equal(mpf_load_buffer_owned(&img, buf, len, "fw.dfu", &opt, &detected, &err), MPF_OK);
    assert_int_equal(detected, MPF_FORMAT_DFU);
    assert_only_segment(&img, 2, 0x08004000u, elem_b, sizeof elem_b);
    assert_int_equal(img.bcd_device, 0x0200);
    assert_int_equal(img.format, MPF_FORMAT_DFU);
    mpf_image_free(&img);
}

static void test_owned_failed_load_leaves_image_as_it_was(void **state)
{
    (void)state;
    mpf_image img;
    mpf_image_init(&img);
    mpf_error err = {0};
    assert_int_equal(mpf_image_add(&img, 0, 0x100, elem_a, 8, "earlier.bin", &err), MPF_OK);
    assert_int_equal(mpf_image_add_target_name(&img, 5, "kept", &err), MPF_OK);
    img.format = MPF_FORMAT_BIN;
    fixture_dfuse f;
    file_broken_in_second_target(&f);
    size_t len = 0;
    uint8_t *buf = fixture_dfuse_build(&f, &len);
    assert_non_null(buf);
    /* The loader frees its copy: ASan reports a leak otherwise. */
    assert_int_equal(load_owned(&img, buf, len, NULL, &err), MPF_ERR_INPUT);
    assert_string_equal(err.message, "fw.dfu: target 1 element 0: offset 603: dwElementSize 16 runs past the end of the target (15 bytes left); the file is truncated or damaged");
    assert_int_equal(img.count, 1);
    assert_memory_equal(img.segments[0].data, elem_a, 8);
    assert_int_equal(img.target_count, 1);
    assert_string_equal(img.targets[0].name, "kept");
    assert_int_equal(img.has_suffix, 0);
    assert_int_equal(img.format, MPF_FORMAT_BIN);
    free(buf);

    /* Nowhere to load into: the buffer is still freed. */
    uint8_t *orphan = malloc(16);
    assert_non_null(orphan);
    assert_int_equal(mpf_load_buffer_owned(NULL, orphan, 16, "fw.dfu", NULL, NULL, &err), MPF_ERR_USAGE);
    assert_string_equal(err.message, "mpf_load_buffer_owned: img and buf must not be NULL");
    mpf_image_free(&img);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_loads_two_elements_exactly),
        cmocka_unit_test(test_several_targets_and_alts),
        cmocka_unit_test(test_padding_and_empty_elements_kept_as_they_are),
        cmocka_unit_test(test_unterminated_255_char_name),
        cmocka_unit_test(test_element_ending_on_last_address),
        cmocka_unit_test(test_plain_dfu_file),
        cmocka_unit_test(test_wrong_crc),
        cmocka_unit_test(test_signatures),
        cmocka_unit_test(test_version_and_suffix_length),
        cmocka_unit_test(test_image_size_off_by_one),
        cmocka_unit_test(test_target_counts),
        cmocka_unit_test(test_element_sizes),
        cmocka_unit_test(test_target_sizes),
        cmocka_unit_test(test_huge_element_count_fails_at_once),
        cmocka_unit_test(test_trailing_garbage),
        cmocka_unit_test(test_truncated_at_every_byte),
        cmocka_unit_test(test_body_cut_at_every_header_byte_with_valid_suffix),
        cmocka_unit_test(test_failed_load_leaves_image_as_it_was),
        cmocka_unit_test(test_owned_buffer_loads_the_same),
        cmocka_unit_test(test_owned_plain_dfu_file),
        cmocka_unit_test(test_owned_failed_load_leaves_image_as_it_was),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
