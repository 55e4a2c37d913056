/* Cross-checks against independent tools, on a firmware cross-built by GNU
 * ld (tests/arm): readelf confirms the program headers have the shapes the
 * ELF loader must handle; objcopy's Intel HEX of the same ELF must load to
 * the same image; objcopy must read our Intel HEX back to the same bytes;
 * dfu-suffix must accept the .dfu we write from it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "mpflash/image.h"

#ifndef MPFLASH_ARM_FIRMWARE_ELF
int main(void)
{
    puts("test_arm_crosscheck: built with -DMPFLASH_ARM_TESTS=OFF; nothing to check");
    return 0;
}
#else

#define FLASH_SECTOR0 0x08000000u
#define FLASH_TEXT 0x08020000u
#define RAM_BASE 0x20000000u
#define VECTOR_TABLE_SIZE (98u * 4u) /* 16 core + 82 STM32F4 vectors */

typedef struct load_ph {
    uint32_t offset, vaddr, paddr, filesz, memsz;
} load_ph;

typedef struct fixture {
    char tmpdir[64];
    load_ph load[8];
    size_t load_count;
    mpf_image elf; /* normalized */
} fixture;

/* Runs a shell command, returns its exit status and its output (stdout and
 * stderr) in out. */
static int run(const char *cmd, char *out, size_t out_size)
{
    char full[1024];
    snprintf(full, sizeof full, "%s 2>&1", cmd);
    FILE *p = popen(full, "r");
    assert_non_null(p);
    size_t n = fread(out, 1, out_size - 1, p);
    out[n] = '\0';
    int status = pclose(p);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void read_load_headers(fixture *f)
{
    static char out[8192];
    assert_int_equal(run("'" MPFLASH_ARM_READELF "' -lW '" MPFLASH_ARM_FIRMWARE_ELF "'", out, sizeof out), 0);
    f->load_count = 0;
    for (char *line = strtok(out, "\n"); line; line = strtok(NULL, "\n")) {
        unsigned off, va, pa, fs, ms;
        if (sscanf(line, " LOAD 0x%x 0x%x 0x%x 0x%x 0x%x", &off, &va, &pa, &fs, &ms) != 5)
            continue;
        assert_true(f->load_count < sizeof f->load / sizeof *f->load);
        f->load[f->load_count++] = (load_ph){off, va, pa, fs, ms};
    }
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    if (!f)
        return -1;
    snprintf(f->tmpdir, sizeof f->tmpdir, "/tmp/mpflash-arm-XXXXXX");
    if (!mkdtemp(f->tmpdir)) {
        free(f);
        return -1;
    }
    read_load_headers(f);
    mpf_image_init(&f->elf);
    mpf_error err = {0};
    mpf_format detected = MPF_FORMAT_UNKNOWN;
    if (mpf_load_file(&f->elf, MPFLASH_ARM_FIRMWARE_ELF, NULL, &detected, &err) != MPF_OK ||
        detected != MPF_FORMAT_ELF || mpf_image_normalize(&f->elf, &err) != MPF_OK) {
        fprintf(stderr, "loading %s: %s\n", MPFLASH_ARM_FIRMWARE_ELF, err.message);
        return -1;
    }
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->tmpdir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", f->tmpdir);
    mpf_image_free(&f->elf);
    free(f);
    return 0;
}

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static int contains(const uint8_t *hay, size_t hay_len, const uint8_t *needle, size_t n)
{
    for (size_t i = 0; i + n <= hay_len; i++)
        if (memcmp(hay + i, needle, n) == 0)
            return 1;
    return 0;
}

static void assert_images_equal(const mpf_image *a, const mpf_image *b)
{
    assert_int_equal(a->count, b->count);
    for (size_t i = 0; i < a->count; i++) {
        assert_int_equal(a->segments[i].alt, b->segments[i].alt);
        assert_int_equal(a->segments[i].address, b->segments[i].address);
        assert_int_equal(a->segments[i].size, b->segments[i].size);
        assert_memory_equal(a->segments[i].data, b->segments[i].data, a->segments[i].size);
    }
}

/* The linker really produced the shapes the loader has to get right. */
static void readelf_shows_load_and_run_addresses_differ(void **state)
{
    fixture *f = *state;
    assert_int_equal(f->load_count, 4);
    const load_ph *vec = &f->load[0], *text = &f->load[1], *data = &f->load[2], *heap = &f->load[3];
    /* vector table: stored in sector 0, run from RAM */
    assert_int_equal(vec->paddr, FLASH_SECTOR0);
    assert_int_equal(vec->vaddr, RAM_BASE);
    assert_int_equal(vec->filesz, VECTOR_TABLE_SIZE);
    /* text: stored and run in flash */
    assert_int_equal(text->paddr, FLASH_TEXT);
    assert_int_equal(text->vaddr, FLASH_TEXT);
    assert_true(text->filesz > 0);
    /* .data: stored right after .text, run from RAM after the vector table, .bss behind it */
    assert_int_equal(data->paddr, text->paddr + text->filesz);
    assert_int_equal(data->vaddr, RAM_BASE + VECTOR_TABLE_SIZE);
    assert_true(data->filesz > 0);
    assert_true(data->memsz > data->filesz);
    /* heap: no bytes in the file, yet a physical address in flash */
    assert_int_equal(heap->filesz, 0);
    assert_true(heap->memsz >= 0x2000);
    assert_int_equal(heap->paddr & 0xFF000000u, 0x08000000u);
    assert_int_equal(heap->vaddr & 0xFF000000u, RAM_BASE);
}

/* Every byte comes from where readelf says, lands where p_paddr says. */
static void elf_loader_matches_readelf(void **state)
{
    fixture *f = *state;
    uint8_t *file = NULL;
    size_t len = 0;
    assert_int_equal(mpf_read_file(MPFLASH_ARM_FIRMWARE_ELF, &file, &len, NULL), MPF_OK);
    mpf_image raw;
    mpf_image_init(&raw);
    assert_int_equal(mpf_load_elf(&raw, file, len, "firmware.elf", NULL, NULL), MPF_OK);
    assert_int_equal(raw.count, 3); /* the heap has nothing to load */
    for (size_t i = 0; i < raw.count; i++) {
        const load_ph *ph = &f->load[i];
        char source[64];
        snprintf(source, sizeof source, "firmware.elf: program header %zu", i);
        assert_string_equal(raw.segments[i].source, source);
        assert_int_equal(raw.segments[i].address, ph->paddr);
        assert_int_equal(raw.segments[i].size, ph->filesz);
        assert_true((uint64_t)ph->offset + ph->filesz <= len);
        assert_memory_equal(raw.segments[i].data, file + ph->offset, ph->filesz);
    }
    mpf_image_free(&raw);
    free(file);
}

static void elf_image_has_vector_table_and_merged_text_data(void **state)
{
    fixture *f = *state;
    const mpf_image *img = &f->elf;
    const load_ph *text = &f->load[1], *data = &f->load[2];
    assert_int_equal(img->count, 2);
    assert_int_equal(img->segments[0].alt, 0);
    assert_int_equal(img->segments[0].address, FLASH_SECTOR0);
    assert_int_equal(img->segments[0].size, VECTOR_TABLE_SIZE);
    assert_int_equal(img->segments[1].alt, 0);
    assert_int_equal(img->segments[1].address, FLASH_TEXT);
    assert_int_equal(img->segments[1].size, text->filesz + data->filesz);

    /* initial SP = end of 128 KiB RAM; reset handler is Thumb code in the text */
    const uint8_t *vec = img->segments[0].data;
    assert_int_equal(le32(vec), RAM_BASE + 128u * 1024u);
    uint32_t reset = le32(vec + 4);
    assert_int_equal(reset & 1u, 1u);
    assert_in_range(reset & ~1u, FLASH_TEXT, FLASH_TEXT + text->filesz - 2);

    /* .data's initial values from firmware.c sit in the stored .data bytes */
    const uint8_t *stored_data = img->segments[1].data + text->filesz;
    static const uint8_t boot_count[] = {0x31, 0x46, 0x50, 0x4D};
    static const uint8_t pattern[] = {1, 1, 2, 3, 5, 8, 13, 21, 34, 55, 89, 144, 233, 0};
    assert_true(contains(stored_data, data->filesz, boot_count, sizeof boot_count));
    assert_true(contains(stored_data, data->filesz, pattern, sizeof pattern));
}

static void objcopy_hex_loads_to_the_same_image(void **state)
{
    fixture *f = *state;
    mpf_image hex;
    mpf_image_init(&hex);
    mpf_error err = {0};
    mpf_format detected = MPF_FORMAT_UNKNOWN;
    if (mpf_load_file(&hex, MPFLASH_ARM_FIRMWARE_HEX, NULL, &detected, &err) != MPF_OK)
        fail_msg("%s", err.message);
    assert_int_equal(detected, MPF_FORMAT_IHEX);
    assert_int_equal(mpf_image_normalize(&hex, &err), MPF_OK);
    assert_int_equal(hex.segments[0].address, FLASH_SECTOR0);
    assert_int_equal(hex.segments[1].address, FLASH_TEXT);
    assert_images_equal(&f->elf, &hex);
    mpf_image_free(&hex);
}

/* Our Intel HEX, read by objcopy into a flat binary from 0x08000000. */
static void objcopy_reads_our_hex_back(void **state)
{
    fixture *f = *state;
    char *text = NULL;
    size_t len = 0;
    assert_int_equal(mpf_write_ihex(&f->elf, &text, &len, NULL), MPF_OK);
    char hex_path[128], bin_path[128], cmd[512], out[4096];
    snprintf(hex_path, sizeof hex_path, "%s/ours.hex", f->tmpdir);
    snprintf(bin_path, sizeof bin_path, "%s/ours.bin", f->tmpdir);
    assert_int_equal(mpf_write_file_atomic(hex_path, text, len, NULL), MPF_OK);
    free(text);
    snprintf(cmd, sizeof cmd, "'%s' -I ihex -O binary '%s' '%s'", MPFLASH_ARM_OBJCOPY, hex_path, bin_path);
    if (run(cmd, out, sizeof out) != 0)
        fail_msg("objcopy refused our Intel HEX: %s", out);
    uint8_t *bin = NULL;
    size_t bin_len = 0;
    assert_int_equal(mpf_read_file(bin_path, &bin, &bin_len, NULL), MPF_OK);
    const mpf_segment *vec = &f->elf.segments[0], *code = &f->elf.segments[1];
    assert_int_equal(bin_len, (code->address - FLASH_SECTOR0) + code->size);
    assert_memory_equal(bin, vec->data, vec->size);
    for (size_t i = vec->size; i < code->address - FLASH_SECTOR0; i++)
        assert_int_equal(bin[i], 0); /* objcopy's gap fill */
    assert_memory_equal(bin + (code->address - FLASH_SECTOR0), code->data, code->size);
    free(bin);
}

static void dfuse_file_passes_dfu_suffix_and_reloads(void **state)
{
    fixture *f = *state;
    uint8_t *dfu = NULL;
    size_t dfu_len = 0;
    mpf_error err = {0};
    if (mpf_write_dfuse(&f->elf, NULL, &dfu, &dfu_len, &err) != MPF_OK)
        fail_msg("%s", err.message);
    char path[128], cmd[512], out[4096], want_crc[64];
    snprintf(path, sizeof path, "%s/firmware.dfu", f->tmpdir);
    assert_int_equal(mpf_write_file_atomic(path, dfu, dfu_len, NULL), MPF_OK);
    snprintf(want_crc, sizeof want_crc, "CRC:\t\t0x%08X", (unsigned)le32(dfu + dfu_len - 4));
    free(dfu);

    snprintf(cmd, sizeof cmd, "'%s' -c '%s'", MPFLASH_DFU_SUFFIX, path);
    int status = run(cmd, out, sizeof out);
    if (status != 0 || !strstr(out, "contains a DFU suffix"))
        fail_msg("dfu-suffix -c exited %d: %s", status, out);
    assert_null(strstr(out, "does not match"));
    assert_non_null(strstr(out, "Vendor ID:\t0x0483"));
    assert_non_null(strstr(out, "Product ID:\t0xDF11"));
    assert_non_null(strstr(out, "BCD DFU:\t0x011A"));
    assert_non_null(strstr(out, "Length:\t\t16"));
    if (!strstr(out, want_crc))
        fail_msg("dfu-suffix reports another CRC than the file stores (%s): %s", want_crc, out);

    mpf_image back;
    mpf_image_init(&back);
    mpf_format detected = MPF_FORMAT_UNKNOWN;
    if (mpf_load_file(&back, path, NULL, &detected, &err) != MPF_OK)
        fail_msg("%s", err.message);
    assert_int_equal(detected, MPF_FORMAT_DFUSE);
    assert_true(back.crc_ok);
    assert_int_equal(mpf_image_normalize(&back, &err), MPF_OK);
    /* DfuSe elements are padded with zeros to a multiple of 8 bytes */
    assert_int_equal(back.count, f->elf.count);
    for (size_t i = 0; i < back.count; i++) {
        const mpf_segment *want = &f->elf.segments[i], *got = &back.segments[i];
        assert_int_equal(got->alt, want->alt);
        assert_int_equal(got->address, want->address);
        assert_int_equal(got->size, (want->size + 7u) & ~(size_t)7u);
        assert_memory_equal(got->data, want->data, want->size);
        for (size_t j = want->size; j < got->size; j++)
            assert_int_equal(got->data[j], 0);
    }
    mpf_image_free(&back);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(readelf_shows_load_and_run_addresses_differ),
        cmocka_unit_test(elf_loader_matches_readelf),
        cmocka_unit_test(elf_image_has_vector_table_and_merged_text_data),
        cmocka_unit_test(objcopy_hex_loads_to_the_same_image),
        cmocka_unit_test(objcopy_reads_our_hex_back),
        cmocka_unit_test(dfuse_file_passes_dfu_suffix_and_reloads),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
#endif
