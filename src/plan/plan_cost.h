/* mpflash — the cost model of a DfuSe flash: what each piece of work costs
 * on a device that answers as a timing table says. Not installed, not API.
 *
 * One model for every decision and figure: mpf_plan_estimate_us adds these
 * pieces up over a plan (every sector erased), the engine's skip check
 * prices each sector both ways with them (erase + whole write against
 * programming without an erase, engine_skip.c), and a dry run's forecast
 * adds them up over the decisions the check took (engine_forecast.c).
 *
 * The request pattern is the engine's: every DNLOAD (command or data) is
 * followed by two GETSTATUS, the first starting the work and the second
 * reporting its result. */
#ifndef MPFLASH_PLAN_COST_H
#define MPFLASH_PLAN_COST_H

#include <stdint.h>

#include "mpflash/plan.h"

/* The timing the plan's device is priced with: its family profile's
 * typical figures, the STM32F4's when the plan has no profile. */
const mpf_timing *plan_cost_timing(const mpf_plan *p);

/* A DNLOAD carrying `bytes` (a command or data) and its two GETSTATUS. */
uint64_t plan_cost_dnload_us(const mpf_timing *t, uint64_t bytes);
/* Setting the address pointer (DfuSe 0x21 + address). */
uint64_t plan_cost_pointer_us(const mpf_timing *t);
/* Erasing one sector: the command and the erase itself. */
uint64_t plan_cost_erase_us(const mpf_timing *t, uint32_t sector_size);
/* The mass erase: the command alone and the erase of a whole bank. */
uint64_t plan_cost_mass_erase_us(const mpf_timing *t);
/* Sending and programming `bytes` as one data block. */
uint64_t plan_cost_block_us(const mpf_timing *t, uint32_t bytes);
/* Reading `bytes` back as one UPLOAD. */
uint64_t plan_cost_read_us(const mpf_timing *t, uint32_t bytes);
/* Starting a read-back run: the pointer, then ABORT to dfuIDLE. */
uint64_t plan_cost_read_start_us(const mpf_timing *t);
/* Leaving: the pointer, a zero-length DNLOAD and one GETSTATUS. */
uint64_t plan_cost_leave_us(const mpf_timing *t);

#endif
