/* Writes the committed corpus of malformed firmware files
 * (tests/corpus/malformed/): every file is something mpflash must refuse
 * with MPF_ERR_INPUT before it talks to a device. The files are committed
 * so a reader can open them and the fuzz targets can start from them; this
 * program is how they were made, and `--check DIR` proves DIR still holds
 * exactly what it makes (a ctest).
 *
 *   make_malformed DIR          write every file into DIR
 *   make_malformed --check DIR  exit 1 if DIR differs (missing, extra, changed)
 *
 * It shares no code with the library it tests, so a bug in the library's
 * CRC or layout code cannot hide in both: its DfuSe files, suffixes and
 * CRCs come from the tests' own builder (tests/support/dfuse_builder.c). */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixtures.h"

#define MAX_FILE 4096
#define MAX_FILES 160

typedef struct blob {
    char name[64];
    uint8_t bytes[MAX_FILE];
    size_t len;
} blob;

typedef struct corpus {
    blob *files;
    size_t count;
} corpus;

static void die(const char *what)
{
    fprintf(stderr, "make_malformed: %s\n", what);
    exit(2);
}

static blob *add(corpus *c, const char *name, const void *bytes, size_t len)
{
    if (c->count == MAX_FILES || len > MAX_FILE || strlen(name) >= sizeof c->files[0].name)
        die("corpus table too small");
    blob *b = &c->files[c->count++];
    snprintf(b->name, sizeof b->name, "%s", name);
    if (len)
        memcpy(b->bytes, bytes, len);
    b->len = len;
    return b;
}

/* A good file with up to three little-endian fields (1, 2 or 4 bytes wide)
 * set to a bad value: most of the corpus is one of these. */
typedef struct field {
    size_t at;
    unsigned width; /* 0: no more fields */
    uint32_t value;
} field;

typedef struct variant {
    const char *name;
    field set[3];
    int stale_crc; /* a .dfu whose suffix CRC is left as it was */
} variant;

static void add_variants(corpus *c, size_t (*base)(uint8_t *), void (*recrc)(uint8_t *, size_t),
                         const variant *v, size_t n)
{
    uint8_t f[MAX_FILE];
    for (size_t i = 0; i < n; i++) {
        size_t len = base(f);
        for (size_t k = 0; k < 3 && v[i].set[k].width; k++) {
            uint8_t *p = f + v[i].set[k].at;
            if (v[i].set[k].width == 1)
                *p = (uint8_t)v[i].set[k].value;
            else if (v[i].set[k].width == 2)
                fixture_put16(p, (uint16_t)v[i].set[k].value);
            else
                fixture_put32(p, v[i].set[k].value);
        }
        if (recrc && !v[i].stale_crc)
            recrc(f, len);
        add(c, v[i].name, f, len);
    }
}

static void pattern(uint8_t *p, size_t n, uint32_t seed)
{
    uint32_t x = seed | 1u;
    for (size_t i = 0; i < n; i++) {
        x = x * 1103515245u + 12345u;
        p[i] = (uint8_t)(x >> 16);
    }
}

/* ---- DfuSe -------------------------------------------------------------- */

/* The base file: one target (alt 0) with two elements, as MicroPython's
 * firmware.dfu has them: 64 bytes at 0x08000000 and 128 at 0x08020000. */
enum {
    DS_PREFIX = 0,     /* "DfuSe", bVersion, DFUImageSize, bTargets */
    DS_TARGET = 11,    /* "Target" ... */
    DS_T_ALT = 17,
    DS_T_NAMED = 18,
    DS_T_NAME = 22,
    DS_T_SIZE = 277,
    DS_T_COUNT = 281,
    DS_E0 = 285,       /* element 0 header */
    DS_E0_DATA = 293,
    DS_E1 = 357,       /* element 1 header */
    DS_E1_DATA = 365,
    DS_BODY = 493      /* the suffix starts here */
};

