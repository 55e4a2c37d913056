/* The raw DFU requests. Every request the engine sends passes through here,
 * so this is where requests are counted (mpf_dfu_stats), traced at
 * MPF_LOG_TRACE and given their timeout. Nothing here interprets replies
 * beyond decoding them. */
#include <stdio.h>

#include "engine/engine_internal.h"

static mpf_err check_cancel(mpf_dfu *d, const char *request, mpf_error *err)
{
    if (!atomic_load(&d->cancelled))
        return MPF_OK;
    eng_log(d, MPF_LOG_TRACE, "%s: not sent (cancelled)", request);
    return mpf_error_set(err, MPF_ERR_CANCELLED,
                         "cancelled: nothing more was sent to the device (the same flash run "
                         "again finishes the job)");
}

static void count(mpf_dfu *d, uint8_t request, uint16_t len)
{
    d->usb_model_us += mpf_timing_usb_us(d->chip ? &d->chip->typical : mpf_timing_stm32f4(), len);
    if (request < sizeof d->stats.requests / sizeof d->stats.requests[0])
        d->stats.requests[request]++;
}

static void trace_result(mpf_dfu *d, const char *head, mpf_err rc, const mpf_error *err)
{
    if (!eng_logging(d))
        return;
    if (rc == MPF_OK)
        eng_log(d, MPF_LOG_TRACE, "%s: ok", head);
    else
        eng_log(d, MPF_LOG_TRACE, "%s: %s (%s)", head, mpf_err_name(rc),
                err ? err->message : "");
}

static mpf_err out_request(mpf_dfu *d, uint8_t request, uint16_t value, const uint8_t *data,
                           uint16_t len, unsigned timeout_ms, mpf_error *err)
{
    mpf_err rc = check_cancel(d, mpf_dfu_request_name(request), err);
    if (rc != MPF_OK)
        return rc;
    count(d, request, len);
    rc = d->transport->ops->control_out(d->transport->ctx, request, value, data, len, timeout_ms,
                                        err);
    if (eng_logging(d)) {
        char head[ENG_WHAT_MAX];
        snprintf(head, sizeof head, "%s wBlockNum=%u wLength=%u", mpf_dfu_request_name(request),
                 (unsigned)value, (unsigned)len);
        trace_result(d, head, rc, err);
    }
    return rc;
}

mpf_err eng_dnload(mpf_dfu *d, uint16_t block, const uint8_t *data, uint16_t len, mpf_error *err)
{
    mpf_err rc = out_request(d, MPF_DFU_DNLOAD, block, data, len, MPF_DFU_TIMEOUT_MS, err);
    if (rc == MPF_ERR_CANCELLED)
        return rc;
    /* Counted as sent even when it failed: the device may have acted on it. */
    /* Plain DFU numbers data blocks from 0; DfuSe keeps 0 for commands. */
    if ((block >= MPF_DFUSE_FIRST_DATA_BLOCK || !d->dfuse) && len > 0) {
        d->stats.blocks_down++;
        d->stats.bytes_down += len;
    }
    return rc;
}

mpf_err eng_upload(mpf_dfu *d, uint16_t block, uint8_t *buf, uint16_t len, size_t *received,
                   mpf_error *err)
{
    *received = 0;
    mpf_err rc = check_cancel(d, "UPLOAD", err);
    if (rc != MPF_OK)
        return rc;
    count(d, MPF_DFU_UPLOAD, len);
    rc = d->transport->ops->control_in(d->transport->ctx, MPF_DFU_UPLOAD, block, buf,
                                               len, received, MPF_DFU_TIMEOUT_MS, err);
    if (rc == MPF_OK && *received > len)
        rc = mpf_error_set(err, MPF_ERR_PROTOCOL, "transport returned %zu bytes for %u asked",
                           *received, (unsigned)len);
    if (rc == MPF_OK && (block >= MPF_DFUSE_FIRST_DATA_BLOCK || !d->dfuse)) {
        d->stats.blocks_up++;
        d->stats.bytes_up += *received;
    }
    if (eng_logging(d)) {
        char head[ENG_WHAT_MAX];
        snprintf(head, sizeof head, "UPLOAD wBlockNum=%u wLength=%u -> %zu bytes",
                 (unsigned)block, (unsigned)len, *received);
        trace_result(d, head, rc, err);
    }
    return rc;
}

