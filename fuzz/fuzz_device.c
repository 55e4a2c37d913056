/* Fuzz the engine against a device whose every answer comes from the fuzz
 * input: STALLs, timeouts, disconnects, GETSTATUS replies with any status,
 * state, poll timeout and length, short and long UPLOADs. By default the
 * device behaves (a small model of a DfuSe bootloader: it keeps the address
 * pointer and the bytes written), so the fuzzer reaches every phase; the
 * input decides, request by request, where it lies.
 *
 * Beyond "no crash, no hang" it checks what the engine promises:
 *  - every wait is bounded: no sleep and no request timeout above the
 *    longest operation (a mass erase, 64 s), and never timeout 0 (for ever);
 *  - once the input is used up the device is gone, and the engine gives up
 *    within a few requests; so a run costs time linear in its input, and
 *    its virtual clock at most two of the longest waits per request;
 *  - after the first failure during a flash (a transport error, or a
 *    status reply with an error) at most one request follows, a GETSTATUS,
 *    and nothing that could change flash;
 *  - an error is a code with a one-line message;
 *  - a flash that verified without a lie in its read-back left the image
 *    in the device's memory. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/dfu_session.h"
#include "mpflash/dfu.h"
#include "mpflash/engine.h"
#include "mpflash/plan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define LAYOUT "@Internal Flash  /0x08000000/04*016Kg,01*064Kg,03*128Kg"
/* The device's memory that the image can reach: two windows. */
#define WIN 4096u
static const uint32_t windows[2] = {0x08000000u, 0x08020000u};
#define MAX_WAIT_MS MPF_DFU_MASS_ERASE_TIMEOUT_MS
#define AFTER_END_LIMIT 4

static void check(int ok)
{
    if (!ok)
        abort();
}

typedef struct fdev {
    const uint8_t *in;
    size_t len, pos;
    unsigned after_end;   /* requests answered after the input ran out */
    uint64_t requests;
    uint64_t now_us;
    uint16_t ts;          /* the wTransferSize the device maps blocks with */
    uint8_t state;        /* the state an honest device would be in */
    uint8_t status;       /* and its status there */
    int stored;           /* a DNLOAD waits for its GETSTATUS */
    int leaving;
    uint32_t pointer;
    uint8_t mem[2][WIN];
    int upload_lied;
    /* invariants */
    int flashing;
    int lenient;          /* skip-unchanged's check: a refused read is cleared, not fatal */
    mpf_phase phase;      /* the engine's last progress report */
    int failed;           /* a failure was shown to the engine while flashing */
    unsigned after_failure;
} fdev;

/* A failure the engine must stop at, not work around. */
static void failure(fdev *f)
{
    if (f->flashing && !(f->lenient && f->phase == MPF_PHASE_READ))
        f->failed = 1;
}

static int next(fdev *f)
{
    if (f->pos >= f->len)
        return -1;
    return f->in[f->pos++];
}

static uint8_t *cell(fdev *f, uint32_t address)
{
    for (int w = 0; w < 2; w++)
        if (address >= windows[w] && address - windows[w] < WIN)
            return &f->mem[w][address - windows[w]];
    return NULL;
}

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Every request passes here first: the invariants about what the engine
 * may still send, and the device's way of answering (one input byte). */
static int begin(fdev *f, uint8_t request, unsigned timeout_ms, int changes_flash)
{
    check(timeout_ms > 0 && timeout_ms <= MAX_WAIT_MS);
    f->requests++;
    if (f->failed) {
        f->after_failure++;
        check(f->after_failure == 1 && request == MPF_DFU_GETSTATUS && !changes_flash);
    }
    int b = next(f);
    if (b < 0) {
        f->after_end++;
        check(f->after_end <= AFTER_END_LIMIT);
    }
    return b;
}

