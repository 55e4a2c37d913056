/* Every scenario on every family's virtual chip (ST ROM and mboot), with
 * MicroPython-shaped images laid out as each family's boards link them:
 * fresh flash over older firmware, the same image again, one programmed
 * byte changed, one 0xFF byte set to 0x00 (in an erased flash word and in a
 * programmed one: the reported errPROG bug), a flash cut off mid-write and
 * re-run, the filesystem (and mboot, and the WB radio stack) surviving, and
 * the plan's estimate against the modelled time. Each checks the whole
 * flash byte for byte against what a full flash leaves, and the requests. */
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

#define FLASH 0x08000000u
#define KIB 1024u
#define TEXT_SIZE (160u * KIB + 100u) /* ends inside a flash word on every family */
#define VECTOR_SIZE 1088u
/* A run of 0xFF in the text, as firmware has between sections: it starts
 * 4 bytes into a flash word, so the word at HOLE_WORD holds programmed bytes
 * and 0xFF, and the words from HOLE_ERASED on are wholly 0xFF. */
#define HOLE 0x1004u
#define HOLE_SIZE 0xFCu
#define HOLE_WORD 0x1000u
#define HOLE_ERASED 0x1040u
#define CHANGED 0x3000u /* a programmed byte the "changed" scenario alters */

typedef struct family {
    const char *chip;    /* virtual chip */
    const char *profile; /* the profile its descriptors must pick */
    uint32_t flash_size;
    uint32_t vector;     /* 0: none (mboot owns 0x08000000) */
    uint32_t text;
    uint32_t fs, fs_size;      /* the filesystem that must survive */
    uint32_t keep, keep_size;  /* mboot itself, or the WB radio stack: must survive */
    uint32_t text2;            /* 0, or a second piece of firmware in bank 2 (dual bank) */
} family;

#define BANK2 0x08100000u /* bank 2 of the 2 MiB dual-bank parts */
#define TEXT2_SIZE (40u * KIB + 36u)

static const family families[] = {
    {"f405", "f4", 1024 * KIB, FLASH, 0x08020000u, 0x08004000u, 0x1C000u, 0, 0, 0},
    {"f722", "f7", 512 * KIB, FLASH, 0x08020000u, 0x08004000u, 0xC000u, 0, 0, 0},
    {"f767", "f7", 2048 * KIB, FLASH, 0x08020000u, 0x08008000u, 0x18000u, 0, 0, 0},
    {"h743", "h7", 2048 * KIB, FLASH, 0x08040000u, 0x08020000u, 0x20000u, 0, 0, 0},
    {"h7b3", "h7ab", 2048 * KIB, FLASH, 0x08040000u, 0x08010000u, 0x30000u, 0, 0, 0},
    {"l476", "l4", 1024 * KIB, FLASH, 0x08004000u, 0x080C0000u, 0x40000u, 0, 0, 0},
    {"g0b1", "g0", 512 * KIB, FLASH, 0x08004000u, 0x08060000u, 0x20000u, 0, 0, 0},
    {"g474", "g4", 512 * KIB, FLASH, 0x08004000u, 0x08060000u, 0x20000u, 0, 0, 0},
    {"wb55", "wb", 1024 * KIB, FLASH, 0x08004000u, 0x08080000u, 0x40000u, 0x080CE000u, 0x32000u, 0},
    {"u575", "u5", 2048 * KIB, FLASH, 0x08010000u, 0x08100000u, 0x40000u, 0, 0, 0},
    {"mboot", "f4", 1024 * KIB, 0, 0x08020000u, 0x08008000u, 0x18000u, FLASH, 0x8000u, 0},
    {"mboot-f767", "f7", 2048 * KIB, 0, 0x08020000u, 0x08008000u, 0x18000u, FLASH, 0x8000u, 0},
    {"mboot-h743", "h7", 2048 * KIB, 0, 0x08040000u, 0x08020000u, 0x20000u, FLASH, 0x20000u, 0},
    {"mboot-g0b1", "g0", 512 * KIB, 0, 0x08008000u, 0x08060000u, 0x20000u, FLASH, 0x8000u, 0},
    {"mboot-wb55", "wb", 1024 * KIB, 0, 0x08008000u, 0x08080000u, 0x40000u, 0x080CE000u,
     0x32000u, 0},
    /* Dual bank: F429 2 MiB (MicroPython's stm32f429.ld: ISR, filesystem and
     * text in bank 1) and L4R5 (no MicroPython board; laid out as the L476
     * boards), each with a second piece in bank 2; H563 (stm32h573xi.ld:
     * firmware in bank 1, the filesystem is all of bank 2), ROM and mboot. */
    {"f429", "f4", 2048 * KIB, FLASH, 0x08020000u, 0x08004000u, 0x1C000u, 0, 0, 0x08108000u},
    {"l4r5", "l4", 2048 * KIB, FLASH, 0x08004000u, 0x080C0000u, 0x40000u, 0, 0, 0x08104000u},
    {"l4r5-1bank", "l4", 2048 * KIB, FLASH, 0x08004000u, 0x080C0000u, 0x40000u, 0, 0,
     0x08104000u},
    {"h563", "h5", 2048 * KIB, 0, FLASH, BANK2, 0x100000u, 0, 0, 0},
    {"mboot-h563", "h5", 2048 * KIB, 0, 0x08008000u, BANK2, 0x100000u, FLASH, 0x8000u, 0},
};
#define FAMILY_COUNT (sizeof families / sizeof families[0])

