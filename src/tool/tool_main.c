/* The tool's entry: parse, dispatch, report. The one place that turns an
 * mpf_err into an exit code. */
#include "tool/tool.h"

#include "tool/tool_commands.h"
#include "tool/tool_help.h"

static const char *command_name(tool_command c)
{
    switch (c) {
    case TOOL_CMD_SIM_LIST: return "sim-list";
    case TOOL_CMD_LIST: return "list";
    case TOOL_CMD_INFO: return "info";
    case TOOL_CMD_CONVERT: return "convert";
    case TOOL_CMD_FLASH: return "flash";
    case TOOL_CMD_READ: return "read";
    case TOOL_CMD_MASS_ERASE: return "mass-erase";
    case TOOL_CMD_UNPROTECT: return "unprotect";
    case TOOL_CMD_LEAVE: return "leave";
    case TOOL_CMD_DETACH: return "detach";
    default: return "usage";
    }
}

static mpf_err dispatch(tool_ctx *ctx, mpf_error *err)
{
    switch (ctx->opt.command) {
    case TOOL_CMD_HELP: tool_help(ctx->out); return MPF_OK;
    case TOOL_CMD_VERSION: tool_version(ctx->out); return MPF_OK;
    case TOOL_CMD_SIM_LIST: return tool_cmd_sim_list(ctx, err);
    case TOOL_CMD_LIST: return tool_cmd_list(ctx, err);
    case TOOL_CMD_INFO: return tool_cmd_info(ctx, err);
    case TOOL_CMD_CONVERT: return tool_cmd_convert(ctx, err);
    case TOOL_CMD_FLASH: return tool_cmd_flash(ctx, err);
    case TOOL_CMD_READ: return tool_cmd_read(ctx, err);
    case TOOL_CMD_MASS_ERASE:
    case TOOL_CMD_UNPROTECT:
    case TOOL_CMD_LEAVE:
    case TOOL_CMD_DETACH: return tool_cmd_device_action(ctx, err);
    default: return mpf_error_set(err, MPF_ERR_INTERNAL, "no command chosen");
    }
}

int tool_main(int argc, char **argv, const tool_io *io)
{
    tool_ctx ctx = {.io = io, .out = io->out, .err = io->err};
    mpf_error err = {0};
    mpf_err rc = tool_options_parse(&ctx.opt, argc, argv, &err);
    if (!rc)
        rc = dispatch(&ctx, &err);
    int code = rc ? tool_fail(&ctx, command_name(ctx.opt.command), &err) : 0;
    fflush(ctx.out);
    tool_options_free(&ctx.opt);
    return code;
}
