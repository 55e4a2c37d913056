/* Fuzz target for the Intel HEX loader and writer. Whatever loads and
 * normalizes must survive a round trip through the writer unchanged; a
 * failure must leave the image untouched with a message naming the file;
 * and the same text with a blank in front of every line (which sends each
 * line down the loader's careful path instead of its fast path) must give
 * the same result and the same message. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mpflash/image.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void same_or_abort(const mpf_image *a, const mpf_image *b)
{
    if (a->count != b->count)
        abort();
    for (size_t i = 0; i < a->count; i++) {
        const mpf_segment *x = &a->segments[i], *y = &b->segments[i];
        if (x->alt != y->alt || x->address != y->address || x->size != y->size ||
            memcmp(x->data, y->data, x->size) != 0)
            abort();
    }
}

/* A copy of data with a space at the start of every line. */
static uint8_t *indent_lines(const uint8_t *data, size_t size, size_t *out_len)
{
    uint8_t *out = malloc(2 * size + 1);
    if (!out)
        return NULL;
    size_t n = 0, i = 0;
    if (size >= 3 && data[0] == 0xEF && data[1] == 0xBB && data[2] == 0xBF) {
        memcpy(out, data, 3);
        n = i = 3;
    }
    if (i < size)
        out[n++] = ' ';
    for (; i < size; i++) {
        out[n++] = data[i];
        int ends_line = data[i] == '\n' || (data[i] == '\r' && (i + 1 == size || data[i + 1] != '\n'));
        if (ends_line && i + 1 < size)
            out[n++] = ' ';
    }
    *out_len = n;
    return out;
}

static void same_outcome_indented(const uint8_t *data, size_t size, mpf_err rc, const mpf_error *err,
                                  const mpf_image *img)
{
    size_t len = 0;
    uint8_t *indented = indent_lines(data, size, &len);
    if (!indented)
        return;
    mpf_image other;
    mpf_image_init(&other);
    mpf_error other_err = {0};
    mpf_err other_rc = mpf_load_ihex(&other, indented, len, "fuzz.hex", NULL, &other_err);
    if (other_rc != rc || (rc != MPF_OK && strcmp(other_err.message, err->message) != 0))
        abort();
    if (rc == MPF_OK) {
        same_or_abort(img, &other);
        if (other.has_entry != img->has_entry || other.entry != img->entry)
            abort();
    }
    mpf_image_free(&other);
    free(indented);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    mpf_image img;
    mpf_image_init(&img);
    mpf_error err = {0};
    mpf_err rc = mpf_load_ihex(&img, data, size, "fuzz.hex", NULL, &err);
    same_outcome_indented(data, size, rc, &err, &img);
    if (rc != MPF_OK) {
        if ((rc != MPF_ERR_INPUT && rc != MPF_ERR_NOMEM) || img.count != 0 || err.code != rc ||
            strncmp(err.message, "fuzz.hex", 8) != 0)
            abort();
        mpf_image_free(&img);
        return 0;
    }
    if (img.count == 0 || img.format != MPF_FORMAT_IHEX)
        abort();
    for (size_t i = 0; i < img.count; i++) {
        const mpf_segment *s = &img.segments[i];
        if (s->size == 0 || s->alt != 0 || (uint64_t)s->address + s->size - 1 > UINT32_MAX)
            abort();
    }
    if (mpf_image_normalize(&img, &err) != MPF_OK) {
        mpf_image_free(&img); /* overlapping records with different data */
        return 0;
    }
    char *text = NULL;
    size_t len = 0;
    if (mpf_write_ihex(&img, &text, &len, &err) != MPF_OK)
        abort();
    mpf_image back;
    mpf_image_init(&back);
    if (mpf_load_ihex(&back, (const uint8_t *)text, len, "fuzz.hex", NULL, &err) != MPF_OK ||
        mpf_image_normalize(&back, &err) != MPF_OK)
        abort();
    same_or_abort(&img, &back);
    free(text);
    mpf_image_free(&back);
    mpf_image_free(&img);
    return 0;
}