/* ---- images and the board's flash ------------------------------------------ */

static void add(mpf_image *img, uint32_t address, uint8_t *data, size_t size)
{
    mpf_error err;
    if (mpf_image_add_owned(img, 0, address, data, size, "firmware", &err) != MPF_OK)
        fail_msg("image: %s", err.message);
}

/* Vector table (if the board has one there) and text with its 0xFF run;
 * `edit` is applied to the text before it is added. */
typedef void (*text_edit)(uint8_t *text);

static void image_of(mpf_image *img, const family *f, uint32_t seed, text_edit edit)
{
    mpf_image_init(img);
    if (f->vector) {
        uint8_t *v = malloc(VECTOR_SIZE);
        assert_non_null(v);
        fixture_fill_random(v, VECTOR_SIZE, seed);
        add(img, f->vector, v, VECTOR_SIZE);
    }
    uint8_t *t = malloc(TEXT_SIZE);
    assert_non_null(t);
    fixture_fill_random(t, TEXT_SIZE, seed + 1);
    memset(t + HOLE, 0xFF, HOLE_SIZE);
    if (t[CHANGED] == 0xFF)
        t[CHANGED] = 0x12;
    if (edit)
        edit(t);
    add(img, f->text, t, TEXT_SIZE);
    if (f->text2) {
        uint8_t *t2 = malloc(TEXT2_SIZE);
        assert_non_null(t2);
        fixture_fill_random(t2, TEXT2_SIZE, seed + 2);
        add(img, f->text2, t2, TEXT2_SIZE);
    }
    mpf_error err;
    if (mpf_image_normalize(img, &err) != MPF_OK)
        fail_msg("normalize: %s", err.message);
}

static uint8_t *snapshot(const board *b, const family *f)
{
    uint8_t *m = malloc(f->flash_size);
    assert_non_null(m);
    assert_int_equal(mpf_sim_peek(b->sim, FLASH, m, f->flash_size), 0);
    return m;
}

/* What a full flash of the plan leaves over `before`: planned sectors 0xFF
 * but for the image's bytes; everything else as it was. */
static uint8_t *expected_after(const board *b, const family *f, const uint8_t *before,
                               const mpf_image *img)
{
    uint8_t *m = malloc(f->flash_size);
    assert_non_null(m);
    memcpy(m, before, f->flash_size);
    for (size_t i = 0; i < b->plan.erase_count; i++)
        memset(m + (b->plan.erases[i].address - FLASH), 0xFF, b->plan.erases[i].size);
    for (size_t i = 0; i < img->count; i++)
        memcpy(m + (img->segments[i].address - FLASH), img->segments[i].data,
               img->segments[i].size);
    return m;
}

static void assert_flash_is(const board *b, const family *f, const uint8_t *want)
{
    uint8_t *got = snapshot(b, f);
    for (uint32_t i = 0; i < f->flash_size; i++)
        if (got[i] != want[i])
            fail_msg("%s: 0x%08X holds 0x%02X, want 0x%02X", f->chip, FLASH + i, got[i],
                     want[i]);
    free(got);
}

/* A chip in use: an older firmware flashed in full, the filesystem and the
 * protected region holding their own bytes. */