/* Append a DfuSe suffix (bcdDevice 0, 0xDF11, 0x0483, DfuSe 0x011A) with a
 * right CRC. */
static size_t suffix(uint8_t *f, size_t body)
{
    fixture_dfu_suffix(f, body, 0x0483, 0xDF11, 0, 0x011A);
    return body + FIXTURE_DFU_SUFFIX_LEN;
}

static void recrc(uint8_t *f, size_t len)
{
    fixture_put32(f + len - 4, fixture_dfu_crc(f, len - 4));
}

static size_t dfuse_base(uint8_t *f)
{
    uint8_t e0[64], e1[128];
    pattern(e0, sizeof e0, 1);
    pattern(e1, sizeof e1, 2);
    fixture_dfuse d;
    fixture_dfuse_init(&d);
    fixture_dfuse_target *t = fixture_dfuse_add_target(&d, 0, "ST...");
    fixture_dfuse_add_element(t, 0x08000000u, e0, sizeof e0);
    fixture_dfuse_add_element(t, 0x08020000u, e1, sizeof e1);
    size_t len = 0;
    uint8_t *built = fixture_dfuse_build(&d, &len);
    if (!built || len != DS_BODY + FIXTURE_DFU_SUFFIX_LEN)
        die("the DfuSe base file is not the one the offsets describe");
    memset(f, 0, MAX_FILE);
    memcpy(f, built, len);
    free(built);
    return len;
}

static void dfuse_files(corpus *c)
{
    uint8_t f[MAX_FILE];
    char name[64];
    /* Cut at every header boundary (and inside the data): the suffix goes
     * with the cut, so these are refused for it, as a cut download is. */
    static const size_t cuts[] = {1, 4, 5, 6, 10, 11, 17, 18, 22, 277, 281, 285, 289, 293,
                                  325, 357, 361, 365, 429, 493, 494, 500, 504, 508};
    for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
        dfuse_base(f);
        snprintf(name, sizeof name, "dfuse_cut_%03zu.dfu", cuts[i]);
        add(c, name, f, cuts[i]);
    }
    /* The same cuts with a fresh, valid suffix and DFUImageSize patched to
     * match: the damage is then only in the headers, which must catch it. */
    static const size_t body_cuts[] = {11, 17, 22, 277, 285, 289, 293, 325, 357, 361, 365, 429};
    for (size_t i = 0; i < sizeof body_cuts / sizeof body_cuts[0]; i++) {
        dfuse_base(f);
        fixture_put32(f + 6, (uint32_t)body_cuts[i]);
        size_t len = suffix(f, body_cuts[i]);
        snprintf(name, sizeof name, "dfuse_resuffixed_cut_%03zu.dfu", body_cuts[i]);
        add(c, name, f, len);
    }

    size_t len = dfuse_base(f);
    f[len - 1] ^= 0x01;
    add(c, "dfuse_crc_wrong.dfu", f, len);

    /* The CRC is made right again after each change (except where the
     * change is in the suffix's signature), so the change itself is what
     * must be caught. */
    static const variant fields[] = {
        {"dfuse_signature_wrong.dfu", {{4, 1, 'x'}}, 0},              /* "DfuSx" */
        {"dfuse_target_signature_wrong.dfu", {{DS_TARGET + 5, 1, 'x'}}, 0}, /* "Targex" */
        {"dfuse_suffix_signature_wrong.dfu", {{DS_BODY + 10, 1, 'X'}}, 1},  /* "UFX" */
        {"dfuse_suffix_length_wrong.dfu", {{DS_BODY + 11, 1, 15}}, 0},
        {"dfuse_version_2.dfu", {{5, 1, 2}}, 0},
        {"dfuse_image_size_wrong.dfu", {{6, 4, 1000}}, 0},
        {"dfuse_zero_targets.dfu", {{10, 1, 0}}, 0},
        {"dfuse_255_targets_one_present.dfu", {{10, 1, 255}}, 0},
        {"dfuse_target_size_huge.dfu", {{DS_T_SIZE, 4, 0xFFFFFFF0u}}, 0},
        {"dfuse_target_size_short.dfu", {{DS_T_SIZE, 4, DS_BODY - DS_E0 - 8}}, 0},
        {"dfuse_element_past_end.dfu", {{DS_E1 + 4, 4, 129}}, 0},
        {"dfuse_element_size_huge.dfu", {{DS_E0 + 4, 4, 0xFFFFFFF8u}}, 0},
        /* 128 bytes from here pass 2^32. */
        {"dfuse_address_wraps_2_32.dfu", {{DS_E1, 4, 0xFFFFFFC0u}}, 0},
        /* Lands on element 0's last 32 bytes, other data. */
        {"dfuse_overlap_different_data.dfu", {{DS_E1, 4, 0x08000020u}}, 0},
        /* A small file that claims a million elements. */
        {"dfuse_million_elements_claimed.dfu", {{DS_T_COUNT, 4, 1000000u}}, 0},
        {"dfuse_element_count_too_high.dfu", {{DS_T_COUNT, 4, 3}}, 0},
    };
    add_variants(c, dfuse_base, recrc, fields, sizeof fields / sizeof fields[0]);

    /* Junk between the last target and the suffix. */
    dfuse_base(f);
    memset(f + DS_BODY, 0xA5, 24);
    fixture_put32(f + 6, DS_BODY + 24);
    len = suffix(f, DS_BODY + 24);
    add(c, "dfuse_trailing_junk.dfu", f, len);

    /* Plain DFU 1.1: bytes with a suffix carry no address of their own. */
    uint8_t p[64];
    pattern(p, 48, 3);
    memcpy(f, p, 48);
    len = suffix(f, 48);
    /* Meant as bcdDFU 0x0100, but offsets 6-7 are in the data, not the
     * suffix (which stays DfuSe 0x011A): the committed files are these
     * bytes, and the loaders refuse them all the same (no address). */
    f[6] = 0x00;
    f[7] = 0x01;
    recrc(f, len);
    add(c, "plain_dfu_no_address.dfu", f, len);
    f[len - 2] ^= 0x40;
    add(c, "plain_dfu_crc_wrong.dfu", f, len);
}

