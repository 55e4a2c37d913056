/* mpflash — the image model: every input format becomes an ordered list of
 * segments {alt setting, address, bytes}, plus what the file said about
 * itself (DfuSe target names, DFU suffix IDs, CRC status).
 */
#ifndef MPFLASH_IMAGE_H
#define MPFLASH_IMAGE_H

#include <stddef.h>
#include <stdint.h>

#include "mpflash/error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum mpf_format {
    MPF_FORMAT_UNKNOWN = 0,
    MPF_FORMAT_DFUSE, /* ST DfuSe .dfu (UM0391) */
    MPF_FORMAT_DFU,   /* plain DFU 1.1 file: raw bytes + 16-byte suffix, needs an address */
    MPF_FORMAT_ELF,   /* ELF32 little-endian ARM */
    MPF_FORMAT_IHEX,  /* Intel HEX */
    MPF_FORMAT_BIN    /* raw binary, needs an address */
} mpf_format;

const char *mpf_format_name(mpf_format f); /* "dfuse", "dfu", "elf", "ihex", "bin" */

#define MPF_SOURCE_MAX 96

typedef struct mpf_segment {
    uint8_t alt;      /* DFU alternate setting (0 = internal flash on STM32) */
    uint32_t address; /* first byte */
    uint8_t *data;    /* owned by the image */
    size_t size;      /* > 0; address + size - 1 never wraps past 0xFFFFFFFF */
    char source[MPF_SOURCE_MAX]; /* where it came from, for messages: "fw.elf: segment 2" */
} mpf_segment;

typedef struct mpf_target_name {
    uint8_t alt;
    char name[256]; /* DfuSe szTargetName, NUL-terminated */
} mpf_target_name;

typedef struct mpf_image {
    mpf_segment *segments;
    size_t count;
    size_t capacity;

    mpf_format format; /* format of the first file loaded */

    /* DFU suffix, when a loaded file had one */
    int has_suffix;
    uint16_t vid, pid, bcd_device, bcd_dfu; /* 0xFFFF = any */
    int crc_ok;                             /* 1 when the suffix CRC matched */
    uint32_t crc_stored, crc_computed;

    mpf_target_name *targets; /* DfuSe targets that were named */
    size_t target_count;

    /* Where the file says execution starts: ELF e_entry (when not 0), HEX
     * record 05, or record 03 as CS * 16 + IP. The first file that gives
     * one sets it. Information only (--info): on Cortex-M it is the reset
     * handler with the Thumb bit set, while a DFU leave must jump to the
     * vector table, so it is never used as the leave address. */
    int has_entry;
    uint32_t entry;

    /* Segments loaded without an address (mpf_load_options.stream_ok): a
     * plain DFU device's stream, meaningless to an addressed (DfuSe) one. */
    size_t streamed;
} mpf_image;

void mpf_image_init(mpf_image *img);
void mpf_image_free(mpf_image *img);

/* Append a copy of data as a segment. A zero-size segment is ignored. A
 * segment that would run past 0xFFFFFFFF is MPF_ERR_INPUT. Segments may be
 * added in any order; call mpf_image_normalize once everything is loaded. */
mpf_err mpf_image_add(mpf_image *img, uint8_t alt, uint32_t address,
                      const uint8_t *data, size_t size, const char *source,
                      mpf_error *err);

/* Same, but takes ownership of a malloc'd buffer (no copy; freed on error). */
mpf_err mpf_image_add_owned(mpf_image *img, uint8_t alt, uint32_t address,
                            uint8_t *data, size_t size, const char *source,
                            mpf_error *err);

/* Record a DfuSe target name (copied). */
mpf_err mpf_image_add_target_name(mpf_image *img, uint8_t alt, const char *name,
                                  mpf_error *err);

/* Sort by (alt, address); overlapping segments with different bytes are
 * MPF_ERR_INPUT naming both sources and the range; identical overlaps and
 * segments that touch are merged into one. */
mpf_err mpf_image_normalize(mpf_image *img, mpf_error *err);

/* Total payload bytes over all segments. */
size_t mpf_image_total_size(const mpf_image *img);

/* ---- CRC-32 (reflected polynomial 0xEDB88320) --------------------------- */

/* Raw register update: start with 0xFFFFFFFF. The DFU suffix stores the raw
 * register (no final XOR); the common "CRC-32" of a buffer is ~register. */