static void prime(board *b, const family *f, uint32_t seed)
{
    mpf_image old;
    image_of(&old, f, seed, NULL);
    mpf_plan_options opt;
    mpf_plan_options_default(&opt);
    if (board_flash(b, &old, &opt) != MPF_OK)
        fail_msg("%s: priming flash: %s", f->chip, b->err.message);
    mpf_image_free(&old);
    mpf_sim_replug(b->sim); /* it left DFU mode for the new firmware */
    board_fill(b, f->fs, f->fs_size, 0xF5);
    if (f->keep_size)
        board_fill(b, f->keep, f->keep_size, 0xB007);
    mpf_sim_clear_log(b->sim);
}

/* Data blocks a flash sends for the plan's writes in the sectors it erases
 * (all-0xFF blocks there need no programming). */
static size_t blocks_to_send(const mpf_plan *p, uint32_t from, uint32_t to)
{
    size_t n = 0;
    for (size_t i = 0; i < p->write_count; i++) {
        const mpf_plan_write *w = &p->writes[i];
        for (size_t off = 0; off < w->size; off += p->transfer_size) {
            size_t len = w->size - off < p->transfer_size ? w->size - off : p->transfer_size;
            uint32_t at = w->address + (uint32_t)off;
            int ff = 1;
            for (size_t k = 0; k < len && ff; k++)
                ff = w->data[off + k] == 0xFF;
            n += !ff && at >= from && at < to;
        }
    }
    return n;
}

static const mpf_chip *profile_of(const family *f)
{
    const mpf_chip *c = mpf_chip_find(f->profile);
    assert_non_null(c);
    return c;
}

/* ---- one scenario on one family --------------------------------------------- */

typedef struct run {
    const family *f;
    board b;
    mpf_image img;
    uint8_t *before;
} run;

static void run_start(run *r, const family *f, uint32_t old_seed)
{
    memset(r, 0, sizeof *r);
    r->f = f;
    board_new(&r->b, f->chip);
    prime(&r->b, f, old_seed);
    r->before = snapshot(&r->b, f);
}

static void run_flash_ok(run *r)
{
    if (board_flash_ex(&r->b, &r->img, NULL, 1, 0) != MPF_OK)
        fail_msg("%s: %s", r->f->chip, r->b.err.message);
    assert_string_equal(r->b.plan.chip->name, r->f->profile);
    uint8_t *want = expected_after(&r->b, r->f, r->before, &r->img);
    assert_flash_is(&r->b, r->f, want);
    free(want);
}

static void run_end(run *r)
{
    free(r->before);
    mpf_image_free(&r->img);
    board_free(&r->b);
}

/* Every family: a chip holding firmware `old_seed`, flashed (skip-unchanged)
 * with firmware `new_seed` edited by `edit`; then `check` on the run. */
typedef void (*run_check)(run *r);

static void every_family(uint32_t old_seed, uint32_t new_seed, text_edit edit, run_check check)
{
    for (size_t i = 0; i < FAMILY_COUNT; i++) {
        run r;
        run_start(&r, &families[i], old_seed);
        image_of(&r.img, r.f, new_seed, edit);
        run_flash_ok(&r);
        check(&r);
        run_end(&r);
    }
}

static void test_profile_is_picked_from_the_descriptors(void **state)
{
    (void)state;
    for (size_t i = 0; i < FAMILY_COUNT; i++) {
        board b;
        board_new(&b, families[i].chip);
        mpf_transport t;
        mpf_sim_transport(b.sim, &t);
        const char *why = NULL;
        const mpf_chip *c = mpf_chip_pick(&t.info, &why);
        if (strcmp(c->name, families[i].profile) != 0)
            fail_msg("%s: picked %s (%s), want %s", families[i].chip, c->name, why,
                     families[i].profile);
        assert_non_null(why);
        board_free(&b);
    }
}

static void check_fresh_flash_over_old_contents(run *r)
{
    /* Another firmware: every planned sector is erased once, and every
     * block with data goes once. */
    assert_int_equal(mpf_sim_erase_count(r->b.sim), r->b.plan.erase_count);
    assert_int_equal(board_ops(&r->b, MPF_SIM_OP_WRITE),
                     blocks_to_send(&r->b.plan, 0, UINT32_MAX));
    assert_int_equal(board_ops(&r->b, MPF_SIM_OP_MASS_ERASE), 0);
    assert_int_equal(r->b.d.stats.word_runs, 0);
}

static void test_fresh_flash_over_old_contents(void **state)
{
    (void)state;
    every_family(100, 200, NULL, check_fresh_flash_over_old_contents);
}

