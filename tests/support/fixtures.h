/* Shared test helpers. Each file in tests/support has one concern; its
 * declarations go here. */
#ifndef MPFLASH_TEST_FIXTURES_H
#define MPFLASH_TEST_FIXTURES_H

#include <stddef.h>
#include <stdint.h>

#include "mpflash/image.h"

/* Deterministic pseudo-random bytes (xorshift32); seed 0 is remapped. */
void fixture_fill_random(uint8_t *buf, size_t len, uint32_t seed);

/* A MicroPython-shaped STM32F4 image on alt 0: a 1,088-byte vector table at
 * 0x08000000 (initial SP 0x20020000, reset vector into the text) and
 * text_size bytes of firmware text at 0x08020000 (298 KiB when text_size is
 * 0). Returns 0 on success. */
int fixture_micropython_image(mpf_image *img, size_t text_size, uint32_t seed);

#define FIXTURE_MP_VECTOR_ADDR 0x08000000u
#define FIXTURE_MP_VECTOR_SIZE 1088u
#define FIXTURE_MP_TEXT_ADDR 0x08020000u
#define FIXTURE_MP_TEXT_DEFAULT_SIZE (298u * 1024u)

/* ---- DfuSe / DFU file builder (dfuse_builder.c) ---------------------------
 * Builds DfuSe files field by field, valid by default; every field can be
 * overridden to make a malformed variant. Sizes, counts and the CRC are
 * computed unless their *_override flag is set. The CRC is computed with a
 * bitwise loop of its own, independent of the library's table. Free of
 * cmocka and of the library's code, so the malformed-corpus generator
 * (tests/corpus/make_malformed.c) links it too. */

#define FIXTURE_DFUSE_PREFIX_LEN 11u
#define FIXTURE_DFUSE_TARGET_PREFIX_LEN 274u
#define FIXTURE_DFUSE_ELEMENT_HEADER_LEN 8u
#define FIXTURE_DFU_SUFFIX_LEN 16u
#define FIXTURE_DFUSE_MAX_TARGETS 4
#define FIXTURE_DFUSE_MAX_ELEMENTS 8

typedef struct fixture_dfuse_element {
    uint32_t address;
    const uint8_t *data; /* size bytes written after the header; NULL = zeros */
    size_t size;
    int size_override;   /* write size_field as dwElementSize instead of size */
    uint32_t size_field;
} fixture_dfuse_element;

typedef struct fixture_dfuse_target {
    char signature[6]; /* "Target" */
    uint8_t alt;
    uint32_t named;     /* bTargetNamed */
    char name[255];     /* szTargetName, written as is (zero-padded) */
    int size_override;  /* dwTargetSize, else the elements' bytes */
    uint32_t size_field;
    int count_override; /* dwNbElements, else element_count */
    uint32_t count_field;
    size_t element_count;
    fixture_dfuse_element elements[FIXTURE_DFUSE_MAX_ELEMENTS];
} fixture_dfuse_target;

typedef enum fixture_image_size_mode {
    FIXTURE_IMAGE_SIZE_NO_SUFFIX = 0, /* file length without the suffix (dfu.py) */
    FIXTURE_IMAGE_SIZE_WITH_SUFFIX,   /* whole file length */
    FIXTURE_IMAGE_SIZE_EXPLICIT       /* image_size_field */
} fixture_image_size_mode;

typedef struct fixture_dfuse {
    char signature[5]; /* "DfuSe" */
    uint8_t version;   /* 1 */
    fixture_image_size_mode image_size_mode;
    uint32_t image_size_field;
    int targets_override; /* bTargets, else target_count */
    uint8_t targets_field;
    size_t target_count;
    fixture_dfuse_target targets[FIXTURE_DFUSE_MAX_TARGETS];
    const uint8_t *trailing; /* bytes between the last target and the suffix */
    size_t trailing_len;
    /* suffix */
    uint16_t bcd_device, pid, vid, bcd_dfu; /* 0, 0xDF11, 0x0483, 0x011A */
    char ufd[3];                            /* 'U','F','D' */
    uint8_t suffix_length;                  /* 16 */
    int crc_override;
    uint32_t crc_field;
} fixture_dfuse;

/* Defaults as MicroPython's dfu.py writes them, with no targets yet. */
void fixture_dfuse_init(fixture_dfuse *f);

/* Append a target (name NULL = unnamed); NULL when the table is full. */
fixture_dfuse_target *fixture_dfuse_add_target(fixture_dfuse *f, uint8_t alt, const char *name);

/* Append an element (data is not copied: keep it alive until the build). */
fixture_dfuse_element *fixture_dfuse_add_element(fixture_dfuse_target *t, uint32_t address,
                                                 const uint8_t *data, size_t size);

/* The file, malloc'd; NULL when out of memory. */
uint8_t *fixture_dfuse_build(const fixture_dfuse *f, size_t *len);

/* Little-endian fields, as every file format here stores them. */
void fixture_put16(uint8_t *p, uint16_t v);
void fixture_put32(uint8_t *p, uint32_t v);

/* The DFU suffix CRC register over n bytes: reflected 0xEDB88320, all ones
 * at the start, no final XOR (DFU 1.1 appendix B). */
uint32_t fixture_dfu_crc(const uint8_t *p, size_t n);

/* Write the 16-byte suffix at buf + body ("UFD", length 16), its CRC over
 * everything before the CRC field; buf must have room for it. */
void fixture_dfu_suffix(uint8_t *buf, size_t body, uint16_t vid, uint16_t pid,
                        uint16_t bcd_device, uint16_t bcd_dfu);

/* A plain DFU 1.1 file: data followed by a suffix with a correct CRC. */
uint8_t *fixture_dfu_plain_build(const uint8_t *data, size_t size, uint16_t vid, uint16_t pid,
                                 uint16_t bcd_device, size_t *len);

/* 1 when a and b hold the same segments (alt, address, size, bytes) in the
 * same order; else 0, with the first difference described in why. Free of
 * cmocka so the sample generator can link this file too. */
int fixture_same_segments(const mpf_image *a, const mpf_image *b, char *why, size_t why_size);

/* The seed of the sample firmware the build writes to sample/firmware.dfu
 * (tests/sample/make_sample.c), so tests can rebuild the same image. */
#define FIXTURE_SAMPLE_SEED 2024u

#endif
