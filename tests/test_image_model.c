/* The image model core (image.c): copying and ownership, the 32-bit address
 * limit, and normalisation — ordering, merging of touching and identical
 * overlapping segments, conflicts, alt settings kept apart. Also the slice
 * lists loaders commit into an image (slices.c), copied or in place. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../src/image/slices.h"
#include "fixtures.h"
#include "mpflash/image.h"

static void assert_message_has(const mpf_error *err, const char *part)
{
    if (!strstr(err->message, part))
        fail_msg("message \"%s\" lacks \"%s\"", err->message, part);
}

static void assert_segment(const mpf_segment *s, uint8_t alt, uint32_t address, const uint8_t *bytes,
                           size_t size)
{
    assert_int_equal(s->alt, alt);
    assert_int_equal(s->address, address);
    assert_int_equal(s->size, size);
    assert_memory_equal(s->data, bytes, size);
}

static void add(mpf_image *img, uint8_t alt, uint32_t address, const uint8_t *data, size_t size,
                const char *source)
{
    mpf_error err = {0};
    assert_int_equal(mpf_image_add(img, alt, address, data, size, source, &err), MPF_OK);
}

static void test_add_copies_and_ignores_empty(void **state)
{
    (void)state;
    mpf_image img;
    mpf_image_init(&img);
    uint8_t data[4] = {1, 2, 3, 4};
    add(&img, 0, 0x08000000, data, 4, "a");
    add(&img, 0, 0x08001000, data, 0, "empty");
    data[0] = 0xEE; /* the image holds its own copy */
    assert_int_equal(img.count, 1);
    assert_segment(&img.segments[0], 0, 0x08000000, (const uint8_t[]){1, 2, 3, 4}, 4);
    assert_string_equal(img.segments[0].source, "a");
    assert_int_equal(mpf_image_total_size(&img), 4);
    assert_int_equal(img.format, MPF_FORMAT_UNKNOWN);
    mpf_image_free(&img);
    assert_int_equal(img.count, 0);
    assert_null(img.segments);
}

static void test_add_owned_takes_the_buffer(void **state)
{
    (void)state;
    mpf_image img;
    mpf_image_init(&img);
    uint8_t *owned = malloc(3);
    assert_non_null(owned);
    memcpy(owned, "xyz", 3);
    mpf_error err = {0};
    assert_int_equal(mpf_image_add_owned(&img, 2, 0x100, owned, 3, "owned", &err), MPF_OK);
    assert_ptr_equal(img.segments[0].data, owned);
    assert_int_equal(img.segments[0].alt, 2);
    /* On error the buffer is freed too (ASan reports a leak otherwise). */
    uint8_t *doomed = malloc(32);
    assert_non_null(doomed);
    assert_int_equal(mpf_image_add_owned(&img, 0, 0xFFFFFFF0u, doomed, 32, "doomed", &err), MPF_ERR_INPUT);
    assert_int_equal(img.count, 1);
    mpf_image_free(&img);
}

static void test_wrap_past_top_of_address_space(void **state)
{
    (void)state;
    mpf_image img;
    mpf_image_init(&img);
    uint8_t data[32] = {0};
    mpf_error err = {0};
    assert_int_equal(mpf_image_add(&img, 0, 0xFFFFFFF0u, data, 17, "high.bin", &err), MPF_ERR_INPUT);
    assert_int_equal(err.code, MPF_ERR_INPUT);
    assert_message_has(&err, "high.bin: 17 bytes at 0xFFFFFFF0 run past the end of the 32-bit address space");
    assert_int_equal(img.count, 0);
    /* Ending exactly on the last byte is fine. */
    add(&img, 0, 0xFFFFFFF0u, data, 16, "top.bin");
    assert_int_equal(img.count, 1);
    assert_int_equal(img.segments[0].address, 0xFFFFFFF0u);
    mpf_image_free(&img);
}

