/* Skip-unchanged re-flash (mpf_dfu_flash_ex, mpf_dfu_check_unchanged)
 * against the virtual STM32F401 bootloader: which sectors are left alone,
 * the requests that reach the device, and above all that the chip ends up
 * byte for byte as a full flash (mpf_dfu_flash) leaves it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "engine_board.h"
#include "fixtures.h"

#define KIB 1024u
#define F401_SIZE (512u * KIB)
#define SECTOR7 0x08060000u
#define SEED_FS 0x5F5Fu
/* The fixture's text ends 42 KiB into sector 7. */
#define TEXT_IN_SECTOR7 (FIXTURE_MP_TEXT_ADDR + FIXTURE_MP_TEXT_DEFAULT_SIZE - SECTOR7)

static const uint32_t f401_sectors[8] = {0x08000000, 0x08004000, 0x08008000, 0x0800C000,
                                         0x08010000, 0x08020000, 0x08040000, 0x08060000};

static uint32_t sector_size(size_t i)
{
    return i < 4 ? 16 * KIB : i == 4 ? 64 * KIB : 128 * KIB;
}

/* A fresh capture and log, as if the board had just been plugged in. */
static void fresh_session(board *b)
{
    mpf_sim_replug(b->sim);
    mpf_sim_clear_log(b->sim);
    capture_free(&b->cap);
    capture_init(&b->cap, &b->cb);
}

/* The sectors the fixture image plans: 0, 5, 6 and 7. */
static const uint32_t planned[4] = {0x08000000, 0x08020000, 0x08040000, SECTOR7};

/* The case's board holding its image (the fixture's, flashed for real) and
 * a filesystem. */
static void with_firmware(board_case *c)
{
    assert_int_equal(fixture_micropython_image(&c->img, 0, 7), 0);
    board_fill(&c->b, BOARD_FS_ADDR, BOARD_FS_SIZE, SEED_FS);
    assert_int_equal(board_flash(&c->b, &c->img, NULL), MPF_OK);
    fresh_session(&c->b);
}

/* The same, and a second board just like it in full (closed by the test),
 * for a full flash to show what skip-unchanged has to match. */
static void with_firmware_and_twin(board_case *c, board_case *full)
{
    with_firmware(c);
    board_case_open(full, "f401");
    with_firmware(full);
}

static void assert_same_flash(const board *a, const board *b)
{
    uint8_t *x = malloc(F401_SIZE), *y = malloc(F401_SIZE);
    assert_non_null(x);
    assert_non_null(y);
    assert_int_equal(mpf_sim_peek(a->sim, 0x08000000, x, F401_SIZE), 0);
    assert_int_equal(mpf_sim_peek(b->sim, 0x08000000, y, F401_SIZE), 0);
    for (size_t i = 0; i < F401_SIZE; i++)
        if (x[i] != y[i])
            fail_msg("flash differs at 0x%08zX: 0x%02X, full flash 0x%02X", 0x08000000 + i,
                     x[i], y[i]);
    free(x);
    free(y);
}

/* Every byte is what it must become, or 0xFF (so it can still become it). */
static int right_or_blank(const uint8_t *got, const uint8_t *want, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (got[i] != want[i] && got[i] != 0xFF)
            return 0;
    return 1;
}

#define WORDS_MAX 8192

/* The expected request words (board_log_words), built up piece by piece. */
typedef struct words {
    char s[WORDS_MAX];
    size_t n;
} words;

MPF_PRINTF(2, 3)
static void say(words *w, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    w->n += (size_t)vsnprintf(w->s + w->n, sizeof w->s - w->n, fmt, ap);
    va_end(ap);
    assert_true(w->n < sizeof w->s);
}

/* " up:first ... up:last" */
static void say_range(words *w, const char *op, unsigned first, unsigned last)
{
    for (unsigned k = first; k <= last; k++)
        say(w, " %s:%u", op, k);
}

static void assert_words(const board *b, const words *want)
{
    static char got[WORDS_MAX];
    board_log_words(b->sim, 0, got, sizeof got);
    size_t at = 0;
    while (got[at] && got[at] == want->s[at])
        at++;
    if (got[at] || want->s[at]) {
        while (at && got[at - 1] != ' ')
            at--;
        fail_msg("requests differ from word %zu on:\n got: %.200s\nwant: %.200s", at, got + at,
                 want->s + at);
    }
    board_log log;
    board_log_summary(b->sim, 0, &log);
    assert_int_equal(log.bad_block_shape, 0);
    assert_int_equal(mpf_sim_early_count(b->sim), 0);
}

/* ---- re-flash ------------------------------------------------------------ */

