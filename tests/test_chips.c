/* Chip-family profiles: the table's own consistency, picking a profile from
 * what a device shows, and the plan rules that follow from it (radio stack,
 * mass erase, RDP level 2, word padding, the estimate), all refused before a
 * single flash-changing request. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "engine_board.h"
#include "fixtures.h"
#include "mpflash/chip.h"

static void test_table_is_consistent(void **state)
{
    (void)state;
    assert_true(mpf_chip_count() >= 10);
    for (size_t i = 0; i < mpf_chip_count(); i++) {
        const mpf_chip *c = mpf_chip_at(i);
        assert_non_null(c->name);
        assert_ptr_equal(mpf_chip_find(c->name), c);
        assert_true(c->word_size >= 4 && (c->word_size & (c->word_size - 1)) == 0);
        assert_true(c->typical.erase_us_per_kib <= c->worst.erase_us_per_kib);
        assert_true(c->typical.erase_base_us <= c->worst.erase_base_us);
        assert_true(c->typical.program_us_per_word <= c->worst.program_us_per_word);
        assert_true(c->typical.mass_erase_us <= c->worst.mass_erase_us);
        assert_true(c->mass_erase || c->no_mass_erase_why);
        assert_non_null(c->reference);
    }
    assert_null(mpf_chip_at(mpf_chip_count()));
    assert_ptr_equal(mpf_chip_find("H7"), mpf_chip_find("h7"));
    assert_null(mpf_chip_find("f9"));
    assert_null(mpf_chip_find(NULL));
    const mpf_chip *u = mpf_chip_conservative();
    assert_true(u->write_once && u->word_size == 32);
    assert_ptr_equal(mpf_chip_find("unknown"), u);
    /* Generous timeouts: never below the F4-era bound, twice the worst case. */
    for (size_t i = 0; i < mpf_chip_count(); i++) {
        const mpf_chip *c = mpf_chip_at(i);
        assert_true(mpf_chip_erase_timeout_ms(c, 128 * 1024) >= mpf_dfu_erase_timeout_ms(128 * 1024));
        assert_true(mpf_chip_erase_timeout_ms(c, 128 * 1024) >=
                    2 * mpf_timing_erase_us(&c->worst, 128 * 1024) / 1000);
    }
}

static void info_of(const char *chip, mpf_device_info *out)
{
    mpf_sim *sim = NULL;
    assert_int_equal(mpf_sim_new(chip, &sim, NULL), MPF_OK);
    mpf_transport t;
    mpf_sim_transport(sim, &t);
    *out = t.info;
    mpf_sim_free(sim);
}

static void test_unknown_device_gets_the_conservative_profile(void **state)
{
    (void)state;
    mpf_device_info dev;
    info_of("f405", &dev);
    strcpy(dev.alts[0].name, "@Flash /0x00000000/64*1Kg");
    dev.num_alts = 1;
    const char *why = NULL;
    assert_ptr_equal(mpf_chip_pick(&dev, &why), mpf_chip_conservative());
    assert_non_null(strstr(why, "nothing"));
    assert_ptr_equal(mpf_chip_pick(NULL, NULL), mpf_chip_conservative());
}

static void one_segment(mpf_image *img, uint8_t alt, uint32_t address, size_t size, uint8_t fill)
{
    uint8_t *d = malloc(size);
    assert_non_null(d);
    memset(d, fill, size);
    assert_int_equal(mpf_image_add_owned(img, alt, address, d, size, "fw.bin", NULL), MPF_OK);
}

static const char *picked(const mpf_device_info *dev, const char **why)
{
    return mpf_chip_pick(dev, why)->name;
}

/* Where the layout leaves the family open, the product string and bcdDevice
 * (the ROM's generation) decide; both must say it. */
