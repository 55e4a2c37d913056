/* Fuzz target for the DfuSe / plain DFU loader. Beyond "no crash, no
 * over-read" it checks the loader's promises: a failure is MPF_ERR_INPUT
 * with a message and leaves nothing behind; a success yields sane segments
 * that the writer can serialise and the loader read back; and loading from
 * a buffer the loader takes over (mpf_load_buffer_owned) gives the same
 * result as loading from a copy. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mpflash/image.h"
#include "owned_alike.h"

static void check_loaded(const mpf_image *img, size_t input_size)
{
    size_t total = 0;
    for (size_t i = 0; i < img->count; i++) {
        const mpf_segment *s = &img->segments[i];
        if (s->size == 0 || (uint64_t)s->address + s->size - 1 > UINT32_MAX)
            abort();
        total += s->size;
    }
    if (total > input_size || !img->has_suffix)
        abort();
}

static void round_trip(mpf_image *img)
{
    mpf_error err = {0};
    if (mpf_image_normalize(img, &err) != MPF_OK)
        return; /* conflicting overlaps are a property of the input */
    uint8_t *out = NULL;
    size_t len = 0;
    if (mpf_write_dfuse(img, NULL, &out, &len, &err) != MPF_OK)
        return; /* e.g. padding that would run past 0xFFFFFFFF */
    mpf_image back;
    mpf_image_init(&back);
    if (mpf_load_dfuse(&back, out, len, "round-trip.dfu", NULL, &err) != MPF_OK || back.crc_ok != 1 ||
        back.count != img->count)
        abort();
    for (size_t i = 0; i < img->count; i++) {
        const mpf_segment *a = &img->segments[i], *b = &back.segments[i];
        if (a->address != b->address || a->alt != b->alt || b->size < a->size ||
            memcmp(a->data, b->data, a->size) != 0)
            abort();
    }
    mpf_image_free(&back);
    free(out);
}

/* Beyond the segments: the same targets and suffix facts. */
static void same_when_owned(const uint8_t *data, size_t size, const mpf_load_options *opt, mpf_err rc,
                            const mpf_error *err, const mpf_image *img)
{
    mpf_format f = mpf_detect_format(data, size);
    if (f != MPF_FORMAT_DFUSE && f != MPF_FORMAT_DFU)
        return; /* mpf_load_buffer_owned would pick another loader */
    mpf_image other;
    if (!load_owned_alike(data, size, "fuzz.dfu", opt, rc, err, img, &other))
        return;
    if (rc == MPF_OK && (other.target_count != img->target_count || other.crc_computed != img->crc_computed ||
                         other.format != img->format))
        abort();
    mpf_image_free(&other);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    (void)mpf_detect_format(data, size);
    for (int accept_bad_crc = 0; accept_bad_crc <= 1; accept_bad_crc++) {
        mpf_image img;
        mpf_image_init(&img);
        mpf_error err = {0};
        mpf_load_options opt = {.has_address = 1, .address = 0x08000000u, .accept_bad_crc = accept_bad_crc};
        mpf_err rc = mpf_load_dfuse(&img, data, size, "fuzz.dfu", &opt, &err);
        same_when_owned(data, size, &opt, rc, &err, &img);
        if (rc == MPF_OK) {
            check_loaded(&img, size);
            round_trip(&img);
        } else if (rc != MPF_ERR_INPUT || err.message[0] == '\0' || img.count != 0 || img.target_count != 0) {
            if (rc != MPF_ERR_NOMEM)
                abort();
        }
        mpf_image_free(&img);
    }
    return 0;
}
