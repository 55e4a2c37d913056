/* The real clock. The engine reaches it only through the transport, so the
 * virtual device can substitute its own. */
#include <errno.h>
#include <time.h>

#include "usb/usb_internal.h"

void usb_sleep_ms(uint32_t ms)
{
    struct timespec left = {.tv_sec = ms / 1000u, .tv_nsec = (long)(ms % 1000u) * 1000000L};
    /* A signal cuts nanosleep short; finish the wait the device asked for. */
    while (nanosleep(&left, &left) != 0 && errno == EINTR)
        ;
}

uint64_t usb_now_us(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
        return 0;
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}
