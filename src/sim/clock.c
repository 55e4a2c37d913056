/* The virtual clock: what each request and operation costs, and what a
 * request meets when it arrives while the device is still busy. */
#include "sim/sim_internal.h"

#define POLL_TIMEOUT_MAX_MS 0xFFFFFFu /* bwPollTimeout is 24 bits */

uint64_t sim_usb_cost(const mpf_sim *sim, uint64_t bytes)
{
    return sim->timing_enabled ? mpf_timing_usb_us(sim->timing, bytes) : 0;
}

uint64_t sim_erase_cost(const mpf_sim *sim, uint32_t sector_size)
{
    return sim->timing_enabled ? mpf_timing_erase_us(sim->timing, sector_size) : 0;
}

uint64_t sim_program_cost(const mpf_sim *sim, uint64_t bytes)
{
    return sim->timing_enabled ? mpf_timing_program_us(sim->timing, bytes) : 0;
}

uint64_t sim_mass_erase_cost(const mpf_sim *sim)
{
    return sim->timing_enabled ? sim->timing->mass_erase_us : 0;
}

/* Whole milliseconds, rounded up, so a host that sleeps exactly what it was
 * told never arrives early. */
uint32_t sim_poll_report(const mpf_sim *sim, uint64_t us)
{
    uint64_t ms;
    if (sim->poll_override >= 0)
        ms = (uint64_t)sim->poll_override;
    else if (sim->chip->reports_poll_timeout && sim->timing_enabled)
        ms = (us + 999) / 1000;
    else
        ms = 0;
    return ms > POLL_TIMEOUT_MAX_MS ? POLL_TIMEOUT_MAX_MS : (uint32_t)ms;
}

void sim_note_poll_timeout(mpf_sim *sim, uint32_t poll_ms)
{
    sim->poll_deadline_us = sim->now_us + (uint64_t)poll_ms * 1000;
}

void sim_clock_start_busy(mpf_sim *sim, const sim_outcome *outcome)
{
    sim->busy.active = 1;
    sim->busy.outcome = *outcome;
    sim->busy.until_us = sim->now_us + outcome->us;
    sim->device_busy_us += outcome->us;
    sim->state = outcome->busy_state ? outcome->busy_state : MPF_DFU_STATE_DNBUSY;
}

uint8_t sim_state_after_busy(const mpf_sim *sim)
{
    if (sim->busy.outcome.stuck)
        return MPF_DFU_STATE_DNBUSY;
    if (sim->busy.outcome.failed)
        return MPF_DFU_STATE_ERROR;
    if (sim->busy.outcome.after_state)
        return sim->busy.outcome.after_state;
    return sim->chip->state_after_op;
}

void sim_finish_busy(mpf_sim *sim)
{
    if (!sim->busy.active)
        return;
    sim->busy.active = 0;
    if (sim->busy.outcome.resets) {
        /* The chip resets at the end of the operation: gone from the bus
         * until it is plugged in again. */
        sim->connected = 0;
        return;
    }
    sim->state = sim_state_after_busy(sim);
    if (sim->busy.outcome.stuck) {
        sim->stuck = 1;
        sim->stuck_poll_ms = sim_poll_report(sim, sim->busy.outcome.us);
    }
    if (sim->busy.outcome.failed) {
        sim->status = sim->busy.outcome.status;
        sim->istring = sim->busy.outcome.istring;
    }
}

mpf_err sim_clock_arrive(mpf_sim *sim, unsigned timeout_ms)
{
    if (sim->now_us < sim->poll_deadline_us)
        sim->early++;
    if (!sim->busy.active)
        return MPF_OK;
    if (sim->now_us < sim->busy.until_us) {
        /* The device does not answer while it works: the request completes
         * when the operation ends, unless the host gives up first. A
         * timeout_ms of 0 waits for ever, as in libusb. */
        uint64_t wait = sim->busy.until_us - sim->now_us;
        sim->blocked++;
        if (timeout_ms != 0 && (uint64_t)timeout_ms * 1000 < wait) {
            sim->now_us += (uint64_t)timeout_ms * 1000;
            return MPF_ERR_USB_TIMEOUT;
        }
        sim->now_us = sim->busy.until_us;
    }
    sim_finish_busy(sim);
    return MPF_OK;
}
