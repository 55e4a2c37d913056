/* See pack_builder.h. */
#include "pack_builder.h"

#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "mpflash/sim.h"

enum { FORMAT_FULL_SIG = 1, FORMAT_FW_RAW = 2, FORMAT_FW_GZIP = 3 };

/* zlib.compressobj(level=9, memLevel=9, wbits=-15) */
static int deflate_raw(const uint8_t *in, size_t len, uint8_t **out, size_t *out_len)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    if (deflateInit2(&z, 9, Z_DEFLATED, -15, 9, Z_DEFAULT_STRATEGY) != Z_OK)
        return -1;
    size_t cap = deflateBound(&z, (uLong)len);
    *out = malloc(cap ? cap : 1);
    if (!*out) {
        deflateEnd(&z);
        return -1;
    }
    z.next_in = (Bytef *)(uintptr_t)in;
    z.avail_in = (uInt)len;
    z.next_out = *out;
    z.avail_out = (uInt)cap;
    int rc = deflate(&z, Z_FINISH);
    *out_len = cap - z.avail_out;
    deflateEnd(&z);
    if (rc != Z_STREAM_END) {
        free(*out);
        *out = NULL;
        return -1;
    }
    return 0;
}

static int add_chunk(mpf_image *out, uint8_t format, uint32_t address, const uint8_t *body,
                     size_t len)
{
    uint8_t *c = NULL;
    size_t n = 0;
    mpf_error e;
    if (mpf_sim_pack_chunk(format, address, body, len, &c, &n, &e) != MPF_OK)
        return -1;
    return mpf_image_add_owned(out, 0, address, c, n, "pack chunk", &e) == MPF_OK ? 0 : -1;
}

static void put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

int pack_image(const mpf_image *fw, size_t chunk_size, int gzip, mpf_image *out)
{
    mpf_image_init(out);
    out->format = MPF_FORMAT_DFUSE;
    size_t total = mpf_image_total_size(fw);
    uint8_t *full = malloc(total ? total : 1);
    uint8_t *regions = malloc(fw->count * 8 + MPF_SIM_PACK_SIG_BYTES);
    if (!full || !regions) {
        free(full);
        free(regions);
        return -1;
    }
    size_t at = 0;
    uint32_t chunk_addr = 0;
    int rc = 0;
    for (size_t i = 0; i < fw->count && rc == 0; i++) {
        const mpf_segment *s = &fw->segments[i];
        memcpy(full + at, s->data, s->size);
        at += s->size;
        put32(regions + 8 * i, s->address);
        put32(regions + 8 * i + 4, (uint32_t)s->size);
        for (size_t off = 0; off < s->size && rc == 0; off += chunk_size) {
            size_t n = s->size - off < chunk_size ? s->size - off : chunk_size;
            chunk_addr = s->address + (uint32_t)off;
            if (gzip) {
                uint8_t *z = NULL;
                size_t zn = 0;
                rc = deflate_raw(s->data + off, n, &z, &zn);
                if (rc == 0)
                    rc = add_chunk(out, FORMAT_FW_GZIP, chunk_addr, z, zn);
                free(z);
            } else {
                rc = add_chunk(out, FORMAT_FW_RAW, chunk_addr, s->data + off, n);
            }
        }
    }
    if (rc == 0) {
        /* "at location following the last chunk" */
        mpf_sim_pack_sign_firmware(full, total, regions + fw->count * 8);
        rc = add_chunk(out, FORMAT_FULL_SIG, chunk_addr + (uint32_t)chunk_size, regions,
                       fw->count * 8 + MPF_SIM_PACK_SIG_BYTES);
    }
    free(full);
    free(regions);
    if (rc != 0)
        mpf_image_free(out);
    return rc;
}

int pack_file(const mpf_image *pack, uint8_t **dfu, size_t *len)
{
    mpf_dfuse_write_options o;
    mpf_dfuse_write_options_default(&o);
    mpf_error e;
    return mpf_write_dfuse(pack, &o, dfu, len, &e) == MPF_OK ? 0 : -1;
}

int pack_load(const uint8_t *dfu, size_t len, mpf_image *out)
{
    mpf_image_init(out);
    mpf_load_options lo;
    memset(&lo, 0, sizeof lo);
    mpf_error e;
    mpf_format f;
    return mpf_load_buffer(out, dfu, len, "firmware.pack.dfu", &lo, &f, &e) == MPF_OK ? 0 : -1;
}
