/* The plan, as the user sees it before anything happens. The untouched
 * sectors are listed because they are the point: MicroPython's filesystem
 * lives in them and survives. */
#include "tool/tool_plan.h"

#include "mpflash/engine.h"
#include "mpflash/layout.h"
#include "tool/tool_json.h"

/* What the flash will do with a sector, by mpf_sector_action: as the dry
 * run shows it, and as --json names it. */
static const char *const action_text[3] = {"erase + write", "skip (unchanged)",
                                           "write without erase (blank)"};
static const char *const action_json[3] = {"erase", "unchanged", "blank"};

static size_t action_index(uint8_t action)
{
    return action <= MPF_SECTOR_BLANK ? action : MPF_SECTOR_ERASE;
}

static int erased(const mpf_plan *plan, uint8_t alt, uint32_t start)
{
    for (size_t i = 0; i < plan->erase_count; i++)
        if (plan->erases[i].alt == alt && plan->erases[i].address == start)
            return 1;
    return 0;
}

typedef struct sector_run {
    uint64_t start, end;
    unsigned sectors;
} sector_run;

static void flush_run(tool_ctx *ctx, sector_run *r, int *any)
{
    if (!r->sectors)
        return;
    char sz[32];
    tool_format_size(sz, sizeof sz, r->end - r->start);
    tool_say(ctx, "%s 0x%08llX..0x%08llX (%u sector%s, %s)", *any ? "," : "  untouched:",
             (unsigned long long)r->start, (unsigned long long)(r->end - 1), r->sectors,
             r->sectors == 1 ? "" : "s", sz);
    *any = 1;
    r->sectors = 0;
}

/* Runs of alt 0's erasable sectors the plan leaves alone. */
static void show_untouched(tool_ctx *ctx, const mpf_plan *plan, const mpf_device_info *dev)
{
    if (plan->mass_erase || dev->num_alts == 0)
        return;
    mpf_layout l;
    if (mpf_layout_parse(dev->alts[0].name, &l, NULL) != MPF_OK)
        return;
    sector_run r = {0, 0, 0};
    int any = 0;
    for (size_t g = 0; g < l.count; g++) {
        const mpf_sector_group *grp = &l.groups[g];
        for (uint32_t i = 0; i < grp->count; i++) {
            uint64_t at = (uint64_t)grp->start + (uint64_t)i * grp->sector_size;
            int keep = (grp->type & MPF_MEM_ERASABLE) && !erased(plan, dev->alts[0].alt, (uint32_t)at);
            if (!keep) {
                flush_run(ctx, &r, &any);
            } else if (r.sectors && r.end == at) {
                r.end += grp->sector_size;
                r.sectors++;
            } else {
                flush_run(ctx, &r, &any);
                r = (sector_run){at, at + grp->sector_size, 1};
            }
        }
    }
    flush_run(ctx, &r, &any);
    if (any)
        tool_say(ctx, "\n");
    mpf_layout_free(&l);
}

/* The estimate shown: the forecast's when the board was read, else the
 * plan's (every sector erased), an upper bound when the flash would
 * check. */
static uint64_t shown_estimate(const mpf_plan *plan, const mpf_flash_forecast *fc, int *upper_bound)
{
    *upper_bound = fc && !fc->checked;
    return fc && fc->checked ? fc->estimated_us : plan->estimated_us;
}

