/* Board commands without a firmware file: mass erase (-m), read unprotect,
 * leave (-x / -R) and detach (-e). */
#include <string.h>

#include "mpflash/engine.h"
#include "mpflash/plan.h"
#include "tool/tool_interrupt.h"
#include "tool/tool_commands.h"
#include "tool/tool_device.h"
#include "tool/tool_dfuse_only.h"
#include "tool/tool_usb_access.h"
#include "tool/tool_progress.h"

static const char *command_name(tool_command c)
{
    switch (c) {
    case TOOL_CMD_MASS_ERASE: return "mass-erase";
    case TOOL_CMD_UNPROTECT: return "unprotect";
    case TOOL_CMD_LEAVE: return "leave";
    default: return "detach";
    }
}

static void report(tool_ctx *ctx, const tool_device *dev, const char *text, uint64_t took_us, int left)
{
    if (ctx->opt.json) {
        tool_json j;
        tool_result_begin(ctx, &j, command_name(ctx->opt.command));
        tj_bool(&j, "left", left);
        tj_u64(&j, "elapsed_ms", took_us / 1000u);
        tj_str(&j, "clock", dev->sim ? "modelled" : "wall");
        tj_end(&j);
        return;
    }
    if (!took_us) {
        tool_say(ctx, "done: %s\n", text);
        return;
    }
    char t[32];
    tool_format_duration(t, sizeof t, took_us);
    tool_say(ctx, "done: %s in %s%s\n", text, t, dev->sim ? " of modelled device time" : "");
}

/* -m alone passes the family's rules as -m with an image does: a plan of an
 * empty image with mass_erase is one that only mass-erases, and building it
 * refuses a family without mass erase (WB) before any request is sent. */
static mpf_err check_mass_erase_allowed(const tool_ctx *ctx, const tool_device *dev, mpf_error *err)
{
    mpf_plan_options po;
    mpf_plan_options_default(&po);
    po.mass_erase = 1;
    po.leave = 0;
    po.verify = 0;
    po.transfer_size = ctx->opt.transfer_size;
    po.chip = ctx->opt.chip ? mpf_chip_find(ctx->opt.chip) : NULL;
    mpf_image none;
    mpf_image_init(&none);
    mpf_plan plan;
    mpf_err rc = mpf_plan_build(&none, &dev->transport.info, &po, &plan, err);
    if (!rc)
        mpf_plan_free(&plan);
    mpf_image_free(&none);
    return rc;
}

static mpf_err act(tool_ctx *ctx, tool_device *dev, mpf_error *err)
{
    tool_device_announce(ctx, dev);
    uint8_t alt;
    mpf_err rc = tool_device_alt(ctx, dev, &alt, err);
    if (!rc)
        rc = tool_refuse_dfuse_only(ctx, &dev->transport.info, err);
    if (!rc && ctx->opt.command == TOOL_CMD_MASS_ERASE)
        rc = check_mass_erase_allowed(ctx, dev, err);
    if (rc)
        return rc;
    tool_progress prog;
    tool_progress_init(&prog, ctx, dev);
    mpf_callbacks cb;
    tool_progress_callbacks(&prog, &cb);
    uint64_t t0 = tool_device_now_us(dev);
    mpf_dfu *d = NULL;
    rc = tool_session_new(&dev->transport, &cb, &d, err);
    const char *text = "";
    char leave_text[160];
    int left = 0;
    if (!rc) {
        switch (ctx->opt.command) {
        case TOOL_CMD_MASS_ERASE:
            rc = mpf_dfu_mass_erase(d, alt, err);
            text = "erased all of the flash";
            break;
        case TOOL_CMD_UNPROTECT:
            rc = mpf_dfu_read_unprotect(d, err);
            text = "read protection removed; the chip erased itself and is restarting";
            break;
        default: break;
        }
    }
    if (!rc && ctx->opt.final_detach && mpf_dfu_is_dfuse(d))
        rc = mpf_error_set(err, MPF_ERR_USAGE,
                           "-Q/--final-detach is for plain DFU boards; this one is ST DfuSe: drop -Q");
    if (!rc && ctx->opt.leave && !mpf_dfu_is_dfuse(d)) {
        /* A plain DFU board: nothing was downloaded, so the reset (or
         * DETACH) restarts it as it was. */
        rc = ctx->opt.final_detach ? mpf_dfu_detach(d, err) : mpf_dfu_reset(d, err);
        left = mpf_dfu_has_left(d);
        text = ctx->opt.final_detach ? "DETACH sent: the board restarts" : "USB reset sent";
    } else if (!rc && ctx->opt.leave) {
        uint32_t at = tool_leave_address(ctx, &dev->transport.info);
        rc = mpf_dfu_leave(d, at, err);
        left = 1;
        snprintf(leave_text, sizeof leave_text, "%s%sleft DFU mode, starting the firmware at 0x%08X", text,
                 *text ? "; " : "", (unsigned)at);
        text = leave_text;
    }
    tool_session_close(d);
    tool_progress_end_line(&prog);
    if (!rc)
        report(ctx, dev, text, tool_device_now_us(dev) - t0, left);
    return rc;
}

