/* Leaving DFU mode: the device runs the firmware at the address pointer and
 * drops off the bus, so the usual failures of a vanishing device are the
 * success signal here, not errors (dfu-util reports one, which breaks CI). */
#include <inttypes.h>
#include <stdio.h>

#include "engine/engine_internal.h"

static int gone(mpf_err rc)
{
    return rc == MPF_ERR_USB_DISCONNECTED || rc == MPF_ERR_USB || rc == MPF_ERR_USB_STALL;
}

static int manifesting(uint8_t state)
{
    return state >= MPF_DFU_STATE_MANIFEST_SYNC && state <= MPF_DFU_STATE_MANIFEST_WAIT_RESET;
}

static mpf_err manifest_state(mpf_dfu *d, const char *what, const mpf_dfu_status_reply *st,
                              mpf_error *err)
{
    if (st->status != MPF_DFU_STATUS_OK || st->state == MPF_DFU_STATE_ERROR)
        return eng_status_error(d, err, what, st);
    if (manifesting(st->state))
        return MPF_OK;
    return mpf_error_set(err, MPF_ERR_PROTOCOL,
                         "%s: device is in %s after the leave request, expected dfuMANIFEST; "
                         "it did not leave DFU mode", what, mpf_dfu_state_name(st->state));
}

static mpf_err left(mpf_dfu *d, eng_progress *progress, mpf_err why, mpf_error *err)
{
    d->left = 1;
    eng_log(d, MPF_LOG_INFO, "device left DFU mode (it dropped off the bus: %s)",
            mpf_err_name(why));
    mpf_error_clear(err);
    eng_progress_step(d, progress, 1);
    return MPF_OK;
}

mpf_err mpf_dfu_leave(mpf_dfu *d, uint32_t address, mpf_error *err)
{
    char what[ENG_WHAT_MAX];
    snprintf(what, sizeof what, "leave at 0x%08" PRIX32, address);
    if (d && d->transport && d->left) {
        /* Already gone (a leave, or the reset after read-unprotect). */
        eng_log(d, MPF_LOG_DEBUG, "%s: the device has already left DFU mode", what);
        return MPF_OK;
    }
    mpf_err rc = eng_require_open(d, what, err);
    if (rc == MPF_OK)
        rc = eng_require_dfuse(d, what, err);
    if (rc != MPF_OK)
        return rc;
    eng_progress progress = {MPF_PHASE_LEAVE, 0, 1};
    eng_progress_report(d, &progress);

    /* The jump goes to the pointer, which after a write is wherever the last
     * block went: always set it, on the flash's alt setting. */
    rc = eng_use_alt(d, 0, err);
    if (rc == MPF_OK)
        rc = eng_set_address(d, address, err);
    if (rc != MPF_OK)
        return rc;

    const mpf_err dnload_rc = eng_dnload(d, 0, NULL, 0, err);
    if (dnload_rc == MPF_ERR_USB_DISCONNECTED || dnload_rc == MPF_ERR_USB)
        return left(d, &progress, dnload_rc, err); /* gone while taking it: it reset */
    if (dnload_rc != MPF_OK && dnload_rc != MPF_ERR_USB_STALL)
        return eng_request_failed(d, dnload_rc, what, MPF_DFU_DNLOAD, err);
    /* A STALL is either the device refusing to leave or a device resetting
     * under the transfer (Linux reports some of those as a broken pipe):
     * the GETSTATUS tells which. */
    mpf_error dnload_err;
    mpf_error_clear(&dnload_err);
    if (dnload_rc != MPF_OK && err)
        dnload_err = *err;

    mpf_dfu_status_reply st;
    mpf_error status_err;
    mpf_error_clear(&status_err);
    rc = eng_getstatus(d, MPF_DFU_TIMEOUT_MS, &st, &status_err);
    if (gone(rc))
        return left(d, &progress, rc, err);
    if (rc != MPF_OK) {
        d->left = 1; /* it may still be on its way out */
        if (err)
            *err = status_err;
        return eng_request_failed(d, rc, what, MPF_DFU_GETSTATUS, err);
    }
    if (dnload_rc != MPF_OK && st.state == MPF_DFU_STATE_ERROR &&
        st.status == MPF_DFU_STATUS_ERR_VENDOR)
        return eng_status_error(d, err, what, &st); /* refused for read protection */
    if (dnload_rc != MPF_OK && !manifesting(st.state)) {
        if (err)
            *err = dnload_err;
        mpf_error_prefix(err, "%s: %s", what, mpf_dfu_request_name(MPF_DFU_DNLOAD));
        if (err)
            err->code = dnload_rc;
        eng_error_append(err, " (device then reported %s, %s: it refused to leave)",
                         mpf_dfu_status_name(st.status), mpf_dfu_state_name(st.state));
        return dnload_rc;
    }
    rc = manifest_state(d, what, &st, err);
    if (rc != MPF_OK)
        return rc;
    d->left = 1;
    mpf_error_clear(err);
    eng_log(d, MPF_LOG_INFO, "device is leaving DFU mode to run the firmware at 0x%08" PRIX32,
            address);
    eng_progress_step(d, &progress, 1);
    return MPF_OK;
}
