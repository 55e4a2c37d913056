/* Running a plan.
 *
 * Order: alt setting by alt setting, in ascending order; within one, all its
 * erases (or the mass erase, alt 0), then all its writes, then their
 * verification; the leave comes last. Why this order:
 *  - all erases of a memory before its writes, because a write run is sent
 *    against one address pointer and may cross sector boundaries, so every
 *    sector it touches must already be erased;
 *  - one memory finished and verified before the next is touched, because
 *    the later alt settings of an STM32 are option bytes and OTP, and
 *    writing option bytes resets the chip: with erase-everything-first the
 *    flash would be left erased-but-unwritten by that reset, and nothing
 *    written before it could be verified.
 * With skip-unchanged every sector is read before the first erase (reads
 * change nothing), so each phase's total is known when it starts; the
 * sectors it finds blank where they change are simply not erased, and
 * their writes go out with the rest of the run they belong to.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine_internal.h"

typedef struct flash_run {
    const mpf_plan *plan;
    eng_map map;
    int lent;        /* map's record is a kept check's (mpf_flash_check): not freed here */
    uint8_t *action; /* per plan erase: mpf_sector_action */
    uint16_t block_size;
    eng_progress erase, write, verify;
    eng_eta eta;
} flash_run;

/* The smallest alt above `after` that the plan touches; 0 when none is left. */
static int next_alt(const mpf_plan *p, int after, uint8_t *alt)
{
    int best = 256;
    if (p->mass_erase && after < 0)
        best = 0;
    for (size_t i = 0; i < p->erase_count; i++)
        if (p->erases[i].alt > after && p->erases[i].alt < best)
            best = p->erases[i].alt;
    for (size_t i = 0; i < p->write_count; i++)
        if (p->writes[i].alt > after && p->writes[i].alt < best)
            best = p->writes[i].alt;
    if (best > 255)
        return 0;
    *alt = (uint8_t)best;
    return 1;
}

/* A mass erase replaces the sector erases of alt 0; skip-unchanged drops
 * the sectors that already hold the result or can be written without one. */
static int erase_skipped(const flash_run *r, size_t i)
{
    const mpf_plan_erase *e = &r->plan->erases[i];
    return (r->plan->mass_erase && e->alt == 0) || r->action[i] != MPF_SECTOR_ERASE;
}

static mpf_err erase_alt(mpf_dfu *d, flash_run *r, uint8_t alt, mpf_error *err)
{
    const mpf_plan *p = r->plan;
    int started = 0;
    if (alt == 0 && p->mass_erase) {
        eng_progress_report(d, &r->erase);
        started = 1;
        mpf_err rc = mpf_dfu_mass_erase(d, alt, err);
        if (rc != MPF_OK)
            return rc;
        eng_progress_step(d, &r->erase, 1);
    }
    for (size_t i = 0; i < p->erase_count; i++) {
        const mpf_plan_erase *e = &p->erases[i];
        if (e->alt != alt || erase_skipped(r, i))
            continue;
        if (!started)
            eng_progress_report(d, &r->erase);
        started = 1;
        mpf_err rc = mpf_dfu_erase_sector(d, alt, e->address, e->size, err);
        if (rc != MPF_OK)
            return rc;
        eng_progress_step(d, &r->erase, 1);
    }
    return MPF_OK;
}

static mpf_err write_alt(mpf_dfu *d, flash_run *r, uint8_t alt, mpf_error *err)
{
    const mpf_plan *p = r->plan;
    int started = 0;
    for (size_t i = 0; i < p->write_count; i++) {
        const mpf_plan_write *w = &p->writes[i];
        if (w->alt != alt)
            continue;
        /* A phase with nothing left to do is not announced. */
        if (!started && r->write.total)
            eng_progress_report(d, &r->write);
        started = 1;
        mpf_err rc = eng_use_alt(d, alt, err);
        if (rc == MPF_OK)
            rc = eng_write_run(d, &r->map, w, r->block_size, &r->write, err);
        if (rc != MPF_OK)
            return rc;
    }
    return MPF_OK;
}

static mpf_err verify_alt(mpf_dfu *d, flash_run *r, uint8_t alt, mpf_error *err)
{
    const mpf_plan *p = r->plan;
    eng_reader reader;
    int open = 0;
    mpf_err rc = MPF_OK;
    for (size_t i = 0; i < p->write_count && rc == MPF_OK; i++) {
        const mpf_plan_write *w = &p->writes[i];
        if (w->alt != alt)
            continue;
        if (!open) {
            if (r->verify.total)
                eng_progress_report(d, &r->verify);
            rc = eng_reader_open(&reader, d, alt, err);
            open = 1;
        }
        if (rc == MPF_OK)
            rc = eng_verify_run(&reader, &r->map, w, &r->verify, err);
    }
    if (!open)
        return MPF_OK;
    if (rc != MPF_OK) {
        eng_reader_free(&reader);
        return rc;
    }
    return eng_reader_close(&reader, err);
}

