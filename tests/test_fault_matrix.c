/* The fault matrix: every fault kind (STALL, timeout, disconnect, and each
 * error status a flash can fail with) at every phase of flashing a
 * MicroPython image onto the virtual F401 (start-up ABORT and status,
 * set-address, sector erase, mass erase, mid-write, verify, leave).
 * test_engine_faults.c checks
 * the first points with one status each; this file widens that to the whole
 * matrix and checks, for every cell:
 *  - the result: a one-line error naming the operation, its address and
 *    the status, with the code (and so the exit code) the tool documents;
 *    or success where a vanishing device is the expected end (leave);
 *  - the phase the engine was in (its last progress report);
 *  - that it stopped: no request changing flash after the faulty one;
 *  - that it destroyed nothing it did not have to: the device erased only
 *    planned sectors, nothing outside them changed, the filesystem sectors
 *    (1-4) hold their data unless a mass erase had already run;
 *  - that a second run on the same board (replugged if it vanished) leaves
 *    a correct chip. */
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
#include "tool/tool_exit.h"

#define SEED_FS 0xF5F5u
#define SEED_FLASH 0x0D1Du
#define F401_FLASH 0x08000000u
#define F401_SIZE (512u * 1024u)
/* 80 blocks of text from 0x08020000: the plan erases sectors 0, 5 and 6
 * and leaves sector 7 alone, so a stray erase there shows. */
#define TEXT_SIZE (160u * 1024u)
#define TEXT_BLOCKS (TEXT_SIZE / 2048u)
/* No run may take longer than this on the virtual clock. */
#define MAX_MODELLED_US (200ull * 1000 * 1000)

/* Faults a point shrugs off: the flash goes on and succeeds. */
#define SURVIVES_STALL 1u  /* a STALL there is an answer, not a failure */
#define SURVIVES_STATUS 2u /* an error status found there is cleared */

typedef struct point {
    const char *name;
    mpf_phase phase;   /* where the engine is when the fault hits */
    mpf_sim_op op;
    unsigned nth;      /* 0: the last of op in a clean run */
    int mass_erase;
    int start_in_error;
    unsigned survives; /* SURVIVES_* */
    const char *what;  /* operation and address the message must name */
} point;

/* The text is written and verified as one run, 0x08020000-0x08047FFF. */
#define VERIFY_TEXT "verify of 0x08020000-0x08047FFF: "

static const point points[] = {
    /* The first request of every session. A stall is how a device in
     * dfuERROR answers it; a status fault on it is a stall that leaves that
     * status, which the start-up then clears. */
    {"start-up abort", MPF_PHASE_CONNECT, MPF_SIM_OP_ABORT, 1, 0, 0,
     SURVIVES_STALL | SURVIVES_STATUS, "connect: ABORT"},
    {"start-up", MPF_PHASE_CONNECT, MPF_SIM_OP_GETSTATUS, 1, 0, 0, SURVIVES_STATUS,
     "connect: GETSTATUS"},
    {"start-up clear", MPF_PHASE_CONNECT, MPF_SIM_OP_CLRSTATUS, 1, 0, 1, 0, "connect: CLRSTATUS"},
    {"sector erase", MPF_PHASE_ERASE, MPF_SIM_OP_ERASE, 2, 0, 0, 0,
     "erase of sector at 0x08020000"},
    /* open 1, erase 0x08000000 2-3, erase 0x08020000 4 (runs it) and 5 */
    {"sector erase result", MPF_PHASE_ERASE, MPF_SIM_OP_GETSTATUS, 5, 0, 0, 0,
     "erase of sector at 0x08020000"},
    {"mass erase", MPF_PHASE_ERASE, MPF_SIM_OP_MASS_ERASE, 1, 1, 0, 0, "mass erase"},
    /* open 1, mass erase 2 (runs it) and 3: the chip is already blank */
    {"mass erase result", MPF_PHASE_ERASE, MPF_SIM_OP_GETSTATUS, 3, 1, 0, 0, "mass erase"},
    {"set-address", MPF_PHASE_WRITE, MPF_SIM_OP_SET_ADDRESS, 2, 0, 0, 0,
     "set address 0x08020000"},
    /* WRITE 1 is the vector table; WRITE n >= 2 is wBlockNum n of the text */
    {"mid-write", MPF_PHASE_WRITE, MPF_SIM_OP_WRITE, 20, 0, 0, 0,
     "write of block 20 at 0x08029000"},
    /* The write finished: the message must say it was the read-back. */
    {"verify set-address", MPF_PHASE_VERIFY, MPF_SIM_OP_SET_ADDRESS, 4, 0, 0, 0,
     VERIFY_TEXT "set address 0x08020000"},
    {"verify", MPF_PHASE_VERIFY, MPF_SIM_OP_UPLOAD, 20, 0, 0, 0,
     VERIFY_TEXT "read of block 20 at 0x08029000"},
    {"leave set-address", MPF_PHASE_LEAVE, MPF_SIM_OP_SET_ADDRESS, 5, 0, 0, 0,
     "set address 0x08000000"},
    {"leave", MPF_PHASE_LEAVE, MPF_SIM_OP_LEAVE, 1, 0, 0, 0, "leave at 0x08000000"},
    {"leave status", MPF_PHASE_LEAVE, MPF_SIM_OP_GETSTATUS, 0, 0, 0, 0, "leave at 0x08000000"},
};