static mpf_err fail_with(fdev *f, int b, unsigned timeout_ms, mpf_error *err)
{
    failure(f);
    if (b < 0)
        return mpf_error_set(err, MPF_ERR_USB_DISCONNECTED, "fuzz device: gone");
    switch ((b >> 3) & 3) {
    case 0:
        f->state = MPF_DFU_STATE_ERROR;
        f->status = MPF_DFU_STATUS_ERR_STALLEDPKT;
        f->stored = 0;
        return mpf_error_set(err, MPF_ERR_USB_STALL, "fuzz device: stall");
    case 1:
        f->now_us += (uint64_t)timeout_ms * 1000;
        return mpf_error_set(err, MPF_ERR_USB_TIMEOUT, "fuzz device: timeout");
    case 2:
        return mpf_error_set(err, MPF_ERR_USB, "fuzz device: I/O error");
    default:
        return mpf_error_set(err, MPF_ERR_USB_DISCONNECTED, "fuzz device: gone");
    }
}

/* Low three bits 0-5: behave; 6-7: fail as bits 3-4 say. */
static int behaves(int b)
{
    return b >= 0 && (b & 7) < 6;
}

static mpf_err f_out(void *ctx, uint8_t request, uint16_t value, const uint8_t *data,
                     uint16_t length, unsigned timeout_ms, mpf_error *err)
{
    fdev *f = ctx;
    check(length == 0 || data != NULL);
    int b = begin(f, request, timeout_ms, request == MPF_DFU_DNLOAD);
    if (!behaves(b))
        return fail_with(f, b, timeout_ms, err);
    f->now_us += 100;
    if (request == MPF_DFU_DNLOAD) {
        if (length == 0) {
            f->leaving = 1;
        } else if (value == 0 && length >= 5 && data[0] == MPF_DFUSE_CMD_SET_ADDRESS) {
            f->pointer = le32(data + 1);
        } else if (value >= MPF_DFUSE_FIRST_DATA_BLOCK) {
            uint32_t at = f->pointer + (uint32_t)(value - MPF_DFUSE_FIRST_DATA_BLOCK) * f->ts;
            for (uint16_t i = 0; i < length; i++) {
                uint8_t *c = cell(f, at + i);
                if (c)
                    *c = data[i];
            }
        }
        f->stored = 1;
        f->state = MPF_DFU_STATE_DNLOAD_SYNC;
    } else if (request == MPF_DFU_CLRSTATUS || request == MPF_DFU_ABORT) {
        f->state = MPF_DFU_STATE_IDLE;
        f->stored = 0;
    }
    return MPF_OK;
}

static void honest_status(fdev *f, uint8_t *reply)
{
    memset(reply, 0, 6);
    if (f->state == MPF_DFU_STATE_ERROR)
        reply[0] = f->status;
    if (f->leaving) {
        reply[4] = MPF_DFU_STATE_MANIFEST;
        return;
    }
    if (f->stored) {
        /* runs it: busy for a few ms, then idle */
        int b = next(f);
        reply[1] = (uint8_t)(b > 0 ? b & 0x1F : 0);
        reply[4] = MPF_DFU_STATE_DNBUSY;
        f->stored = 0;
        f->state = MPF_DFU_STATE_DNLOAD_IDLE;
        return;
    }
    reply[4] = f->state;
}

