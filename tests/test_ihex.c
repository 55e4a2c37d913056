/* Intel HEX loader and writer: placement for every record type, coalescing of
 * consecutive records, line endings, exact error messages with line
 * numbers, exact writer output and round trips. */
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

static mpf_err load_text(mpf_image *img, const char *text, mpf_error *err)
{
    mpf_load_options opt = {0};
    return mpf_load_ihex(img, (const uint8_t *)text, strlen(text), "t.hex", &opt, err);
}

/* Loading must fail with MPF_ERR_INPUT, this message and no segments. */
static void expect_input_error(const char *text, const char *message)
{
    mpf_image img;
    mpf_image_init(&img);
    mpf_error err = {0};
    assert_int_equal(load_text(&img, text, &err), MPF_ERR_INPUT);
    assert_int_equal(err.code, MPF_ERR_INPUT);
    if (!strstr(err.message, message))
        fail_msg("message \"%s\" lacks \"%s\"", err.message, message);
    assert_int_equal(img.count, 0);
    assert_int_equal(img.format, MPF_FORMAT_UNKNOWN);
    mpf_image_free(&img);
}

static void assert_segment(const mpf_segment *s, uint32_t address, const uint8_t *bytes, size_t size)
{
    assert_int_equal(s->address, address);
    assert_int_equal(s->size, size);
    assert_memory_equal(s->data, bytes, size);
}

static void assert_images_equal(const mpf_image *a, const mpf_image *b)
{
    char why[200];
    if (!fixture_same_segments(a, b, why, sizeof why))
        fail_msg("%s", why);
}

/* ---- loading ------------------------------------------------------------ */

static void linear_records_coalesce_into_one_run(void **state)
{
    (void)state;
    mpf_image img;
    mpf_image_init(&img);
    mpf_error err = {0};
    const char *text = ":020000040800F2\n"
                       ":040000001122334452\n"
                       ":0200040055663F\n"
                       ":00000001FF\n";
    assert_int_equal(load_text(&img, text, &err), MPF_OK);
    assert_int_equal(img.format, MPF_FORMAT_IHEX);
    assert_int_equal(img.count, 1);
    const uint8_t want[] = {0x11, 0x22, 0x33, 0x44, 0x55, 0x66};
    assert_segment(&img.segments[0], 0x08000000u, want, sizeof want);
    assert_int_equal(img.segments[0].alt, 0);
    assert_string_equal(img.segments[0].source, "t.hex lines 2-3");
    mpf_image_free(&img);
}

static void alt_comes_from_options(void **state)
{
    (void)state;
    mpf_image img;
    mpf_image_init(&img);
    mpf_load_options opt = {0};
    opt.alt = 2;
    const char *text = ":040000001122334452\n:00000001FF\n";
    assert_int_equal(mpf_load_ihex(&img, (const uint8_t *)text, strlen(text), "t.hex", &opt, NULL),
                     MPF_OK);
    assert_int_equal(img.count, 1);
    assert_int_equal(img.segments[0].alt, 2);
    assert_int_equal(img.segments[0].address, 0);
    assert_string_equal(img.segments[0].source, "t.hex line 1");
    mpf_image_free(&img);
}

static void gap_starts_a_new_run(void **state)
{
    (void)state;
    mpf_image img;
    mpf_image_init(&img);
    /* 0x0000..0x0003, then 0x0010..0x0011 (not touching) */
    const char *text = ":040000001122334452\n"
                       ":02001000AABB89\n"
                       ":00000001FF\n";
    assert_int_equal(load_text(&img, text, NULL), MPF_OK);
    assert_int_equal(img.count, 2);
    const uint8_t a[] = {0x11, 0x22, 0x33, 0x44}, b[] = {0xAA, 0xBB};
    assert_segment(&img.segments[0], 0x0, a, 4);
    assert_segment(&img.segments[1], 0x10, b, 2);
    mpf_image_free(&img);
}

static void extended_segment_address_shifts_by_four(void **state)
{
    (void)state;
    mpf_image img;
    mpf_image_init(&img);
    const char *text = ":020000021000EC\n"
                       ":02001000AABB89\n"
                       ":00000001FF\n";
    assert_int_equal(load_text(&img, text, NULL), MPF_OK);
    assert_int_equal(img.count, 1);
    const uint8_t b[] = {0xAA, 0xBB};
    assert_segment(&img.segments[0], 0x10010u, b, 2);
    mpf_image_free(&img);
}

