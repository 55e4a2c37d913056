/* The skip check kept (mpf_flash_check) and a dry run's forecast: the
 * check the flash would run (the same code, reading only, with the same
 * record of what the chip holds), then that flash priced with the plan's
 * cost model. A dry run shows the decisions the flash will take and the
 * time they cost; a flash given the check (a --backup run, which must know
 * what it erases before it starts) takes those very decisions. */
#include <stdlib.h>
#include <string.h>

#include "engine/engine_internal.h"

struct mpf_flash_check {
    const mpf_dfu *d;
    const mpf_plan *plan;
    uint8_t *action; /* per plan erase */
    eng_map map;     /* the record: done[], and on write-once flash chip[] */
    uint64_t changes; /* the session's flash-changing requests when it was made */
    mpf_flash_forecast forecast;
};

/* Erases and data blocks sent: a check older than any of them is stale. */
static uint64_t changes(const mpf_dfu *d)
{
    return (uint64_t)d->stats.erase_sectors + d->stats.mass_erases + d->stats.blocks_down;
}

static mpf_err check(mpf_dfu *d, mpf_flash_check *c, mpf_error *err)
{
    const mpf_plan *plan = c->plan;
    const uint16_t block_size = plan->transfer_size ? plan->transfer_size : d->transfer_size;
    uint8_t *now = NULL;
    mpf_err rc = MPF_OK;
    if (d->transfer_size)
        rc = eng_map_alloc_done(&c->map, d->transfer_size, err);
    if (rc == MPF_OK && block_size && !(now = malloc(block_size)))
        rc = mpf_error_set(err, MPF_ERR_NOMEM, "out of memory for a %u-byte block",
                           (unsigned)block_size);
    const uint64_t before = d->usb_model_us;
    if (rc == MPF_OK)
        rc = eng_check_sectors(d, plan, c->action, d->transfer_size ? &c->map : NULL, err);
    if (rc == MPF_OK && now && !c->map.unread) {
        c->forecast.checked = 1;
        c->forecast.read_us = d->usb_model_us - before;
        c->forecast.estimated_us =
            c->forecast.read_us + eng_cost_flash_us(&c->map, block_size, now, NULL);
    }
    free(now);
    return rc;
}

void mpf_flash_check_free(mpf_flash_check *c)
{
    if (!c)
        return;
    eng_map_free_done(&c->map);
    free(c->action);
    free(c);
}

mpf_err mpf_dfu_check_flash(mpf_dfu *d, const mpf_plan *plan, mpf_flash_check **out,
                            mpf_error *err)
{
    if (!out)
        return mpf_error_set(err, MPF_ERR_USAGE, "mpf_dfu_check_flash: no result pointer");
    *out = NULL;
    if (!plan)
        return mpf_error_set(err, MPF_ERR_USAGE, "mpf_dfu_check_flash: no plan");
    mpf_err rc = eng_require_open(d, "checking the planned sectors", err);
    if (rc == MPF_OK && !plan->plain)
        rc = eng_require_dfuse(d, "checking the planned sectors", err);
    if (rc != MPF_OK)
        return rc;
    mpf_flash_check *c = calloc(1, sizeof *c);
    if (c)
        c->action = calloc(plan->erase_count ? plan->erase_count : 1, 1);
    if (!c || !c->action) {
        free(c);
        return mpf_error_set(err, MPF_ERR_NOMEM, "out of memory for the check of %zu sectors",
                             plan->erase_count);
    }
    c->d = d;
    c->plan = plan;
    c->map.plan = plan;
    c->map.action = c->action;
    c->forecast.estimated_us = plan->estimated_us;
    if (plan->plain) {
        c->forecast.checked = 1; /* no sectors to check: the plan's estimate is the flash's */
    } else {
        const struct mpf_chip *chip = d->chip;
        d->chip = plan->chip;
        rc = check(d, c, err);
        d->chip = chip;
    }
    if (rc != MPF_OK) {
        mpf_flash_check_free(c);
        return rc;
    }
    c->changes = changes(d);
    *out = c;
    return MPF_OK;
}

const uint8_t *mpf_flash_check_actions(const mpf_flash_check *c)
{
    return c->action;
}

const mpf_flash_forecast *mpf_flash_check_forecast(const mpf_flash_check *c)
{
    return &c->forecast;
}

mpf_err eng_check_lend(const mpf_flash_check *c, const mpf_dfu *d, const mpf_plan *plan,
                       eng_map *m, uint8_t *action, mpf_error *err)
{
    if (c->plan != plan || c->d != d)
        return mpf_error_set(err, MPF_ERR_USAGE, "mpf_dfu_flash_ex: the check given was made "
                             "for another plan or session");
    if (changes(d) != c->changes)
        return mpf_error_set(err, MPF_ERR_USAGE, "mpf_dfu_flash_ex: the check given is older "
                             "than what the session erased or wrote since: check again");
    if (plan->erase_count)
        memcpy(action, c->action, plan->erase_count);
    m->done = c->map.done;
    m->first = c->map.first;
    m->chunk = c->map.chunk;
    m->chip = c->map.chip;
    m->unread = c->map.unread;
    return MPF_OK;
}

mpf_err mpf_dfu_forecast(mpf_dfu *d, const mpf_plan *plan, uint8_t *actions,
                         mpf_flash_forecast *out, mpf_error *err)
{
    if (!plan || !out || (!actions && plan->erase_count))
        return mpf_error_set(err, MPF_ERR_USAGE,
                             "mpf_dfu_forecast: no plan, no result or no action array");
    memset(out, 0, sizeof *out);
    out->estimated_us = plan->estimated_us;
    if (plan->erase_count)
        memset(actions, MPF_SECTOR_ERASE, plan->erase_count);
    mpf_flash_check *c = NULL;
    mpf_err rc = mpf_dfu_check_flash(d, plan, &c, err);
    if (rc != MPF_OK)
        return rc;
    if (plan->erase_count)
        memcpy(actions, c->action, plan->erase_count);
    *out = c->forecast;
    mpf_flash_check_free(c);
    return MPF_OK;
}
