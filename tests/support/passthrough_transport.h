/* What every test transport wrapper shares: it holds the transport it wraps,
 * passes on whatever the wrapper does not watch (alt selection, reset, the
 * clock, close, string descriptors), and counts the host's sleeps. A wrapper embeds it as its
 * first member and supplies its own control requests. */
#ifndef MPFLASH_TEST_PASSTHROUGH_TRANSPORT_H
#define MPFLASH_TEST_PASSTHROUGH_TRANSPORT_H

#include <stddef.h>
#include <stdint.h>

#include "mpflash/transport.h"

/* A wrapper's own control requests, as mpf_transport_ops has them. */
typedef mpf_err passthrough_out_fn(void *ctx, uint8_t request, uint16_t value, const uint8_t *data,
                                   uint16_t length, unsigned timeout_ms, mpf_error *err);
typedef mpf_err passthrough_in_fn(void *ctx, uint8_t request, uint16_t value, uint8_t *data,
                                  uint16_t length, size_t *received, unsigned timeout_ms,
                                  mpf_error *err);

typedef struct passthrough {
    mpf_transport inner;
    mpf_transport_ops ops; /* the wrapper's: its control requests, the rest passed on */
    size_t sleeps;
    uint64_t slept_ms;
    uint32_t longest_sleep_ms;
} passthrough;

/* out forwards to inner (copied into p) and shares its info; its ctx is p,
 * which is also the wrapper embedding it. control_out/control_in NULL pass
 * the requests on unchanged. */
void passthrough_wrap(passthrough *p, const mpf_transport *inner, mpf_transport *out,
                      passthrough_out_fn *control_out, passthrough_in_fn *control_in);

/* The wrapped transport's own control requests, for a wrapper to pass on. */
mpf_err passthrough_out(passthrough *p, uint8_t request, uint16_t value, const uint8_t *data,
                        uint16_t length, unsigned timeout_ms, mpf_error *err);
mpf_err passthrough_in(passthrough *p, uint8_t request, uint16_t value, uint8_t *data,
                       uint16_t length, size_t *received, unsigned timeout_ms, mpf_error *err);

#endif
