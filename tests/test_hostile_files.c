/* Hostile firmware files. Every file of the committed malformed corpus
 * (tests/corpus/malformed/, made by tests/corpus/make_malformed.c) goes
 * through the whole pipeline the tool runs (load, normalize, plan against
 * a virtual F401, open, flash) and must be refused with MPF_ERR_INPUT, a
 * one-line message that names the file and what is wrong with it, and not
 * one USB request.
 *
 * Very many elements: a small file that claims a million is refused by its
 * sizes; a real file with a million one-byte elements is accepted (it is a
 * valid file) and must load, merge and flash with work linear in its size,
 * counted (tests/support/work_count.h), not timed. */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "engine_board.h"
#include "fixtures.h"
#include "hostile_checks.h"
#include "work_count.h"
#include "tool/tool_exit.h"

#define CORPUS_DIR MPFLASH_TEST_DIR "/corpus/malformed"

#if defined(__SANITIZE_ADDRESS__)
#define SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SANITIZED 1
#endif
#endif
#ifndef SANITIZED
#define SANITIZED 0
#endif

/* What the refusal of each file must say, beyond its name. */
typedef struct expectation {
    const char *file;
    const char *says;
} expectation;

static const expectation expected[] = {
    {"bin_empty.bin", "the file is empty (0 bytes): nothing to flash"},
    {"bin_without_address.bin", "has no load address"},
    {"dfuse_255_targets_one_present.dfu", "bTargets (255) is wrong"},
    {"dfuse_address_wraps_2_32.dfu", "128 bytes at 0xFFFFFFC0 run past 0xFFFFFFFF"},
    {"dfuse_crc_wrong.dfu", "CRC-32 is 0x"},
    {"dfuse_cut_001.dfu", "has no load address"},
    {"dfuse_cut_004.dfu", "has no load address"},
    {"dfuse_cut_005.dfu", "ends inside the 11-byte DfuSe prefix"},
    {"dfuse_cut_006.dfu", "ends inside the 11-byte DfuSe prefix"},
    {"dfuse_cut_010.dfu", "ends inside the 11-byte DfuSe prefix"},
    {"dfuse_cut_011.dfu", "ends before its targets and the 16-byte DFU suffix"},
    {"dfuse_cut_017.dfu", "ends before its targets and the 16-byte DFU suffix"},
    {"dfuse_cut_018.dfu", "ends before its targets and the 16-byte DFU suffix"},
    {"dfuse_cut_022.dfu", "ends before its targets and the 16-byte DFU suffix"},
    {"dfuse_cut_277.dfu", "no DFU suffix"},
    {"dfuse_cut_281.dfu", "no DFU suffix"},
    {"dfuse_cut_285.dfu", "no DFU suffix"},
    {"dfuse_cut_289.dfu", "no DFU suffix"},
    {"dfuse_cut_293.dfu", "no DFU suffix"},
    {"dfuse_cut_325.dfu", "no DFU suffix"},
    {"dfuse_cut_357.dfu", "no DFU suffix"},
    {"dfuse_cut_361.dfu", "no DFU suffix"},
    {"dfuse_cut_365.dfu", "no DFU suffix"},
    {"dfuse_cut_429.dfu", "no DFU suffix"},
    {"dfuse_cut_493.dfu", "no DFU suffix"},
    {"dfuse_cut_494.dfu", "no DFU suffix"},
    {"dfuse_cut_500.dfu", "no DFU suffix"},
    {"dfuse_cut_504.dfu", "no DFU suffix"},
    {"dfuse_cut_508.dfu", "no DFU suffix"},
    {"dfuse_element_count_too_high.dfu",
     "element 2: offset 493: the 8-byte element header runs past"},
    {"dfuse_element_past_end.dfu", "dwElementSize 129 runs past the end of the target"},
    {"dfuse_element_size_huge.dfu", "dwElementSize 4294967288 runs past the end of the target"},
    {"dfuse_image_size_wrong.dfu", "DFUImageSize is 1000"},
    {"dfuse_million_elements_claimed.dfu", "dwNbElements 1000000 needs at least 8000000 bytes"},
    {"dfuse_overlap_different_data.dfu", "overlap with different data at 0x08000020-0x0800003F"},
    {"dfuse_resuffixed_cut_011.dfu", "274-byte target prefix runs past the DFU suffix"},
    {"dfuse_resuffixed_cut_017.dfu", "274-byte target prefix runs past the DFU suffix"},
    {"dfuse_resuffixed_cut_022.dfu", "274-byte target prefix runs past the DFU suffix"},
    {"dfuse_resuffixed_cut_277.dfu", "274-byte target prefix runs past the DFU suffix"},
    {"dfuse_resuffixed_cut_285.dfu", "dwTargetSize 208 runs past the DFU suffix (0 bytes left)"},
    {"dfuse_resuffixed_cut_289.dfu", "dwTargetSize 208 runs past the DFU suffix (4 bytes left)"},
    {"dfuse_resuffixed_cut_293.dfu", "dwTargetSize 208 runs past the DFU suffix (8 bytes left)"},
    {"dfuse_resuffixed_cut_325.dfu", "dwTargetSize 208 runs past the DFU suffix (40 bytes left)"},
    {"dfuse_resuffixed_cut_357.dfu", "dwTargetSize 208 runs past the DFU suffix (72 bytes left)"},
    {"dfuse_resuffixed_cut_361.dfu", "dwTargetSize 208 runs past the DFU suffix (76 bytes left)"},
    {"dfuse_resuffixed_cut_365.dfu", "dwTargetSize 208 runs past the DFU suffix (80 bytes left)"},
    {"dfuse_resuffixed_cut_429.dfu", "dwTargetSize 208 runs past the DFU suffix (144 bytes left)"},
    {"dfuse_signature_wrong.dfu",
     "plain DFU file (no \"DfuSe\" signature at offset 0) has no load address"},
    {"dfuse_suffix_length_wrong.dfu", "DFU suffix bLength is 15"},
    {"dfuse_suffix_signature_wrong.dfu", "no DFU suffix (expected \"UFD\""},
    {"dfuse_target_signature_wrong.dfu", "signature is not \"Target\""},
    {"dfuse_target_size_huge.dfu", "dwTargetSize 4294967280 runs past the DFU suffix"},
    {"dfuse_target_size_short.dfu",
     "dwElementSize 128 runs past the end of the target (120 bytes left)"},
    {"dfuse_trailing_junk.dfu",
     "24 bytes of unexpected data between the last target and the DFU suffix"},
    {"dfuse_version_2.dfu", "DfuSe bVersion is 2"},
    {"dfuse_zero_targets.dfu", "bTargets is 0"},
    {"elf_big_endian.elf", "big-endian ARM ELF"},
    {"elf_class64.elf", "64-bit ELF"},
    {"elf_class_invalid.elf", "ELF class 7"},
    {"elf_cut_004.elf", "shorter than the 52-byte ELF header"},
    {"elf_cut_016.elf", "shorter than the 52-byte ELF header"},
    {"elf_cut_020.elf", "shorter than the 52-byte ELF header"},
    {"elf_cut_028.elf", "shorter than the 52-byte ELF header"},
    {"elf_cut_044.elf", "shorter than the 52-byte ELF header"},
    {"elf_cut_051.elf", "shorter than the 52-byte ELF header"},
    {"elf_cut_052.elf",
     "program header table at offset 0x00000034 (2 entries of 32 bytes) does not lie"},
    {"elf_cut_060.elf",
     "program header table at offset 0x00000034 (2 entries of 32 bytes) does not lie"},
    {"elf_cut_084.elf",
     "program header table at offset 0x00000034 (2 entries of 32 bytes) does not lie"},
    {"elf_cut_100.elf",
     "program header table at offset 0x00000034 (2 entries of 32 bytes) does not lie"},
    {"elf_cut_116.elf", "program header 0: 64 bytes at file offset 0x00000074 run past the end"},
    {"elf_cut_150.elf", "program header 0: 64 bytes at file offset 0x00000074 run past the end"},
    {"elf_cut_180.elf", "program header 1: 128 bytes at file offset 0x000000B4 run past the end"},
    {"elf_cut_250.elf", "program header 1: 128 bytes at file offset 0x000000B4 run past the end"},
    {"elf_cut_307.elf", "program header 1: 128 bytes at file offset 0x000000B4 run past the end"},
    {"elf_filesz_over_memsz.elf", "file size 512 is larger than memory size 256"},
    {"elf_nothing_to_load.elf", "no PT_LOAD program header carries file data"},
    {"elf_offset_past_end.elf", "file offset 0x00000FA0 run past the end of the 308-byte file"},
    {"elf_offset_wraps.elf", "file offset 0xFFFFFFF0 run past the end of the 308-byte file"},
    {"elf_overlap_different_data.elf", "overlap with different data at 0x08000020-0x0800003F"},
    {"elf_paddr_wraps_2_32.elf", "128 bytes at load address 0xFFFFFFC0 run past 0xFFFFFFFF"},
    {"elf_phentsize_small.elf", "program header entries are 16 bytes"},
    {"elf_phnum_huge.elf", "(65534 entries of 32 bytes) does not lie"},
    {"elf_phnum_zero.elf", "the ELF has no program headers"},
    {"elf_phoff_past_end.elf", "program header table at offset 0x00000FA0"},
    {"elf_relocatable.elf", "ELF type 1 (relocatable object) is not an executable"},
    {"elf_version_0.elf", "ELF version 0/1 is not 1"},
    {"elf_x86_64_machine.elf", "ELF machine 62 (x86-64) is not ARM"},
    {"hex_address_wraps_2_32.hex", "line 2: 32 data bytes at 0xFFFFFFF0 run past 0xFFFFFFFF"},
    {"hex_bad_checksum.hex", "line 3: checksum is 0x7E, the record says 0x7F"},
    {"hex_cut_mid_record.hex", "line 2: odd number of hex digits"},
    {"hex_data_after_eof.hex", "line 4: data after the end-of-file record of line 3"},
    {"hex_eof_with_data.hex", "line 3: end-of-file record carries 2 data bytes"},
    {"hex_extended_address_3_bytes.hex",
     "line 1: extended linear address record carries 3 data bytes"},
    {"hex_length_mismatch.hex", "line 2: the record says 16 data bytes but the line holds 8"},
    {"hex_no_data_records.hex", "holds no data records"},
    {"hex_no_eof_record.hex", "no end-of-file record"},
    {"hex_non_hex_character.hex", "line 2: character 0x47 at column 28 is not a hex digit"},
    {"hex_odd_digit_count.hex", "line 2: odd number of hex digits (41)"},
    {"hex_overlap_different_data.hex", "overlap with different data at 0x08000108-0x0800010F"},
    {"hex_short_record.hex", "line 2: record is 4 bytes, shorter than the 5 bytes"},
    {"hex_unknown_record_type.hex", "line 3: unknown record type 0x06"},
    {"plain_dfu_crc_wrong.dfu", "CRC-32 is 0x"},
    {"plain_dfu_no_address.dfu",
     "plain DFU file (no \"DfuSe\" signature at offset 0) has no load address"},
};
#define EXPECTED_COUNT (sizeof expected / sizeof expected[0])