mpf_err eng_getstatus(mpf_dfu *d, unsigned timeout_ms, mpf_dfu_status_reply *out,
                      mpf_error *err)
{
    uint8_t raw[6] = {0};
    size_t got = 0;
    mpf_err rc = check_cancel(d, "GETSTATUS", err);
    if (rc != MPF_OK)
        return rc;
    count(d, MPF_DFU_GETSTATUS, sizeof raw);
    rc = d->transport->ops->control_in(d->transport->ctx, MPF_DFU_GETSTATUS, 0, raw,
                                               sizeof raw, &got, timeout_ms, err);
    if (rc == MPF_OK && got != sizeof raw)
        rc = mpf_error_set(err, MPF_ERR_PROTOCOL, "GETSTATUS returned %zu bytes, DFU says 6", got);
    if (rc != MPF_OK) {
        trace_result(d, "GETSTATUS", rc, err);
        return rc;
    }
    eng_decode_status(raw, out);
    eng_log(d, MPF_LOG_TRACE, "GETSTATUS: %s, %s, bwPollTimeout %u ms",
            mpf_dfu_status_name(out->status), mpf_dfu_state_name(out->state),
            (unsigned)out->poll_timeout_ms);
    return MPF_OK;
}

mpf_err eng_clrstatus(mpf_dfu *d, mpf_error *err)
{
    return out_request(d, MPF_DFU_CLRSTATUS, 0, NULL, 0, MPF_DFU_TIMEOUT_MS, err);
}

mpf_err eng_detach(mpf_dfu *d, uint16_t timeout_ms, mpf_error *err)
{
    return out_request(d, MPF_DFU_DETACH, timeout_ms, NULL, 0, MPF_DFU_TIMEOUT_MS, err);
}

mpf_err eng_reset(mpf_dfu *d, mpf_error *err)
{
    if (!d->transport->ops->reset)
        return mpf_error_set(err, MPF_ERR_INTERNAL, "the transport cannot reset the device");
    mpf_err rc = check_cancel(d, "USB reset", err);
    if (rc != MPF_OK)
        return rc;
    rc = d->transport->ops->reset(d->transport->ctx, err);
    trace_result(d, "USB reset", rc, err);
    return rc;
}

mpf_err eng_abort(mpf_dfu *d, mpf_error *err)
{
    return out_request(d, MPF_DFU_ABORT, 0, NULL, 0, MPF_DFU_TIMEOUT_MS, err);
}

mpf_err eng_select_alt(mpf_dfu *d, uint8_t alt, mpf_error *err)
{
    if (!d->transport->ops->select_alt)
        return mpf_error_set(err, MPF_ERR_INTERNAL, "the transport cannot select alt setting %u",
                             (unsigned)alt);
    mpf_err rc = check_cancel(d, "SET_INTERFACE", err);
    if (rc != MPF_OK)
        return rc;
    rc = d->transport->ops->select_alt(d->transport->ctx, alt, err);
    if (eng_logging(d)) {
        char head[ENG_WHAT_MAX];
        snprintf(head, sizeof head, "SET_INTERFACE alt %u", (unsigned)alt);
        trace_result(d, head, rc, err);
    }
    return rc;
}

void eng_sleep(mpf_dfu *d, uint32_t ms)
{
    if (ms == 0)
        return;
    d->stats.slept_ms += ms;
    if (d->transport->ops->sleep_ms)
        d->transport->ops->sleep_ms(d->transport->ctx, ms);
}

uint64_t eng_now_us(mpf_dfu *d)
{
    return d->transport->ops->now_us ? d->transport->ops->now_us(d->transport->ctx) : 0;
}