static void test_reflash_of_the_same_image_erases_and_writes_nothing(void **state)
{
    board_case *c = *state;
    board *b = &c->b;
    with_firmware(c);
    const uint64_t clock0 = mpf_sim_clock_us(b->sim);
    assert_int_equal(board_flash_ex(b, &c->img, NULL, 1, 0), MPF_OK);

    assert_int_equal(mpf_sim_erase_count(b->sim), 0);
    assert_int_equal(board_ops(b, MPF_SIM_OP_ERASE), 0);
    assert_int_equal(board_ops(b, MPF_SIM_OP_WRITE), 0);
    /* Every byte of the 4 planned sectors read once, nothing verified. */
    assert_int_equal(board_ops(b, MPF_SIM_OP_UPLOAD), (16 * KIB + 3 * 128 * KIB) / 2048);
    assert_int_equal(board_ops(b, MPF_SIM_OP_SET_ADDRESS), 2); /* the check's, the leave's */
    assert_int_equal(board_ops(b, MPF_SIM_OP_ABORT), 3); /* start-up, after the check's pointer, at its end */
    assert_int_equal(board_ops(b, MPF_SIM_OP_LEAVE), 1);
    assert_int_equal(b->d.stats.erase_sectors, 0);
    assert_int_equal(b->d.stats.blocks_down, 0);
    assert_int_equal(b->d.stats.bytes_down, 0);
    assert_int_equal(b->d.stats.sectors_unchanged, 4);
    assert_int_equal(b->d.stats.blocks_unchanged, 150);
    assert_int_equal(b->d.stats.blocks_up, 200);
    assert_int_equal(capture_count(&b->cap, MPF_LOG_INFO, "not erased, written or verified"), 4);
    assert_int_equal(capture_count(&b->cap, MPF_LOG_INFO, "4 of 4 planned sectors"), 1);
    /* Only the check's read: no erase, write or verify phase was announced. */
    assert_int_equal(capture_progress_count(&b->cap, MPF_PHASE_ERASE), 0);
    assert_int_equal(capture_progress_count(&b->cap, MPF_PHASE_WRITE), 0);
    assert_int_equal(capture_progress_count(&b->cap, MPF_PHASE_VERIFY), 0);
    assert_true(board_has_image(b, &c->img));
    assert_true(board_holds_fill(b, BOARD_FS_ADDR, BOARD_FS_SIZE, SEED_FS));
    assert_int_equal(mpf_sim_early_count(b->sim), 0);
    printf("# re-flash: %zu requests, %.3f s modelled\n", mpf_sim_request_count(b->sim),
           (double)(mpf_sim_clock_us(b->sim) - clock0) / 1e6);
}

static void test_one_changed_byte_rewrites_only_its_sector(void **state)
{
    board_case *c = *state;
    board *b = &c->b;
    with_firmware(c);
    /* 5000 bytes into sector 7: the check reads 3 of its blocks. */
    c->img.segments[1].data[SECTOR7 - FIXTURE_MP_TEXT_ADDR + 5000] ^= 0x01;
    assert_int_equal(board_flash_ex(b, &c->img, NULL, 1, 0), MPF_OK);

    const uint32_t want[1] = {SECTOR7};
    board_assert_erased(b, want, 1);
    const size_t blocks7 = TEXT_IN_SECTOR7 / 2048; /* 21 */
    assert_int_equal(board_ops(b, MPF_SIM_OP_WRITE), blocks7);
    /* The run keeps one pointer, set where its first block is sent. */
    size_t i = board_log_find(b->sim, MPF_SIM_OP_WRITE, 1);
    assert_true(i != (size_t)-1);
    size_t sa = board_log_find(b->sim, MPF_SIM_OP_SET_ADDRESS, 2);
    assert_true(sa < i);
    assert_int_equal(mpf_sim_request_at(b->sim, sa)->address, SECTOR7);
    for (unsigned k = 1; k <= blocks7; k++) {
        const mpf_sim_request *r = mpf_sim_request_at(b->sim, board_log_find(b->sim, MPF_SIM_OP_WRITE, k));
        assert_int_equal(r->value, 1 + k);
        assert_int_equal(r->address, SECTOR7 + (k - 1) * 2048);
    }
    /* Check: sectors 0, 5, 6 whole (8 + 64 + 64), sector 7 up to its 3rd
     * block; verify: sector 7's written blocks only. */
    assert_int_equal(board_ops(b, MPF_SIM_OP_UPLOAD), 8 + 64 + 64 + 3 + blocks7);
    assert_int_equal(b->d.stats.sectors_unchanged, 3);
    assert_int_equal(b->d.stats.erase_sectors, 1);
    assert_int_equal(b->d.stats.bytes_down, TEXT_IN_SECTOR7);
    assert_true(board_has_image(b, &c->img));
    assert_true(board_reads_blank(b, SECTOR7 + TEXT_IN_SECTOR7, 128 * KIB - TEXT_IN_SECTOR7));
    assert_true(board_holds_fill(b, BOARD_FS_ADDR, BOARD_FS_SIZE, SEED_FS));

    /* Progress totals leave out what was left alone. */
    const capture *cap = &b->cap;
    uint64_t last_total[MPF_PHASE__COUNT] = {0}, last_done[MPF_PHASE__COUNT] = {0};
    for (size_t k = 0; k < cap->progress_count; k++) {
        last_total[cap->progress[k].phase] = cap->progress[k].total;
        last_done[cap->progress[k].phase] = cap->progress[k].done;
    }
    assert_int_equal(last_total[MPF_PHASE_READ], 16 * KIB + 3 * 128 * KIB);
    assert_int_equal(last_done[MPF_PHASE_READ], 16 * KIB + 3 * 128 * KIB);
    assert_int_equal(last_total[MPF_PHASE_ERASE], 1);
    assert_int_equal(last_done[MPF_PHASE_ERASE], 1);
    assert_int_equal(last_total[MPF_PHASE_WRITE], TEXT_IN_SECTOR7);
    assert_int_equal(last_done[MPF_PHASE_WRITE], TEXT_IN_SECTOR7);
    assert_int_equal(last_total[MPF_PHASE_VERIFY], TEXT_IN_SECTOR7);
    assert_int_equal(last_done[MPF_PHASE_VERIFY], TEXT_IN_SECTOR7);
}

/* Another firmware in every sector: one UPLOAD per sector shows each one
 * must be erased, all before the first erase; then the flash runs as a full
 * one would. */
