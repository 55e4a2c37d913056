/* mpf_dfu_flash running whole plans against scripted devices: the order of
 * erase, write, verify and leave, alt settings, progress, and stopping. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "engine_fixture.h"
#include "fixtures.h"

#define KIB 1024u

static void expect_cmd_done(scripted *s, uint32_t poll_ms)
{
    scripted_expect_busy_idle(s, poll_ms);
}

static void expect_write(scripted *s, uint32_t address, const uint8_t *data, size_t size)
{
    scripted_expect_set_address(s, address);
    expect_cmd_done(s, 1);
    uint16_t block = 2;
    for (size_t off = 0; off < size; off += 2048, block++) {
        uint16_t n = size - off < 2048 ? (uint16_t)(size - off) : 2048;
        scripted_expect_dnload(s, block, data + off, n);
        expect_cmd_done(s, 4);
    }
}

static void expect_read(scripted *s, uint32_t address, const uint8_t *data, size_t size)
{
    scripted_expect_set_address(s, address);
    expect_cmd_done(s, 1);
    scripted_expect_abort(s);
    uint16_t block = 2;
    for (size_t off = 0; off < size; off += 2048, block++) {
        uint16_t n = size - off < 2048 ? (uint16_t)(size - off) : 2048;
        scripted_expect_upload(s, block, n, data + off, n);
    }
    scripted_expect_abort(s);
}

static void expect_leave(scripted *s, uint32_t address)
{
    scripted_expect_set_address(s, address);
    expect_cmd_done(s, 1);
    scripted_expect_dnload(s, 0, NULL, 0);
    scripted_expect_getstatus(s, MPF_DFU_STATUS_OK, 0, MPF_DFU_STATE_MANIFEST);
}

static void assert_progress(const capture *c, size_t i, mpf_phase phase, uint64_t done,
                            uint64_t total)
{
    assert_true(i < c->progress_count);
    assert_int_equal(c->progress[i].phase, phase);
    assert_int_equal(c->progress[i].done, done);
    assert_int_equal(c->progress[i].total, total);
}

/* A plan of these erases and writes; one that leaves jumps to the start of flash. */
static mpf_plan plan_of(mpf_plan_erase *erases, size_t erase_count, mpf_plan_write *writes,
                        size_t write_count, int verify, int leave)
{
    mpf_plan p;
    memset(&p, 0, sizeof p);
    p.erases = erases;
    p.erase_count = erase_count;
    p.writes = writes;
    p.write_count = write_count;
    p.verify = verify;
    p.leave = leave;
    p.leave_address = leave ? 0x08000000 : 0;
    return p;
}

static void test_erase_write_verify_leave_in_that_order(void **state)
{
    engine_fx *f = *state;
    uint8_t vec[1088], text[4196];
    fixture_fill_random(vec, sizeof vec, 21);
    fixture_fill_random(text, sizeof text, 22);
    mpf_plan_erase erases[3] = {{0, 0x08000000, 16 * KIB}, {0, 0x08020000, 128 * KIB},
                                {0, 0x08040000, 128 * KIB}};
    mpf_plan_write writes[2] = {{0, 0x08000000, vec, sizeof vec},
                                {0, 0x08020000, text, sizeof text}};
    mpf_plan p = plan_of(erases, 3, writes, 2, 1, 1);

    engine_fx_open_idle(f);
    scripted_expect_select_alt(f->s, 0);
    for (size_t i = 0; i < 3; i++) {
        scripted_expect_erase(f->s, erases[i].address);
        expect_cmd_done(f->s, 200);
    }
    expect_write(f->s, 0x08000000, vec, sizeof vec);
    expect_write(f->s, 0x08020000, text, sizeof text);
    expect_read(f->s, 0x08000000, vec, sizeof vec);
    expect_read(f->s, 0x08020000, text, sizeof text);
    expect_leave(f->s, 0x08000000);
    assert_int_equal(mpf_dfu_flash(&f->d, &p, &f->err), MPF_OK);
    assert_script_complete(f->s);
    assert_true(f->d.left);

    const mpf_dfu_stats *st = &f->d.stats;
    assert_int_equal(st->erase_sectors, 3);
    assert_int_equal(st->set_address, 5); /* one per run, twice, and the leave's */
    assert_int_equal(st->blocks_down, 1 + 3);
    assert_int_equal(st->blocks_up, 1 + 3);
    assert_int_equal(st->bytes_down, sizeof vec + sizeof text);
    assert_int_equal(st->bytes_up, sizeof vec + sizeof text);
    assert_int_equal(st->slept_ms, 3 * 200 + 5 * 1 + 4 * 4);
    assert_int_equal(st->slept_ms, scripted_slept_ms(f->s));

    const uint64_t total = sizeof vec + sizeof text;
    size_t i = 0;
    for (uint64_t k = 0; k <= 3; k++)
        assert_progress(&f->cap, i++, MPF_PHASE_ERASE, k, 3);
    const mpf_phase phases[2] = {MPF_PHASE_WRITE, MPF_PHASE_VERIFY};
    for (size_t ph = 0; ph < 2; ph++) {
        const uint64_t done[5] = {0, 1088, 1088 + 2048, 1088 + 4096, total};
        for (size_t k = 0; k < 5; k++)
            assert_progress(&f->cap, i++, phases[ph], done[k], total);
    }
    assert_progress(&f->cap, i++, MPF_PHASE_LEAVE, 0, 1);
    assert_progress(&f->cap, i++, MPF_PHASE_LEAVE, 1, 1);
    assert_int_equal(f->cap.progress_count, i);
}

