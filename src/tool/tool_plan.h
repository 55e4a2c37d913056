/* Showing a flash plan: in full for --dry-run, as one line otherwise, and
 * as a JSON "plan" event. */
#ifndef MPFLASH_TOOL_PLAN_H
#define MPFLASH_TOOL_PLAN_H

#include "mpflash/plan.h"
#include "tool/tool_ctx.h"

void tool_plan_show(tool_ctx *ctx, const mpf_plan *plan, const mpf_device_info *dev, int full);

#endif
