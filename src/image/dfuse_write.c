/* Serialise an image as a DfuSe file, byte for byte as MicroPython's
 * tools/dfu.py -b ADDR:FILE does for the same segments: one target per alt
 * setting, elements zero-padded to 8 bytes, DFUImageSize without the suffix. */
#include <stdlib.h>
#include <string.h>

#include "image/byte_order.h"
#include "image/dfu_suffix.h"
#include "mpflash/image.h"

#define PREFIX_LEN 11u
#define TARGET_PREFIX_LEN 274u
#define ELEMENT_HEADER_LEN 8u
#define TARGET_NAME_LEN 255u

void mpf_dfuse_write_options_default(mpf_dfuse_write_options *o)
{
    o->vid = 0x0483;
    o->pid = 0xDF11;
    o->bcd_device = 0x0000;
    o->target_name = "ST...";
}

static uint64_t padded(size_t size)
{
    return ((uint64_t)size + 7u) & ~(uint64_t)7u;
}

/* Bytes of the elements of one alt (headers included); 0 when it has none. */
static uint64_t alt_bytes(const mpf_image *img, unsigned alt)
{
    uint64_t total = 0;
    for (size_t i = 0; i < img->count; i++)
        if (img->segments[i].alt == alt)
            total += ELEMENT_HEADER_LEN + padded(img->segments[i].size);
    return total;
}

static mpf_err check_segments(const mpf_image *img, mpf_error *err)
{
    if (img->count == 0)
        return mpf_error_set(err, MPF_ERR_INPUT, "the image is empty; there is nothing to write as a DfuSe file");
    for (size_t i = 0; i < img->count; i++) {
        const mpf_segment *s = &img->segments[i];
        /* The padding must stay inside the address space, or the file could
         * not be loaded back. */
        if (s->size == 0 || (uint64_t)s->address + padded(s->size) - 1 > UINT32_MAX)
            return mpf_error_set(err, MPF_ERR_INPUT,
                                 "%s: %zu bytes at 0x%08X padded to a multiple of 8 run past 0xFFFFFFFF; a DfuSe file cannot hold it",
                                 s->source, s->size, (unsigned)s->address);
    }
    return MPF_OK;
}

static size_t write_target(const mpf_image *img, unsigned alt, uint32_t target_size,
                           const char *name, size_t name_len, uint8_t *out)
{
    uint32_t count = 0;
    for (size_t i = 0; i < img->count; i++)
        count += img->segments[i].alt == alt;
    memcpy(out, "Target", 6);
    out[6] = (uint8_t)alt;
    mpf_put_le32(out + 7, 1); /* bTargetNamed */
    memcpy(out + 11, name, name_len); /* the rest stays zero */
    mpf_put_le32(out + 266, target_size);
    mpf_put_le32(out + 270, count);
    size_t pos = TARGET_PREFIX_LEN;
    for (size_t i = 0; i < img->count; i++) {
        const mpf_segment *s = &img->segments[i];
        if (s->alt != alt)
            continue;
        mpf_put_le32(out + pos, s->address);
        mpf_put_le32(out + pos + 4, (uint32_t)padded(s->size));
        memcpy(out + pos + ELEMENT_HEADER_LEN, s->data, s->size);
        pos += ELEMENT_HEADER_LEN + (size_t)padded(s->size);
    }
    return pos;
}

mpf_err mpf_write_dfuse(const mpf_image *img, const mpf_dfuse_write_options *o,
                        uint8_t **out, size_t *out_len, mpf_error *err)
{
    if (!img || !out || !out_len)
        return mpf_error_set(err, MPF_ERR_USAGE, "mpf_write_dfuse: img, out and out_len must not be NULL");
    *out = NULL;
    *out_len = 0;
    mpf_dfuse_write_options defaults;
    mpf_dfuse_write_options_default(&defaults);
    if (!o)
        o = &defaults;
    const char *name = o->target_name ? o->target_name : defaults.target_name;
    size_t name_len = strlen(name);
    if (name_len > TARGET_NAME_LEN)
        return mpf_error_set(err, MPF_ERR_USAGE,
                             "DfuSe target name is %zu characters; the file has room for 255", name_len);
    mpf_err rc = check_segments(img, err);
    if (rc)
        return rc;

    uint64_t body = PREFIX_LEN;
    unsigned targets = 0;
    for (unsigned alt = 0; alt <= UINT8_MAX; alt++) {
        uint64_t bytes = alt_bytes(img, alt);
        if (!bytes)
            continue;
        if (bytes > UINT32_MAX)
            return mpf_error_set(err, MPF_ERR_INPUT,
                                 "alt %u holds %llu bytes; a DfuSe target holds at most 4 GiB", alt,
                                 (unsigned long long)bytes);
        targets++;
        body += TARGET_PREFIX_LEN + bytes;
    }
    if (targets > UINT8_MAX)
        return mpf_error_set(err, MPF_ERR_INPUT, "the image uses %u alt settings; a DfuSe file holds at most 255 targets",
                             targets);
    if (body > UINT32_MAX || body + MPF_DFU_SUFFIX_LEN > SIZE_MAX)
        return mpf_error_set(err, MPF_ERR_INPUT, "the image needs a %llu-byte DfuSe file; the format stops at 4 GiB",
                             (unsigned long long)body);

    size_t len = (size_t)body + MPF_DFU_SUFFIX_LEN;
    uint8_t *buf = calloc(1, len);
    if (!buf)
        return mpf_error_set(err, MPF_ERR_NOMEM, "out of memory for a %zu-byte DfuSe file", len);
    memcpy(buf, "DfuSe", 5);
    buf[5] = 1;
    mpf_put_le32(buf + 6, (uint32_t)body);
    buf[10] = (uint8_t)targets;
    size_t pos = PREFIX_LEN;
    for (unsigned alt = 0; alt <= UINT8_MAX; alt++) {
        uint64_t bytes = alt_bytes(img, alt);
        if (bytes)
            pos += write_target(img, alt, (uint32_t)bytes, name, name_len, buf + pos);
    }
    mpf_dfu_suffix_write(buf, pos, o->bcd_device, o->pid, o->vid, MPF_DFU_BCD_DFUSE);
    *out = buf;
    *out_len = len;
    return MPF_OK;
}
