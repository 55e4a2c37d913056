/* Known bootloader quirks, each reproduced by a switchable virtual board
 * (src/sim/quirks.c) and met by the engine with a recovery or a clear
 * message: mboot's iString reasons, the F411 ROM's random stalls, the H743
 * rev V ROM stuck in dfuDNBUSY after an erase, the F745's slow GETSTATUS,
 * the F072's shared serial number. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "engine_board.h"
#include "mpflash/usb.h"
#include "fixtures.h"
#include "tool_capture.h"

#define KIB 1024u

static void load_micropython(mpf_image *img)
{
    mpf_image_init(img);
    assert_int_equal(fixture_micropython_image(img, 0, 11), 0);
}

/* ---- mboot names its reasons (iString) ------------------------------------ */

static void test_mboot_says_it_cannot_overwrite_itself(void **state)
{
    board_case *c = *state;
    board *b = &c->b;
    mpf_sim_transport(b->sim, &b->raw);
    spy_wrap(&b->spy, &b->raw, &b->t);
    assert_int_equal(mpf_dfu_open(&b->d, &b->t, &b->cb, &b->err), MPF_OK);
    assert_int_equal(mpf_dfu_erase_sector(&b->d, 0, 0x08000000, 16 * KIB, &b->err),
                     MPF_ERR_DEVICE_STATUS);
    assert_non_null(strstr(b->err.message, "errADDRESS"));
    assert_non_null(strstr(b->err.message, "the device says: \"Can't overwrite mboot\"; mboot keeps the start "
                                           "of the flash for itself"));
    assert_int_equal(mpf_sim_erase_count(b->sim), 0);
    /* mboot clears the reason once reported: a second failure names its own. */
    assert_int_equal(mpf_dfu_open(&b->d, &b->t, &b->cb, &b->err), MPF_OK);
    assert_int_equal(mpf_dfu_erase_sector(&b->d, 0, 0x08100000, 128 * KIB, &b->err),
                     MPF_ERR_DEVICE_STATUS);
    assert_non_null(strstr(b->err.message, "the device says: \"Address out of range\""));
    assert_null(strstr(b->err.message, "overwrite"));
}

static void test_rom_has_no_reason_strings(void **state)
{
    board_case *c = *state;
    board *b = &c->b;
    mpf_sim_transport(b->sim, &b->raw);
    spy_wrap(&b->spy, &b->raw, &b->t);
    assert_int_equal(mpf_dfu_open(&b->d, &b->t, &b->cb, &b->err), MPF_OK);
    /* Past the end of the F401's flash: the ROM says errTARGET, iString 0. */
    assert_int_equal(mpf_dfu_erase_sector(&b->d, 0, 0x08080000, 128 * KIB, &b->err),
                     MPF_ERR_DEVICE_STATUS);
    assert_non_null(strstr(b->err.message, "errTARGET"));
    assert_null(strstr(b->err.message, "the device says"));
    assert_null(strstr(b->err.message, "mboot"));
}

/* ---- STM32F411: random stalls ---------------------------------------------- */

/* Image bytes already in flash, counted in whole 2 KiB blocks. */
static size_t blocks_right(const board *b, const mpf_image *img)
{
    size_t n = 0;
    uint8_t got[2048];
    for (size_t i = 0; i < img->count; i++) {
        const mpf_segment *s = &img->segments[i];
        for (size_t off = 0; off < s->size; off += sizeof got) {
            size_t len = s->size - off < sizeof got ? s->size - off : sizeof got;
            n += mpf_sim_peek(b->sim, s->address + (uint32_t)off, got, len) == 0 &&
                 memcmp(got, s->data + off, len) == 0;
        }
    }
    return n;
}

/* The stall that ended a run (one in the read-back check is only logged:
 * that check then counts the sectors as to be erased, and goes on). */
static size_t last_stall(const mpf_sim *sim)
{
    for (size_t i = mpf_sim_request_count(sim); i-- > 0;)
        if (mpf_sim_request_at(sim, i)->result == MPF_ERR_USB_STALL)
            return i;
    fail_msg("no stalled request in the log");
    return 0;
}

