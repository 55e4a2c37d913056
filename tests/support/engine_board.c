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
#include "hostile_checks.h"

void board_new(board *b, const char *chip)
{
    memset(b, 0, sizeof *b);
    if (mpf_sim_new(chip, &b->sim, &b->err) != MPF_OK)
        fail_msg("mpf_sim_new(%s): %s", chip, b->err.message);
    capture_init(&b->cap, &b->cb);
}

void board_free(board *b)
{
    if (b->has_plan)
        mpf_plan_free(&b->plan);
    mpf_sim_free(b->sim);
    capture_free(&b->cap);
}

void board_case_open(board_case *c, const char *chip)
{
    board_new(&c->b, chip);
    mpf_image_init(&c->img);
    mpf_plan_options_default(&c->opt);
}

void board_case_close(board_case *c)
{
    mpf_image_free(&c->img);
    board_free(&c->b);
}

int board_case_setup(void **state)
{
    board_case *c = malloc(sizeof *c);
    assert_non_null(c);
    board_case_open(c, *state);
    *state = c;
    return 0;
}

int board_case_teardown(void **state)
{
    board_case_close(*state);
    free(*state);
    return 0;
}

void board_fill(board *b, uint32_t address, size_t len, uint32_t seed)
{
    uint8_t *buf = malloc(len);
    assert_non_null(buf);
    fixture_fill_random(buf, len, seed);
    assert_int_equal(mpf_sim_poke(b->sim, address, buf, len), 0);
    free(buf);
}

int board_holds_fill(const board *b, uint32_t address, size_t len, uint32_t seed)
{
    uint8_t *want = malloc(len), *got = malloc(len);
    assert_non_null(want);
    assert_non_null(got);
    fixture_fill_random(want, len, seed);
    int same = mpf_sim_peek(b->sim, address, got, len) == 0 && memcmp(want, got, len) == 0;
    free(want);
    free(got);
    return same;
}

int board_reads_blank(const board *b, uint32_t address, size_t len)
{
    uint8_t *buf = malloc(len);
    assert_non_null(buf);
    assert_int_equal(mpf_sim_peek(b->sim, address, buf, len), 0);
    int blank = 1;
    for (size_t i = 0; i < len && blank; i++)
        blank = buf[i] == 0xFF;
    free(buf);
    return blank;
}

mpf_err board_open(board *b, const mpf_image *img, const mpf_plan_options *opt,
                   uint8_t attrs_off)
{
    mpf_plan_options defaults;
    if (!opt) {
        mpf_plan_options_default(&defaults);
        opt = &defaults;
    }
    if (b->has_plan)
        mpf_plan_free(&b->plan);
    b->has_plan = 0;
    mpf_error_clear(&b->err);
    mpf_sim_transport(b->sim, &b->raw);
    b->raw.info.func.attributes &= (uint8_t)~attrs_off;
    spy_wrap(&b->spy, &b->raw, &b->t);
    mpf_err rc = mpf_plan_build(img, &b->t.info, opt, &b->plan, &b->err);
    if (rc != MPF_OK)
        return rc;
    b->has_plan = 1;
    return mpf_dfu_open(&b->d, &b->t, &b->cb, &b->err);
}

mpf_err board_flash(board *b, const mpf_image *img, const mpf_plan_options *opt)
{
    mpf_err rc = board_open(b, img, opt, 0);
    return rc == MPF_OK ? mpf_dfu_flash(&b->d, &b->plan, &b->err) : rc;
}

mpf_err board_flash_ex(board *b, const mpf_image *img, const mpf_plan_options *opt, int skip,
                       uint8_t attrs_off)
{
    mpf_err rc = board_open(b, img, opt, attrs_off);
    if (rc != MPF_OK)
        return rc;
    mpf_dfu_flash_options fo;
    mpf_dfu_flash_options_default(&fo);
    fo.skip_unchanged = skip;
    return mpf_dfu_flash_ex(&b->d, &b->plan, &fo, &b->err);
}

void board_assert_erased(const board *b, const uint32_t *sectors, size_t n)
{
    assert_int_equal(mpf_sim_erase_count(b->sim), n);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(mpf_sim_erase_at(b->sim, i), sectors[i]);
}

int board_has_image(const board *b, const mpf_image *img)
{
    for (size_t i = 0; i < img->count; i++) {
        const mpf_segment *s = &img->segments[i];
        uint8_t *got = malloc(s->size);
        assert_non_null(got);
        int same = mpf_sim_peek(b->sim, s->address, got, s->size) == 0 &&
                   memcmp(got, s->data, s->size) == 0;
        free(got);
        if (!same)
            return 0;
    }
    return 1;
}

