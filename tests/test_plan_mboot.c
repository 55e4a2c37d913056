/* An image linked for a board without mboot (vector table at 0x08000000)
 * sent to a board running MicroPython's mboot: mboot's layout string calls
 * its own 32 KiB writable, but it answers an erase or write there with
 * errADDRESS. The plan refuses it up front, on what enumeration says (the
 * manufacturer string), with what to flash instead, and refuses nothing
 * else. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "engine_board.h"
#include "fixtures.h"
#include "mpflash/plan.h"
#include "mpflash/sim.h"
#include "tool/tool_exit.h"

static void device_info(const char *chip, mpf_device_info *out)
{
    mpf_sim *sim = NULL;
    mpf_error err;
    if (mpf_sim_new(chip, &sim, &err) != MPF_OK)
        fail_msg("%s: %s", chip, err.message);
    mpf_transport t;
    mpf_sim_transport(sim, &t);
    *out = t.info;
    mpf_sim_free(sim);
}

static void one_segment(mpf_image *img, uint32_t address, size_t size)
{
    uint8_t *data = malloc(size);
    assert_non_null(data);
    fixture_fill_random(data, size, address);
    mpf_error err;
    mpf_image_init(img);
    assert_int_equal(mpf_image_add_owned(img, 0, address, data, size, "fw.bin", &err), MPF_OK);
    assert_int_equal(mpf_image_normalize(img, &err), MPF_OK);
}

/* A MicroPython image as linked for a board without mboot: its vector
 * table is at 0x08000000. */
static void image_without_mboot(mpf_image *img)
{
    mpf_image_init(img);
    assert_int_equal(fixture_micropython_image(img, 64u * 1024u, 5), 0);
}

static mpf_err plan_for(const char *chip, const mpf_image *img, int force, mpf_error *err)
{
    mpf_device_info info;
    device_info(chip, &info);
    mpf_plan_options opt;
    mpf_plan_options_default(&opt);
    opt.force = force;
    mpf_plan plan;
    mpf_err rc = mpf_plan_build(img, &info, &opt, &plan, err);
    if (rc == MPF_OK)
        mpf_plan_free(&plan);
    return rc;
}

static void test_image_for_a_board_without_mboot_is_refused_with_the_way_out(void **state)
{
    (void)state;
    static const char *const chips[] = {"mboot", "mboot-f401"};
    mpf_image img;
    image_without_mboot(&img);
    for (size_t i = 0; i < 2; i++) {
        mpf_error err;
        for (int force = 0; force <= 1; force++) {
            mpf_err rc = plan_for(chips[i], &img, force, &err);
            if (rc != MPF_ERR_REFUSED)
                fail_msg("%s (force %d): %s (%s), want refused", chips[i], force,
                         mpf_err_name(rc), err.message);
            assert_int_equal(err.code, MPF_ERR_REFUSED);
            assert_int_equal(tool_exit_code(rc), 2);
            assert_non_null(strstr(err.message, "the image writes 0x08000000-0x0800043F"));
            assert_non_null(strstr(err.message, "MicroPython's mboot occupies 0x08000000-0x08007FFF"));
            assert_non_null(strstr(err.message, "(USE_MBOOT=1)"));
            assert_non_null(strstr(err.message, "forcing cannot change this"));
            assert_null(strchr(err.message, '\n'));
        }
    }
    mpf_image_free(&img);
}

/* Flash img onto b's board as if nothing in its enumeration told mboot (an
 * older mboot, bcdDevice 0x2200 as the ST ROM's, whose manufacturer string
 * and USB IDs the board changed): the plan lets it through, so what comes
 * back is the device's own answer. */
static mpf_err flash_unrecognised(board *b, const mpf_image *img)
{
    mpf_sim_transport(b->sim, &b->t);
    b->t.info.vid = 0x0483;
    b->t.info.pid = 0xDF11;
    strcpy(b->t.info.manufacturer, "Some Board Vendor");
    b->t.info.bcd_device = 0x2200;
    mpf_plan_options opt;
    mpf_plan_options_default(&opt);
    assert_int_equal(mpf_plan_build(img, &b->t.info, &opt, &b->plan, &b->err), MPF_OK);
    b->has_plan = 1;
    assert_int_equal(mpf_dfu_open(&b->d, &b->t, &b->cb, &b->err), MPF_OK);
    return mpf_dfu_flash(&b->d, &b->plan, &b->err);
}