static void test_f411_stalls_are_explained_and_a_rerun_resumes(void **state)
{
    board_case *c = *state;
    board *b = &c->b;
    load_micropython(&c->img);
    int runs = 0, failed = 0;
    size_t right = blocks_right(b, &c->img);
    mpf_err rc;
    do {
        assert_true(++runs <= 60);
        mpf_sim_clear_log(b->sim);
        rc = board_flash_ex(b, &c->img, NULL, 1, 0);
        if (rc == MPF_OK)
            break;
        failed++;
        assert_int_equal(rc, MPF_ERR_USB_STALL);
        assert_non_null(strstr(b->err.message, "errSTALLEDPKT"));
        assert_non_null(strstr(b->err.message, "STM32F411"));
        assert_non_null(strstr(b->err.message, "run the same command again"));
        /* Nothing that changes flash after the stall. */
        assert_int_equal(board_log_flash_changes_after(b->sim, last_stall(b->sim)), 0);
        /* A run that stalled while writing kept what it wrote. */
        size_t now = blocks_right(b, &c->img);
        assert_true(now >= right);
        right = now;
    } while (1);
    printf("# %d runs, %d stopped by a stall\n", runs, failed);
    assert_true(failed >= 1); /* the quirk bit */
    assert_true(board_has_image(b, &c->img));
    /* Once it is done, it is done: the same image again writes nothing,
     * unless a stall in its read-back check made it flash everything. */
    mpf_sim_replug(b->sim); /* it left DFU mode to run the firmware */
    do {
        mpf_sim_clear_log(b->sim);
        rc = board_flash_ex(b, &c->img, NULL, 1, 0);
    } while (rc == MPF_ERR_USB_STALL);
    assert_int_equal(rc, MPF_OK);
    int stalled = 0;
    for (size_t i = 0; i < mpf_sim_request_count(b->sim); i++)
        stalled |= mpf_sim_request_at(b->sim, i)->result == MPF_ERR_USB_STALL;
    if (!stalled)
        assert_int_equal(board_ops(b, MPF_SIM_OP_WRITE), 0);
    assert_true(board_has_image(b, &c->img));
}

/* ---- STM32H743 rev V: stuck in dfuDNBUSY after an erase -------------------- */

static void test_stuck_erase_is_cleared_twice_and_counted_done(void **state)
{
    board_case *c = *state;
    board *b = &c->b;
    /* The H743's 128 KiB sectors: old contents, then a firmware whose text
     * reaches past the first 1 MiB, where the rev V ROM sticks. */
    board_fill(b, 0x08000000, 0x200000, 0x0BAD);
    mpf_image_init(&c->img);
    uint8_t *vec = malloc(0x400), *text = malloc(0x40000);
    assert_true(vec && text);
    fixture_fill_random(vec, 0x400, 3);
    fixture_fill_random(text, 0x40000, 4);
    assert_int_equal(mpf_image_add_owned(&c->img, 0, 0x08000000, vec, 0x400, "vectors", NULL), MPF_OK);
    assert_int_equal(mpf_image_add_owned(&c->img, 0, 0x080F0000, text, 0x40000, "text", NULL), MPF_OK);
    assert_int_equal(mpf_image_normalize(&c->img, NULL), MPF_OK);
    assert_int_equal(board_flash(b, &c->img, NULL), MPF_OK);
    assert_true(board_has_image(b, &c->img));
    /* 0x08000000, 0x080E0000 below 1 MiB; 0x08100000 and 0x08120000 stick. */
    const uint32_t erased[] = {0x08000000, 0x080E0000, 0x08100000, 0x08120000};
    board_assert_erased(b, erased, 4);
    assert_int_equal(board_ops(b, MPF_SIM_OP_CLRSTATUS), 2 * 2);
    assert_int_equal(capture_count(&b->cap, MPF_LOG_WARN, "two CLRSTATUS"), 2);
    /* Each stuck erase waited its worst case once (not twice) before the
     * clearing: 2 x 9.2 s at most on top of the flash itself. */
    assert_true(mpf_sim_clock_us(b->sim) < 2u * 1000u * mpf_dfu_erase_timeout_ms(128 * KIB) + 20000000u);
}