static void test_a_new_firmware_costs_one_read_per_sector(void **state)
{
    board_case *c = *state;
    board *b = &c->b;
    with_firmware(c);
    mpf_image img;
    mpf_image_init(&img);
    assert_int_equal(fixture_micropython_image(&img, 0, 8), 0);
    c->opt.verify = 0;
    assert_int_equal(board_flash_ex(b, &img, &c->opt, 1, 0), MPF_OK);
    /* One pointer for the whole check: wBlockNum jumps to each sector. */
    words want = {{0}, 0};
    say(&want, "abort alt:0 addr:08000000 abort up:2 up:%u up:%u up:%u abort", 2 + 0x20000 / 2048,
        2 + 0x40000 / 2048, 2 + 0x60000 / 2048);
    say(&want, " erase:08000000 erase:08020000 erase:08040000 erase:%08X", (unsigned)SECTOR7);
    say(&want, " addr:08000000 wr:2 addr:08020000");
    say_range(&want, "wr", 2, 150);
    say(&want, " addr:08000000 leave");
    assert_words(b, &want);
    board_assert_erased(b, planned, 4);
    assert_int_equal(b->d.stats.sectors_unchanged, 0);
    assert_int_equal(b->d.stats.sectors_blank, 0);
    assert_true(board_has_image(b, &img));
    mpf_image_free(&img);
}

/* ---- partly covered sectors ----------------------------------------------- */

static void test_foreign_bytes_beside_the_image_get_the_sector_erased(void **state)
{
    board_case *c = *state, full;
    board *b = &c->b;
    with_firmware_and_twin(c, &full);
    /* Behind the text in sector 7, and behind the vector table in sector 0. */
    board *both[2] = {b, &full.b};
    for (size_t k = 0; k < 2; k++) {
        board_fill(both[k], SECTOR7 + TEXT_IN_SECTOR7 + 100, 300, 91);
        board_fill(both[k], 0x08000000 + FIXTURE_MP_VECTOR_SIZE, 16, 92);
    }

    assert_int_equal(board_flash_ex(b, &c->img, NULL, 1, 0), MPF_OK);
    const uint32_t want[2] = {0x08000000, SECTOR7};
    board_assert_erased(b, want, 2);
    assert_int_equal(b->d.stats.sectors_unchanged, 2);
    assert_true(board_reads_blank(b, SECTOR7 + TEXT_IN_SECTOR7, 128 * KIB - TEXT_IN_SECTOR7));
    assert_true(board_reads_blank(b, 0x08000000 + FIXTURE_MP_VECTOR_SIZE,
                                  16 * KIB - FIXTURE_MP_VECTOR_SIZE));

    assert_int_equal(board_flash_ex(&full.b, &c->img, NULL, 0, 0), MPF_OK);
    assert_same_flash(b, &full.b);
    board_case_close(&full);
}

/* ---- devices that cannot be read ------------------------------------------ */

static void test_no_can_upload_means_a_full_flash(void **state)
{
    board_case *c = *state;
    board *b = &c->b;
    with_firmware(c);
    c->opt.verify = 0; /* the plan refuses verify without canUpload */
    assert_int_equal(board_flash_ex(b, &c->img, &c->opt, 1, MPF_DFU_ATTR_CAN_UPLOAD), MPF_OK);
    assert_int_equal(board_ops(b, MPF_SIM_OP_UPLOAD), 0);
    board_assert_erased(b, planned, 4);
    assert_int_equal(board_ops(b, MPF_SIM_OP_WRITE), 150);
    assert_int_equal(capture_count(&b->cap, MPF_LOG_INFO, "bitCanUpload is 0"), 1);
    assert_true(board_has_image(b, &c->img));
}

static void add_upload_fault(board *b, mpf_sim_fault_kind kind, unsigned nth, uint8_t status)
{
    mpf_sim_fault f = {kind, MPF_SIM_OP_UPLOAD, nth, status};
    assert_int_equal(mpf_sim_add_fault(b->sim, &f, &b->err), MPF_OK);
}

static void test_a_refused_first_read_clears_the_error_and_flashes_in_full(void **state)
{
    board_case *c = *state;
    board *b = &c->b;
    with_firmware(c);
    add_upload_fault(b, MPF_SIM_FAULT_STATUS, 1, MPF_DFU_STATUS_ERR_VENDOR);
    assert_int_equal(board_flash_ex(b, &c->img, NULL, 1, 0), MPF_OK);

    /* UPLOAD (refused), GETSTATUS (why), CLRSTATUS, then the full flash. */
    size_t up = board_log_find(b->sim, MPF_SIM_OP_UPLOAD, 1);
    assert_int_equal(mpf_sim_request_at(b->sim, up)->result, MPF_ERR_USB_STALL);
    assert_int_equal(mpf_sim_request_at(b->sim, up + 1)->op, MPF_SIM_OP_GETSTATUS);
    assert_int_equal(mpf_sim_request_at(b->sim, up + 2)->op, MPF_SIM_OP_CLRSTATUS);
    assert_int_equal(mpf_sim_request_at(b->sim, up + 3)->op, MPF_SIM_OP_ERASE);
    assert_int_equal(board_ops(b, MPF_SIM_OP_CLRSTATUS), 1);
    board_assert_erased(b, planned, 4);
    assert_int_equal(board_ops(b, MPF_SIM_OP_WRITE), 150);
    assert_int_equal(board_ops(b, MPF_SIM_OP_UPLOAD), 1 + 150); /* the refused one, the verify */
    assert_int_equal(capture_count(&b->cap, MPF_LOG_WARN, "refused to be read at 0x08000000 (errVENDOR"),
                     1);
    assert_true(board_has_image(b, &c->img));
}

static void test_a_read_refused_later_keeps_the_sectors_already_checked(void **state)
{
    board_case *c = *state;
    board *b = &c->b;
    with_firmware(c);
    /* Sector 0 is 8 blocks; the 10th read is sector 5's second. */
    add_upload_fault(b, MPF_SIM_FAULT_STATUS, 10, MPF_DFU_STATUS_ERR_TARGET);
    assert_int_equal(board_flash_ex(b, &c->img, NULL, 1, 0), MPF_OK);
    const uint32_t want[3] = {0x08020000, 0x08040000, SECTOR7};
    board_assert_erased(b, want, 3);
    assert_int_equal(b->d.stats.sectors_unchanged, 1);
    assert_int_equal(board_ops(b, MPF_SIM_OP_WRITE), 149); /* the vector table's block is left */
    assert_int_equal(capture_count(&b->cap, MPF_LOG_WARN, "errTARGET"), 1);
    assert_true(board_has_image(b, &c->img));
}

