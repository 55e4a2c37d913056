/* Writing runs through mpf_dfu_flash, against scripted devices: one
 * set-address per run, wBlockNum 2, 3, ..., three requests per block, and
 * what happens when the plan's block size is not the device's. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "engine_fixture.h"
#include "fixtures.h"

static mpf_plan writes_only(mpf_plan_write *w, size_t n)
{
    mpf_plan p;
    memset(&p, 0, sizeof p);
    p.writes = w;
    p.write_count = n;
    for (size_t i = 0; i < n; i++)
        p.write_bytes += w[i].size;
    return p;
}

/* Expect one data block the way the ST bootloader answers it. */
static void expect_block(scripted *s, uint16_t block, const uint8_t *data, uint16_t len)
{
    scripted_expect_dnload(s, block, data, len);
    scripted_expect_busy_idle(s, 3);
}

static void expect_set_address(scripted *s, uint32_t address)
{
    scripted_expect_set_address(s, address);
    scripted_expect_busy_idle(s, 2);
}

/* One run as the engine should send it: the pointer once, then blocks of
 * block_size numbered from 2. */
static void expect_run(scripted *s, uint32_t address, const uint8_t *data, size_t size,
                       uint16_t block_size)
{
    expect_set_address(s, address);
    uint16_t block = 2;
    for (size_t off = 0; off < size; off += block_size, block++)
        expect_block(s, block, data + off,
                     size - off < block_size ? (uint16_t)(size - off) : block_size);
}

/* Every write test starts on an open device whose first request selects alt 0. */
static void open_on_alt_0(engine_fx *f)
{
    engine_fx_open_idle(f);
    scripted_expect_select_alt(f->s, 0);
}

static void test_one_run_sets_the_address_once(void **state)
{
    engine_fx *f = *state;
    uint8_t data[5000];
    fixture_fill_random(data, sizeof data, 1);
    open_on_alt_0(f);
    expect_run(f->s, 0x08020000, data, sizeof data, 2048); /* 2048, 2048, 904 */
    mpf_plan_write w = {0, 0x08020000, data, sizeof data};
    mpf_plan p = writes_only(&w, 1);
    assert_int_equal(mpf_dfu_flash(&f->d, &p, &f->err), MPF_OK);
    assert_script_complete(f->s);

    const mpf_dfu_stats *st = &f->d.stats;
    assert_int_equal(st->set_address, 1);
    assert_int_equal(st->blocks_down, 3);
    assert_int_equal(st->bytes_down, 5000);
    assert_int_equal(st->requests[MPF_DFU_DNLOAD], 4);
    assert_int_equal(st->requests[MPF_DFU_GETSTATUS], 8);
    assert_int_equal(mpf_dfu_stats_total(st), 12); /* 3 for the pointer, 3 per block */
    assert_int_equal(st->slept_ms, 2 + 3 * 3);
    assert_false(f->d.left);

    /* progress: 0 at the start, then after every block, total up front */
    assert_int_equal(f->cap.progress_count, 4);
    const uint64_t done[4] = {0, 2048, 4096, 5000};
    for (size_t i = 0; i < 4; i++) {
        assert_int_equal(f->cap.progress[i].phase, MPF_PHASE_WRITE);
        assert_int_equal(f->cap.progress[i].done, done[i]);
        assert_int_equal(f->cap.progress[i].total, 5000);
    }
}

static void test_each_run_gets_its_own_pointer_and_block_numbers(void **state)
{
    engine_fx *f = *state;
    uint8_t a[2048 + 10], b[300];
    fixture_fill_random(a, sizeof a, 2);
    fixture_fill_random(b, sizeof b, 3);
    open_on_alt_0(f);
    expect_run(f->s, 0x08000000, a, sizeof a, 2048);
    expect_run(f->s, 0x08020000, b, sizeof b, 2048);
    mpf_plan_write w[2] = {{0, 0x08000000, a, sizeof a}, {0, 0x08020000, b, sizeof b}};
    mpf_plan p = writes_only(w, 2);
    assert_int_equal(mpf_dfu_flash(&f->d, &p, &f->err), MPF_OK);
    assert_script_complete(f->s);
    assert_int_equal(f->d.stats.set_address, 2);
    assert_int_equal(f->d.stats.blocks_down, 3);
}

static void test_foreign_block_size_sets_the_address_before_every_block(void **state)
{
    engine_fx *f = *state;
    uint8_t data[2500];
    fixture_fill_random(data, sizeof data, 4);
    open_on_alt_0(f);
    for (uint32_t off = 0; off < sizeof data; off += 1024) {
        uint16_t n = sizeof data - off < 1024 ? (uint16_t)(sizeof data - off) : 1024;
        expect_set_address(f->s, 0x08020000 + off);
        expect_block(f->s, 2, data + off, n);
    }
    mpf_plan_write w = {0, 0x08020000, data, sizeof data};
    mpf_plan p = writes_only(&w, 1);
    p.transfer_size = 1024; /* the device's is 2048 */
    assert_int_equal(mpf_dfu_flash(&f->d, &p, &f->err), MPF_OK);
    assert_script_complete(f->s);
    assert_int_equal(f->d.stats.set_address, 3);
    assert_int_equal(capture_count(&f->cap, MPF_LOG_WARN, "1024-byte blocks"), 1);
}