static void test_stuck_erase_threshold_is_a_knob(void **state)
{
    board_case *c = *state;
    board *b = &c->b;
    /* An F405 stands in on a smaller chip: the quirk from 128 KiB here. */
    mpf_sim_set_stuck_erase_above(b->sim, 0x20000);
    load_micropython(&c->img);
    assert_int_equal(board_flash(b, &c->img, NULL), MPF_OK);
    assert_true(board_has_image(b, &c->img));
    size_t stuck = 0;
    for (size_t i = 0; i < mpf_sim_erase_count(b->sim); i++)
        stuck += mpf_sim_erase_at(b->sim, i) >= 0x08020000;
    assert_true(stuck >= 1);
    assert_int_equal(board_ops(b, MPF_SIM_OP_CLRSTATUS), 2 * stuck);
}

static void test_stuck_is_not_slow(void **state)
{
    /* Without the quirk nothing is cleared. */
    board_case *c = *state;
    board *b = &c->b;
    load_micropython(&c->img);
    assert_int_equal(board_flash(b, &c->img, NULL), MPF_OK);
    assert_int_equal(board_ops(b, MPF_SIM_OP_CLRSTATUS), 0);
}

/* ---- STM32F745: GETSTATUS takes 2 s ------------------------------------------ */

static void test_slow_getstatus_is_waited_for(void **state)
{
    board_case *c = *state;
    board *b = &c->b;
    load_micropython(&c->img);
    assert_int_equal(board_flash(b, &c->img, NULL), MPF_OK);
    assert_true(board_has_image(b, &c->img));
    /* Every GETSTATUS cost its 2 s: the quirk was live. */
    assert_true(mpf_sim_clock_us(b->sim) >= 2000000u * board_ops(b, MPF_SIM_OP_GETSTATUS));
    /* A host with a 1.5 s timeout would have lost it (fwupd before PR #1944). */
    mpf_transport t;
    mpf_sim_transport(b->sim, &t);
    mpf_sim_replug(b->sim);
    uint8_t raw[6];
    size_t got = 0;
    mpf_error e;
    assert_int_equal(t.ops->control_in(t.ctx, MPF_DFU_GETSTATUS, 0, raw, 6, &got, 1500, &e),
                     MPF_ERR_USB_TIMEOUT);
    assert_int_equal(t.ops->control_in(t.ctx, MPF_DFU_GETSTATUS, 0, raw, 6, &got,
                                       MPF_DFU_TIMEOUT_MS, &e),
                     MPF_OK);
}

/* ---- STM32F072: one serial for every chip ------------------------------------ */

static void test_shared_serial_overrides(void **state)
{
    board_case *c = *state;
    board *b = &c->b;
    mpf_sim_set_serial(b->sim, "SIM2");
    mpf_transport t;
    mpf_sim_transport(b->sim, &t);
    assert_string_equal(t.info.serial, "FFFFFFFEFFFF");
    char s[32];
    mpf_error e;
    assert_int_equal(t.ops->get_string(t.ctx, 3, s, sizeof s, &e), MPF_OK);
    assert_string_equal(s, "FFFFFFFEFFFF");
}

/* The tool: -l says the serial is not unique, --all tells the boards apart
 * by port path, -S with that serial asks for -p. */
