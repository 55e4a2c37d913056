/* Reading back (mpf_dfu_read) and verifying, against scripted devices. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "engine_board.h"
#include "engine_fixture.h"
#include "fixtures.h"
#include "tool/tool_exit.h"

static void expect_pointer(scripted *s, uint32_t address)
{
    scripted_expect_set_address(s, address);
    scripted_expect_busy_idle(s, 2);
    scripted_expect_abort(s); /* dfuDNLOAD-IDLE -> dfuIDLE, where UPLOAD is allowed */
}

static void test_read_sets_pointer_aborts_and_uploads_from_block_2(void **state)
{
    engine_fx *f = *state;
    uint8_t flash[5000], buf[5000];
    fixture_fill_random(flash, sizeof flash, 11);
    memset(buf, 0xEE, sizeof buf);
    engine_fx_open_idle(f);
    scripted_expect_select_alt(f->s, 0);
    expect_pointer(f->s, 0x08004000);
    scripted_expect_upload(f->s, 2, 2048, flash, 2048);
    scripted_expect_upload(f->s, 3, 2048, flash + 2048, 2048);
    scripted_expect_upload(f->s, 4, 904, flash + 4096, 904); /* the last one shorter */
    scripted_expect_abort(f->s);
    assert_int_equal(mpf_dfu_read(&f->d, 0, 0x08004000, buf, sizeof buf, &f->err), MPF_OK);
    assert_script_complete(f->s);
    assert_memory_equal(buf, flash, sizeof flash);
    assert_int_equal(f->d.stats.blocks_up, 3);
    assert_int_equal(f->d.stats.bytes_up, 5000);
    assert_int_equal(f->d.stats.requests[MPF_DFU_UPLOAD], 3);
    assert_int_equal(f->d.stats.requests[MPF_DFU_ABORT], 2);
    assert_int_equal(f->d.stats.set_address, 1);
    assert_int_equal(capture_progress_count(&f->cap, MPF_PHASE_READ), 4);
    assert_int_equal(f->cap.progress[0].done, 0);
    assert_int_equal(f->cap.progress[3].done, 5000);
    assert_int_equal(f->cap.progress[3].total, 5000);
}

static void test_short_reply_before_the_end_is_an_error(void **state)
{
    engine_fx *f = *state;
    uint8_t flash[4096], buf[4096];
    fixture_fill_random(flash, sizeof flash, 12);
    engine_fx_open_idle(f);
    scripted_expect_select_alt(f->s, 0);
    expect_pointer(f->s, 0x08000000);
    scripted_expect_upload(f->s, 2, 2048, flash, 2048);
    scripted_expect_upload(f->s, 3, 2048, flash + 2048, 100);
    assert_int_equal(mpf_dfu_read(&f->d, 0, 0x08000000, buf, sizeof buf, &f->err),
                     MPF_ERR_PROTOCOL);
    assert_script_complete(f->s);
    assert_string_equal(f->err.message,
                        "read of block 3 at 0x08000800: device returned 100 of 2048 bytes");
}

/* A 64-byte read at 0x08000000 whose UPLOAD stalls; the device then
 * reports dfuERROR with status. */
static mpf_err read_stalled_by(engine_fx *f, uint8_t status)
{
    uint8_t buf[64];
    engine_fx_open_idle(f);
    scripted_expect_select_alt(f->s, 0);
    expect_pointer(f->s, 0x08000000);
    scripted_expect_upload(f->s, 2, 64, NULL, 0);
    scripted_then_fail(f->s, MPF_ERR_USB_STALL);
    scripted_expect_getstatus(f->s, status, 0, MPF_DFU_STATE_ERROR);
    return mpf_dfu_read(&f->d, 0, 0x08000000, buf, sizeof buf, &f->err);
}

static void test_stalled_upload_keeps_the_stall_code(void **state)
{
    engine_fx *f = *state;
    assert_int_equal(read_stalled_by(f, MPF_DFU_STATUS_ERR_ADDRESS), MPF_ERR_USB_STALL);
    assert_script_complete(f->s);
    assert_non_null(strstr(f->err.message, "read of block 2 at 0x08000000: UPLOAD: "));
    assert_non_null(strstr(f->err.message, "device then reported errADDRESS, dfuERROR"));
}

/* Read protection stalls the UPLOAD and says why: that is the device's
 * answer (exit code 5) with the way out, not a USB fault (exit code 4). */
