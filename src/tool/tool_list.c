/* -l and --sim list. */
#include <string.h>

#include "mpflash/dfu.h"
#include "mpflash/sim.h"
#include "mpflash/usb.h"
#include "tool/tool_commands.h"
#include "tool/tool_device.h"
#include "tool/tool_usb_access.h"

mpf_err tool_cmd_sim_list(tool_ctx *ctx, mpf_error *err)
{
    (void)err;
    for (size_t i = 0; i < mpf_sim_chip_count(); i++) {
        if (ctx->opt.json) {
            tool_json j;
            tj_begin(&j, ctx->out);
            tj_str(&j, "event", "chip");
            tj_str(&j, "name", mpf_sim_chip_name(i));
            tj_str(&j, "description", mpf_sim_chip_description(i));
            tj_end(&j);
        } else {
            fprintf(ctx->out, "%-12s %s\n", mpf_sim_chip_name(i), mpf_sim_chip_description(i));
        }
    }
    return MPF_OK;
}

static void show(tool_ctx *ctx, const mpf_device_info *d, const mpf_error *note, const char *sim_chip)
{
    if (ctx->opt.json) {
        tool_json j;
        tj_begin(&j, ctx->out);
        tj_str(&j, "event", "device");
        tool_device_json_fields(&j, d, sim_chip);
        tj_str(&j, "note", note && note->code != MPF_OK ? note->message : NULL);
        /* A known ROM serial (STM32F072) names no single board: -p PATH does. */
        tj_bool(&j, "serial_unique", !mpf_usb_serial_shared(d->serial));
        tj_end(&j);
        return;
    }
    FILE *o = ctx->out;
    fprintf(o, "%04x:%04x  %s mode  serial %s  path %s%s%s\n", d->vid, d->pid,
            d->mode == MPF_MODE_RUNTIME ? "run-time" : "DFU", d->serial[0] ? d->serial : "(none)",
            d->path[0] ? d->path : "(unknown)", sim_chip ? "  virtual board --sim " : "", sim_chip ? sim_chip : "");
    if (mpf_usb_serial_shared(d->serial))
        fprintf(o, "  serial %s is not unique (the STM32F072 ROM shows it on every chip): choose this "
                   "board by its port, -p %s\n",
                d->serial, d->path[0] ? d->path : "PATH");
    if (d->manufacturer[0] || d->product[0])
        fprintf(o, "  %s%s%s\n", d->manufacturer, d->manufacturer[0] && d->product[0] ? " / " : "", d->product);
    fprintf(o, "  bcdDevice 0x%04x, DFU version 0x%04x%s, transfer size %u, %s%s%s%s\n", d->bcd_device,
            d->func.dfu_version, d->func.dfu_version == MPF_DFU_VERSION_DFUSE ? " (ST DfuSe)" : "",
            (unsigned)d->func.transfer_size, d->func.attributes & MPF_DFU_ATTR_CAN_DNLOAD ? "download" : "no download",
            d->func.attributes & MPF_DFU_ATTR_CAN_UPLOAD ? ", upload" : ", no upload",
            d->func.attributes & MPF_DFU_ATTR_MANIFEST_TOLERANT ? ", manifestation tolerant" : "",
            d->func.attributes & MPF_DFU_ATTR_WILL_DETACH ? ", will detach" : "");
    for (size_t i = 0; i < d->num_alts && i < MPF_MAX_ALTS; i++)
        fprintf(o, "  alt %u: %s\n", (unsigned)d->alts[i].alt, d->alts[i].name[0] ? d->alts[i].name : "(no name)");
    if (note && note->code != MPF_OK)
        fprintf(o, "  could not be opened: %s\n", note->message);
}

static void summary(tool_ctx *ctx, size_t shown)
{
    if (ctx->opt.json) {
        tool_json j;
        tool_result_begin(ctx, &j, "list");
        tj_u64(&j, "devices", shown);
        tj_end(&j);
    } else if (shown == 0) {
        fprintf(ctx->out, "no DFU devices found\n");
    }
}

mpf_err tool_cmd_list(tool_ctx *ctx, mpf_error *err)
{
    if (ctx->opt.sim_chip) {
        size_t n = 0;
        for (size_t i = 0; i < tool_sim_board_count(&ctx->opt); i++) {
            mpf_device_info info;
            mpf_err rc = tool_device_sim_info(ctx, i, &info, err);
            if (rc)
                return rc;
            if (!mpf_usb_filter_match(&ctx->opt.filter, &info))
                continue;
            if (n && !ctx->opt.json)
                fputc('\n', ctx->out);
            show(ctx, &info, NULL, tool_sim_board_chip(&ctx->opt, i));
            n++;
        }
        summary(ctx, n);
        return MPF_OK;
    }
    mpf_usb *usb = NULL;
    mpf_usb_list *list = NULL;
    mpf_err rc = mpf_usb_new(&usb, err);
    if (!rc)
        rc = mpf_usb_scan(usb, &list, err);
    /* Nothing at all: say so if it is for want of USB access. */
    if (!rc)
        rc = tool_usb_access_explain(rc, mpf_usb_list_count(list), ctx->io->dev_root, err);
    if (!rc) {
        const mpf_device_info *devs = mpf_usb_list_devices(list);
        const mpf_error *notes = mpf_usb_list_notes(list);
        size_t n = 0;
        for (size_t i = 0; i < mpf_usb_list_count(list); i++) {
            if (!mpf_usb_filter_match(&ctx->opt.filter, &devs[i]))
                continue;
            if (n && !ctx->opt.json)
                fputc('\n', ctx->out);
            show(ctx, &devs[i], notes ? &notes[i] : NULL, NULL);
            n++;
        }
        summary(ctx, n);
    }
    if (list)
        mpf_usb_list_free(list);
    if (usb)
        mpf_usb_free(usb);
    return rc;
}
