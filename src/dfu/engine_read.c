/* Reading memory back (DfuSe UPLOAD) and comparing it with what was written. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dfu/engine_internal.h"

/* The pointer is set from dfuIDLE or dfuDNLOAD-IDLE, which leaves the device
 * in dfuDNLOAD-IDLE, where UPLOAD is not allowed: ABORT goes back to dfuIDLE. */
static mpf_err point_at(mpf_dfu *d, uint32_t address, mpf_error *err)
{
    mpf_err rc = eng_set_address(d, address, err);
    if (rc != MPF_OK)
        return rc;
    rc = eng_abort(d, err);
    if (rc != MPF_OK) {
        char what[ENG_WHAT_MAX];
        snprintf(what, sizeof what, "read at 0x%08" PRIX32, address);
        return eng_request_failed(d, rc, what, MPF_DFU_ABORT, err);
    }
    return MPF_OK;
}

static mpf_err read_blocks(mpf_dfu *d, uint8_t *buf, uint32_t address, size_t len, eng_sink sink,
                           void *ctx, eng_progress *progress, mpf_error *err)
{
    const uint16_t ts = d->transfer_size;
    uint32_t block = 0; /* next wBlockNum; 0 = the pointer must be set first */
    for (size_t off = 0; off < len;) {
        size_t left = len - off;
        uint16_t n = left < ts ? (uint16_t)left : ts;
        uint32_t at = address + (uint32_t)off;
        if (block == 0 || block > UINT16_MAX) {
            /* Setting the pointer again is a DNLOAD: leave dfuUPLOAD-IDLE first. */
            mpf_err rc = block ? eng_abort(d, err) : MPF_OK;
            if (rc != MPF_OK)
                return eng_request_failed(d, rc, "read", MPF_DFU_ABORT, err);
            rc = point_at(d, at, err);
            if (rc != MPF_OK)
                return rc;
            block = MPF_DFUSE_FIRST_DATA_BLOCK;
        }
        char what[ENG_WHAT_MAX];
        snprintf(what, sizeof what, "read of block %" PRIu32 " at 0x%08" PRIX32, block, at);
        size_t got = 0;
        mpf_err rc = eng_upload(d, (uint16_t)block, buf, n, &got, err);
        if (rc != MPF_OK)
            return eng_request_failed(d, rc, what, MPF_DFU_UPLOAD, err);
        if (got != n)
            return mpf_error_set(err, MPF_ERR_PROTOCOL, "%s: device returned %zu of %u bytes", what,
                                 got, (unsigned)n);
        rc = sink(ctx, at, buf, n, err);
        if (rc != MPF_OK)
            return rc;
        off += n;
        block++;
        eng_progress_step(d, progress, n);
    }
    mpf_err rc = eng_abort(d, err);
    return rc ? eng_request_failed(d, rc, "end of read", MPF_DFU_ABORT, err) : MPF_OK;
}

mpf_err eng_read_range(mpf_dfu *d, uint8_t alt, uint32_t address, size_t len, eng_sink sink,
                       void *ctx, eng_progress *progress, mpf_error *err)
{
    if (len == 0)
        return MPF_OK;
    if (len - 1 > UINT32_MAX - address)
        return mpf_error_set(err, MPF_ERR_USAGE, "read of %zu bytes at 0x%08" PRIX32
                             " runs past the end of the address space", len, address);
    mpf_err rc = eng_require_dfuse(d, "reading memory", err);
    if (rc != MPF_OK)
        return rc;
    if (!(d->transport->info.func.attributes & MPF_DFU_ATTR_CAN_UPLOAD))
        return mpf_error_set(err, MPF_ERR_REFUSED, "the device cannot upload (bitCanUpload is 0), "
                             "so memory cannot be read back");
    if (d->transfer_size == 0)
        return mpf_error_set(err, MPF_ERR_PROTOCOL, "the device reports wTransferSize 0");
    rc = eng_use_alt(d, alt, err);
    if (rc != MPF_OK)
        return rc;
    uint8_t *buf = malloc(d->transfer_size);
    if (!buf)
        return mpf_error_set(err, MPF_ERR_NOMEM, "out of memory for a %u-byte read buffer",
                             (unsigned)d->transfer_size);
    rc = read_blocks(d, buf, address, len, sink, ctx, progress, err);
    free(buf);
    return rc;
}

typedef struct copy_ctx {
    uint8_t *dst;
    uint32_t base;
} copy_ctx;

static mpf_err copy_sink(void *ctx, uint32_t address, const uint8_t *data, size_t len,
                         mpf_error *err)
{
    (void)err;
    copy_ctx *c = ctx;
    memcpy(c->dst + (address - c->base), data, len);
    return MPF_OK;
}

mpf_err mpf_dfu_read(mpf_dfu *d, uint8_t alt, uint32_t address, uint8_t *buf, size_t len,
                     mpf_error *err)
{
    mpf_err rc = eng_require_open(d, "reading memory", err);
    if (rc != MPF_OK)
        return rc;
    if (!buf && len)
        return mpf_error_set(err, MPF_ERR_USAGE, "mpf_dfu_read: no buffer");
    copy_ctx c = {buf, address};
    eng_progress progress = {MPF_PHASE_READ, 0, len};
    eng_progress_report(d, &progress);
    return eng_read_range(d, alt, address, len, copy_sink, &c, &progress, err);
}

typedef struct compare_ctx {
    const uint8_t *expected;
    uint32_t base;
} compare_ctx;

static mpf_err compare_sink(void *ctx, uint32_t address, const uint8_t *data, size_t len,
                            mpf_error *err)
{
    compare_ctx *c = ctx;
    const uint8_t *want = c->expected + (address - c->base);
    if (memcmp(want, data, len) == 0)
        return MPF_OK;
    size_t i = 0;
    while (want[i] == data[i])
        i++;
    return mpf_error_set(err, MPF_ERR_VERIFY,
                         "verify failed at 0x%08" PRIX32 ": wrote 0x%02X, read 0x%02X; the sector "
                         "may be write-protected (ST's bootloader does not report that on erase)",
                         address + (uint32_t)i, (unsigned)want[i], (unsigned)data[i]);
}

mpf_err eng_verify_run(mpf_dfu *d, const mpf_plan_write *w, eng_progress *progress,
                       mpf_error *err)
{
    compare_ctx c = {w->data, w->address};
    return eng_read_range(d, w->alt, w->address, w->size, compare_sink, &c, progress, err);
}
