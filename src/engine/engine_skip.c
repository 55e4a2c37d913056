/* Skip-unchanged: before anything is erased, read each planned sector and
 * compare it with what a full flash would leave there: the image's bytes
 * where the image reaches, 0xFF everywhere else in the sector (a full flash
 * erases the whole sector, so foreign bytes there mean it must be erased).
 *
 * Each block read is right already, or right or 0xFF byte by byte, or
 * neither. STM32F4 flash programming only clears bits and the F4 has no ECC,
 * so a byte of 0xFF takes any new value without an erase and a right byte
 * takes its own value again: a sector of the first two kinds only is not
 * erased (a blank chip, a chip after a mass erase, a flash interrupted
 * mid-sector or mid-block), and one of the first kind only is left alone.
 * Either way the chip ends exactly as a full flash would leave it.
 *
 * ECC flash (the profile's write_once: H7, L4, G0, G4, WB, ...) takes one
 * program per word after an erase, so there "0xFF byte by byte" becomes
 * "every flash word right already or wholly 0xFF", and a block holding
 * programmed words besides ones to write is kept (found->chip) so the
 * write sends only the words that change (engine_write.c).
 *
 * A sector that could be written without an erase is erased all the same
 * when that is cheaper: the check prices both ways as it reads, with the
 * cost model the plan's estimate uses (plan/plan_cost.h, engine_cost.c).
 * On ECC flash a page of blocks holding blank words among programmed ones
 * goes word run by word run, each run with its own address and status
 * polls, and costs several times an erase and a whole write.
 *
 * Reading a sector stops at its first block of the third kind, so a
 * firmware that changed everywhere still costs one UPLOAD per sector. The
 * whole check of an alt setting runs from one address pointer: the sectors
 * are whole multiples of wTransferSize apart on every STM32, so each block
 * is one UPLOAD. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine_internal.h"
#include "plan/plan_cost.h"

typedef struct check {
    mpf_dfu *d;
    const mpf_plan *plan;
    uint8_t *action;
    eng_map *found; /* NULL: the blocks already right are not recorded */
    uint8_t *want;  /* wTransferSize bytes */
    eng_progress progress;
    size_t kept, blank;
} check;

static int checkable(const mpf_plan *p, const mpf_plan_erase *e)
{
    return !(p->mass_erase && e->alt == 0);
}

/* A block of a sector this flash would not erase: can the chip take its
 * new bytes as it is? On write-once flash a block holding programmed words
 * besides blank ones is only writable when what the chip holds is kept
 * (found->chip), so the write can leave those words out. */
static int block_writable(const check *c, const uint8_t *got, uint32_t at, size_t n)
{
    if (c->plan->chip && c->plan->chip->no_blank_write)
        return 0; /* an unknown device: only sectors already right are left alone */
    const uint32_t word = eng_write_once_word(c->plan);
    if (!eng_writable_words(got, c->want, n, at, word))
        return 0;
    return !word || eng_all_ff(got, n) || (c->found && c->found->chip);
}

/* Small pages: one short UPLOAD of the sector's first bytes finds most
 * sectors that must be erased (another firmware) for one packet instead of
 * a whole block. 1 = the sector needs an erase. */
static mpf_err probe_sector(check *c, eng_reader *r, const mpf_plan_erase *e, uint16_t n,
                            int *erase, mpf_error *err)
{
    const uint16_t probe = c->plan->chip ? c->plan->chip->probe_bytes : 0;
    *erase = 0;
    if (!probe || probe >= n)
        return MPF_OK;
    const uint8_t *got = NULL;
    mpf_err rc = eng_reader_get(r, e->address, probe, &got, err);
    if (rc != MPF_OK)
        return rc;
    eng_expected_bytes(c->plan, e->alt, e->address, c->want, probe);
    *erase = memcmp(got, c->want, probe) != 0 && !block_writable(c, got, e->address, probe);
    return MPF_OK;
}

/* Reading stops at a block the chip must be erased for; it also stops at
 * a blank block (a fresh chip, the part an interrupted flash never
 * reached) when erasing now, and so writing again the blocks found right,
 * costs less than reading the rest: sectors that erase faster than their
 * blocks read back (STM32H7A3/B3, U5: 8 KiB in ~2 ms). */
static int erase_before_reading_on(const check *c, const mpf_plan_erase *e, uint32_t off,
                                   uint64_t erase_us, uint64_t blank_us)
{
    const mpf_timing *t = plan_cost_timing(c->plan);
    const uint16_t ts = c->d->transfer_size;
    uint64_t rest_us = 0;
    for (uint32_t at = off; at < e->size; at += ts)
        rest_us += plan_cost_read_us(t, e->size - at < ts ? e->size - at : ts);
    return plan_cost_erase_us(t, e->size) + erase_us < blank_us + rest_us;
}