/* The tool's pipeline, stopping at the first refusal. */
static mpf_err pipeline(board *b, const uint8_t *buf, size_t len, const char *name,
                        const mpf_load_options *lo, mpf_image *img)
{
    mpf_err rc = mpf_load_buffer(img, buf, len, name, lo, NULL, &b->err);
    if (rc == MPF_OK)
        rc = mpf_image_normalize(img, &b->err);
    if (rc == MPF_OK)
        rc = board_flash(b, img, NULL);
    return rc;
}

static const expectation *expectation_for(const char *file)
{
    for (size_t i = 0; i < EXPECTED_COUNT; i++)
        if (strcmp(expected[i].file, file) == 0)
            return &expected[i];
    return NULL;
}

static void refuse_file(const char *file, int *seen)
{
    const expectation *e = expectation_for(file);
    if (!e)
        fail_msg("%s: a corpus file this test does not know; add what its refusal must say",
                 file);
    seen[e - expected]++;
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", CORPUS_DIR, file);
    uint8_t *buf = NULL;
    size_t len = 0;
    board b;
    board_new(&b, "f401");
    assert_int_equal(mpf_read_file(path, &buf, &len, &b.err), MPF_OK);
    mpf_image img;
    mpf_image_init(&img);
    mpf_err rc = pipeline(&b, buf, len, file, NULL, &img);
    const char *needles[] = {file, e->says, NULL};
    hostile_assert_error(file, &b.err, rc, MPF_ERR_INPUT, needles);
    assert_int_equal(tool_exit_code(rc), 2);
    if (mpf_sim_request_count(b.sim) != 0)
        fail_msg("%s: refused after %zu USB requests", file, mpf_sim_request_count(b.sim));
    mpf_image_free(&img);
    board_free(&b);
    free(buf);
}

