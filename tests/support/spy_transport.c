#include <string.h>

#include "mpflash/dfu.h"
#include "spy_transport.h"

static mpf_err spy_out(void *ctx, uint8_t request, uint16_t value, const uint8_t *data,
                       uint16_t length, unsigned timeout_ms, mpf_error *err)
{
    spy *s = ctx;
    s->requests++;
    if (s->before)
        s->before(s->user, request, value, 0);
    return s->inner.ops->control_out(s->inner.ctx, request, value, data, length, timeout_ms, err);
}

static mpf_err spy_in(void *ctx, uint8_t request, uint16_t value, uint8_t *data, uint16_t length,
                      size_t *received, unsigned timeout_ms, mpf_error *err)
{
    spy *s = ctx;
    s->requests++;
    if (request == MPF_DFU_UPLOAD)
        s->uploads++;
    if (s->before)
        s->before(s->user, request, value, 1);
    mpf_err rc = s->inner.ops->control_in(s->inner.ctx, request, value, data, length, received,
                                          timeout_ms, err);
    if (rc == MPF_OK && request == MPF_DFU_GETSTATUS && *received >= 6 &&
        data[4] == MPF_DFU_STATE_DNBUSY) {
        s->busy_replies++;
        s->busy_poll_ms += (uint32_t)data[1] | (uint32_t)data[2] << 8 | (uint32_t)data[3] << 16;
    }
    return rc;
}

static mpf_err spy_select_alt(void *ctx, uint8_t alt, mpf_error *err)
{
    spy *s = ctx;
    return s->inner.ops->select_alt(s->inner.ctx, alt, err);
}

static mpf_err spy_reset(void *ctx, mpf_error *err)
{
    spy *s = ctx;
    return s->inner.ops->reset(s->inner.ctx, err);
}

static void spy_sleep(void *ctx, uint32_t ms)
{
    spy *s = ctx;
    s->sleeps++;
    s->slept_ms += ms;
    s->inner.ops->sleep_ms(s->inner.ctx, ms);
}

static uint64_t spy_now(void *ctx)
{
    spy *s = ctx;
    return s->inner.ops->now_us(s->inner.ctx);
}

static void spy_close(void *ctx)
{
    spy *s = ctx;
    s->inner.ops->close(s->inner.ctx);
}

static mpf_err spy_string(void *ctx, uint8_t index, char *out, size_t size, mpf_error *err)
{
    spy *s = ctx;
    if (!s->inner.ops->get_string)
        return mpf_error_set(err, MPF_ERR_USB, "no string descriptors");
    return s->inner.ops->get_string(s->inner.ctx, index, out, size, err);
}

static const mpf_transport_ops spy_ops = {
    .control_out = spy_out,
    .control_in = spy_in,
    .select_alt = spy_select_alt,
    .reset = spy_reset,
    .sleep_ms = spy_sleep,
    .now_us = spy_now,
    .close = spy_close,
    .get_string = spy_string,
};

void spy_wrap(spy *s, const mpf_transport *inner, mpf_transport *out)
{
    memset(s, 0, sizeof *s);
    s->inner = *inner;
    out->ops = &spy_ops;
    out->ctx = s;
    out->info = inner->info;
}