static void test_ambiguous_layout_is_decided_by_the_rom_generation(void **state)
{
    (void)state;
    mpf_device_info dev;
    const char *why = NULL;
    /* The H5 ROM with its option-bytes alt not shown: 8 KiB sectors on the
     * newer ROM, neither H7A3/B3's nor U5's option bytes. */
    info_of("h563", &dev);
    assert_string_equal(picked(&dev, &why), "h5");
    assert_non_null(strstr(why, "0x40022050"));
    dev.num_alts = 1;
    assert_string_equal(picked(&dev, &why), "h5");
    assert_non_null(strstr(why, "DFU in FS Mode"));
    dev.bcd_device = 0x2200; /* the older ROM's bcdDevice: not the H5 */
    assert_ptr_equal(mpf_chip_pick(&dev, &why), mpf_chip_conservative());
    dev.bcd_device = 0x0200;
    strcpy(dev.product, "STM32  BOOTLOADER");
    assert_ptr_equal(mpf_chip_pick(&dev, &why), mpf_chip_conservative());
    /* The same with an option-bytes alt naming another family. */
    info_of("u575", &dev);
    assert_string_equal(picked(&dev, NULL), "u5");
    info_of("h7b3", &dev);
    assert_string_equal(picked(&dev, NULL), "h7ab");
    /* L4+ pages counted in 4 digits on the older ROM, option alt not shown. */
    const char *l4p[] = {"l4r5", "l4r5-1bank", "l476"};
    for (size_t i = 0; i < sizeof l4p / sizeof l4p[0]; i++) {
        info_of(l4p[i], &dev);
        assert_string_equal(picked(&dev, NULL), "l4");
        dev.num_alts = 1;
        assert_string_equal(picked(&dev, &why), "l4");
        assert_non_null(strstr(why, "STM32  BOOTLOADER"));
        strcpy(dev.product, "DFU in FS Mode");
        dev.bcd_device = 0x0200;
        assert_ptr_equal(mpf_chip_pick(&dev, NULL), mpf_chip_conservative());
    }
}

/* mboot is mboot by its manufacturer string or its bcdDevice 0x0300: a board
 * that renames the strings keeps mboot's family layout and its protected
 * region; an older mboot (bcdDevice 0x2200) is known by its manufacturer. */
static void test_mboot_is_known_by_bcd_device_or_manufacturer(void **state)
{
    (void)state;
    mpf_device_info dev;
    info_of("mboot-h563", &dev);
    assert_string_equal(picked(&dev, NULL), "h5");
    strcpy(dev.manufacturer, "Some Board Maker");
    strcpy(dev.product, "Board DFU");
    const char *why = NULL;
    assert_string_equal(picked(&dev, &why), "h5");
    assert_non_null(strstr(why, "mboot"));
    mpf_image img;
    mpf_image_init(&img);
    one_segment(&img, 0, 0x08000000u, 4096, 0x11);
    mpf_plan plan;
    mpf_error err;
    assert_int_equal(mpf_plan_build(&img, &dev, NULL, &plan, &err), MPF_ERR_REFUSED);
    assert_non_null(strstr(err.message, "mboot"));
    mpf_image_free(&img);
    /* Not mboot any more: a 0x2200 device whose manufacturer is not
     * "MicroPython" and shows one alt of 8 KiB sectors is not known. */
    dev.bcd_device = 0x2200;
    assert_ptr_equal(mpf_chip_pick(&dev, NULL), mpf_chip_conservative());
    strcpy(dev.manufacturer, "MicroPython");
    assert_string_equal(picked(&dev, NULL), "h5");
    /* The ST ROM is never taken for mboot. */
    info_of("f405", &dev);
    assert_string_equal(picked(&dev, &why), "f4");
    assert_null(strstr(why, "mboot"));
}

/* The WB's radio stack: refused before any erase, from SFSA when the
 * device gives it, else from the fallback area. */