static void test_every_malformed_file_is_refused_before_any_request(void **state)
{
    (void)state;
    int seen[EXPECTED_COUNT] = {0};
    DIR *d = opendir(CORPUS_DIR);
    if (!d)
        fail_msg("cannot open %s", CORPUS_DIR);
    size_t files = 0;
    struct dirent *ent;
    while ((ent = readdir(d)) != NULL) {
        if (ent->d_name[0] == '.')
            continue;
        refuse_file(ent->d_name, seen);
        files++;
    }
    closedir(d);
    for (size_t i = 0; i < EXPECTED_COUNT; i++)
        if (seen[i] != 1)
            fail_msg("%s: expected in %s but not there", expected[i].file, CORPUS_DIR);
    assert_int_equal(files, EXPECTED_COUNT);
    printf("# %zu malformed files refused, no USB request\n", files);
}

/* Raw bytes whose user-given address runs past 2^32. */
static void test_raw_data_wrapping_2_32_is_refused(void **state)
{
    (void)state;
    uint8_t data[512];
    memset(data, 0x42, sizeof data);
    size_t len = 0;
    uint8_t *plain = fixture_dfu_plain_build(data, sizeof data, 0x0483, 0xDF11, 0, &len);
    assert_non_null(plain);
    const struct {
        const char *name;
        const uint8_t *buf;
        size_t len;
    } files[] = {{"wrap.bin", data, sizeof data}, {"wrap.dfu", plain, len}};
    for (size_t i = 0; i < 2; i++) {
        board b;
        board_new(&b, "f401");
        mpf_image img;
        mpf_image_init(&img);
        mpf_load_options lo = {.has_address = 1, .address = 0xFFFFFF00u};
        mpf_err rc = pipeline(&b, files[i].buf, files[i].len, files[i].name, &lo, &img);
        const char *needles[] = {files[i].name, "at 0xFFFFFF00 run past 0xFFFFFFFF", NULL};
        hostile_assert_error(files[i].name, &b.err, rc, MPF_ERR_INPUT, needles);
        assert_int_equal(mpf_sim_request_count(b.sim), 0);
        mpf_image_free(&img);
        board_free(&b);
    }
    free(plain);
}

