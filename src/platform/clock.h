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
 * wake up to tail_us late, the monotonic clock, and a short busy pause (a
 * spin-loop hint) between two readings of the clock. */
typedef struct mpf_sleep_parts {
    uint64_t (*now_us)(void *ctx);
    void (*timer_us)(void *ctx, uint64_t us);
    void (*pause)(void *ctx);
    void *ctx;
    uint64_t tail_us;
} mpf_sleep_parts;

/* Sleeps until now_us reaches deadline_us: the timer for all but the last
 * tail_us, then pauses on the clock, so the CPU is busy only for that tail
 * (less the timer's own lateness) and the sleep ends on its deadline.
 * Returns the number of pauses. A timer later than tail_us makes the sleep
 * late by the difference, with no pause. */
uint32_t mpf_sleep_until(const mpf_sleep_parts *p, uint64_t deadline_us);

/* The host clock as an mpf_clock (a constant, never modified). */
const mpf_clock *mpf_clock_host(void);

/* Millisecond helpers on clock c; c NULL means the host clock. */
uint64_t mpf_clock_now_ms(const mpf_clock *c);
void mpf_clock_sleep_ms(const mpf_clock *c, uint32_t ms);

#endif