static void test_wb_stack_area_refused_with_zero_erases(void **state)
{
    (void)state;
    static const struct {
        const char *chip;
        uint32_t address, size;
        int read_facts;
        const char *says; /* NULL: flashed */
    } cases[] = {
        {"wb55", 0x080C8000u, 0x8000u, 1, "0x080CE000-0x080CFFFF"},
        {"wb55", 0x080C0000u, 0xE000u, 1, NULL},
        {"wb55", 0x080C0000u, 0xE000u, 0, "SFSA option byte could not be read"},
        {"mboot-wb55", 0x080C0000u, 0x1000u, 1, "0x080C0000-0x080C0FFF"},
        {"mboot-wb55", 0x080B0000u, 0x1000u, 1, NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        board b;
        board_new(&b, cases[i].chip);
        mpf_image img;
        mpf_image_init(&img);
        one_segment(&img, 0, 0x08008000u, 0x100, 0x11);
        one_segment(&img, 0, cases[i].address, cases[i].size, 0x22);
        assert_int_equal(mpf_image_normalize(&img, NULL), MPF_OK);
        mpf_plan_options opt;
        mpf_plan_options_default(&opt);
        mpf_chip_facts facts;
        memset(&facts, 0, sizeof facts);
        if (cases[i].read_facts) {
            mpf_transport t;
            mpf_sim_transport(b.sim, &t);
            mpf_dfu d;
            assert_int_equal(mpf_dfu_open(&d, &t, NULL, NULL), MPF_OK);
            assert_int_equal(mpf_dfu_read_chip_facts(&d, mpf_chip_pick(&t.info, NULL), &facts,
                                                     NULL), MPF_OK);
            opt.facts = &facts;
        }
        assert_int_equal(facts.sfsa_known, cases[i].read_facts && strcmp(cases[i].chip, "wb55") == 0);
        if (facts.sfsa_known)
            assert_int_equal(facts.stack_start, 0x080CE000u);
        mpf_sim_clear_log(b.sim);
        mpf_err rc = board_flash(&b, &img, &opt);
        if (cases[i].says) {
            assert_int_equal(rc, MPF_ERR_REFUSED);
            if (!strstr(b.err.message, cases[i].says))
                fail_msg("%s: \"%s\" lacks \"%s\"", cases[i].chip, b.err.message, cases[i].says);
            assert_non_null(strstr(b.err.message, "nothing was erased"));
            assert_int_equal(mpf_sim_request_count(b.sim), 0);
            assert_int_equal(mpf_sim_erase_count(b.sim), 0);
        } else if (rc != MPF_OK) {
            fail_msg("%s at 0x%08X: %s", cases[i].chip, cases[i].address, b.err.message);
        } else {
            assert_true(board_has_image(&b, &img));
        }
        mpf_image_free(&img);
        board_free(&b);
    }
}

static void test_no_mass_erase_on_wb(void **state)
{
    (void)state;
    board b;
    board_new(&b, "wb55");
    mpf_image img;
    mpf_image_init(&img);
    one_segment(&img, 0, 0x08004000u, 0x800, 0x33);
    assert_int_equal(mpf_image_normalize(&img, NULL), MPF_OK);
    mpf_plan_options opt;
    mpf_plan_options_default(&opt);
    opt.mass_erase = 1;
    assert_int_equal(board_flash(&b, &img, &opt), MPF_ERR_REFUSED);
    assert_non_null(strstr(b.err.message, "mass erase refused"));
    assert_non_null(strstr(b.err.message, "radio stack"));
    assert_int_equal(mpf_sim_request_count(b.sim), 0);
    /* Another family takes it. */
    board c;
    board_new(&c, "l476");
    assert_int_equal(board_flash(&c, &img, &opt), MPF_OK);
    assert_int_equal(board_ops(&c, MPF_SIM_OP_MASS_ERASE), 1);
    board_free(&c);
    mpf_image_free(&img);
    board_free(&b);
}

static mpf_err plan_on(const char *chip, const mpf_image *img, const mpf_chip *named,
                       mpf_plan *p, mpf_error *err)
{
    mpf_device_info dev;
    info_of(chip, &dev);
    mpf_plan_options opt;
    mpf_plan_options_default(&opt);
    opt.force = 1;
    opt.chip = named;
    return mpf_plan_build(img, &dev, &opt, p, err);
}

/* RDP level 2 where each family keeps it, refused even when forced; an
 * unrecognised device has every family's byte guarded. */
static void test_rdp_level_2_per_family(void **state)
{
    (void)state;
    static const struct {
        const char *chip;
        uint8_t alt;
        uint32_t address;
        const char *named; /* --chip, or NULL */
    } cases[] = {
        {"h743", 1, 0x5200201Du, NULL},
        {"h743", 1, 0x52002021u, NULL},
        {"l476", 1, 0x1FFF7800u, NULL},
        {"g0b1", 1, 0x1FFF7800u, NULL},
        {"wb55", 1, 0x1FFF8000u, NULL},
        {"f722", 1, 0x1FFF0001u, NULL},
        {"f405", 1, 0x1FFFC001u, NULL},
        {"f405", 1, 0x1FFFC001u, "unknown"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        mpf_image img;
        mpf_image_init(&img);
        one_segment(&img, cases[i].alt, cases[i].address, 1, 0xCC);
        assert_int_equal(mpf_image_normalize(&img, NULL), MPF_OK);
        mpf_plan p;
        mpf_error err;
        const mpf_chip *named = cases[i].named ? mpf_chip_find(cases[i].named) : NULL;
        assert_int_equal(plan_on(cases[i].chip, &img, named, &p, &err), MPF_ERR_REFUSED);
        assert_non_null(strstr(err.message, "RDP level 2"));
        assert_non_null(strstr(err.message, "refused even when forced"));
        mpf_image_free(&img);
        /* Level 1 (0xBB) is recoverable: planned with --force. */
        mpf_image_init(&img);
        one_segment(&img, cases[i].alt, cases[i].address, 1, 0xBB);
        assert_int_equal(mpf_image_normalize(&img, NULL), MPF_OK);
        assert_int_equal(plan_on(cases[i].chip, &img, named, &p, &err), MPF_OK);
        mpf_plan_free(&p);
        mpf_image_free(&img);
    }
}

/* Write-once words: a write is widened to whole words of 0xFF, and pieces
 * sharing a word go as one write; byte-programmable families are left as
 * they are. */
static void test_partial_words_are_padded(void **state)
{
    (void)state;
    mpf_image img;
    mpf_image_init(&img);
    one_segment(&img, 0, 0x08040004u, 10, 0x44);  /* word 0x08040000 */
    one_segment(&img, 0, 0x08040014u, 4, 0x55);   /* the same 32-byte word */
    one_segment(&img, 0, 0x08040100u, 100, 0x66); /* ends inside a word */
    assert_int_equal(mpf_image_normalize(&img, NULL), MPF_OK);
    mpf_plan p;
    mpf_error err;
    assert_int_equal(plan_on("h743", &img, NULL, &p, &err), MPF_OK);
    assert_string_equal(p.chip->name, "h7");
    assert_int_equal(p.write_count, 2);
    assert_int_equal(p.writes[0].address, 0x08040000u);
    assert_int_equal(p.writes[0].size, 32);
    static const uint8_t want0[32] = {
        0xFF, 0xFF, 0xFF, 0xFF, 0x44, 0x44, 0x44, 0x44, 0x44, 0x44, 0x44, 0x44, 0x44, 0x44,
        0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x55, 0x55, 0x55, 0x55, 0xFF, 0xFF, 0xFF, 0xFF,
        0xFF, 0xFF, 0xFF, 0xFF};
    assert_memory_equal(p.writes[0].data, want0, 32);
    assert_int_equal(p.writes[1].address, 0x08040100u);
    assert_int_equal(p.writes[1].size, 128);
    assert_int_equal(p.writes[1].data[99], 0x66);
    assert_int_equal(p.writes[1].data[100], 0xFF);
    assert_int_equal(p.writes[1].data[127], 0xFF);
    assert_int_equal(p.write_bytes, 160);
    mpf_plan_free(&p);
    /* L4: 8-byte double words. */
    assert_int_equal(plan_on("l476", &img, NULL, &p, &err), MPF_OK);
    assert_int_equal(p.write_count, 3);
    assert_int_equal(p.writes[2].size, 104);
    mpf_plan_free(&p);
    /* F4: bytes as they are. */
    assert_int_equal(plan_on("f405", &img, NULL, &p, &err), MPF_OK);
    assert_int_equal(p.write_count, 3);
    assert_int_equal(p.write_bytes, 114);
    mpf_plan_free(&p);
    mpf_image_free(&img);
}

/* The estimate follows the family: an L4 image estimated with the F4 table
 * came out about three times too long. */
static void test_estimate_uses_the_family_timing(void **state)
{
    (void)state;
    mpf_image img;
    mpf_image_init(&img);
    assert_int_equal(fixture_micropython_image(&img, 200 * 1024, 3), 0);
    mpf_plan p;
    mpf_error err;
    assert_int_equal(plan_on("l476", &img, NULL, &p, &err), MPF_OK);
    assert_string_equal(p.chip->name, "l4");
    const uint64_t family = p.estimated_us;
    const uint64_t f4 = mpf_plan_estimate_us(&p, mpf_timing_stm32f4());
    assert_true(f4 > 2 * family);
    mpf_plan_free(&p);
    /* --chip overrides what the descriptors say. */
    assert_int_equal(plan_on("l476", &img, mpf_chip_find("f4"), &p, &err), MPF_OK);
    assert_string_equal(p.chip->name, "f4");
    assert_string_equal(p.chip_why, "named by the caller");
    assert_int_equal(p.estimated_us, f4);
    mpf_plan_free(&p);
    mpf_image_free(&img);
}

/* Unknown devices: no sector is programmed without an erase (nothing says
 * how their flash behaves), but one that already holds the image is still
 * left alone. */
static void test_unknown_device_never_writes_without_erase(void **state)
{
    (void)state;
    board b;
    board_new(&b, "l476");
    mpf_image img;
    mpf_image_init(&img);
    assert_int_equal(fixture_micropython_image(&img, 8 * 1024, 9), 0);
    mpf_plan_options opt;
    mpf_plan_options_default(&opt);
    opt.chip = mpf_chip_conservative();
    if (board_flash_ex(&b, &img, &opt, 1, 0) != MPF_OK)
        fail_msg("%s", b.err.message);
    assert_int_equal(mpf_sim_erase_count(b.sim), b.plan.erase_count);
    assert_true(board_has_image(&b, &img));
    mpf_sim_replug(b.sim);
    mpf_sim_clear_log(b.sim);
    assert_int_equal(board_flash_ex(&b, &img, &opt, 1, 0), MPF_OK);
    assert_int_equal(mpf_sim_erase_count(b.sim), 0);
    assert_int_equal(board_ops(&b, MPF_SIM_OP_WRITE), 0);
    /* The L4 profile writes the blank pages without erasing them. */
    board c;
    board_new(&c, "l476");
    assert_int_equal(board_flash_ex(&c, &img, NULL, 1, 0), MPF_OK);
    assert_int_equal(mpf_sim_erase_count(c.sim), 0);
    board_free(&c);
    mpf_image_free(&img);
    board_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table_is_consistent),
        cmocka_unit_test(test_unknown_device_gets_the_conservative_profile),
        cmocka_unit_test(test_ambiguous_layout_is_decided_by_the_rom_generation),
        cmocka_unit_test(test_mboot_is_known_by_bcd_device_or_manufacturer),
        cmocka_unit_test(test_unknown_device_never_writes_without_erase),
        cmocka_unit_test(test_wb_stack_area_refused_with_zero_erases),
        cmocka_unit_test(test_no_mass_erase_on_wb),
        cmocka_unit_test(test_rdp_level_2_per_family),
        cmocka_unit_test(test_partial_words_are_padded),
        cmocka_unit_test(test_estimate_uses_the_family_timing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
