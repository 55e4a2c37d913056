/* Start-up: whatever state an earlier session (or the ROM) left the device
 * in, bring it to dfuIDLE with a clean status before anything else.
 *
 * The first request is ABORT, never GETSTATUS. A session that died between
 * a DNLOAD and its GETSTATUS leaves the command stored in the device (ST's
 * ROM sits in dfuDNLOAD-SYNC; mboot keeps it without even changing state),
 * and on both the next GETSTATUS is what executes it: opening the device to
 * read it would perform the dead session's erase. ABORT drops the stored
 * command on both. */
#include <stdlib.h>
#include <string.h>

#include "engine/engine_internal.h"

/* A stall is an answer: the device was in a state that refuses ABORT
 * (dfuERROR, or a strict DFU 1.1 device mid-download) and is now in
 * dfuERROR, which the status read below sees and clears. Anything else
 * means there is no usable device. */
static mpf_err abort_at_open(mpf_dfu *d, int *stalled, mpf_error *err)
{
    mpf_err rc = eng_abort(d, err);
    *stalled = rc == MPF_ERR_USB_STALL;
    if (*stalled) {
        eng_log(d, MPF_LOG_DEBUG, "the device refused ABORT at start-up; reading its status");
        mpf_error_clear(err);
        return MPF_OK;
    }
    return rc ? eng_request_failed(d, rc, "connect", MPF_DFU_ABORT, err) : MPF_OK;
}

static mpf_err status_at_open(mpf_dfu *d, mpf_dfu_status_reply *st, mpf_error *err)
{
    mpf_err rc = eng_getstatus(d, MPF_DFU_TIMEOUT_MS, st, err);
    if (rc != MPF_OK)
        return eng_request_failed(d, rc, "connect", MPF_DFU_GETSTATUS, err);
    return MPF_OK;
}

/* Send the one request that takes the device from st->state towards dfuIDLE;
 * *sent is 0 when it already is there. */
static mpf_err recover(mpf_dfu *d, const mpf_dfu_status_reply *st, int abort_stalled, int *sent,
                       mpf_error *err)
{
    *sent = 1;
    if (st->state == MPF_DFU_STATE_ERROR) {
        if (abort_stalled && st->status == MPF_DFU_STATUS_ERR_STALLEDPKT)
            /* Our own ABORT put it there: nothing went wrong on the device. */
            eng_log(d, MPF_LOG_DEBUG, "clearing the error our start-up ABORT caused");
        else if (st->status == MPF_DFU_STATUS_ERR_FIRMWARE)
            /* ST's ROM bootloader enumerates like this whenever it was
             * entered by the BOOT0 pin with no valid application check. */
            eng_log(d, MPF_LOG_INFO, "device started in dfuERROR (errFIRMWARE), as ROM "
                                     "bootloaders do; clearing it");
        else
            eng_log(d, MPF_LOG_WARN, "device started in dfuERROR (%s: %s); clearing it",
                    mpf_dfu_status_name(st->status), mpf_dfu_status_description(st->status));
        mpf_err rc = eng_clrstatus(d, err);
        return rc ? eng_request_failed(d, rc, "connect", MPF_DFU_CLRSTATUS, err) : MPF_OK;
    }
    if (st->state == MPF_DFU_STATE_DNLOAD_IDLE || st->state == MPF_DFU_STATE_UPLOAD_IDLE) {
        eng_log(d, MPF_LOG_DEBUG, "device was left in %s; aborting to dfuIDLE",
                mpf_dfu_state_name(st->state));
        mpf_err rc = eng_abort(d, err);
        return rc ? eng_request_failed(d, rc, "connect", MPF_DFU_ABORT, err) : MPF_OK;
    }
    if (st->status != MPF_DFU_STATUS_OK) {
        eng_log(d, MPF_LOG_WARN, "device reports %s in %s; clearing it",
                mpf_dfu_status_name(st->status), mpf_dfu_state_name(st->state));
        mpf_err rc = eng_clrstatus(d, err);
        return rc ? eng_request_failed(d, rc, "connect", MPF_DFU_CLRSTATUS, err) : MPF_OK;
    }
    *sent = 0;
    return MPF_OK;
}

static mpf_err not_idle(mpf_error *err, const mpf_dfu_status_reply *st, int sent)
{
    const char *hint = "";
    if (st->state == MPF_DFU_STATE_APP_IDLE || st->state == MPF_DFU_STATE_APP_DETACH)
        hint = "; it is running its application (DFU runtime mode) and must be detached first";
    else if (st->state >= MPF_DFU_STATE_MANIFEST_SYNC &&
             st->state <= MPF_DFU_STATE_MANIFEST_WAIT_RESET)
        hint = "; it is finishing a previous download: reset or replug it";
    return mpf_error_set(err, MPF_ERR_PROTOCOL, "connect: device is in %s (%s)%s, expected dfuIDLE%s",
                         mpf_dfu_state_name(st->state), mpf_dfu_status_name(st->status),
                         sent ? " after it was reset to idle" : "", hint);
}