static void segment_record_wraps_inside_its_segment(void **state)
{
    (void)state;
    mpf_image img;
    mpf_image_init(&img);
    /* base 0x10000, offset 0xFFFE, 4 bytes: 2 at 0x1FFFE, 2 wrap to 0x10000 */
    const char *text = ":020000021000EC\n"
                       ":04FFFE0001020304F5\n"
                       ":00000001FF\n";
    assert_int_equal(load_text(&img, text, NULL), MPF_OK);
    assert_int_equal(img.count, 2);
    const uint8_t lo[] = {1, 2}, hi[] = {3, 4};
    assert_segment(&img.segments[0], 0x1FFFEu, lo, 2);
    assert_segment(&img.segments[1], 0x10000u, hi, 2);
    mpf_image_free(&img);
}

static void linear_record_continues_across_64k(void **state)
{
    (void)state;
    mpf_image img;
    mpf_image_init(&img);
    const char *text = ":020000040800F2\n"
                       ":04FFFE0001020304F5\n"
                       ":00000001FF\n";
    assert_int_equal(load_text(&img, text, NULL), MPF_OK);
    assert_int_equal(img.count, 1);
    const uint8_t b[] = {1, 2, 3, 4};
    assert_segment(&img.segments[0], 0x0800FFFEu, b, 4);
    mpf_image_free(&img);
}

static void start_address_records_place_nothing(void **state)
{
    (void)state;
    mpf_image img;
    mpf_image_init(&img);
    const char *text = ":0400000300001234B3\n"
                       ":040000001122334452\n"
                       ":0400000508000101ED\n"
                       ":00000001FF\n";
    assert_int_equal(load_text(&img, text, NULL), MPF_OK);
    assert_int_equal(img.count, 1);
    const uint8_t a[] = {0x11, 0x22, 0x33, 0x44};
    assert_segment(&img.segments[0], 0x0, a, 4);
    /* ... but the first of them is the entry point, for information. */
    assert_int_equal(img.has_entry, 1);
    assert_int_equal(img.entry, 0x1234u);
    mpf_image_free(&img);
}

static void start_address_records_give_the_entry_point(void **state)
{
    (void)state;
    static const struct {
        const char *record;
        uint32_t entry;
    } cases[] = {
        {":0400000508020101EB\n", 0x08020101u}, /* EIP, as objcopy writes for Cortex-M */
        {":04000005FFFFFFFFFB\n", 0xFFFFFFFFu},
        {":0400000300000000F9\n", 0x00000000u}, /* an explicit 0 is still an entry */
        {":0400000310000234B3\n", 0x00010234u}, /* CS 0x1000 : IP 0x0234 */
        {":04000003FFFFFFFFFD\n", 0x0010FFEFu}, /* the largest CS:IP */
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char text[128];
        snprintf(text, sizeof text, ":040000001122334452\n%s:00000001FF\n", cases[i].record);
        mpf_image img;
        mpf_image_init(&img);
        mpf_error err = {0};
        if (load_text(&img, text, &err) != MPF_OK)
            fail_msg("case %zu: %s", i, err.message);
        assert_int_equal(img.has_entry, 1);
        assert_int_equal(img.entry, cases[i].entry);
        mpf_image_free(&img);
    }

    /* No start record, no entry; a later file's entry then counts, and the
     * first file's stays when both have one. */
    mpf_image img;
    mpf_image_init(&img);
    assert_int_equal(load_text(&img, ":040000001122334452\n:00000001FF\n", NULL), MPF_OK);
    assert_int_equal(img.has_entry, 0);
    assert_int_equal(load_text(&img, ":0400000508020101EB\n:040000001122334452\n:00000001FF\n", NULL), MPF_OK);
    assert_int_equal(img.entry, 0x08020101u);
    assert_int_equal(load_text(&img, ":04000005FFFFFFFFFB\n:040000001122334452\n:00000001FF\n", NULL), MPF_OK);
    assert_int_equal(img.entry, 0x08020101u);
    mpf_image_free(&img);

    /* A failed load records nothing, and a start record of the wrong size is an error. */
    mpf_image_init(&img);
    assert_int_equal(load_text(&img, ":0400000508020101EB\n:040000001122334453\n:00000001FF\n", NULL),
                     MPF_ERR_INPUT);
    assert_int_equal(img.has_entry, 0);
    mpf_image_free(&img);
    expect_input_error(":03000005080201ED\n:00000001FF\n",
                       "t.hex line 1: start linear address record carries 3 data bytes, it must carry 4");
}

