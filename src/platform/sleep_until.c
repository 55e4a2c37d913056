/* A sleep that lands on its deadline although the OS timer under it wakes
 * late: the timer takes all but the last tail_us, a spin on the monotonic
 * clock takes the rest. Portable (the OS parts are injected), so
 * its tests run everywhere on a virtual clock. */
#include "platform/clock.h"

uint32_t mpf_sleep_until(const mpf_sleep_parts *p, uint64_t deadline_us)
{
    uint32_t pauses = 0;
    uint64_t now = p->now_us(p->ctx);
    /* A timer may also wake a little early (Windows' timers run off a
     * different clock than QueryPerformanceCounter): wait again for what is
     * left above the tail, so the spin never takes more than tail_us. */
    while (now < deadline_us && deadline_us - now > p->tail_us) {
        p->timer_us(p->ctx, deadline_us - now - p->tail_us);
        now = p->now_us(p->ctx);
    }
    while (now < deadline_us) {
        p->pause(p->ctx);
        pauses++;
        now = p->now_us(p->ctx);
    }
    return pauses;
}
