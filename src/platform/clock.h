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

/* The host clock as an mpf_clock (a constant, never modified). */
const mpf_clock *mpf_clock_host(void);

/* Millisecond helpers on clock c; c NULL means the host clock. */
uint64_t mpf_clock_now_ms(const mpf_clock *c);
void mpf_clock_sleep_ms(const mpf_clock *c, uint32_t ms);

#endif