static void line_endings_blank_lines_and_lowercase(void **state)
{
    (void)state;
    const char *variants[] = {
        ":020000040800F2\r\n:040000001122334452\r\n\r\n:00000001FF\r\n",
        ":020000040800F2\r:040000001122334452\r\r:00000001FF\r",
        ":020000040800F2\n\n  \t\n:040000001122334452  \n:00000001FF",
        ":020000040800f2\n:040000001122334452\n:00000001ff\n \r\n\t\n",
        "\xEF\xBB\xBF:020000040800F2\n:040000001122334452\n:00000001FF\n", /* UTF-8 BOM */
    };
    const uint8_t want[] = {0x11, 0x22, 0x33, 0x44};
    for (size_t i = 0; i < sizeof variants / sizeof *variants; i++) {
        mpf_image img;
        mpf_image_init(&img);
        mpf_error err = {0};
        if (load_text(&img, variants[i], &err) != MPF_OK)
            fail_msg("variant %zu: %s", i, err.message);
        assert_int_equal(img.count, 1);
        assert_segment(&img.segments[0], 0x08000000u, want, 4);
        mpf_image_free(&img);
    }
}

/* text with every '\n' replaced by ending ("\r" or "\r\n"); malloc'd. */
static char *with_line_endings(const char *text, const char *ending, size_t *len)
{
    size_t lines = 0, n = strlen(text), e = strlen(ending);
    for (size_t i = 0; i < n; i++)
        lines += text[i] == '\n';
    char *out = malloc(n + lines * (e - 1) + 1);
    assert_non_null(out);
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        if (text[i] == '\n') {
            memcpy(out + o, ending, e);
            o += e;
        } else {
            out[o++] = text[i];
        }
    }
    out[o] = '\0';
    *len = o;
    return out;
}

/* A whole firmware file, not just a few records: LF, CRLF and CR-only
 * copies are detected as HEX and load to the same segments with the same
 * line numbers in their sources. */
static void whole_file_loads_the_same_with_any_line_ending(void **state)
{
    (void)state;
    mpf_image img;
    mpf_image_init(&img);
    assert_int_equal(fixture_micropython_image(&img, 4096, 7), 0);
    char *lf = NULL;
    size_t lf_len = 0;
    mpf_error err = {0};
    assert_int_equal(mpf_write_ihex(&img, &lf, &lf_len, &err), MPF_OK);
    assert_non_null(memchr(lf, '\n', lf_len));
    assert_null(memchr(lf, '\r', lf_len));
    const char *endings[] = {"\n", "\r\n", "\r"};
    mpf_image first;
    mpf_image_init(&first);
    for (size_t i = 0; i < sizeof endings / sizeof *endings; i++) {
        size_t len = 0;
        char *text = with_line_endings(lf, endings[i], &len);
        mpf_image got;
        mpf_image_init(&got);
        mpf_format detected = MPF_FORMAT_UNKNOWN;
        if (mpf_load_buffer(&got, (const uint8_t *)text, len, "t.hex", NULL, &detected, &err) != MPF_OK)
            fail_msg("ending %zu: %s", i, err.message);
        assert_int_equal(detected, MPF_FORMAT_IHEX);
        assert_int_equal(mpf_image_normalize(&got, &err), MPF_OK);
        assert_images_equal(&got, &img);
        if (i == 0) {
            first = got;
        } else {
            for (size_t k = 0; k < got.count; k++)
                assert_string_equal(got.segments[k].source, first.segments[k].source);
            mpf_image_free(&got);
        }
        free(text);
    }
    mpf_image_free(&first);
    free(lf);
    mpf_image_free(&img);
}

static void line_numbers_count_every_ending_style(void **state)
{
    (void)state;
    /* CR, CRLF, LF and a blank line before the bad record on line 5 */
    expect_input_error(":020000040800F2\r:040000001122334452\r\n\n:0200040055663F\n:0200040055663E\n",
                       "t.hex line 5: checksum is 0x3F, the record says 0x3E");
}