static mpf_err check_sector(check *c, eng_reader *r, size_t i, mpf_error *err)
{
    const mpf_plan_erase *e = &c->plan->erases[i];
    const uint16_t ts = c->d->transfer_size;
    uint8_t *done = c->found ? c->found->done + c->found->first[i] : NULL;
    uint8_t *kept = c->found && c->found->chip
                        ? c->found->chip + c->found->first[i] * (size_t)ts : NULL;
    c->action[i] = MPF_SECTOR_UNCHANGED;
    int erase = 0, programmed = 0;
    /* What the sector's blocks read so far cost to write after an erase,
     * and without one (the cost model the estimate uses). */
    uint64_t erase_us = 0, blank_us = 0;
    mpf_err rc = probe_sector(c, r, e, e->size < ts ? (uint16_t)e->size : ts, &erase, err);
    if (rc != MPF_OK)
        return rc;
    if (erase) {
        c->action[i] = MPF_SECTOR_ERASE;
        eng_progress_step(c->d, &c->progress, e->size);
        return MPF_OK;
    }
    for (uint32_t off = 0; off < e->size;) {
        uint32_t left = e->size - off;
        uint16_t n = left < ts ? (uint16_t)left : ts;
        uint32_t at = e->address + off;
        const uint8_t *got = NULL;
        rc = eng_reader_get(r, at, n, &got, err);
        if (rc != MPF_OK)
            return rc;
        eng_expected_bytes(c->plan, e->alt, at, c->want, n);
        if (kept)
            memcpy(kept + off, got, n);
        off += n;
        const int right = memcmp(got, c->want, n) == 0;
        const int writable = right || block_writable(c, got, at, n);
        int stop = !writable;
        if (writable)
            erase_us += eng_cost_erased_block_us(c->plan, c->want, n);
        if (right) {
            if (done)
                done[(off - n) / ts] = 1;
            else
                programmed |= !eng_all_ff(got, n);
        } else if (writable) {
            c->action[i] = MPF_SECTOR_BLANK;
            blank_us += eng_cost_unerased_block_us(c->plan, got, c->want, at, n);
            stop = off < e->size && eng_all_ff(got, n) &&
                   erase_before_reading_on(c, e, off, erase_us, blank_us);
        }
        if (stop) {
            c->action[i] = MPF_SECTOR_ERASE;
            /* The rest of the sector is decided without reading it. */
            eng_progress_step(c->d, &c->progress, e->size - off + n);
            return MPF_OK;
        }
        eng_progress_step(c->d, &c->progress, n);
    }
    /* Without a record of which blocks were right, a sector written without
     * an erase gets all its data blocks again: on write-once flash the
     * programmed ones would be refused, so such a sector is erased. */
    if (c->action[i] == MPF_SECTOR_BLANK && programmed && eng_write_once_word(c->plan))
        c->action[i] = MPF_SECTOR_ERASE;
    /* Programmable without an erase, but dearer that way: on write-once
     * flash a block with blank words scattered among programmed ones goes
     * word run by word run, each with its own address and status polls,
     * and a page of such blocks costs more than erasing it and writing it
     * whole (2 KiB pages of ECC flash erase in ~22 ms). */
    if (c->action[i] == MPF_SECTOR_BLANK &&
        blank_us > plan_cost_erase_us(plan_cost_timing(c->plan), e->size) + erase_us)
        c->action[i] = MPF_SECTOR_ERASE;
    return MPF_OK;
}

static void log_decision(check *c, const mpf_plan_erase *e, uint8_t action)
{
    const int kib = e->size % 1024 == 0;
    const uint32_t size = kib ? e->size / 1024 : e->size;
    if (action == MPF_SECTOR_UNCHANGED) {
        c->kept++;
        eng_log(c->d, MPF_LOG_INFO,
                "sector at 0x%08" PRIX32 " (%" PRIu32 " %s) already holds the new contents: "
                "not erased, written or verified",
                e->address, size, kib ? "KiB" : "bytes");
    } else if (action == MPF_SECTOR_BLANK) {
        c->blank++;
        eng_log(c->d, MPF_LOG_INFO,
                "sector at 0x%08" PRIX32 " (%" PRIu32 " %s) is blank wherever it changes: "
                "written without an erase",
                e->address, size, kib ? "KiB" : "bytes");
    }
}

/* The device refused an UPLOAD and sits in dfuERROR: clear it, so that the
 * flash can go on without the check. */
