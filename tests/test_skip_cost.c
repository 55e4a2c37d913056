/* The skip check's cost model (src/plan/plan_cost.h, src/engine/engine_skip.c)
 * and the dry run's forecast (mpf_dfu_forecast), on the ECC families' virtual
 * chips.
 *
 * The case that started it (issue 15, notes/qa.md): a chip holding "holes"
 * (the firmware with bytes 8..31 of every 64-byte block still 0xFF) flashed
 * with the whole firmware. Every changed byte is blank, so each page can take
 * it without an erase, but only word run by word run (a programmed ECC word
 * takes no second program): 32 runs a page, each with its own address and
 * status polls, cost several times an erase and a whole write. The flash
 * must pick the cheaper, and the dry run must show the same decision and
 * about the same time. Time here is the virtual chip's modelled clock. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "engine_board.h"
#include "mpflash/chip.h"

#define FLASH 0x08000000u
#define KIB 1024u
#define IMAGE_SIZE (48u * KIB)
#define HOLES_FROM (16u * KIB) /* the pages before it are the same in both images */

static uint8_t *firmware(void)
{
    uint8_t *b = malloc(IMAGE_SIZE);
    assert_non_null(b);
    uint32_t x = 0x2545F491u;
    for (size_t i = 0; i < IMAGE_SIZE; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        b[i] = (uint8_t)(x >> 24) & 0x7F; /* no 0xFF byte: every hole is a change */
    }
    return b;
}

/* Bytes 8..31 of every 64-byte block from `from` to `to` left blank. */
static void punch_holes(uint8_t *b, uint32_t from, uint32_t to)
{
    for (uint32_t at = from; at < to; at += 64)
        memset(b + at + 8, 0xFF, 24);
}

static void image_of(mpf_image *img, const uint8_t *data)
{
    mpf_image_init(img);
    assert_int_equal(mpf_image_add(img, 0, FLASH, data, IMAGE_SIZE, "firmware", NULL), MPF_OK);
    assert_int_equal(mpf_image_normalize(img, NULL), MPF_OK);
}

/* A chip holding `old` (flashed in full), the new image ready. */
typedef struct bench {
    board b;
    mpf_image img;
} bench;

static void bench_start(bench *t, const char *chip, const uint8_t *old, const uint8_t *now)
{
    board_new(&t->b, chip);
    mpf_image prior;
    image_of(&prior, old);
    mpf_sim_set_timing(t->b.sim, 0);
    if (board_flash(&t->b, &prior, NULL) != MPF_OK)
        fail_msg("%s: priming: %s", chip, t->b.err.message);
    mpf_sim_set_timing(t->b.sim, 1);
    mpf_image_free(&prior);
    mpf_sim_replug(t->b.sim);
    mpf_sim_clear_log(t->b.sim);
    image_of(&t->img, now);
}

static void bench_end(bench *t)
{
    mpf_image_free(&t->img);
    board_free(&t->b);
}

/* The dry run: plan, open, forecast; then replugged. */
typedef struct forecast {
    uint8_t actions[256];
    size_t count[3]; /* by mpf_sector_action */
    size_t uploads;  /* UPLOADs the dry run sent */
    mpf_flash_forecast f;
} forecast;

static void dry_run(bench *t, forecast *fc, uint8_t attrs_off)
{
    memset(fc, 0, sizeof *fc);
    assert_int_equal(board_open(&t->b, &t->img, NULL, attrs_off), MPF_OK);
    assert_true(t->b.plan.erase_count <= sizeof fc->actions);
    if (mpf_dfu_forecast(&t->b.d, &t->b.plan, fc->actions, &fc->f, &t->b.err) != MPF_OK)
        fail_msg("forecast: %s", t->b.err.message);
    for (size_t i = 0; i < t->b.plan.erase_count; i++)
        fc->count[fc->actions[i]]++;
    /* Reading only: nothing erased or written. */
    assert_int_equal(mpf_sim_erase_count(t->b.sim), 0);
    assert_int_equal(board_ops(&t->b, MPF_SIM_OP_WRITE), 0);
    fc->uploads = board_ops(&t->b, MPF_SIM_OP_UPLOAD);
    mpf_sim_replug(t->b.sim);
    mpf_sim_clear_log(t->b.sim);
}