/* ---- ELF ------------------------------------------------------------------ */

enum { EH = 52, PH = 32, E_PH0 = 52, E_PH1 = 84, E_DATA0 = 116, E_DATA1 = 180, E_END = 308 };

static void phdr(uint8_t *ph, uint32_t type, uint32_t offset, uint32_t vaddr, uint32_t paddr,
                 uint32_t filesz, uint32_t memsz)
{
    fixture_put32(ph + 0, type);
    fixture_put32(ph + 4, offset);
    fixture_put32(ph + 8, vaddr);
    fixture_put32(ph + 12, paddr);
    fixture_put32(ph + 16, filesz);
    fixture_put32(ph + 20, memsz);
    fixture_put32(ph + 24, 5);
    fixture_put32(ph + 28, 4);
}

/* ELF32 LE ARM executable: .isr_vector (64 B at 0x08000000) and .data
 * linked at 0x20000000 but stored at 0x08020000 (128 B). */
static size_t elf_base(uint8_t *f)
{
    memset(f, 0, MAX_FILE);
    f[0] = 0x7F;
    memcpy(f + 1, "ELF", 3);
    f[4] = 1; /* ELFCLASS32 */
    f[5] = 1; /* little-endian */
    f[6] = 1;
    fixture_put16(f + 16, 2);  /* ET_EXEC */
    fixture_put16(f + 18, 40); /* EM_ARM */
    fixture_put32(f + 20, 1);
    fixture_put32(f + 24, 0x08000101u);
    fixture_put32(f + 28, E_PH0); /* e_phoff */
    fixture_put32(f + 36, 0x05000400u);
    fixture_put16(f + 40, EH);
    fixture_put16(f + 42, PH);
    fixture_put16(f + 44, 2);
    fixture_put16(f + 46, 40);
    phdr(f + E_PH0, 1, E_DATA0, 0x08000000u, 0x08000000u, 64, 64);
    phdr(f + E_PH1, 1, E_DATA1, 0x20000000u, 0x08020000u, 128, 256);
    pattern(f + E_DATA0, 64, 4);
    pattern(f + E_DATA1, 128, 5);
    return E_END;
}

