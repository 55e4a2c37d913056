/* What happened: every request with its result, and every sector erased.
 * Space is reserved before a request runs so logging itself cannot fail
 * half-way through one. */
#include <stdlib.h>

#include "sim/sim_internal.h"

static int grow(void **buf, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return 0;
    size_t cap2 = *cap ? *cap : 64;
    while (cap2 < need)
        cap2 *= 2;
    void *p = realloc(*buf, cap2 * elem);
    if (!p)
        return -1;
    *buf = p;
    *cap = cap2;
    return 0;
}

mpf_err sim_log_reserve(mpf_sim *sim, size_t erases, mpf_error *err)
{
    sim_log *l = &sim->log;
    if (grow((void **)&l->requests, &l->request_cap, l->request_count + 1,
             sizeof *l->requests) != 0 ||
        grow((void **)&l->erases, &l->erase_cap, l->erase_count + erases, sizeof *l->erases) != 0)
        return mpf_error_set(err, MPF_ERR_NOMEM, "virtual device: out of memory for its log");
    return MPF_OK;
}

void sim_log_request(mpf_sim *sim, const mpf_sim_request *r)
{
    sim_log *l = &sim->log;
    if (l->request_count < l->request_cap)
        l->requests[l->request_count++] = *r;
}

void sim_log_erase(mpf_sim *sim, uint32_t sector_start)
{
    sim_log *l = &sim->log;
    if (l->erase_count < l->erase_cap)
        l->erases[l->erase_count++] = sector_start;
}

size_t mpf_sim_request_count(const mpf_sim *sim)
{
    return sim->log.request_count;
}

const mpf_sim_request *mpf_sim_request_at(const mpf_sim *sim, size_t i)
{
    return i < sim->log.request_count ? &sim->log.requests[i] : NULL;
}

size_t mpf_sim_erase_count(const mpf_sim *sim)
{
    return sim->log.erase_count;
}

uint32_t mpf_sim_erase_at(const mpf_sim *sim, size_t i)
{
    return i < sim->log.erase_count ? sim->log.erases[i] : 0;
}

void mpf_sim_clear_log(mpf_sim *sim)
{
    sim->log.request_count = 0;
    sim->log.erase_count = 0;
    sim->early = 0;
    sim->blocked = 0;
}