static void failed_load_leaves_image_as_it_was(void **state)
{
    (void)state;
    mpf_image img;
    mpf_image_init(&img);
    const uint8_t keep[] = {9, 8, 7};
    assert_int_equal(mpf_image_add(&img, 0, 0x20000000u, keep, 3, "earlier", NULL), MPF_OK);
    mpf_error err = {0};
    /* a complete run is flushed before the error on line 4 */
    const char *text = ":040000001122334452\n"
                       ":02001000AABB89\n"
                       ":0200040055663F\n"
                       ":0200040055663\n";
    assert_int_equal(load_text(&img, text, &err), MPF_ERR_INPUT);
    assert_non_null(strstr(err.message, "t.hex line 4: odd number of hex digits (13)"));
    assert_int_equal(img.count, 1);
    assert_segment(&img.segments[0], 0x20000000u, keep, 3);
    mpf_image_free(&img);
}

/* ---- malformed input ----------------------------------------------------- */

static void bad_checksum(void **state)
{
    (void)state;
    expect_input_error(":020000040800F2\n:040000001122334453\n:00000001FF\n",
                       "t.hex line 2: checksum is 0x52, the record says 0x53");
}

static void length_field_disagrees_with_line(void **state)
{
    (void)state;
    /* says 5 data bytes, holds 4 */
    expect_input_error(":050000001122334452\n:00000001FF\n",
                       "t.hex line 1: the record says 5 data bytes but the line holds 4");
    /* says 3 data bytes, holds 4 */
    expect_input_error(":030000001122334452\n:00000001FF\n",
                       "t.hex line 1: the record says 3 data bytes but the line holds 4");
}

static void non_hex_character(void **state)
{
    (void)state;
    expect_input_error(":02000004080G00F2\n:00000001FF\n",
                       "t.hex line 1: character 0x47 at column 13 is not a hex digit");
    expect_input_error(":040000001122 334452\n:00000001FF\n",
                       "t.hex line 1: character 0x20 at column 14 is not a hex digit");
}

static void odd_number_of_digits(void **state)
{
    (void)state;
    expect_input_error(":020000040800F\n:00000001FF\n",
                       "t.hex line 1: odd number of hex digits (13)");
}

static void too_short_record(void **state)
{
    (void)state;
    expect_input_error(":00000001\n", "t.hex line 1: record is 4 bytes, shorter than the 5 bytes");
    expect_input_error(":\n:00000001FF\n", "t.hex line 1: record is 0 bytes");
}

static void missing_colon(void **state)
{
    (void)state;
    expect_input_error(":040000001122334452\n040000001122334452\n:00000001FF\n",
                       "t.hex line 2: a record must start with ':' but starts with 0x30");
}

static void unknown_record_type(void **state)
{
    (void)state;
    expect_input_error(":040000001122334452\n:00000006FA\n:00000001FF\n",
                       "t.hex line 2: unknown record type 0x06");
}

static void missing_eof_record(void **state)
{
    (void)state;
    expect_input_error(":020000040800F2\n:040000001122334452\n",
                       "t.hex: no end-of-file record (:00000001FF) after line 2");
    expect_input_error("", "t.hex: no end-of-file record (:00000001FF) after line 0");
}

static void data_after_eof_record(void **state)
{
    (void)state;
    expect_input_error(":040000001122334452\n:00000001FF\n\n:040000001122334452\n",
                       "t.hex line 4: data after the end-of-file record of line 2 (byte 0x3A)");
    expect_input_error(":040000001122334452\n:00000001FF\n\x1a",
                       "t.hex line 3: data after the end-of-file record of line 2 (byte 0x1A)");
}

static void record_sizes_are_fixed_for_control_records(void **state)
{
    (void)state;
    expect_input_error(":0100000101FD\n",
                       "t.hex line 1: end-of-file record carries 1 data bytes, it must carry 0");
    expect_input_error(":0100000408F3\n:00000001FF\n",
                       "t.hex line 1: extended linear address record carries 1 data bytes, it must carry 2");
}

static void data_wrapping_past_4g(void **state)
{
    (void)state;
    /* 0xFFFFFFFE + 3 bytes runs one byte past the top */
    expect_input_error(":02000004FFFFFC\n:03FFFE00010203FA\n:00000001FF\n",
                       "t.hex line 2: 3 data bytes at 0xFFFFFFFE run past 0xFFFFFFFF");
    /* ending exactly at 0xFFFFFFFF is fine */
    mpf_image img;
    mpf_image_init(&img);
    assert_int_equal(load_text(&img, ":02000004FFFFFC\n:03FFFD00010203FB\n:00000001FF\n", NULL), MPF_OK);
    const uint8_t b[] = {1, 2, 3};
    assert_int_equal(img.count, 1);
    assert_segment(&img.segments[0], 0xFFFFFFFDu, b, 3);
    mpf_image_free(&img);
}

