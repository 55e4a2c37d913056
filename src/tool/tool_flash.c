/* Flashing (and --dry-run). The order is the safety argument: every file is
 * parsed, the image checked against the board's layout and the plan built
 * before the first request that changes anything. */
#include "tool/tool_interrupt.h"
#include "tool/tool_flash.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "mpflash/engine.h"
#include "mpflash/machine.h"
#include "mpflash/plan.h"
#include "tool/tool_dfuse_only.h"
#include "tool/tool_image.h"
#include "tool/tool_options_internal.h"
#include "tool/tool_plan.h"

/* DfuSe boards need addresses; plain DFU 1.1 boards have none. Refused
 * here, before the first request. */
static mpf_err check_protocol(tool_ctx *ctx, const mpf_image *img, const mpf_device_info *dev, mpf_error *err)
{
    if (tool_device_is_dfuse(dev)) {
        if (ctx->opt.final_detach)
            return mpf_error_set(err, MPF_ERR_USAGE,
                                 "-Q/--final-detach is for plain DFU boards; %04x:%04x is ST DfuSe and leaves DFU mode "
                                 "by itself after the download: drop -Q",
                                 dev->vid, dev->pid);
        if (!img->streamed)
            return MPF_OK;
        for (size_t i = 0; i < img->count; i++)
            if (img->segments[i].address == 0)
                return mpf_error_set(err, MPF_ERR_INPUT,
                                     "%s: a %s has no load address; give an address: 0x08000000:FILE or -s 0x08000000",
                                     img->segments[i].source,
                                     img->format == MPF_FORMAT_DFU ? "plain DFU file (no \"DfuSe\" signature at offset 0)"
                                                                   : "raw binary file");
        return MPF_OK;
    }
    const char *kind = img->format == MPF_FORMAT_DFUSE ? "a DfuSe file"
                       : img->format == MPF_FORMAT_ELF ? "an ELF file"
                       : img->format == MPF_FORMAT_IHEX ? "an Intel HEX file" : NULL;
    const char *source = img->count ? img->segments[0].source : "the image";
    if (kind)
        return mpf_error_set(err, MPF_ERR_REFUSED,
                             "%s: %s places data at addresses, but %04x:%04x is a plain DFU %X.%02X device: "
                             "it has no addresses and takes one stream from its start; give it the raw .bin "
                             "(or a plain .dfu) instead",
                             source, kind, dev->vid, dev->pid, (unsigned)(dev->func.dfu_version >> 8),
                             (unsigned)(dev->func.dfu_version & 0xFF));
    mpf_err rc = tool_refuse_dfuse_only(ctx, dev, err);
    if (rc)
        return rc;
    if (ctx->opt.has_address)
        return mpf_error_set(err, MPF_ERR_REFUSED,
                             "-s 0x%08X: %04x:%04x is a plain DFU %X.%02X device, which has no addresses (it takes the "
                             "file from its first byte); drop the address",
                             (unsigned)ctx->opt.address, dev->vid, dev->pid, (unsigned)(dev->func.dfu_version >> 8),
                             (unsigned)(dev->func.dfu_version & 0xFF));
    return MPF_OK;
}

void tool_flash_backup_file(const tool_ctx *ctx, const tool_board *b, char *out, size_t size)
{
    if (ctx->boards)
        tool_board_file(ctx->opt.backup_file, b->label, out, size);
    else
        snprintf(out, size, "%s", ctx->opt.backup_file);
}

static mpf_err check_backup_file(const tool_ctx *ctx, const tool_board *b, mpf_error *err)
{
    char file[sizeof b->res.backup_file];
    struct stat sb;
    tool_flash_backup_file(ctx, b, file, sizeof file);
    if (ctx->opt.force || stat(file, &sb) != 0)
        return MPF_OK;
    return mpf_error_set(err, MPF_ERR_REFUSED,
                         "%s already exists; mpflash does not overwrite a backup: choose another name, or add --force",
                         file);
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
    po->final_detach = ctx->opt.final_detach;
    po->chip = ctx->opt.chip ? mpf_chip_find(ctx->opt.chip) : NULL;
}

/* What the family's rules need from the board before planning: the WB's
 * SFSA option byte (where the radio stack starts). Only reads; a board
 * that will not tell leaves the plan to refuse the profile's fallback area. */