static void test_read_protection_falls_back_and_fails_as_a_full_flash_would(void **state)
{
    board_case *c = *state, full;
    board *b = &c->b;
    with_firmware_and_twin(c, &full);
    mpf_sim_set_read_protection(b->sim, 1);
    mpf_sim_set_read_protection(full.b.sim, 1);
    assert_int_equal(board_flash_ex(b, &c->img, NULL, 1, 0), MPF_ERR_DEVICE_STATUS);
    assert_int_equal(board_flash_ex(&full.b, &c->img, NULL, 0, 0), MPF_ERR_DEVICE_STATUS);
    /* After the refused read the full flash starts, and meets the same wall. */
    assert_string_equal(b->err.message, full.b.err.message);
    assert_non_null(strstr(b->err.message, "erase of sector at 0x08000000 failed: errVENDOR"));
    assert_int_equal(capture_count(&b->cap, MPF_LOG_WARN, "errVENDOR, read protection"), 1);
    assert_int_equal(board_ops(b, MPF_SIM_OP_UPLOAD), 1);
    assert_int_equal(board_ops(b, MPF_SIM_OP_CLRSTATUS), 1);
    assert_int_equal(board_ops(b, MPF_SIM_OP_ERASE), 1);
    assert_int_equal(board_ops(b, MPF_SIM_OP_WRITE), 0);
    board_case_close(&full);
}

static void test_other_read_failures_stop_before_any_erase(void **state)
{
    (void)state;
    const mpf_sim_fault_kind kinds[2] = {MPF_SIM_FAULT_TIMEOUT, MPF_SIM_FAULT_STALL};
    const mpf_err want[2] = {MPF_ERR_USB_TIMEOUT, MPF_ERR_USB_STALL};
    for (size_t k = 0; k < 2; k++) {
        board_case c;
        board_case_open(&c, "f401");
        with_firmware(&c);
        add_upload_fault(&c.b, kinds[k], 3, 0);
        assert_int_equal(board_flash_ex(&c.b, &c.img, NULL, 1, 0), want[k]);
        assert_non_null(strstr(c.b.err.message, "read of block 4 at 0x08001000"));
        assert_int_equal(board_ops(&c.b, MPF_SIM_OP_ERASE), 0);
        assert_int_equal(board_ops(&c.b, MPF_SIM_OP_WRITE), 0);
        assert_int_equal(board_ops(&c.b, MPF_SIM_OP_CLRSTATUS), 0);
        assert_true(board_has_image(&c.b, &c.img));
        board_case_close(&c);
    }
}

/* ---- dry run -------------------------------------------------------------- */

static void test_check_unchanged_reports_and_changes_nothing(void **state)
{
    board_case *c = *state;
    board *b = &c->b;
    with_firmware(c);
    c->img.segments[1].data[FIXTURE_MP_TEXT_DEFAULT_SIZE - 1] ^= 0x80;
    mpf_transport raw, t;
    mpf_sim_transport(b->sim, &raw);
    t = raw;
    mpf_plan plan;
    assert_int_equal(mpf_plan_build(&c->img, &t.info, &c->opt, &plan, &b->err), MPF_OK);
    assert_int_equal(plan.erase_count, 4);
    uint8_t before[F401_SIZE / 64];
    assert_int_equal(mpf_sim_peek(b->sim, SECTOR7 + TEXT_IN_SECTOR7 - sizeof before, before,
                                  sizeof before), 0);
    assert_int_equal(mpf_dfu_open(&b->d, &t, &b->cb, &b->err), MPF_OK);
    uint8_t unchanged[4] = {9, 9, 9, 9};
    assert_int_equal(mpf_dfu_check_unchanged(&b->d, &plan, unchanged, &b->err), MPF_OK);
    assert_int_equal(unchanged[0], 1);
    assert_int_equal(unchanged[1], 1);
    assert_int_equal(unchanged[2], 1);
    assert_int_equal(unchanged[3], 0);
    assert_int_equal(board_ops(b, MPF_SIM_OP_ERASE) + board_ops(b, MPF_SIM_OP_WRITE) +
                         board_ops(b, MPF_SIM_OP_LEAVE) + board_ops(b, MPF_SIM_OP_MASS_ERASE),
                     0);
    assert_int_equal(board_ops(b, MPF_SIM_OP_UPLOAD), 8 + 64 + 64 + TEXT_IN_SECTOR7 / 2048);
    assert_int_equal(b->d.stats.sectors_unchanged, 0); /* nothing was left out: nothing ran */
    assert_int_equal(mpf_sim_state(b->sim), MPF_DFU_STATE_IDLE);
    uint8_t after[sizeof before];
    assert_int_equal(mpf_sim_peek(b->sim, SECTOR7 + TEXT_IN_SECTOR7 - sizeof after, after,
                                  sizeof after), 0);
    assert_memory_equal(before, after, sizeof before);

    /* Without canUpload: all 0, nothing sent. */
    mpf_sim_clear_log(b->sim);
    t.info.func.attributes &= (uint8_t)~MPF_DFU_ATTR_CAN_UPLOAD;
    assert_int_equal(mpf_dfu_open(&b->d, &t, &b->cb, &b->err), MPF_OK);
    memset(unchanged, 9, sizeof unchanged);
    assert_int_equal(mpf_dfu_check_unchanged(&b->d, &plan, unchanged, &b->err), MPF_OK);
    for (size_t i = 0; i < 4; i++)
        assert_int_equal(unchanged[i], 0);
    assert_int_equal(board_ops(b, MPF_SIM_OP_UPLOAD) + board_ops(b, MPF_SIM_OP_SET_ADDRESS), 0);
    mpf_plan_free(&plan);
}