typedef struct kind {
    const char *name;
    mpf_sim_fault_kind kind;
    uint8_t status;
} kind;

static const kind kinds[] = {
    {"stall", MPF_SIM_FAULT_STALL, 0},
    {"timeout", MPF_SIM_FAULT_TIMEOUT, 0},
    {"disconnect", MPF_SIM_FAULT_DISCONNECT, 0},
    {"errERASE", MPF_SIM_FAULT_STATUS, MPF_DFU_STATUS_ERR_ERASE},
    {"errWRITE", MPF_SIM_FAULT_STATUS, MPF_DFU_STATUS_ERR_WRITE},
    {"errPROG", MPF_SIM_FAULT_STATUS, MPF_DFU_STATUS_ERR_PROG},
    {"errVERIFY", MPF_SIM_FAULT_STATUS, MPF_DFU_STATUS_ERR_VERIFY},
    {"errADDRESS", MPF_SIM_FAULT_STATUS, MPF_DFU_STATUS_ERR_ADDRESS},
    {"errVENDOR", MPF_SIM_FAULT_STATUS, MPF_DFU_STATUS_ERR_VENDOR},
};

/* What one cell must end in. */
typedef struct outcome {
    mpf_err code;
    int exit_code;
    const char *needles[4];
    char status_needle[64];
    size_t after;  /* requests the engine may still send after the faulty one */
} outcome;

static int is_dnload(mpf_sim_op op)
{
    return op == MPF_SIM_OP_SET_ADDRESS || op == MPF_SIM_OP_ERASE ||
           op == MPF_SIM_OP_MASS_ERASE || op == MPF_SIM_OP_WRITE || op == MPF_SIM_OP_LEAVE;
}

static int is_leave(const point *p)
{
    return p->phase == MPF_PHASE_LEAVE && p->op != MPF_SIM_OP_SET_ADDRESS;
}

static void expect(const point *p, const kind *k, outcome *out)
{
    outcome o;
    memset(&o, 0, sizeof o);
    o.needles[0] = p->what;
    switch (k->kind) {
    case MPF_SIM_FAULT_STALL:
        if (p->survives & SURVIVES_STALL)
            break;
        if (is_leave(p) && p->op == MPF_SIM_OP_GETSTATUS)
            break; /* the device reset under the status request: it left */
        o.code = MPF_ERR_USB_STALL;
        /* a refused leave is told apart from a reset by the status after it */
        o.needles[1] = is_leave(p) ? "it refused to leave" : "stalled";
        o.needles[2] = "errSTALLEDPKT";
        o.after = p->op == MPF_SIM_OP_GETSTATUS ? 0 : 1;
        break;
    case MPF_SIM_FAULT_TIMEOUT:
        o.code = MPF_ERR_USB_TIMEOUT;
        o.needles[1] = "timed out";
        break;
    case MPF_SIM_FAULT_DISCONNECT:
        if (is_leave(p))
            break;
        o.code = MPF_ERR_USB_DISCONNECTED;
        o.needles[1] = "not connected";
        break;
    case MPF_SIM_FAULT_STATUS:
    default:
        if (p->survives & SURVIVES_STATUS)
            break; /* found at start-up: cleared, and the flash goes on */
        if (is_dnload(p->op) || p->op == MPF_SIM_OP_GETSTATUS ||
            (p->op == MPF_SIM_OP_UPLOAD && k->status == MPF_DFU_STATUS_ERR_VENDOR)) {
            /* an UPLOAD refused for read protection is the device's answer */
            o.code = MPF_ERR_DEVICE_STATUS;
            snprintf(o.status_needle, sizeof o.status_needle, " failed: %s (dfuERROR)",
                     mpf_dfu_status_name(k->status));
            if (k->status == MPF_DFU_STATUS_ERR_VENDOR) /* with the way out */
                o.needles[2] = "read-protected (RDP level 1)";
            o.after = p->op == MPF_SIM_OP_GETSTATUS ? 0 : 1;
        } else {
            /* UPLOAD, CLRSTATUS: the device stalls them and keeps the status */
            o.code = MPF_ERR_USB_STALL;
            snprintf(o.status_needle, sizeof o.status_needle, "device then reported %s, dfuERROR",
                     mpf_dfu_status_name(k->status));
            o.after = 1;
        }
        break;
    }
    o.exit_code = tool_exit_code(o.code);
    *out = o;
    if (out->status_needle[0])
        out->needles[1] = out->status_needle;
}

