/* Plain DFU 1.1 (USB DFU 1.1 section 6 and appendix A): the stream, its
 * manifestation, and the reset or detach that starts the new firmware.
 * The same flash interface as DfuSe (mpf_dfu_flash_ex), another protocol:
 * no addresses, no erase commands, wBlockNum counting from 0. */
#include <inttypes.h>
#include <stdio.h>

#include "engine/engine_internal.h"

/* A device dropping off the bus while it manifests, resets or detaches is
 * doing what it was asked. */
static int gone(mpf_err rc)
{
    return rc == MPF_ERR_USB_DISCONNECTED || rc == MPF_ERR_USB;
}

static mpf_err download(mpf_dfu *d, const mpf_plan *p, const mpf_plan_write *w, eng_progress *progress,
                        mpf_error *err)
{
    char what[ENG_WHAT_MAX];
    uint32_t index = 0;
    for (size_t off = 0; off < w->size; off += p->transfer_size, index++) {
        uint16_t n = (uint16_t)(w->size - off < p->transfer_size ? w->size - off : p->transfer_size);
        /* wBlockNum counts blocks and wraps: 16 bits on the wire. */
        uint16_t block = (uint16_t)(index & 0xFFFFu);
        snprintf(what, sizeof what, "write of block %u (stream offset %zu) on alt %u", (unsigned)block, off,
                 (unsigned)w->alt);
        mpf_err rc = eng_send_block(d, what, block, w->data + off, n, progress, err);
        if (rc != MPF_OK)
            return rc;
    }
    return MPF_OK;
}

static int manifest_busy(uint8_t state)
{
    return state == MPF_DFU_STATE_MANIFEST_SYNC || state == MPF_DFU_STATE_MANIFEST;
}

/* The zero-length DNLOAD, then GETSTATUS until the device is back in
 * dfuIDLE (manifestation-tolerant) or waits for a reset. */
static mpf_err manifest(mpf_dfu *d, uint8_t alt, mpf_error *err)
{
    char what[ENG_WHAT_MAX];
    snprintf(what, sizeof what, "manifestation of alt %u", (unsigned)alt);
    const int tolerant = (d->transport->info.func.attributes & MPF_DFU_ATTR_MANIFEST_TOLERANT) != 0;
    mpf_err rc = eng_dnload(d, 0, NULL, 0, err);
    if (gone(rc)) {
        d->manifested = 1;
        d->left = 1;
        eng_log(d, MPF_LOG_INFO, "the device dropped off the bus as it began manifesting (%s)",
                mpf_err_name(rc));
        mpf_error_clear(err);
        return MPF_OK;
    }
    if (rc != MPF_OK)
        return eng_request_failed(d, rc, what, MPF_DFU_DNLOAD, err);
    mpf_dfu_status_reply st;
    rc = eng_wait_while(d, what, MPF_DFU_TIMEOUT_MS, NULL, manifest_busy, &st, err);
    d->manifested = rc == MPF_OK || gone(rc) || rc == MPF_ERR_USB_STALL;
    if (gone(rc)) {
        d->left = 1;
        eng_log(d, MPF_LOG_INFO, "the device dropped off the bus while manifesting (%s): it is "
                                 "starting the new firmware", mpf_err_name(rc));
        mpf_error_clear(err);
        return MPF_OK;
    }
    if (rc == MPF_ERR_USB_STALL && !tolerant) {
        /* DFU 1.1: in dfuMANIFEST-WAIT-RESET it need not answer at all. */
        d->wait_reset = 1;
        eng_log(d, MPF_LOG_DEBUG, "%s: the device stopped answering; it waits for a USB reset", what);
        mpf_error_clear(err);
        return MPF_OK;
    }
    if (rc != MPF_OK)
        return rc;
    if (st.state == MPF_DFU_STATE_MANIFEST_WAIT_RESET) {
        d->wait_reset = 1;
        return MPF_OK;
    }
    if (st.state != MPF_DFU_STATE_IDLE)
        return mpf_error_set(err, MPF_ERR_PROTOCOL, "after %s the device is in %s, expected %s or %s", what,
                             mpf_dfu_state_name(st.state), mpf_dfu_state_name(MPF_DFU_STATE_IDLE),
                             mpf_dfu_state_name(MPF_DFU_STATE_MANIFEST_WAIT_RESET));
    return MPF_OK;
}