static mpf_err read_facts(tool_ctx *ctx, tool_board *b, const mpf_plan_options *po,
                          mpf_chip_facts *facts, mpf_error *err)
{
    memset(facts, 0, sizeof *facts);
    const mpf_chip *chip = po->chip ? po->chip : mpf_chip_pick(&b->dev.transport.info, NULL);
    if (!chip->sfsa_address || b->dev.transport.info.func.dfu_version != MPF_DFU_VERSION_DFUSE)
        return MPF_OK;
    tool_progress prog;
    tool_progress_init(&prog, ctx, &b->dev);
    prog.mode = TOOL_PROGRESS_NONE;
    mpf_callbacks cb;
    tool_progress_callbacks(&prog, &cb);
    mpf_dfu *d = NULL;
    mpf_err rc = tool_session_new(&b->dev.transport, &cb, &d, err);
    if (!rc)
        rc = mpf_dfu_read_chip_facts(d, chip, facts, err);
    tool_session_close(d);
    return rc;
}

/* -a NAME: only now is the number known (*alt); a board whose alt differs
 * from the one the files were loaded for gets its own copy, loaded for it.
 * The plan refuses data for any other alt (mpf_plan_options.one_alt). */
static mpf_err image_for_alt(tool_ctx *ctx, tool_board *b, const mpf_image *img, uint8_t loaded_alt,
                             const mpf_image **use, uint8_t *alt_out, mpf_error *err)
{
    *use = img;
    if (!ctx->opt.alt_set)
        return MPF_OK;
    uint8_t alt;
    mpf_err rc = tool_device_alt(ctx, &b->dev, &alt, err);
    *alt_out = alt;
    if (rc)
        return rc;
    if (alt != loaded_alt) {
        int quiet = ctx->opt.quiet;
        ctx->opt.quiet = 1;
        mpf_image_init(&b->own_image);
        b->has_own_image = 1;
        rc = tool_load_inputs(ctx, alt, &b->own_image, err);
        ctx->opt.quiet = quiet;
        if (rc)
            return rc;
        *use = &b->own_image;
    }
    return MPF_OK;
}

/* What the flash will do with each sector and what it will cost: the
 * flash's own skip check, reading only (all "erase" with --full). */
static mpf_err forecast(tool_ctx *ctx, mpf_dfu *d, const mpf_plan *plan, uint8_t **actions,
                        mpf_flash_forecast *fc, mpf_error *err)
{
    memset(fc, 0, sizeof *fc);
    fc->estimated_us = plan->estimated_us;
    *actions = calloc(plan->erase_count ? plan->erase_count : 1, 1);
    if (!*actions)
        return mpf_error_set(err, MPF_ERR_NOMEM, "out of memory");
    if (ctx->opt.full)
        return MPF_OK;
    return mpf_dfu_forecast(d, plan, *actions, fc, err);
}

static mpf_err show_dry_run(tool_ctx *ctx, tool_board *b, mpf_error *err)
{
    /* Reading the board says which sectors would be skipped; the engine's
     * log still reaches the user, its progress does not (nothing happens). */
    tool_progress prog;
    tool_progress_init(&prog, ctx, &b->dev);
    prog.mode = TOOL_PROGRESS_NONE;
    mpf_callbacks cb;
    tool_progress_callbacks(&prog, &cb);
    mpf_dfu *d = NULL;
    uint8_t *unchanged = NULL;
    mpf_flash_forecast fc;
    mpf_err rc = tool_session_new(&b->dev.transport, &cb, &d, err);
    if (!rc)
        rc = forecast(ctx, d, &b->plan, &unchanged, &fc, err);
    tool_session_close(d);
    if (!rc) {
        tool_say(ctx, "plan (dry run):\n");
        tool_plan_show(ctx, &b->plan, &b->dev.transport.info, 1, unchanged,
                       ctx->opt.full ? NULL : &fc);
    }
    if (!rc && ctx->opt.backup_file) {
        char file[sizeof b->res.backup_file], size[32];
        size_t n = 0;
        uint64_t bytes = 0;
        for (size_t i = 0; i < b->plan.erase_count; i++)
            if (!unchanged[i]) {
                n++;
                bytes += b->plan.erases[i].size;
            }
        tool_flash_backup_file(ctx, b, file, sizeof file);
        tool_format_size(size, sizeof size, bytes);
        tool_say(ctx, "  backup: the %zu sector%s to erase (%s) into %s first\n", n, n == 1 ? "" : "s", size, file);
    }
    free(unchanged);
    return rc;
}

