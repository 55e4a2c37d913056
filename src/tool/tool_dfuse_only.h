/* Options that only mean something to an ST DfuSe device (the .dfuse_only
 * rows of tool_option_list.h) given for a plain DFU device. */
#ifndef MPFLASH_TOOL_DFUSE_ONLY_H
#define MPFLASH_TOOL_DFUSE_ONLY_H

#include "mpflash/transport.h"
#include "tool/tool_ctx.h"

/* Nonzero if dev speaks DfuSe (bcdDFUVersion 0x011A, or 0 = not told). */
int tool_device_is_dfuse(const mpf_device_info *dev);

/* On a plain DFU device, the first DfuSe-only option given (also as a -s
 * modifier: -s :mass-erase, -s :unprotect) is refused, named as it was
 * typed, with its row's reason; MPF_ERR_USAGE. Called before any request. */
mpf_err tool_refuse_dfuse_only(const tool_ctx *ctx, const mpf_device_info *dev, mpf_error *err);

#endif