static mpf_err require_plain(const mpf_dfu *d, const char *what, mpf_error *err)
{
    mpf_err rc = eng_require_open(d, what, err);
    if (rc == MPF_OK && d->dfuse)
        rc = mpf_error_set(err, MPF_ERR_USAGE,
                           "%s: this is an ST DfuSe device; it leaves DFU mode with mpf_dfu_leave", what);
    return rc;
}

static mpf_err finished(mpf_dfu *d, eng_progress *progress, const char *how, mpf_err rc, mpf_error *err)
{
    d->left = d->manifested;
    d->wait_reset = 0;
    if (rc != MPF_OK)
        eng_log(d, MPF_LOG_DEBUG, "the device dropped off the bus at the %s (%s)", how, mpf_err_name(rc));
    eng_log(d, MPF_LOG_INFO, "%s sent: %s", how,
            d->manifested ? "the device is starting the new firmware" : "nothing was downloaded, so it "
                                                                         "restarts as it was");
    mpf_error_clear(err);
    eng_progress_step(d, progress, 1);
    return MPF_OK;
}

mpf_err mpf_dfu_reset(mpf_dfu *d, mpf_error *err)
{
    mpf_err rc = require_plain(d, "USB reset", err);
    if (rc != MPF_OK)
        return rc;
    eng_progress progress = {MPF_PHASE_LEAVE, 0, 1};
    eng_progress_report(d, &progress);
    rc = eng_reset(d, err);
    if (rc != MPF_OK && !gone(rc))
        return eng_request_failed(d, rc, "USB reset", MPF_DFU_DETACH, err);
    return finished(d, &progress, "USB reset", rc, err);
}

mpf_err mpf_dfu_detach(mpf_dfu *d, mpf_error *err)
{
    mpf_err rc = require_plain(d, "DETACH", err);
    if (rc != MPF_OK)
        return rc;
    eng_progress progress = {MPF_PHASE_LEAVE, 0, 1};
    eng_progress_report(d, &progress);
    rc = eng_detach(d, d->transport->info.func.detach_timeout_ms, err);
    if (rc == MPF_ERR_USB_STALL)
        mpf_error_refuse(err, rc, MPF_REASON_DETACH_REFUSED,
                         "DETACH: the device refused it in DFU mode (DFU 1.1 defines it for "
                         "run-time mode only); leave by USB reset instead");
    if (rc != MPF_OK && !gone(rc))
        return rc == MPF_ERR_USB_STALL ? rc : eng_request_failed(d, rc, "DETACH", MPF_DFU_DETACH, err);
    return finished(d, &progress, "DETACH", rc, err);
}

static uint64_t total_bytes(const mpf_plan *p)
{
    uint64_t n = 0;
    for (size_t i = 0; i < p->write_count; i++)
        n += p->writes[i].size;
    return n;
}

mpf_err eng_plain_flash(mpf_dfu *d, const mpf_plan *plan, mpf_error *err)
{
    if (d->dfuse)
        return mpf_error_set(err, MPF_ERR_USAGE,
                             "the plan was built for a plain DFU device, but this one is ST DfuSe");
    if (plan->transfer_size == 0)
        return mpf_error_set(err, MPF_ERR_USAGE, "the plan names no transfer size");
    d->unverified = NULL;
    eng_progress write = {MPF_PHASE_WRITE, 0, total_bytes(plan)};
    eng_progress verify = {MPF_PHASE_VERIFY, 0, plan->verify ? total_bytes(plan) : 0};
    eng_progress_report(d, &write);
    for (size_t i = 0; i < plan->write_count; i++) {
        const mpf_plan_write *w = &plan->writes[i];
        mpf_err rc = eng_use_alt(d, w->alt, err);
        if (rc == MPF_OK)
            rc = download(d, plan, w, &write, err);
        if (rc == MPF_OK)
            rc = manifest(d, w->alt, err);
        if (rc != MPF_OK)
            return rc;
        if (d->left || d->wait_reset)
            break; /* nothing more can be sent before a reset */
        if (plan->verify) {
            if (verify.done == 0)
                eng_progress_report(d, &verify);
            rc = eng_plain_verify(d, w, &verify, err);
            if (rc != MPF_OK)
                return rc;
        }
    }
    eng_log(d, MPF_LOG_DEBUG, "%" PRIu64 " bytes sent in %" PRIu32 " blocks%s", d->stats.bytes_down,
            d->stats.blocks_down, d->unverified ? "; not verified" : plan->verify ? " and verified" : "");
    if (!plan->leave || d->left)
        return MPF_OK;
    return plan->final_detach ? mpf_dfu_detach(d, err) : mpf_dfu_reset(d, err);
}