static void elf_files(corpus *c)
{
    uint8_t f[MAX_FILE];
    char name[64];
    static const size_t cuts[] = {4, 16, 20, 28, 44, 51, 52, 60, 84, 100, 116, 150, 180, 250, 307};
    for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
        elf_base(f);
        snprintf(name, sizeof name, "elf_cut_%03zu.elf", cuts[i]);
        add(c, name, f, cuts[i]);
    }
    static const variant fields[] = {
        {"elf_offset_past_end.elf", {{E_PH1 + 4, 4, 4000}}, 0}, /* p_offset past the end */
        /* offset + filesz wraps 32 bits */
        {"elf_offset_wraps.elf", {{E_PH1 + 4, 4, 0xFFFFFFF0u}}, 0},
        {"elf_filesz_over_memsz.elf", {{E_PH1 + 16, 4, 512}}, 0},
        {"elf_phoff_past_end.elf", {{28, 4, 4000}}, 0},
        {"elf_phnum_huge.elf", {{44, 2, 0xFFFE}}, 0},
        {"elf_phnum_zero.elf", {{44, 2, 0}}, 0},
        {"elf_phentsize_small.elf", {{42, 2, 16}}, 0},
        {"elf_paddr_wraps_2_32.elf", {{E_PH1 + 12, 4, 0xFFFFFFC0u}}, 0},
        /* stored over .isr_vector, other bytes */
        {"elf_overlap_different_data.elf", {{E_PH1 + 12, 4, 0x08000020u}}, 0},
        /* only .bss-like segments */
        {"elf_nothing_to_load.elf", {{E_PH0 + 16, 4, 0}, {E_PH1 + 16, 4, 0}}, 0},
        {"elf_class64.elf", {{4, 1, 2}}, 0},
        {"elf_class_invalid.elf", {{4, 1, 7}}, 0},
        /* big-endian, EM_ARM written big-endian too */
        {"elf_big_endian.elf", {{5, 1, 2}, {18, 1, 0}, {19, 1, 40}}, 0},
        {"elf_relocatable.elf", {{16, 2, 1}}, 0},
        {"elf_x86_64_machine.elf", {{18, 2, 62}}, 0},
        {"elf_version_0.elf", {{6, 1, 0}}, 0},
    };
    add_variants(c, elf_base, NULL, fields, sizeof fields / sizeof fields[0]);
}

/* ---- Intel HEX ------------------------------------------------------------ */

/* One record line with a right (or deliberately wrong) checksum. */
static size_t record(char *out, size_t cap, uint8_t type, uint16_t offset, const uint8_t *data,
                     size_t n, int checksum_delta)
{
    uint8_t sum = (uint8_t)(n + (offset >> 8) + (offset & 0xFF) + type);
    int w = snprintf(out, cap, ":%02X%04X%02X", (unsigned)n, (unsigned)offset, (unsigned)type);
    for (size_t i = 0; i < n; i++) {
        sum = (uint8_t)(sum + data[i]);
        w += snprintf(out + w, cap - (size_t)w, "%02X", data[i]);
    }
    w += snprintf(out + w, cap - (size_t)w, "%02X\n", (uint8_t)(0x100 - sum + checksum_delta));
    return (size_t)w;
}

typedef struct hexfile {
    char text[MAX_FILE];
    size_t len;
} hexfile;