static void check_the_same_image_again(run *r)
{
    assert_int_equal(mpf_sim_erase_count(r->b.sim), 0);
    assert_int_equal(board_ops(&r->b, MPF_SIM_OP_WRITE), 0);
    assert_true(board_ops(&r->b, MPF_SIM_OP_UPLOAD) > 0);
}

static void test_the_same_image_again(void **state)
{
    (void)state;
    every_family(100, 100, NULL, check_the_same_image_again);
}

static void change_programmed_byte(uint8_t *t)
{
    t[CHANGED] ^= 0x5A;
}

static void check_one_programmed_byte_changed(run *r)
{
    /* Only the sector holding it is erased and written again. */
    const uint32_t at = r->f->text + CHANGED;
    assert_int_equal(mpf_sim_erase_count(r->b.sim), 1);
    const uint32_t sector = mpf_sim_erase_at(r->b.sim, 0);
    long k = -1;
    for (size_t e = 0; e < r->b.plan.erase_count; e++)
        if (r->b.plan.erases[e].address == sector)
            k = (long)e;
    assert_true(k >= 0);
    assert_true(at >= sector && at - sector < r->b.plan.erases[k].size);
    assert_int_equal(board_ops(&r->b, MPF_SIM_OP_WRITE),
                     blocks_to_send(&r->b.plan, sector, sector + r->b.plan.erases[k].size));
}

static void test_one_programmed_byte_changed(void **state)
{
    (void)state;
    every_family(100, 100, change_programmed_byte, check_one_programmed_byte_changed);
}

static void set_byte_in_erased_word(uint8_t *t)
{
    t[HOLE_ERASED + 3] = 0x00;
}

/* The chip is 0xFF in a whole flash word there: the word takes its first
 * program without an erase, on every family; on ECC flash it goes alone
 * (one set-address, one DNLOAD of one word), the programmed words around
 * it are not sent again. */
static void check_one_ff_byte_in_an_erased_word_set(run *r)
{
    const mpf_chip *c = profile_of(r->f);
    assert_int_equal(mpf_sim_erase_count(r->b.sim), 0);
    assert_int_equal(board_ops(&r->b, MPF_SIM_OP_WRITE), 1);
    const mpf_sim_request *w = board_nth(&r->b, MPF_SIM_OP_WRITE, 1);
    if (c->write_once) {
        assert_int_equal(r->b.d.stats.word_runs, 1);
        assert_int_equal(w->length, c->word_size);
        assert_int_equal(w->address, r->f->text + HOLE_ERASED / c->word_size * c->word_size);
    } else {
        assert_int_equal(w->length, r->b.plan.transfer_size);
    }
}

static void test_one_ff_byte_in_an_erased_word_set(void **state)
{
    (void)state;
    every_family(100, 100, set_byte_in_erased_word, check_one_ff_byte_in_an_erased_word_set);
}

static void set_byte_in_programmed_word(uint8_t *t)
{
    t[HOLE_WORD + 6] = 0x00;
}

/* The reported bug: the image differs from the chip only where the chip is
 * 0xFF, but inside a flash word that holds programmed bytes. F2/F4/F7 flash
 * takes it without an erase; ECC flash would refuse the word's second
 * program (errPROG), so its sector is erased. */
static void check_one_ff_byte_in_a_programmed_word_set(run *r)
{
    const mpf_chip *c = profile_of(r->f);
    assert_int_equal(mpf_sim_erase_count(r->b.sim), c->write_once ? 1 : 0);
    assert_int_equal(r->b.d.stats.word_runs, 0);
}

static void test_one_ff_byte_in_a_programmed_word_set(void **state)
{
    (void)state;
    every_family(100, 100, set_byte_in_programmed_word, check_one_ff_byte_in_a_programmed_word_set);
}

/* Before the profiles the engine treated every chip as an F4: on an ECC
 * chip that re-flash fails with errPROG, and a re-run fails the same way.
 * The virtual chips catch it: the F4 rules forced onto them fail. */
static void test_f4_rules_on_ecc_flash_fail_with_errprog(void **state)
{
    (void)state;
    for (size_t i = 0; i < FAMILY_COUNT; i++) {
        if (!profile_of(&families[i])->write_once || families[i].keep == FLASH)
            continue; /* mboot does not report the program error */
        run r;
        run_start(&r, &families[i], 100);
        image_of(&r.img, r.f, 100, set_byte_in_programmed_word);
        mpf_plan_options opt;
        mpf_plan_options_default(&opt);
        opt.chip = mpf_chip_find("f4");
        for (int again = 0; again < 2; again++) {
            mpf_err rc = board_flash_ex(&r.b, &r.img, &opt, 1, 0);
            if (rc != MPF_ERR_DEVICE_STATUS || !strstr(r.b.err.message, "errPROG"))
                fail_msg("%s: %s (%s), want errPROG", r.f->chip, mpf_err_name(rc),
                         r.b.err.message);
            mpf_sim_replug(r.b.sim);
        }
        run_end(&r);
    }
}