static void load_image(mpf_image *img)
{
    mpf_image_init(img);
    assert_int_equal(fixture_micropython_image(img, TEXT_SIZE, 11), 0);
}

static void options(const point *p, mpf_plan_options *opt)
{
    mpf_plan_options_default(opt);
    opt->mass_erase = p->mass_erase;
}

/* How many requests of op a clean run sends. */
static unsigned clean_count(const point *p, mpf_sim_op op)
{
    board b;
    board_new(&b, "f401");
    if (p->start_in_error)
        mpf_sim_start_in_error(b.sim);
    mpf_image img;
    load_image(&img);
    mpf_plan_options opt;
    options(p, &opt);
    assert_int_equal(board_flash(&b, &img, &opt), MPF_OK);
    unsigned n = (unsigned)hostile_log_count(b.sim, op);
    mpf_image_free(&img);
    board_free(&b);
    return n;
}

static mpf_phase last_phase(const board *b)
{
    if (b->cap.progress_count == 0)
        return MPF_PHASE__COUNT;
    return b->cap.progress[b->cap.progress_count - 1].phase;
}

static void assert_untouched_outside_erases(const char *ctx, board *b, const hostile_flash *before)
{
    uint32_t where = 0;
    mpf_transport t;
    mpf_sim_transport(b->sim, &t);
    if (!hostile_erases_within_plan(b->sim, &b->plan, 0, &where))
        fail_msg("%s: the device erased 0x%08X, which the plan does not erase", ctx,
                 (unsigned)where);
    if (!hostile_unchanged_outside_erased(b->sim, t.info.alts[0].name, before, &where))
        fail_msg("%s: 0x%08X changed but its sector was not erased", ctx, (unsigned)where);
}

/* The second run: same board, same image, replugged only if it is gone. */
static void second_run(const char *ctx, board *b, const point *p, const mpf_image *img)
{
    if (!mpf_sim_connected(b->sim))
        mpf_sim_replug(b->sim);
    mpf_plan_options opt;
    options(p, &opt);
    mpf_sim_clear_log(b->sim);
    hostile_flash before;
    hostile_snapshot(b->sim, F401_FLASH, F401_SIZE, &before);
    mpf_err rc = board_flash(b, img, &opt);
    if (rc == MPF_ERR_PROTOCOL && strstr(b->err.message, "device is in dfuMANIFEST") &&
        mpf_sim_has_left(b->sim, NULL)) {
        /* The leave's status reply was lost: this start-up finished the
         * leave (the board ran its firmware), and said so. Replug. */
        assert_int_equal(hostile_log_changes_after(b->sim, 0), 0);
        mpf_sim_replug(b->sim);
        mpf_sim_clear_log(b->sim);
        rc = board_flash(b, img, &opt);
    }
    if (rc != MPF_OK)
        fail_msg("%s: second run: %s (%s)", ctx, mpf_err_name(rc), b->err.message);
    if (!board_has_image(b, img))
        fail_msg("%s: second run: the image is not on the chip", ctx);
    assert_untouched_outside_erases(ctx, b, &before);
    hostile_snapshot_free(&before);
    if (p->mass_erase)
        assert_true(board_reads_blank(b, BOARD_FS_ADDR, BOARD_FS_SIZE));
    else if (!board_holds_fill(b, BOARD_FS_ADDR, BOARD_FS_SIZE, SEED_FS))
        fail_msg("%s: second run: the filesystem sectors changed", ctx);
    uint32_t jumped = 0;
    assert_true(mpf_sim_has_left(b->sim, &jumped));
    assert_int_equal(jumped, 0x08000000);
    assert_int_equal(hostile_log_count(b->sim, MPF_SIM_OP_LEAVE), 1);
    assert_int_equal(hostile_log_count(b->sim, MPF_SIM_OP_WRITE), 1 + TEXT_BLOCKS);
}

