/* Loading the firmware files named on the command line. */
#ifndef MPFLASH_TOOL_IMAGE_H
#define MPFLASH_TOOL_IMAGE_H

#include "mpflash/image.h"
#include "mpflash/pack.h"
#include "tool/tool_ctx.h"

/* "DfuSe file", "ELF file", ... for messages. */
const char *tool_format_description(mpf_format f);

/* Load every file of ctx->opt.files into img and normalize it; each file's
 * format is announced (tool_say). Raw binaries go to -s ADDR when given, and
 * alt-less formats to `alt`. */
mpf_err tool_load_inputs(tool_ctx *ctx, uint8_t alt, mpf_image *img, mpf_error *err);

/* 1 when img (as loaded) is mboot's packed firmware; *out filled then
 * (mpf_pack_free it). tool_load_inputs leaves such an image unnormalized. */
int tool_pack_of(const mpf_image *img, mpf_pack *out);
/* Flash a packed firmware (tool_pack.c): one board, no plan. */
mpf_err tool_pack_flash(tool_ctx *ctx, const mpf_image *img, const mpf_pack *p, mpf_error *err);

/* The load options the command line implies (-s ADDR, alt). */
void tool_load_options(const tool_ctx *ctx, uint8_t alt, mpf_load_options *lo);

#endif
