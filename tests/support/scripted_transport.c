/* Replays a script of expected requests and canned replies (see the header). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mpflash/dfu.h"
#include "scripted_transport.h"

enum step_kind { STEP_OUT, STEP_IN, STEP_ALT };

typedef struct step {
    enum step_kind kind;
    uint8_t request; /* or the alt setting */
    uint16_t value;
    uint16_t length;
    uint8_t *data; /* OUT: the payload expected; IN: the reply */
    size_t data_len;
    mpf_err fail;
    uint32_t take_ms;
    unsigned timeout_seen;
} step;

struct scripted {
    step *steps;
    size_t count, cap, next;
    uint32_t *sleeps;
    size_t sleep_count, sleep_cap;
    uint64_t clock_us;
    char problem[512];
    mpf_device_info info;
};

static void *xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q) {
        fprintf(stderr, "scripted transport: out of memory\n");
        abort();
    }
    return q;
}

scripted *scripted_new(uint16_t transfer_size)
{
    scripted *s = xrealloc(NULL, sizeof *s);
    memset(s, 0, sizeof *s);
    s->info.vid = 0x0483;
    s->info.pid = 0xDF11;
    s->info.mode = MPF_MODE_DFU;
    s->info.func.attributes = MPF_DFU_ATTR_CAN_DNLOAD | MPF_DFU_ATTR_CAN_UPLOAD | MPF_DFU_ATTR_WILL_DETACH;
    s->info.func.transfer_size = transfer_size;
    s->info.func.dfu_version = MPF_DFU_VERSION_DFUSE;
    s->info.num_alts = 1;
    snprintf(s->info.alts[0].name, sizeof s->info.alts[0].name, "%s",
             "@Internal Flash  /0x08000000/04*016Kg,01*064Kg,03*128Kg");
    return s;
}

void scripted_free(scripted *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->count; i++)
        free(s->steps[i].data);
    free(s->steps);
    free(s->sleeps);
    free(s);
}

MPF_PRINTF(2, 3)
static void problem(scripted *s, const char *fmt, ...)
{
    if (s->problem[0])
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->problem, sizeof s->problem, fmt, ap);
    va_end(ap);
}

static step *add(scripted *s, enum step_kind kind, uint8_t request, uint16_t value,
                 uint16_t length, const uint8_t *data, size_t data_len)
{
    if (s->count == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 64;
        s->steps = xrealloc(s->steps, s->cap * sizeof *s->steps);
    }
    step *st = &s->steps[s->count++];
    memset(st, 0, sizeof *st);
    st->kind = kind;
    st->request = request;
    st->value = value;
    st->length = length;
    if (data_len) {
        st->data = xrealloc(NULL, data_len);
        memcpy(st->data, data, data_len);
        st->data_len = data_len;
    }
    return st;
}

static void describe(char *buf, size_t n, enum step_kind kind, uint8_t request, uint16_t value,
                     uint16_t length)
{
    if (kind == STEP_ALT)
        snprintf(buf, n, "select alt %u", (unsigned)request);
    else
        snprintf(buf, n, "%s %s wBlockNum=%u wLength=%u", kind == STEP_OUT ? "OUT" : "IN",
                 mpf_dfu_request_name(request), (unsigned)value, (unsigned)length);
}

/* The step this request must match, or NULL (problem recorded). */
static step *take(scripted *s, enum step_kind kind, uint8_t request, uint16_t value,
                  uint16_t length)
{
    char got[96];
    describe(got, sizeof got, kind, request, value, length);
    if (s->problem[0])
        return NULL;
    if (s->next >= s->count) {
        problem(s, "request %zu (%s) after the end of the script", s->next + 1, got);
        return NULL;
    }
    step *st = &s->steps[s->next];
    if (st->kind != kind || st->request != request ||
        (kind != STEP_ALT && (st->value != value || st->length != length))) {
        char want[96];
        describe(want, sizeof want, st->kind, st->request, st->value, st->length);
        problem(s, "step %zu: expected %s, got %s", s->next, want, got);
        return NULL;
    }
    s->next++;
    return st;
}

