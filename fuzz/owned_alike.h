/* Shared by the loader fuzz targets: two ways of loading the same bytes
 * must come to the same result. mpf_load_buffer_owned takes the input over
 * and moves the largest segment's bytes inside it, and mpf_load_file reads
 * them from disk; both must match what the loader made of a plain copy.
 * Header-only, so both the replay programs and the libFuzzer binaries get
 * it with no build change. */
#ifndef MPFLASH_FUZZ_OWNED_ALIKE_H
#define MPFLASH_FUZZ_OWNED_ALIKE_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mpflash/image.h"

/* Aborts unless two loads of the same bytes came out alike: the outcome,
 * the message, and every segment with its source. */
static inline void same_load_or_abort(mpf_err rc, const mpf_error *err, const mpf_image *img,
                                      mpf_err other_rc, const mpf_error *other_err,
                                      const mpf_image *other)
{
    if (other_rc != rc || (rc != MPF_OK && strcmp(other_err->message, err->message) != 0))
        abort();
    if (rc == MPF_OK) {
        if (other->count != img->count)
            abort();
        for (size_t i = 0; i < img->count; i++) {
            const mpf_segment *a = &img->segments[i], *b = &other->segments[i];
            if (a->alt != b->alt || a->address != b->address || a->size != b->size ||
                memcmp(a->data, b->data, a->size) != 0 || strcmp(a->source, b->source) != 0)
                abort();
        }
    }
}

/* Loads a copy of data through mpf_load_buffer_owned and aborts unless the
 * outcome, the message and every segment (with its source) match rc, err and
 * img. Returns 1 with the result in *other (the caller frees it) for the
 * target's own comparisons, 0 when no copy could be made. */
static inline int load_owned_alike(const uint8_t *data, size_t size, const char *name,
                                   const mpf_load_options *opt, mpf_err rc, const mpf_error *err,
                                   const mpf_image *img, mpf_image *other)
{
    uint8_t *copy = malloc(size ? size : 1);
    if (!copy)
        return 0;
    memcpy(copy, data, size);
    mpf_image_init(other);
    mpf_error other_err = {0};
    mpf_err other_rc = mpf_load_buffer_owned(other, copy, size, name, opt, NULL, &other_err);
    same_load_or_abort(rc, err, img, other_rc, &other_err, other);
    return 1;
}

#endif
