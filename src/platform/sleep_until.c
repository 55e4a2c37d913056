/* A sleep that lands on its deadline although the OS timer under it wakes
 * late: the timer takes all but the last tail, a spin on the monotonic
 * clock takes the rest. The tail is learnt (mpf_sleep_tail): as long as the
 * timer is late, not longer, and none while the spins are being preempted.
 * Portable (the OS parts are injected), so its tests run everywhere on a
 * virtual clock. */
#include "platform/clock.h"

#include <stddef.h>
#include <stdint.h>

/* The estimate jumps to any lateness above it and forgets 4 us a sleep: it
 * covers the late wakes of the last few hundred sleeps (a high percentile,
 * close to their maximum) and shrinks within 1-3 s of DFU polls once the
 * timer is precise. A slower rise misses on timers whose lateness jumps with
 * the time asked (Wine rounds a wait up to whole milliseconds). */
#define LATE_FORGET_US 4u
/* Spin a little longer than the estimate: the clock read after the timer
 * and the pause itself take time. */
#define TAIL_MARGIN_US 50u
/* A spin that ends this late was preempted: the thread lost the CPU while
 * spinning (a pause and a clock read take well under a microsecond). */
#define PREEMPTED_US 200u
/* Sleeps without spinning after a preempted spin (or a very late timer): doubled on each further
 * preempted spin, an eighth less on each clean one, so the hold-off grows
 * while more than ~1 spin in 6 is preempted (2^p * (7/8)^(1-p) > 1). */
#define BACKOFF_MIN 8u
#define BACKOFF_MAX 512u
/* A timer wake later than twice the longest tail also counts as contention
 * (Wine: at most ~1.3 ms late when idle; real Windows reportedly ~1 ms). */
#define CONTENDED_TIMES_TAIL 2u

void mpf_sleep_tail_init(mpf_sleep_tail *t)
{
    t->late_us = UINT32_MAX; /* unknown: the longest tail, until learnt */
    t->hold = 0;
    t->backoff = BACKOFF_MIN;
}

static uint64_t tail_for(const mpf_sleep_parts *p, const mpf_sleep_tail *t)
{
    if (!t)
        return p->tail_us;
    if (t->hold)
        return 0;
    const uint64_t tail = (uint64_t)t->late_us + TAIL_MARGIN_US;
    return tail < p->tail_us ? tail : p->tail_us;
}

static void learn_lateness(mpf_sleep_tail *t, uint64_t late_us, uint64_t cap_us)
{
    if (t->late_us > cap_us)
        t->late_us = (uint32_t)cap_us;
    if (late_us > t->late_us)
        t->late_us = (uint32_t)(late_us < cap_us ? late_us : cap_us);
    else
        t->late_us = t->late_us > LATE_FORGET_US ? t->late_us - LATE_FORGET_US : 0;
}

static void hold_off(mpf_sleep_tail *t)
{
    t->hold = t->backoff;
    t->backoff = t->backoff * 2 <= BACKOFF_MAX ? t->backoff * 2 : BACKOFF_MAX;
}

static void learn_spin(mpf_sleep_tail *t, uint64_t overshoot_us)
{
    if (overshoot_us >= PREEMPTED_US) {
        hold_off(t);
    } else if (t->backoff - t->backoff / 8 >= BACKOFF_MIN) {
        t->backoff -= t->backoff / 8;
    }
}

uint32_t mpf_sleep_until(const mpf_sleep_parts *p, mpf_sleep_tail *t, uint64_t deadline_us)
{
    const uint64_t tail = tail_for(p, t);
    uint32_t pauses = 0;
    uint64_t now = p->now_us(p->ctx);
    if (now >= deadline_us)
        return 0;
    if (t && t->hold)
        t->hold--;
    /* A timer may also wake a little early (Windows' timers run off a
     * different clock than QueryPerformanceCounter): wait again for what is
     * left above the tail, so the spin never takes more than the tail. */
    while (now < deadline_us && deadline_us - now > tail) {
        const uint64_t due = now + (deadline_us - now - tail);
        p->timer_us(p->ctx, due - now);
        now = p->now_us(p->ctx);
        if (t) {
            const uint64_t late = now > due ? now - due : 0;
            learn_lateness(t, late, p->tail_us);
            /* A timer this late did not wait for the timer: the thread
             * waited for a CPU (a contended machine), where a spin would
             * be preempted too. */
            if (late > CONTENDED_TIMES_TAIL * p->tail_us && !t->hold)
                hold_off(t);
        }
    }
    while (now < deadline_us) {
        p->pause(p->ctx);
        pauses++;
        now = p->now_us(p->ctx);
    }
    if (t && pauses)
        learn_spin(t, now - deadline_us);
    return pauses;
}

#ifndef _WIN32
/* POSIX nanosleep wakes within tens of microseconds: nothing to learn, no
 * spin (the Windows one is in win32/clock.c). */
void mpf_host_sleep_tail_us(mpf_sleep_tail *t, uint64_t us)
{
    (void)t;
    mpf_host_sleep_us(us);
}
#endif