static void test_shared_serial_boards_go_by_path(void **state)
{
    (void)state;
    char *list[] = {"mpflash", "--sim", "f405+shared-serial,f405+shared-serial", "-l", NULL};
    captured c;
    tool_run_captured(&c, 0, NULL, 4, list);
    assert_int_equal(c.code, 0);
    assert_non_null(strstr(c.out, "serial FFFFFFFEFFFF is not unique (the STM32F072 ROM shows it on every "
                                  "chip): choose this board by its port, -p 1-1\n"));
    assert_non_null(strstr(c.out, "choose this board by its port, -p 1-2\n"));
    captured_release(&c);
    /* One board alone is still told apart by its path, in text and JSON. */
    char *one[] = {"mpflash", "--sim", "f401+shared-serial", "-l", NULL};
    tool_run_captured(&c, 0, NULL, 4, one);
    assert_int_equal(c.code, 0);
    assert_non_null(strstr(c.out, "serial FFFFFFFEFFFF is not unique"));
    assert_non_null(strstr(c.out, "-p 1-1\n"));
    captured_release(&c);
    char *one_json[] = {"mpflash", "--sim", "f401+shared-serial", "-l", "--json", NULL};
    tool_run_captured(&c, 0, NULL, 5, one_json);
    assert_int_equal(c.code, 0);
    assert_non_null(strstr(c.out, "\"serial\":\"FFFFFFFEFFFF\""));
    assert_non_null(strstr(c.out, "\"serial_unique\":false"));
    captured_release(&c);
    char *other_json[] = {"mpflash", "--sim", "f401", "-l", "--json", NULL};
    tool_run_captured(&c, 0, NULL, 5, other_json);
    assert_int_equal(c.code, 0);
    assert_non_null(strstr(c.out, "\"serial_unique\":true"));
    captured_release(&c);
    char *all[] = {"mpflash", "--sim", "f405+shared-serial,f405+shared-serial", "--all", "--json", "-u",
                   MPFLASH_BUILD_DIR "/sample/firmware.dfu", NULL};
    tool_run_captured(&c, 0, NULL, 7, all);
    assert_int_equal(c.code, 0);
    assert_non_null(strstr(c.out, "{\"event\":\"board\",\"board\":\"1-1\",\"serial\":\"FFFFFFFEFFFF\""));
    assert_non_null(strstr(c.out, "{\"event\":\"board\",\"board\":\"1-2\",\"serial\":\"FFFFFFFEFFFF\""));
    captured_release(&c);
    char *by_serial[] = {"mpflash", "--sim", "f405+shared-serial,f405+shared-serial", "-S", "FFFFFFFEFFFF",
                         "-u", MPFLASH_BUILD_DIR "/sample/firmware.dfu", NULL};
    tool_run_captured(&c, 0, NULL, 7, by_serial);
    assert_int_not_equal(c.code, 0);
    assert_non_null(strstr(c.err, "FFFFFFFEFFFF is what the STM32F072 ROM shows on every chip"));
    assert_non_null(strstr(c.err, "-p PATH"));
    captured_release(&c);
    assert_true(mpf_usb_serial_shared("fffffffeffff"));
    assert_false(mpf_usb_serial_shared("3254335B3233"));
    assert_false(mpf_usb_serial_shared(NULL));
}

static void test_quirk_names(void **state)
{
    (void)state;
    mpf_sim *sim = NULL;
    mpf_error e;
    assert_int_equal(mpf_sim_new("f405+slow-status+pipe", &sim, &e), MPF_OK);
    assert_int_equal(mpf_sim_quirks(sim), MPF_SIM_QUIRK_SLOW_STATUS | MPF_SIM_QUIRK_PIPE);
    mpf_sim_free(sim);
    assert_int_equal(mpf_sim_new("f405+wobbly", &sim, &e), MPF_ERR_USAGE);
    assert_non_null(strstr(e.message, "unknown quirk \"wobbly\""));
    assert_null(sim);
    assert_int_equal(mpf_sim_new("f405+packing", &sim, &e), MPF_ERR_USAGE);
    assert_non_null(strstr(e.message, "mboot"));
    assert_string_equal(mpf_sim_quirk_name(MPF_SIM_QUIRK_STUCK_ERASE), "stuck-erase");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        BOARD_TEST("mboot", test_mboot_says_it_cannot_overwrite_itself),
        BOARD_TEST("f401", test_rom_has_no_reason_strings),
        BOARD_TEST("f411+pipe", test_f411_stalls_are_explained_and_a_rerun_resumes),
        BOARD_TEST("h743+stuck-erase", test_stuck_erase_is_cleared_twice_and_counted_done),
        BOARD_TEST("f405+stuck-erase", test_stuck_erase_threshold_is_a_knob),
        BOARD_TEST("f405", test_stuck_is_not_slow),
        BOARD_TEST("f767+slow-status", test_slow_getstatus_is_waited_for),
        BOARD_TEST("f405+shared-serial", test_shared_serial_overrides),
        cmocka_unit_test(test_shared_serial_boards_go_by_path),
        cmocka_unit_test(test_quirk_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
