/* Slice lists and their commit into an image; see slices.h for why. */
#include "image/slices.h"

#include <stdlib.h>
#include <string.h>

#include "image/source.h"

void mpf_slices_init(mpf_slices *s)
{
    memset(s, 0, sizeof *s);
}

void mpf_slices_free(mpf_slices *s)
{
    free(s->items);
    mpf_slices_init(s);
}

mpf_err mpf_slices_push(mpf_slices *s, uint8_t alt, uint32_t address, size_t offset, size_t size,
                        const char *source, mpf_error *err)
{
    if (size == 0)
        return MPF_OK;
    if (s->count == s->capacity) {
        size_t cap = s->capacity ? s->capacity * 2 : 8;
        mpf_slice *grown = realloc(s->items, cap * sizeof *grown);
        if (!grown)
            return mpf_error_set(err, MPF_ERR_NOMEM, "out of memory listing %zu segments of the file", cap);
        s->items = grown;
        s->capacity = cap;
    }
    mpf_slice *e = &s->items[s->count++];
    e->alt = alt;
    e->address = address;
    e->offset = offset;
    e->size = size;
    mpf_source_copy(e->source, source);
    return MPF_OK;
}

static void roll_back(mpf_image *img, size_t count)
{
    for (size_t i = count; i < img->count; i++)
        free(img->segments[i].data);
    img->count = count;
}

static size_t largest(const mpf_slices *s)
{
    size_t best = 0;
    for (size_t i = 1; i < s->count; i++)
        if (s->items[i].size > s->items[best].size)
            best = i;
    return best;
}

mpf_err mpf_slices_commit(mpf_image *img, const mpf_slices *s, const uint8_t *buf, uint8_t *owned,
                          mpf_error *err)
{
    if (s->count == 0) {
        free(owned);
        return MPF_OK;
    }
    size_t before = img->count;
    size_t keep = owned ? largest(s) : s->count;
    for (size_t i = 0; i < s->count; i++) {
        const mpf_slice *e = &s->items[i];
        mpf_err rc;
        if (i == keep) {
            /* A placeholder: the bytes still serve the copies of the other
             * slices, so they move in only once those are made. */
            rc = mpf_image_add_owned(img, e->alt, e->address, NULL, e->size, e->source, err);
        } else {
            rc = mpf_image_add(img, e->alt, e->address, buf + e->offset, e->size, e->source, err);
        }
        if (rc) {
            roll_back(img, before);
            free(owned);
            return rc;
        }
    }
    if (owned) {
        const mpf_slice *e = &s->items[keep];
        memmove(owned, owned + e->offset, e->size);
        /* Shrinking gives the rest of the file back; if it fails the
         * bytes are still right, only the slack stays. */
        uint8_t *fit = realloc(owned, e->size);
        img->segments[before + keep].data = fit ? fit : owned;
    }
    return MPF_OK;
}
