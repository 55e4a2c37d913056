/* A transport that wraps another one and watches it: it sums the poll
 * timeouts the device reported with dfuDNBUSY, the host's sleeps (in
 * pass), and can run a hook before each request (to change the device
 * mid-run). */
#ifndef MPFLASH_TEST_SPY_TRANSPORT_H
#define MPFLASH_TEST_SPY_TRANSPORT_H

#include <stddef.h>
#include <stdint.h>

#include "mpflash/transport.h"
#include "passthrough_transport.h"

typedef struct spy {
    passthrough pass; /* first: the inner transport, the sleeps */
    uint64_t busy_poll_ms; /* sum of bwPollTimeout in dfuDNBUSY replies */
    size_t busy_replies;
    size_t requests; /* control requests passed through */
    size_t uploads;
    /* Called before every control request; dir_in 1 for device-to-host. */
    void (*before)(void *user, uint8_t request, uint16_t value, int dir_in);
    void *user;
} spy;

/* out forwards to inner (copied into s) and shares its info. */
void spy_wrap(spy *s, const mpf_transport *inner, mpf_transport *out);

#endif
