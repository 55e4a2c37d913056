/* ELF32 ARM loader. Placement comes only from program headers and their
 * PHYSICAL address: firmware links .data (and on some boards .isr_vector)
 * to run in RAM but to be stored in flash, and p_paddr is where it is
 * stored. Section headers and p_vaddr describe the running program, not the
 * bytes to flash, so they are never consulted. */
#include "mpflash/image.h"

#include <stdio.h>
#include <stdlib.h>

#include "image/byte_order.h"
#include "image/owned_load.h"
#include "image/slices.h"

#define EHDR_SIZE 52
#define PHDR_SIZE 32
#define EM_ARM 40
#define ET_EXEC 2
#define PT_LOAD 1
#define PN_XNUM 0xFFFF

typedef struct elf_file {
    const uint8_t *buf;
    size_t len;
    const char *name;
    int big_endian;
} elf_file;

static uint16_t get16(const elf_file *f, size_t off)
{
    const uint8_t *p = f->buf + off;
    return f->big_endian ? (uint16_t)(p[0] << 8 | p[1]) : mpf_get_le16(p);
}

static const char *machine_name(uint16_t m)
{
    switch (m) {
    case 0: return "none";
    case 2: return "SPARC";
    case 3: return "x86";
    case 8: return "MIPS";
    case 20: return "PowerPC";
    case 21: return "PowerPC64";
    case 40: return "ARM";
    case 62: return "x86-64";
    case 83: return "AVR";
    case 94: return "Xtensa, as on ESP32";
    case 183: return "AArch64";
    case 243: return "RISC-V";
    default: return "unknown machine";
    }
}

static const char *type_name(uint16_t t)
{
    switch (t) {
    case 0: return "no file type";
    case 1: return "relocatable object";
    case 3: return "shared object or position-independent executable";
    case 4: return "core dump";
    default: return "unknown type";
    }
}

/* Everything in the ELF header that decides whether we can use this file. */
static mpf_err check_header(elf_file *f, mpf_error *err)
{
    const uint8_t *b = f->buf;
    if (f->len < 4 || b[0] != 0x7F || b[1] != 'E' || b[2] != 'L' || b[3] != 'F')
        return mpf_error_set(err, MPF_ERR_INPUT, "%s: not an ELF file (it does not start with 0x7F 'ELF')",
                             f->name);
    if (f->len < EHDR_SIZE)
        return mpf_error_set(err, MPF_ERR_INPUT,
                             "%s: file is %zu bytes, shorter than the %d-byte ELF header; the file is truncated",
                             f->name, f->len, EHDR_SIZE);
    if (b[5] != 1 && b[5] != 2)
        return mpf_error_set(err, MPF_ERR_INPUT,
                             "%s: ELF data encoding %u at offset 0x00000005 is neither little- (1) nor "
                             "big-endian (2); the file is corrupt",
                             f->name, b[5]);
    f->big_endian = b[5] == 2;
    /* Machine first: the most useful answer for an x86-64 or ESP32 ELF is
     * "wrong machine", not "wrong class". e_machine sits at offset 18 in
     * both ELF32 and ELF64. */
    uint16_t machine = get16(f, 18);
    if (machine != EM_ARM)
        return mpf_error_set(err, MPF_ERR_INPUT,
                             "%s: ELF machine %u (%s) is not ARM; mpflash flashes ARM Cortex-M images",
                             f->name, machine, machine_name(machine));
    if (b[4] == 2)
        return mpf_error_set(err, MPF_ERR_INPUT,
                             "%s: 64-bit ELF (class 2); mpflash flashes 32-bit ARM Cortex-M images (ELF class 1)",
                             f->name);
    if (b[4] != 1)
        return mpf_error_set(err, MPF_ERR_INPUT,
                             "%s: ELF class %u at offset 0x00000004 is invalid (1 = 32-bit); the file is corrupt",
                             f->name, b[4]);
    if (f->big_endian)
        return mpf_error_set(err, MPF_ERR_INPUT,
                             "%s: big-endian ARM ELF; STM32 Cortex-M firmware is little-endian, "
                             "rebuild without -mbig-endian",
                             f->name);
    if (b[6] != 1 || mpf_get_le32(b + 20) != 1)
        return mpf_error_set(err, MPF_ERR_INPUT,
                             "%s: ELF version %u/%u is not 1; the file is corrupt", f->name, b[6],
                             (unsigned)mpf_get_le32(b + 20));
    uint16_t type = get16(f, 16);
    if (type != ET_EXEC)
        return mpf_error_set(err, MPF_ERR_INPUT,
                             "%s: ELF type %u (%s) is not an executable; flash the linked firmware "
                             "(firmware.elf), not an object or library",
                             f->name, type, type_name(type));
    return MPF_OK;
}