/* One flash (skip-unchanged or --full); its modelled time. */
static uint64_t run_flash(bench *t, int skip)
{
    mpf_sim_clear_log(t->b.sim);
    const uint64_t t0 = mpf_sim_clock_us(t->b.sim);
    if (board_flash_ex(&t->b, &t->img, NULL, skip, 0) != MPF_OK)
        fail_msg("flash: %s", t->b.err.message);
    const uint64_t us = mpf_sim_clock_us(t->b.sim) - t0;
    assert_true(board_has_image(&t->b, &t->img));
    mpf_sim_replug(t->b.sim);
    return us;
}

static void assert_within_15_percent(const char *chip, uint64_t estimate, uint64_t modelled)
{
    const double x = (double)estimate / (double)modelled;
    if (x < 0.85 || x > 1.15)
        fail_msg("%s: dry run says %.1f ms, the flash took %.1f ms (x %.3f)", chip,
                 estimate / 1e3, modelled / 1e3, x);
}

/* holes -> whole: the run erases what the dry run said it would, ends byte
 * for byte the whole image, programs no word twice (the virtual ECC chip
 * would fail the flash with errPROG), and is no slower than --full. */
static void holes_then_whole(const char *chip)
{
    uint8_t *whole = firmware(), *holes = firmware();
    punch_holes(holes, HOLES_FROM, IMAGE_SIZE);

    bench t;
    bench_start(&t, chip, holes, whole);
    forecast fc;
    dry_run(&t, &fc, 0);
    assert_int_equal(fc.f.checked, 1);
    assert_true(fc.uploads > 0);
    assert_true(fc.f.read_us > 0 && fc.f.read_us < fc.f.estimated_us);
    const uint64_t run_us = run_flash(&t, 1);
    const mpf_dfu_stats *st = &t.b.d.stats;
    assert_int_equal(mpf_sim_erase_count(t.b.sim), fc.count[MPF_SECTOR_ERASE]);
    assert_int_equal(st->sectors_unchanged, fc.count[MPF_SECTOR_UNCHANGED]);
    assert_int_equal(st->sectors_blank, fc.count[MPF_SECTOR_BLANK]);
    /* Every page with holes is erased, every page before them left alone. */
    const uint32_t page = t.b.plan.erases[0].size;
    assert_int_equal(fc.count[MPF_SECTOR_UNCHANGED], HOLES_FROM / page);
    assert_int_equal(fc.count[MPF_SECTOR_ERASE], (IMAGE_SIZE - HOLES_FROM) / page);
    assert_int_equal(st->word_runs, 0);
    assert_within_15_percent(chip, fc.f.estimated_us, run_us);

    bench full;
    bench_start(&full, chip, holes, whole);
    const uint64_t full_us = run_flash(&full, 0);
    assert_int_equal(mpf_sim_erase_count(full.b.sim), IMAGE_SIZE / page);
    if (run_us > full_us)
        fail_msg("%s: %.1f ms, --full %.1f ms", chip, run_us / 1e3, full_us / 1e3);
    bench_end(&full);
    bench_end(&t);
    free(whole);
    free(holes);
}

/* The chip is the test's state. */
static void test_holes(void **state)
{
    holes_then_whole(*state);
}

/* The decision is a comparison, not "erase whenever a word run is needed":
 * one hole in one page is one word run, far cheaper than an erase and a
 * whole page; that page is written without an erase, the rest left alone,
 * and the dry run says so. */