/* The re-run erases no sector holding what arrived. Only where a sector
 * erases faster than it reads back (H7A3/B3, U5: 8 KiB in ~2 ms) may it
 * erase one the cut left blank, for less than reading it all (the skip
 * check's cost model); elsewhere it erases nothing. */
static void assert_erased_only_blank_sectors(const run *r, const uint8_t *cut_off)
{
    const mpf_plan *p = &r->b.plan;
    const mpf_timing *t = &p->chip->typical;
    for (size_t k = 0; k < mpf_sim_erase_count(r->b.sim); k++) {
        const uint32_t at = mpf_sim_erase_at(r->b.sim, k);
        size_t i = 0;
        while (i < p->erase_count && p->erases[i].address != at)
            i++;
        assert_true(i < p->erase_count);
        const uint32_t size = p->erases[i].size;
        const uint64_t read_back = (uint64_t)size / p->transfer_size * mpf_timing_usb_us(t, p->transfer_size);
        if (mpf_timing_erase_us(t, size) >= read_back)
            fail_msg("%s: erased 0x%08X again", r->f->chip, (unsigned)at);
        for (uint32_t b = 0; b < size; b++)
            if (cut_off[at - FLASH + b] != 0xFF)
                fail_msg("%s: erased 0x%08X, which held what arrived", r->f->chip, (unsigned)at);
    }
}

/* The flash is cut off (the board vanishes) half-way through its data
 * blocks; re-run, it finishes without erasing what arrived again and sends
 * only the blocks that did not arrive. */
static void test_cut_off_mid_write_then_rerun(void **state)
{
    (void)state;
    for (size_t i = 0; i < FAMILY_COUNT; i++) {
        run r;
        run_start(&r, &families[i], 100);
        image_of(&r.img, r.f, 200, NULL);
        mpf_plan plan;
        mpf_transport t;
        mpf_sim_transport(r.b.sim, &t);
        assert_int_equal(mpf_plan_build(&r.img, &t.info, NULL, &plan, NULL), MPF_OK);
        const size_t total = blocks_to_send(&plan, 0, UINT32_MAX);
        mpf_plan_free(&plan);
        const unsigned cut = (unsigned)(total / 2);
        mpf_sim_fault f = {MPF_SIM_FAULT_DISCONNECT, MPF_SIM_OP_WRITE, cut, 0};
        assert_int_equal(mpf_sim_add_fault(r.b.sim, &f, NULL), MPF_OK);
        assert_int_not_equal(board_flash_ex(&r.b, &r.img, NULL, 1, 0), MPF_OK);
        mpf_sim_replug(r.b.sim);
        mpf_sim_clear_log(r.b.sim);
        uint8_t *cut_off = snapshot(&r.b, r.f);
        run_flash_ok(&r);
        assert_erased_only_blank_sectors(&r, cut_off);
        free(cut_off);
        assert_int_equal(board_ops(&r.b, MPF_SIM_OP_WRITE), total - (cut - 1));
        run_end(&r);
    }
}

/* The same cut-off flash finished the way the tool does with --backup:
 * mpf_dfu_check_unchanged first, then the flash told what it found. That
 * path keeps no record of which blocks were right, so on write-once flash a
 * sector holding some of them is erased rather than given them again. */
static void test_cut_off_then_rerun_with_the_actions_given(void **state)
{
    (void)state;
    for (size_t i = 0; i < FAMILY_COUNT; i++) {
        run r;
        run_start(&r, &families[i], 100);
        image_of(&r.img, r.f, 200, NULL);
        mpf_sim_fault f = {MPF_SIM_FAULT_DISCONNECT, MPF_SIM_OP_WRITE, 30, 0};
        assert_int_equal(mpf_sim_add_fault(r.b.sim, &f, NULL), MPF_OK);
        assert_int_not_equal(board_flash_ex(&r.b, &r.img, NULL, 1, 0), MPF_OK);
        mpf_sim_replug(r.b.sim);
        mpf_sim_clear_log(r.b.sim);
        if (board_open(&r.b, &r.img, NULL, 0) != MPF_OK)
            fail_msg("%s: %s", r.f->chip, r.b.err.message);
        uint8_t *actions = calloc(r.b.plan.erase_count + 1, 1);
        assert_non_null(actions);
        assert_int_equal(mpf_dfu_check_unchanged(&r.b.d, &r.b.plan, actions, &r.b.err), MPF_OK);
        mpf_dfu_flash_options fo;
        mpf_dfu_flash_options_default(&fo);
        fo.unchanged = actions;
        if (mpf_dfu_flash_ex(&r.b.d, &r.b.plan, &fo, &r.b.err) != MPF_OK)
            fail_msg("%s: %s", r.f->chip, r.b.err.message);
        uint8_t *want = expected_after(&r.b, r.f, r.before, &r.img);
        assert_flash_is(&r.b, r.f, want);
        free(want);
        free(actions);
        run_end(&r);
    }
}

