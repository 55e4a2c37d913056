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
    return passthrough_out(&s->pass, request, value, data, length, timeout_ms, err);
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
    mpf_err rc = passthrough_in(&s->pass, request, value, data, length, received, timeout_ms, err);
    if (rc == MPF_OK && request == MPF_DFU_GETSTATUS && *received >= 6 &&
        data[4] == MPF_DFU_STATE_DNBUSY) {
        s->busy_replies++;
        s->busy_poll_ms += (uint32_t)data[1] | (uint32_t)data[2] << 8 | (uint32_t)data[3] << 16;
    }
    return rc;
}

void spy_wrap(spy *s, const mpf_transport *inner, mpf_transport *out)
{
    memset(s, 0, sizeof *s);
    passthrough_wrap(&s->pass, inner, out, spy_out, spy_in);
}