/* A fresh plan, open, and the dry run alone: its flags in action[4]. */
static void check_only(board_case *c, uint8_t *action)
{
    assert_int_equal(board_open(&c->b, &c->img, &c->opt, 0), MPF_OK);
    assert_int_equal(mpf_dfu_check_unchanged(&c->b.d, &c->b.plan, action, &c->b.err), MPF_OK);
}

static void test_flags_from_the_check_spare_the_flash_a_second_read(void **state)
{
    board_case *c = *state;
    board *b = &c->b;
    with_firmware(c);
    c->img.segments[1].data[FIXTURE_MP_TEXT_DEFAULT_SIZE - 1] ^= 0x80;
    uint8_t unchanged[4];
    check_only(c, unchanged);
    const size_t check_reads = board_ops(b, MPF_SIM_OP_UPLOAD);
    assert_int_equal(check_reads, 8 + 64 + 64 + TEXT_IN_SECTOR7 / 2048);

    mpf_dfu_flash_options fo;
    mpf_dfu_flash_options_default(&fo);
    assert_int_equal(fo.skip_unchanged, 1);
    assert_null(fo.unchanged);
    fo.unchanged = unchanged;
    assert_int_equal(mpf_dfu_flash_ex(&b->d, &b->plan, &fo, &b->err), MPF_OK);
    assert_int_equal(board_ops(b, MPF_SIM_OP_UPLOAD) - check_reads, TEXT_IN_SECTOR7 / 2048); /* verify */
    const uint32_t want[1] = {SECTOR7};
    board_assert_erased(b, want, 1);
    assert_int_equal(b->d.stats.sectors_unchanged, 3);
    assert_true(board_has_image(b, &c->img));
    assert_true(board_holds_fill(b, BOARD_FS_ADDR, BOARD_FS_SIZE, SEED_FS));
}

static void test_mass_erase_plans_are_not_checked(void **state)
{
    board_case *c = *state;
    board *b = &c->b;
    with_firmware(c);
    c->opt.mass_erase = 1;
    assert_int_equal(board_flash_ex(b, &c->img, &c->opt, 1, 0), MPF_OK);
    assert_int_equal(board_ops(b, MPF_SIM_OP_MASS_ERASE), 1);
    assert_int_equal(board_ops(b, MPF_SIM_OP_UPLOAD), 150); /* the verify only */
    assert_int_equal(board_ops(b, MPF_SIM_OP_WRITE), 150);
    assert_true(board_has_image(b, &c->img));
    assert_true(board_reads_blank(b, BOARD_FS_ADDR, BOARD_FS_SIZE));
}

/* ---- sectors that need no erase ------------------------------------------- */

/* A blank sector is read whole, not erased, and gets only its blocks that
 * are not all 0xFF; verify reads back exactly those. */
static void test_a_blank_sector_is_read_whole_and_written_without_an_erase(void **state)
{
    board_case *c = *state;
    board *b = &c->b;
    board_fill(b, BOARD_FS_ADDR, BOARD_FS_SIZE, SEED_FS);
    /* Blocks 2..7 of 0x08020000: data, 0xFF, data, 0xFF, data, 100 bytes. */
    uint8_t data[5 * 2048 + 100];
    fixture_fill_random(data, sizeof data, 41);
    memset(data + 2048, 0xFF, 2048);
    memset(data + 3 * 2048, 0xFF, 2048);
    assert_int_equal(mpf_image_add(&c->img, 0, 0x08020000, data, sizeof data, "test", NULL), MPF_OK);
    assert_int_equal(mpf_image_normalize(&c->img, NULL), MPF_OK);
    assert_int_equal(board_flash_ex(b, &c->img, NULL, 1, 0), MPF_OK);

    words want = {{0}, 0};
    say(&want, "abort alt:0 addr:08020000 abort");
    say_range(&want, "up", 2, 65); /* the whole 128 KiB sector */
    say(&want, " abort addr:08020000 wr:2 wr:4 wr:6 wr:7");
    say(&want, " addr:08020000 abort up:2 up:4 up:6 up:7 abort");
    say(&want, " addr:08020000 leave");
    assert_words(b, &want);
    assert_int_equal(mpf_sim_erase_count(b->sim), 0);
    assert_int_equal(b->d.stats.erase_sectors, 0);
    assert_int_equal(b->d.stats.sectors_blank, 1);
    assert_int_equal(b->d.stats.sectors_unchanged, 0);
    assert_int_equal(b->d.stats.blocks_unchanged, 2);
    assert_int_equal(capture_count(&b->cap, MPF_LOG_INFO, "written without an erase"), 1);
    assert_true(board_has_image(b, &c->img));
    assert_true(board_reads_blank(b, 0x08020000 + sizeof data, 128 * KIB - sizeof data));
    assert_true(board_holds_fill(b, BOARD_FS_ADDR, BOARD_FS_SIZE, SEED_FS));
}

/* A flash cut off halfway: its sectors are erased and the first 99 blocks
 * written. Flashed again, nothing is erased and only the rest is sent. */
