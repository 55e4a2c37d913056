/* DfuSe-only options on a plain DFU device: one refusal, read from the
 * option rows, for flashing, reading and the board commands alike. */
#include "tool/tool_dfuse_only.h"

#include <stdio.h>

#include "mpflash/dfu.h"
#include "tool/tool_options_internal.h"

int tool_device_is_dfuse(const mpf_device_info *dev)
{
    return dev->func.dfu_version == MPF_DFU_VERSION_DFUSE || dev->func.dfu_version == 0;
}

/* The option as a -s modifier set it (tool_parse_dfuse_address), if it did. */
static const char *spelled_in_s(const tool_options *o, tool_opt_id id)
{
    if (id == OPT_MASS_ERASE && o->mass_erase_from_s)
        return "-s :mass-erase";
    if (id == OPT_UNPROTECT && o->unprotect_from_s)
        return "-s :unprotect";
    return NULL;
}

mpf_err tool_refuse_dfuse_only(const tool_ctx *ctx, const mpf_device_info *dev, mpf_error *err)
{
    if (tool_device_is_dfuse(dev))
        return MPF_OK;
    for (size_t id = 1; id < OPT__COUNT; id++) {
        const tool_opt_def *o = &tool_opt_table[id];
        const char *in_s = spelled_in_s(&ctx->opt, (tool_opt_id)id);
        if (!o->dfuse_only || !(ctx->opt.given[id] || in_s))
            continue;
        char name[48];
        if (!ctx->opt.given[id])
            snprintf(name, sizeof name, "%s", in_s);
        else if (o->short_name && o->long_name)
            snprintf(name, sizeof name, "-%c/--%s", o->short_name, o->long_name);
        else if (o->long_name)
            snprintf(name, sizeof name, "--%s", o->long_name);
        else
            snprintf(name, sizeof name, "-%c", o->short_name);
        return mpf_error_set(err, MPF_ERR_USAGE, "%s is for ST DfuSe devices; %04x:%04x is a plain DFU device, %s",
                             name, dev->vid, dev->pid, o->dfuse_only);
    }
    return MPF_OK;
}