static void test_one_hole_is_written_without_erase(void **state)
{
    (void)state;
    static const char *const chips[] = {"l476", "wb55", "g474"};
    for (size_t c = 0; c < sizeof chips / sizeof chips[0]; c++) {
        uint8_t *whole = firmware(), *holes = firmware();
        punch_holes(holes, HOLES_FROM, HOLES_FROM + 64);
        bench t;
        bench_start(&t, chips[c], holes, whole);
        forecast fc;
        dry_run(&t, &fc, 0);
        assert_int_equal(fc.count[MPF_SECTOR_BLANK], 1);
        assert_int_equal(fc.count[MPF_SECTOR_ERASE], 0);
        const uint64_t run_us = run_flash(&t, 1);
        assert_int_equal(mpf_sim_erase_count(t.b.sim), 0);
        assert_int_equal(t.b.d.stats.sectors_blank, 1);
        assert_int_equal(t.b.d.stats.word_runs, 1);
        assert_within_15_percent(chips[c], fc.f.estimated_us, run_us);
        bench_end(&t);
        free(whole);
        free(holes);
    }
}

/* A device that cannot upload: no reading, every sector erased, and the
 * forecast is the plan's estimate, flagged as not checked (an upper bound). */
static void test_forecast_without_reading(void **state)
{
    (void)state;
    uint8_t *whole = firmware(), *holes = firmware();
    punch_holes(holes, HOLES_FROM, IMAGE_SIZE);
    bench t;
    bench_start(&t, "l476", holes, whole);
    forecast fc;
    dry_run(&t, &fc, MPF_DFU_ATTR_CAN_UPLOAD);
    assert_int_equal(fc.f.checked, 0);
    assert_int_equal(fc.f.read_us, 0);
    assert_true(fc.f.estimated_us == t.b.plan.estimated_us);
    assert_int_equal(fc.count[MPF_SECTOR_ERASE], t.b.plan.erase_count);
    assert_int_equal(fc.uploads, 0);
    bench_end(&t);
    free(whole);
    free(holes);
}

/* A plain DFU board has no sectors to read: the forecast is the plan's
 * estimate, and it is the flash's (not an upper bound); nothing is read. */
static void test_forecast_of_a_plain_board(void **state)
{
    (void)state;
    uint8_t *fw = firmware();
    bench t;
    board_new(&t.b, "nano-esp32");
    mpf_image_init(&t.img);
    assert_int_equal(mpf_image_add(&t.img, 0, 0, fw, IMAGE_SIZE, "firmware", NULL), MPF_OK);
    assert_int_equal(mpf_image_normalize(&t.img, NULL), MPF_OK);
    forecast fc;
    dry_run(&t, &fc, 0);
    assert_true(t.b.plan.plain);
    assert_int_equal(fc.f.checked, 1);
    assert_true(fc.f.estimated_us == t.b.plan.estimated_us);
    assert_int_equal(fc.uploads, 0);
    bench_end(&t);
    free(fw);
}

/* H7A3/B3: an 8 KiB sector erases (~2 ms) faster than its four 2 KiB
 * blocks read back (~10 ms). On a blank chip the check reads one block of
 * each sector, finds it blank, and erases rather than read the other three;
 * a sector found right in its first block is read on to the end. */
static void test_blank_sectors_erased_rather_than_read_on(void **state)
{
    (void)state;
    uint8_t *whole = firmware();
    bench t;
    board_new(&t.b, "h7b3");
    image_of(&t.img, whole);
    forecast fc;
    dry_run(&t, &fc, 0);
    const size_t sectors = t.b.plan.erase_count;
    assert_int_equal(sectors, IMAGE_SIZE / (8 * KIB));
    assert_int_equal(fc.count[MPF_SECTOR_ERASE], sectors);
    run_flash(&t, 1);
    assert_int_equal(mpf_sim_erase_count(t.b.sim), sectors);
    /* One block read per sector by the check, then the read-back. */
    const uint16_t ts = t.b.d.transfer_size;
    assert_int_equal(t.b.d.stats.blocks_up, sectors + (t.b.plan.verify ? IMAGE_SIZE / ts : 0));
    bench_end(&t);

    /* The same image again: every block is read, nothing erased. */
    bench again;
    bench_start(&again, "h7b3", whole, whole);
    run_flash(&again, 1);
    assert_int_equal(mpf_sim_erase_count(again.b.sim), 0);
    assert_int_equal(again.b.d.stats.sectors_unchanged, sectors);
    bench_end(&again);
    free(whole);
}

