/* The host clock on POSIX systems (Linux, macOS, the BSDs). */
#include <errno.h>
#include <time.h>

#include "platform/clock.h"

void mpf_host_sleep_us(uint64_t us)
{
    struct timespec left = {.tv_sec = (time_t)(us / 1000000u), .tv_nsec = (long)(us % 1000000u) * 1000L};
    /* A signal cuts nanosleep short; finish the wait the caller asked for. */
    while (nanosleep(&left, &left) != 0 && errno == EINTR)
        ;
}

uint64_t mpf_host_now_us(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
        return 0;
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}
