/* Flashing (and --dry-run). The order is the safety argument: every file is
 * parsed, the image checked against the board's layout and the plan built
 * before the first request that changes anything. */
#include <string.h>

#include "mpflash/engine.h"
#include "mpflash/plan.h"
#include "tool/tool_commands.h"
#include "tool/tool_device.h"
#include "tool/tool_image.h"
#include "tool/tool_plan.h"
#include "tool/tool_progress.h"

/* -a picks one memory: refuse a file that also carries data for another,
 * rather than flash half of it. */
static mpf_err check_alts(tool_ctx *ctx, const mpf_image *img, uint8_t alt, mpf_error *err)
{
    for (size_t i = 0; i < img->count; i++)
        if (img->segments[i].alt != alt)
            return mpf_error_set(err, MPF_ERR_REFUSED,
                                 "%s has data for alt setting %u, but -a selects alt %u; drop -a to write every alt setting the file names",
                                 img->segments[i].source, (unsigned)img->segments[i].alt, (unsigned)alt);
    (void)ctx;
    return MPF_OK;
}

/* The DFU suffix names the board a .dfu was built for (0xFFFF = any). */
static mpf_err check_suffix(tool_ctx *ctx, const mpf_image *img, const mpf_device_info *dev, mpf_error *err)
{
    if (!img->has_suffix || ctx->opt.force)
        return MPF_OK;
    if ((img->vid == 0xFFFF || img->vid == dev->vid) && (img->pid == 0xFFFF || img->pid == dev->pid))
        return MPF_OK;
    return mpf_error_set(err, MPF_ERR_REFUSED,
                         "the firmware's DFU suffix says it is for USB ID %04x:%04x, but the board is %04x:%04x; check that this is the right file, or add --force",
                         img->vid, img->pid, dev->vid, dev->pid);
}

static void summary(tool_ctx *ctx, const tool_device *dev, const mpf_plan *plan, const mpf_dfu *d,
                    uint64_t elapsed_us)
{
    if (ctx->opt.json) {
        tool_json j;
        tool_result_begin(ctx, &j, "flash");
        tj_u64(&j, "bytes_written", plan->write_bytes);
        tj_u64(&j, "sectors_erased", d->stats.erase_sectors);
        tj_u64(&j, "erase_bytes", plan->erase_bytes);
        tj_bool(&j, "mass_erase", plan->mass_erase);
        tj_bool(&j, "verified", plan->verify);
        tj_bool(&j, "left", plan->leave);
        if (plan->leave)
            tj_u64(&j, "leave_address", plan->leave_address);
        else
            tj_str(&j, "leave_address", NULL);
        tj_u64(&j, "requests", mpf_dfu_stats_total(&d->stats));
        tj_u64(&j, "elapsed_ms", elapsed_us / 1000u);
        tj_str(&j, "clock", dev->sim ? "modelled" : "wall");
        tj_end(&j);
        return;
    }
    char erased[32], took[32];
    tool_format_size(erased, sizeof erased, plan->erase_bytes);
    tool_format_duration(took, sizeof took, elapsed_us);
    tool_say(ctx, "done: wrote %llu bytes, erased %s%u sector%s (%s)%s in %s%s; ",
             (unsigned long long)plan->write_bytes, plan->mass_erase ? "all flash, " : "",
             (unsigned)d->stats.erase_sectors, d->stats.erase_sectors == 1 ? "" : "s", erased,
             plan->verify ? ", verified," : ",", took, dev->sim ? " of modelled device time" : "");
    if (plan->leave)
        tool_say(ctx, "the board is starting the new firmware at 0x%08X\n", (unsigned)plan->leave_address);
    else
        tool_say(ctx, "the board stays in DFU mode\n");
}

