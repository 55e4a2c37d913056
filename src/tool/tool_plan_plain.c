/* A plain DFU 1.1 plan as the user sees it: what is sent, to which alt
 * setting, in how many blocks, and how long the device says it takes. */
#include "tool/tool_plan.h"

#include "mpflash/engine.h"

static const char *alt_name(const mpf_device_info *dev, uint8_t alt)
{
    for (size_t i = 0; i < dev->num_alts && i < MPF_MAX_ALTS; i++)
        if (dev->alts[i].alt == alt)
            return dev->alts[i].name;
    return "";
}

void tool_plan_show_plain(tool_ctx *ctx, const mpf_plan *plan, const mpf_device_info *dev, int full)
{
    char eta[32];
    tool_format_duration(eta, sizeof eta, plan->estimated_us);
    const char *leave = !plan->leave ? ", then stay in DFU mode"
                        : plan->final_detach ? ", then DETACH to start the firmware"
                                             : ", then USB reset to start the firmware";
    if (!full) {
        tool_say(ctx, "plan: %llu bytes to send as a plain DFU stream%s%s; about %s\n",
                 (unsigned long long)plan->write_bytes, plan->verify ? ", verify" : "", leave, eta);
        return;
    }
    size_t blocks = mpf_plan_block_count(plan);
    tool_say(ctx, "  plain DFU %X.%02X device: no addresses, no erase commands (it erases as the data arrives)\n",
             (unsigned)(dev->func.dfu_version >> 8), (unsigned)(dev->func.dfu_version & 0xFF));
    for (size_t i = 0; i < plan->write_count; i++) {
        const mpf_plan_write *w = &plan->writes[i];
        tool_say(ctx, "  send %zu bytes to alt %u \"%s\" in %zu DNLOAD blocks of up to %u bytes (wBlockNum 0..%zu)\n",
                 w->size, (unsigned)w->alt, alt_name(dev, w->alt),
                 (w->size + plan->transfer_size - 1) / plan->transfer_size, (unsigned)plan->transfer_size,
                 ((w->size + plan->transfer_size - 1) / plan->transfer_size - 1) % 65536u);
    }
    tool_say(ctx, "  then a zero-length DNLOAD: the device manifests the firmware (%s)\n",
             (dev->func.attributes & MPF_DFU_ATTR_MANIFEST_TOLERANT) ? "manifestation-tolerant: back to dfuIDLE"
                                                                    : "not tolerant: it waits for a USB reset");
    if (plan->verify)
        tool_say(ctx, "  verify: read back by UPLOAD from block 0 and compare\n");
    else
        tool_say(ctx, "  verify: no (%s)\n", plan->verify_note ? plan->verify_note : "--no-verify");
    if (plan->leave)
        tool_say(ctx, "  leave DFU mode: %s\n", plan->leave_note ? plan->leave_note : "");
    else
        tool_say(ctx, "  leave DFU mode: no, stay (--stay)\n");
    tool_say(ctx, "  estimated time: %s (USB time of %zu blocks of wTransferSize %u, plus %u ms per block of "
                  "bwPollTimeout; the device reports the real wait after each block)\n",
             eta, blocks, (unsigned)dev->func.transfer_size, (unsigned)plan->poll_ms);
}
