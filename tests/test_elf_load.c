/* ELF loader: placement by physical address from program headers only, and
 * exact errors for every way an ELF can be unusable or malformed. The ELF
 * files are built here byte by byte so each field is under the test's
 * control; tests/test_arm_crosscheck.c covers a real linker's output. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fixtures.h"
#include "mpflash/image.h"

#define EHDR 52u
#define PHDR 32u

typedef struct ph {
    uint32_t type, offset, vaddr, paddr, filesz, memsz;
} ph;

/* A little-endian ARM executable of `total` bytes: header, n program headers
 * at offset 52, the rest pseudo-random. The section header fields point
 * outside the file on purpose: a loader that reads them crashes under ASan. */
static uint8_t *build_elf(const ph *phs, unsigned n, size_t total)
{
    uint8_t *b = malloc(total);
    assert_non_null(b);
    fixture_fill_random(b, total, (uint32_t)total);
    memset(b, 0, EHDR + n * PHDR);
    memcpy(b, "\x7F" "ELF", 4);
    b[4] = 1; /* ELFCLASS32 */
    b[5] = 1; /* little-endian */
    b[6] = 1;
    fixture_put16(b + 16, 2);  /* ET_EXEC */
    fixture_put16(b + 18, 40); /* EM_ARM */
    fixture_put32(b + 20, 1);
    fixture_put32(b + 24, 0x08020101u);
    fixture_put32(b + 28, EHDR);
    fixture_put32(b + 32, 0xFFFFFF00u); /* e_shoff */
    fixture_put16(b + 40, EHDR);
    fixture_put16(b + 42, PHDR);
    fixture_put16(b + 44, (uint16_t)n);
    fixture_put16(b + 46, 40);
    fixture_put16(b + 48, 7);
    fixture_put16(b + 50, 6);
    for (unsigned i = 0; i < n; i++) {
        uint8_t *p = b + EHDR + i * PHDR;
        fixture_put32(p, phs[i].type);
        fixture_put32(p + 4, phs[i].offset);
        fixture_put32(p + 8, phs[i].vaddr);
        fixture_put32(p + 12, phs[i].paddr);
        fixture_put32(p + 16, phs[i].filesz);
        fixture_put32(p + 20, phs[i].memsz);
        fixture_put32(p + 24, 5);
        fixture_put32(p + 28, 4);
    }
    return b;
}

/* The shape of a MicroPython STM32 firmware.elf: vector table run from RAM
 * but stored at 0x08000000, text at 0x08020000, .data stored right after
 * the text and run from RAM (with .bss after it), and a heap segment with
 * no file bytes whose physical address lies in flash. */
#define MP_VEC_OFF 0x100u
#define MP_VEC_SIZE 0x188u
#define MP_TEXT_OFF 0x300u
#define MP_TEXT_SIZE 0x200u
#define MP_DATA_OFF 0x500u
#define MP_DATA_SIZE 0x48u
#define MP_TOTAL 0x548u
static const ph mp_phs[] = {
    {1, MP_VEC_OFF, 0x20000000u, 0x08000000u, MP_VEC_SIZE, MP_VEC_SIZE},
    {1, MP_TEXT_OFF, 0x08020000u, 0x08020000u, MP_TEXT_SIZE, MP_TEXT_SIZE},
    {1, MP_DATA_OFF, 0x20000188u, 0x08020200u, MP_DATA_SIZE, 0x148u},
    {1, MP_TOTAL, 0x200002D0u, 0x08020248u, 0, 0x4000u},
    {0x70000001u, 0xFFFFFFF0u, 0, 0, 0x100u, 0x100u}, /* PT_ARM_EXIDX, bogus: never read */
};
#define MP_PHNUM 5u

static mpf_err load(mpf_image *img, const uint8_t *b, size_t len, mpf_error *err)
{
    return mpf_load_elf(img, b, len, "fw.elf", NULL, err);
}

/* Loading a copy of exactly len bytes (so ASan sees any over-read) fails
 * with MPF_ERR_INPUT, this message part and an untouched image. */