/* -e: only a run-time-mode board has anything to do; look without opening
 * through the auto-detaching path, which would do it silently. */
static mpf_err detach(tool_ctx *ctx, mpf_error *err)
{
    if (ctx->opt.sim_chip) {
        tool_device dev;
        mpf_err rc = tool_device_open(ctx, &dev, err);
        if (!rc) {
            tool_device_announce(ctx, &dev);
            report(ctx, &dev, "the board is already in DFU mode", 0, 0);
        }
        mpf_error close_err;
        mpf_err close_rc = tool_device_close(ctx, &dev, &close_err);
        if (!rc && close_rc) {
            *err = close_err;
            rc = close_rc;
        }
        return rc;
    }
    mpf_usb *usb = NULL;
    mpf_usb_list *list = NULL;
    mpf_err rc = mpf_usb_new(&usb, err);
    if (!rc)
        rc = mpf_usb_scan(usb, &list, err);
    size_t index = 0;
    if (!rc)
        rc = tool_usb_access_explain(mpf_usb_select(&ctx->opt.filter, mpf_usb_list_devices(list),
                                                    mpf_usb_list_notes(list), mpf_usb_list_count(list), &index, err),
                                     mpf_usb_list_count(list), ctx->io->dev_root, err);
    tool_device shown;
    memset(&shown, 0, sizeof shown);
    if (!rc) {
        shown.transport.info = mpf_usb_list_devices(list)[index];
        tool_device_announce(ctx, &shown);
        if (shown.transport.info.mode == MPF_MODE_DFU) {
            report(ctx, &shown, "the board is already in DFU mode", 0, 0);
        } else {
            mpf_transport t;
            rc = mpf_usb_open(list, index, &t, err);
            if (!rc) {
                rc = mpf_usb_detach_request(&t, err);
                mpf_transport_close(&t);
            }
            if (!rc)
                report(ctx, &shown, "detach sent; the board comes back in DFU mode", 0, 0);
        }
    }
    if (list)
        mpf_usb_list_free(list);
    if (usb)
        mpf_usb_free(usb);
    return rc;
}

mpf_err tool_cmd_device_action(tool_ctx *ctx, mpf_error *err)
{
    if (ctx->opt.command == TOOL_CMD_DETACH)
        return detach(ctx, err);
    tool_device dev;
    mpf_err rc = tool_device_open(ctx, &dev, err);
    if (!rc)
        rc = act(ctx, &dev, err);
    mpf_error close_err;
    mpf_err close_rc = tool_device_close(ctx, &dev, &close_err);
    if (!rc && close_rc) {
        *err = close_err;
        rc = close_rc;
    }
    return rc;
}