static void test_normalize_orders_by_alt_then_address(void **state)
{
    (void)state;
    mpf_image img;
    mpf_image_init(&img);
    add(&img, 1, 0x1000, (const uint8_t[]){0xA1}, 1, "a1");
    add(&img, 0, 0x3000, (const uint8_t[]){0x03}, 1, "c");
    add(&img, 0, 0x1000, (const uint8_t[]){0x01}, 1, "a");
    add(&img, 1, 0x0500, (const uint8_t[]){0xA0}, 1, "a0");
    add(&img, 0, 0x2000, (const uint8_t[]){0x02}, 1, "b");
    mpf_error err = {0};
    assert_int_equal(mpf_image_normalize(&img, &err), MPF_OK);
    assert_int_equal(img.count, 5);
    assert_segment(&img.segments[0], 0, 0x1000, (const uint8_t[]){0x01}, 1);
    assert_segment(&img.segments[1], 0, 0x2000, (const uint8_t[]){0x02}, 1);
    assert_segment(&img.segments[2], 0, 0x3000, (const uint8_t[]){0x03}, 1);
    assert_segment(&img.segments[3], 1, 0x0500, (const uint8_t[]){0xA0}, 1);
    assert_segment(&img.segments[4], 1, 0x1000, (const uint8_t[]){0xA1}, 1);
    assert_string_equal(img.segments[3].source, "a0");
    mpf_image_free(&img);
}

/* 1 2 3 4 at 0x100 and 5 6 7 8 at 0x104, added upper first. */
static void add_touching_pair(mpf_image *img, const char *lower, const char *upper)
{
    add(img, 0, 0x104, (const uint8_t[]){5, 6, 7, 8}, 4, upper);
    add(img, 0, 0x100, (const uint8_t[]){1, 2, 3, 4}, 4, lower);
}

static void test_touching_segments_merge(void **state)
{
    (void)state;
    mpf_image img;
    mpf_image_init(&img);
    add_touching_pair(&img, "first", "second");
    add(&img, 0, 0x109, (const uint8_t[]){9}, 1, "gap"); /* one byte apart: stays separate */
    mpf_error err = {0};
    assert_int_equal(mpf_image_normalize(&img, &err), MPF_OK);
    assert_int_equal(img.count, 2);
    assert_segment(&img.segments[0], 0, 0x100, (const uint8_t[]){1, 2, 3, 4, 5, 6, 7, 8}, 8);
    assert_string_equal(img.segments[0].source, "first");
    assert_segment(&img.segments[1], 0, 0x109, (const uint8_t[]){9}, 1);
    assert_int_equal(mpf_image_total_size(&img), 9);
    mpf_image_free(&img);
}

