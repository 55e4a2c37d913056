/* A dry run's forecast: the skip check the flash would run (the same code,
 * reading only, with the same record of what the chip holds), then that
 * flash priced with the plan's cost model. So a dry run shows the
 * decisions the flash will take and the time they cost, not the full
 * flash's. */
#include <stdlib.h>
#include <string.h>

#include "engine/engine_internal.h"

static mpf_err forecast(mpf_dfu *d, const mpf_plan *plan, uint8_t *actions, mpf_flash_forecast *out,
                        mpf_error *err)
{
    const uint16_t block_size = plan->transfer_size ? plan->transfer_size : d->transfer_size;
    eng_map m = {.plan = plan, .action = actions};
    uint8_t *now = NULL;
    mpf_err rc = MPF_OK;
    if (d->transfer_size)
        rc = eng_map_alloc_done(&m, d->transfer_size, err);
    if (rc == MPF_OK && block_size && !(now = malloc(block_size)))
        rc = mpf_error_set(err, MPF_ERR_NOMEM, "out of memory for a %u-byte block",
                           (unsigned)block_size);
    const uint64_t before = d->usb_model_us;
    if (rc == MPF_OK)
        rc = eng_check_sectors(d, plan, actions, d->transfer_size ? &m : NULL, err);
    if (rc == MPF_OK && now && !m.unread) {
        out->checked = 1;
        out->read_us = d->usb_model_us - before;
        out->estimated_us = out->read_us + eng_cost_flash_us(&m, block_size, now);
    }
    free(now);
    eng_map_free_done(&m);
    return rc;
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
    mpf_err rc = eng_require_open(d, "forecasting a flash", err);
    if (rc == MPF_OK && plan->plain) {
        out->checked = 1; /* no sectors to check: the plan's estimate is the flash's */
        return MPF_OK;
    }
    if (rc == MPF_OK)
        rc = eng_require_dfuse(d, "forecasting a flash", err);
    if (rc != MPF_OK)
        return rc;
    const struct mpf_chip *chip = d->chip;
    d->chip = plan->chip;
    rc = forecast(d, plan, actions, out, err);
    d->chip = chip;
    return rc;
}
