/* The commands. Each returns MPF_OK or an error with its message filled in;
 * tool_main reports failures. */
#ifndef MPFLASH_TOOL_COMMANDS_H
#define MPFLASH_TOOL_COMMANDS_H

#include "mpflash/transport.h"
#include "tool/tool_ctx.h"

mpf_err tool_cmd_info(tool_ctx *ctx, mpf_error *err);
mpf_err tool_cmd_convert(tool_ctx *ctx, mpf_error *err);
mpf_err tool_cmd_sim_list(tool_ctx *ctx, mpf_error *err);
mpf_err tool_cmd_list(tool_ctx *ctx, mpf_error *err);
mpf_err tool_cmd_flash(tool_ctx *ctx, mpf_error *err);
mpf_err tool_cmd_read(tool_ctx *ctx, mpf_error *err);
/* -m alone, --unprotect, -x/-R alone, -e alone. */
mpf_err tool_cmd_device_action(tool_ctx *ctx, mpf_error *err);

/* Where leaving DFU mode starts the board: --leave-address, else -s ADDR
 * (not for -U, where ADDR is the read start), else alt 0's first address. */
uint32_t tool_leave_address(const tool_ctx *ctx, const mpf_device_info *info);

#endif