static void no_data_records(void **state)
{
    (void)state;
    expect_input_error(":020000040800F2\n:00000001FF\n",
                       "t.hex: the file holds no data records; there is nothing to flash");
}

/* ---- writing ------------------------------------------------------------- */

static void writer_exact_text_across_64k(void **state)
{
    (void)state;
    mpf_image img;
    mpf_image_init(&img);
    uint8_t bytes[20];
    for (int i = 0; i < 20; i++)
        bytes[i] = (uint8_t)i;
    assert_int_equal(mpf_image_add(&img, 0, 0x0800FFF8u, bytes, 20, "x", NULL), MPF_OK);
    char *text = NULL;
    size_t len = 0;
    assert_int_equal(mpf_write_ihex(&img, &text, &len, NULL), MPF_OK);
    const char *want = ":020000040800F2\n"
                       ":08FFF8000001020304050607E5\n"
                       ":020000040801F1\n"
                       ":0C00000008090A0B0C0D0E0F1011121352\n"
                       ":00000001FF\n";
    assert_string_equal(text, want);
    assert_int_equal(len, strlen(want));
    free(text);
    mpf_image_free(&img);
}

static void writer_16_bytes_per_line_and_jumps(void **state)
{
    (void)state;
    mpf_image img;
    mpf_image_init(&img);
    uint8_t a[40], b[3];
    fixture_fill_random(a, sizeof a, 7);
    fixture_fill_random(b, sizeof b, 8);
    assert_int_equal(mpf_image_add(&img, 0, 0x08000000u, a, sizeof a, "a", NULL), MPF_OK);
    assert_int_equal(mpf_image_add(&img, 0, 0x08000100u, b, sizeof b, "b", NULL), MPF_OK);
    assert_int_equal(mpf_image_add(&img, 0, 0x08020000u, b, sizeof b, "c", NULL), MPF_OK);
    char *text = NULL;
    size_t len = 0;
    assert_int_equal(mpf_write_ihex(&img, &text, &len, NULL), MPF_OK);
    /* 04, 16+16+8 bytes, 3 bytes (same 64 KiB: no 04), 04, 3 bytes, EOF */
    size_t lines = 0, type04 = 0;
    const char *p = text;
    while (*p) {
        const char *nl = strchr(p, '\n');
        assert_non_null(nl);
        if (strncmp(p + 7, "04", 2) == 0)
            type04++;
        lines++;
        p = nl + 1;
    }
    assert_int_equal(lines, 8);
    assert_int_equal(type04, 2);
    assert_non_null(strstr(text, ":020000040802F0\n:03000000"));
    assert_memory_equal(text + len - 13, "\n:00000001FF\n", 13);
    for (size_t i = 0; i < len; i++)
        assert_false(text[i] >= 'a' && text[i] <= 'f');

    mpf_image back;
    mpf_image_init(&back);
    assert_int_equal(mpf_load_ihex(&back, (const uint8_t *)text, len, "r.hex", NULL, NULL), MPF_OK);
    assert_int_equal(back.count, 3);
    assert_segment(&back.segments[0], 0x08000000u, a, sizeof a);
    assert_segment(&back.segments[1], 0x08000100u, b, sizeof b);
    assert_segment(&back.segments[2], 0x08020000u, b, sizeof b);
    free(text);
    mpf_image_free(&back);
    mpf_image_free(&img);
}

static void writer_empty_image_is_just_eof(void **state)
{
    (void)state;
    mpf_image img;
    mpf_image_init(&img);
    char *text = NULL;
    size_t len = 0;
    assert_int_equal(mpf_write_ihex(&img, &text, &len, NULL), MPF_OK);
    assert_string_equal(text, ":00000001FF\n");
    assert_int_equal(len, 12);
    free(text);
}

