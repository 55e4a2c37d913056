#include <string.h>

#include "passthrough_transport.h"

mpf_err passthrough_out(passthrough *p, uint8_t request, uint16_t value, const uint8_t *data,
                        uint16_t length, unsigned timeout_ms, mpf_error *err)
{
    return p->inner.ops->control_out(p->inner.ctx, request, value, data, length, timeout_ms, err);
}

mpf_err passthrough_in(passthrough *p, uint8_t request, uint16_t value, uint8_t *data,
                       uint16_t length, size_t *received, unsigned timeout_ms, mpf_error *err)
{
    return p->inner.ops->control_in(p->inner.ctx, request, value, data, length, received,
                                    timeout_ms, err);
}

static mpf_err pass_out(void *ctx, uint8_t request, uint16_t value, const uint8_t *data,
                        uint16_t length, unsigned timeout_ms, mpf_error *err)
{
    return passthrough_out(ctx, request, value, data, length, timeout_ms, err);
}

static mpf_err pass_in(void *ctx, uint8_t request, uint16_t value, uint8_t *data,
                       uint16_t length, size_t *received, unsigned timeout_ms, mpf_error *err)
{
    return passthrough_in(ctx, request, value, data, length, received, timeout_ms, err);
}

static mpf_err pass_select_alt(void *ctx, uint8_t alt, mpf_error *err)
{
    passthrough *p = ctx;
    return p->inner.ops->select_alt(p->inner.ctx, alt, err);
}

static mpf_err pass_reset(void *ctx, mpf_error *err)
{
    passthrough *p = ctx;
    return p->inner.ops->reset(p->inner.ctx, err);
}

static void pass_sleep(void *ctx, uint32_t ms)
{
    passthrough *p = ctx;
    p->sleeps++;
    p->slept_ms += ms;
    if (ms > p->longest_sleep_ms)
        p->longest_sleep_ms = ms;
    p->inner.ops->sleep_ms(p->inner.ctx, ms);
}

static uint64_t pass_now(void *ctx)
{
    passthrough *p = ctx;
    return p->inner.ops->now_us(p->inner.ctx);
}

static void pass_close(void *ctx)
{
    passthrough *p = ctx;
    p->inner.ops->close(p->inner.ctx);
}

static mpf_err pass_string(void *ctx, uint8_t index, char *out, size_t size, mpf_error *err)
{
    passthrough *p = ctx;
    return p->inner.ops->get_string(p->inner.ctx, index, out, size, err);
}

void passthrough_wrap(passthrough *p, const mpf_transport *inner, mpf_transport *out,
                      passthrough_out_fn *control_out, passthrough_in_fn *control_in)
{
    memset(p, 0, sizeof *p);
    p->inner = *inner;
    p->ops.control_out = control_out ? control_out : pass_out;
    p->ops.control_in = control_in ? control_in : pass_in;
    p->ops.select_alt = pass_select_alt;
    p->ops.reset = pass_reset;
    p->ops.sleep_ms = pass_sleep;
    p->ops.now_us = pass_now;
    p->ops.close = pass_close;
    /* optional: the wrapper can read strings when what it wraps can */
    p->ops.get_string = inner->ops->get_string ? pass_string : NULL;
    out->ops = &p->ops;
    out->ctx = p;
    out->info = inner->info;
}