static void test_mass_erase_replaces_the_sector_erases_of_alt_0(void **state)
{
    engine_fx *f = *state;
    uint8_t data[100];
    fixture_fill_random(data, sizeof data, 23);
    mpf_plan_erase erases[1] = {{0, 0x08000000, 16 * KIB}};
    mpf_plan_write writes[1] = {{0, 0x08000000, data, sizeof data}};
    mpf_plan p = plan_of(erases, 1, writes, 1, 0, 0);
    p.mass_erase = 1;

    engine_fx_open_idle(f);
    scripted_expect_select_alt(f->s, 0);
    scripted_expect_mass_erase(f->s);
    expect_cmd_done(f->s, 3000);
    expect_write(f->s, 0x08000000, data, sizeof data);
    assert_int_equal(mpf_dfu_flash(&f->d, &p, &f->err), MPF_OK);
    assert_script_complete(f->s);
    assert_int_equal(f->d.stats.mass_erases, 1);
    assert_int_equal(f->d.stats.erase_sectors, 0);
    assert_progress(&f->cap, 0, MPF_PHASE_ERASE, 0, 1);
    assert_progress(&f->cap, 1, MPF_PHASE_ERASE, 1, 1);
    assert_false(f->d.left);
}

static void test_each_alt_is_finished_before_the_next(void **state)
{
    engine_fx *f = *state;
    uint8_t flash[64], opt[16];
    fixture_fill_random(flash, sizeof flash, 24);
    fixture_fill_random(opt, sizeof opt, 25);
    mpf_plan_erase erases[2] = {{0, 0x08000000, 16 * KIB}, {1, 0x1FFFC000, 16}};
    mpf_plan_write writes[2] = {{0, 0x08000000, flash, sizeof flash},
                                {1, 0x1FFFC000, opt, sizeof opt}};
    mpf_plan p = plan_of(erases, 2, writes, 2, 1, 1);

    engine_fx_open_idle(f);
    scripted_expect_select_alt(f->s, 0);
    scripted_expect_erase(f->s, 0x08000000);
    expect_cmd_done(f->s, 10);
    expect_write(f->s, 0x08000000, flash, sizeof flash);
    expect_read(f->s, 0x08000000, flash, sizeof flash);
    scripted_expect_select_alt(f->s, 1);
    scripted_expect_erase(f->s, 0x1FFFC000);
    expect_cmd_done(f->s, 10);
    expect_write(f->s, 0x1FFFC000, opt, sizeof opt);
    expect_read(f->s, 0x1FFFC000, opt, sizeof opt);
    scripted_expect_select_alt(f->s, 0); /* the jump address lives on the flash's alt */
    expect_leave(f->s, 0x08000000);
    assert_int_equal(mpf_dfu_flash(&f->d, &p, &f->err), MPF_OK);
    assert_script_complete(f->s);
    assert_int_equal(f->d.current_alt, 0);
}

