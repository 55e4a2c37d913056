/* Pricing data blocks with the plan's cost model (plan/plan_cost.h), the
 * way the write sends them: the skip check weighs a sector's erase against
 * programming it without one, a dry run's forecast adds up the decisions,
 * and a running flash tells how long its rest takes. */
#include "engine/engine_internal.h"
#include "plan/plan_cost.h"

/* The read-back of one block: verify reads whole blocks, however the
 * write sent them. */
static uint64_t verify_us(const mpf_plan *p, const mpf_timing *t, uint32_t n)
{
    return p->verify ? plan_cost_read_us(t, n) : 0;
}

/* want programmed over now without an erase, as the write sends it: the
 * whole block, or on write-once flash holding programmed words there, each
 * run of words that changes from its own address (and the block after them
 * needs the pointer set again). */
static uint64_t program_us(const mpf_plan *p, const mpf_timing *t, const uint8_t *now,
                           const uint8_t *want, uint32_t address, uint32_t n)
{
    const uint32_t word = eng_write_once_word(p);
    if (!word || eng_all_ff(now, n))
        return plan_cost_block_us(t, n);
    uint64_t us = plan_cost_pointer_us(t);
    uint32_t off = 0, stop = 0;
    while (eng_next_word_run(now, want, n, address, word, &off, &stop)) {
        us += plan_cost_pointer_us(t) + plan_cost_block_us(t, stop - off);
        off = stop;
    }
    return us;
}

uint64_t eng_cost_erased_block_us(const mpf_plan *p, const uint8_t *want, uint32_t n)
{
    const mpf_timing *t = plan_cost_timing(p);
    return eng_all_ff(want, n) ? 0 : plan_cost_block_us(t, n) + verify_us(p, t, n);
}

uint64_t eng_cost_unerased_block_us(const mpf_plan *p, const uint8_t *now, const uint8_t *want,
                                    uint32_t address, uint32_t n)
{
    const mpf_timing *t = plan_cost_timing(p);
    return program_us(p, t, now, want, address, n) + verify_us(p, t, n);
}

uint64_t eng_cost_flash_us(const eng_map *m, uint16_t block_size, uint8_t *now,
                           eng_flash_cost *parts)
{
    const mpf_plan *p = m->plan;
    const mpf_timing *t = plan_cost_timing(p);
    eng_flash_cost c = {0};
    c.erase_us = p->mass_erase ? plan_cost_mass_erase_us(t) : 0;
    for (size_t i = 0; i < p->erase_count; i++)
        if (!(p->mass_erase && p->erases[i].alt == 0) &&
            (!m->action || m->action[i] == MPF_SECTOR_ERASE))
            c.erase_us += plan_cost_erase_us(t, p->erases[i].size);
    for (size_t i = 0; i < p->write_count; i++) {
        const mpf_plan_write *w = &p->writes[i];
        c.write_us += plan_cost_pointer_us(t);
        c.verify_us += p->verify ? plan_cost_read_start_us(t) : 0;
        for (size_t off = 0; off < w->size; off += block_size) {
            const uint32_t n = (uint32_t)(w->size - off < block_size ? w->size - off : block_size);
            const uint32_t at = w->address + (uint32_t)off;
            const eng_fate fate = eng_block_fate(m, w->alt, at, w->data + off, n);
            if (fate == ENG_SEND) {
                eng_chip_now(m, w->alt, at, now, n);
                c.write_us += program_us(p, t, now, w->data + off, at, n);
            }
            if (fate != ENG_SKIP_KEPT)
                c.verify_us += verify_us(p, t, n);
        }
    }
    c.leave_us = p->leave ? plan_cost_leave_us(t) : 0;
    if (parts)
        *parts = c;
    return c.erase_us + c.write_us + c.verify_us + c.leave_us;
}
