/* The flash command: one board (its lines as they always were, its failure
 * the run's) or several (tool_multi.c), then --wait-app and the result. */
#include <stdio.h>
#include <string.h>

#include "mpflash/machine.h"
#include "tool/tool_commands.h"
#include "tool/tool_flash.h"
#include "tool/tool_image.h"

/* The application's identity: what the board was as an application before
 * --bootloader, else the DFU device's (MicroPython's stm32 port reports the
 * same serial number in both). */
mpf_err tool_flash_wait_app(tool_ctx *ctx, tool_board *b, tool_progress *prog, mpf_error *err)
{
    const mpf_device_info *info = &b->dev.transport.info;
    int known = b->app_serial[0] || b->app_path[0];
    mpf_serial_wait_options o;
    memset(&o, 0, sizeof o);
    o.sysfs_root = ctx->io->sysfs_root;
    o.dev_root = ctx->io->dev_root;
    o.timeout_ms = (ctx->opt.wait_app_seconds ? ctx->opt.wait_app_seconds : 10u) * 1000u;
    mpf_callbacks cb;
    tool_progress_callbacks(prog, &cb);
    o.log = cb.log;
    o.user = cb.user;
    mpf_serial_port found;
    mpf_err rc = mpf_serial_wait_app(&o, known ? b->app_serial : info->serial, known ? b->app_path : info->path,
                                     &found, err);
    if (!rc) {
        b->res.app_back = 1;
        snprintf(b->res.app_port, sizeof b->res.app_port, "%s", found.dev_path);
    }
    return rc;
}

void tool_flash_result_json(tool_ctx *ctx, tool_json *j, const tool_board *b)
{
    const tool_flash_result *r = &b->res;
    tj_u64(j, "bytes_written", r->bytes_written);
    tj_u64(j, "bytes_sent", r->bytes_sent);
    tj_u64(j, "sectors_erased", r->sectors_erased);
    tj_u64(j, "sectors_skipped", r->sectors_skipped);
    tj_u64(j, "sectors_blank", r->sectors_blank);
    tj_u64(j, "erase_bytes", r->erase_bytes);
    tj_bool(j, "mass_erase", r->mass_erase);
    tj_bool(j, "verified", r->verified);
    if (r->plain)
        tj_str(j, "unverified", r->unverified);
    tj_bool(j, "left", r->left);
    if (r->left)
        tj_u64(j, "leave_address", r->leave_address);
    else
        tj_str(j, "leave_address", NULL);
    tj_u64(j, "requests", r->requests);
    tj_u64(j, "elapsed_ms", r->elapsed_us / 1000u);
    tj_str(j, "clock", b->dev.sim_chip ? "modelled" : "wall");
    tj_str(j, "backup", r->backup_file[0] ? r->backup_file : NULL);
    tj_str(j, "port", r->app_back ? r->app_port : NULL);
    (void)ctx;
}

/* A plain DFU board: a stream, no sectors; verify may be impossible, and
 * that is said, never left out. */
static void summary_plain(tool_ctx *ctx, const tool_board *b)
{
    const tool_flash_result *r = &b->res;
    char took[32];
    tool_format_duration(took, sizeof took, r->elapsed_us);
    tool_say(ctx, "done: sent %llu bytes (the device erases as they arrive), ", (unsigned long long)r->bytes_sent);
    if (r->verified)
        tool_say(ctx, "verified, ");
    else if (r->unverified)
        tool_say(ctx, "could not verify (%s), ", r->unverified);
    else
        tool_say(ctx, "not verified (--no-verify), ");
    tool_say(ctx, "in %s%s; ", took, b->dev.sim ? " of modelled device time" : "");
    if (r->left)
        tool_say(ctx, "%s, the board is starting the new firmware\n",
                 b->plan.final_detach ? "DETACH sent" : "USB reset sent");
    else
        tool_say(ctx, "the board stays in DFU mode\n");
}

static void summary(tool_ctx *ctx, const tool_board *b)
{
    const tool_flash_result *r = &b->res;
    if (r->plain) {
        summary_plain(ctx, b);
        return;
    }
    char erased[32], took[32];
    tool_format_size(erased, sizeof erased, r->erase_bytes);
    tool_format_duration(took, sizeof took, r->elapsed_us);
    if (r->backup_file[0])
        tool_say(ctx, "backup: %llu bytes of the erased sectors in %s (restore with mpflash -u %s)\n",
                 (unsigned long long)r->backup_bytes, r->backup_file, r->backup_file);
    unsigned long long on_board = r->bytes_written, sent = r->bytes_sent;
    if (sent == 0 && on_board && !r->mass_erase && r->sectors_erased == 0) {
        /* Everything was already there: the check read it back. */
        unsigned checked = (unsigned)(r->sectors_skipped + r->sectors_blank);
        tool_say(ctx, "done: nothing to write: all %llu bytes already on the board (%u sector%s read back and "
                      "compared), in %s%s; ",
                 on_board, checked, checked == 1 ? "" : "s", took, b->dev.sim ? " of modelled device time" : "");
    } else {
        if (sent < on_board)
            tool_say(ctx, "done: wrote %llu of the %llu bytes (the rest already on the board)", sent, on_board);
        else
            tool_say(ctx, "done: wrote %llu bytes", on_board);
        tool_say(ctx, ", erased %s%u sector%s (%s)", r->mass_erase ? "all flash, " : "", (unsigned)r->sectors_erased,
                 r->sectors_erased == 1 ? "" : "s", erased);
        if (r->sectors_blank)
            tool_say(ctx, ", wrote %u blank sector%s without an erase", (unsigned)r->sectors_blank,
                     r->sectors_blank == 1 ? "" : "s");
        if (r->sectors_skipped)
            tool_say(ctx, ", skipped %u that already held the firmware", (unsigned)r->sectors_skipped);
        tool_say(ctx, "%s in %s%s; ", r->verified ? ", verified," : ",", took,
                 b->dev.sim ? " of modelled device time" : "");
    }
    if (r->left)
        tool_say(ctx, "the board is starting the new firmware at 0x%08X\n", (unsigned)r->leave_address);
    else
        tool_say(ctx, "the board stays in DFU mode\n");
}