static void test_failed_erase_stops_everything(void **state)
{
    engine_fx *f = *state;
    uint8_t data[100] = {0};
    mpf_plan_erase erases[3] = {{0, 0x08000000, 16 * KIB}, {0, 0x08020000, 128 * KIB},
                                {0, 0x08040000, 128 * KIB}};
    mpf_plan_write writes[1] = {{0, 0x08000000, data, sizeof data}};
    mpf_plan p = plan_of(erases, 3, writes, 1, 1, 1);

    engine_fx_open_idle(f);
    scripted_expect_select_alt(f->s, 0);
    scripted_expect_erase(f->s, 0x08000000);
    expect_cmd_done(f->s, 10);
    scripted_expect_erase(f->s, 0x08020000);
    scripted_expect_getstatus(f->s, MPF_DFU_STATUS_OK, 10, MPF_DFU_STATE_DNBUSY);
    scripted_expect_getstatus(f->s, MPF_DFU_STATUS_ERR_ERASE, 0, MPF_DFU_STATE_ERROR);
    assert_int_equal(mpf_dfu_flash(&f->d, &p, &f->err), MPF_ERR_DEVICE_STATUS);
    assert_script_complete(f->s);
    assert_string_equal(f->err.message, "erase of sector at 0x08020000 failed: errERASE "
                                        "(dfuERROR): memory erase failed");
    assert_int_equal(f->cap.progress_count, 2); /* 0/3 and 1/3 */
    assert_progress(&f->cap, 1, MPF_PHASE_ERASE, 1, 3);
    assert_false(f->d.left);
}

static void test_verify_without_upload_is_refused_before_any_request(void **state)
{
    engine_fx *f = *state;
    uint8_t data[100] = {0};
    mpf_plan_write writes[1] = {{0, 0x08000000, data, sizeof data}};
    mpf_plan p = plan_of(NULL, 0, writes, 1, 1, 0);
    engine_fx_expect_start_idle(f); /* ABORT, GETSTATUS */
    scripted_transport(f->s, &f->t);
    f->t.info.func.attributes = MPF_DFU_ATTR_CAN_DNLOAD;
    assert_int_equal(mpf_dfu_open(&f->d, &f->t, &f->cb, &f->err), MPF_OK);
    assert_int_equal(mpf_dfu_flash(&f->d, &p, &f->err), MPF_ERR_REFUSED);
    assert_script_complete(f->s);
    assert_non_null(strstr(f->err.message, "cannot verify"));
    assert_int_equal(mpf_dfu_stats_total(&f->d.stats), 2);
}

static void test_trace_log_names_every_request(void **state)
{
    engine_fx *f = *state;
    engine_fx_open_idle(f);
    scripted_expect_select_alt(f->s, 0);
    scripted_expect_erase(f->s, 0x08000000);
    expect_cmd_done(f->s, 7);
    assert_int_equal(mpf_dfu_erase_sector(&f->d, 0, 0x08000000, 16 * KIB, &f->err), MPF_OK);
    assert_script_complete(f->s);
    assert_int_equal(capture_count(&f->cap, MPF_LOG_TRACE, "DNLOAD wBlockNum=0 wLength=5: ok"), 1);
    assert_int_equal(capture_count(&f->cap, MPF_LOG_TRACE, "GETSTATUS: OK, dfuDNBUSY, bwPollTimeout 7 ms"), 1);
    assert_int_equal(capture_count(&f->cap, MPF_LOG_TRACE, "GETSTATUS: OK, dfuDNLOAD-IDLE"), 1);
    assert_int_equal(capture_count(&f->cap, MPF_LOG_TRACE, "SET_INTERFACE alt 0"), 1);
}

static void test_phase_names(void **state)
{
    (void)state;
    assert_string_equal(mpf_phase_name(MPF_PHASE_CONNECT), "connect");
    assert_string_equal(mpf_phase_name(MPF_PHASE_ERASE), "erase");
    assert_string_equal(mpf_phase_name(MPF_PHASE_WRITE), "write");
    assert_string_equal(mpf_phase_name(MPF_PHASE_VERIFY), "verify");
    assert_string_equal(mpf_phase_name(MPF_PHASE_READ), "read");
    assert_string_equal(mpf_phase_name(MPF_PHASE_LEAVE), "leave");
    assert_string_equal(mpf_phase_name(MPF_PHASE__COUNT), "phase?");
}

#define T(name) cmocka_unit_test_setup_teardown(name, engine_fx_setup, engine_fx_teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_erase_write_verify_leave_in_that_order),
        T(test_mass_erase_replaces_the_sector_erases_of_alt_0),
        T(test_each_alt_is_finished_before_the_next),
        T(test_failed_erase_stops_everything),
        T(test_verify_without_upload_is_refused_before_any_request),
        T(test_trace_log_names_every_request),
        cmocka_unit_test(test_phase_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