static mpf_err f_in(void *ctx, uint8_t request, uint16_t value, uint8_t *data, uint16_t length,
                    size_t *received, unsigned timeout_ms, mpf_error *err)
{
    fdev *f = ctx;
    *received = 0;
    int b = begin(f, request, timeout_ms, 0);
    if (!behaves(b))
        return fail_with(f, b, timeout_ms, err);
    f->now_us += 100;
    const int lie = (b & 7) == 5;
    if (request == MPF_DFU_GETSTATUS && length >= 6) {
        honest_status(f, data);
        *received = 6;
        if (lie) {
            /* any six bytes, any length (up to one more than asked) */
            for (int i = 0; i < 6; i++) {
                int v = next(f);
                data[i] = (uint8_t)(v < 0 ? 0 : v);
            }
            int n = next(f);
            *received = n < 0 ? 6 : (size_t)(n % 8);
        }
        if (*received != 6 || data[0] != MPF_DFU_STATUS_OK || data[4] == MPF_DFU_STATE_ERROR)
            failure(f);
        return MPF_OK;
    }
    if (request == MPF_DFU_UPLOAD && value >= MPF_DFUSE_FIRST_DATA_BLOCK) {
        uint32_t at = f->pointer + (uint32_t)(value - MPF_DFUSE_FIRST_DATA_BLOCK) * f->ts;
        for (uint16_t i = 0; i < length; i++) {
            const uint8_t *c = cell(f, at + i);
            data[i] = c ? *c : 0xFF;
        }
        *received = length;
        if (lie) {
            f->upload_lied = 1;
            int n = next(f);
            if (n >= 0 && (n & 1) && length)
                data[(size_t)n % length] ^= (uint8_t)(n | 1);
            else if (n >= 0)
                *received = (size_t)(n >> 1) % ((size_t)length + 2);
        }
        if (*received != length)
            failure(f);
        return MPF_OK;
    }
    *received = 0;
    return MPF_OK;
}

static mpf_err f_select_alt(void *ctx, uint8_t alt, mpf_error *err)
{
    fdev *f = ctx;
    (void)alt;
    int b = begin(f, 0xFF, MPF_DFU_TIMEOUT_MS, 0);
    if (!behaves(b))
        return fail_with(f, b, MPF_DFU_TIMEOUT_MS, err);
    return MPF_OK;
}

static mpf_err f_reset(void *ctx, mpf_error *err)
{
    (void)ctx;
    return mpf_error_set(err, MPF_ERR_USB_DISCONNECTED, "fuzz device: reset");
}

static void f_sleep(void *ctx, uint32_t ms)
{
    fdev *f = ctx;
    check(ms <= MAX_WAIT_MS);
    f->now_us += (uint64_t)ms * 1000;
}

static uint64_t f_now(void *ctx)
{
    const fdev *f = ctx;
    return f->now_us;
}

static void f_close(void *ctx)
{
    (void)ctx;
}

static const mpf_transport_ops fuzz_ops = {
    .control_out = f_out,
    .control_in = f_in,
    .select_alt = f_select_alt,
    .reset = f_reset,
    .sleep_ms = f_sleep,
    .now_us = f_now,
    .close = f_close,
};

static void on_progress(void *user, mpf_phase phase, uint64_t done, uint64_t total)
{
    fdev *f = user;
    check(phase < MPF_PHASE__COUNT && done <= total);
    f->phase = phase;
}

static void on_log(void *user, mpf_log_level level, const char *message)
{
    (void)user;
    check(level <= MPF_LOG_TRACE && message[0] != '\0' && strchr(message, '\n') == NULL);
}

static void check_error(mpf_err rc, const mpf_error *err)
{
    if (rc == MPF_OK)
        return;
    check(err->code == rc && err->message[0] != '\0');
    check(strchr(err->message, '\n') == NULL && strchr(err->message, '\r') == NULL);
}

/* The image: a vector table and some text, as MicroPython's, kept small. */
static void make_image(mpf_image *img, uint32_t seed)
{
    uint8_t a[600], b[1500];
    for (size_t i = 0; i < sizeof a; i++)
        a[i] = (uint8_t)(seed + i * 7);
    for (size_t i = 0; i < sizeof b; i++)
        b[i] = (uint8_t)(seed * 3 + i * 13);
    check(mpf_image_add(img, 0, windows[0], a, sizeof a, "fuzz", NULL) == MPF_OK);
    check(mpf_image_add(img, 0, windows[1] + 100, b, sizeof b, "fuzz", NULL) == MPF_OK);
    check(mpf_image_normalize(img, NULL) == MPF_OK);
}