static void show_json(tool_ctx *ctx, const mpf_plan *plan, const mpf_device_info *dev, const uint8_t *unchanged,
                      const mpf_flash_forecast *fc)
{
    tool_json j;
    tj_begin(&j, ctx->out);
    tj_str(&j, "event", "plan");
    tj_str(&j, "serial", dev->serial);
    tj_bool(&j, "dry_run", ctx->opt.dry_run);
    tj_bool(&j, "mass_erase", plan->mass_erase);
    if (plan->plain)
        tj_bool(&j, "plain", 1);
    tj_array(&j, "erase");
    for (size_t i = 0; i < plan->erase_count; i++) {
        tj_object(&j, NULL);
        tj_u64(&j, "alt", plan->erases[i].alt);
        tj_u64(&j, "address", plan->erases[i].address);
        tj_u64(&j, "size", plan->erases[i].size);
        if (unchanged) {
            tj_bool(&j, "unchanged", unchanged[i] == MPF_SECTOR_UNCHANGED);
            tj_str(&j, "action", action_json[action_index(unchanged[i])]);
        } else {
            tj_str(&j, "unchanged", NULL);
            tj_str(&j, "action", NULL);
        }
        tj_close_object(&j);
    }
    tj_close_array(&j);
    tj_array(&j, "write");
    for (size_t i = 0; i < plan->write_count; i++) {
        tj_object(&j, NULL);
        tj_u64(&j, "alt", plan->writes[i].alt);
        tj_u64(&j, "address", plan->writes[i].address);
        tj_u64(&j, "size", plan->writes[i].size);
        tj_close_object(&j);
    }
    tj_close_array(&j);
    tj_bool(&j, "verify", plan->verify);
    tj_bool(&j, "leave", plan->leave);
    if (plan->leave)
        tj_u64(&j, "leave_address", plan->leave_address);
    else
        tj_str(&j, "leave_address", NULL);
    tj_u64(&j, "transfer_size", plan->transfer_size);
    tj_u64(&j, "erase_bytes", plan->erase_bytes);
    tj_u64(&j, "write_bytes", plan->write_bytes);
    int upper_bound;
    tj_u64(&j, "estimated_ms", shown_estimate(plan, fc, &upper_bound) / 1000u);
    tj_bool(&j, "estimate_upper_bound", upper_bound);
    tj_str(&j, "family", plan->chip && !plan->plain ? plan->chip->name : NULL);
    tj_end(&j);
}

static void say_sectors(tool_ctx *ctx, size_t n, uint64_t bytes)
{
    char size[32];
    tool_format_size(size, sizeof size, bytes);
    tool_say(ctx, "%zu sector%s (%s)", n, n == 1 ? "" : "s", size);
}

/* The one-line plan. Unless --full, the flash reads each planned sector
 * first and erases only those that differ (engine_skip.c), so before that
 * nothing is known to need an erase: the line says what will be checked,
 * and what is erased regardless (all of it with --full or a board that
 * cannot read; a mass erase covers alt 0). The estimate is a full flash's. */
static void show_line(tool_ctx *ctx, const mpf_plan *plan, const mpf_device_info *dev, const char *eta)
{
    const int can_check = !ctx->opt.full && (dev->func.attributes & MPF_DFU_ATTR_CAN_UPLOAD) && plan->transfer_size;
    size_t checked = 0, known = 0;
    uint64_t checked_bytes = 0, known_bytes = 0;
    for (size_t i = 0; i < plan->erase_count; i++) {
        if (plan->mass_erase && plan->erases[i].alt == 0)
            continue;
        if (can_check) {
            checked++;
            checked_bytes += plan->erases[i].size;
        } else {
            known++;
            known_bytes += plan->erases[i].size;
        }
    }
    tool_say(ctx, "plan: %s", plan->mass_erase ? "mass erase, " : "");
    if (known) {
        tool_say(ctx, "erase ");
        say_sectors(ctx, known, known_bytes);
        tool_say(ctx, ", ");
    }
    if (checked) {
        tool_say(ctx, "check ");
        say_sectors(ctx, checked, checked_bytes);
        tool_say(ctx, " first, erase only those that need it, ");
    }
    tool_say(ctx, "write %llu bytes%s%s; about %s%s\n", (unsigned long long)plan->write_bytes,
             plan->verify ? ", verify" : "", plan->leave ? ", then start the firmware" : ", then stay in DFU mode",
             eta, checked ? " at most" : "");
}