static mpf_err run_plan(tool_ctx *ctx, tool_device *dev, const mpf_plan *plan, mpf_error *err)
{
    tool_progress prog;
    tool_progress_init(&prog, ctx, dev);
    mpf_callbacks cb;
    tool_progress_callbacks(&prog, &cb);
    uint64_t start = tool_device_now_us(dev);
    mpf_dfu d;
    mpf_err rc = mpf_dfu_open(&d, &dev->transport, &cb, err);
    if (!rc)
        rc = mpf_dfu_flash(&d, plan, err);
    tool_progress_end_line(&prog);
    if (!rc)
        summary(ctx, dev, plan, &d, tool_device_now_us(dev) - start);
    return rc;
}

static void plan_options(const tool_ctx *ctx, mpf_plan_options *po)
{
    mpf_plan_options_default(po);
    po->mass_erase = ctx->opt.mass_erase;
    po->verify = ctx->opt.verify;
    po->leave = !ctx->opt.stay;
    /* -s ADDR is where raw binaries go and, as with dfu-util's :leave, where
     * the board starts; --leave-address says it outright. */
    if (ctx->opt.has_leave_address) {
        po->has_leave_address = 1;
        po->leave_address = ctx->opt.leave_address;
    } else if (ctx->opt.has_address) {
        po->has_leave_address = 1;
        po->leave_address = ctx->opt.address;
    }
    po->transfer_size = ctx->opt.transfer_size;
    po->force = ctx->opt.force;
}

static mpf_err flash_on_device(tool_ctx *ctx, tool_device *dev, mpf_image *img, uint8_t loaded_alt,
                               mpf_error *err)
{
    tool_device_announce(ctx, dev);
    mpf_err rc;
    if (ctx->opt.alt_set) {
        uint8_t alt;
        if ((rc = tool_device_alt(ctx, dev, &alt, err)))
            return rc;
        if (alt != loaded_alt) {
            /* -a NAME: only now is the number known; load again for it. */
            int quiet = ctx->opt.quiet;
            ctx->opt.quiet = 1;
            mpf_image_free(img);
            mpf_image_init(img);
            rc = tool_load_inputs(ctx, alt, img, err);
            ctx->opt.quiet = quiet;
            if (rc)
                return rc;
        }
        if ((rc = check_alts(ctx, img, alt, err)))
            return rc;
    }
    if ((rc = check_suffix(ctx, img, &dev->transport.info, err)))
        return rc;

    mpf_plan_options po;
    plan_options(ctx, &po);
    mpf_plan plan;
    if ((rc = mpf_plan_build(img, &dev->transport.info, &po, &plan, err)))
        return rc;
    if (plan.verify_dropped)
        tool_warn(ctx, "not verifying: %s", plan.verify_note ? plan.verify_note : "the board cannot read back");
    if (ctx->opt.dry_run) {
        tool_say(ctx, "plan (dry run):\n");
        tool_plan_show(ctx, &plan, &dev->transport.info, 1);
        tool_say(ctx, "nothing was changed (--dry-run)\n");
        if (ctx->opt.json) {
            tool_json j;
            tool_result_begin(ctx, &j, "flash");
            tj_bool(&j, "dry_run", 1);
            tj_end(&j);
        }
    } else {
        tool_plan_show(ctx, &plan, &dev->transport.info, ctx->opt.verbose > 0);
        rc = run_plan(ctx, dev, &plan, err);
    }
    mpf_plan_free(&plan);
    return rc;
}

mpf_err tool_cmd_flash(tool_ctx *ctx, mpf_error *err)
{
    uint8_t alt = ctx->opt.alt_set && ctx->opt.alt_number >= 0 ? (uint8_t)ctx->opt.alt_number : 0;
    mpf_image img;
    mpf_image_init(&img);
    mpf_err rc = tool_load_inputs(ctx, alt, &img, err);
    if (!rc) {
        tool_device dev;
        rc = tool_device_open(ctx, &dev, err);
        if (!rc)
            rc = flash_on_device(ctx, &dev, &img, alt, err);
        mpf_error close_err = {MPF_OK, ""};
        mpf_err close_rc = tool_device_close(ctx, &dev, &close_err);
        if (!rc && close_rc) {
            rc = close_rc;
            *err = close_err;
        }
    }
    mpf_image_free(&img);
    return rc;
}
