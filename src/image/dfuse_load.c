/* ST DfuSe files (UM0391) and plain DFU 1.1 files (raw bytes + suffix).
 * Every count and size is checked against the bytes that remain before it is
 * used, so a damaged header can neither over-read nor make us allocate for
 * data that is not there. On error the image is left as it was. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "image/byte_order.h"
#include "image/dfu_suffix.h"
#include "image/owned_load.h"
#include "image/raw_load.h"
#include "image/slices.h"
#include "mpflash/image.h"

#define PREFIX_LEN 11u
#define TARGET_PREFIX_LEN 274u
#define ELEMENT_HEADER_LEN 8u
#define TARGET_NAME_LEN 255u

/* Offsets inside the target prefix. */
enum { TGT_ALT = 6, TGT_NAMED = 7, TGT_NAME = 11, TGT_SIZE = 266, TGT_COUNT = 270 };

typedef struct dfuse_reader {
    mpf_image *img; /* receives target names; segments go to slices */
    mpf_slices *slices;
    const uint8_t *buf;
    size_t end; /* offset of the DFU suffix: target data stops here */
    const char *name;
} dfuse_reader;

static mpf_err load_elements(const dfuse_reader *r, unsigned t, uint8_t alt, size_t pos,
                             uint32_t target_size, uint32_t count, mpf_error *err)
{
    size_t target_end = pos + target_size;
    if ((uint64_t)count * ELEMENT_HEADER_LEN > target_size)
        return mpf_error_set(err, MPF_ERR_INPUT,
                             "%s: target %u: offset %zu: dwNbElements %u needs at least %llu bytes of element headers but dwTargetSize is %u; the file is damaged",
                             r->name, t, pos - 4, (unsigned)count,
                             (unsigned long long)count * ELEMENT_HEADER_LEN, (unsigned)target_size);
    for (uint32_t e = 0; e < count; e++) {
        if (target_end - pos < ELEMENT_HEADER_LEN)
            return mpf_error_set(err, MPF_ERR_INPUT,
                                 "%s: target %u element %u: offset %zu: the 8-byte element header runs past the end of the target (dwTargetSize %u); the file is damaged",
                                 r->name, t, (unsigned)e, pos, (unsigned)target_size);
        uint32_t address = mpf_get_le32(r->buf + pos);
        uint32_t size = mpf_get_le32(r->buf + pos + 4);
        size_t left = target_end - pos - ELEMENT_HEADER_LEN;
        if (size > left)
            return mpf_error_set(err, MPF_ERR_INPUT,
                                 "%s: target %u element %u: offset %zu: dwElementSize %u runs past the end of the target (%zu bytes left); the file is truncated or damaged",
                                 r->name, t, (unsigned)e, pos + 4, (unsigned)size, left);
        if (size && (uint64_t)address + size - 1 > UINT32_MAX)
            return mpf_error_set(err, MPF_ERR_INPUT,
                                 "%s: target %u element %u: offset %zu: %u bytes at 0x%08X run past 0xFFFFFFFF; the file is damaged",
                                 r->name, t, (unsigned)e, pos, (unsigned)size, (unsigned)address);
        char source[MPF_SOURCE_MAX * 4];
        snprintf(source, sizeof source, "%s: target %u element %u", r->name, t, (unsigned)e);
        mpf_err rc = mpf_slices_push(r->slices, alt, address, pos + ELEMENT_HEADER_LEN, size, source, err);
        if (rc)
            return rc;
        pos += ELEMENT_HEADER_LEN + size;
    }
    if (pos != target_end)
        return mpf_error_set(err, MPF_ERR_INPUT,
                             "%s: target %u: dwTargetSize is %u but its %u elements take %zu bytes (%zu bytes left over at offset %zu); the file is damaged",
                             r->name, t, (unsigned)target_size, (unsigned)count,
                             (size_t)target_size - (target_end - pos), target_end - pos, pos);
    return MPF_OK;
}