static void writer_refuses_other_alt_settings(void **state)
{
    (void)state;
    mpf_image img;
    mpf_image_init(&img);
    const uint8_t b[] = {1, 2, 3, 4};
    assert_int_equal(mpf_image_add(&img, 0, 0x08000000u, b, 4, "fw.dfu: target 0 element 0", NULL), MPF_OK);
    assert_int_equal(mpf_image_add(&img, 1, 0x1FFFC000u, b, 4, "fw.dfu: target 1 element 0", NULL), MPF_OK);
    char *text = (char *)&img; /* must be reset to NULL on failure */
    size_t len = 99;
    mpf_error err = {0};
    assert_int_equal(mpf_write_ihex(&img, &text, &len, &err), MPF_ERR_INPUT);
    assert_null(text);
    assert_int_equal(len, 0);
    assert_string_equal(err.message,
                        "fw.dfu: target 1 element 0: 4 bytes at 0x1FFFC000 are for alt setting 1, "
                        "but Intel HEX has no alt settings and can only hold alt 0; write a .dfu file instead");
    mpf_image_free(&img);
}

static void round_trip(mpf_image *img)
{
    char *text = NULL;
    size_t len = 0;
    mpf_error err = {0};
    assert_int_equal(mpf_write_ihex(img, &text, &len, &err), MPF_OK);
    assert_int_equal(strlen(text), len);
    mpf_image back;
    mpf_image_init(&back);
    if (mpf_load_ihex(&back, (const uint8_t *)text, len, "rt.hex", NULL, &err) != MPF_OK)
        fail_msg("%s", err.message);
    assert_int_equal(mpf_image_normalize(&back, &err), MPF_OK);
    assert_images_equal(img, &back);
    free(text);
    mpf_image_free(&back);
}

static void round_trip_micropython_image(void **state)
{
    (void)state;
    mpf_image img;
    mpf_image_init(&img);
    assert_int_equal(fixture_micropython_image(&img, 0, 42), 0);
    round_trip(&img);
    mpf_image_free(&img);
}

static void round_trip_odd_sizes_and_boundaries(void **state)
{
    (void)state;
    static const struct {
        uint32_t address;
        size_t size;
    } shapes[] = {
        {0x00000000u, 1},     {0x0000FFFFu, 2},      {0x0001FFF1u, 0x10010u},
        {0x08003FFDu, 35},    {0x0800FFFFu, 1},      {0x08010000u, 17},
        {0xFFFFFFF0u, 16},
    };
    mpf_image img;
    mpf_image_init(&img);
    for (size_t i = 0; i < sizeof shapes / sizeof *shapes; i++) {
        uint8_t *b = malloc(shapes[i].size);
        assert_non_null(b);
        fixture_fill_random(b, shapes[i].size, (uint32_t)i + 100);
        assert_int_equal(mpf_image_add_owned(&img, 0, shapes[i].address, b, shapes[i].size, "s", NULL),
                         MPF_OK);
    }
    assert_int_equal(mpf_image_normalize(&img, NULL), MPF_OK);
    round_trip(&img);
    mpf_image_free(&img);
}

static void large_file_loads_as_one_segment(void **state)
{
    (void)state;
    mpf_image img;
    mpf_image_init(&img);
    const size_t size = 2u * 1024 * 1024;
    uint8_t *b = malloc(size);
    assert_non_null(b);
    fixture_fill_random(b, size, 3);
    assert_int_equal(mpf_image_add_owned(&img, 0, 0x08000000u, b, size, "big", NULL), MPF_OK);
    char *text = NULL;
    size_t len = 0;
    assert_int_equal(mpf_write_ihex(&img, &text, &len, NULL), MPF_OK);
    /* 131,072 data lines of 44 chars, 32 type-04 lines of 16, EOF of 12 */
    assert_int_equal(len, 131072u * 44 + 32u * 16 + 12);
    mpf_image back;
    mpf_image_init(&back);
    assert_int_equal(mpf_load_ihex(&back, (const uint8_t *)text, len, "big.hex", NULL, NULL), MPF_OK);
    assert_int_equal(back.count, 1); /* before any normalize */
    assert_string_equal(back.segments[0].source, "big.hex lines 2-131104");
    assert_images_equal(&img, &back);
    free(text);
    mpf_image_free(&back);
    mpf_image_free(&img);
}

