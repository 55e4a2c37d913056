/* Reading memory back (DfuSe UPLOAD) and comparing it with what was written.
 *
 * UPLOAD wBlockNum n reads pointer + (n - 2) * wTransferSize, so once the
 * pointer is set any later piece that lines up with it is a single request,
 * in any order: the reader only sets the pointer again when a piece does not
 * line up or lies beyond wBlockNum 65535. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine_internal.h"

mpf_err eng_reader_open(eng_reader *r, mpf_dfu *d, uint8_t alt, mpf_error *err)
{
    memset(r, 0, sizeof *r);
    r->d = d;
    mpf_err rc = eng_require_dfuse(d, "reading memory", err);
    if (rc != MPF_OK)
        return rc;
    if (!(d->transport->info.func.attributes & MPF_DFU_ATTR_CAN_UPLOAD))
        return mpf_error_set(err, MPF_ERR_REFUSED, "the device cannot upload (bitCanUpload is 0), "
                             "so memory cannot be read back");
    if (d->transfer_size == 0 && d->read_size == 0)
        return mpf_error_set(err, MPF_ERR_PROTOCOL, "the device reports wTransferSize 0");
    rc = eng_use_alt(d, alt, err);
    if (rc != MPF_OK)
        return rc;
    r->stride = d->transfer_size;
    const uint16_t room = d->read_size > d->transfer_size ? d->read_size : d->transfer_size;
    r->buf = malloc(room);
    if (!r->buf)
        return mpf_error_set(err, MPF_ERR_NOMEM, "out of memory for a %u-byte read buffer",
                             (unsigned)room);
    return MPF_OK;
}

void eng_reader_free(eng_reader *r)
{
    free(r->buf);
    r->buf = NULL;
}

mpf_err eng_reader_rewind(eng_reader *r, mpf_error *err)
{
    r->pointed = 0;
    if (!r->uploading)
        return MPF_OK;
    r->uploading = 0;
    mpf_err rc = eng_abort(r->d, err);
    return rc ? eng_request_failed(r->d, rc, "end of read", MPF_DFU_ABORT, err) : MPF_OK;
}

mpf_err eng_reader_close(eng_reader *r, mpf_error *err)
{
    mpf_err rc = eng_reader_rewind(r, err);
    eng_reader_free(r);
    return rc;
}

/* The pointer is set from dfuIDLE or dfuDNLOAD-IDLE, which leaves the device
 * in dfuDNLOAD-IDLE, where UPLOAD is not allowed: ABORT goes back to dfuIDLE. */
static mpf_err point_at(eng_reader *r, uint32_t address, mpf_error *err)
{
    mpf_err rc = eng_reader_rewind(r, err);
    if (rc == MPF_OK)
        rc = eng_set_address(r->d, address, err);
    if (rc != MPF_OK)
        return rc;
    rc = eng_abort(r->d, err);
    if (rc != MPF_OK) {
        char what[ENG_WHAT_MAX];
        snprintf(what, sizeof what, "read at 0x%08" PRIX32, address);
        return eng_request_failed(r->d, rc, what, MPF_DFU_ABORT, err);
    }
    r->pointer = address;
    r->pointed = 1;
    return MPF_OK;
}

/* A stalled UPLOAD: find out whether the device refused the read (it then
 * sits in dfuERROR with a reason) or something else went wrong. */
static mpf_err upload_failed(eng_reader *r, mpf_err rc, const char *what, mpf_error *err)
{
    mpf_dfu_status_reply st;
    int asked = 0;
    rc = eng_request_failed_status(r->d, rc, what, MPF_DFU_UPLOAD, &st, &asked, err);
    r->uploading = 0;
    r->pointed = 0;
    if (asked && st.state == MPF_DFU_STATE_ERROR && st.status != MPF_DFU_STATUS_ERR_STALLEDPKT) {
        r->refused = 1;
        r->refused_status = st.status;
        /* Read protection is the device's answer, not a USB fault, and it
         * comes with something the user can do about it. */
        if (st.status == MPF_DFU_STATUS_ERR_VENDOR)
            return eng_status_error(r->d, err, what, &st);
    }
    return rc;
}

mpf_err eng_reader_get(eng_reader *r, uint32_t address, uint16_t len, const uint8_t **data,
                       mpf_error *err)
{
    const uint16_t ts = r->stride;
    uint32_t block = 0;
    if (r->pointed && ts && address >= r->pointer && (address - r->pointer) % ts == 0)
        block = (address - r->pointer) / ts + MPF_DFUSE_FIRST_DATA_BLOCK;
    if (block == 0 || block > UINT16_MAX) {
        mpf_err rc = point_at(r, address, err);
        if (rc != MPF_OK)
            return rc;
        block = MPF_DFUSE_FIRST_DATA_BLOCK;
    }
    char what[ENG_WHAT_MAX];
    snprintf(what, sizeof what, "read of block %" PRIu32 " at 0x%08" PRIX32, block, address);
    size_t got = 0;
    mpf_err rc = eng_upload(r->d, (uint16_t)block, r->buf, len, &got, err);
    if (rc == MPF_ERR_USB_STALL)
        return upload_failed(r, rc, what, err);
    if (rc != MPF_OK)
        return eng_request_failed(r->d, rc, what, MPF_DFU_UPLOAD, err);
    r->uploading = 1;
    if (!r->asked && eng_is_mboot(r->d)) {
        /* mboot built with MBOOT_ENABLE_PACKING answers UPLOAD with bytes
         * that are not flash and says so only in the next GETSTATUS
         * (errFILE, "Read support disabled on encrypted bootloader":
         * main.c, do_read); an ABORT would clear that. Ask once per read. */
        r->asked = 1;
        mpf_dfu_status_reply st;
        rc = eng_getstatus(r->d, MPF_DFU_TIMEOUT_MS, &st, err);
        if (rc != MPF_OK)
            return eng_request_failed(r->d, rc, what, MPF_DFU_GETSTATUS, err);
        if (st.status != MPF_DFU_STATUS_OK || st.state == MPF_DFU_STATE_ERROR) {
            r->uploading = st.state == MPF_DFU_STATE_UPLOAD_IDLE;
            r->refused = 1;
            r->refused_status = st.status;
            return eng_status_error(r->d, err, what, &st);
        }
    }
    if (got != len)
        return mpf_error_set(err, MPF_ERR_PROTOCOL, "%s: device returned %zu of %u bytes", what,
                             got, (unsigned)len);
    *data = r->buf;
    return MPF_OK;
}