static void expect_input_error(const uint8_t *b, size_t len, const char *message)
{
    uint8_t *copy = malloc(len ? len : 1);
    assert_non_null(copy);
    if (len)
        memcpy(copy, b, len);
    mpf_image img;
    mpf_image_init(&img);
    mpf_error err = {0};
    assert_int_equal(load(&img, copy, len, &err), MPF_ERR_INPUT);
    assert_int_equal(err.code, MPF_ERR_INPUT);
    if (!strstr(err.message, message))
        fail_msg("length %zu: message \"%s\" lacks \"%s\"", len, err.message, message);
    assert_int_equal(img.count, 0);
    assert_int_equal(img.format, MPF_FORMAT_UNKNOWN);
    mpf_image_free(&img);
    free(copy);
}

static void set_ph(uint8_t *b, unsigned index, unsigned field_offset, uint32_t value)
{
    fixture_put32(b + EHDR + index * PHDR + field_offset, value);
}

/* ---- placement ----------------------------------------------------------- */

static void micropython_shape_loads_at_physical_addresses(void **state)
{
    (void)state;
    uint8_t *b = build_elf(mp_phs, MP_PHNUM, MP_TOTAL);
    mpf_image img;
    mpf_image_init(&img);
    mpf_error err = {0};
    assert_int_equal(load(&img, b, MP_TOTAL, &err), MPF_OK);
    assert_int_equal(img.format, MPF_FORMAT_ELF);
    assert_int_equal(img.count, 3);
    assert_int_equal(img.segments[0].address, 0x08000000u);
    assert_int_equal(img.segments[0].size, MP_VEC_SIZE);
    assert_memory_equal(img.segments[0].data, b + MP_VEC_OFF, MP_VEC_SIZE);
    assert_string_equal(img.segments[0].source, "fw.elf: program header 0");
    assert_int_equal(img.segments[1].address, 0x08020000u);
    assert_string_equal(img.segments[1].source, "fw.elf: program header 1");
    assert_int_equal(img.segments[2].address, 0x08020200u);
    assert_int_equal(img.segments[2].size, MP_DATA_SIZE); /* filesz, not memsz */
    assert_string_equal(img.segments[2].source, "fw.elf: program header 2");
    for (size_t i = 0; i < img.count; i++)
        assert_int_equal(img.segments[i].alt, 0);

    /* .text and .data touch in flash: one run after normalize */
    assert_int_equal(mpf_image_normalize(&img, &err), MPF_OK);
    assert_int_equal(img.count, 2);
    assert_int_equal(img.segments[0].address, 0x08000000u);
    assert_int_equal(img.segments[1].address, 0x08020000u);
    assert_int_equal(img.segments[1].size, MP_TEXT_SIZE + MP_DATA_SIZE);
    assert_memory_equal(img.segments[1].data, b + MP_TEXT_OFF, MP_TEXT_SIZE);
    assert_memory_equal(img.segments[1].data + MP_TEXT_SIZE, b + MP_DATA_OFF, MP_DATA_SIZE);
    assert_int_equal(mpf_image_total_size(&img), MP_VEC_SIZE + MP_TEXT_SIZE + MP_DATA_SIZE);
    mpf_image_free(&img);
    free(b);
}

static void alt_comes_from_options(void **state)
{
    (void)state;
    uint8_t *b = build_elf(mp_phs, MP_PHNUM, MP_TOTAL);
    mpf_image img;
    mpf_image_init(&img);
    mpf_load_options opt = {0};
    opt.alt = 3;
    assert_int_equal(mpf_load_elf(&img, b, MP_TOTAL, "fw.elf", &opt, NULL), MPF_OK);
    assert_int_equal(img.count, 3);
    for (size_t i = 0; i < img.count; i++)
        assert_int_equal(img.segments[i].alt, 3);
    mpf_image_free(&img);
    free(b);
}

