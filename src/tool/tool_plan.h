/* Showing a flash plan: in full for --dry-run, as one line otherwise, and
 * as a JSON "plan" event. */
#ifndef MPFLASH_TOOL_PLAN_H
#define MPFLASH_TOOL_PLAN_H

#include "mpflash/engine.h"
#include "mpflash/plan.h"
#include "tool/tool_ctx.h"

/* unchanged: one mpf_sector_action per plan->erases[i] (a dry run's
 * check); NULL when the board was not read. fc: the dry run's forecast of
 * a skip-unchanged flash (its estimate replaces the plan's; when the board
 * could not be read the plan's is shown as an upper bound); NULL for a
 * full flash or no dry run. */
void tool_plan_show(tool_ctx *ctx, const mpf_plan *plan, const mpf_device_info *dev, int full,
                    const uint8_t *unchanged, const mpf_flash_forecast *fc);

/* The same for a plan built for a plain DFU 1.1 device (plan->plain). */
void tool_plan_show_plain(tool_ctx *ctx, const mpf_plan *plan, const mpf_device_info *dev, int full);

#endif
