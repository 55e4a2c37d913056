/* How long a plan should take on a device that answers as the timing table
 * says. The request pattern is the one the engine uses for DfuSe: every
 * DNLOAD (command or data) is followed by two GETSTATUS, the first starting
 * the work and the second reporting its result. */
#include "mpflash/plan.h"

#define GETSTATUS_BYTES 6
#define SET_ADDRESS_BYTES 5 /* 0x21 + 4-byte address */
#define ERASE_BYTES 5       /* 0x41 + 4-byte address */
#define MASS_ERASE_BYTES 1  /* 0x41 alone */

/* A DNLOAD carrying `bytes` plus its two GETSTATUS round trips. */
static uint64_t dnload_us(const mpf_timing *t, uint64_t bytes)
{
    return mpf_timing_usb_us(t, bytes) + 2 * mpf_timing_usb_us(t, GETSTATUS_BYTES);
}

/* USB time of a run's data blocks, in either direction. */
static uint64_t blocks_us(const mpf_timing *t, size_t run, uint16_t ts, int with_status)
{
    uint64_t us = 0;
    for (size_t done = 0; done < run; done += ts) {
        size_t n = run - done < ts ? run - done : ts;
        us += with_status ? dnload_us(t, n) : mpf_timing_usb_us(t, n);
    }
    return us;
}

uint64_t mpf_plan_estimate_us(const mpf_plan *p, const mpf_timing *t)
{
    if (!p || p->transfer_size == 0)
        return 0;
    if (!t)
        t = p->chip ? &p->chip->typical : mpf_timing_stm32f4();
    uint64_t us = 0;
    if (p->mass_erase)
        us += dnload_us(t, MASS_ERASE_BYTES) + t->mass_erase_us;
    for (size_t i = 0; i < p->erase_count; i++)
        us += dnload_us(t, ERASE_BYTES) + mpf_timing_erase_us(t, p->erases[i].size);
    for (size_t i = 0; i < p->write_count; i++) {
        const mpf_plan_write *w = &p->writes[i];
        us += dnload_us(t, SET_ADDRESS_BYTES) + blocks_us(t, w->size, p->transfer_size, 1) +
              mpf_timing_program_us(t, w->size);
        /* Read-back: set the pointer, ABORT to dfuIDLE, then one UPLOAD per block. */
        if (p->verify)
            us += dnload_us(t, SET_ADDRESS_BYTES) + mpf_timing_usb_us(t, 0) +
                  blocks_us(t, w->size, p->transfer_size, 0);
    }
    /* Leave: set the pointer, a zero-length DNLOAD, one GETSTATUS. */
    if (p->leave)
        us += dnload_us(t, SET_ADDRESS_BYTES) + mpf_timing_usb_us(t, 0) +
              mpf_timing_usb_us(t, GETSTATUS_BYTES);
    return us;
}