static void test_an_interrupted_flash_resumes_where_it_stopped(void **state)
{
    board_case *c = *state;
    board *b = &c->b;
    board_fill(b, 0x08000000, 512 * KIB, 0x31); /* an old firmware everywhere */
    board_fill(b, BOARD_FS_ADDR, BOARD_FS_SIZE, SEED_FS);
    assert_int_equal(fixture_micropython_image(&c->img, 0, 7), 0);
    mpf_sim_fault cut = {MPF_SIM_FAULT_DISCONNECT, MPF_SIM_OP_WRITE, 100, 0};
    assert_int_equal(mpf_sim_add_fault(b->sim, &cut, &b->err), MPF_OK);
    assert_int_not_equal(board_flash_ex(b, &c->img, NULL, 1, 0), MPF_OK);
    assert_int_equal(mpf_sim_erase_count(b->sim), 4);
    fresh_session(b);

    assert_int_equal(board_flash_ex(b, &c->img, NULL, 1, 0), MPF_OK);
    /* The vector table's block and 98 of the text's were written. */
    const unsigned sent = 98, text_blocks = (FIXTURE_MP_TEXT_DEFAULT_SIZE + 2047) / 2048;
    const uint32_t resume = FIXTURE_MP_TEXT_ADDR + sent * 2048;
    words want = {{0}, 0};
    say(&want, "abort alt:0 addr:08000000 abort");
    say_range(&want, "up", 2, 9); /* sector 0 */
    say_range(&want, "up", 2 + 64, 2 + 64 + 3 * 64 - 1); /* sectors 5, 6, 7 */
    say(&want, " abort addr:%08X", (unsigned)resume);
    say_range(&want, "wr", 2, 2 + text_blocks - sent - 1);
    say(&want, " addr:%08X abort", (unsigned)resume);
    say_range(&want, "up", 2, 2 + text_blocks - sent - 1);
    say(&want, " abort addr:08000000 leave");
    assert_words(b, &want);
    assert_int_equal(mpf_sim_erase_count(b->sim), 0);
    assert_int_equal(b->d.stats.sectors_unchanged, 2);
    assert_int_equal(b->d.stats.sectors_blank, 2);
    assert_true(board_has_image(b, &c->img));
    assert_true(board_reads_blank(b, SECTOR7 + TEXT_IN_SECTOR7, 128 * KIB - TEXT_IN_SECTOR7));
    assert_true(board_holds_fill(b, BOARD_FS_ADDR, BOARD_FS_SIZE, SEED_FS));
}

/* A write-protected sector that reads blank: not erasing it must not hide
 * the protection. The ROM "erases" such a sector without a word, so its full
 * flash too first hears of it at the write: errWRITE, the same error at the
 * same block. mboot refuses the erase, and now the write. */
static void test_a_write_protected_blank_sector_still_fails(void **state)
{
    (void)state;
    const char *chips[2] = {"f401", "mboot"};
    for (size_t chip = 0; chip < 2; chip++) {
        for (int verify = 0; verify <= 1; verify++) {
            board_case skip, full;
            board_case_open(&skip, chips[chip]);
            board_case_open(&full, chips[chip]);
            mpf_sim_write_protect(skip.b.sim, 0x08040000);
            mpf_sim_write_protect(full.b.sim, 0x08040000);
            mpf_image *img = &skip.img;
            assert_int_equal(fixture_micropython_image(img, 0, 7), 0);
            if (chip == 1)
                img->segments[0].address = 0x08008000; /* past mboot itself */
            skip.opt.verify = verify;
            assert_int_equal(board_flash_ex(&full.b, img, &skip.opt, 0, 0), MPF_ERR_DEVICE_STATUS);
            assert_int_equal(board_flash_ex(&skip.b, img, &skip.opt, 1, 0), MPF_ERR_DEVICE_STATUS);
            assert_int_equal(skip.b.d.stats.erase_sectors, 0);
            assert_int_equal(skip.b.d.stats.sectors_blank, 4);
            assert_non_null(strstr(skip.b.err.message, "write of block 66 at 0x08040000 failed"));
            if (chip == 0)
                assert_string_equal(skip.b.err.message, full.b.err.message);
            assert_false(board_has_image(&skip.b, img));
            board_case_close(&skip);
            board_case_close(&full);
        }
    }
}

/* The dry run's answer, and a flash given it: blank sectors are marked, and
 * the flash (which no longer knows which of their blocks were right) sends
 * every block of them that is not all 0xFF, without erasing. */
static void test_the_check_marks_blank_sectors_for_the_flash(void **state)
{
    board_case *c = *state;
    board *b = &c->b;
    with_firmware(c);
    /* Sector 6 from its 10th block on, and all of sector 7, blank again. */
    uint8_t ff[128 * KIB];
    memset(ff, 0xFF, sizeof ff);
    assert_int_equal(mpf_sim_poke(b->sim, 0x08040000 + 10 * 2048, ff, 128 * KIB - 10 * 2048), 0);
    assert_int_equal(mpf_sim_poke(b->sim, SECTOR7, ff, 128 * KIB), 0);
    uint8_t action[4];
    check_only(c, action);
    assert_int_equal(action[0], MPF_SECTOR_UNCHANGED);
    assert_int_equal(action[1], MPF_SECTOR_UNCHANGED);
    assert_int_equal(action[2], MPF_SECTOR_BLANK);
    assert_int_equal(action[3], MPF_SECTOR_BLANK);
    assert_int_equal(board_ops(b, MPF_SIM_OP_UPLOAD), 8 + 3 * 64);
    assert_int_equal(board_ops(b, MPF_SIM_OP_ERASE) + board_ops(b, MPF_SIM_OP_WRITE), 0);

    mpf_sim_clear_log(b->sim);
    mpf_dfu_flash_options fo;
    mpf_dfu_flash_options_default(&fo);
    fo.unchanged = action;
    assert_int_equal(mpf_dfu_flash_ex(&b->d, &b->plan, &fo, &b->err), MPF_OK);
    assert_int_equal(board_ops(b, MPF_SIM_OP_ERASE), 0);
    assert_int_equal(board_ops(b, MPF_SIM_OP_WRITE), 64 + TEXT_IN_SECTOR7 / 2048);
    assert_int_equal(b->d.stats.sectors_blank, 2);
    assert_true(board_has_image(b, &c->img));

    /* Anything but an mpf_sector_action is refused before a request. */
    mpf_sim_clear_log(b->sim);
    action[1] = 3;
    assert_int_equal(mpf_dfu_flash_ex(&b->d, &b->plan, &fo, &b->err), MPF_ERR_USAGE);
    assert_int_equal(mpf_sim_request_count(b->sim), 0);
}

