/* The host clock on Windows. QueryPerformanceCounter is monotonic with
 * sub-microsecond resolution. Sleep() rounds up to the system timer tick
 * (15.625 ms unless some program raised it), which would stretch every
 * DFU status poll; a waitable timer created with
 * CREATE_WAITABLE_TIMER_HIGH_RESOLUTION (Windows 10 1803 and later) works
 * to about half a millisecond without changing the system-wide tick.
 * Where that flag is unknown (older Windows, some Wine versions) the sleep
 * raises the tick to 1 ms for its own duration (timeBeginPeriod).
 * Either still wakes late by up to a millisecond, several percent of a DFU
 * poll of a few ms, so the timer sleeps all but a tail and mpf_sleep_until
 * spins on QueryPerformanceCounter through the rest: up to the constants
 * below, as long as the caller's mpf_sleep_tail has seen the timer be late. */
#include <windows.h>

#include "platform/clock.h"

#ifndef CREATE_WAITABLE_TIMER_HIGH_RESOLUTION
#define CREATE_WAITABLE_TIMER_HIGH_RESOLUTION 0x00000002
#endif

uint64_t mpf_host_now_us(void)
{
    LARGE_INTEGER freq, now;
    if (!QueryPerformanceFrequency(&freq) || !QueryPerformanceCounter(&now) || freq.QuadPart <= 0)
        return (uint64_t)GetTickCount64() * 1000u;
    uint64_t f = (uint64_t)freq.QuadPart, n = (uint64_t)now.QuadPart;
    return n / f * 1000000u + n % f * 1000000u / f;
}

/* How late the timer may wake. Wine 8.0 (measured here, 400 waits each)
 * rounds a timer's wait up to whole milliseconds and then wakes 0.1 ms late
 * (p50; p99 0.2-0.3 ms): 1000 us asked -> +100 us, 4500 us -> +626 us. Real
 * Windows' high-resolution timer is reported to round to about 0.5 ms and
 * to wake 0.3-1 ms late (1 ms asked -> 1.5-1.8 ms; not measured here: no
 * Windows machine). Sleep() after timeBeginPeriod(1) may take a tick more. */
#define HIGH_RES_TIMER_LATE_US 1200u
#define SLEEP_1MS_LATE_US 2000u

typedef struct win_timer {
    HANDLE timer; /* a high-resolution waitable timer, or NULL: Sleep() */
} win_timer;

static uint64_t win_now(void *ctx)
{
    (void)ctx;
    return mpf_host_now_us();
}

static void win_wait(void *ctx, uint64_t us)
{
    win_timer *w = ctx;
    if (w->timer) {
        LARGE_INTEGER due;
        due.QuadPart = -(LONGLONG)(us * 10u); /* relative, in 100 ns units */
        if (SetWaitableTimer(w->timer, &due, 0, NULL, NULL, FALSE) &&
            WaitForSingleObject(w->timer, INFINITE) == WAIT_OBJECT_0)
            return;
    }
    Sleep((DWORD)((us + 999u) / 1000u));
}

/* A spin-loop hint, not SwitchToThread: a thread that yields on a busy
 * machine can lose the processor for a whole time slice (measured under
 * Wine with two compilers running: sleeps 30-80 ms late). */
static void win_pause(void *ctx)
{
    (void)ctx;
    YieldProcessor();
}

void mpf_host_sleep_tail_us(mpf_sleep_tail *t, uint64_t us)
{
    if (us == 0)
        return;
    const uint64_t deadline = mpf_host_now_us() + us;
    win_timer w = {CreateWaitableTimerExW(NULL, NULL, CREATE_WAITABLE_TIMER_HIGH_RESOLUTION,
                                          TIMER_ALL_ACCESS)};
    mpf_sleep_parts parts = {win_now, win_wait, win_pause, &w,
                             w.timer ? HIGH_RES_TIMER_LATE_US : SLEEP_1MS_LATE_US};
    if (!w.timer)
        timeBeginPeriod(1);
    mpf_sleep_until(&parts, t, deadline);
    if (w.timer)
        CloseHandle(w.timer);
    else
        timeEndPeriod(1);
}

/* Without a caller's state: the fixed tail (the longest spin). */
void mpf_host_sleep_us(uint64_t us)
{
    mpf_host_sleep_tail_us(NULL, us);
}
