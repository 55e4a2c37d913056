/* Fuzz target for the ELF loader. Beyond "no crash, no over-read", it checks
 * the loader's promises: on success every segment is non-empty, inside the
 * 32-bit address space, holds bytes of the input, and normalizes; on failure
 * the image is untouched and the error says why; and loading from a buffer
 * the loader takes over (mpf_load_buffer_owned) gives the same result. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mpflash/image.h"
#include "owned_alike.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The owned path copies the other segments out of the buffer before moving
 * the largest one inside it, and they may share bytes with it. Beyond the
 * segments: the same entry point. */
static void same_when_owned(const uint8_t *data, size_t size, const mpf_load_options *opt, mpf_err rc,
                            const mpf_error *err, const mpf_image *img)
{
    if (mpf_detect_format(data, size) != MPF_FORMAT_ELF)
        return; /* mpf_load_buffer_owned would pick another loader */
    mpf_image other;
    if (!load_owned_alike(data, size, "fuzz.elf", opt, rc, err, img, &other))
        return;
    if (rc == MPF_OK && (other.has_entry != img->has_entry || other.entry != img->entry))
        abort();
    mpf_image_free(&other);
}

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static int occurs_in(const uint8_t *hay, size_t hay_len, const uint8_t *needle, size_t n)
{
    for (size_t i = 0; i + n <= hay_len; i++)
        if (memcmp(hay + i, needle, n) == 0)
            return 1;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    mpf_image img;
    mpf_image_init(&img);
    mpf_error err = {0};
    mpf_load_options opt = {0};
    opt.alt = (uint8_t)(size & 3);
    mpf_err rc = mpf_load_elf(&img, data, size, "fuzz.elf", &opt, &err);
    same_when_owned(data, size, &opt, rc, &err, &img);
    if (rc != MPF_OK) {
        if ((rc != MPF_ERR_INPUT && rc != MPF_ERR_NOMEM) || img.count != 0 || err.code != rc ||
            strncmp(err.message, "fuzz.elf: ", 10) != 0)
            abort();
        mpf_image_free(&img);
        return 0;
    }
    if (img.count == 0 || img.format != MPF_FORMAT_ELF)
        abort();
    /* e_entry as written, 0 meaning none. */
    if (img.has_entry != (le32(data + 24) != 0) ||
        (img.has_entry && img.entry != le32(data + 24)))
        abort();
    for (size_t i = 0; i < img.count; i++) {
        const mpf_segment *s = &img.segments[i];
        if (s->size == 0 || s->size > size || s->alt != opt.alt ||
            (uint64_t)s->address + s->size - 1 > UINT32_MAX ||
            strncmp(s->source, "fuzz.elf: program header ", 25) != 0)
            abort();
        /* The bytes are a copy of part of the file; cheap enough for small inputs. */
        if (size <= 2048 && !occurs_in(data, size, s->data, s->size))
            abort();
    }
    size_t total = mpf_image_total_size(&img);
    rc = mpf_image_normalize(&img, &err);
    if (rc == MPF_OK && mpf_image_total_size(&img) > total)
        abort();
    mpf_image_free(&img);
    return 0;
}