/* ---- very many elements --------------------------------------------------- */

/* A valid DfuSe file of n elements of `each` bytes that together cover
 * [base, base + n * each) without a gap, listed in a scrambled order. */
static uint8_t *many_elements(uint32_t n, uint32_t each, uint32_t base, size_t *len)
{
    const size_t body = 11 + 274 + (size_t)n * (8 + each);
    uint8_t *f = calloc(body + 16, 1);
    assert_non_null(f);
    memcpy(f, "DfuSe", 5);
    f[5] = 1;
    fixture_put32(f + 6, (uint32_t)body);
    f[10] = 1;
    memcpy(f + 11, "Target", 6);
    fixture_put32(f + 11 + 266, (uint32_t)(body - 285));
    fixture_put32(f + 11 + 270, n);
    uint8_t *e = f + 285;
    for (uint32_t i = 0; i < n; i++) {
        /* an odd multiplier modulo a power of two visits every slot once */
        uint32_t k = (uint32_t)(((uint64_t)i * 2654435761u) & (n - 1));
        fixture_put32(e, base + k * each);
        fixture_put32(e + 4, each);
        for (uint32_t j = 0; j < each; j++)
            e[8 + j] = (uint8_t)(k * 7 + j);
        e += 8 + each;
    }
    uint8_t *s = f + body;
    s[2] = 0x11, s[3] = 0xDF, s[4] = 0x83, s[5] = 0x04, s[6] = 0x1A, s[7] = 0x01;
    memcpy(s + 8, "UFD", 3);
    s[11] = 16;
    fixture_put32(s + 12, mpf_crc32_update(0xFFFFFFFFu, f, body + 12));
    *len = body + 16;
    return f;
}

