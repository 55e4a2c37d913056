/* A transport that wraps another (the virtual device) and lies for it: on
 * chosen requests it rewrites the GETSTATUS reply (status, bwPollTimeout,
 * state), shortens or lengthens what an IN request says it returned, or
 * fails a request with a transport error, with or without passing it on.
 * It also keeps its own log of what the engine sent, so a test can check
 * that nothing changed flash after the lie. */
#ifndef MPFLASH_TEST_HOSTILE_TRANSPORT_H
#define MPFLASH_TEST_HOSTILE_TRANSPORT_H

#include <stddef.h>
#include <stdint.h>

#include "mpflash/transport.h"
#include "passthrough_transport.h"

#define HOSTILE_KEEP (-1)
#define HOSTILE_MAX_RULES 8
#define HOSTILE_MAX_LOG 4096

/* Applies to requests with bRequest `request`, counted from 1 in the order
 * the engine sends them: the first..last of them (last 0 = from first on). */
typedef struct hostile_rule {
    uint8_t request;
    unsigned first, last;
    int pass_on;            /* 1: the inner device sees the request */
    int32_t status, state;  /* GETSTATUS reply bytes, or HOSTILE_KEEP */
    int32_t poll_ms;        /* bwPollTimeout (24 bits), or HOSTILE_KEEP */
    int32_t received;       /* what an IN request says it got, or HOSTILE_KEEP */
    mpf_err fail;           /* returned instead of the inner result, if not MPF_OK */
} hostile_rule;

/* A rule that changes nothing yet (pass_on 1, everything HOSTILE_KEEP). */
hostile_rule hostile_rule_for(uint8_t request, unsigned first, unsigned last);

typedef struct hostile_entry {
    uint8_t request;
    int dir_in;
    uint16_t value, length;
    uint8_t command; /* DfuSe command byte of a block-0 DNLOAD, else 0 */
    mpf_err rc;
    int lied;        /* a rule applied */
} hostile_entry;

typedef struct hostile {
    passthrough pass; /* first: the inner transport, the sleeps */
    hostile_rule rules[HOSTILE_MAX_RULES];
    size_t rule_count;
    unsigned seen[256]; /* requests sent so far, by bRequest */
    hostile_entry log[HOSTILE_MAX_LOG];
    size_t log_count;
    unsigned longest_timeout_ms;
} hostile;

/* out forwards to inner (copied into h) and shares its info, which the test
 * may then edit (layouts, wTransferSize) before planning. */
void hostile_wrap(hostile *h, const mpf_transport *inner, mpf_transport *out);
void hostile_add(hostile *h, const hostile_rule *r);

/* Index of the first log entry that a rule changed, or (size_t)-1. */
size_t hostile_first_lie(const hostile *h);
/* DNLOADs (commands, data, leave) logged after index i. */
size_t hostile_dnloads_after(const hostile *h, size_t i);

#endif