/* Bytes of the writes in the blocks the flash does not leave alone. */
static uint64_t bytes_to_do(const flash_run *r, uint16_t block_size)
{
    uint64_t total = 0;
    for (size_t i = 0; i < r->plan->write_count; i++) {
        const mpf_plan_write *w = &r->plan->writes[i];
        for (size_t off = 0; off < w->size; off += block_size) {
            size_t n = w->size - off < block_size ? w->size - off : block_size;
            if (eng_block_fate(&r->map, w->alt, w->address + (uint32_t)off, w->data + off, n) !=
                ENG_SKIP_KEPT)
                total += n;
        }
    }
    return total;
}

/* Everything that can be refused is refused here, before the first request. */
static mpf_err check_plan(const mpf_dfu *d, const mpf_plan *p, flash_run *r, mpf_error *err)
{
    mpf_err rc = eng_require_dfuse(d, "flashing", err);
    if (rc != MPF_OK)
        return rc;
    r->block_size = p->transfer_size ? p->transfer_size : d->transfer_size;
    if (r->block_size == 0)
        return mpf_error_set(err, MPF_ERR_PROTOCOL,
                             "the device reports wTransferSize 0 and the plan names none");
    if (p->verify && !(d->transport->info.func.attributes & MPF_DFU_ATTR_CAN_UPLOAD))
        return mpf_error_set(err, MPF_ERR_REFUSED, "cannot verify: the device cannot upload "
                             "(bitCanUpload is 0)");
    if (p->verify && d->transfer_size == 0)
        return mpf_error_set(err, MPF_ERR_PROTOCOL,
                             "cannot verify: the device reports wTransferSize 0");
    for (size_t i = 0; i < p->write_count; i++) {
        const mpf_plan_write *w = &p->writes[i];
        if (!w->data || w->size == 0 || w->size - 1 > UINT32_MAX - w->address)
            return mpf_error_set(err, MPF_ERR_INTERNAL, "plan write %zu at 0x%08" PRIX32
                                 " is empty or runs past the address space", i, w->address);
    }
    return MPF_OK;
}

void mpf_dfu_flash_options_default(mpf_dfu_flash_options *o)
{
    memset(o, 0, sizeof *o);
    o->skip_unchanged = 1;
}

/* What to do with each planned sector: given, found by reading, or (full
 * flash) erase them all. */
static mpf_err decide(mpf_dfu *d, flash_run *r, const mpf_dfu_flash_options *opt, mpf_error *err)
{
    const mpf_plan *plan = r->plan;
    if (!opt->skip_unchanged)
        return MPF_OK;
    if (opt->check && opt->unchanged)
        return mpf_error_set(err, MPF_ERR_USAGE, "mpf_dfu_flash_ex: both a check and unchanged "
                             "flags given: one says what to do");
    if (opt->check) {
        r->lent = 1;
        return eng_check_lend(opt->check, d, plan, &r->map, r->action, err);
    }
    if (!opt->unchanged) {
        if (d->transfer_size) {
            mpf_err rc = eng_map_alloc_done(&r->map, d->transfer_size, err);
            if (rc != MPF_OK)
                return rc;
        }
        return eng_check_sectors(d, plan, r->action, d->transfer_size ? &r->map : NULL, err);
    }
    for (size_t i = 0; i < plan->erase_count; i++) {
        if (opt->unchanged[i] > MPF_SECTOR_BLANK)
            return mpf_error_set(err, MPF_ERR_USAGE, "mpf_dfu_flash_ex: unchanged[%zu] is %u, not "
                                 "an mpf_sector_action (0, 1 or 2)", i, (unsigned)opt->unchanged[i]);
        if (!(plan->mass_erase && plan->erases[i].alt == 0))
            r->action[i] = opt->unchanged[i];
    }
    return MPF_OK;
}

/* The rest of the flash as decided, by the cost model, for the time left
 * (mpf_dfu_time_left_us): from here on d->eta points at it. */
static mpf_err price(mpf_dfu *d, flash_run *r, mpf_error *err)
{
    uint8_t *now = malloc(r->block_size);
    if (!now)
        return mpf_error_set(err, MPF_ERR_NOMEM, "out of memory for a %u-byte block",
                             (unsigned)r->block_size);
    eng_cost_flash_us(&r->map, r->block_size, now, &r->eta.cost);
    free(now);
    r->eta.erase = &r->erase;
    r->eta.write = &r->write;
    r->eta.verify = &r->verify;
    r->eta.leaves = r->plan->leave;
    d->eta = &r->eta;
    return MPF_OK;
}

/* cost of a phase, less the part of it done. */
static uint64_t phase_left(uint64_t cost, const eng_progress *p)
{
    if (!p->total || p->done >= p->total)
        return 0;
    return (uint64_t)((double)cost * (double)(p->total - p->done) / (double)p->total);
}