static void segment_holding_the_headers_is_just_bytes(void **state)
{
    (void)state;
    /* Some link layouts put the ELF and program headers in the first PT_LOAD. */
    const ph phs[] = {{1, 0, 0x08000000u, 0x08000000u, EHDR + PHDR, EHDR + PHDR}};
    uint8_t *b = build_elf(phs, 1, 0x80);
    mpf_image img;
    mpf_image_init(&img);
    assert_int_equal(load(&img, b, 0x80, NULL), MPF_OK);
    assert_int_equal(img.count, 1);
    assert_int_equal(img.segments[0].address, 0x08000000u);
    assert_int_equal(img.segments[0].size, EHDR + PHDR);
    assert_memory_equal(img.segments[0].data, b, EHDR + PHDR);
    assert_memory_equal(img.segments[0].data, "\x7F" "ELF", 4);
    mpf_image_free(&img);
    free(b);
}

static void wider_program_header_entries_are_strided(void **state)
{
    (void)state;
    /* e_phentsize 40: entries at 52 and 92, each with 8 bytes of padding */
    uint8_t *b = build_elf(NULL, 0, 0x200);
    fixture_put16(b + 42, 40);
    fixture_put16(b + 44, 2);
    uint8_t *p0 = b + EHDR, *p1 = b + EHDR + 40;
    memset(p0, 0, 80);
    fixture_put32(p0, 1);
    fixture_put32(p0 + 4, 0x100);
    fixture_put32(p0 + 12, 0x08000000u);
    fixture_put32(p0 + 16, 0x10);
    fixture_put32(p0 + 20, 0x10);
    fixture_put32(p1, 1);
    fixture_put32(p1 + 4, 0x180);
    fixture_put32(p1 + 12, 0x08020000u);
    fixture_put32(p1 + 16, 0x20);
    fixture_put32(p1 + 20, 0x20);
    mpf_image img;
    mpf_image_init(&img);
    assert_int_equal(load(&img, b, 0x200, NULL), MPF_OK);
    assert_int_equal(img.count, 2);
    assert_int_equal(img.segments[1].address, 0x08020000u);
    assert_int_equal(img.segments[1].size, 0x20);
    assert_memory_equal(img.segments[1].data, b + 0x180, 0x20);
    mpf_image_free(&img);
    free(b);
}

static void segment_ending_at_the_top_of_memory_is_fine(void **state)
{
    (void)state;
    const ph phs[] = {{1, 0x60, 0xFFFFFF00u, 0xFFFFFF00u, 0x100, 0x100}};
    uint8_t *b = build_elf(phs, 1, 0x160);
    mpf_image img;
    mpf_image_init(&img);
    assert_int_equal(load(&img, b, 0x160, NULL), MPF_OK);
    assert_int_equal(img.count, 1);
    assert_int_equal(img.segments[0].address, 0xFFFFFF00u);
    assert_int_equal(img.segments[0].size, 0x100);
    mpf_image_free(&img);
    free(b);
}

static void failed_load_leaves_image_as_it_was(void **state)
{
    (void)state;
    uint8_t *b = build_elf(mp_phs, MP_PHNUM, MP_TOTAL);
    set_ph(b, 2, 4, 0x10000u); /* .data's p_offset past the end */
    mpf_image img;
    mpf_image_init(&img);
    const uint8_t keep[] = {1, 2};
    assert_int_equal(mpf_image_add(&img, 0, 0x1000, keep, 2, "earlier", NULL), MPF_OK);
    mpf_error err = {0};
    assert_int_equal(load(&img, b, MP_TOTAL, &err), MPF_ERR_INPUT);
    assert_int_equal(img.count, 1);
    assert_int_equal(img.segments[0].address, 0x1000);
    assert_string_equal(img.segments[0].source, "earlier");
    mpf_image_free(&img);
    free(b);
}

/* ---- entry point ---------------------------------------------------------- */

