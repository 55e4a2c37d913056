/* The host clock on Windows. QueryPerformanceCounter is monotonic with
 * sub-microsecond resolution. Sleep() rounds up to the system timer tick
 * (15.625 ms unless some program raised it), which would stretch every
 * DFU status poll; a waitable timer created with
 * CREATE_WAITABLE_TIMER_HIGH_RESOLUTION (Windows 10 1803 and later) wakes
 * within about half a millisecond without changing the system-wide tick.
 * Where that flag is unknown (older Windows, some Wine versions) the sleep
 * raises the tick to 1 ms for its own duration (timeBeginPeriod). */
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

static int timer_sleep(uint64_t us)
{
    HANDLE t = CreateWaitableTimerExW(NULL, NULL, CREATE_WAITABLE_TIMER_HIGH_RESOLUTION,
                                      TIMER_ALL_ACCESS);
    if (!t)
        return 0;
    LARGE_INTEGER due;
    due.QuadPart = -(LONGLONG)(us * 10u); /* relative, in 100 ns units */
    int ok = SetWaitableTimer(t, &due, 0, NULL, NULL, FALSE) &&
             WaitForSingleObject(t, INFINITE) == WAIT_OBJECT_0;
    CloseHandle(t);
    return ok;
}

void mpf_host_sleep_us(uint64_t us)
{
    if (us == 0)
        return;
    if (timer_sleep(us))
        return;
    timeBeginPeriod(1);
    Sleep((DWORD)((us + 999u) / 1000u));
    timeEndPeriod(1);
}
