/* GETSTATUS: decoding it, turning a bad one into a sentence, and the poll
 * loop that waits out dfuDNBUSY. */
#include <inttypes.h>

#include "engine/engine_internal.h"

void eng_decode_status(const uint8_t raw[6], mpf_dfu_status_reply *out)
{
    out->status = raw[0];
    out->poll_timeout_ms = (uint32_t)raw[1] | (uint32_t)raw[2] << 8 | (uint32_t)raw[3] << 16;
    out->state = raw[4];
    out->string_index = raw[5];
}

mpf_err eng_status_error(mpf_dfu *d, mpf_error *err, const char *what,
                         const mpf_dfu_status_reply *st)
{
    if (st->status == MPF_DFU_STATUS_OK) {
        /* mboot enters dfuERROR and reports bStatus OK. */
        mpf_error_set(err, MPF_ERR_DEVICE_STATUS,
                      "%s failed: the device entered %s without a reason (bStatus OK)", what,
                      mpf_dfu_state_name(st->state));
        eng_append_device_words(d, st->string_index, err);
        eng_append_mboot_advice(d, err);
        return MPF_ERR_DEVICE_STATUS;
    }
    mpf_error_set(err, MPF_ERR_DEVICE_STATUS, "%s failed: %s (%s)", what,
                  mpf_dfu_status_name(st->status), mpf_dfu_state_name(st->state));
    if (st->status == MPF_DFU_STATUS_ERR_VENDOR)
        /* Never acted on here: removing read protection erases the whole chip. */
    {
        eng_error_append(err, ": the chip is read-protected (RDP level 1); removing that "
                              "erases all of its flash, filesystem included, so it is never "
                              "done on its own: remove it explicitly (mpf_dfu_read_unprotect), "
                              "then flash again");
        if (err)
            err->reason = MPF_REASON_READ_PROTECTED;
    } else
        eng_error_append(err, ": %s", mpf_dfu_status_description(st->status));
    eng_append_device_words(d, st->string_index, err);
    eng_append_mboot_advice(d, err);
    return MPF_ERR_DEVICE_STATUS;
}

mpf_err eng_request_failed_status(mpf_dfu *d, mpf_err code, const char *what, uint8_t request,
                                  mpf_dfu_status_reply *st, int *asked, mpf_error *err)
{
    *asked = 0;
    mpf_error_prefix(err, "%s: %s", what, mpf_dfu_request_name(request));
    if (err)
        err->code = code;
    if (code == MPF_ERR_USB_STALL && request != MPF_DFU_GETSTATUS) {
        /* A stalled request puts the device in dfuERROR; its status says why. */
        mpf_error ignored;
        if (eng_getstatus(d, MPF_DFU_TIMEOUT_MS, st, &ignored) == MPF_OK) {
            *asked = 1;
            eng_error_append(err, " (device then reported %s, %s)", mpf_dfu_status_name(st->status),
                             mpf_dfu_state_name(st->state));
            eng_append_device_words(d, st->string_index, err);
            eng_append_stall_advice(d, request, st, err);
        }
    }
    return code;
}

mpf_err eng_request_failed(mpf_dfu *d, mpf_err code, const char *what, uint8_t request,
                           mpf_error *err)
{
    mpf_dfu_status_reply st;
    int asked;
    return eng_request_failed_status(d, code, what, request, &st, &asked, err);
}

/* A device that asks for an absurd wait usually asks for it after every
 * block: the first time is worth a warning, the rest only repeat it. */
static void log_capped(mpf_dfu *d, uint32_t asked_ms, const char *what, uint32_t limit_ms)
{
    eng_log(d, d->poll_cap_warned ? MPF_LOG_DEBUG : MPF_LOG_WARN,
            "device asked to wait %" PRIu32 " ms before polling again after %s; "
            "waiting %" PRIu32 " ms instead, the longest that can take",
            asked_ms, what, limit_ms);
    d->poll_cap_warned = 1;
}

static int busy(uint8_t state)
{
    return state == MPF_DFU_STATE_DNBUSY || state == MPF_DFU_STATE_DNLOAD_SYNC;
}

