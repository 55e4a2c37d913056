/* The image model: a growable list of segments, normalised into sorted,
 * non-overlapping, maximal runs per alt setting. */
#include "mpflash/image.h"

#include <stdlib.h>
#include <string.h>

#include "image/source.h"

void mpf_image_init(mpf_image *img)
{
    memset(img, 0, sizeof *img);
}

void mpf_image_free(mpf_image *img)
{
    if (!img)
        return;
    for (size_t i = 0; i < img->count; i++)
        free(img->segments[i].data);
    free(img->segments);
    free(img->targets);
    mpf_image_init(img);
}

const char *mpf_format_name(mpf_format f)
{
    switch (f) {
    case MPF_FORMAT_DFUSE: return "dfuse";
    case MPF_FORMAT_DFU: return "dfu";
    case MPF_FORMAT_ELF: return "elf";
    case MPF_FORMAT_IHEX: return "ihex";
    case MPF_FORMAT_BIN: return "bin";
    default: return "unknown";
    }
}

size_t mpf_image_total_size(const mpf_image *img)
{
    size_t total = 0;
    for (size_t i = 0; i < img->count; i++)
        total += img->segments[i].size;
    return total;
}

static mpf_err reserve(mpf_image *img, mpf_error *err)
{
    if (img->count < img->capacity)
        return MPF_OK;
    size_t cap = img->capacity ? img->capacity * 2 : 8;
    mpf_segment *grown = realloc(img->segments, cap * sizeof *grown);
    if (!grown)
        return mpf_error_set(err, MPF_ERR_NOMEM, "out of memory growing the image to %zu segments", cap);
    img->segments = grown;
    img->capacity = cap;
    return MPF_OK;
}

mpf_err mpf_image_add_owned(mpf_image *img, uint8_t alt, uint32_t address,
                            uint8_t *data, size_t size, const char *source,
                            mpf_error *err)
{
    if (size == 0) {
        free(data);
        return MPF_OK;
    }
    if ((uint64_t)address + size - 1 > UINT32_MAX) {
        free(data);
        return mpf_error_set(err, MPF_ERR_INPUT,
                             "%s: %zu bytes at 0x%08X run past the end of the 32-bit address space",
                             source ? source : "segment", size, (unsigned)address);
    }
    mpf_err rc = reserve(img, err);
    if (rc) {
        free(data);
        return rc;
    }
    mpf_segment *s = &img->segments[img->count++];
    s->alt = alt;
    s->address = address;
    s->data = data;
    s->size = size;
    mpf_source_copy(s->source, source);
    return MPF_OK;
}

mpf_err mpf_image_add(mpf_image *img, uint8_t alt, uint32_t address,
                      const uint8_t *data, size_t size, const char *source,
                      mpf_error *err)
{
    if (size == 0)
        return MPF_OK;
    uint8_t *copy = malloc(size);
    if (!copy)
        return mpf_error_set(err, MPF_ERR_NOMEM, "out of memory for a %zu-byte segment", size);
    memcpy(copy, data, size);
    return mpf_image_add_owned(img, alt, address, copy, size, source, err);
}

mpf_err mpf_image_add_target_name(mpf_image *img, uint8_t alt, const char *name, mpf_error *err)
{
    mpf_target_name *grown = realloc(img->targets, (img->target_count + 1) * sizeof *grown);
    if (!grown)
        return mpf_error_set(err, MPF_ERR_NOMEM, "out of memory recording a target name");
    img->targets = grown;
    mpf_target_name *t = &img->targets[img->target_count++];
    t->alt = alt;
    size_t n = strnlen(name, sizeof t->name - 1);
    memcpy(t->name, name, n);
    t->name[n] = '\0';
    return MPF_OK;
}

static int segment_order(const void *a, const void *b)
{
    const mpf_segment *x = a, *y = b;
    if (x->alt != y->alt)
        return x->alt < y->alt ? -1 : 1;
    if (x->address != y->address)
        return x->address < y->address ? -1 : 1;
    /* Longer first, so a shorter identical overlap folds into it. */
    if (x->size != y->size)
        return x->size > y->size ? -1 : 1;
    return 0;
}