static void test_identical_overlap_folds(void **state)
{
    (void)state;
    mpf_image img;
    mpf_image_init(&img);
    const uint8_t whole[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    add(&img, 0, 0x102, whole + 2, 3, "inside");        /* contained */
    add(&img, 0, 0x100, whole, 6, "head");
    add(&img, 0, 0x104, (const uint8_t[]){5, 6, 7, 8, 9, 10}, 6, "tail"); /* extends */
    add(&img, 0, 0x100, whole, 2, "same start");        /* shorter, same start */
    mpf_error err = {0};
    assert_int_equal(mpf_image_normalize(&img, &err), MPF_OK);
    assert_int_equal(img.count, 1);
    assert_segment(&img.segments[0], 0, 0x100, (const uint8_t[]){1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, 10);
    mpf_image_free(&img);
}

static void test_conflicting_overlap_names_both_sources_and_range(void **state)
{
    (void)state;
    mpf_image img;
    mpf_image_init(&img);
    add(&img, 0, 0x08000100u, (const uint8_t[]){1, 2, 3, 4, 5, 6, 7, 8}, 8, "fw.bin");
    add(&img, 0, 0x08000104u, (const uint8_t[]){5, 6, 0xFF, 8, 9, 10}, 6, "patch.hex: line 3");
    add(&img, 0, 0x08002000u, (const uint8_t[]){0x77}, 1, "later");
    mpf_error err = {0};
    assert_int_equal(mpf_image_normalize(&img, &err), MPF_ERR_INPUT);
    assert_int_equal(err.code, MPF_ERR_INPUT);
    assert_message_has(&err, "fw.bin and patch.hex: line 3 overlap with different data at 0x08000104-0x08000107");
    assert_message_has(&err, "first difference at 0x08000106");
    /* Every segment is still owned by the image: freeing must not leak. */
    assert_int_equal(img.count, 3);
    mpf_image_free(&img);
}

/* A conflict found after the run has already grown: the run keeps what it
 * merged, the conflicting segment and the rest stay owned by the image. */
static void test_conflict_after_a_merge_keeps_everything_owned(void **state)
{
    (void)state;
    mpf_image img;
    mpf_image_init(&img);
    add_touching_pair(&img, "head", "middle");
    add(&img, 0, 0x106, (const uint8_t[]){7, 0xEE, 9}, 3, "clash");
    add(&img, 0, 0x200, (const uint8_t[]){0x77}, 1, "later");
    mpf_error err = {0};
    assert_int_equal(mpf_image_normalize(&img, &err), MPF_ERR_INPUT);
    assert_message_has(&err, "head and clash overlap with different data at 0x00000106-0x00000107");
    assert_message_has(&err, "first difference at 0x00000107");
    assert_int_equal(img.count, 3);
    assert_segment(&img.segments[0], 0, 0x100, (const uint8_t[]){1, 2, 3, 4, 5, 6, 7, 8}, 8);
    assert_string_equal(img.segments[1].source, "clash");
    assert_string_equal(img.segments[2].source, "later");
    mpf_image_free(&img);
}

/* Many small touching pieces, as a .dfu or HEX with thousands of elements
 * gives: they become one run with every byte in place. */
#define MANY_PIECES 20000u
#define PIECE_SIZE 16u

static void test_many_touching_segments_fold_into_one_run(void **state)
{
    (void)state;
    size_t total = (size_t)MANY_PIECES * PIECE_SIZE;
    uint8_t *whole = malloc(total);
    uint32_t *order = malloc(MANY_PIECES * sizeof *order);
    assert_non_null(whole);
    assert_non_null(order);
    fixture_fill_random(whole, total, 77);
    for (uint32_t i = 0; i < MANY_PIECES; i++)
        order[i] = i;
    uint8_t r[4];
    for (uint32_t i = MANY_PIECES - 1; i > 0; i--) {
        fixture_fill_random(r, sizeof r, i);
        uint32_t j = (uint32_t)(r[0] | r[1] << 8 | r[2] << 16) % (i + 1), t = order[i];
        order[i] = order[j];
        order[j] = t;
    }
    mpf_image img;
    mpf_image_init(&img);
    for (uint32_t i = 0; i < MANY_PIECES; i++) {
        size_t off = (size_t)order[i] * PIECE_SIZE;
        add(&img, 0, 0x08000000u + (uint32_t)off, whole + off, PIECE_SIZE, "piece");
    }
    mpf_error err = {0};
    assert_int_equal(mpf_image_normalize(&img, &err), MPF_OK);
    assert_int_equal(img.count, 1);
    assert_segment(&img.segments[0], 0, 0x08000000u, whole, total);
    mpf_image_free(&img);
    free(order);
    free(whole);
}

static void test_alt_settings_kept_apart(void **state)
{
    (void)state;
    mpf_image img;
    mpf_image_init(&img);
    add(&img, 1, 0x1000, (const uint8_t[]){0xBB, 0xBB}, 2, "alt1");
    add(&img, 0, 0x1000, (const uint8_t[]){0xAA, 0xAA}, 2, "alt0");
    add(&img, 0, 0x1002, (const uint8_t[]){0xCC}, 1, "alt0 next");
    mpf_error err = {0};
    assert_int_equal(mpf_image_normalize(&img, &err), MPF_OK);
    assert_int_equal(img.count, 2);
    assert_segment(&img.segments[0], 0, 0x1000, (const uint8_t[]){0xAA, 0xAA, 0xCC}, 3);
    assert_segment(&img.segments[1], 1, 0x1000, (const uint8_t[]){0xBB, 0xBB}, 2);
    mpf_image_free(&img);
}

static void test_merge_up_to_the_last_address(void **state)
{
    (void)state;
    mpf_image img;
    mpf_image_init(&img);
    add(&img, 0, 0xFFFFFFFEu, (const uint8_t[]){0xE, 0xF}, 2, "top");
    add(&img, 0, 0xFFFFFFFCu, (const uint8_t[]){0xC, 0xD}, 2, "below");
    mpf_error err = {0};
    assert_int_equal(mpf_image_normalize(&img, &err), MPF_OK);
    assert_int_equal(img.count, 1);
    assert_segment(&img.segments[0], 0, 0xFFFFFFFCu, (const uint8_t[]){0xC, 0xD, 0xE, 0xF}, 4);
    mpf_image_free(&img);
}

static void test_target_names_and_long_sources(void **state)
{
    (void)state;
    mpf_image img;
    mpf_image_init(&img);
    mpf_error err = {0};
    char long_name[400];
    memset(long_name, 'n', sizeof long_name - 1);
    long_name[sizeof long_name - 1] = '\0';
    assert_int_equal(mpf_image_add_target_name(&img, 3, "Internal Flash", &err), MPF_OK);
    assert_int_equal(mpf_image_add_target_name(&img, 4, long_name, &err), MPF_OK);
    assert_int_equal(img.target_count, 2);
    assert_int_equal(img.targets[0].alt, 3);
    assert_string_equal(img.targets[0].name, "Internal Flash");
    assert_int_equal(strlen(img.targets[1].name), 255);

    /* An over-long source keeps its tail, where the file name is, behind a
     * mark that shows the cut (an absolute path must not seem relative). */
    char source[200];
    memset(source, 'd', sizeof source);
    source[0] = '/';
    memcpy(source + sizeof source - 20, "/firmware.dfu: t0e1", 20);
    add(&img, 0, 0, (const uint8_t[]){1}, 1, source);
    const char *kept = img.segments[0].source;
    assert_int_equal(strlen(kept), MPF_SOURCE_MAX - 1);
    assert_memory_equal(kept, "\xE2\x80\xA6" "ddd", 6);
    assert_string_equal(kept + MPF_SOURCE_MAX - 1 - 19, "/firmware.dfu: t0e1");
    /* The cut never splits a UTF-8 character: "é" is two bytes, and the
     * tail starts after a whole one. */
    char wide[200];
    for (size_t i = 0; i + 1 < sizeof wide; i += 2)
        memcpy(wide + i, "\xC3\xA9", 2);
    wide[sizeof wide - 1] = '\0'; /* 198 bytes of "é", then a cut one: end on a whole one */
    wide[sizeof wide - 2] = 'x';
    add(&img, 0, 0x100, (const uint8_t[]){1}, 1, wide);
    kept = img.segments[1].source;
    assert_memory_equal(kept, "\xE2\x80\xA6" "\xC3\xA9", 5);
    assert_true(strlen(kept) <= MPF_SOURCE_MAX - 1);
    assert_string_equal(kept + strlen(kept) - 1, "x");
    /* Exactly fitting: not cut, no mark. */
    char fits[MPF_SOURCE_MAX];
    memset(fits, 'f', sizeof fits - 1);
    fits[sizeof fits - 1] = '\0';
    add(&img, 0, 0x200, (const uint8_t[]){1}, 1, fits);
    assert_string_equal(img.segments[2].source, fits);
    mpf_image_free(&img);
}

static void test_format_names(void **state)
{
    (void)state;
    assert_string_equal(mpf_format_name(MPF_FORMAT_DFUSE), "dfuse");
    assert_string_equal(mpf_format_name(MPF_FORMAT_DFU), "dfu");
    assert_string_equal(mpf_format_name(MPF_FORMAT_ELF), "elf");
    assert_string_equal(mpf_format_name(MPF_FORMAT_IHEX), "ihex");
    assert_string_equal(mpf_format_name(MPF_FORMAT_BIN), "bin");
    assert_string_equal(mpf_format_name(MPF_FORMAT_UNKNOWN), "unknown");
}

/* ---- slice lists (slices.c) --------------------------------------------- */

/* 64 bytes: three slices, the largest in the middle and overlapping the
 * last one, as two ELF program headers may share file bytes. */
static void three_slices(mpf_slices *s)
{
    mpf_error err = {0};
    mpf_slices_init(s);
    assert_int_equal(mpf_slices_push(s, 0, 0x08000000u, 0, 4, "head", &err), MPF_OK);
    assert_int_equal(mpf_slices_push(s, 0, 0x08000000u, 60, 0, "empty, dropped", &err), MPF_OK);
    assert_int_equal(mpf_slices_push(s, 1, 0x08020000u, 8, 40, "body", &err), MPF_OK);
    assert_int_equal(mpf_slices_push(s, 0, 0x20000000u, 40, 20, "tail", &err), MPF_OK);
    assert_int_equal(s->count, 3);
}

static void assert_three_slices_loaded(const mpf_image *img, size_t first, const uint8_t *file)
{
    assert_int_equal(img->count, first + 3);
    assert_segment(&img->segments[first], 0, 0x08000000u, file, 4);
    assert_string_equal(img->segments[first].source, "head");
    assert_segment(&img->segments[first + 1], 1, 0x08020000u, file + 8, 40);
    assert_string_equal(img->segments[first + 1].source, "body");
    assert_segment(&img->segments[first + 2], 0, 0x20000000u, file + 40, 20);
    assert_string_equal(img->segments[first + 2].source, "tail");
}

static void test_slices_commit_copies(void **state)
{
    (void)state;
    uint8_t file[64], before[64];
    fixture_fill_random(file, sizeof file, 21);
    memcpy(before, file, sizeof file);
    mpf_slices s;
    three_slices(&s);
    mpf_image img;
    mpf_image_init(&img);
    mpf_error err = {0};
    assert_int_equal(mpf_slices_commit(&img, &s, file, NULL, &err), MPF_OK);
    assert_three_slices_loaded(&img, 0, before);
    assert_memory_equal(file, before, sizeof file); /* the input is only read */
    mpf_slices_free(&s);
    assert_null(s.items);
    mpf_image_free(&img);
}

static void test_slices_commit_owned_reuses_the_buffer(void **state)
{
    (void)state;
    uint8_t want[64];
    fixture_fill_random(want, sizeof want, 22);
    uint8_t *file = malloc(sizeof want);
    assert_non_null(file);
    memcpy(file, want, sizeof want);
    mpf_slices s;
    three_slices(&s);
    mpf_image img;
    mpf_image_init(&img);
    add(&img, 0, 0x100, (const uint8_t[]){7}, 1, "earlier");
    mpf_error err = {0};
    /* The tail overlaps the body's bytes: it must be copied before they move. */
    assert_int_equal(mpf_slices_commit(&img, &s, file, file, &err), MPF_OK);
    assert_three_slices_loaded(&img, 1, want);
    mpf_slices_free(&s);
    mpf_image_free(&img); /* frees the buffer, now the body's data */
}

static void test_slices_commit_failure_keeps_the_image(void **state)
{
    (void)state;
    uint8_t *file = malloc(64);
    assert_non_null(file);
    fixture_fill_random(file, 64, 23);
    mpf_error err = {0};
    mpf_slices s;
    mpf_slices_init(&s);
    /* The largest slice becomes a placeholder first; the second then fails. */
    assert_int_equal(mpf_slices_push(&s, 0, 0x08000000u, 0, 32, "big", &err), MPF_OK);
    assert_int_equal(mpf_slices_push(&s, 0, 0xFFFFFFF8u, 32, 16, "wraps", &err), MPF_OK);
    mpf_image img;
    mpf_image_init(&img);
    add(&img, 0, 0x100, (const uint8_t[]){7}, 1, "earlier");
    /* The buffer is freed on failure too: ASan reports a leak otherwise. */
    assert_int_equal(mpf_slices_commit(&img, &s, file, file, &err), MPF_ERR_INPUT);
    assert_string_equal(err.message, "wraps: 16 bytes at 0xFFFFFFF8 run past the end of the 32-bit address space");
    assert_int_equal(img.count, 1);
    assert_segment(&img.segments[0], 0, 0x100, (const uint8_t[]){7}, 1);
    /* The same through the copying path leaves the caller's buffer alone. */
    uint8_t kept[64] = {0};
    assert_int_equal(mpf_slices_commit(&img, &s, kept, NULL, &err), MPF_ERR_INPUT);
    assert_int_equal(img.count, 1);
    mpf_slices_free(&s);

    /* No slices: an owned buffer is simply freed. */
    uint8_t *unused = malloc(8);
    assert_non_null(unused);
    assert_int_equal(mpf_slices_commit(&img, &s, unused, unused, &err), MPF_OK);
    assert_int_equal(img.count, 1);
    mpf_image_free(&img);
}

static void test_slice_sources_keep_their_tail(void **state)
{
    (void)state;
    char source[200];
    memset(source, 'd', sizeof source);
    memcpy(source + sizeof source - 20, "/firmware.dfu: t0e1", 20);
    mpf_slices s;
    mpf_slices_init(&s);
    mpf_error err = {0};
    assert_int_equal(mpf_slices_push(&s, 0, 0, 0, 1, source, &err), MPF_OK);
    assert_int_equal(mpf_slices_push(&s, 0, 0, 0, 1, NULL, &err), MPF_OK);
    assert_int_equal(strlen(s.items[0].source), MPF_SOURCE_MAX - 1);
    assert_string_equal(s.items[0].source + MPF_SOURCE_MAX - 1 - 19, "/firmware.dfu: t0e1");
    assert_string_equal(s.items[1].source, "");
    /* Growing past the first 8 entries keeps every entry. */
    for (uint32_t i = 0; i < 20; i++)
        assert_int_equal(mpf_slices_push(&s, 0, i, i, 1, "x", &err), MPF_OK);
    assert_int_equal(s.count, 22);
    assert_int_equal(s.items[21].address, 19);
    mpf_slices_free(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_add_copies_and_ignores_empty),
        cmocka_unit_test(test_add_owned_takes_the_buffer),
        cmocka_unit_test(test_wrap_past_top_of_address_space),
        cmocka_unit_test(test_normalize_orders_by_alt_then_address),
        cmocka_unit_test(test_touching_segments_merge),
        cmocka_unit_test(test_identical_overlap_folds),
        cmocka_unit_test(test_conflicting_overlap_names_both_sources_and_range),
        cmocka_unit_test(test_conflict_after_a_merge_keeps_everything_owned),
        cmocka_unit_test(test_many_touching_segments_fold_into_one_run),
        cmocka_unit_test(test_alt_settings_kept_apart),
        cmocka_unit_test(test_merge_up_to_the_last_address),
        cmocka_unit_test(test_target_names_and_long_sources),
        cmocka_unit_test(test_format_names),
        cmocka_unit_test(test_slices_commit_copies),
        cmocka_unit_test(test_slices_commit_owned_reuses_the_buffer),
        cmocka_unit_test(test_slices_commit_failure_keeps_the_image),
        cmocka_unit_test(test_slice_sources_keep_their_tail),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
