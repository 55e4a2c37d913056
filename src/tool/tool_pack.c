/* Flashing mboot's packed firmware (firmware.pack.dfu, see mpflash/pack.h):
 * recognised from the file's content, it skips the plan (its elements
 * overlap and are not flash images) and goes to mboot as mboot expects.
 * The safety rules still come first: refusals before the first request. */
#include <stdio.h>
#include <string.h>

#include "mpflash/chip.h"
#include "mpflash/engine.h"
#include "mpflash/pack.h"
#include "tool/tool_interrupt.h"
#include "tool/tool_board.h"
#include "tool/tool_commands.h"
#include "tool/tool_progress.h"

int tool_pack_of(const mpf_image *img, mpf_pack *out)
{
    mpf_error e;
    return mpf_pack_detect(img, out, &e) == 1;
}

static mpf_err check_options(const tool_ctx *ctx, mpf_error *err)
{
    const char *why = NULL;
    if (ctx->opt.mass_erase)
        why = "a mass erase: mboot erases as the chunks arrive, and a mass erase first would "
              "leave nothing if a chunk is then refused";
    else if (ctx->opt.backup_file)
        why = "--backup: mboot built for packed firmware refuses to be read";
    else if (ctx->opt.alt_set && ctx->opt.alt_number > 0)
        why = "-a: the chunks go to mboot's alt setting 0";
    if (!why)
        return MPF_OK;
    return mpf_error_set(err, MPF_ERR_USAGE, "a packed firmware (firmware.pack.dfu) cannot take %s",
                         why);
}

/* Encrypted chunks sent to anything but mboot would be stored as they are. */
static mpf_err check_device(const tool_ctx *ctx, const tool_board *b, mpf_error *err)
{
    const mpf_device_info *i = &b->dev.transport.info;
    if (mpf_chip_is_mboot(i) || ctx->opt.force)
        return MPF_OK;
    return mpf_error_set(err, MPF_ERR_REFUSED,
                         "this is a packed firmware for MicroPython's mboot (built with "
                         "MBOOT_ENABLE_PACKING=1), but the board is %s%s%s (bcdDevice 0x%04x, "
                         "neither mboot's 0x0300 nor its manufacturer \"MicroPython\"): it "
                         "would store the encrypted chunks as they are. "
                         "Flash firmware.dfu instead, or add --force if this is mboot after all",
                         i->manufacturer, i->manufacturer[0] && i->product[0] ? " / " : "",
                         i->product, (unsigned)i->bcd_device);
}

static void show_pack(tool_ctx *ctx, const mpf_image *img, const mpf_pack *p, int all_chunks)
{
    tool_say(ctx, "packed firmware for mboot: %zu chunks (%zu of firmware, %s), %llu bytes to "
                  "send for %llu bytes of firmware\n",
             p->count, p->firmware_chunks, p->gzip ? "deflated" : "raw",
             (unsigned long long)p->file_bytes, (unsigned long long)p->signed_bytes);
    tool_say(ctx, "  mboot decrypts, erases, writes and checks each chunk's signature and the "
                  "whole firmware's itself: mpflash erases, reads back and skips nothing\n");
    if (!all_chunks)
        return;
    for (size_t i = 0; i < p->count; i++) {
        const mpf_pack_chunk *c = &p->chunks[i];
        tool_say(ctx, "  chunk %3zu  0x%08X  %-8s  %6u payload bytes  (element %zu bytes)\n",
                 i + 1, (unsigned)c->address, mpf_pack_format_name(c->format),
                 (unsigned)c->length, img->segments[c->segment].size);
    }
}

static mpf_err deploy(tool_ctx *ctx, tool_board *b, const mpf_image *img, const mpf_pack *p,
                      mpf_error *err)
{
    tool_progress prog;
    tool_progress_init(&prog, ctx, &b->dev);
    mpf_callbacks cb;
    tool_progress_callbacks(&prog, &cb);
    uint64_t start = tool_device_now_us(&b->dev);
    mpf_dfu *d = NULL;
    mpf_err rc = tool_session_new(&b->dev.transport, &cb, &d, err);
    if (!rc)
        rc = mpf_dfu_deploy_pack(d, img, p, !ctx->opt.stay, err);
    tool_progress_end_line(&prog);
    static const mpf_dfu_stats none;
    const mpf_dfu_stats *st = d ? mpf_dfu_get_stats(d) : &none;
    b->res.ran = 1;
    b->res.bytes_sent = st->bytes_down;
    b->res.requests = mpf_dfu_stats_total(st);
    tool_session_close(d);
    b->res.elapsed_us = tool_device_now_us(&b->dev) - start;
    b->res.left = !rc && !ctx->opt.stay;
    if (rc)
        return rc;
    char took[32];
    tool_format_duration(took, sizeof took, b->res.elapsed_us);
    tool_say(ctx, "done: sent %llu bytes in %zu chunks; verified by mboot's signature check (every "
                  "chunk, then the whole firmware), in %s%s; %s\n",
             (unsigned long long)b->res.bytes_sent, p->count, took,
             b->dev.sim ? " of modelled device time" : "",
             b->res.left ? "the board is starting the new firmware" : "the board stays in DFU mode");
    return MPF_OK;
}

static void result_json(tool_ctx *ctx, const tool_board *b, const mpf_pack *p)
{
    tool_json j;
    tool_result_begin(ctx, &j, "flash");
    tj_bool(&j, "packed", 1);
    tj_u64(&j, "chunks", p->count);
    tj_u64(&j, "bytes_sent", b->res.bytes_sent);
    tj_u64(&j, "bytes_written", p->signed_bytes);
    tj_str(&j, "verified_by", "mboot signature check");
    tj_bool(&j, "left", b->res.left);
    tj_u64(&j, "requests", b->res.requests);
    tj_u64(&j, "elapsed_ms", b->res.elapsed_us / 1000u);
    tj_end(&j);
}

mpf_err tool_pack_flash(tool_ctx *ctx, const mpf_image *img, const mpf_pack *p, mpf_error *err)
{
    mpf_err rc = check_options(ctx, err);
    if (rc)
        return rc;
    tool_board_set set;
    rc = tool_boards_acquire(ctx, &set, err);
    if (!rc && set.multi)
        rc = mpf_error_set(err, MPF_ERR_USAGE,
                           "a packed firmware goes to one board at a time; choose it with -S or -p");
    tool_board *b = !rc ? &set.boards[0] : NULL;
    if (b) {
        tool_device_announce(ctx, &b->dev);
        rc = check_device(ctx, b, err);
    }
    if (!rc)
        show_pack(ctx, img, p, ctx->opt.dry_run || ctx->opt.verbose > 0);
    if (!rc && ctx->opt.dry_run)
        tool_say(ctx, "nothing was changed (--dry-run)\n");
    else if (!rc)
        rc = deploy(ctx, b, img, p, err);
    if (!rc && ctx->opt.json)
        result_json(ctx, b, p);
    tool_boards_close(ctx, &set);
    if (!rc && set.count && set.boards[0].rc) {
        rc = set.boards[0].rc;
        *err = set.boards[0].err;
    }
    tool_boards_free(&set);
    return rc;
}