mpf_err tool_flash_prepare(tool_ctx *ctx, tool_board *b, const mpf_image *img, uint8_t loaded_alt, mpf_error *err)
{
    tool_device_announce(ctx, &b->dev);
    const mpf_image *use;
    uint8_t alt = 0;
    mpf_err rc = image_for_alt(ctx, b, img, loaded_alt, &use, &alt, err);
    if (!rc)
        rc = check_protocol(ctx, use, &b->dev.transport.info, err);
    /* A board that told its machine over the REPL was checked before it
     * entered its bootloader; otherwise the DFU device is all there is. */
    mpf_machine reported;
    if (!rc && ctx->image_machine && !mpf_machine_parse(b->machine, &reported))
        rc = mpf_machine_check_device(ctx->image_machine, &b->dev.transport.info, err);
    if (!rc && ctx->opt.backup_file && !ctx->opt.dry_run)
        rc = check_backup_file(ctx, b, err);
    if (rc)
        return rc;
    mpf_plan_options po;
    plan_options(ctx, &po);
    po.one_alt = ctx->opt.alt_set;
    po.alt = alt;
    mpf_chip_facts facts;
    if ((rc = read_facts(ctx, b, &po, &facts, err)))
        return rc;
    po.facts = &facts;
    if ((rc = mpf_plan_build(use, &b->dev.transport.info, &po, &b->plan, err)))
        return rc;
    b->has_plan = 1;
    if (b->plan.verify_dropped)
        tool_warn(ctx, "%s%snot verifying: %s", ctx->boards ? b->label : "", ctx->boards ? ": " : "",
                  b->plan.verify_note ? b->plan.verify_note : "the board cannot read back");
    if (ctx->opt.dry_run)
        return show_dry_run(ctx, b, err);
    tool_plan_show(ctx, &b->plan, &b->dev.transport.info, ctx->opt.verbose > 0, NULL, NULL);
    return MPF_OK;
}

static void keep_results(tool_board *b, const mpf_dfu_stats *st, const char *unverified,
                         const uint8_t *unchanged)
{
    const mpf_plan *plan = &b->plan;
    b->res.bytes_written = plan->write_bytes;
    b->res.bytes_sent = st->bytes_down;
    b->res.erase_bytes = plan->erase_bytes;
    for (size_t i = 0; i < plan->erase_count; i++)
        if (unchanged[i])
            b->res.erase_bytes -= plan->erases[i].size;
    b->res.sectors_erased = st->erase_sectors;
    b->res.sectors_skipped = st->sectors_unchanged;
    b->res.sectors_blank = st->sectors_blank;
    b->res.mass_erase = plan->mass_erase;
    b->res.verified = plan->verify && !unverified;
    b->res.plain = plan->plain;
    b->res.unverified = plan->verify ? unverified : plan->verify_dropped ? plan->verify_note : NULL;
    b->res.left = plan->leave;
    b->res.leave_address = plan->leave_address;
    b->res.requests = mpf_dfu_stats_total(st);
}

/* The engine's progress as it passes on to the board's tool_progress: after
 * a failure it is the only record of which erases and writes completed (the
 * engine's counters also count the request that failed). */
typedef struct flash_seen {
    mpf_callbacks next;
    int reached[MPF_PHASE__COUNT];
    uint64_t done[MPF_PHASE__COUNT], total[MPF_PHASE__COUNT];
} flash_seen;

static void seen_progress(void *user, mpf_phase phase, uint64_t done, uint64_t total)
{
    flash_seen *s = user;
    if ((unsigned)phase < MPF_PHASE__COUNT) {
        s->reached[phase] = 1;
        s->done[phase] = done;
        s->total[phase] = total;
    }
    if (s->next.progress)
        s->next.progress(s->next.user, phase, done, total);
}

static void seen_log(void *user, mpf_log_level level, const char *message)
{
    flash_seen *s = user;
    if (s->next.log)
        s->next.log(s->next.user, level, message);
}

/* A board that failed reports what it did before it stopped, so a rack's
 * report can tell a board that never answered from one that failed halfway
 * (docs/json.md: zero where the board did not get that far). */