/* The progress ETA (mpf_dfu_time_left_us): at the start of writing, the
 * rest of the flash as the engine prices its decisions, against the time
 * the virtual chip then takes. Not known while the check still reads, nor
 * after the flash. */
typedef struct eta_seen {
    const mpf_dfu *d;
    const mpf_sim *sim;
    int known_while_checking, at_write;
    uint64_t left_us, at_us;
} eta_seen;

static void eta_progress(void *user, mpf_phase phase, uint64_t done, uint64_t total)
{
    (void)done;
    (void)total;
    eta_seen *s = user;
    uint64_t us = 0;
    if (phase == MPF_PHASE_READ)
        s->known_while_checking |= mpf_dfu_time_left_us(s->d, &us);
    if (phase == MPF_PHASE_WRITE && !s->at_write) {
        s->at_write = mpf_dfu_time_left_us(s->d, &s->left_us);
        s->at_us = mpf_sim_clock_us(s->sim);
    }
}

static void eta_at_write(const char *chip, const uint8_t *old, const uint8_t *now)
{
    bench t;
    bench_start(&t, chip, old, now);
    assert_int_equal(board_open(&t.b, &t.img, NULL, 0), MPF_OK);
    eta_seen seen = {.d = &t.b.d, .sim = t.b.sim};
    t.b.d.cb = (mpf_callbacks){eta_progress, NULL, &seen};
    if (mpf_dfu_flash_ex(&t.b.d, &t.b.plan, NULL, &t.b.err) != MPF_OK)
        fail_msg("%s: flash: %s", chip, t.b.err.message);
    const uint64_t end_us = mpf_sim_clock_us(t.b.sim);
    assert_true(board_has_image(&t.b, &t.img));
    assert_int_equal(seen.known_while_checking, 0);
    assert_int_equal(seen.at_write, 1);
    uint64_t after = 0;
    assert_int_equal(mpf_dfu_time_left_us(&t.b.d, &after), 0);
    /* Most sectors were left alone. */
    assert_true(t.b.d.stats.sectors_unchanged * 2 > t.b.plan.erase_count);
    const uint64_t rest_us = end_us - seen.at_us;
    const double x = (double)seen.left_us / (double)rest_us;
    print_message("%s: ETA at the start of writing %.1f ms, the rest took %.1f ms (x %.3f)\n",
                  chip, seen.left_us / 1e3, rest_us / 1e3, x);
    if (x < 0.85 || x > 1.15)
        fail_msg("%s: ETA at the start of writing %.1f ms, the rest took %.1f ms (x %.3f)", chip,
                 seen.left_us / 1e3, rest_us / 1e3, x);
    bench_end(&t);
}

/* F401: one byte changed in the last of three 16 KiB sectors. */
static void test_eta_one_sector_changed(void **state)
{
    (void)state;
    uint8_t *old = firmware(), *now = firmware();
    now[IMAGE_SIZE - 100] ^= 0x01;
    eta_at_write("f401", old, now);
    free(old);
    free(now);
}

/* L476: holes in the last 8 of 24 pages, the whole image over them (those
 * pages erased and written, the rest left alone). */
static void test_eta_holes(void **state)
{
    (void)state;
    uint8_t *whole = firmware(), *holes = firmware();
    punch_holes(holes, IMAGE_SIZE - 16 * KIB, IMAGE_SIZE);
    eta_at_write("l476", holes, whole);
    free(whole);
    free(holes);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        {"holes then whole on l476", test_holes, NULL, NULL, (void *)"l476"},
        {"holes then whole on wb55", test_holes, NULL, NULL, (void *)"wb55"},
        {"holes then whole on g474", test_holes, NULL, NULL, (void *)"g474"},
        cmocka_unit_test(test_one_hole_is_written_without_erase),
        cmocka_unit_test(test_forecast_without_reading),
        cmocka_unit_test(test_forecast_of_a_plain_board),
        cmocka_unit_test(test_blank_sectors_erased_rather_than_read_on),
        cmocka_unit_test(test_eta_one_sector_changed),
        cmocka_unit_test(test_eta_holes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