/* Where the program header table is, once it is known to lie in the file. */
static mpf_err locate_phdrs(const elf_file *f, uint32_t *phoff, uint16_t *phnum,
                            uint16_t *phentsize, mpf_error *err)
{
    *phoff = mpf_get_le32(f->buf + 28);
    *phentsize = mpf_get_le16(f->buf + 42);
    *phnum = mpf_get_le16(f->buf + 44);
    if (*phnum == 0)
        return mpf_error_set(err, MPF_ERR_INPUT,
                             "%s: the ELF has no program headers, so nothing says what to load; "
                             "flash the linked firmware, not an object file",
                             f->name);
    if (*phnum == PN_XNUM)
        return mpf_error_set(err, MPF_ERR_INPUT,
                             "%s: the ELF uses extended program header numbering (e_phnum 0xFFFF), "
                             "which firmware never needs and mpflash does not read",
                             f->name);
    if (*phentsize < PHDR_SIZE)
        return mpf_error_set(err, MPF_ERR_INPUT,
                             "%s: program header entries are %u bytes, smaller than the %d bytes of "
                             "an ELF32 program header; the file is corrupt",
                             f->name, *phentsize, PHDR_SIZE);
    uint64_t end = (uint64_t)*phoff + (uint64_t)*phnum * *phentsize;
    if (*phoff < EHDR_SIZE || end > f->len)
        return mpf_error_set(err, MPF_ERR_INPUT,
                             "%s: program header table at offset 0x%08X (%u entries of %u bytes) "
                             "does not lie between the ELF header and the end of the %zu-byte file; "
                             "the file is truncated or corrupt",
                             f->name, (unsigned)*phoff, *phnum, *phentsize, f->len);
    return MPF_OK;
}

static mpf_err load_segment(mpf_slices *slices, const elf_file *f, unsigned index, const uint8_t *ph,
                            uint8_t alt, mpf_error *err)
{
    if (mpf_get_le32(ph) != PT_LOAD)
        return MPF_OK;
    uint32_t offset = mpf_get_le32(ph + 4);
    uint32_t paddr = mpf_get_le32(ph + 12);
    uint32_t filesz = mpf_get_le32(ph + 16);
    uint32_t memsz = mpf_get_le32(ph + 20);
    if (filesz > memsz)
        return mpf_error_set(err, MPF_ERR_INPUT,
                             "%s: program header %u: file size %u is larger than memory size %u; "
                             "the ELF is corrupt",
                             f->name, index, (unsigned)filesz, (unsigned)memsz);
    /* Zero filesz: .bss, heap and stack, which exist only in RAM at run time. */
    if (filesz == 0)
        return MPF_OK;
    if ((uint64_t)offset + filesz > f->len)
        return mpf_error_set(err, MPF_ERR_INPUT,
                             "%s: program header %u: %u bytes at file offset 0x%08X run past the end "
                             "of the %zu-byte file; the file is truncated",
                             f->name, index, (unsigned)filesz, (unsigned)offset, f->len);
    if ((uint64_t)paddr + filesz - 1 > UINT32_MAX)
        return mpf_error_set(err, MPF_ERR_INPUT,
                             "%s: program header %u: %u bytes at load address 0x%08X run past 0xFFFFFFFF; "
                             "the ELF is corrupt",
                             f->name, index, (unsigned)filesz, (unsigned)paddr);
    /* Room for a long path: the segment keeps the tail, which names the place. */
    char source[MPF_SOURCE_MAX * 4];
    snprintf(source, sizeof source, "%s: program header %u", f->name, index);
    return mpf_slices_push(slices, alt, paddr, offset, filesz, source, err);
}

/* Check the whole file and list what its PT_LOAD headers put in flash. */
static mpf_err scan(elf_file *f, uint8_t alt, mpf_slices *slices, mpf_error *err)
{
    mpf_err rc = check_header(f, err);
    if (rc)
        return rc;
    uint32_t phoff;
    uint16_t phnum, phentsize;
    rc = locate_phdrs(f, &phoff, &phnum, &phentsize, err);
    if (rc)
        return rc;
    for (unsigned i = 0; i < phnum && !rc; i++)
        rc = load_segment(slices, f, i, f->buf + phoff + (size_t)i * phentsize, alt, err);
    if (!rc && slices->count == 0)
        rc = mpf_error_set(err, MPF_ERR_INPUT,
                           "%s: no PT_LOAD program header carries file data; there is nothing to flash",
                           f->name);
    return rc;
}

/* owned is NULL (copy from buf) or buf itself, taken whatever happens. */
static mpf_err load(mpf_image *img, const uint8_t *buf, size_t len, const char *name,
                    const mpf_load_options *opt, uint8_t *owned, mpf_error *err)
{
    if (!img || (!buf && len)) {
        free(owned);
        return mpf_error_set(err, MPF_ERR_USAGE, "mpf_load_elf: no image or no buffer given");
    }
    elf_file f = {buf, len, name ? name : "input", 0};
    mpf_slices slices;
    mpf_slices_init(&slices);
    mpf_err rc = scan(&f, opt ? opt->alt : 0, &slices, err);
    /* Read before the commit, which may reuse the buffer. */
    uint32_t entry = rc ? 0 : mpf_get_le32(buf + 24);
    if (!rc)
        rc = mpf_slices_commit(img, &slices, buf, owned, err);
    else
        free(owned);
    mpf_slices_free(&slices);
    if (rc)
        return rc;
    /* e_entry 0 means "no entry point" (ELF spec). Information only: see
     * mpf_image.entry for why it is not where DFU leaves to. */
    if (entry != 0 && !img->has_entry) {
        img->has_entry = 1;
        img->entry = entry;
    }
    if (img->format == MPF_FORMAT_UNKNOWN)
        img->format = MPF_FORMAT_ELF;
    return MPF_OK;
}

mpf_err mpf_load_elf(mpf_image *img, const uint8_t *buf, size_t len,
                     const char *name, const mpf_load_options *opt, mpf_error *err)
{
    return load(img, buf, len, name, opt, NULL, err);
}

mpf_err mpf_load_elf_owned(mpf_image *img, uint8_t *buf, size_t len, const char *name,
                           const mpf_load_options *opt, mpf_error *err)
{
    return load(img, buf, len, name, opt, buf, err);
}