static int not_dfu(mpf_sim_op op)
{
    return op == MPF_SIM_OP_SELECT_ALT || op == MPF_SIM_OP_RESET;
}

void board_log_summary(const mpf_sim *sim, size_t from, board_log *out)
{
    memset(out, 0, sizeof *out);
    const size_t n = mpf_sim_request_count(sim);
    uint32_t expect_block = 0; /* next wBlockNum; 0 = no pointer set */
    for (size_t i = from; i < n; i++) {
        const mpf_sim_request *r = mpf_sim_request_at(sim, i);
        if (r->op <= MPF_SIM_OP_RESET)
            out->by_op[r->op]++;
        if (!not_dfu(r->op))
            out->dfu_requests++;
        if (r->op == MPF_SIM_OP_SET_ADDRESS) {
            expect_block = 2;
            size_t j = i + 1;
            while (j < n && mpf_sim_request_at(sim, j)->op == MPF_SIM_OP_GETSTATUS)
                j++;
            if (j < n && mpf_sim_request_at(sim, j)->op == MPF_SIM_OP_WRITE)
                out->runs++;
        } else if (r->op == MPF_SIM_OP_WRITE) {
            if (r->value != expect_block)
                out->bad_block_number++;
            expect_block = r->value + 1u;
            int shape = i + 2 < n && mpf_sim_request_at(sim, i + 1)->op == MPF_SIM_OP_GETSTATUS &&
                        mpf_sim_request_at(sim, i + 2)->op == MPF_SIM_OP_GETSTATUS &&
                        (i + 3 >= n || mpf_sim_request_at(sim, i + 3)->op != MPF_SIM_OP_GETSTATUS);
            if (!shape)
                out->bad_block_shape++;
        } else if (r->op != MPF_SIM_OP_GETSTATUS) {
            expect_block = 0;
        }
    }
}

size_t board_log_find(const mpf_sim *sim, mpf_sim_op op, unsigned nth)
{
    return hostile_log_nth(sim, op, nth);
}

size_t board_ops(const board *b, mpf_sim_op op)
{
    board_log log;
    board_log_summary(b->sim, 0, &log);
    return log.by_op[op];
}

const mpf_sim_request *board_nth(const board *b, mpf_sim_op op, unsigned nth)
{
    size_t i = board_log_find(b->sim, op, nth);
    if (i == (size_t)-1)
        fail_msg("no request %u of op %d in the log", nth, (int)op);
    return mpf_sim_request_at(b->sim, i);
}

size_t board_log_flash_changes_after(const mpf_sim *sim, size_t i)
{
    return hostile_log_changes_after(sim, i);
}

static int log_word(const mpf_sim_request *r, char *w, size_t size)
{
    switch (r->op) {
    case MPF_SIM_OP_GETSTATUS:
        return 0;
    case MPF_SIM_OP_ABORT:
        return snprintf(w, size, "abort");
    case MPF_SIM_OP_CLRSTATUS:
        return snprintf(w, size, "clr");
    case MPF_SIM_OP_SELECT_ALT:
        return snprintf(w, size, "alt:%u", (unsigned)r->value);
    case MPF_SIM_OP_SET_ADDRESS:
        return snprintf(w, size, "addr:%08X", (unsigned)r->address);
    case MPF_SIM_OP_ERASE:
        return snprintf(w, size, "erase:%08X", (unsigned)r->address);
    case MPF_SIM_OP_MASS_ERASE:
        return snprintf(w, size, "mass");
    case MPF_SIM_OP_UPLOAD:
        return snprintf(w, size, "up:%u", (unsigned)r->value);
    case MPF_SIM_OP_WRITE:
        return snprintf(w, size, "wr:%u", (unsigned)r->value);
    case MPF_SIM_OP_LEAVE:
        return snprintf(w, size, "leave");
    case MPF_SIM_OP_RESET:
        return snprintf(w, size, "reset");
    default:
        return snprintf(w, size, "op:%d", (int)r->op);
    }
}

void board_log_words(const mpf_sim *sim, size_t from, char *out, size_t size)
{
    const size_t n = mpf_sim_request_count(sim);
    size_t used = 0;
    out[0] = '\0';
    for (size_t i = from; i < n; i++) {
        char w[32];
        if (log_word(mpf_sim_request_at(sim, i), w, sizeof w) <= 0)
            continue;
        size_t need = strlen(w) + (used ? 1 : 0);
        if (used + need + 4 >= size) {
            snprintf(out + used, size - used, "...");
            return;
        }
        used += (size_t)snprintf(out + used, size - used, "%s%s", used ? " " : "", w);
    }
}