static void test_upload_refused_for_read_protection_is_a_device_status(void **state)
{
    engine_fx *f = *state;
    assert_int_equal(read_stalled_by(f, MPF_DFU_STATUS_ERR_VENDOR), MPF_ERR_DEVICE_STATUS);
    assert_script_complete(f->s); /* nothing after the GETSTATUS that said why */
    assert_int_equal(f->err.code, MPF_ERR_DEVICE_STATUS);
    assert_int_equal(tool_exit_code(f->err.code), 5);
    assert_non_null(strstr(f->err.message,
                           "read of block 2 at 0x08000000 failed: errVENDOR (dfuERROR)"));
    assert_non_null(strstr(f->err.message, "read-protected (RDP level 1)"));
    assert_non_null(strstr(f->err.message, "remove it explicitly (mpf_dfu_read_unprotect)"));
    assert_null(strchr(f->err.message, '\n'));
}

/* The same on the virtual ROM bootloader with RDP level 1. */
static void test_reading_a_read_protected_chip_says_how_to_unprotect(void **state)
{
    (void)state;
    board b;
    board_new(&b, "f401");
    mpf_sim_set_read_protection(b.sim, 1);
    mpf_sim_transport(b.sim, &b.t);
    uint8_t buf[4096];
    assert_int_equal(mpf_dfu_open(&b.d, &b.t, &b.cb, &b.err), MPF_OK);
    mpf_err rc = mpf_dfu_read(&b.d, 0, 0x08004000, buf, sizeof buf, &b.err);
    assert_int_equal(rc, MPF_ERR_DEVICE_STATUS);
    assert_int_equal(tool_exit_code(rc), 5);
    assert_non_null(strstr(b.err.message,
                           "read of block 2 at 0x08004000 failed: errVENDOR (dfuERROR)"));
    assert_non_null(strstr(b.err.message, "remove it explicitly (mpf_dfu_read_unprotect)"));
    /* It asked why once, and left the protection alone. */
    const size_t n = mpf_sim_request_count(b.sim);
    assert_int_equal(mpf_sim_request_at(b.sim, n - 2)->op, MPF_SIM_OP_UPLOAD);
    assert_int_equal(mpf_sim_request_at(b.sim, n - 1)->op, MPF_SIM_OP_GETSTATUS);
    for (size_t i = 0; i < n; i++)
        assert_int_not_equal(mpf_sim_request_at(b.sim, i)->op, MPF_SIM_OP_UNPROTECT);
    board_free(&b);
}

/* The device numbers UPLOAD blocks in its own wTransferSize, so reading in
 * other pieces (-t) must point at each one: the bytes must be the same as
 * a read in the device's size, on a chip full of distinct bytes. */
static void test_read_in_smaller_pieces_points_at_each(void **state)
{
    (void)state;
    const uint16_t sizes[] = {2048, 1024, 100};
    const size_t len = 8192;
    uint8_t *want = malloc(len), *got = malloc(len);
    assert_non_null(want);
    assert_non_null(got);
    fixture_fill_random(want, len, 77);
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        board b;
        board_new(&b, "f401");
        board_fill(&b, 0x08020000, len, 77);
        mpf_sim_transport(b.sim, &b.t);
        assert_int_equal(mpf_dfu_open(&b.d, &b.t, &b.cb, &b.err), MPF_OK);
        b.d.read_size = sizes[i];
        memset(got, 0, len);
        if (mpf_dfu_read(&b.d, 0, 0x08020000, got, len, &b.err) != MPF_OK)
            fail_msg("read in %u-byte pieces: %s", (unsigned)sizes[i], b.err.message);
        assert_memory_equal(got, want, len);
        const size_t pieces = (len + sizes[i] - 1) / sizes[i];
        assert_int_equal(board_ops(&b, MPF_SIM_OP_UPLOAD), pieces);
        /* One pointer in the device's own size, one per piece otherwise. */
        assert_int_equal(board_ops(&b, MPF_SIM_OP_SET_ADDRESS), sizes[i] == 2048 ? 1 : pieces);
        board_free(&b);
    }
    free(want);
    free(got);
}

/* Pieces larger than the device's buffer would stall: refused first. */
static void test_read_in_larger_pieces_is_refused_before_any_request(void **state)
{
    (void)state;
    board b;
    board_new(&b, "f401");
    mpf_sim_transport(b.sim, &b.t);
    assert_int_equal(mpf_dfu_open(&b.d, &b.t, &b.cb, &b.err), MPF_OK);
    const size_t before = mpf_sim_request_count(b.sim);
    b.d.read_size = 4096;
    uint8_t buf[4096];
    assert_int_equal(mpf_dfu_read(&b.d, 0, 0x08020000, buf, sizeof buf, &b.err), MPF_ERR_USAGE);
    assert_non_null(strstr(b.err.message, "a read size of 4096 bytes is more than the device sends "
                                          "per request (wTransferSize 2048)"));
    assert_int_equal(mpf_sim_request_count(b.sim), before);
    board_free(&b);
}

