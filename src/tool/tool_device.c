/* Choosing and opening the board. The same filters apply to the virtual
 * board as to USB, so `--sim f401 -d 1234:5678` fails as a real run would. */
#include "platform/clock.h"
#include "tool/tool_device.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tool/tool_json.h"
#include "tool/tool_usb_access.h"

/* How long a run-time device may take to come back in DFU mode. */
#define DETACH_WAIT_MS 10000u
#define WAIT_POLL_MS 250u

static mpf_err new_sim(tool_ctx *ctx, size_t index, tool_device *dev, mpf_error *err)
{
    dev->sim_chip = tool_sim_board_chip(&ctx->opt, index);
    mpf_err rc = mpf_sim_new(dev->sim_chip, &dev->sim, err);
    if (rc) {
        mpf_error_prefix(err, "--sim %s", ctx->opt.sim_chip);
        return rc;
    }
    tool_sim_board_identity(dev->sim, &ctx->opt, index);
    mpf_sim_transport(dev->sim, &dev->transport);
    dev->has_transport = 1;
    return MPF_OK;
}

mpf_err tool_device_sim_info(tool_ctx *ctx, size_t index, mpf_device_info *info, mpf_error *err)
{
    tool_device dev;
    memset(&dev, 0, sizeof dev);
    mpf_err rc = new_sim(ctx, index, &dev, err);
    if (!rc)
        *info = dev.transport.info;
    if (dev.has_transport)
        mpf_transport_close(&dev.transport);
    mpf_sim_free(dev.sim);
    return rc;
}

mpf_err tool_device_open_sim(tool_ctx *ctx, size_t index, tool_device *dev, mpf_error *err)
{
    memset(dev, 0, sizeof *dev);
    mpf_err rc = new_sim(ctx, index, dev, err);
    if (!rc)
        rc = tool_sim_apply_faults(dev->sim, ctx->io->sim_fault, dev->transport.info.serial, &dev->extras, err);
    if (rc || !ctx->opt.sim_state)
        return rc;
    if (tool_sim_board_count(&ctx->opt) > 1)
        tool_board_file(ctx->opt.sim_state, dev->transport.info.serial, dev->state_file, sizeof dev->state_file);
    else
        snprintf(dev->state_file, sizeof dev->state_file, "%s", ctx->opt.sim_state);
    rc = tool_sim_state_region(dev->sim, &dev->transport.info, &dev->state_base, &dev->state_len, err);
    if (!rc)
        rc = tool_sim_state_load(dev->sim, dev->state_file, dev->state_base, dev->state_len, err);
    if (!rc)
        dev->has_state = 1;
    return rc;
}

/* The one virtual board the filters select among those of the run. */
static mpf_err open_sim(tool_ctx *ctx, tool_device *dev, mpf_error *err)
{
    size_t count = tool_sim_board_count(&ctx->opt);
    mpf_device_info *infos = calloc(count, sizeof *infos);
    if (!infos)
        return mpf_error_set(err, MPF_ERR_NOMEM, "out of memory");
    mpf_err rc = MPF_OK;
    for (size_t i = 0; i < count && !rc; i++)
        rc = tool_device_sim_info(ctx, i, &infos[i], err);
    size_t index = 0;
    if (!rc && (rc = mpf_usb_select(&ctx->opt.filter, infos, NULL, count, &index, err)))
        mpf_error_prefix(err, "--sim %s", ctx->opt.sim_chip);
    free(infos);
    if (!rc)
        rc = tool_device_open_sim(ctx, index, dev, err);
    return rc;
}

void tool_device_adopt(tool_device *dev, const mpf_transport *t)
{
    memset(dev, 0, sizeof *dev);
    dev->transport = *t;
    dev->has_transport = 1;
}

/* No board to open: when the bus shows no DFU device at all, say so if it
 * is for want of USB access (as mpflash -l does). */
static mpf_err explain_no_device(tool_ctx *ctx, mpf_usb *usb, mpf_err rc, mpf_error *err)
{
    mpf_usb_list *list = NULL;
    mpf_error scan_err;
    if (rc != MPF_ERR_NO_DEVICE || mpf_usb_scan(usb, &list, &scan_err) != MPF_OK)
        return rc;
    rc = tool_usb_access_explain(rc, mpf_usb_list_count(list), ctx->io->dev_root, err);
    mpf_usb_list_free(list);
    return rc;
}

