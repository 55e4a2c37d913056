/* Fuzz the plain DFU 1.1 engine (download, manifestation, verify, reset or
 * detach, and upload) against a device whose answers come from the fuzz
 * input. The first bytes choose the device (manifestation-tolerant or not,
 * can it upload, wTransferSize, leave by reset or DETACH); after that each
 * request takes one byte: behave (a small honest plain DFU device that
 * keeps the stream), lie in its reply (any status, state, poll timeout,
 * length), or fail (STALL, timeout, I/O error, gone).
 *
 * Checked beyond "no crash, no hang":
 *  - every wait is bounded: no sleep and no request timeout above the
 *    longest operation, and never timeout 0 (for ever);
 *  - once the input is used up the device is gone, and the engine gives up
 *    within a few requests;
 *  - after a data block or its status failed, no data block follows;
 *  - an error is a code with a one-line message;
 *  - a flash that succeeded, verified, and was never lied to left the image
 *    in the device's stream; an upload never returns more than asked. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mpflash/dfu.h"
#include "mpflash/engine.h"
#include "mpflash/plan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define IMAGE 600u
#define STORE 1024u
#define MAX_WAIT_MS MPF_DFU_MASS_ERASE_TIMEOUT_MS
#define AFTER_END_LIMIT 4

static void check(int ok)
{
    if (!ok)
        abort();
}

typedef struct pdev {
    const uint8_t *in;
    size_t len, pos;
    unsigned after_end;
    uint8_t state;
    int stored;            /* a block waits for its GETSTATUS */
    int manifesting;
    uint32_t at;           /* stream bytes so far */
    uint8_t mem[STORE];
    uint32_t up_at;        /* UPLOAD position */
    int lied;
    int block_failed;      /* a data block or its status failed */
    int tolerant;
} pdev;

static int next(pdev *f)
{
    if (f->pos >= f->len)
        return -1;
    return f->in[f->pos++];
}

static int begin(pdev *f, unsigned timeout_ms)
{
    check(timeout_ms > 0 && timeout_ms <= MAX_WAIT_MS);
    int b = next(f);
    if (b < 0) {
        f->after_end++;
        check(f->after_end <= AFTER_END_LIMIT);
    }
    return b;
}

/* Low three bits 0-5 behave (5: lie), 6-7 fail as bits 3-4 say. */
static int behaves(int b)
{
    return b >= 0 && (b & 7) < 6;
}

static mpf_err fail_with(pdev *f, int b, unsigned timeout_ms, mpf_error *err)
{
    (void)timeout_ms;
    if (b < 0)
        return mpf_error_set(err, MPF_ERR_USB_DISCONNECTED, "fuzz device: gone");
    switch ((b >> 3) & 3) {
    case 0:
        f->state = MPF_DFU_STATE_ERROR;
        f->stored = 0;
        return mpf_error_set(err, MPF_ERR_USB_STALL, "fuzz device: stall");
    case 1: return mpf_error_set(err, MPF_ERR_USB_TIMEOUT, "fuzz device: timeout");
    case 2: return mpf_error_set(err, MPF_ERR_USB, "fuzz device: I/O error");
    default: return mpf_error_set(err, MPF_ERR_USB_DISCONNECTED, "fuzz device: gone");
    }
}

static mpf_err p_out(void *ctx, uint8_t request, uint16_t value, const uint8_t *data, uint16_t length,
                     unsigned timeout_ms, mpf_error *err)
{
    pdev *f = ctx;
    (void)value;
    check(length == 0 || data != NULL);
    if (request == MPF_DFU_DNLOAD && length > 0)
        check(!f->block_failed);
    int b = begin(f, timeout_ms);
    if (!behaves(b)) {
        if (request == MPF_DFU_DNLOAD && length > 0)
            f->block_failed = 1;
        return fail_with(f, b, timeout_ms, err);
    }
    if (request == MPF_DFU_DNLOAD && length == 0) {
        f->manifesting = 1;
        f->state = MPF_DFU_STATE_MANIFEST_SYNC;
    } else if (request == MPF_DFU_DNLOAD) {
        if (f->state == MPF_DFU_STATE_IDLE)
            f->at = 0;
        for (uint16_t i = 0; i < length && f->at < STORE; i++)
            f->mem[f->at++] = data[i];
        f->stored = 1;
        f->state = MPF_DFU_STATE_DNLOAD_SYNC;
    } else if (request == MPF_DFU_CLRSTATUS || request == MPF_DFU_ABORT) {
        f->state = MPF_DFU_STATE_IDLE;
        f->stored = 0;
        f->up_at = 0;
    }
    return MPF_OK;
}

static void honest_status(pdev *f, uint8_t *r)
{
    memset(r, 0, 6);
    if (f->stored) {
        int b = next(f);
        r[1] = (uint8_t)(b > 0 ? b & 0x0F : 0);
        r[4] = MPF_DFU_STATE_DNBUSY;
        f->stored = 0;
        f->state = MPF_DFU_STATE_DNLOAD_IDLE;
        return;
    }
    if (f->manifesting) {
        r[4] = MPF_DFU_STATE_MANIFEST;
        f->manifesting = 0;
        f->state = f->tolerant ? MPF_DFU_STATE_IDLE : MPF_DFU_STATE_MANIFEST_WAIT_RESET;
        return;
    }
    r[4] = f->state;
}