void tool_plan_show(tool_ctx *ctx, const mpf_plan *plan, const mpf_device_info *dev, int full,
                    const uint8_t *unchanged, const mpf_flash_forecast *fc)
{
    if (ctx->opt.json) {
        show_json(ctx, plan, dev, unchanged, fc);
        return;
    }
    if (plan->plain) {
        tool_plan_show_plain(ctx, plan, dev, full);
        return;
    }
    char erase_size[32], eta[32];
    tool_format_size(erase_size, sizeof erase_size, plan->erase_bytes);
    tool_format_duration(eta, sizeof eta, plan->estimated_us);
    if (!full) {
        show_line(ctx, plan, dev, eta);
        return;
    }
    if (plan->chip)
        tool_say(ctx, "  family: %s, recognised by %s; %u-byte flash words%s\n", plan->chip->title,
                 ctx->opt.chip ? "named with --chip" : plan->chip_why ? plan->chip_why : "",
                 (unsigned)plan->chip->word_size,
                 plan->chip->write_once ? ", programmed once per erase (ECC)" : "");
    if (plan->mass_erase)
        tool_say(ctx, "  mass erase of alt %u (all of it)\n", dev->num_alts ? (unsigned)dev->alts[0].alt : 0u);
    size_t kept = 0, blank = 0;
    uint64_t skipped_bytes = 0;
    for (size_t i = 0; unchanged && i < plan->erase_count; i++) {
        kept += unchanged[i] == MPF_SECTOR_UNCHANGED;
        blank += unchanged[i] == MPF_SECTOR_BLANK;
        if (unchanged[i] != MPF_SECTOR_ERASE)
            skipped_bytes += plan->erases[i].size;
    }
    const size_t erased = plan->erase_count - kept - blank;
    tool_format_size(erase_size, sizeof erase_size, plan->erase_bytes - skipped_bytes);
    tool_say(ctx, "  erase %zu sector%s (%s)", erased, erased == 1 ? "" : "s", erase_size);
    if (kept)
        tool_say(ctx, "; %zu more already hold%s the new contents", kept, kept == 1 ? "s" : "");
    if (blank)
        tool_say(ctx, "; %zu more %s blank where %s change%s, so need%s no erase", blank,
                 blank == 1 ? "is" : "are", blank == 1 ? "it" : "they", blank == 1 ? "s" : "",
                 blank == 1 ? "s" : "");
    tool_say(ctx, ":\n");
    for (size_t i = 0; i < plan->erase_count; i++) {
        char sz[32];
        tool_format_size(sz, sizeof sz, plan->erases[i].size);
        tool_say(ctx, "    alt %u  0x%08X  %s%s%s\n", (unsigned)plan->erases[i].alt,
                 (unsigned)plan->erases[i].address, sz, unchanged ? "  " : "",
                 unchanged ? action_text[action_index(unchanged[i])] : "");
    }
    tool_say(ctx, "  write %zu range%s (%llu bytes, %zu blocks of up to %u bytes):\n", plan->write_count,
             plan->write_count == 1 ? "" : "s", (unsigned long long)plan->write_bytes, mpf_plan_block_count(plan),
             (unsigned)plan->transfer_size);
    for (size_t i = 0; i < plan->write_count; i++)
        tool_say(ctx, "    alt %u  0x%08X..0x%08X  %zu bytes\n", (unsigned)plan->writes[i].alt,
                 (unsigned)plan->writes[i].address, (unsigned)(plan->writes[i].address + (plan->writes[i].size - 1)),
                 plan->writes[i].size);
    show_untouched(ctx, plan, dev);
    if (plan->verify)
        tool_say(ctx, "  verify: read back and compare\n");
    else
        tool_say(ctx, "  verify: no (%s)\n", plan->verify_note ? plan->verify_note : "--no-verify");
    if (plan->leave)
        tool_say(ctx, "  leave DFU mode: start the firmware at 0x%08X (%s)\n", (unsigned)plan->leave_address,
                 plan->leave_note ? plan->leave_note : "");
    else
        tool_say(ctx, "  leave DFU mode: no, stay (--stay)\n");
    int upper_bound;
    tool_format_duration(eta, sizeof eta, shown_estimate(plan, fc, &upper_bound));
    if (fc && !upper_bound) {
        char read[32];
        tool_format_duration(read, sizeof read, fc->read_us);
        tool_say(ctx, "  estimated time: %s (the flash as checked: reading %s, then the sectors as listed)\n",
                 eta, read);
    } else if (upper_bound) {
        tool_say(ctx, "  estimated time: at most %s (every planned sector erased: the board could not be read)\n",
                 eta);
    } else {
        tool_say(ctx, "  estimated time: %s\n", eta);
    }
}