static mpf_err open_usb(tool_ctx *ctx, tool_device *dev, mpf_error *err)
{
    mpf_err rc = mpf_usb_new(&dev->usb, err);
    if (rc)
        return rc;
    uint64_t deadline = mpf_clock_now_ms(NULL) + (uint64_t)ctx->opt.wait_seconds * 1000u;
    int told = 0;
    for (;;) {
        rc = mpf_usb_open_matching(dev->usb, &ctx->opt.filter,
                                   ctx->opt.has_detach_delay ? ctx->opt.detach_delay * 1000u : DETACH_WAIT_MS,
                                   &dev->transport, err);
        if (rc != MPF_ERR_NO_DEVICE || !ctx->opt.wait)
            break;
        if (ctx->opt.wait_seconds && mpf_clock_now_ms(NULL) >= deadline) {
            mpf_error_prefix(err, "after waiting %u s", (unsigned)ctx->opt.wait_seconds);
            break;
        }
        if (!told) {
            /* Waiting cannot help a system that shows no USB devices: say so
             * once, then wait anyway (the user may be about to fix it). */
            mpf_error why;
            if (explain_no_device(ctx, dev->usb, MPF_ERR_NO_DEVICE, &why) == MPF_ERR_USB_ACCESS)
                tool_warn(ctx, "%s", why.message);
            if (!ctx->opt.quiet)
                fprintf(ctx->err, "mpflash: waiting for a DFU device (Ctrl-C to stop)...\n");
            told = 1;
        }
        mpf_clock_sleep_ms(NULL, WAIT_POLL_MS);
    }
    if (!rc)
        dev->has_transport = 1;
    return explain_no_device(ctx, dev->usb, rc, err);
}

mpf_err tool_device_open(tool_ctx *ctx, tool_device *dev, mpf_error *err)
{
    memset(dev, 0, sizeof *dev);
    return ctx->opt.sim_chip ? open_sim(ctx, dev, err) : open_usb(ctx, dev, err);
}

mpf_err tool_device_close(tool_ctx *ctx, tool_device *dev, mpf_error *err)
{
    mpf_err rc = MPF_OK;
    if (dev->has_transport)
        mpf_transport_close(&dev->transport);
    dev->has_transport = 0;
    /* A dry run changed nothing, so it writes nothing either. */
    if (dev->sim && dev->has_state && !ctx->opt.dry_run)
        rc = tool_sim_state_save(dev->sim, dev->state_file, dev->state_base, dev->state_len, err);
    mpf_sim_free(dev->sim);
    dev->sim = NULL;
    if (dev->usb)
        mpf_usb_free(dev->usb);
    dev->usb = NULL;
    return rc;
}

mpf_err tool_device_alt(tool_ctx *ctx, const tool_device *dev, uint8_t *alt, mpf_error *err)
{
    return mpf_usb_filter_alt(&ctx->opt.filter, &dev->transport.info, alt, err);
}

uint64_t tool_device_now_us(const tool_device *dev)
{
    if (!dev->has_transport || !dev->transport.ops->now_us)
        return 0;
    return dev->transport.ops->now_us(dev->transport.ctx);
}

void tool_device_json_fields(tool_json *j, const mpf_device_info *info, const char *sim_chip)
{
    tj_u64(j, "vid", info->vid);
    tj_u64(j, "pid", info->pid);
    tj_u64(j, "bcd_device", info->bcd_device);
    tj_str(j, "mode", info->mode == MPF_MODE_RUNTIME ? "runtime" : "dfu");
    tj_str(j, "serial", info->serial);
    tj_str(j, "path", info->path);
    tj_str(j, "manufacturer", info->manufacturer);
    tj_str(j, "product", info->product);
    tj_u64(j, "dfu_version", info->func.dfu_version);
    tj_u64(j, "transfer_size", info->func.transfer_size);
    tj_u64(j, "attributes", info->func.attributes);
    tj_array(j, "alts");
    for (size_t i = 0; i < info->num_alts && i < MPF_MAX_ALTS; i++) {
        tj_object(j, NULL);
        tj_u64(j, "alt", info->alts[i].alt);
        tj_str(j, "name", info->alts[i].name);
        tj_close_object(j);
    }
    tj_close_array(j);
    tj_str(j, "sim", sim_chip);
}

void tool_device_announce(tool_ctx *ctx, const tool_device *dev)
{
    const mpf_device_info *info = &dev->transport.info;
    if (!ctx->opt.json) {
        char d[sizeof info->serial + 96];
        mpf_usb_describe(info, d, sizeof d);
        if (dev->sim)
            tool_say(ctx, "device: %s, virtual board --sim %s\n", d, dev->sim_chip);
        else
            tool_say(ctx, "device: %s\n", d);
        return;
    }
    tool_json j;
    tj_begin(&j, ctx->out);
    tj_str(&j, "event", "device");
    tool_device_json_fields(&j, info, dev->sim ? dev->sim_chip : NULL);
    tj_end(&j);
}
