/* The portable part of the clock: the host clock as an mpf_clock, and the
 * millisecond helpers every waiting loop uses. */
#include "platform/clock.h"

#include <stddef.h>

static uint64_t host_now(void *ctx)
{
    (void)ctx;
    return mpf_host_now_us();
}

static void host_sleep(void *ctx, uint64_t us)
{
    (void)ctx;
    mpf_host_sleep_us(us);
}

static const mpf_clock host_clock = {host_now, host_sleep, NULL};

const mpf_clock *mpf_clock_host(void)
{
    return &host_clock;
}

uint64_t mpf_clock_now_ms(const mpf_clock *c)
{
    if (!c)
        c = &host_clock;
    return c->now_us(c->ctx) / 1000u;
}

void mpf_clock_sleep_ms(const mpf_clock *c, uint32_t ms)
{
    if (!c)
        c = &host_clock;
    c->sleep_us(c->ctx, (uint64_t)ms * 1000u);
}