static void hx(hexfile *h, uint8_t type, uint16_t offset, const uint8_t *data, size_t n, int delta)
{
    h->len += record(h->text + h->len, sizeof h->text - h->len, type, offset, data, n, delta);
}

static void hx_raw(hexfile *h, const char *line)
{
    h->len += (size_t)snprintf(h->text + h->len, sizeof h->text - h->len, "%s", line);
}

static const uint8_t ext_0800[2] = {0x08, 0x00};

static void hx_data(hexfile *h, uint16_t offset, uint32_t seed)
{
    uint8_t d[16];
    pattern(d, sizeof d, seed);
    hx(h, 0, offset, d, sizeof d, 0);
}

/* A new file that starts as they all do: upper address 0x0800. */
static void hx_start(hexfile *h)
{
    memset(h, 0, sizeof *h);
    hx(h, 4, 0, ext_0800, 2, 0);
}

static void hex_files(corpus *c)
{
    hexfile h;
    uint8_t d[16];

    hx_start(&h);
    hx_data(&h, 0, 6);
    hx(&h, 0, 0x10, (const uint8_t *)"0123456789abcdef", 16, 1); /* checksum off by one */
    hx(&h, 1, 0, NULL, 0, 0);
    add(c, "hex_bad_checksum.hex", h.text, h.len);

    hx_start(&h);
    hx_data(&h, 0, 7);
    hx(&h, 6, 0, ext_0800, 2, 0); /* no type 06 in Intel HEX */
    hx(&h, 1, 0, NULL, 0, 0);
    add(c, "hex_unknown_record_type.hex", h.text, h.len);

    hx_start(&h);
    hx_data(&h, 0, 8);
    hx_data(&h, 0x10, 9);
    add(c, "hex_no_eof_record.hex", h.text, h.len);

    hx_start(&h);
    hx_data(&h, 0, 10);
    hx(&h, 1, 0, NULL, 0, 0);
    hx_data(&h, 0x10, 11);
    add(c, "hex_data_after_eof.hex", h.text, h.len);

    /* One bad line between the address record and the EOF record. */
    static const struct {
        const char *name, *line;
    } bad_lines[] = {
        {"hex_odd_digit_count.hex", ":1000000001020304050607080910111213141516F\n"},
        {"hex_non_hex_character.hex", ":10000000010203040506070809G0111213141516A6\n"},
        /* says 0x10 data bytes, carries 8 */
        {"hex_length_mismatch.hex", ":100000000102030405060708D0\n"},
    };
    for (size_t i = 0; i < sizeof bad_lines / sizeof bad_lines[0]; i++) {
        hx_start(&h);
        hx_raw(&h, bad_lines[i].line);
        hx(&h, 1, 0, NULL, 0, 0);
        add(c, bad_lines[i].name, h.text, h.len);
    }

    memset(&h, 0, sizeof h);
    static const uint8_t ext_ffff[2] = {0xFF, 0xFF};
    hx(&h, 4, 0, ext_ffff, 2, 0);
    uint8_t big[32];
    pattern(big, sizeof big, 12);
    hx(&h, 0, 0xFFF0, big, sizeof big, 0); /* 0xFFFFFFF0 + 32 passes 2^32 */
    hx(&h, 1, 0, NULL, 0, 0);
    add(c, "hex_address_wraps_2_32.hex", h.text, h.len);

    hx_start(&h);
    hx_data(&h, 0x100, 13);
    hx_data(&h, 0x108, 14); /* half on top of the previous record, other bytes */
    hx(&h, 1, 0, NULL, 0, 0);
    add(c, "hex_overlap_different_data.hex", h.text, h.len);

    hx_start(&h);
    hx(&h, 1, 0, NULL, 0, 0);
    add(c, "hex_no_data_records.hex", h.text, h.len);

    memset(&h, 0, sizeof h);
    static const uint8_t three[3] = {0x08, 0x00, 0x00};
    hx(&h, 4, 0, three, 3, 0);
    hx_data(&h, 0, 15);
    hx(&h, 1, 0, NULL, 0, 0);
    add(c, "hex_extended_address_3_bytes.hex", h.text, h.len);

    hx_start(&h);
    hx_data(&h, 0, 16);
    h.len -= 12; /* cut in the middle of the data record */
    add(c, "hex_cut_mid_record.hex", h.text, h.len);

    hx_start(&h);
    hx_raw(&h, ":00000001\n"); /* EOF record without a checksum byte */
    add(c, "hex_short_record.hex", h.text, h.len);

    memset(&h, 0, sizeof h);
    pattern(d, sizeof d, 17);
    hx(&h, 4, 0, ext_0800, 2, 0);
    hx(&h, 0, 0, d, sizeof d, 0);
    hx(&h, 1, 0, d, 2, 0); /* EOF record carrying data */
    add(c, "hex_eof_with_data.hex", h.text, h.len);
}

