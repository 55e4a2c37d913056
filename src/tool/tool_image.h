/* Loading the firmware files named on the command line. */
#ifndef MPFLASH_TOOL_IMAGE_H
#define MPFLASH_TOOL_IMAGE_H

#include "mpflash/image.h"
#include "tool/tool_ctx.h"

/* "DfuSe file", "ELF file", ... for messages. */
const char *tool_format_description(mpf_format f);

/* Load every file of ctx->opt.files into img and normalize it; each file's
 * format is announced (tool_say). Raw binaries go to -s ADDR when given, and
 * alt-less formats to `alt`. */
mpf_err tool_load_inputs(tool_ctx *ctx, uint8_t alt, mpf_image *img, mpf_error *err);

/* The load options the command line implies (-s ADDR, alt). */
void tool_load_options(const tool_ctx *ctx, uint8_t alt, mpf_load_options *lo);

#endif