static void keep_partial_results(tool_board *b, const mpf_dfu_stats *st, const uint8_t *unchanged,
                                 const flash_seen *s)
{
    const mpf_plan *plan = &b->plan;
    const uint64_t erased_steps = s->done[MPF_PHASE_ERASE];
    /* A mass erase is the erase phase's first step. */
    const int mass_ran = plan->mass_erase && erased_steps > 0;
    uint64_t sectors = erased_steps - (mass_ran ? 1u : 0u), counted = 0;
    b->res.mass_erase = mass_ran;
    b->res.sectors_erased = (uint32_t)sectors;
    b->res.sectors_skipped = st->sectors_unchanged;
    b->res.sectors_blank = st->sectors_blank;
    b->res.erase_bytes = 0;
    for (size_t i = 0; i < plan->erase_count; i++) {
        const mpf_plan_erase *e = &plan->erases[i];
        if (mass_ran && e->alt == 0)
            b->res.erase_bytes += e->size;
        else if (!(plan->mass_erase && e->alt == 0) && !(unchanged && unchanged[i]) && counted < sectors) {
            b->res.erase_bytes += e->size;
            counted++;
        }
    }
    /* The write total leaves out what skipped sectors already hold; with
     * nothing to send the write phase is never announced. */
    if (s->reached[MPF_PHASE_WRITE])
        b->res.bytes_written = plan->write_bytes - (s->total[MPF_PHASE_WRITE] - s->done[MPF_PHASE_WRITE]);
    else if (s->reached[MPF_PHASE_VERIFY] || s->reached[MPF_PHASE_LEAVE])
        b->res.bytes_written = plan->write_bytes;
    b->res.bytes_sent = st->bytes_down;
    b->res.verified = plan->verify && s->reached[MPF_PHASE_VERIFY] &&
                      s->done[MPF_PHASE_VERIFY] == s->total[MPF_PHASE_VERIFY];
    b->res.requests = mpf_dfu_stats_total(st);
}

mpf_err tool_flash_run(tool_ctx *ctx, tool_board *b, tool_progress *prog, mpf_error *err)
{
    flash_seen seen;
    memset(&seen, 0, sizeof seen);
    tool_progress_callbacks(prog, &seen.next);
    mpf_callbacks cb = {seen_progress, seen_log, &seen};
    uint64_t start = tool_device_now_us(&b->dev);
    b->res.ran = 1;
    prog->read_name = "check";
    mpf_dfu *d = NULL;
    mpf_err rc = tool_session_new(&b->dev.transport, &cb, &d, err);
    /* With --backup, which sectors will really be erased must be known
     * before the flash starts: the flash's own check (the one a dry run
     * shows) is made here, the sectors it erases are backed up, and the
     * flash takes that check's decisions and its record of the chip.
     * Otherwise the flash does the reading itself; either way it reports
     * its decisions back. */
    uint8_t *unchanged = calloc(b->plan.erase_count ? b->plan.erase_count : 1, 1);
    mpf_flash_check *check = NULL;
    if (!rc && !unchanged)
        rc = mpf_error_set(err, MPF_ERR_NOMEM, "out of memory");
    if (!rc && ctx->opt.backup_file && !ctx->opt.full)
        rc = mpf_dfu_check_flash(d, &b->plan, &check, err);
    if (!rc && check && b->plan.erase_count)
        memcpy(unchanged, mpf_flash_check_actions(check), b->plan.erase_count);
    if (!rc && ctx->opt.backup_file) {
        tool_flash_backup_file(ctx, b, b->res.backup_file, sizeof b->res.backup_file);
        rc = tool_backup_sectors(d, prog, &b->plan, unchanged, &b->dev.transport.info, b->res.backup_file,
                                 &b->res.backup_bytes, err);
        if (!rc && b->res.backup_bytes == 0)
            tool_progress_warn(prog, "--backup: every sector already holds the new contents, so nothing is erased "
                                     "and no backup was written");
        if (rc || b->res.backup_bytes == 0)
            b->res.backup_file[0] = '\0';
    }
    mpf_dfu_flash_options fo;
    mpf_dfu_flash_options_default(&fo);
    fo.skip_unchanged = !ctx->opt.full;
    fo.check = check;
    fo.actions = unchanged;
    prog->session = d;
    if (!rc)
        rc = mpf_dfu_flash_ex(d, &b->plan, &fo, err);
    prog->session = NULL;
    mpf_flash_check_free(check);
    /* Zero counts if the open gave up (it counts nothing then either). */
    static const mpf_dfu_stats none;
    const mpf_dfu_stats *st = d ? mpf_dfu_get_stats(d) : &none;
    if (!rc)
        keep_results(b, st, mpf_dfu_unverified(d), unchanged);
    else
        keep_partial_results(b, st, unchanged, &seen);
    tool_session_close(d);
    free(unchanged);
    tool_progress_end_line(prog);
    b->res.elapsed_us = tool_device_now_us(&b->dev) - start;
    return rc;
}
