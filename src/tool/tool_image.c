/* Firmware inputs: every file is parsed and the whole image normalized
 * before any device is touched. */
#include "tool/tool_image.h"

#include <string.h>

const char *tool_format_description(mpf_format f)
{
    switch (f) {
    case MPF_FORMAT_DFUSE: return "DfuSe file";
    case MPF_FORMAT_DFU: return "DFU file (raw data with a DFU suffix)";
    case MPF_FORMAT_ELF: return "ELF file";
    case MPF_FORMAT_IHEX: return "Intel HEX file";
    case MPF_FORMAT_BIN: return "raw binary";
    default: return "unknown format";
    }
}

void tool_load_options(const tool_ctx *ctx, uint8_t alt, mpf_load_options *lo)
{
    memset(lo, 0, sizeof *lo);
    lo->has_address = ctx->opt.has_address;
    lo->address = ctx->opt.address;
    lo->alt = alt;
}

mpf_err tool_load_inputs(tool_ctx *ctx, uint8_t alt, mpf_image *img, mpf_error *err)
{
    mpf_load_options lo;
    tool_load_options(ctx, alt, &lo);
    /* Whether bytes without an address are a plain DFU device's stream or
     * a mistake depends on the board, which is checked before anything is
     * sent (tool_flash.c). */
    lo.stream_ok = !ctx->opt.has_address;
    for (size_t i = 0; i < ctx->opt.file_count; i++) {
        size_t before = img->count;
        size_t bytes_before = mpf_image_total_size(img);
        mpf_format f = MPF_FORMAT_UNKNOWN;
        mpf_err rc = mpf_load_file(img, ctx->opt.files[i], &lo, &f, err);
        if (rc)
            return rc;
        size_t segs = img->count - before;
        tool_say(ctx, "%s: %s, %zu segment%s, %zu bytes\n", ctx->opt.files[i], tool_format_description(f), segs,
                 segs == 1 ? "" : "s", mpf_image_total_size(img) - bytes_before);
    }
    /* mboot's packed firmware overlaps itself by design: not a flash image. */
    mpf_pack pack;
    if (tool_pack_of(img, &pack)) {
        mpf_pack_free(&pack);
        return MPF_OK;
    }
    return mpf_image_normalize(img, err);
}