/* ---- raw binaries ----------------------------------------------------------- */

static void bin_files(corpus *c)
{
    add(c, "bin_empty.bin", "", 0);
    uint8_t b[256];
    pattern(b, sizeof b, 18);
    add(c, "bin_without_address.bin", b, sizeof b);
}

/* ---- output ------------------------------------------------------------------ */

static void build(corpus *c)
{
    dfuse_files(c);
    elf_files(c);
    hex_files(c);
    bin_files(c);
}

static int write_all(const corpus *c, const char *dir)
{
    for (size_t i = 0; i < c->count; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, c->files[i].name);
        FILE *f = fopen(path, "wb");
        if (!f || (c->files[i].len && fwrite(c->files[i].bytes, 1, c->files[i].len, f) !=
                                              c->files[i].len)) {
            fprintf(stderr, "make_malformed: cannot write %s\n", path);
            if (f)
                fclose(f);
            return 1;
        }
        if (fclose(f) != 0) {
            fprintf(stderr, "make_malformed: cannot write %s\n", path);
            return 1;
        }
    }
    printf("make_malformed: wrote %zu files to %s\n", c->count, dir);
    return 0;
}

static int same_file(const char *path, const blob *b)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return 0;
    static uint8_t buf[MAX_FILE + 1];
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    return n == b->len && memcmp(buf, b->bytes, n) == 0;
}

static int check_all(const corpus *c, const char *dir)
{
    int bad = 0;
    for (size_t i = 0; i < c->count; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, c->files[i].name);
        if (!same_file(path, &c->files[i])) {
            fprintf(stderr, "make_malformed: %s is missing or differs from the generator\n", path);
            bad = 1;
        }
    }
    DIR *d = opendir(dir);
    if (!d) {
        fprintf(stderr, "make_malformed: cannot open %s\n", dir);
        return 1;
    }
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        int known = 0;
        for (size_t i = 0; i < c->count && !known; i++)
            known = strcmp(c->files[i].name, e->d_name) == 0;
        if (!known) {
            fprintf(stderr, "make_malformed: %s/%s is not made by the generator\n", dir, e->d_name);
            bad = 1;
        }
    }
    closedir(d);
    if (!bad)
        printf("make_malformed: %s holds the %zu generated files\n", dir, c->count);
    return bad;
}

int main(int argc, char **argv)
{
    int check = argc == 3 && strcmp(argv[1], "--check") == 0;
    if (argc != 2 && !check) {
        fprintf(stderr, "usage: make_malformed DIR | make_malformed --check DIR\n");
        return 2;
    }
    corpus c = {calloc(MAX_FILES, sizeof(blob)), 0};
    if (!c.files)
        die("out of memory");
    build(&c);
    int rc = check ? check_all(&c, argv[2]) : write_all(&c, argv[1]);
    free(c.files);
    return rc;
}