static void entry_point_is_recorded(void **state)
{
    (void)state;
    uint8_t *b = build_elf(mp_phs, MP_PHNUM, MP_TOTAL); /* e_entry 0x08020101 */
    mpf_image img;
    mpf_image_init(&img);
    assert_int_equal(load(&img, b, MP_TOTAL, NULL), MPF_OK);
    assert_int_equal(img.has_entry, 1);
    assert_int_equal(img.entry, 0x08020101u); /* as written: Thumb bit included */
    /* A second file does not replace the first one's entry. */
    fixture_put32(b + 24, 0x08040001u);
    assert_int_equal(load(&img, b, MP_TOTAL, NULL), MPF_OK);
    assert_int_equal(img.entry, 0x08020101u);
    mpf_image_free(&img);

    /* e_entry 0 is the ELF spelling of "no entry point". */
    fixture_put32(b + 24, 0);
    mpf_image_init(&img);
    assert_int_equal(load(&img, b, MP_TOTAL, NULL), MPF_OK);
    assert_int_equal(img.has_entry, 0);
    assert_int_equal(img.entry, 0);
    /* A failed load records nothing. */
    fixture_put32(b + 24, 0x08020101u);
    set_ph(b, 2, 4, 0x10000u);
    assert_int_equal(load(&img, b, MP_TOTAL, NULL), MPF_ERR_INPUT);
    assert_int_equal(img.has_entry, 0);
    mpf_image_free(&img);
    free(b);
}

/* ---- loading from a buffer the loader takes (mpf_load_buffer_owned) ------ */

static void owned_buffer_loads_the_same(void **state)
{
    (void)state;
    /* Header 1 is the largest and shares its last bytes with header 2, as
     * linker scripts can make segments share file bytes: those must be
     * copied before the largest one's bytes move. */
    const ph phs[] = {
        {1, 0x100, 0, 0x08000000u, 0x40, 0x40},
        {1, 0x140, 0, 0x08020000u, 0x200, 0x200},
        {1, 0x300, 0, 0x08030000u, 0x80, 0x80},
    };
    for (int variant = 0; variant < 2; variant++) {
        uint8_t *b = variant ? build_elf(phs, 3, 0x380) : build_elf(mp_phs, MP_PHNUM, MP_TOTAL);
        size_t len = variant ? 0x380 : MP_TOTAL;
        mpf_image want, got;
        mpf_image_init(&want);
        mpf_image_init(&got);
        mpf_error err = {0};
        assert_int_equal(load(&want, b, len, &err), MPF_OK);
        uint8_t *copy = malloc(len);
        assert_non_null(copy);
        memcpy(copy, b, len);
        mpf_format detected = MPF_FORMAT_UNKNOWN;
        assert_int_equal(mpf_load_buffer_owned(&got, copy, len, "fw.elf", NULL, &detected, &err), MPF_OK);
        assert_int_equal(detected, MPF_FORMAT_ELF);
        assert_int_equal(got.count, 3);
        for (size_t i = 0; i < got.count; i++) {
            assert_int_equal(got.segments[i].address, want.segments[i].address);
            assert_int_equal(got.segments[i].size, want.segments[i].size);
            assert_memory_equal(got.segments[i].data, want.segments[i].data, got.segments[i].size);
            assert_string_equal(got.segments[i].source, want.segments[i].source);
        }
        if (variant)
            assert_memory_equal(got.segments[2].data, b + 0x300, 0x80);
        assert_int_equal(got.format, MPF_FORMAT_ELF);
        assert_int_equal(got.has_entry, 1);
        assert_int_equal(got.entry, 0x08020101u);
        mpf_image_free(&want);
        mpf_image_free(&got);
        free(b);
    }
}