/* ---- randomized: skip-unchanged leaves what a full flash leaves ----------- */

typedef struct rng {
    uint32_t x;
} rng;

static uint32_t next(rng *r)
{
    r->x ^= r->x << 13;
    r->x ^= r->x >> 17;
    r->x ^= r->x << 5;
    return r->x;
}

static uint32_t below(rng *r, uint32_t n)
{
    return next(r) % n;
}

/* 1..3 segments, each starting in its own sector and ending before the next
 * one's sector, spilling over sector ends; random bytes, 0xFF blocks, and
 * stretches of all 0xFF. */
static void random_image(rng *r, mpf_image *img)
{
    mpf_image_init(img);
    size_t count = 1 + below(r, 3);
    size_t first[3];
    size_t chosen = 0;
    for (size_t s = 0; s < 8 && chosen < count; s++)
        if (below(r, 8 - (uint32_t)s) < count - chosen)
            first[chosen++] = s;
    for (size_t k = 0; k < chosen; k++) {
        uint32_t start = f401_sectors[first[k]] + below(r, sector_size(first[k]));
        uint32_t limit = k + 1 < chosen ? f401_sectors[first[k + 1]] : 0x08080000u;
        uint32_t room = limit - start;
        uint32_t size = 1 + below(r, room < 40 * KIB ? room : 40 * KIB);
        uint8_t *data = malloc(size);
        assert_non_null(data);
        fixture_fill_random(data, size, next(r));
        uint32_t mode = below(r, 4);
        for (uint32_t off = 0; off < size; off += 2048) {
            uint32_t n = size - off < 2048 ? size - off : 2048;
            if (mode == 1 || (mode == 2 && below(r, 3) == 0))
                memset(data + off, 0xFF, n);
        }
        assert_int_equal(mpf_image_add_owned(img, 0, start, data, size, "random", NULL), MPF_OK);
    }
    assert_int_equal(mpf_image_normalize(img, NULL), MPF_OK);
}

/* What a full flash leaves in sector i: 0xFF, then the image. */
static void expected_sector(const mpf_image *img, size_t i, uint8_t *out)
{
    const uint32_t start = f401_sectors[i], size = sector_size(i);
    memset(out, 0xFF, size);
    for (size_t k = 0; k < img->count; k++) {
        const mpf_segment *s = &img->segments[k];
        uint64_t lo = s->address > start ? s->address : start;
        uint64_t hi = (uint64_t)s->address + s->size < (uint64_t)start + size
                          ? (uint64_t)s->address + s->size
                          : (uint64_t)start + size;
        if (lo < hi)
            memcpy(out + (lo - start), s->data + (lo - s->address), (size_t)(hi - lo));
    }
}

/* A block of the sector's full-flash result whose bytes are all 0xFF, or -1. */
static long blank_target_block(const uint8_t *want, uint32_t size, rng *r)
{
    const uint32_t blocks = size / 2048, from = below(r, blocks);
    for (uint32_t k = 0; k < blocks; k++) {
        uint32_t at = (from + k) % blocks * 2048;
        size_t i = 0;
        while (i < 2048 && want[at + i] == 0xFF)
            i++;
        if (i == 2048)
            return (long)at;
    }
    return -1;
}

/* Per sector, one of: erased; random; the full flash's result; a flash of
 * it cut off (its start right, 0xFF from a block boundary or any byte on);
 * blank but for one stray byte; the result with foreign bytes in a block
 * that should be all 0xFF. The last two and the full flash's result then
 * perhaps get one bit or byte changed anywhere. */
static void random_prior(rng *r, const mpf_image *img, board *a, board *b)
{
    for (size_t i = 0; i < 8; i++) {
        uint32_t size = sector_size(i);
        uint8_t *buf = malloc(size);
        assert_non_null(buf);
        expected_sector(img, i, buf);
        const uint32_t kind = below(r, 8);
        switch (kind) {
        case 0:
            memset(buf, 0xFF, size);
            break;
        case 1:
            fixture_fill_random(buf, size, next(r));
            break;
        case 2: {
            uint32_t cut = below(r, 2) ? below(r, size / 2048) * 2048 : below(r, size);
            memset(buf + cut, 0xFF, size - cut);
            break;
        }
        case 3:
            memset(buf, 0xFF, size);
            buf[below(r, size)] = (uint8_t)below(r, 0xFF);
            break;
        case 4: {
            long at = blank_target_block(buf, size, r);
            if (at >= 0)
                fixture_fill_random(buf + at, 2048, next(r));
            break;
        }
        default:
            break;
        }
        uint32_t change = kind >= 4 ? below(r, 4) : 0;
        if (change == 1)
            buf[below(r, size)] ^= (uint8_t)(1u << below(r, 8));
        else if (change == 2)
            buf[below(r, size)] = (uint8_t)next(r);
        assert_int_equal(mpf_sim_poke(a->sim, f401_sectors[i], buf, size), 0);
        assert_int_equal(mpf_sim_poke(b->sim, f401_sectors[i], buf, size), 0);
        free(buf);
    }
}

/* What skip-unchanged must do with sector i, from what the chip holds: an
 * erase unless every byte is right already or 0xFF. */
static mpf_sector_action needed_action(const board *b, const mpf_image *img, size_t i)
{
    const uint32_t size = sector_size(i);
    uint8_t *want = malloc(size), *got = malloc(size);
    assert_non_null(want);
    assert_non_null(got);
    expected_sector(img, i, want);
    assert_int_equal(mpf_sim_peek(b->sim, f401_sectors[i], got, size), 0);
    mpf_sector_action action = MPF_SECTOR_UNCHANGED;
    for (uint32_t at = 0; at < size && action != MPF_SECTOR_ERASE; at += 2048) {
        if (memcmp(want + at, got + at, 2048) == 0)
            continue;
        action = right_or_blank(got + at, want + at, 2048) ? MPF_SECTOR_BLANK : MPF_SECTOR_ERASE;
    }
    free(want);
    free(got);
    return action;
}