static void long_path_keeps_the_line_numbers_in_sources(void **state)
{
    (void)state;
    char name[160];
    memset(name, 'd', sizeof name);
    memcpy(name + sizeof name - 7, "/t.hex", 7);
    const char *text = ":040000001122334452\n:04000400556677883E\n:00000001FF\n";
    mpf_image img;
    mpf_image_init(&img);
    assert_int_equal(mpf_load_ihex(&img, (const uint8_t *)text, strlen(text), name, NULL, NULL), MPF_OK);
    const char *src = img.segments[0].source;
    assert_int_equal(strlen(src), MPF_SOURCE_MAX - 1);
    assert_string_equal(src + strlen(src) - strlen("/t.hex lines 1-2"), "/t.hex lines 1-2");
    mpf_image_free(&img);
}

static void owned_buffer_loads_the_same(void **state)
{
    (void)state;
    const char *text = ":020000040800F2\r:040000001122334452\r:0400000508000101ED\r:00000001FF\r";
    size_t len = strlen(text);
    char *copy = malloc(len);
    assert_non_null(copy);
    memcpy(copy, text, len);
    mpf_image img;
    mpf_image_init(&img);
    mpf_error err = {0};
    mpf_format detected = MPF_FORMAT_UNKNOWN;
    /* CR-only line endings: detected as HEX, not raw binary. */
    assert_int_equal(mpf_load_buffer_owned(&img, (uint8_t *)copy, len, "t.hex", NULL, &detected, &err), MPF_OK);
    assert_int_equal(detected, MPF_FORMAT_IHEX);
    assert_int_equal(img.count, 1);
    assert_segment(&img.segments[0], 0x08000000u, (const uint8_t[]){0x11, 0x22, 0x33, 0x44}, 4);
    assert_string_equal(img.segments[0].source, "t.hex line 2");
    assert_int_equal(img.entry, 0x08000101u);
    assert_int_equal(img.format, MPF_FORMAT_IHEX);

    /* A failure frees the buffer as well (ASan reports a leak otherwise). */
    const char *bad = ":0400000011223G4452\n:00000001FF\n";
    len = strlen(bad);
    copy = malloc(len);
    assert_non_null(copy);
    memcpy(copy, bad, len);
    assert_int_equal(mpf_load_buffer_owned(&img, (uint8_t *)copy, len, "t.hex", NULL, &detected, &err),
                     MPF_ERR_INPUT);
    assert_int_equal(detected, MPF_FORMAT_IHEX);
    assert_string_equal(err.message, "t.hex line 1: character 0x47 at column 15 is not a hex digit");
    assert_int_equal(img.count, 1);
    mpf_image_free(&img);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(linear_records_coalesce_into_one_run),
        cmocka_unit_test(alt_comes_from_options),
        cmocka_unit_test(gap_starts_a_new_run),
        cmocka_unit_test(extended_segment_address_shifts_by_four),
        cmocka_unit_test(segment_record_wraps_inside_its_segment),
        cmocka_unit_test(linear_record_continues_across_64k),
        cmocka_unit_test(start_address_records_place_nothing),
        cmocka_unit_test(start_address_records_give_the_entry_point),
        cmocka_unit_test(line_endings_blank_lines_and_lowercase),
        cmocka_unit_test(whole_file_loads_the_same_with_any_line_ending),
        cmocka_unit_test(line_numbers_count_every_ending_style),
        cmocka_unit_test(failed_load_leaves_image_as_it_was),
        cmocka_unit_test(bad_checksum),
        cmocka_unit_test(length_field_disagrees_with_line),
        cmocka_unit_test(non_hex_character),
        cmocka_unit_test(odd_number_of_digits),
        cmocka_unit_test(too_short_record),
        cmocka_unit_test(missing_colon),
        cmocka_unit_test(unknown_record_type),
        cmocka_unit_test(missing_eof_record),
        cmocka_unit_test(data_after_eof_record),
        cmocka_unit_test(record_sizes_are_fixed_for_control_records),
        cmocka_unit_test(data_wrapping_past_4g),
        cmocka_unit_test(no_data_records),
        cmocka_unit_test(writer_exact_text_across_64k),
        cmocka_unit_test(writer_16_bytes_per_line_and_jumps),
        cmocka_unit_test(writer_empty_image_is_just_eof),
        cmocka_unit_test(writer_refuses_other_alt_settings),
        cmocka_unit_test(round_trip_micropython_image),
        cmocka_unit_test(round_trip_odd_sizes_and_boundaries),
        cmocka_unit_test(large_file_loads_as_one_segment),
        cmocka_unit_test(long_path_keeps_the_line_numbers_in_sources),
        cmocka_unit_test(owned_buffer_loads_the_same),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