uint32_t mpf_crc32_update(uint32_t reg, const void *data, size_t len);
uint32_t mpf_crc32(const void *data, size_t len); /* = ~update(0xFFFFFFFF) */

/* ---- loading ------------------------------------------------------------ */

/* Detect the format from content (magic bytes), never the file name. BIN is
 * returned for anything not recognised. */
mpf_format mpf_detect_format(const uint8_t *buf, size_t len);

typedef struct mpf_load_options {
    int has_address;  /* for bin and plain DFU files: where the bytes go */
    uint32_t address;
    uint8_t alt;      /* alt setting for formats that do not carry one */
    int accept_bad_crc; /* load a DFU file whose suffix CRC is wrong, with crc_ok = 0 (for --info) */
    int stream_ok;    /* without an address, load bin and plain DFU bytes at 0 as a stream
                       * for a plain DFU 1.1 device, and count them in img->streamed */
} mpf_load_options;

/* Per-format loaders. `name` is used in messages and segment sources.
 * All append to img and validate every size against the buffer. */
mpf_err mpf_load_dfuse(mpf_image *img, const uint8_t *buf, size_t len,
                       const char *name, const mpf_load_options *opt, mpf_error *err);
mpf_err mpf_load_elf(mpf_image *img, const uint8_t *buf, size_t len,
                     const char *name, const mpf_load_options *opt, mpf_error *err);
mpf_err mpf_load_ihex(mpf_image *img, const uint8_t *buf, size_t len,
                      const char *name, const mpf_load_options *opt, mpf_error *err);
mpf_err mpf_load_bin(mpf_image *img, const uint8_t *buf, size_t len,
                     const char *name, const mpf_load_options *opt, mpf_error *err);

/* Detect and dispatch. Sets *detected (may be NULL). */
mpf_err mpf_load_buffer(mpf_image *img, const uint8_t *buf, size_t len,
                        const char *name, const mpf_load_options *opt,
                        mpf_format *detected, mpf_error *err);

/* Same, but takes ownership of buf (malloc'd, or NULL when len is 0): it is
 * freed, or kept as the largest segment, whatever the outcome. The bytes of
 * every other segment are copied out of it, then the largest segment's
 * bytes move to its front and it shrinks to fit, so the peak memory is the
 * file plus the smaller segments instead of twice the file. */
mpf_err mpf_load_buffer_owned(mpf_image *img, uint8_t *buf, size_t len,
                              const char *name, const mpf_load_options *opt,
                              mpf_format *detected, mpf_error *err);

/* Load a file given as "FILE" or "ADDR:FILE" (ADDR in C notation, 0x...).
 * An explicit ADDR overrides opt->address. Does not normalize. */
mpf_err mpf_load_file(mpf_image *img, const char *spec, const mpf_load_options *opt,
                      mpf_format *detected, mpf_error *err);

/* Read a whole file into a malloc'd buffer. */
mpf_err mpf_read_file(const char *path, uint8_t **buf, size_t *len, mpf_error *err);

/* ---- writing ------------------------------------------------------------ */

typedef struct mpf_dfuse_write_options {
    uint16_t vid, pid, bcd_device; /* defaults used by MicroPython's dfu.py: 0x0483, 0xDF11, 0 */
    const char *target_name;      /* default "ST..." */
} mpf_dfuse_write_options;

void mpf_dfuse_write_options_default(mpf_dfuse_write_options *o);

/* Serialise as a DfuSe file: one target per alt setting present, elements
 * zero-padded to a multiple of 8 bytes (as dfu.py does). *out is malloc'd. */
mpf_err mpf_write_dfuse(const mpf_image *img, const mpf_dfuse_write_options *o,
                        uint8_t **out, size_t *out_len, mpf_error *err);

/* Serialise as Intel HEX (type 04 records, 16 data bytes per line, 01 end). */
mpf_err mpf_write_ihex(const mpf_image *img, char **out, size_t *out_len, mpf_error *err);

/* Write a buffer to a file via a temporary name and rename, so a failure
 * never leaves a partial file that looks complete. */
mpf_err mpf_write_file_atomic(const char *path, const void *buf, size_t len, mpf_error *err);

#ifdef __cplusplus
}
#endif
#endif
