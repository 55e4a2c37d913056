/* How long a plan should take on a device that answers as the timing table
 * says, every planned sector erased (plan_cost.h: the pieces, shared with
 * the engine's skip check and a dry run's forecast). */
#include "mpflash/plan.h"
#include "plan/plan_cost.h"

#define GETSTATUS_BYTES 6
#define SET_ADDRESS_BYTES 5 /* 0x21 + 4-byte address */
#define ERASE_BYTES 5       /* 0x41 + 4-byte address */
#define MASS_ERASE_BYTES 1  /* 0x41 alone */

const mpf_timing *plan_cost_timing(const mpf_plan *p)
{
    return p && p->chip ? &p->chip->typical : mpf_timing_stm32f4();
}

uint64_t plan_cost_dnload_us(const mpf_timing *t, uint64_t bytes)
{
    return mpf_timing_usb_us(t, bytes) + 2 * mpf_timing_usb_us(t, GETSTATUS_BYTES);
}

uint64_t plan_cost_pointer_us(const mpf_timing *t)
{
    return plan_cost_dnload_us(t, SET_ADDRESS_BYTES);
}

uint64_t plan_cost_erase_us(const mpf_timing *t, uint32_t sector_size)
{
    return plan_cost_dnload_us(t, ERASE_BYTES) + mpf_timing_erase_us(t, sector_size);
}

uint64_t plan_cost_mass_erase_us(const mpf_timing *t)
{
    return plan_cost_dnload_us(t, MASS_ERASE_BYTES) + t->mass_erase_us;
}

uint64_t plan_cost_block_us(const mpf_timing *t, uint32_t bytes)
{
    return plan_cost_dnload_us(t, bytes) + mpf_timing_program_us(t, bytes);
}

uint64_t plan_cost_read_us(const mpf_timing *t, uint32_t bytes)
{
    return mpf_timing_usb_us(t, bytes);
}

uint64_t plan_cost_read_start_us(const mpf_timing *t)
{
    return plan_cost_pointer_us(t) + mpf_timing_usb_us(t, 0);
}

uint64_t plan_cost_leave_us(const mpf_timing *t)
{
    return plan_cost_pointer_us(t) + mpf_timing_usb_us(t, 0) +
           mpf_timing_usb_us(t, GETSTATUS_BYTES);
}

static int all_ff(const uint8_t *data, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (data[i] != 0xFF)
            return 0;
    return 1;
}

uint64_t mpf_plan_estimate_us(const mpf_plan *p, const mpf_timing *t)
{
    if (!p || p->transfer_size == 0)
        return 0;
    if (!t)
        t = plan_cost_timing(p);
    uint64_t us = 0;
    if (p->mass_erase)
        us += plan_cost_mass_erase_us(t);
    for (size_t i = 0; i < p->erase_count; i++)
        us += plan_cost_erase_us(t, p->erases[i].size);
    for (size_t i = 0; i < p->write_count; i++) {
        const mpf_plan_write *w = &p->writes[i];
        us += plan_cost_pointer_us(t);
        if (p->verify)
            us += plan_cost_read_start_us(t);
        for (size_t done = 0; done < w->size; done += p->transfer_size) {
            const uint32_t n = (uint32_t)(w->size - done < p->transfer_size ? w->size - done
                                                                             : p->transfer_size);
            /* After the erase a block of 0xFF is there already: not sent,
             * but read back. */
            if (!all_ff(w->data + done, n))
                us += plan_cost_block_us(t, n);
            if (p->verify)
                us += plan_cost_read_us(t, n);
        }
    }
    if (p->leave)
        us += plan_cost_leave_us(t);
    return us;
}