/* The segments from first on that form one run once merged: each starts on
 * the same alt at or before the end of those before it. Returns the index
 * after the run and sets *end to one past its last byte. Knowing the extent
 * up front lets the run's buffer grow once instead of once per segment,
 * which made thousands of touching elements quadratic. */
static size_t run_extent(const mpf_segment *segs, size_t count, size_t first, uint64_t *end)
{
    uint64_t e = (uint64_t)segs[first].address + segs[first].size;
    size_t i = first + 1;
    while (i < count && segs[i].alt == segs[first].alt && segs[i].address <= e) {
        uint64_t i_end = (uint64_t)segs[i].address + segs[i].size;
        if (i_end > e)
            e = i_end;
        i++;
    }
    *end = e;
    return i;
}

/* Fold b into a, which starts at or before b and overlaps or touches it.
 * a->data already has room for the whole run. */
static mpf_err fold(mpf_segment *a, mpf_segment *b, mpf_error *err)
{
    uint64_t a_end = (uint64_t)a->address + a->size;
    uint64_t b_end = (uint64_t)b->address + b->size;
    size_t off = b->address - a->address;
    if (b->address < a_end) {
        uint64_t ov_end = a_end < b_end ? a_end : b_end;
        size_t ov = (size_t)(ov_end - b->address);
        for (size_t i = 0; i < ov; i++) {
            if (a->data[off + i] != b->data[i])
                return mpf_error_set(
                    err, MPF_ERR_INPUT,
                    "%s and %s overlap with different data at 0x%08X-0x%08X (alt %u, first difference at 0x%08X)",
                    a->source, b->source, (unsigned)b->address, (unsigned)(ov_end - 1),
                    (unsigned)a->alt, (unsigned)(b->address + i));
        }
    }
    if (b_end > a_end) {
        size_t keep = a->size - off; /* bytes of b already present in a */
        memcpy(a->data + a->size, b->data + keep, b->size - keep);
        a->size = (size_t)(b_end - a->address);
    }
    free(b->data);
    b->data = NULL;
    return MPF_OK;
}

/* After a failure: move segments[from..count) down to out so the image
 * stays consistent and mpf_image_free releases everything. */
static mpf_err keep_rest(mpf_image *img, size_t out, size_t from, mpf_err rc)
{
    for (size_t j = from; j < img->count; j++)
        img->segments[out++] = img->segments[j];
    img->count = out;
    return rc;
}

/* Merge segments[first..next) into segments[out]. */
static mpf_err merge_run(mpf_image *img, size_t out, size_t first, size_t next, uint64_t end, mpf_error *err)
{
    mpf_segment run = img->segments[first];
    size_t size = (size_t)(end - run.address);
    if (size > run.size) {
        uint8_t *grown = realloc(run.data, size);
        if (!grown)
            return keep_rest(img, out, first,
                             mpf_error_set(err, MPF_ERR_NOMEM, "out of memory merging segments into %zu bytes at 0x%08X",
                                           size, (unsigned)run.address));
        run.data = grown;
    }
    for (size_t j = first + 1; j < next; j++) {
        mpf_err rc = fold(&run, &img->segments[j], err);
        if (rc) {
            img->segments[out] = run;
            return keep_rest(img, out + 1, j, rc);
        }
    }
    img->segments[out] = run;
    return MPF_OK;
}

mpf_err mpf_image_normalize(mpf_image *img, mpf_error *err)
{
    if (img->count < 2)
        return MPF_OK;
    qsort(img->segments, img->count, sizeof *img->segments, segment_order);
    size_t out = 0;
    for (size_t i = 0; i < img->count; out++) {
        uint64_t end;
        size_t next = run_extent(img->segments, img->count, i, &end);
        mpf_err rc = merge_run(img, out, i, next, end, err);
        if (rc)
            return rc;
        i = next;
    }
    img->count = out;
    return MPF_OK;
}