static void owned_buffer_failure_frees_it(void **state)
{
    (void)state;
    uint8_t *b = build_elf(mp_phs, MP_PHNUM, MP_TOTAL);
    set_ph(b, 2, 4, 0x10000u); /* .data's p_offset past the end */
    mpf_image img;
    mpf_image_init(&img);
    mpf_error err = {0};
    /* ASan reports a leak if the buffer is not freed. */
    assert_int_equal(mpf_load_buffer_owned(&img, b, MP_TOTAL, "fw.elf", NULL, NULL, &err), MPF_ERR_INPUT);
    assert_string_equal(err.message, "fw.elf: program header 2: 72 bytes at file offset 0x00010000 run past the end "
                                     "of the 1352-byte file; the file is truncated");
    assert_int_equal(img.count, 0);
    assert_int_equal(img.has_entry, 0);
    assert_int_equal(img.format, MPF_FORMAT_UNKNOWN);
    mpf_image_free(&img);
}

static void long_path_keeps_the_program_header_in_sources(void **state)
{
    (void)state;
    char name[160];
    memset(name, 'd', sizeof name);
    memcpy(name + sizeof name - 8, "/fw.elf", 8);
    uint8_t *b = build_elf(mp_phs, MP_PHNUM, MP_TOTAL);
    mpf_image img;
    mpf_image_init(&img);
    assert_int_equal(mpf_load_elf(&img, b, MP_TOTAL, name, NULL, NULL), MPF_OK);
    const char *src = img.segments[1].source;
    assert_int_equal(strlen(src), MPF_SOURCE_MAX - 1);
    assert_string_equal(src + strlen(src) - strlen("/fw.elf: program header 1"), "/fw.elf: program header 1");
    mpf_image_free(&img);
    free(b);
}

/* ---- unusable ELF files -------------------------------------------------- */

static void wrong_machine_is_named(void **state)
{
    (void)state;
    uint8_t *b = build_elf(mp_phs, MP_PHNUM, MP_TOTAL);
    b[4] = 2; /* an x86-64 ELF is also 64-bit: the machine is the better answer */
    fixture_put16(b + 18, 62);
    expect_input_error(b, MP_TOTAL,
                       "fw.elf: ELF machine 62 (x86-64) is not ARM; mpflash flashes ARM Cortex-M images");
    b[4] = 1;
    fixture_put16(b + 18, 94);
    expect_input_error(b, MP_TOTAL, "fw.elf: ELF machine 94 (Xtensa, as on ESP32) is not ARM");
    fixture_put16(b + 18, 183);
    expect_input_error(b, MP_TOTAL, "fw.elf: ELF machine 183 (AArch64) is not ARM");
    fixture_put16(b + 18, 4242);
    expect_input_error(b, MP_TOTAL, "fw.elf: ELF machine 4242 (unknown machine) is not ARM");
    free(b);
}

static void elf64_is_refused(void **state)
{
    (void)state;
    uint8_t *b = build_elf(mp_phs, MP_PHNUM, MP_TOTAL);
    b[4] = 2;
    expect_input_error(b, MP_TOTAL, "fw.elf: 64-bit ELF (class 2); mpflash flashes 32-bit ARM");
    b[4] = 7;
    expect_input_error(b, MP_TOTAL, "fw.elf: ELF class 7 at offset 0x00000004 is invalid");
    free(b);
}

static void big_endian_is_refused(void **state)
{
    (void)state;
    uint8_t *b = build_elf(mp_phs, MP_PHNUM, MP_TOTAL);
    b[5] = 2;
    b[18] = 0; /* e_machine 40, big-endian */
    b[19] = 40;
    expect_input_error(b, MP_TOTAL, "fw.elf: big-endian ARM ELF; STM32 Cortex-M firmware is little-endian");
    b[5] = 0;
    expect_input_error(b, MP_TOTAL, "fw.elf: ELF data encoding 0 at offset 0x00000005 is neither");
    free(b);
}

static void non_executable_types_are_refused(void **state)
{
    (void)state;
    uint8_t *b = build_elf(mp_phs, MP_PHNUM, MP_TOTAL);
    fixture_put16(b + 16, 1);
    expect_input_error(b, MP_TOTAL, "fw.elf: ELF type 1 (relocatable object) is not an executable");
    fixture_put16(b + 16, 3);
    expect_input_error(b, MP_TOTAL,
                       "fw.elf: ELF type 3 (shared object or position-independent executable) is not an executable");
    fixture_put16(b + 16, 4);
    expect_input_error(b, MP_TOTAL, "fw.elf: ELF type 4 (core dump) is not an executable");
    free(b);
}