/* What is refused is exactly the overlap with mboot's 32 KiB. */
static void test_only_data_inside_mboot_is_refused(void **state)
{
    (void)state;
    static const struct {
        uint32_t address;
        size_t size;
        const char *says; /* NULL: planned */
    } cases[] = {
        {0x08007000u, 0x2000u, "the image writes 0x08007000-0x08007FFF"},
        {0x08007FFFu, 1u, "the image writes 0x08007FFF-0x08007FFF"},
        {0x08008000u, 0x1000u, NULL},
        {0x08020000u, 0x4000u, NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        mpf_image img;
        one_segment(&img, cases[i].address, cases[i].size);
        mpf_error err;
        mpf_error_clear(&err);
        mpf_err rc = plan_for("mboot", &img, 0, &err);
        if (cases[i].says) {
            assert_int_equal(rc, MPF_ERR_REFUSED);
            if (!strstr(err.message, cases[i].says))
                fail_msg("0x%08X: \"%s\" lacks \"%s\"", (unsigned)cases[i].address, err.message,
                         cases[i].says);
            assert_non_null(strstr(err.message, "fw.bin: "));
        } else if (rc != MPF_OK) {
            fail_msg("0x%08X: %s", (unsigned)cases[i].address, err.message);
        }
        mpf_image_free(&img);
    }
}

/* The ST ROM with the same VID:PID and layout takes the image. */
static void test_rom_bootloader_takes_the_same_image(void **state)
{
    (void)state;
    mpf_image img;
    image_without_mboot(&img);
    mpf_error err;
    mpf_err rc = plan_for("f405", &img, 0, &err);
    if (rc != MPF_OK)
        fail_msg("f405: %s", err.message);
    mpf_image_free(&img);
}

/* The refusal says what the device would say, before it says it: unnoticed
 * (an older mboot, bcdDevice 0x2200 as the ST ROM's, whose manufacturer
 * string the board changed), the same image reaches the board and fails
 * there with errADDRESS; noticed, nothing is sent. */
static void test_the_device_refuses_what_the_plan_refuses(void **state)
{
    (void)state;
    mpf_image img;
    image_without_mboot(&img);

    board b;
    board_new(&b, "mboot");
    mpf_err rc = flash_unrecognised(&b, &img);
    assert_int_equal(rc, MPF_ERR_DEVICE_STATUS);
    assert_non_null(strstr(b.err.message, "0x08000000 failed: errADDRESS"));
    board_free(&b);

    board_new(&b, "mboot");
    rc = board_flash(&b, &img, NULL);
    assert_int_equal(rc, MPF_ERR_REFUSED);
    assert_non_null(strstr(b.err.message, "MicroPython's mboot"));
    assert_int_equal(mpf_sim_request_count(b.sim), 0);
    assert_int_equal(mpf_sim_erase_count(b.sim), 0);
    board_free(&b);
    mpf_image_free(&img);
}


/* LEGO Hub No.6/No.7: LEGO's own bootloader at 0x08000000 and mboot after
 * it at 0x08008000 (src/chips/boards.c has the sources), both known by the
 * hub's USB IDs, 0694:0008 / 0694:000C. On mboot both are refused, each by
 * its name; on LEGO's bootloader (the same IDs, not mboot) only its own 32
 * KiB, since that is where a backup of LEGO's firmware goes back. */
static void test_lego_hub_regions(void **state)
{
    (void)state;
    static const struct {
        const char *chip;
        uint16_t pid;
        uint32_t address;
        size_t size;
        const char *says; /* NULL: planned */
    } cases[] = {
        {"lego-hub6", 0x0008, 0x08007000u, 0x2000u,
         "0x08007000-0x08007FFF, but on this STM32F2/F4 board LEGO's own bootloader occupies "
         "0x08000000-0x08007FFF"},
        {"lego-hub6", 0x0008, 0x08008000u, 0x1000u,
         "0x08008000-0x08008FFF, but on this STM32F2/F4 board MicroPython's mboot (after LEGO's "
         "bootloader) occupies 0x08008000-0x0800FFFF"},
        {"lego-hub6", 0x0008, 0x0800FFFFu, 1u, "0x0800FFFF-0x0800FFFF"},
        {"lego-hub6", 0x0008, 0x08010000u, 0x1000u, NULL},
        {"lego-hub6", 0x000C, 0x08008000u, 0x1000u, "MicroPython's mboot (after LEGO's"},
        /* LEGO's own bootloader: the ST ROM stands in for it (same IDs). */
        {"f405", 0x0008, 0x08007FFFu, 1u, "LEGO's own bootloader occupies 0x08000000-0x08007FFF"},
        {"f405", 0x000C, 0x08000000u, 0x100u, "LEGO's own bootloader"},
        {"f405", 0x0008, 0x08008000u, 0xF8000u, NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        mpf_device_info info;
        device_info(cases[i].chip, &info);
        info.vid = 0x0694;
        info.pid = cases[i].pid;
        mpf_image img;
        one_segment(&img, cases[i].address, cases[i].size);
        mpf_plan_options opt;
        mpf_plan_options_default(&opt);
        opt.force = 1; /* nothing forces these */
        mpf_error err;
        mpf_error_clear(&err);
        mpf_plan plan;
        mpf_err rc = mpf_plan_build(&img, &info, &opt, &plan, &err);
        if (cases[i].says) {
            assert_int_equal(rc, MPF_ERR_REFUSED);
            if (!strstr(err.message, cases[i].says))
                fail_msg("case %zu: \"%s\" lacks \"%s\"", i, err.message, cases[i].says);
        } else if (rc != MPF_OK) {
            fail_msg("case %zu: %s", i, err.message);
        } else {
            mpf_plan_free(&plan);
        }
        mpf_image_free(&img);
    }
}

/* The virtual hub's mboot refuses everything below 0x08010000 by itself
 * (errADDRESS), as its linker script says; the plan refuses the same up
 * front with nothing sent, and a MicroPython image at 0x08010000 leaves
 * LEGO's bootloader and mboot byte for byte as they were. */
static void test_lego_hub_bootloaders_survive(void **state)
{
    (void)state;
    mpf_image into_mboot, app;
    one_segment(&into_mboot, 0x08008000u, 0x9000u);
    one_segment(&app, 0x08010000u, 0x30000u);

    /* Unrecognised (other IDs and strings), the device itself refuses. */
    board b;
    board_new(&b, "lego-hub6");
    board_fill(&b, 0x08000000u, 0x10000u, 77);
    assert_int_equal(flash_unrecognised(&b, &into_mboot), MPF_ERR_DEVICE_STATUS);
    assert_non_null(strstr(b.err.message, "0x08008000 failed: errADDRESS"));
    assert_int_equal(mpf_sim_erase_count(b.sim), 0);
    assert_true(board_holds_fill(&b, 0x08000000u, 0x10000u, 77));
    board_free(&b);

    /* As it enumerates: refused before any request. */
    board_new(&b, "lego-hub6");
    board_fill(&b, 0x08000000u, 0x10000u, 77);
    assert_int_equal(board_flash(&b, &into_mboot, NULL), MPF_ERR_REFUSED);
    assert_non_null(strstr(b.err.message, "MicroPython's mboot (after LEGO's bootloader)"));
    assert_int_equal(mpf_sim_request_count(b.sim), 0);
    assert_int_equal(mpf_sim_erase_count(b.sim), 0);
    assert_true(board_holds_fill(&b, 0x08000000u, 0x10000u, 77));
    board_free(&b);

    /* The hub's own build goes in; both bootloaders are untouched. */
    board_new(&b, "lego-hub6");
    board_fill(&b, 0x08000000u, 0x10000u, 77);
    if (board_flash(&b, &app, NULL) != MPF_OK)
        fail_msg("%s", b.err.message);
    assert_true(board_has_image(&b, &app));
    assert_true(board_holds_fill(&b, 0x08000000u, 0x10000u, 77));
    for (size_t i = 0; i < mpf_sim_erase_count(b.sim); i++)
        assert_true(mpf_sim_erase_at(b.sim, i) >= 0x08010000u);
    board_free(&b);
    mpf_image_free(&app);
    mpf_image_free(&into_mboot);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_image_for_a_board_without_mboot_is_refused_with_the_way_out),
        cmocka_unit_test(test_only_data_inside_mboot_is_refused),
        cmocka_unit_test(test_lego_hub_regions),
        cmocka_unit_test(test_lego_hub_bootloaders_survive),
        cmocka_unit_test(test_rom_bootloader_takes_the_same_image),
        cmocka_unit_test(test_the_device_refuses_what_the_plan_refuses),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