/* Returns the offset just past the target through *next. */
static mpf_err load_target(const dfuse_reader *r, unsigned t, unsigned targets, size_t pos,
                           size_t *next, mpf_error *err)
{
    if (r->end - pos < TARGET_PREFIX_LEN)
        return mpf_error_set(err, MPF_ERR_INPUT,
                             "%s: target %u: offset %zu: the 274-byte target prefix runs past the DFU suffix at offset %zu; the file is truncated or bTargets (%u) is wrong",
                             r->name, t, pos, r->end, targets);
    const uint8_t *p = r->buf + pos;
    if (memcmp(p, "Target", 6) != 0)
        return mpf_error_set(err, MPF_ERR_INPUT,
                             "%s: target %u: offset %zu: signature is not \"Target\"; the file is damaged",
                             r->name, t, pos);
    uint8_t alt = p[TGT_ALT];
    uint32_t named = mpf_get_le32(p + TGT_NAMED);
    uint32_t target_size = mpf_get_le32(p + TGT_SIZE);
    uint32_t count = mpf_get_le32(p + TGT_COUNT);
    size_t data = pos + TARGET_PREFIX_LEN;
    if (target_size > r->end - data)
        return mpf_error_set(err, MPF_ERR_INPUT,
                             "%s: target %u: offset %zu: dwTargetSize %u runs past the DFU suffix (%zu bytes left); the file is truncated or damaged",
                             r->name, t, pos + TGT_SIZE, (unsigned)target_size, r->end - data);
    mpf_err rc = load_elements(r, t, alt, data, target_size, count, err);
    if (rc)
        return rc;
    if (named) {
        char target_name[TARGET_NAME_LEN + 1];
        memcpy(target_name, p + TGT_NAME, TARGET_NAME_LEN);
        target_name[TARGET_NAME_LEN] = '\0';
        rc = mpf_image_add_target_name(r->img, alt, target_name, err);
        if (rc)
            return rc;
    }
    *next = data + target_size;
    return MPF_OK;
}

static mpf_err load_targets(const dfuse_reader *r, unsigned targets, mpf_error *err)
{
    size_t pos = PREFIX_LEN;
    for (unsigned t = 0; t < targets; t++) {
        mpf_err rc = load_target(r, t, targets, pos, &pos, err);
        if (rc)
            return rc;
    }
    if (pos != r->end)
        return mpf_error_set(err, MPF_ERR_INPUT,
                             "%s: offset %zu: %zu bytes of unexpected data between the last target and the DFU suffix (bTargets is %u); the file is damaged",
                             r->name, pos, r->end - pos, targets);
    return MPF_OK;
}

static mpf_err check_prefix(const uint8_t *buf, size_t len, const char *name, mpf_error *err)
{
    if (len < PREFIX_LEN)
        return mpf_error_set(err, MPF_ERR_INPUT,
                             "%s: offset %zu: the file ends inside the 11-byte DfuSe prefix; the file is truncated",
                             name, len);
    if (buf[5] != 1)
        return mpf_error_set(err, MPF_ERR_INPUT,
                             "%s: offset 5: DfuSe bVersion is %u, only version 1 exists; the file is damaged",
                             name, (unsigned)buf[5]);
    if (len < PREFIX_LEN + MPF_DFU_SUFFIX_LEN)
        return mpf_error_set(err, MPF_ERR_INPUT,
                             "%s: offset %zu: the file ends before its targets and the 16-byte DFU suffix; the file is truncated",
                             name, len);
    return MPF_OK;
}

/* Plain DFU 1.1: the bytes before the suffix, at the user's address. */
static mpf_err scan_plain_dfu(mpf_slices *slices, const uint8_t *buf, size_t len, const char *name,
                              const mpf_load_options *opt, mpf_dfu_suffix *sfx, mpf_error *err)
{
    mpf_err rc = mpf_dfu_suffix_parse(buf, len, name, sfx, err);
    if (!rc)
        rc = mpf_dfu_suffix_check_crc(sfx, len, name, opt->accept_bad_crc, err);
    if (!rc)
        rc = mpf_raw_slice(slices, len - MPF_DFU_SUFFIX_LEN, name,
                           "plain DFU file (no \"DfuSe\" signature at offset 0)", opt, err);
    return rc;
}

/* Check the whole file and list its elements; target names go straight
 * into the image (the caller takes them back on failure). */
