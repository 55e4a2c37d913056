/* Hand-written DFU/DfuSe requests for the virtual device's tests: each one
 * is a single transport operation, as the spec describes it, so the tests
 * exercise the device and nothing of the engine. Include after cmocka.h. */
#ifndef MPFLASH_TEST_SIM_HELPERS_H
#define MPFLASH_TEST_SIM_HELPERS_H

#include <stdint.h>
#include <string.h>

#include "mpflash/dfu.h"
#include "mpflash/sim.h"
#include "mpflash/timing.h"
#include "mpflash/transport.h"

#define T_TIMEOUT_MS 60000u

typedef struct simt {
    mpf_sim *sim;
    mpf_transport t;
    mpf_error err;
} simt;

static inline void simt_open(simt *s, const char *chip)
{
    memset(s, 0, sizeof *s);
    assert_int_equal(mpf_sim_new(chip, &s->sim, &s->err), MPF_OK);
    mpf_sim_transport(s->sim, &s->t);
}

static inline void simt_close(simt *s)
{
    s->t.ops->close(s->t.ctx);
    mpf_sim_free(s->sim);
}

static inline mpf_err t_out(simt *s, uint8_t req, uint16_t value, const uint8_t *data,
                            uint16_t len, unsigned timeout_ms)
{
    return s->t.ops->control_out(s->t.ctx, req, value, data, len, timeout_ms, &s->err);
}

static inline mpf_err t_in(simt *s, uint8_t req, uint16_t value, uint8_t *data, uint16_t len,
                           size_t *got, unsigned timeout_ms)
{
    return s->t.ops->control_in(s->t.ctx, req, value, data, len, got, timeout_ms, &s->err);
}

static inline mpf_err t_dnload(simt *s, uint16_t block, const uint8_t *data, uint16_t len)
{
    return t_out(s, MPF_DFU_DNLOAD, block, data, len, T_TIMEOUT_MS);
}

static inline mpf_err t_cmd_addr(simt *s, uint8_t cmd, uint32_t address)
{
    uint8_t b[5] = { cmd, (uint8_t)address, (uint8_t)(address >> 8), (uint8_t)(address >> 16),
                     (uint8_t)(address >> 24) };
    return t_dnload(s, 0, b, 5);
}

static inline mpf_err t_set_address(simt *s, uint32_t address)
{
    return t_cmd_addr(s, MPF_DFUSE_CMD_SET_ADDRESS, address);
}

static inline mpf_err t_erase(simt *s, uint32_t address)
{
    return t_cmd_addr(s, MPF_DFUSE_CMD_ERASE, address);
}

static inline mpf_err t_cmd1(simt *s, uint8_t cmd)
{
    return t_dnload(s, 0, &cmd, 1);
}

/* GETSTATUS, decoded; asserts a well-formed 6-byte reply when it succeeds. */
static inline mpf_err t_getstatus_to(simt *s, mpf_dfu_status_reply *r, unsigned timeout_ms)
{
    uint8_t b[6] = { 0 };
    size_t got = 99;
    mpf_err rc = t_in(s, MPF_DFU_GETSTATUS, 0, b, 6, &got, timeout_ms);
    if (rc == MPF_OK) {
        assert_int_equal(got, 6);
        r->status = b[0];
        r->poll_timeout_ms = (uint32_t)b[1] | (uint32_t)b[2] << 8 | (uint32_t)b[3] << 16;
        r->state = b[4];
        r->string_index = b[5];
    }
    return rc;
}

static inline mpf_err t_getstatus(simt *s, mpf_dfu_status_reply *r)
{
    return t_getstatus_to(s, r, T_TIMEOUT_MS);
}

static inline void expect_status(simt *s, uint8_t state, uint8_t status, uint32_t poll_ms)
{
    mpf_dfu_status_reply r = { 0 };
    assert_int_equal(t_getstatus(s, &r), MPF_OK);
    assert_int_equal(r.state, state);
    assert_int_equal(r.status, status);
    assert_int_equal(r.poll_timeout_ms, poll_ms);
}

static inline mpf_err t_getstate(simt *s, uint8_t *state)
{
    size_t got = 0;
    mpf_err rc = t_in(s, MPF_DFU_GETSTATE, 0, state, 1, &got, T_TIMEOUT_MS);
    if (rc == MPF_OK)
        assert_int_equal(got, 1);
    return rc;
}

static inline mpf_err t_clrstatus(simt *s)
{
    return t_out(s, MPF_DFU_CLRSTATUS, 0, NULL, 0, T_TIMEOUT_MS);
}

static inline mpf_err t_abort(simt *s)
{
    return t_out(s, MPF_DFU_ABORT, 0, NULL, 0, T_TIMEOUT_MS);
}

static inline mpf_err t_upload(simt *s, uint16_t block, uint8_t *buf, uint16_t len, size_t *got)
{
    return t_in(s, MPF_DFU_UPLOAD, block, buf, len, got, T_TIMEOUT_MS);
}

static inline mpf_err t_select_alt(simt *s, uint8_t alt)
{
    return s->t.ops->select_alt(s->t.ctx, alt, &s->err);
}

static inline void t_sleep(simt *s, uint32_t ms)
{
    s->t.ops->sleep_ms(s->t.ctx, ms);
}

/* The first GETSTATUS after a DNLOAD executes it (dfuDNBUSY, poll_ms); wait
 * as told; the second reports the outcome. */
static inline void finish_ok(simt *s, uint32_t poll_ms, uint8_t idle_state)
{
    expect_status(s, MPF_DFU_STATE_DNBUSY, MPF_DFU_STATUS_OK, poll_ms);
    t_sleep(s, poll_ms);
    expect_status(s, idle_state, MPF_DFU_STATUS_OK, 0);
}

static inline void finish_error(simt *s, uint8_t status)
{
    mpf_dfu_status_reply r = { 0 };
    assert_int_equal(t_getstatus(s, &r), MPF_OK);
    assert_int_equal(r.state, MPF_DFU_STATE_DNBUSY);
    t_sleep(s, r.poll_timeout_ms);
    expect_status(s, MPF_DFU_STATE_ERROR, status, 0);
}

/* ms the ROM reports for an operation of us microseconds. */
static inline uint32_t poll_ms_for(uint64_t us)
{
    return (uint32_t)((us + 999) / 1000);
}

static inline const mpf_timing *tm(void)
{
    return mpf_timing_stm32f4();
}

/* ST ROM: set-address, executed, back to dfuDNLOAD-IDLE. */
static inline void rom_set_address(simt *s, uint32_t address)
{
    assert_int_equal(t_set_address(s, address), MPF_OK);
    finish_ok(s, 0, MPF_DFU_STATE_DNLOAD_IDLE);
}

static inline void rom_erase(simt *s, uint32_t address, uint32_t sector_size)
{
    assert_int_equal(t_erase(s, address), MPF_OK);
    finish_ok(s, poll_ms_for(mpf_timing_erase_us(tm(), sector_size)), MPF_DFU_STATE_DNLOAD_IDLE);
}

static inline void rom_write(simt *s, uint16_t block, const uint8_t *data, uint16_t len)
{
    assert_int_equal(t_dnload(s, block, data, len), MPF_OK);
    finish_ok(s, poll_ms_for(mpf_timing_program_us(tm(), len)), MPF_DFU_STATE_DNLOAD_IDLE);
}

static inline void fill_pattern(uint8_t *buf, size_t len, uint32_t seed)
{
    uint32_t x = seed ? seed : 0x12345678u;
    for (size_t i = 0; i < len; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        buf[i] = (uint8_t)x;
    }
}

#endif