/* Every block the flash wrote was read back by the verify after it. */
static void assert_writes_verified(const board *b, uint32_t seed)
{
    const size_t n = mpf_sim_request_count(b->sim);
    for (size_t i = 0; i < n; i++) {
        const mpf_sim_request *w = mpf_sim_request_at(b->sim, i);
        if (w->op != MPF_SIM_OP_WRITE)
            continue;
        uint64_t covered = w->address;
        for (size_t j = i + 1; j < n && covered < (uint64_t)w->address + w->length; j++) {
            const mpf_sim_request *u = mpf_sim_request_at(b->sim, j);
            if (u->op == MPF_SIM_OP_UPLOAD && u->address <= covered &&
                (uint64_t)u->address + u->length > covered)
                covered = (uint64_t)u->address + u->length;
        }
        if (covered < (uint64_t)w->address + w->length)
            fail_msg("seed %u: the write at 0x%08X was not verified", seed, (unsigned)w->address);
    }
}

static void test_random_images_and_chips_end_as_a_full_flash_leaves_them(void **state)
{
    (void)state;
    size_t count[3] = {0}, checked = 0;
    for (uint32_t seed = 1; seed <= 200; seed++) {
        rng r = {seed * 2654435761u ^ 0xA5A5A5A5u};
        mpf_image img;
        random_image(&r, &img);
        board skip, full;
        board_new(&skip, "f401");
        board_new(&full, "f401");
        random_prior(&r, &img, &skip, &full);
        mpf_plan_options opt;
        mpf_plan_options_default(&opt);
        opt.verify = (int)below(&r, 2);

        mpf_sector_action needed[8];
        for (size_t i = 0; i < 8; i++)
            needed[i] = needed_action(&skip, &img, i);

        if (board_flash_ex(&skip, &img, &opt, 1, 0) != MPF_OK)
            fail_msg("seed %u: skip-unchanged flash: %s", seed, skip.err.message);
        if (board_flash_ex(&full, &img, &opt, 0, 0) != MPF_OK)
            fail_msg("seed %u: full flash: %s", seed, full.err.message);
        assert_same_flash(&skip, &full);
        assert_true(board_has_image(&skip, &img));
        if (opt.verify)
            assert_writes_verified(&skip, seed);

        /* Exactly the planned sectors that needed an erase were erased. */
        size_t e = 0, by_action[3] = {0};
        for (size_t p = 0; p < skip.plan.erase_count; p++) {
            size_t i = 0;
            while (f401_sectors[i] != skip.plan.erases[p].address)
                i++;
            by_action[needed[i]]++;
            if (needed[i] == MPF_SECTOR_ERASE) {
                if (e >= mpf_sim_erase_count(skip.sim) || mpf_sim_erase_at(skip.sim, e) != f401_sectors[i])
                    fail_msg("seed %u: sector at 0x%08X was not erased", seed, (unsigned)f401_sectors[i]);
                e++;
            }
            checked++;
        }
        assert_int_equal(mpf_sim_erase_count(skip.sim), e);
        assert_int_equal(skip.d.stats.sectors_unchanged, by_action[MPF_SECTOR_UNCHANGED]);
        assert_int_equal(skip.d.stats.sectors_blank, by_action[MPF_SECTOR_BLANK]);
        for (size_t k = 0; k < 3; k++)
            count[k] += by_action[k];
        mpf_image_free(&img);
        board_free(&skip);
        board_free(&full);
    }
    printf("# 200 cases: %zu planned sectors, %zu left alone, %zu written without an erase, "
           "%zu erased\n", checked, count[MPF_SECTOR_UNCHANGED], count[MPF_SECTOR_BLANK],
           count[MPF_SECTOR_ERASE]);
    /* The cases must exercise every outcome, or the test proves little. */
    assert_true(count[MPF_SECTOR_UNCHANGED] > 50);
    assert_true(count[MPF_SECTOR_BLANK] > 50);
    assert_true(count[MPF_SECTOR_ERASE] > 50);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        BOARD_TEST("f401", test_reflash_of_the_same_image_erases_and_writes_nothing),
        BOARD_TEST("f401", test_one_changed_byte_rewrites_only_its_sector),
        BOARD_TEST("f401", test_a_new_firmware_costs_one_read_per_sector),
        BOARD_TEST("f401", test_foreign_bytes_beside_the_image_get_the_sector_erased),
        BOARD_TEST("f401", test_no_can_upload_means_a_full_flash),
        BOARD_TEST("f401", test_a_refused_first_read_clears_the_error_and_flashes_in_full),
        BOARD_TEST("f401", test_a_read_refused_later_keeps_the_sectors_already_checked),
        BOARD_TEST("f401", test_read_protection_falls_back_and_fails_as_a_full_flash_would),
        cmocka_unit_test(test_other_read_failures_stop_before_any_erase),
        BOARD_TEST("f401", test_check_unchanged_reports_and_changes_nothing),
        BOARD_TEST("f401", test_flags_from_the_check_spare_the_flash_a_second_read),
        BOARD_TEST("f401", test_mass_erase_plans_are_not_checked),
        BOARD_TEST("f401", test_a_blank_sector_is_read_whole_and_written_without_an_erase),
        BOARD_TEST("f401", test_an_interrupted_flash_resumes_where_it_stopped),
        cmocka_unit_test(test_a_write_protected_blank_sector_still_fails),
        BOARD_TEST("f401", test_the_check_marks_blank_sectors_for_the_flash),
        cmocka_unit_test(test_random_images_and_chips_end_as_a_full_flash_leaves_them),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