static mpf_err scan(mpf_image *img, mpf_slices *slices, const uint8_t *buf, size_t len,
                    const char *name, const mpf_load_options *opt, mpf_dfu_suffix *sfx,
                    mpf_format *format, mpf_error *err)
{
    if (len < 5 || memcmp(buf, "DfuSe", 5) != 0) {
        *format = MPF_FORMAT_DFU;
        if (mpf_dfu_suffix_present(buf, len))
            return scan_plain_dfu(slices, buf, len, name, opt, sfx, err);
        if (len == 0)
            return mpf_error_set(err, MPF_ERR_INPUT, "%s: offset 0: the file is empty", name);
        if (len < 5 && memcmp(buf, "DfuSe", len) == 0)
            return check_prefix(buf, len, name, err);
        return mpf_error_set(err, MPF_ERR_INPUT,
                             "%s: offset 0: no \"DfuSe\" signature and no DFU suffix; this is not a DfuSe or DFU file",
                             name);
    }
    *format = MPF_FORMAT_DFUSE;
    mpf_err rc = check_prefix(buf, len, name, err);
    if (rc)
        return rc;
    rc = mpf_dfu_suffix_parse(buf, len, name, sfx, err);
    if (rc)
        return rc;
    rc = mpf_dfu_suffix_check_crc(sfx, len, name, opt->accept_bad_crc, err);
    if (rc)
        return rc;
    /* Tools disagree whether DFUImageSize counts the suffix; both are fine. */
    uint32_t image_size = mpf_get_le32(buf + 6);
    if (image_size != len - MPF_DFU_SUFFIX_LEN && image_size != len)
        return mpf_error_set(err, MPF_ERR_INPUT,
                             "%s: offset 6: DFUImageSize is %u but the file is %zu bytes (%zu without the DFU suffix); the file is truncated or damaged",
                             name, (unsigned)image_size, len, len - MPF_DFU_SUFFIX_LEN);
    unsigned targets = buf[10];
    if (targets == 0)
        return mpf_error_set(err, MPF_ERR_INPUT, "%s: offset 10: bTargets is 0; the file holds no firmware", name);
    dfuse_reader r = {img, slices, buf, len - MPF_DFU_SUFFIX_LEN, name};
    return load_targets(&r, targets, err);
}

/* owned is NULL (copy from buf) or buf itself, taken whatever happens. */
static mpf_err load(mpf_image *img, const uint8_t *buf, size_t len, const char *name,
                    const mpf_load_options *opt, uint8_t *owned, mpf_error *err)
{
    static const mpf_load_options no_options = {0};
    if (!img || (!buf && len)) {
        free(owned);
        return mpf_error_set(err, MPF_ERR_USAGE, "mpf_load_dfuse: img and buf must not be NULL");
    }
    if (!name)
        name = "(buffer)";
    if (!opt)
        opt = &no_options;
    size_t target_count = img->target_count;
    mpf_slices slices;
    mpf_slices_init(&slices);
    mpf_dfu_suffix sfx = {0};
    mpf_format format = MPF_FORMAT_UNKNOWN;
    mpf_err rc = scan(img, &slices, buf, len, name, opt, &sfx, &format, err);
    if (!rc)
        rc = mpf_slices_commit(img, &slices, buf, owned, err);
    else
        free(owned);
    mpf_slices_free(&slices);
    if (rc) {
        /* Leave the image as it was; the commit has undone its segments. */
        img->target_count = target_count;
        return rc;
    }
    mpf_dfu_suffix_record(img, &sfx);
    if (img->format == MPF_FORMAT_UNKNOWN)
        img->format = format;
    if (format == MPF_FORMAT_DFU && !opt->has_address && opt->stream_ok)
        img->streamed++;
    return MPF_OK;
}

mpf_err mpf_load_dfuse(mpf_image *img, const uint8_t *buf, size_t len, const char *name,
                       const mpf_load_options *opt, mpf_error *err)
{
    return load(img, buf, len, name, opt, NULL, err);
}

mpf_err mpf_load_dfuse_owned(mpf_image *img, uint8_t *buf, size_t len, const char *name,
                             const mpf_load_options *opt, mpf_error *err)
{
    return load(img, buf, len, name, opt, buf, err);
}