static int image_in_memory(fdev *f, const mpf_image *img)
{
    for (size_t s = 0; s < img->count; s++)
        for (size_t i = 0; i < img->segments[s].size; i++) {
            const uint8_t *c = cell(f, img->segments[s].address + (uint32_t)i);
            if (!c || *c != img->segments[s].data[i])
                return 0;
        }
    return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 3 || size > 8192)
        return 0;
    static const uint16_t sizes[8] = {2048, 1024, 64, 65535, 0, 3, 8, 600};
    fdev dev;
    fdev *f = &dev;
    memset(f, 0, sizeof *f);
    memset(f->mem, 0xFF, sizeof f->mem);
    f->in = data + 3;
    f->len = size - 3;
    f->ts = sizes[data[0] & 7];
    /* as ROM bootloaders often start */
    f->state = (data[0] & 0x80) ? MPF_DFU_STATE_ERROR : MPF_DFU_STATE_IDLE;
    f->status = (data[0] & 0x80) ? MPF_DFU_STATUS_ERR_FIRMWARE : MPF_DFU_STATUS_OK;

    mpf_transport t;
    memset(&t, 0, sizeof t);
    t.ops = &fuzz_ops;
    t.ctx = f;
    t.info.mode = MPF_MODE_DFU;
    t.info.func.attributes = (data[0] & 0x08) ? 0x09 : 0x0B; /* canUpload or not */
    t.info.func.transfer_size = f->ts;
    t.info.func.dfu_version = (data[0] & 0x70) == 0x70 ? 0x0110 : MPF_DFU_VERSION_DFUSE;
    t.info.num_alts = 1;
    memcpy(t.info.alts[0].name, LAYOUT, sizeof LAYOUT);

    mpf_plan_options opt;
    mpf_plan_options_default(&opt);
    opt.verify = data[1] & 1;
    opt.leave = (data[1] >> 1) & 1;
    opt.mass_erase = (data[1] >> 2) & 1;
    opt.transfer_size = (data[1] & 0x08) ? 2048 : 0;
    const int action = (data[1] >> 4) & 3;

    mpf_image img;
    mpf_image_init(&img);
    make_image(&img, data[2]);
    mpf_plan plan;
    mpf_error err;
    mpf_error_clear(&err);
    mpf_err rc = mpf_plan_build(&img, &t.info, &opt, &plan, &err);
    if (rc != MPF_OK) {
        check_error(rc, &err);
        mpf_image_free(&img);
        return 0;
    }
    mpf_dfu d;
    const mpf_callbacks cb = {on_progress, (data[2] & 1) ? on_log : NULL, f};
    f->lenient = action == 2;
    rc = mpf_dfu_open(&d, &t, &cb, &err);
    check_error(rc, &err);
    if (rc == MPF_OK) {
        f->flashing = 1;
        if (action == 1) {
            uint8_t buf[700];
            rc = mpf_dfu_read(&d, 0, windows[1], buf, sizeof buf, &err);
        } else if (action == 2) {
            mpf_dfu_flash_options fo;
            mpf_dfu_flash_options_default(&fo);
            rc = mpf_dfu_flash_ex(&d, &plan, &fo, &err);
        } else {
            rc = mpf_dfu_flash(&d, &plan, &err);
        }
        check_error(rc, &err);
        if (rc == MPF_OK && action != 1 && plan.verify && !f->upload_lied)
            check(image_in_memory(f, &img));
        if (rc == MPF_OK && action != 1 && plan.leave)
            check(d.left);
    }
    /* Each request costs at most its timeout and the wait after it: the
     * input's effect on the (virtual) clock is bounded by its length. */
    check(f->now_us <= f->requests * 2 * (uint64_t)MAX_WAIT_MS * 1000);
    if (getenv("MPFLASH_FUZZ_VERBOSE"))
        fprintf(stderr, "fuzz_device: action %d, %zu of %zu input bytes, %s%s%s\n", action,
                f->pos, f->len, mpf_err_name(rc), rc ? ": " : "", rc ? err.message : "");
    mpf_plan_free(&plan);
    mpf_image_free(&img);
    return 0;
}