static mpf_err finish(scripted *s, step *st, unsigned timeout_ms, mpf_error *err)
{
    st->timeout_seen = timeout_ms;
    s->clock_us += (uint64_t)st->take_ms * 1000;
    if (st->fail != MPF_OK)
        return mpf_error_set(err, st->fail, "scripted %s", mpf_err_name(st->fail));
    return MPF_OK;
}

static mpf_err mismatch(mpf_error *err)
{
    return mpf_error_set(err, MPF_ERR_INTERNAL, "request not in the script");
}

static mpf_err st_out(void *ctx, uint8_t request, uint16_t value, const uint8_t *data,
                      uint16_t length, unsigned timeout_ms, mpf_error *err)
{
    scripted *s = ctx;
    step *st = take(s, STEP_OUT, request, value, length);
    if (!st)
        return mismatch(err);
    if (length && (!data || memcmp(data, st->data, length) != 0)) {
        size_t i = 0;
        while (data && i < length && data[i] == st->data[i])
            i++;
        problem(s, "step %zu: %s wBlockNum=%u payload differs at byte %zu", s->next - 1,
                mpf_dfu_request_name(request), (unsigned)value, i);
        return mismatch(err);
    }
    return finish(s, st, timeout_ms, err);
}

static mpf_err st_in(void *ctx, uint8_t request, uint16_t value, uint8_t *data, uint16_t length,
                     size_t *received, unsigned timeout_ms, mpf_error *err)
{
    scripted *s = ctx;
    *received = 0;
    step *st = take(s, STEP_IN, request, value, length);
    if (!st)
        return mismatch(err);
    mpf_err rc = finish(s, st, timeout_ms, err);
    if (rc != MPF_OK)
        return rc;
    size_t n = st->data_len < length ? st->data_len : length;
    if (n)
        memcpy(data, st->data, n);
    *received = n;
    return MPF_OK;
}

static mpf_err st_select_alt(void *ctx, uint8_t alt, mpf_error *err)
{
    scripted *s = ctx;
    step *st = take(s, STEP_ALT, alt, 0, 0);
    if (!st)
        return mismatch(err);
    return finish(s, st, 0, err);
}

static mpf_err st_reset(void *ctx, mpf_error *err)
{
    problem(ctx, "unexpected USB reset");
    return mismatch(err);
}

static void st_sleep(void *ctx, uint32_t ms)
{
    scripted *s = ctx;
    if (s->sleep_count == s->sleep_cap) {
        s->sleep_cap = s->sleep_cap ? s->sleep_cap * 2 : 64;
        s->sleeps = xrealloc(s->sleeps, s->sleep_cap * sizeof *s->sleeps);
    }
    s->sleeps[s->sleep_count++] = ms;
    s->clock_us += (uint64_t)ms * 1000;
}

static uint64_t st_now(void *ctx)
{
    return ((scripted *)ctx)->clock_us;
}

static void st_close(void *ctx)
{
    (void)ctx;
}

static const mpf_transport_ops scripted_ops = {
    .control_out = st_out,
    .control_in = st_in,
    .select_alt = st_select_alt,
    .reset = st_reset,
    .sleep_ms = st_sleep,
    .now_us = st_now,
    .close = st_close,
};

void scripted_transport(scripted *s, mpf_transport *out)
{
    out->ops = &scripted_ops;
    out->ctx = s;
    out->info = s->info;
}

void scripted_expect_out(scripted *s, uint8_t request, uint16_t value, const uint8_t *data,
                         uint16_t length)
{
    add(s, STEP_OUT, request, value, length, data, length);
}

void scripted_expect_in(scripted *s, uint8_t request, uint16_t value, uint16_t length,
                        const uint8_t *reply, size_t reply_len)
{
    add(s, STEP_IN, request, value, length, reply, reply_len);
}

void scripted_expect_select_alt(scripted *s, uint8_t alt)
{
    add(s, STEP_ALT, alt, 0, 0, NULL, 0);
}