static mpf_err give_up(check *c, const eng_reader *r, uint32_t address, mpf_error *err)
{
    eng_log(c->d, MPF_LOG_WARN,
            "the device refused to be read at 0x%08" PRIX32 " (%s%s): flashing the remaining "
            "sectors in full, without checking whether they changed",
            address, mpf_dfu_status_name(r->refused_status),
            r->refused_status == MPF_DFU_STATUS_ERR_VENDOR ? ", read protection" : "");
    mpf_error_clear(err);
    if (c->found)
        c->found->unread = 1;
    c->progress.done = c->progress.total; /* the rest is decided: full flash */
    eng_progress_report(c->d, &c->progress);
    /* A packing mboot says errFILE while staying in dfuUPLOAD-IDLE (main.c,
     * do_read): there ABORT is what returns to dfuIDLE; CLRSTATUS is only
     * for dfuERROR (DFU 1.1, 6.1.2 and Appendix A) and is stalled. */
    const uint8_t request = r->uploading ? MPF_DFU_ABORT : MPF_DFU_CLRSTATUS;
    mpf_err rc = r->uploading ? eng_abort(c->d, err) : eng_clrstatus(c->d, err);
    if (rc != MPF_OK)
        return eng_request_failed(c->d, rc, "clearing the refused read", request, err);
    return MPF_OK;
}

static mpf_err check_all(check *c, mpf_error *err)
{
    const mpf_plan *p = c->plan;
    eng_reader r;
    int open = 0;
    mpf_err rc = MPF_OK;
    for (size_t i = 0; i < p->erase_count && rc == MPF_OK; i++) {
        const mpf_plan_erase *e = &p->erases[i];
        if (!checkable(p, e))
            continue;
        if (open && c->d->current_alt != (int)e->alt) {
            rc = eng_reader_close(&r, err);
            open = 0;
        }
        if (rc == MPF_OK && !open) {
            rc = eng_reader_open(&r, c->d, e->alt, err);
            open = rc == MPF_OK;
            if (!open)
                eng_reader_free(&r);
        }
        if (rc == MPF_OK)
            rc = check_sector(c, &r, i, err);
        if (rc != MPF_OK) {
            c->action[i] = MPF_SECTOR_ERASE;
            if (open && r.refused) {
                eng_reader_free(&r);
                return give_up(c, &r, e->address, err);
            }
        } else {
            log_decision(c, e, c->action[i]);
        }
    }
    if (!open)
        return rc;
    if (rc != MPF_OK) {
        eng_reader_free(&r);
        return rc;
    }
    return eng_reader_close(&r, err);
}

mpf_err eng_check_sectors(mpf_dfu *d, const mpf_plan *p, uint8_t *action, eng_map *found,
                          mpf_error *err)
{
    if (p->erase_count)
        memset(action, MPF_SECTOR_ERASE, p->erase_count);
    check c = {.d = d, .plan = p, .action = action, .found = found,
               .progress = {MPF_PHASE_READ, 0, 0}};
    for (size_t i = 0; i < p->erase_count; i++)
        if (checkable(p, &p->erases[i]))
            c.progress.total += p->erases[i].size;
    if (c.progress.total == 0)
        return MPF_OK;
    if (!(d->transport->info.func.attributes & MPF_DFU_ATTR_CAN_UPLOAD) || d->transfer_size == 0) {
        eng_log(d, MPF_LOG_INFO, "the device cannot upload (bitCanUpload is 0), so sectors that "
                                 "already hold the new contents cannot be found: full flash");
        if (found)
            found->unread = 1;
        return MPF_OK;
    }
    if (found && found->chunk != d->transfer_size)
        return mpf_error_set(err, MPF_ERR_INTERNAL, "the check records %" PRIu32 "-byte blocks "
                             "but reads %u-byte ones", found->chunk, (unsigned)d->transfer_size);
    c.want = malloc(d->transfer_size);
    if (!c.want)
        return mpf_error_set(err, MPF_ERR_NOMEM, "out of memory for a %u-byte compare buffer",
                             (unsigned)d->transfer_size);
    eng_progress_report(d, &c.progress);
    mpf_err rc = check_all(&c, err);
    free(c.want);
    if (rc == MPF_OK && c.kept)
        eng_log(d, MPF_LOG_INFO, "%zu of %zu planned sectors already hold the new contents",
                c.kept, p->erase_count);
    if (rc == MPF_OK && c.blank)
        eng_log(d, MPF_LOG_INFO, "%zu of %zu planned sectors need no erase: blank wherever "
                "they change", c.blank, p->erase_count);
    return rc;
}

mpf_err mpf_dfu_check_unchanged(mpf_dfu *d, const mpf_plan *plan, uint8_t *unchanged,
                                mpf_error *err)
{
    if (!plan || (!unchanged && plan->erase_count))
        return mpf_error_set(err, MPF_ERR_USAGE, "mpf_dfu_check_unchanged: no plan or no result array");
    mpf_err rc = eng_require_open(d, "checking for unchanged sectors", err);
    if (rc == MPF_OK && plan->plain)
        return MPF_OK; /* no sectors: a plain device erases as the stream arrives */
    if (rc == MPF_OK)
        rc = eng_require_dfuse(d, "checking for unchanged sectors", err);
    if (rc != MPF_OK)
        return rc;
    return eng_check_sectors(d, plan, unchanged, NULL, err);
}