static void wrong_version_and_magic(void **state)
{
    (void)state;
    uint8_t *b = build_elf(mp_phs, MP_PHNUM, MP_TOTAL);
    fixture_put32(b + 20, 2);
    expect_input_error(b, MP_TOTAL, "fw.elf: ELF version 1/2 is not 1");
    fixture_put32(b + 20, 1);
    b[0] = 0x7E;
    expect_input_error(b, MP_TOTAL, "fw.elf: not an ELF file");
    free(b);
}

/* ---- malformed ELF files ------------------------------------------------- */

static void truncated_at_every_length(void **state)
{
    (void)state;
    uint8_t *b = build_elf(mp_phs, MP_PHNUM, MP_TOTAL);
    const size_t ph_end = EHDR + MP_PHNUM * PHDR;
    for (size_t len = 0; len < MP_TOTAL; len++) {
        if (len < 4)
            expect_input_error(b, len, "fw.elf: not an ELF file");
        else if (len < EHDR)
            expect_input_error(b, len, "shorter than the 52-byte ELF header; the file is truncated");
        else if (len < ph_end)
            expect_input_error(b, len,
                               "fw.elf: program header table at offset 0x00000034 (5 entries of 32 bytes) "
                               "does not lie between the ELF header and the end of the");
        else if (len < MP_VEC_OFF + MP_VEC_SIZE)
            expect_input_error(b, len, "fw.elf: program header 0: 392 bytes at file offset 0x00000100 run past the end");
        else if (len < MP_TEXT_OFF + MP_TEXT_SIZE)
            expect_input_error(b, len, "fw.elf: program header 1: 512 bytes at file offset 0x00000300 run past the end");
        else
            expect_input_error(b, len, "fw.elf: program header 2: 72 bytes at file offset 0x00000500 run past the end");
    }
    /* the exact message at one cut */
    expect_input_error(b, 0x400,
                       "fw.elf: program header 1: 512 bytes at file offset 0x00000300 run past the end "
                       "of the 1024-byte file; the file is truncated");
    free(b);
}

static void program_header_table_outside_the_file(void **state)
{
    (void)state;
    uint8_t *b = build_elf(mp_phs, MP_PHNUM, MP_TOTAL);
    fixture_put32(b + 28, 0x10000u);
    expect_input_error(b, MP_TOTAL, "program header table at offset 0x00010000 (5 entries of 32 bytes)");
    /* would wrap a 32-bit sum back into the file */
    fixture_put32(b + 28, 0xFFFFFFF0u);
    expect_input_error(b, MP_TOTAL, "program header table at offset 0xFFFFFFF0 (5 entries of 32 bytes)");
    fixture_put32(b + 28, 0x10);
    expect_input_error(b, MP_TOTAL, "program header table at offset 0x00000010 (5 entries of 32 bytes)");
    fixture_put32(b + 28, EHDR);
    fixture_put16(b + 44, 0xFFFE);
    expect_input_error(b, MP_TOTAL, "program header table at offset 0x00000034 (65534 entries of 32 bytes)");
    fixture_put16(b + 42, 0xFFFF);
    expect_input_error(b, MP_TOTAL, "program header table at offset 0x00000034 (65534 entries of 65535 bytes)");
    free(b);
}

static void program_header_count_and_size(void **state)
{
    (void)state;
    uint8_t *b = build_elf(mp_phs, MP_PHNUM, MP_TOTAL);
    fixture_put16(b + 44, 0);
    expect_input_error(b, MP_TOTAL, "fw.elf: the ELF has no program headers");
    fixture_put16(b + 44, 0xFFFF);
    expect_input_error(b, MP_TOTAL, "fw.elf: the ELF uses extended program header numbering (e_phnum 0xFFFF)");
    fixture_put16(b + 44, MP_PHNUM);
    fixture_put16(b + 42, 16);
    expect_input_error(b, MP_TOTAL, "fw.elf: program header entries are 16 bytes, smaller than the 32 bytes");
    free(b);
}