static mpf_err wait_core(mpf_dfu *d, const char *what, uint32_t limit_ms, uint32_t stuck_ms,
                         const mpf_dfu_status_reply *first, int (*still_busy)(uint8_t state),
                         mpf_dfu_status_reply *last, int *stuck, mpf_error *err)
{
    if (stuck)
        *stuck = 0;
    const uint64_t start_us = eng_now_us(d);
    const uint64_t budget_ms = 2 * (uint64_t)limit_ms;
    uint64_t slept_ms = 0;
    uint32_t backoff_ms = 0;
    int warned = 0;

    for (unsigned polls = 1;; polls++) {
        mpf_dfu_status_reply st;
        if (polls == 1 && first) {
            st = *first;
        } else {
            mpf_err rc = eng_getstatus(d, limit_ms, &st, err);
            if (rc != MPF_OK)
                return eng_request_failed(d, rc, what, MPF_DFU_GETSTATUS, err);
        }
        if (last)
            *last = st;
        if (st.status != MPF_DFU_STATUS_OK || st.state == MPF_DFU_STATE_ERROR)
            return eng_status_error(d, err, what, &st);
        if (!still_busy(st.state))
            return MPF_OK;

        /* Both measures count: the transport's clock may not move (a test
         * double), and sleeping may not be all of the time spent. */
        uint64_t now_us = eng_now_us(d);
        uint64_t elapsed_ms = now_us > start_us ? (now_us - start_us) / 1000 : 0;
        if (slept_ms > elapsed_ms)
            elapsed_ms = slept_ms;
        if (stuck_ms && st.poll_timeout_ms > 0 && elapsed_ms >= stuck_ms) {
            if (stuck)
                *stuck = 1;
            return mpf_error_set(err, MPF_ERR_PROTOCOL,
                                 "device stayed in %s for %" PRIu64 " ms (%u polls) after %s, "
                                 "past the %" PRIu32 " ms it may take",
                                 mpf_dfu_state_name(st.state), elapsed_ms, polls, what, stuck_ms);
        }
        if (elapsed_ms >= budget_ms || polls >= ENG_MAX_POLLS)
            return mpf_error_set(err, MPF_ERR_PROTOCOL,
                                 "device stayed in %s for %" PRIu64 " ms (%u polls) after %s; "
                                 "gave up at twice the %" PRIu32 " ms it may take",
                                 mpf_dfu_state_name(st.state), elapsed_ms, polls, what, limit_ms);

        uint32_t wait_ms = st.poll_timeout_ms;
        if (wait_ms > limit_ms) {
            if (!warned)
                log_capped(d, wait_ms, what, limit_ms);
            warned = 1;
            wait_ms = limit_ms;
        }
        if (wait_ms == 0 && polls > 1) {
            /* Busy again after asking for no wait: do not spin on it. */
            backoff_ms = backoff_ms ? backoff_ms * 2 : 1;
            if (backoff_ms > ENG_ZERO_POLL_BACKOFF_MAX_MS)
                backoff_ms = ENG_ZERO_POLL_BACKOFF_MAX_MS;
            wait_ms = backoff_ms;
        }
        eng_sleep(d, wait_ms);
        slept_ms += wait_ms;
    }
}

mpf_err eng_wait_stuck(mpf_dfu *d, const char *what, uint32_t limit_ms, uint32_t stuck_ms,
                       const mpf_dfu_status_reply *first, mpf_dfu_status_reply *last,
                       int *stuck, mpf_error *err)
{
    return wait_core(d, what, limit_ms, stuck_ms, first, busy, last, stuck, err);
}

mpf_err eng_wait_while(mpf_dfu *d, const char *what, uint32_t limit_ms,
                       const mpf_dfu_status_reply *first, int (*still_busy)(uint8_t state),
                       mpf_dfu_status_reply *last, mpf_error *err)
{
    return wait_core(d, what, limit_ms, 0, first, still_busy, last, NULL, err);
}

mpf_err eng_wait_from(mpf_dfu *d, const char *what, uint32_t limit_ms,
                      const mpf_dfu_status_reply *first, mpf_dfu_status_reply *last,
                      mpf_error *err)
{
    return eng_wait_stuck(d, what, limit_ms, 0, first, last, NULL, err);
}

mpf_err eng_wait(mpf_dfu *d, const char *what, uint32_t limit_ms, mpf_dfu_status_reply *last,
                 mpf_error *err)
{
    return eng_wait_from(d, what, limit_ms, NULL, last, err);
}

mpf_err eng_wait_dnload_idle(mpf_dfu *d, const char *what, uint32_t limit_ms, mpf_error *err)
{
    mpf_dfu_status_reply st = {0}; /* set by eng_wait on success; gcc -O3 cannot tell */
    mpf_err rc = eng_wait(d, what, limit_ms, &st, err);
    if (rc != MPF_OK)
        return rc;
    return eng_require_dnload_idle(what, &st, err);
}

mpf_err eng_require_dnload_idle(const char *what, const mpf_dfu_status_reply *st, mpf_error *err)
{
    if (st->state != MPF_DFU_STATE_DNLOAD_IDLE)
        return mpf_error_set(err, MPF_ERR_PROTOCOL, "after %s the device is in %s, expected %s",
                             what, mpf_dfu_state_name(st->state),
                             mpf_dfu_state_name(MPF_DFU_STATE_DNLOAD_IDLE));
    return MPF_OK;
}