mpf_err eng_read_range(mpf_dfu *d, uint8_t alt, uint32_t address, size_t len, eng_sink sink,
                       void *ctx, eng_progress *progress, mpf_error *err)
{
    if (len == 0)
        return MPF_OK;
    if (len - 1 > UINT32_MAX - address)
        return mpf_error_set(err, MPF_ERR_USAGE, "read of %zu bytes at 0x%08" PRIX32
                             " runs past the end of the address space", len, address);
    if (d->read_size && d->transfer_size && d->read_size > d->transfer_size)
        return mpf_error_set(err, MPF_ERR_USAGE,
                             "a read size of %u bytes is more than the device sends per request "
                             "(wTransferSize %u): use %u or less, or leave it out",
                             (unsigned)d->read_size, (unsigned)d->transfer_size,
                             (unsigned)d->transfer_size);
    eng_reader r;
    mpf_err rc = eng_reader_open(&r, d, alt, err);
    const uint16_t chunk = d->read_size ? d->read_size : d->transfer_size;
    if (chunk != d->transfer_size)
        r.stride = 0; /* block n would not be n - 2 chunks past the pointer */
    for (size_t off = 0; rc == MPF_OK && off < len;) {
        size_t left = len - off;
        uint16_t n = left < chunk ? (uint16_t)left : chunk;
        uint32_t at = address + (uint32_t)off;
        const uint8_t *data = NULL;
        rc = eng_reader_get(&r, at, n, &data, err);
        if (rc == MPF_OK)
            rc = sink(ctx, at, data, n, err);
        off += n;
        if (rc == MPF_OK)
            eng_progress_step(d, progress, n);
    }
    if (rc != MPF_OK) {
        eng_reader_free(&r);
        return rc;
    }
    return eng_reader_close(&r, err);
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

static mpf_err compare(const uint8_t *want, const uint8_t *got, size_t len, uint32_t address,
                       mpf_error *err)
{
    if (memcmp(want, got, len) == 0)
        return MPF_OK;
    size_t i = 0;
    while (want[i] == got[i])
        i++;
    return mpf_error_set(err, MPF_ERR_VERIFY,
                         "verify failed at 0x%08" PRIX32 ": wrote 0x%02X, read 0x%02X; the sector "
                         "may be write-protected (ST's bootloader does not report that on erase)",
                         address + (uint32_t)i, (unsigned)want[i], (unsigned)got[i]);
}

/* What went wrong reading back is told apart from what went wrong writing:
 * the write finished, so the firmware may well be on the chip. */
static mpf_err verify_failed(mpf_err rc, const mpf_plan_write *w, mpf_error *err)
{
    if (rc == MPF_ERR_VERIFY)
        return rc; /* already a verify message, with the address that differs */
    mpf_error_prefix(err, "verify of 0x%08" PRIX32 "-0x%08" PRIX32, w->address,
                     w->address + (uint32_t)(w->size - 1));
    return rc;
}

/* The run ends back in dfuIDLE, so the ABORT that ends its reads fails as
 * part of the verify, not of whatever comes next. */
mpf_err eng_verify_run(eng_reader *r, const eng_map *m, const mpf_plan_write *w,
                       eng_progress *progress, mpf_error *err)
{
    mpf_err rc = eng_reader_rewind(r, err);
    const uint16_t ts = r->d->transfer_size;
    for (size_t off = 0; rc == MPF_OK && off < w->size;) {
        size_t left = w->size - off;
        uint16_t n = left < ts ? (uint16_t)left : ts;
        uint32_t at = w->address + (uint32_t)off;
        const uint8_t *want = w->data + off;
        off += n;
        if (eng_block_fate(m, w->alt, at, want, n) == ENG_SKIP_KEPT)
            continue;
        const uint8_t *got = NULL;
        rc = eng_reader_get(r, at, n, &got, err);
        if (rc == MPF_OK)
            rc = compare(want, got, n, at, err);
        if (rc == MPF_OK)
            eng_progress_step(r->d, progress, n);
    }
    if (rc == MPF_OK)
        rc = eng_reader_rewind(r, err);
    return rc == MPF_OK ? MPF_OK : verify_failed(rc, w, err);
}