/* With --json, a board's failure carries what it did before it failed, as
 * each board's event does with several boards (zero where it did not get
 * that far). */
static mpf_err failed_json(tool_ctx *ctx, const tool_board *b, mpf_err rc, const mpf_error *err)
{
    if (rc && ctx->opt.json) {
        tool_json j;
        tool_result_fail_begin(ctx, &j, "flash", err);
        tool_flash_result_json(ctx, &j, b);
        tj_end(&j);
        ctx->result_written = 1;
    }
    return rc;
}

/* One board: its lines unprefixed, its failure the run's. */
static mpf_err flash_one(tool_ctx *ctx, tool_board *b, const mpf_image *img, uint8_t alt, mpf_error *err)
{
    mpf_err rc = failed_json(ctx, b, tool_flash_prepare(ctx, b, img, alt, err), err);
    if (rc || ctx->opt.dry_run) {
        if (!rc)
            tool_say(ctx, "nothing was changed (--dry-run)\n");
        if (!rc && ctx->opt.json) {
            tool_json j;
            tool_result_begin(ctx, &j, "flash");
            tj_bool(&j, "dry_run", 1);
            tj_end(&j);
        }
        return rc;
    }
    tool_progress prog;
    tool_progress_init(&prog, ctx, &b->dev);
    rc = tool_flash_run(ctx, b, &prog, err);
    if (!rc && !ctx->opt.json)
        summary(ctx, b);
    if (!rc && ctx->opt.wait_app) {
        rc = tool_flash_wait_app(ctx, b, &prog, err);
        if (!rc)
            tool_say(ctx, "the application is back on %s\n", b->res.app_port);
    }
    failed_json(ctx, b, rc, err);
    if (!rc && ctx->opt.json) {
        tool_json j;
        tool_result_begin(ctx, &j, "flash");
        tool_flash_result_json(ctx, &j, b);
        tj_end(&j);
    }
    return rc;
}

mpf_err tool_cmd_flash(tool_ctx *ctx, mpf_error *err)
{
    uint8_t alt = ctx->opt.alt_set && ctx->opt.alt_number >= 0 ? (uint8_t)ctx->opt.alt_number : 0;
    mpf_image img;
    mpf_image_init(&img);
    mpf_err rc = tool_load_inputs(ctx, alt, &img, err);
    if (rc) {
        mpf_image_free(&img);
        return rc;
    }
    mpf_machine machine;
    if (!ctx->opt.force && mpf_image_machine(&img, &machine)) {
        ctx->image_machine = &machine;
        tool_say(ctx, "the firmware is for %s with %s\n", machine.board, machine.mcu);
    }
    mpf_pack pack;
    if (tool_pack_of(&img, &pack)) {
        rc = tool_pack_flash(ctx, &img, &pack, err);
        mpf_pack_free(&pack);
        mpf_image_free(&img);
        ctx->image_machine = NULL;
        return rc;
    }
    tool_board_set set;
    rc = tool_boards_acquire(ctx, &set, err);
    if (rc == MPF_ERR_NO_DEVICE && img.streamed && img.count) {
        /* What the file means depends on the board that was not found. */
        size_t used = strlen(err->message);
        snprintf(err->message + used, sizeof err->message - used,
                 "; %s has no load address: a plain DFU board takes it as it is, an ST DfuSe board needs one "
                 "(0x08000000:FILE or -s 0x08000000)",
                 img.segments[0].source);
    }
    if (!rc && !set.multi)
        rc = flash_one(ctx, &set.boards[0], &img, alt, err);
    else if (!rc)
        rc = tool_flash_boards(ctx, &set, &img, alt, err);
    tool_boards_close(ctx, &set);
    if (!rc && set.multi)
        rc = tool_flash_report(ctx, &set, err);
    else if (!rc && set.count && set.boards[0].rc) {
        /* Closing failed (--sim-state could not be saved). */
        rc = set.boards[0].rc;
        *err = set.boards[0].err;
    }
    tool_boards_free(&set);
    ctx->image_machine = NULL; /* it pointed at this frame */
    mpf_image_free(&img);
    return rc;
}
