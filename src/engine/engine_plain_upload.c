/* Plain DFU 1.1 UPLOAD: blocks from 0 until a short frame (DFU 1.1 6.2),
 * for reading a device out and for verifying a download. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine_internal.h"

static mpf_err grow(uint8_t **buf, size_t *cap, size_t need, mpf_error *err)
{
    if (need <= *cap)
        return MPF_OK;
    size_t next = *cap ? *cap : 64u * 1024u;
    while (next < need)
        next *= 2;
    uint8_t *p = realloc(*buf, next);
    if (!p)
        return mpf_error_set(err, MPF_ERR_NOMEM, "out of memory for %zu bytes of upload", next);
    *buf = p;
    *cap = next;
    return MPF_OK;
}

mpf_err eng_plain_upload(mpf_dfu *d, size_t max, uint8_t **buf, size_t *cap, size_t *len,
                         eng_progress *progress, mpf_error *err)
{
    const uint16_t ts = d->transfer_size;
    *len = 0;
    if (ts == 0)
        return mpf_error_set(err, MPF_ERR_PROTOCOL, "upload: the device reports wTransferSize 0");
    int short_frame = 0;
    for (uint32_t index = 0; !short_frame && (max == 0 || *len < max); index++) {
        uint16_t ask = (uint16_t)(max && max - *len < ts ? max - *len : ts);
        mpf_err rc = grow(buf, cap, *len + ts, err);
        if (rc != MPF_OK)
            return rc;
        size_t got = 0;
        rc = eng_upload(d, (uint16_t)(index & 0xFFFFu), *buf + *len, ask, &got, err);
        if (rc != MPF_OK) {
            char what[ENG_WHAT_MAX];
            snprintf(what, sizeof what, "read of block %u (stream offset %zu)", (unsigned)(index & 0xFFFFu), *len);
            return eng_request_failed(d, rc, what, MPF_DFU_UPLOAD, err);
        }
        *len += got;
        short_frame = got < ask;
        if (progress)
            eng_progress_step(d, progress, got);
    }
    if (short_frame)
        return MPF_OK; /* the device went back to dfuIDLE by itself */
    /* Stopped at max in dfuUPLOAD-IDLE: back to dfuIDLE for what follows. */
    mpf_err rc = eng_abort(d, err);
    return rc ? eng_request_failed(d, rc, "end of upload", MPF_DFU_ABORT, err) : MPF_OK;
}

mpf_err eng_plain_verify(mpf_dfu *d, const mpf_plan_write *w, eng_progress *progress, mpf_error *err)
{
    uint8_t *buf = NULL;
    size_t cap = 0, len = 0;
    mpf_err rc = eng_plain_upload(d, w->size, &buf, &cap, &len, progress, err);
    if (rc == MPF_OK && len == 0) {
        d->unverified = "the device answered UPLOAD with 0 bytes: it cannot read back what it holds";
        eng_log(d, MPF_LOG_WARN, "not verified: %s", d->unverified);
    } else if (rc == MPF_OK && len < w->size) {
        rc = mpf_error_set(err, MPF_ERR_VERIFY,
                           "verify of alt %u: the device returned %zu of the %zu bytes written (a short "
                           "frame ended its upload there)",
                           (unsigned)w->alt, len, w->size);
    } else if (rc == MPF_OK) {
        for (size_t i = 0; i < w->size; i++)
            if (buf[i] != w->data[i]) {
                rc = mpf_error_set(err, MPF_ERR_VERIFY,
                                   "verify failed at stream offset %zu (0x%zX) of alt %u: wrote 0x%02X, read "
                                   "back 0x%02X",
                                   i, i, (unsigned)w->alt, w->data[i], buf[i]);
                break;
            }
    }
    free(buf);
    return rc;
}

mpf_err mpf_dfu_upload(mpf_dfu *d, uint8_t alt, size_t max, uint8_t **out, size_t *len, mpf_error *err)
{
    if (!out || !len)
        return mpf_error_set(err, MPF_ERR_USAGE, "mpf_dfu_upload: out and len must not be NULL");
    *out = NULL;
    *len = 0;
    mpf_err rc = eng_require_open(d, "upload", err);
    if (rc == MPF_OK && !(d->transport->info.func.attributes & MPF_DFU_ATTR_CAN_UPLOAD))
        rc = mpf_error_set(err, MPF_ERR_REFUSED, "upload: the device cannot upload (bitCanUpload is 0)");
    if (rc == MPF_OK && d->dfuse)
        rc = mpf_error_set(err, MPF_ERR_USAGE,
                           "upload: this is an ST DfuSe device, which reads by address: use mpf_dfu_read");
    if (rc == MPF_OK)
        rc = eng_use_alt(d, alt, err);
    if (rc != MPF_OK)
        return rc;
    eng_progress progress = {MPF_PHASE_READ, 0, max};
    eng_progress_report(d, &progress);
    size_t cap = 0;
    rc = eng_plain_upload(d, max, out, &cap, len, &progress, err);
    if (rc != MPF_OK) {
        free(*out);
        *out = NULL;
        *len = 0;
    }
    return rc;
}
