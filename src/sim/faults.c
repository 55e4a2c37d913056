/* Fault injection: each fault counts the requests that match it and fires
 * once, on the nth. */
#include <stdlib.h>

#include "sim/sim_internal.h"

mpf_err mpf_sim_add_fault(mpf_sim *sim, const mpf_sim_fault *f, mpf_error *err)
{
    if (!sim || !f)
        return mpf_error_set(err, MPF_ERR_USAGE, "virtual device: no fault given");
    if (f->nth == 0)
        return mpf_error_set(err, MPF_ERR_USAGE, "virtual device: fault nth is 1-based, got 0");
    if (f->kind > MPF_SIM_FAULT_STATUS)
        return mpf_error_set(err, MPF_ERR_USAGE, "virtual device: unknown fault kind %d",
                             (int)f->kind);
    if (f->op > MPF_SIM_OP_RESET)
        return mpf_error_set(err, MPF_ERR_USAGE, "virtual device: unknown request class %d",
                             (int)f->op);
    if (sim->fault_count == sim->fault_cap) {
        size_t cap = sim->fault_cap ? sim->fault_cap * 2 : 4;
        sim_fault_slot *grown = realloc(sim->faults, cap * sizeof *grown);
        if (!grown)
            return mpf_error_set(err, MPF_ERR_NOMEM, "virtual device: out of memory");
        sim->faults = grown;
        sim->fault_cap = cap;
    }
    sim->faults[sim->fault_count++] = (sim_fault_slot){ .fault = *f };
    return MPF_OK;
}

const mpf_sim_fault *sim_fault_check(mpf_sim *sim, mpf_sim_op op)
{
    const mpf_sim_fault *firing = NULL;
    for (size_t i = 0; i < sim->fault_count; i++) {
        sim_fault_slot *slot = &sim->faults[i];
        if (slot->fired || (slot->fault.op != MPF_SIM_OP_ANY && slot->fault.op != op))
            continue;
        slot->seen++;
        /* Every fault keeps counting; when two are due on the same request
         * the one added first wins and the other fires on the next match. */
        if (slot->seen >= slot->fault.nth && !firing) {
            slot->fired = 1;
            firing = &slot->fault;
        }
    }
    return firing;
}