static void test_same_block_size_named_by_the_plan_changes_nothing(void **state)
{
    engine_fx *f = *state;
    uint8_t data[4096];
    fixture_fill_random(data, sizeof data, 5);
    open_on_alt_0(f);
    expect_run(f->s, 0x08020000, data, sizeof data, 2048);
    mpf_plan_write w = {0, 0x08020000, data, sizeof data};
    mpf_plan p = writes_only(&w, 1);
    p.transfer_size = 2048;
    assert_int_equal(mpf_dfu_flash(&f->d, &p, &f->err), MPF_OK);
    assert_script_complete(f->s);
    assert_int_equal(capture_count(&f->cap, MPF_LOG_WARN, ""), 0);
}

/* With 16-byte blocks a run of 65534 + 2 blocks runs out of wBlockNum. */
static void test_block_numbers_past_65535_reset_the_pointer(void **state)
{
    engine_fx *f = *state;
    const size_t blocks = 65534 + 2;
    const size_t size = blocks * 16 - 5;
    uint8_t *data = malloc(size);
    assert_non_null(data);
    fixture_fill_random(data, size, 6);
    open_on_alt_0(f);
    const uint32_t second = 65534 * 16; /* blocks 2..65535 */
    expect_run(f->s, 0x08000000, data, second, 16);
    expect_run(f->s, 0x08000000 + second, data + second, size - second, 16); /* 16, 11 */
    mpf_plan_write w = {0, 0x08000000, data, size};
    mpf_plan p = writes_only(&w, 1);
    assert_int_equal(mpf_dfu_flash(&f->d, &p, &f->err), MPF_OK);
    assert_script_complete(f->s);
    assert_int_equal(f->d.stats.set_address, 2);
    assert_int_equal(f->d.stats.blocks_down, blocks);
    free(data);
}

static void test_error_status_mid_write_stops_at_that_block(void **state)
{
    engine_fx *f = *state;
    uint8_t data[3 * 2048];
    fixture_fill_random(data, sizeof data, 7);
    open_on_alt_0(f);
    expect_run(f->s, 0x08020000, data, 2048, 2048);
    scripted_expect_dnload(f->s, 3, data + 2048, 2048);
    scripted_expect_getstatus(f->s, MPF_DFU_STATUS_OK, 3, MPF_DFU_STATE_DNBUSY);
    scripted_expect_getstatus(f->s, MPF_DFU_STATUS_ERR_WRITE, 0, MPF_DFU_STATE_ERROR);
    mpf_plan_write w = {0, 0x08020000, data, sizeof data};
    mpf_plan p = writes_only(&w, 1);
    p.leave = 1;
    p.leave_address = 0x08000000;
    assert_int_equal(mpf_dfu_flash(&f->d, &p, &f->err), MPF_ERR_DEVICE_STATUS);
    assert_script_complete(f->s); /* no block 4, no leave */
    assert_non_null(strstr(f->err.message,
                           "write of block 3 at 0x08020800 failed: errWRITE (dfuERROR)"));
    assert_false(f->d.left);
}

static void test_disconnect_mid_write_sends_nothing_more(void **state)
{
    engine_fx *f = *state;
    uint8_t data[3 * 2048];
    fixture_fill_random(data, sizeof data, 8);
    open_on_alt_0(f);
    expect_run(f->s, 0x08020000, data, 4096, 2048);
    scripted_expect_dnload(f->s, 4, data + 4096, 2048);
    scripted_then_fail(f->s, MPF_ERR_USB_DISCONNECTED);
    mpf_plan_write w = {0, 0x08020000, data, sizeof data};
    mpf_plan p = writes_only(&w, 1);
    p.verify = 1;
    assert_int_equal(mpf_dfu_flash(&f->d, &p, &f->err), MPF_ERR_USB_DISCONNECTED);
    assert_script_complete(f->s);
    assert_int_equal(f->err.code, MPF_ERR_USB_DISCONNECTED);
    assert_non_null(strstr(f->err.message, "write of block 4 at 0x08021000: DNLOAD: "));
}

static void test_no_transfer_size_anywhere_is_refused_before_any_request(void **state)
{
    engine_fx *f = *state;
    uint8_t data[16] = {0};
    engine_fx_expect_start_idle(f); /* ABORT, GETSTATUS */
    scripted_transport(f->s, &f->t);
    f->t.info.func.transfer_size = 0;
    assert_int_equal(mpf_dfu_open(&f->d, &f->t, &f->cb, &f->err), MPF_OK);
    mpf_plan_write w = {0, 0x08020000, data, sizeof data};
    mpf_plan p = writes_only(&w, 1);
    assert_int_equal(mpf_dfu_flash(&f->d, &p, &f->err), MPF_ERR_PROTOCOL);
    assert_non_null(strstr(f->err.message, "wTransferSize 0"));
    assert_script_complete(f->s);
    assert_int_equal(mpf_dfu_stats_total(&f->d.stats), 2);
}

#define T(name) cmocka_unit_test_setup_teardown(name, engine_fx_setup, engine_fx_teardown)
#define T16(name) cmocka_unit_test_setup_teardown(name, engine_fx_setup_16, engine_fx_teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_one_run_sets_the_address_once),
        T(test_each_run_gets_its_own_pointer_and_block_numbers),
        T(test_foreign_block_size_sets_the_address_before_every_block),
        T(test_same_block_size_named_by_the_plan_changes_nothing),
        T16(test_block_numbers_past_65535_reset_the_pointer),
        T(test_error_status_mid_write_stops_at_that_block),
        T(test_disconnect_mid_write_sends_nothing_more),
        T(test_no_transfer_size_anywhere_is_refused_before_any_request),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