static void segment_data_outside_the_file(void **state)
{
    (void)state;
    uint8_t *b = build_elf(mp_phs, MP_PHNUM, MP_TOTAL);
    set_ph(b, 1, 4, 0x10000u);
    expect_input_error(b, MP_TOTAL,
                       "fw.elf: program header 1: 512 bytes at file offset 0x00010000 run past the end "
                       "of the 1352-byte file; the file is truncated");
    /* offset + filesz wraps in 32 bits to 0x100 */
    set_ph(b, 1, 4, 0xFFFFFF00u);
    expect_input_error(b, MP_TOTAL, "fw.elf: program header 1: 512 bytes at file offset 0xFFFFFF00 run past the end");
    /* one byte too many */
    set_ph(b, 1, 4, MP_TEXT_OFF);
    set_ph(b, 2, 16, MP_DATA_SIZE + 1);
    expect_input_error(b, MP_TOTAL, "fw.elf: program header 2: 73 bytes at file offset 0x00000500 run past the end");
    free(b);
}

static void load_address_wrapping_4g(void **state)
{
    (void)state;
    const ph phs[] = {{1, 0x60, 0xFFFFFF00u, 0xFFFFFF01u, 0x100, 0x100}};
    uint8_t *b = build_elf(phs, 1, 0x160);
    expect_input_error(b, 0x160,
                       "fw.elf: program header 0: 256 bytes at load address 0xFFFFFF01 run past 0xFFFFFFFF");
    free(b);
}

static void file_size_larger_than_memory_size(void **state)
{
    (void)state;
    uint8_t *b = build_elf(mp_phs, MP_PHNUM, MP_TOTAL);
    set_ph(b, 0, 20, MP_VEC_SIZE - 1);
    expect_input_error(b, MP_TOTAL,
                       "fw.elf: program header 0: file size 392 is larger than memory size 391; the ELF is corrupt");
    free(b);
}

static void nothing_to_load(void **state)
{
    (void)state;
    const ph phs[] = {
        {1, 0x80, 0x20000000u, 0x08000000u, 0, 0x100},
        {4, 0x80, 0, 0, 0x10, 0x10}, /* PT_NOTE */
    };
    uint8_t *b = build_elf(phs, 2, 0x100);
    expect_input_error(b, 0x100,
                       "fw.elf: no PT_LOAD program header carries file data; there is nothing to flash");
    free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(micropython_shape_loads_at_physical_addresses),
        cmocka_unit_test(alt_comes_from_options),
        cmocka_unit_test(segment_holding_the_headers_is_just_bytes),
        cmocka_unit_test(wider_program_header_entries_are_strided),
        cmocka_unit_test(segment_ending_at_the_top_of_memory_is_fine),
        cmocka_unit_test(failed_load_leaves_image_as_it_was),
        cmocka_unit_test(entry_point_is_recorded),
        cmocka_unit_test(long_path_keeps_the_program_header_in_sources),
        cmocka_unit_test(owned_buffer_loads_the_same),
        cmocka_unit_test(owned_buffer_failure_frees_it),
        cmocka_unit_test(wrong_machine_is_named),
        cmocka_unit_test(elf64_is_refused),
        cmocka_unit_test(big_endian_is_refused),
        cmocka_unit_test(non_executable_types_are_refused),
        cmocka_unit_test(wrong_version_and_magic),
        cmocka_unit_test(truncated_at_every_length),
        cmocka_unit_test(program_header_table_outside_the_file),
        cmocka_unit_test(program_header_count_and_size),
        cmocka_unit_test(segment_data_outside_the_file),
        cmocka_unit_test(load_address_wrapping_4g),
        cmocka_unit_test(file_size_larger_than_memory_size),
        cmocka_unit_test(nothing_to_load),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