/* Load + normalize; returns the memory work that took (work_count.h). */
static size_t load_many(uint32_t n, uint32_t each, uint32_t base, mpf_image *img)
{
    size_t len = 0;
    uint8_t *file = many_elements(n, each, base, &len);
    mpf_image_init(img);
    mpf_error err;
    work_count_start();
    mpf_err rc = mpf_load_buffer(img, file, len, "many.dfu", NULL, NULL, &err);
    if (rc == MPF_OK)
        rc = mpf_image_normalize(img, &err);
    const work_count w = work_count_stop();
    free(file);
    if (rc != MPF_OK)
        fail_msg("%u elements of %u bytes: %s", n, each, err.message);
    assert_int_equal(img->count, 1);
    assert_int_equal(img->segments[0].address, base);
    assert_int_equal(img->segments[0].size, (size_t)n * each);
    for (uint32_t k = 0; k < n; k += n / 64)
        assert_int_equal(img->segments[0].data[(size_t)k * each], (uint8_t)(k * 7));
    printf("# %u elements of %u bytes: %zu allocation/copy calls, %zu bytes allocated, %zu copied\n", n,
           each, w.calls, w.bytes_allocated, w.bytes_copied);
    return work_count_bytes(&w);
}

/* The work of loading and merging n elements of `each` bytes, alone. */
static size_t work_of(uint32_t n, uint32_t each)
{
    mpf_image img;
    const size_t work = load_many(n, each, 0x08020000u, &img);
    mpf_image_free(&img);
    return work;
}

/* Loading and merging must cost memory work linear in the elements: `times`
 * times the elements may take at most 1.5 x `times` the work. A merge that
 * regrows (or shifts) the run once per element does up to `times` squared
 * (the bug this guards against regrew it per element: x64 for x8). The
 * counts are exact, so the check does not depend on the machine's load;
 * how long it takes is bench_load's "fold" row. */
static void assert_linear(size_t small, size_t large, uint32_t times, uint32_t each)
{
    assert_true(small > 0);
    const double ratio = (double)large / (double)small;
    printf("# x%u the %u-byte elements: x%.2f the work\n", times, each, ratio);
    if (ratio > 1.5 * times)
        fail_msg("loading and merging grows faster than linearly: x%.1f the work for x%u the elements of %u "
                 "bytes (%zu -> %zu bytes allocated or copied)",
                 ratio, times, each, small, large);
}

/* A million one-byte elements (2^14 under the sanitizers, whose allocator
 * makes each element cost far more, and in the Windows build, which runs
 * under Wine's heap: 10 us an allocation there): loaded, merged into one
 * run, planned and flashed correctly, with memory work per element no
 * larger than for 2^11 of them. */
#ifdef _WIN32
#define SLOW_HEAP 1
#else
#define SLOW_HEAP SANITIZED
#endif
static void test_a_million_tiny_elements_load_and_flash(void **state)
{
    (void)state;
    const uint32_t n = SLOW_HEAP ? 1u << 14 : 1u << 20, few = 1u << 11;
    mpf_image img;
    const size_t work = load_many(n, 1, 0x08000000u, &img);
    board b;
    board_new(&b, "f405");
    mpf_plan_options opt;
    mpf_plan_options_default(&opt);
    opt.verify = 0;
    assert_int_equal(board_flash(&b, &img, &opt), MPF_OK);
    assert_int_equal(b.plan.write_count, 1);
    assert_true(board_has_image(&b, &img));
    board_free(&b);
    mpf_image_free(&img);
    if (!work_count_available())
        skip();
    assert_linear(work_of(few, 1), work, n / few, 1);
}

static void test_merging_touching_elements_is_not_quadratic(void **state)
{
    (void)state;
    if (!work_count_available())
        skip();
    assert_linear(work_of(512, 64), work_of(4096, 64), 8, 64);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_malformed_file_is_refused_before_any_request),
        cmocka_unit_test(test_raw_data_wrapping_2_32_is_refused),
        cmocka_unit_test(test_a_million_tiny_elements_load_and_flash),
        cmocka_unit_test(test_merging_touching_elements_is_not_quadratic),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
