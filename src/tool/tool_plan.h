/* Showing a flash plan: in full for --dry-run, as one line otherwise, and
 * as a JSON "plan" event. */
#ifndef MPFLASH_TOOL_PLAN_H
#define MPFLASH_TOOL_PLAN_H

#include "mpflash/plan.h"
#include "tool/tool_ctx.h"

/* unchanged: one flag per plan->erases[i], 1 for a sector that already holds
 * its new contents and will be skipped (a dry run's check); NULL when the
 * board was not read. */
void tool_plan_show(tool_ctx *ctx, const mpf_plan *plan, const mpf_device_info *dev, int full,
                    const uint8_t *unchanged);

/* The same for a plan built for a plain DFU 1.1 device (plan->plain). */
void tool_plan_show_plain(tool_ctx *ctx, const mpf_plan *plan, const mpf_device_info *dev, int full);

#endif
