/* Segments found in an input buffer, collected before any byte is copied.
 * A loader first validates the whole file into a slice list, then commits
 * it: copying every slice, or, when the caller hands over the buffer,
 * copying all but the largest and reusing the buffer itself for that one,
 * so loading a file never holds two copies of its bulk. */
#ifndef MPFLASH_IMAGE_SLICES_H
#define MPFLASH_IMAGE_SLICES_H

#include <stddef.h>
#include <stdint.h>

#include "mpflash/image.h"

typedef struct mpf_slice {
    uint8_t alt;
    uint32_t address;
    size_t offset; /* into the input buffer */
    size_t size;   /* > 0 */
    char source[MPF_SOURCE_MAX];
} mpf_slice;

typedef struct mpf_slices {
    mpf_slice *items;
    size_t count, capacity;
} mpf_slices;

void mpf_slices_init(mpf_slices *s);
void mpf_slices_free(mpf_slices *s);

/* Record buf[offset, offset + size) for `address`. A zero size is ignored,
 * as mpf_image_add ignores it. The caller has checked the range against the
 * buffer and the address space. Over-long sources keep their tail. */
mpf_err mpf_slices_push(mpf_slices *s, uint8_t alt, uint32_t address, size_t offset, size_t size,
                        const char *source, mpf_error *err);

/* Append every slice to img as a segment, in list order. With owned NULL
 * the bytes are copied from buf. Otherwise owned must be buf, malloc'd, and
 * this call takes it whatever the outcome: the largest slice's bytes move
 * to its front, it shrinks to fit, and the image owns it. On failure img
 * holds the segments it held before. */
mpf_err mpf_slices_commit(mpf_image *img, const mpf_slices *s, const uint8_t *buf, uint8_t *owned,
                          mpf_error *err);

#endif