/* Dual bank: the second piece lies in bank 2. A fresh flash erases there
 * exactly the sectors the plan names; one byte changed there erases the one
 * bank-2 sector holding it and nothing in bank 1. */
static size_t erases_in_bank2(const run *r)
{
    size_t n = 0;
    for (size_t i = 0; i < mpf_sim_erase_count(r->b.sim); i++)
        n += mpf_sim_erase_at(r->b.sim, i) >= BANK2;
    return n;
}

static void test_second_bank_is_planned_erased_and_skipped(void **state)
{
    (void)state;
    size_t tried = 0;
    for (size_t i = 0; i < FAMILY_COUNT; i++) {
        const family *f = &families[i];
        if (!f->text2)
            continue;
        tried++;
        run r;
        run_start(&r, f, 100);
        image_of(&r.img, f, 200, NULL);
        run_flash_ok(&r);
        size_t planned = 0;
        for (size_t e = 0; e < r.b.plan.erase_count; e++)
            planned += r.b.plan.erases[e].address >= BANK2;
        assert_true(planned > 0);
        assert_int_equal(erases_in_bank2(&r), planned);
        run_end(&r);

        run_start(&r, f, 100);
        image_of(&r.img, f, 100, NULL);
        const uint32_t at = f->text2 + 0x2000u;
        for (size_t k = 0; k < r.img.count; k++)
            if (r.img.segments[k].address == f->text2)
                r.img.segments[k].data[at - f->text2] ^= 0x5A;
        run_flash_ok(&r);
        assert_int_equal(mpf_sim_erase_count(r.b.sim), 1);
        assert_int_equal(erases_in_bank2(&r), 1);
        assert_true(mpf_sim_erase_at(r.b.sim, 0) <= at);
        run_end(&r);
    }
    assert_int_equal(tried, 3);
}

/* --dry-run's estimate (the plan's, from the picked profile's timing)
 * against the virtual chip's modelled time of the same full flash. */
static void test_estimate_within_15_percent_of_modelled(void **state)
{
    (void)state;
    for (size_t i = 0; i < FAMILY_COUNT; i++) {
        run r;
        run_start(&r, &families[i], 100);
        image_of(&r.img, r.f, 200, NULL);
        const uint64_t t0 = mpf_sim_clock_us(r.b.sim);
        if (board_flash_ex(&r.b, &r.img, NULL, 0, 0) != MPF_OK)
            fail_msg("%s: %s", r.f->chip, r.b.err.message);
        const double model = (double)(mpf_sim_clock_us(r.b.sim) - t0);
        const double est = (double)r.b.plan.estimated_us;
        if (est < model * 0.85 || est > model * 1.15)
            fail_msg("%s: estimate %.0f ms, modelled %.0f ms", r.f->chip, est / 1000,
                     model / 1000);
        run_end(&r);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_profile_is_picked_from_the_descriptors),
        cmocka_unit_test(test_fresh_flash_over_old_contents),
        cmocka_unit_test(test_the_same_image_again),
        cmocka_unit_test(test_one_programmed_byte_changed),
        cmocka_unit_test(test_one_ff_byte_in_an_erased_word_set),
        cmocka_unit_test(test_one_ff_byte_in_a_programmed_word_set),
        cmocka_unit_test(test_f4_rules_on_ecc_flash_fail_with_errprog),
        cmocka_unit_test(test_cut_off_mid_write_then_rerun),
        cmocka_unit_test(test_cut_off_then_rerun_with_the_actions_given),
        cmocka_unit_test(test_second_bank_is_planned_erased_and_skipped),
        cmocka_unit_test(test_estimate_within_15_percent_of_modelled),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