int mpf_dfu_time_left_us(const mpf_dfu *d, uint64_t *us)
{
    const eng_eta *e = d ? d->eta : NULL;
    if (!e || !us)
        return 0;
    *us = phase_left(e->cost.erase_us, e->erase) + phase_left(e->cost.write_us, e->write) +
          phase_left(e->cost.verify_us, e->verify) +
          (e->leaves && !d->left ? e->cost.leave_us : 0);
    return 1;
}

static mpf_err run(mpf_dfu *d, flash_run *r, const mpf_dfu_flash_options *opt, mpf_error *err)
{
    const mpf_plan *plan = r->plan;
    mpf_err decided = decide(d, r, opt, err);
    if (decided != MPF_OK)
        return decided;
    if (opt->actions && plan->erase_count)
        memcpy(opt->actions, r->action, plan->erase_count);
    r->erase.phase = MPF_PHASE_ERASE;
    r->write.phase = MPF_PHASE_WRITE;
    r->verify.phase = MPF_PHASE_VERIFY;
    for (size_t i = 0; i < plan->erase_count; i++) {
        r->erase.total += !erase_skipped(r, i);
        d->stats.sectors_unchanged += r->action[i] == MPF_SECTOR_UNCHANGED;
        d->stats.sectors_blank += r->action[i] == MPF_SECTOR_BLANK;
    }
    r->erase.total += plan->mass_erase ? 1 : 0;
    r->write.total = bytes_to_do(r, r->block_size);
    r->verify.total = plan->verify ? bytes_to_do(r, d->transfer_size) : 0;
    mpf_err priced = price(d, r, err);
    if (priced != MPF_OK)
        return priced;

    uint8_t alt = 0;
    for (int after = -1; next_alt(plan, after, &alt); after = alt) {
        mpf_err rc = eng_use_alt(d, alt, err);
        if (rc == MPF_OK)
            rc = erase_alt(d, r, alt, err);
        if (rc == MPF_OK)
            rc = write_alt(d, r, alt, err);
        if (rc == MPF_OK && plan->verify)
            rc = verify_alt(d, r, alt, err);
        if (rc != MPF_OK)
            return rc;
    }
    eng_log(d, MPF_LOG_DEBUG,
            "%" PRIu64 " sectors erased, %" PRIu64 " bytes written%s; left out: %" PRIu32
            " unchanged sectors, %" PRIu32 " erases of blank sectors, %" PRIu32 " blocks of 0xFF",
            r->erase.done, r->write.done, plan->verify ? " and verified" : "",
            d->stats.sectors_unchanged, d->stats.sectors_blank, d->stats.blocks_blank);
    if (plan->leave)
        return mpf_dfu_leave(d, plan->leave_address, err);
    return MPF_OK;
}

mpf_err mpf_dfu_flash_ex(mpf_dfu *d, const mpf_plan *plan, const mpf_dfu_flash_options *opt,
                         mpf_error *err)
{
    if (!plan)
        return mpf_error_set(err, MPF_ERR_USAGE, "mpf_dfu_flash: no plan");
    mpf_dfu_flash_options defaults;
    if (!opt) {
        mpf_dfu_flash_options_default(&defaults);
        opt = &defaults;
    }
    flash_run r = {.plan = plan};
    mpf_err rc = eng_require_open(d, "flashing", err);
    if (rc == MPF_OK && plan->plain)
        return eng_plain_flash(d, plan, err);
    if (rc == MPF_OK)
        rc = check_plan(d, plan, &r, err);
    if (rc != MPF_OK)
        return rc;
    if (r.block_size != d->transfer_size)
        eng_log(d, MPF_LOG_WARN,
                "writing in %u-byte blocks while the device's wTransferSize is %u: the "
                "address is set before every block, doubling the requests",
                (unsigned)r.block_size, (unsigned)d->transfer_size);
    r.action = calloc(plan->erase_count ? plan->erase_count : 1, 1);
    if (!r.action)
        return mpf_error_set(err, MPF_ERR_NOMEM, "out of memory for %zu sector flags",
                             plan->erase_count);
    r.map.plan = plan;
    r.map.action = r.action;
    const struct mpf_chip *before = d->chip;
    d->chip = plan->chip;
    rc = run(d, &r, opt, err);
    d->chip = before;
    d->eta = NULL;
    if (!r.lent)
        eng_map_free_done(&r.map);
    free(r.action);
    return rc;
}

mpf_err mpf_dfu_flash(mpf_dfu *d, const mpf_plan *plan, mpf_error *err)
{
    mpf_dfu_flash_options full;
    mpf_dfu_flash_options_default(&full);
    full.skip_unchanged = 0;
    return mpf_dfu_flash_ex(d, plan, &full, err);
}
