/* The one monotonic clock and sleep of mpflash, and the seam where tests put
 * a virtual one. Internal (src/platform). */
#ifndef MPFLASH_PLATFORM_CLOCK_H
#define MPFLASH_PLATFORM_CLOCK_H

#include <stdint.h>

/* A clock a caller can substitute: now_us is monotonic microseconds,
 * sleep_us waits (or, for a virtual clock, advances time). */
typedef struct mpf_clock {
    uint64_t (*now_us)(void *ctx);
    void (*sleep_us)(void *ctx, uint64_t us);
    void *ctx;
} mpf_clock;

/* The host's clock: CLOCK_MONOTONIC and nanosleep on POSIX,
 * QueryPerformanceCounter and a high-resolution waitable timer on Windows
 * (the default Sleep granularity of ~15.6 ms would stretch every DFU poll). */
uint64_t mpf_host_now_us(void);
void mpf_host_sleep_us(uint64_t us);

/* What a precise sleep is made of: an OS timer wait (timer_us) that may
 * wake late, the monotonic clock, and a short busy pause (a spin-loop hint)
 * between two readings of the clock. tail_us: the longest spin. */
typedef struct mpf_sleep_parts {
    uint64_t (*now_us)(void *ctx);
    void (*timer_us)(void *ctx, uint64_t us);
    void (*pause)(void *ctx);
    void *ctx;
    uint64_t tail_us;
} mpf_sleep_parts;

/* What a sleeper has learnt about its timer, owned by whoever sleeps over
 * and over (a USB transport, a bench; never global): a running high
 * percentile of how late the timer wakes (the recent maximum, slowly
 * forgotten), which the spin covers, so a precise timer costs little CPU;
 * and a hold-off from spinning while the machine is contended (spins being
 * preempted, the timer very late), where a spin only adds to the lateness. */
typedef struct mpf_sleep_tail {
    uint32_t late_us; /* the timer's lateness: recent maximum, decaying */
    uint32_t hold;    /* sleeps left that do not spin */
    uint32_t backoff; /* the next hold-off, in sleeps */
} mpf_sleep_tail;

/* Starts as the fixed tail does: the longest spin, until it has learnt. */
void mpf_sleep_tail_init(mpf_sleep_tail *t);

/* Sleeps until now_us reaches deadline_us: the timer for all but a tail,
 * then pauses on the clock, so the CPU is busy only for that tail (less the
 * timer's own lateness) and the sleep ends on its deadline. The tail is
 * p->tail_us when t is NULL; else what t has learnt (at most p->tail_us, 0
 * while held off), and t learns from this sleep. Returns the number of
 * pauses. A timer later than the tail makes the sleep late by the
 * difference, with no pause. */
uint32_t mpf_sleep_until(const mpf_sleep_parts *p, mpf_sleep_tail *t, uint64_t deadline_us);

/* The host sleep with a learnt tail (t as above; POSIX ignores it: its
 * nanosleep does not spin). */
void mpf_host_sleep_tail_us(mpf_sleep_tail *t, uint64_t us);

/* The host clock as an mpf_clock (a constant, never modified). */
const mpf_clock *mpf_clock_host(void);

/* Millisecond helpers on clock c; c NULL means the host clock. */
uint64_t mpf_clock_now_ms(const mpf_clock *c);
void mpf_clock_sleep_ms(const mpf_clock *c, uint32_t ms);

#endif