void scripted_expect_getstatus(scripted *s, uint8_t status, uint32_t poll_ms, uint8_t state)
{
    const uint8_t reply[6] = {status, (uint8_t)poll_ms, (uint8_t)(poll_ms >> 8),
                              (uint8_t)(poll_ms >> 16), state, 0};
    scripted_expect_in(s, MPF_DFU_GETSTATUS, 0, 6, reply, sizeof reply);
}

void scripted_expect_clrstatus(scripted *s)
{
    scripted_expect_out(s, MPF_DFU_CLRSTATUS, 0, NULL, 0);
}

void scripted_expect_abort(scripted *s)
{
    scripted_expect_out(s, MPF_DFU_ABORT, 0, NULL, 0);
}

static void command(scripted *s, uint8_t cmd, int has_address, uint32_t address)
{
    const uint8_t buf[5] = {cmd, (uint8_t)address, (uint8_t)(address >> 8),
                            (uint8_t)(address >> 16), (uint8_t)(address >> 24)};
    scripted_expect_out(s, MPF_DFU_DNLOAD, 0, buf, has_address ? 5 : 1);
}

void scripted_expect_set_address(scripted *s, uint32_t address)
{
    command(s, MPF_DFUSE_CMD_SET_ADDRESS, 1, address);
}

void scripted_expect_erase(scripted *s, uint32_t address)
{
    command(s, MPF_DFUSE_CMD_ERASE, 1, address);
}

void scripted_expect_mass_erase(scripted *s)
{
    command(s, MPF_DFUSE_CMD_ERASE, 0, 0);
}

void scripted_expect_dnload(scripted *s, uint16_t block, const uint8_t *data, uint16_t length)
{
    scripted_expect_out(s, MPF_DFU_DNLOAD, block, data, length);
}

void scripted_expect_upload(scripted *s, uint16_t block, uint16_t length, const uint8_t *reply,
                            size_t reply_len)
{
    scripted_expect_in(s, MPF_DFU_UPLOAD, block, length, reply, reply_len);
}

void scripted_expect_busy_idle(scripted *s, uint32_t poll_ms)
{
    scripted_expect_getstatus(s, MPF_DFU_STATUS_OK, poll_ms, MPF_DFU_STATE_DNBUSY);
    scripted_expect_getstatus(s, MPF_DFU_STATUS_OK, 0, MPF_DFU_STATE_DNLOAD_IDLE);
}

void scripted_then_fail(scripted *s, mpf_err code)
{
    if (s->count)
        s->steps[s->count - 1].fail = code;
}

void scripted_then_take_ms(scripted *s, uint32_t ms)
{
    if (s->count)
        s->steps[s->count - 1].take_ms = ms;
}

int scripted_ok(const scripted *s)
{
    return !s->problem[0] && s->next == s->count;
}

const char *scripted_problem(scripted *s)
{
    if (s->problem[0])
        return s->problem;
    if (s->next != s->count) {
        char want[96];
        const step *st = &s->steps[s->next];
        describe(want, sizeof want, st->kind, st->request, st->value, st->length);
        snprintf(s->problem, sizeof s->problem, "script stopped at step %zu of %zu (%s not sent)",
                 s->next, s->count, want);
        return s->problem;
    }
    return "";
}

size_t scripted_steps(const scripted *s)
{
    return s->count;
}

size_t scripted_used(const scripted *s)
{
    return s->next;
}

unsigned scripted_timeout_at(const scripted *s, size_t i)
{
    return i < s->count ? s->steps[i].timeout_seen : 0;
}

size_t scripted_sleep_count(const scripted *s)
{
    return s->sleep_count;
}

uint32_t scripted_sleep_at(const scripted *s, size_t i)
{
    return i < s->sleep_count ? s->sleeps[i] : 0;
}

uint64_t scripted_slept_ms(const scripted *s)
{
    uint64_t n = 0;
    for (size_t i = 0; i < s->sleep_count; i++)
        n += s->sleeps[i];
    return n;
}

uint64_t scripted_clock_us(const scripted *s)
{
    return s->clock_us;
}