static uint64_t longest_run_us;

static void run_cell(const point *p, const kind *k)
{
    char ctx[128];
    snprintf(ctx, sizeof ctx, "%s / %s", p->name, k->name);
    const unsigned nth = p->nth ? p->nth : clean_count(p, p->op);

    board b;
    board_new(&b, "f401");
    board_fill(&b, F401_FLASH, F401_SIZE, SEED_FLASH);
    board_fill(&b, BOARD_FS_ADDR, BOARD_FS_SIZE, SEED_FS);
    if (p->start_in_error)
        mpf_sim_start_in_error(b.sim);
    hostile_flash before;
    hostile_snapshot(b.sim, F401_FLASH, F401_SIZE, &before);
    mpf_image img;
    load_image(&img);
    mpf_plan_options opt;
    options(p, &opt);

    mpf_sim_fault f = {.kind = k->kind, .op = p->op, .nth = nth, .status = k->status};
    assert_int_equal(mpf_sim_add_fault(b.sim, &f, &b.err), MPF_OK);
    const mpf_err rc = board_flash(&b, &img, &opt);
    const uint64_t took = mpf_sim_clock_us(b.sim);
    if (took > longest_run_us)
        longest_run_us = took;
    if (took > MAX_MODELLED_US)
        fail_msg("%s: the run took %llu us of modelled time", ctx, (unsigned long long)took);

    outcome o;
    expect(p, k, &o);
    if (getenv("MPFLASH_TEST_VERBOSE"))
        printf("# %-32s %-17s exit %d  %s\n", ctx, mpf_err_name(rc), tool_exit_code(rc),
               b.err.message);
    hostile_assert_error(ctx, &b.err, rc, o.code, o.needles);
    assert_int_equal(tool_exit_code(rc), o.exit_code);
    /* a run that goes on past the fault ends with the leave */
    const mpf_phase phase = rc == MPF_OK ? MPF_PHASE_LEAVE : p->phase;
    if (last_phase(&b) != phase)
        fail_msg("%s: the engine's last progress was phase %s, want %s", ctx,
                 mpf_phase_name(last_phase(&b)), mpf_phase_name(phase));

    const size_t at = hostile_log_nth(b.sim, p->op, nth);
    if (at == (size_t)-1)
        fail_msg("%s: the fault's request (op %d #%u) was never sent", ctx, (int)p->op, nth);
    if (rc != MPF_OK) {
        const size_t after = mpf_sim_request_count(b.sim) - at - 1;
        if (after != o.after)
            fail_msg("%s: %zu requests after the fault, want %zu", ctx, after, o.after);
        assert_int_equal(hostile_log_changes_after(b.sim, at), 0);
        assert_false(mpf_sim_has_left(b.sim, NULL));
    } else {
        if (!board_has_image(&b, &img))
            fail_msg("%s: reported success but the image is not on the chip", ctx);
        if (k->kind == MPF_SIM_FAULT_STATUS) /* cleared at start-up, and said so */
            assert_int_equal(
                capture_count(&b.cap, MPF_LOG_WARN, mpf_dfu_status_name(k->status)), 1);
        if (k->kind == MPF_SIM_FAULT_STALL) /* the error its own ABORT caused: no news */
            assert_int_equal(capture_count(&b.cap, MPF_LOG_WARN, ""), 0);
    }
    assert_untouched_outside_erases(ctx, &b, &before);
    if (p->mass_erase && p->op == MPF_SIM_OP_MASS_ERASE) {
        /* the mass erase itself failed: it erased nothing */
        assert_int_equal(mpf_sim_erase_count(b.sim), 0);
        assert_true(board_holds_fill(&b, BOARD_FS_ADDR, BOARD_FS_SIZE, SEED_FS));
    } else if (p->mass_erase) {
        /* it ran before the fault: the filesystem went with it, all of it */
        assert_true(board_reads_blank(&b, BOARD_FS_ADDR, BOARD_FS_SIZE));
        assert_int_equal(mpf_sim_erase_count(b.sim), 8);
    } else if (!board_holds_fill(&b, BOARD_FS_ADDR, BOARD_FS_SIZE, SEED_FS)) {
        fail_msg("%s: the filesystem sectors changed", ctx);
    }
    hostile_snapshot_free(&before);

    second_run(ctx, &b, p, &img);
    mpf_image_free(&img);
    board_free(&b);
}