static void test_read_past_65535_blocks_re_points(void **state)
{
    engine_fx *f = *state;
    const size_t size = (65534 + 1) * 16;
    uint8_t *flash = malloc(size), *buf = malloc(size);
    assert_non_null(flash);
    assert_non_null(buf);
    fixture_fill_random(flash, size, 13);
    engine_fx_open_idle(f);
    scripted_expect_select_alt(f->s, 0);
    expect_pointer(f->s, 0x08000000);
    for (uint32_t b = 2; b <= 65535; b++)
        scripted_expect_upload(f->s, (uint16_t)b, 16, flash + (b - 2) * 16, 16);
    scripted_expect_abort(f->s); /* out of dfuUPLOAD-IDLE before the next pointer */
    expect_pointer(f->s, 0x08000000 + 65534 * 16);
    scripted_expect_upload(f->s, 2, 16, flash + 65534 * 16, 16);
    scripted_expect_abort(f->s);
    assert_int_equal(mpf_dfu_read(&f->d, 0, 0x08000000, buf, size, &f->err), MPF_OK);
    assert_script_complete(f->s);
    assert_memory_equal(buf, flash, size);
    free(flash);
    free(buf);
}

static void test_device_without_upload_is_refused_with_no_request(void **state)
{
    engine_fx *f = *state;
    uint8_t buf[16];
    engine_fx_expect_start_idle(f); /* ABORT, GETSTATUS */
    scripted_transport(f->s, &f->t);
    f->t.info.func.attributes = MPF_DFU_ATTR_CAN_DNLOAD;
    assert_int_equal(mpf_dfu_open(&f->d, &f->t, &f->cb, &f->err), MPF_OK);
    assert_int_equal(mpf_dfu_read(&f->d, 0, 0x08000000, buf, sizeof buf, &f->err),
                     MPF_ERR_REFUSED);
    assert_script_complete(f->s);
    assert_int_equal(mpf_dfu_stats_total(&f->d.stats), 2);
}

static void test_verify_names_the_first_differing_byte(void **state)
{
    engine_fx *f = *state;
    uint8_t data[4096], back[4096];
    fixture_fill_random(data, sizeof data, 14);
    memcpy(back, data, sizeof back);
    back[0x810] = (uint8_t)~data[0x810];
    back[0x900] = (uint8_t)~data[0x900];
    engine_fx_open_idle(f);
    scripted_expect_select_alt(f->s, 0);
    scripted_expect_set_address(f->s, 0x08020000);
    scripted_expect_busy_idle(f->s, 2);
    scripted_expect_dnload(f->s, 2, data, 2048);
    scripted_expect_busy_idle(f->s, 3);
    scripted_expect_dnload(f->s, 3, data + 2048, 2048);
    scripted_expect_busy_idle(f->s, 3);
    expect_pointer(f->s, 0x08020000);
    scripted_expect_upload(f->s, 2, 2048, back, 2048);
    scripted_expect_upload(f->s, 3, 2048, back + 2048, 2048);
    mpf_plan_write w = {0, 0x08020000, data, sizeof data};
    mpf_plan p;
    memset(&p, 0, sizeof p);
    p.writes = &w;
    p.write_count = 1;
    p.verify = 1;
    p.leave = 1;
    p.leave_address = 0x08000000;
    assert_int_equal(mpf_dfu_flash(&f->d, &p, &f->err), MPF_ERR_VERIFY);
    assert_script_complete(f->s); /* stopped: no ABORT, no leave */
    char want[200];
    snprintf(want, sizeof want, "verify failed at 0x08020810: wrote 0x%02X, read 0x%02X; ",
             data[0x810], back[0x810]);
    assert_non_null(strstr(f->err.message, want));
    assert_non_null(strstr(f->err.message, "write-protected"));
    assert_false(f->d.left);
}

#define T(name) cmocka_unit_test_setup_teardown(name, engine_fx_setup, engine_fx_teardown)
#define T16(name) cmocka_unit_test_setup_teardown(name, engine_fx_setup_16, engine_fx_teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_read_sets_pointer_aborts_and_uploads_from_block_2),
        T(test_short_reply_before_the_end_is_an_error),
        T(test_stalled_upload_keeps_the_stall_code),
        T(test_upload_refused_for_read_protection_is_a_device_status),
        cmocka_unit_test(test_reading_a_read_protected_chip_says_how_to_unprotect),
        cmocka_unit_test(test_read_in_smaller_pieces_points_at_each),
        cmocka_unit_test(test_read_in_larger_pieces_is_refused_before_any_request),
        T16(test_read_past_65535_blocks_re_points),
        T(test_device_without_upload_is_refused_with_no_request),
        T(test_verify_names_the_first_differing_byte),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
