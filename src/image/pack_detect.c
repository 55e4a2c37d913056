/* Recognising mboot's packed firmware from its content (the rules are in
 * mpflash/pack.h; the layout is mboot_pack_dfu.py's pack_chunk and pack_dfu,
 * padded to 8 bytes by tools/dfu.py's build). */
#include <stdlib.h>
#include <string.h>

#include "image/byte_order.h"
#include "mpflash/pack.h"

#define PACK_VERSION 1u
#define DFU_PAD 8u

const char *mpf_pack_format_name(uint8_t format)
{
    switch (format) {
    case MPF_PACK_META:
        return "meta";
    case MPF_PACK_FULL_SIG:
        return "full-sig";
    case MPF_PACK_FW_RAW:
        return "fw-raw";
    case MPF_PACK_FW_GZIP:
        return "fw-gzip";
    default:
        return "format ?";
    }
}

/* The chunk a segment holds, or -1. */
static int read_chunk(const mpf_segment *s, mpf_pack_chunk *c)
{
    if (s->alt != 0 || s->size < MPF_PACK_HEADER_BYTES + MPF_PACK_SIG_BYTES)
        return -1;
    const uint8_t *h = s->data;
    if (h[0] != PACK_VERSION || h[1] > MPF_PACK_FW_GZIP || h[2] != 0 || h[3] != 0)
        return -1;
    uint32_t address = mpf_get_le32(h + 4), length = mpf_get_le32(h + 8);
    if (address != s->address)
        return -1;
    uint64_t used = (uint64_t)MPF_PACK_HEADER_BYTES + length + MPF_PACK_SIG_BYTES;
    if (used > s->size || s->size - used >= DFU_PAD)
        return -1;
    for (size_t i = (size_t)used; i < s->size; i++)
        if (s->data[i] != 0)
            return -1;
    if ((h[1] == MPF_PACK_FW_RAW || h[1] == MPF_PACK_FW_GZIP) && length < MPF_PACK_BOX_BYTES)
        return -1;
    c->address = address;
    c->format = h[1];
    c->length = length;
    return 0;
}

static int full_signature(const mpf_segment *s, const mpf_pack_chunk *c, mpf_pack *p)
{
    if (c->length < MPF_PACK_SIG_BYTES || (c->length - MPF_PACK_SIG_BYTES) % 8 != 0)
        return -1;
    p->regions = (c->length - MPF_PACK_SIG_BYTES) / 8;
    const uint8_t *r = s->data + MPF_PACK_HEADER_BYTES;
    for (size_t i = 0; i < p->regions; i++)
        p->signed_bytes += mpf_get_le32(r + 8 * i + 4);
    return 0;
}

int mpf_pack_detect(const mpf_image *img, mpf_pack *out, mpf_error *err)
{
    memset(out, 0, sizeof *out);
    if (img->format != MPF_FORMAT_DFUSE || img->count < 2)
        return 0;
    mpf_pack_chunk *chunks = calloc(img->count, sizeof *chunks);
    if (!chunks) {
        mpf_error_set(err, MPF_ERR_NOMEM, "out of memory for %zu chunk records", img->count);
        return -MPF_ERR_NOMEM;
    }
    mpf_pack p = {.chunks = chunks, .count = img->count};
    for (size_t i = 0; i < img->count; i++) {
        const mpf_segment *s = &img->segments[i];
        int last = i + 1 == img->count;
        if (read_chunk(s, &chunks[i]) != 0 || (chunks[i].format == MPF_PACK_FULL_SIG) != last ||
            (last && full_signature(s, &chunks[i], &p) != 0)) {
            free(chunks);
            return 0;
        }
        chunks[i].segment = i;
        p.file_bytes += s->size;
        if (chunks[i].format >= MPF_PACK_FW_RAW)
            p.firmware_chunks++;
        p.gzip |= chunks[i].format == MPF_PACK_FW_GZIP;
    }
    *out = p;
    return 1;
}

void mpf_pack_free(mpf_pack *p)
{
    if (!p)
        return;
    free(p->chunks);
    memset(p, 0, sizeof *p);
}