static void test_every_kind_at_every_phase(void **state)
{
    (void)state;
    size_t cells = 0;
    for (size_t i = 0; i < sizeof points / sizeof points[0]; i++)
        for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++, cells++)
            run_cell(&points[i], &kinds[k]);
    printf("# %zu cells, longest run %.1f s modelled\n", cells, (double)longest_run_us / 1e6);
}

/* ---- a verify mismatch: exit code 6 ---------------------------------------- */

typedef struct corrupter {
    mpf_sim *sim;
    int done;
} corrupter;

/* Just before the first UPLOAD, flip a byte the image wrote: what a flash
 * cell that did not keep its charge looks like to the host. */
static void corrupt_before_upload(void *user, uint8_t request, uint16_t value, int dir_in)
{
    (void)value;
    corrupter *c = user;
    if (c->done || !dir_in || request != MPF_DFU_UPLOAD)
        return;
    uint8_t byte = 0;
    assert_int_equal(mpf_sim_peek(c->sim, 0x08029005, &byte, 1), 0);
    byte = (uint8_t)~byte;
    assert_int_equal(mpf_sim_poke(c->sim, 0x08029005, &byte, 1), 0);
    c->done = 1;
}

static void test_verify_mismatch_is_exit_code_6_and_stops(void **state)
{
    (void)state;
    board b;
    board_new(&b, "f401");
    board_fill(&b, BOARD_FS_ADDR, BOARD_FS_SIZE, SEED_FS);
    mpf_image img;
    load_image(&img);
    mpf_plan_options opt;
    mpf_plan_options_default(&opt);

    /* board_flash wraps its own spy; drive the same steps with a hook. */
    mpf_transport raw, t;
    spy s;
    mpf_sim_transport(b.sim, &raw);
    spy_wrap(&s, &raw, &t);
    corrupter c = {b.sim, 0};
    s.before = corrupt_before_upload;
    s.user = &c;
    mpf_plan plan;
    assert_int_equal(mpf_plan_build(&img, &t.info, &opt, &plan, &b.err), MPF_OK);
    assert_int_equal(mpf_dfu_open(&b.d, &t, &b.cb, &b.err), MPF_OK);
    mpf_err rc = mpf_dfu_flash(&b.d, &plan, &b.err);
    const char *needles[] = {"verify failed at 0x08029005", NULL};
    hostile_assert_error("verify mismatch", &b.err, rc, MPF_ERR_VERIFY, needles);
    assert_int_equal(tool_exit_code(rc), 6);
    assert_int_equal(last_phase(&b), MPF_PHASE_VERIFY);
    /* it stopped at the block that differs: no leave, no more reads */
    size_t last_upload = hostile_log_nth(b.sim, MPF_SIM_OP_UPLOAD,
                                         (unsigned)hostile_log_count(b.sim, MPF_SIM_OP_UPLOAD));
    assert_int_equal(mpf_sim_request_at(b.sim, last_upload)->address, 0x08029000);
    assert_int_equal(mpf_sim_request_count(b.sim), last_upload + 1);
    assert_false(mpf_sim_has_left(b.sim, NULL));
    assert_true(board_holds_fill(&b, BOARD_FS_ADDR, BOARD_FS_SIZE, SEED_FS));
    mpf_plan_free(&plan);

    /* Flashing again rewrites the sector and passes. */
    mpf_sim_clear_log(b.sim);
    assert_int_equal(board_flash(&b, &img, &opt), MPF_OK);
    assert_true(board_has_image(&b, &img));
    assert_true(board_holds_fill(&b, BOARD_FS_ADDR, BOARD_FS_SIZE, SEED_FS));
    mpf_image_free(&img);
    board_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_kind_at_every_phase),
        cmocka_unit_test(test_verify_mismatch_is_exit_code_6_and_stops),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