static mpf_err p_in(void *ctx, uint8_t request, uint16_t value, uint8_t *data, uint16_t length, size_t *received,
                    unsigned timeout_ms, mpf_error *err)
{
    pdev *f = ctx;
    (void)value;
    *received = 0;
    int b = begin(f, timeout_ms);
    if (!behaves(b)) {
        if (request == MPF_DFU_GETSTATUS && f->state == MPF_DFU_STATE_DNLOAD_SYNC)
            f->block_failed = 1;
        return fail_with(f, b, timeout_ms, err);
    }
    const int lie = (b & 7) == 5;
    if (lie)
        f->lied = 1;
    if (request == MPF_DFU_GETSTATUS) {
        const int busy_block = f->stored;
        uint8_t r[6];
        honest_status(f, r);
        if (lie) {
            r[0] = (uint8_t)next(f);
            r[1] = (uint8_t)next(f);
            r[4] = (uint8_t)(next(f) % 12);
        }
        size_t n = lie ? (size_t)((b >> 3) % 8) : 6;
        n = n > length ? length : n;
        memcpy(data, r, n);
        *received = n;
        if (busy_block && (r[0] != 0 || r[4] == MPF_DFU_STATE_ERROR))
            f->block_failed = 1;
        return MPF_OK;
    }
    if (request == MPF_DFU_UPLOAD) {
        size_t n = f->up_at < f->at ? f->at - f->up_at : 0;
        n = n > length ? length : n;
        memcpy(data, f->mem + f->up_at, n);
        if (lie && n > 0)
            data[0] ^= 0x5A;
        f->up_at += (uint32_t)n;
        *received = lie ? (size_t)((b >> 3) % (length + 1u)) : n;
        return MPF_OK;
    }
    if (request == MPF_DFU_GETSTATE && length) {
        data[0] = f->state;
        *received = 1;
    }
    return MPF_OK;
}

static mpf_err p_alt(void *ctx, uint8_t alt, mpf_error *err)
{
    (void)ctx, (void)alt, (void)err;
    return MPF_OK;
}

static mpf_err p_reset(void *ctx, mpf_error *err)
{
    pdev *f = ctx;
    int b = begin(f, 1);
    return behaves(b) ? MPF_OK : fail_with(f, b, 1, err);
}

static void p_sleep(void *ctx, uint32_t ms)
{
    (void)ctx;
    check(ms <= MAX_WAIT_MS);
}

static uint64_t p_now(void *ctx)
{
    (void)ctx;
    return 0;
}

static void p_close(void *ctx)
{
    (void)ctx;
}

static const mpf_transport_ops ops = {
    .control_out = p_out, .control_in = p_in, .select_alt = p_alt, .reset = p_reset,
    .sleep_ms = p_sleep, .now_us = p_now, .close = p_close,
};

static void one_line(mpf_err rc, const mpf_error *err)
{
    if (rc != MPF_OK)
        check(err->code == rc && err->message[0] && !strchr(err->message, '\n'));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    static pdev f;
    memset(&f, 0, sizeof f);
    f.in = data + 2;
    f.len = size - 2;
    f.state = MPF_DFU_STATE_IDLE;
    f.tolerant = data[0] & 1;
    mpf_transport t;
    memset(&t, 0, sizeof t);
    t.ops = &ops;
    t.ctx = &f;
    t.info.func.dfu_version = 0x0110;
    t.info.func.attributes = (uint8_t)(MPF_DFU_ATTR_CAN_DNLOAD | (data[0] & 2) |
                                       (f.tolerant ? MPF_DFU_ATTR_MANIFEST_TOLERANT : 0));
    t.info.func.transfer_size = (uint16_t)(64u << ((data[0] >> 2) & 3)); /* 64..512 */
    t.info.func.detach_timeout_ms = 1000;
    t.info.num_alts = 1;
    snprintf(t.info.alts[0].name, sizeof t.info.alts[0].name, "Firmware");

    uint8_t image[IMAGE];
    for (size_t i = 0; i < IMAGE; i++)
        image[i] = (uint8_t)(i * 7 + 3);
    mpf_image img;
    mpf_image_init(&img);
    mpf_error err;
    mpf_error_clear(&err);
    check(mpf_image_add(&img, 0, 0, image, IMAGE, "fuzz.bin", &err) == MPF_OK);
    mpf_plan_options po;
    mpf_plan_options_default(&po);
    po.final_detach = (data[0] >> 4) & 1;
    mpf_plan plan;
    mpf_err rc = mpf_plan_build(&img, &t.info, &po, &plan, &err);
    check(rc == MPF_OK && plan.plain);

    mpf_dfu *d = NULL;
    rc = mpf_dfu_new(&t, NULL, &d, &err);
    one_line(rc, &err);
    if (rc == MPF_OK) {
        rc = mpf_dfu_flash_ex(d, &plan, NULL, &err);
        one_line(rc, &err);
        if (rc == MPF_OK && plan.verify && !mpf_dfu_unverified(d) && !f.lied)
            check(f.at >= IMAGE && memcmp(f.mem, image, IMAGE) == 0);
    }
    mpf_dfu_close(d);

    /* The same device read out, bounded. */
    if ((data[1] & 1) && f.after_end == 0) {
        f.block_failed = 0;
        d = NULL;
        rc = mpf_dfu_new(&t, NULL, &d, &err);
        uint8_t *out = NULL;
        size_t got = 0;
        size_t max = (size_t)(data[1] >> 1) * 16u;
        if (rc == MPF_OK) {
            rc = mpf_dfu_upload(d, 0, max, &out, &got, &err);
            one_line(rc, &err);
            if (rc == MPF_OK)
                check(max == 0 || got <= max);
        }
        free(out);
        mpf_dfu_close(d);
    }
    mpf_plan_free(&plan);
    mpf_image_free(&img);
    return 0;
}