mpf_err mpf_dfu_open(mpf_dfu *d, mpf_transport *t, const mpf_callbacks *cb, mpf_error *err)
{
    if (!d || !t || !t->ops || !t->ops->control_in || !t->ops->control_out)
        return mpf_error_set(err, MPF_ERR_USAGE, "mpf_dfu_open: no device or transport");
    memset(d, 0, sizeof *d);
    atomic_init(&d->cancelled, 0);
    d->transport = t;
    if (cb)
        d->cb = *cb;
    d->current_alt = -1;
    d->dfuse = t->info.func.dfu_version == MPF_DFU_VERSION_DFUSE;
    d->transfer_size = t->info.func.transfer_size;

    eng_progress progress = {MPF_PHASE_CONNECT, 0, 1};
    eng_progress_report(d, &progress);

    mpf_dfu_status_reply st;
    int abort_stalled = 0;
    mpf_err rc = abort_at_open(d, &abort_stalled, err);
    if (rc == MPF_OK)
        rc = status_at_open(d, &st, err);
    if (rc == MPF_OK && (st.state == MPF_DFU_STATE_DNBUSY || st.state == MPF_DFU_STATE_DNLOAD_SYNC)) {
        /* Only a device that ignored the ABORT gets here, with an operation
         * already running (it may be a mass erase): let it finish rather
         * than interrupt the flash controller. */
        mpf_dfu_status_reply first = st;
        rc = eng_wait_from(d, "connect (an earlier operation still running)",
                           MPF_DFU_MASS_ERASE_TIMEOUT_MS, &first, &st, err);
        if (rc == MPF_ERR_DEVICE_STATUS) {
            rc = MPF_OK; /* st holds the error state; recover() clears it */
            mpf_error_clear(err);
        }
    }
    int sent = 0;
    if (rc == MPF_OK)
        rc = recover(d, &st, abort_stalled, &sent, err);
    if (rc == MPF_OK && sent)
        rc = status_at_open(d, &st, err);
    if (rc != MPF_OK)
        return rc;
    if (st.state != MPF_DFU_STATE_IDLE || st.status != MPF_DFU_STATUS_OK)
        return not_idle(err, &st, sent);

    if (d->dfuse)
        eng_log(d, MPF_LOG_DEBUG, "DfuSe device, wTransferSize %u", (unsigned)d->transfer_size);
    else
        eng_log(d, MPF_LOG_DEBUG, "plain DFU %X.%02X device, wTransferSize %u",
                (unsigned)(t->info.func.dfu_version >> 8), (unsigned)(t->info.func.dfu_version & 0xFF),
                (unsigned)d->transfer_size);
    eng_progress_step(d, &progress, 1);
    return MPF_OK;
}

mpf_err mpf_dfu_get_status(mpf_dfu *d, mpf_dfu_status_reply *out, mpf_error *err)
{
    if (!d || !d->transport || !out)
        return mpf_error_set(err, MPF_ERR_USAGE, "mpf_dfu_get_status: the device is not open");
    mpf_err rc = eng_getstatus(d, MPF_DFU_TIMEOUT_MS, out, err);
    if (rc != MPF_OK)
        return eng_request_failed(d, rc, "status", MPF_DFU_GETSTATUS, err);
    return MPF_OK;
}

mpf_err mpf_dfu_new(mpf_transport *t, const mpf_callbacks *cb, mpf_dfu **out, mpf_error *err)
{
    if (!out)
        return mpf_error_set(err, MPF_ERR_USAGE, "mpf_dfu_new: nowhere to put the session");
    *out = NULL;
    mpf_dfu *d = calloc(1, sizeof *d);
    if (!d)
        return mpf_error_set(err, MPF_ERR_NOMEM, "out of memory for a DFU session");
    mpf_err rc = mpf_dfu_open(d, t, cb, err);
    if (rc != MPF_OK) {
        free(d);
        return rc;
    }
    *out = d;
    return MPF_OK;
}

void mpf_dfu_close(mpf_dfu *d)
{
    free(d);
}

void mpf_dfu_cancel(mpf_dfu *d)
{
    if (d)
        atomic_store(&d->cancelled, 1);
}

const mpf_dfu_stats *mpf_dfu_get_stats(const mpf_dfu *d)
{
    return &d->stats;
}

uint16_t mpf_dfu_transfer_size(const mpf_dfu *d)
{
    return d->transfer_size;
}

int mpf_dfu_is_dfuse(const mpf_dfu *d)
{
    return d->dfuse;
}

int mpf_dfu_has_left(const mpf_dfu *d)
{
    return d->left;
}

void mpf_dfu_set_read_size(mpf_dfu *d, uint16_t size)
{
    d->read_size = size;
}

const char *mpf_dfu_unverified(const mpf_dfu *d)
{
    return d->unverified;
}
