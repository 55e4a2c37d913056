#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hostile_transport.h"
#include "mpflash/dfu.h"

hostile_rule hostile_rule_for(uint8_t request, unsigned first, unsigned last)
{
    hostile_rule r = {
        .request = request,
        .first = first,
        .last = last,
        .pass_on = 1,
        .status = HOSTILE_KEEP,
        .state = HOSTILE_KEEP,
        .poll_ms = HOSTILE_KEEP,
        .received = HOSTILE_KEEP,
        .fail = MPF_OK,
    };
    return r;
}

static const hostile_rule *rule_for(hostile *h, uint8_t request)
{
    unsigned n = ++h->seen[request];
    for (size_t i = 0; i < h->rule_count; i++) {
        const hostile_rule *r = &h->rules[i];
        if (r->request == request && n >= r->first && (r->last == 0 || n <= r->last))
            return r;
    }
    return NULL;
}

static void note(hostile *h, uint8_t request, int dir_in, uint16_t value, uint16_t length,
                 const uint8_t *out, mpf_err rc, int lied, unsigned timeout_ms)
{
    if (timeout_ms > h->longest_timeout_ms)
        h->longest_timeout_ms = timeout_ms;
    if (h->log_count == HOSTILE_MAX_LOG)
        return;
    hostile_entry *e = &h->log[h->log_count++];
    e->request = request;
    e->dir_in = dir_in;
    e->value = value;
    e->length = length;
    e->command = (!dir_in && request == MPF_DFU_DNLOAD && value == 0 && length && out) ? out[0] : 0;
    e->rc = rc;
    e->lied = lied;
}

static mpf_err h_out(void *ctx, uint8_t request, uint16_t value, const uint8_t *data,
                     uint16_t length, unsigned timeout_ms, mpf_error *err)
{
    hostile *h = ctx;
    const hostile_rule *r = rule_for(h, request);
    mpf_err rc = MPF_OK;
    if (!r || r->pass_on)
        rc = passthrough_out(&h->pass, request, value, data, length, timeout_ms, err);
    if (r && r->fail != MPF_OK)
        rc = mpf_error_set(err, r->fail, "hostile device: %s failed on purpose",
                           mpf_dfu_request_name(request));
    note(h, request, 0, value, length, data, rc, r != NULL, timeout_ms);
    return rc;
}

static mpf_err h_in(void *ctx, uint8_t request, uint16_t value, uint8_t *data, uint16_t length,
                    size_t *received, unsigned timeout_ms, mpf_error *err)
{
    hostile *h = ctx;
    const hostile_rule *r = rule_for(h, request);
    mpf_err rc = MPF_OK;
    *received = 0;
    if (!r || r->pass_on)
        rc = passthrough_in(&h->pass, request, value, data, length, received, timeout_ms, err);
    else if (length)
        memset(data, 0, length); /* a reply made up from nothing */
    if (r && rc == MPF_OK && request == MPF_DFU_GETSTATUS && length >= 6) {
        if (!r->pass_on)
            *received = 6;
        if (r->status != HOSTILE_KEEP)
            data[0] = (uint8_t)r->status;
        if (r->poll_ms != HOSTILE_KEEP) {
            data[1] = (uint8_t)r->poll_ms;
            data[2] = (uint8_t)(r->poll_ms >> 8);
            data[3] = (uint8_t)(r->poll_ms >> 16);
        }
        if (r->state != HOSTILE_KEEP)
            data[4] = (uint8_t)r->state;
    }
    if (r && rc == MPF_OK && r->received != HOSTILE_KEEP)
        *received = (size_t)r->received; /* may claim more than length: a lying stack */
    if (r && r->fail != MPF_OK) {
        *received = 0;
        rc = mpf_error_set(err, r->fail, "hostile device: %s failed on purpose",
                           mpf_dfu_request_name(request));
    }
    note(h, request, 1, value, length, NULL, rc, r != NULL, timeout_ms);
    return rc;
}

void hostile_wrap(hostile *h, const mpf_transport *inner, mpf_transport *out)
{
    memset(h, 0, sizeof *h);
    passthrough_wrap(&h->pass, inner, out, h_out, h_in);
}

void hostile_add(hostile *h, const hostile_rule *r)
{
    if (h->rule_count == HOSTILE_MAX_RULES) {
        fprintf(stderr, "hostile_transport: more than %d rules\n", HOSTILE_MAX_RULES);
        abort();
    }
    h->rules[h->rule_count++] = *r;
}

size_t hostile_first_lie(const hostile *h)
{
    for (size_t i = 0; i < h->log_count; i++)
        if (h->log[i].lied)
            return i;
    return (size_t)-1;
}

size_t hostile_dnloads_after(const hostile *h, size_t i)
{
    size_t n = 0;
    for (size_t j = i + 1; j < h->log_count; j++)
        n += !h->log[j].dir_in && h->log[j].request == MPF_DFU_DNLOAD;
    return n;
}
