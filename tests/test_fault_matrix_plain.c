/* The fault matrix for plain DFU 1.1: every fault kind (STALL, timeout,
 * disconnect, an error status) at every phase of a plain flash (start-up,
 * first and middle block, a block's status, the zero-length DNLOAD and the
 * manifestation status, verify by UPLOAD, the final USB reset or DETACH).
 * For every cell:
 *  - the result: an error naming the operation (and the block), whose code
 *    maps to a non-zero exit code; or success where the fault is an answer
 *    (a stalled start-up ABORT) or where a vanishing device is the expected
 *    end (manifestation, reset, detach);
 *  - a second run on the same board (replugged if it vanished) succeeds and
 *    leaves the whole image in its memory, byte for byte. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mpflash/engine.h"
#include "mpflash/plan.h"
#include "mpflash/sim.h"
#include "tool/tool_exit.h"

#define IMAGE_SIZE (5u * 1024u + 300u) /* 6 blocks of 1 KiB on dfu11, 2 of 4 KiB on the Nano */

typedef enum board_kind { NANO, SPEC_TOLERANT, C33 } board_kind;

/* What a fault there does when the device does not just answer. */
#define OK_IF_STALL 1u      /* a STALL is an answer at start-up */
#define OK_IF_STATUS 2u     /* a status found at start-up is cleared */
#define OK_IF_GONE 4u       /* vanishing is how the device ends the session */

typedef struct point {
    const char *name;
    board_kind board;
    mpf_sim_op op;
    unsigned nth;
    unsigned survives;
    const char *what; /* the message names this */
} point;

static const point points[] = {
    {"start-up abort", NANO, MPF_SIM_OP_ABORT, 1, OK_IF_STALL | OK_IF_STATUS, "connect: ABORT"},
    {"start-up status", NANO, MPF_SIM_OP_GETSTATUS, 1, OK_IF_STATUS, "connect: GETSTATUS"},
    {"first block", NANO, MPF_SIM_OP_WRITE, 1, 0, "write of block 0"},
    {"middle block", SPEC_TOLERANT, MPF_SIM_OP_WRITE, 3, 0, "write of block 2"},
    /* open 1, then two per block: the busy one of block 1 */
    {"block status", SPEC_TOLERANT, MPF_SIM_OP_GETSTATUS, 4, 0, "write of block 1"},
    {"manifest request", NANO, MPF_SIM_OP_LEAVE, 1, OK_IF_GONE, "manifestation of alt 0"},
    /* open 1, 2 blocks x 2, then the manifestation's first */
    {"manifest status", NANO, MPF_SIM_OP_GETSTATUS, 6, OK_IF_GONE, "manifestation of alt 0"},
    {"verify", SPEC_TOLERANT, MPF_SIM_OP_UPLOAD, 2, 0, "read of block 1"},
    {"reset", NANO, MPF_SIM_OP_RESET, 1, OK_IF_GONE, "USB reset"},
    {"detach", C33, MPF_SIM_OP_DETACH, 1, OK_IF_GONE, "DETACH"},
};

typedef struct kind {
    const char *name;
    mpf_sim_fault_kind fault;
} kind;

static const kind kinds[] = {
    {"stall", MPF_SIM_FAULT_STALL},
    {"timeout", MPF_SIM_FAULT_TIMEOUT},
    {"disconnect", MPF_SIM_FAULT_DISCONNECT},
    {"status errWRITE", MPF_SIM_FAULT_STATUS},
};

static const char *chip_of(board_kind b)
{
    return b == NANO ? "nano-esp32" : b == C33 ? "portenta-c33" : "dfu11";
}

static uint32_t base_of(board_kind b)
{
    return b == SPEC_TOLERANT ? 0 : 0x00010000u;
}

static void make_image(uint8_t *data)
{
    uint32_t x = 99;
    for (size_t i = 0; i < IMAGE_SIZE; i++) {
        x = x * 1664525u + 1013904223u;
        data[i] = (uint8_t)(x >> 24);
    }
    data[0] = 0xE9; /* the Nano ESP32 takes ESP-IDF images only */
}

typedef struct run {
    mpf_sim *sim;
    mpf_image img;
    mpf_plan plan;
} run;

static mpf_err flash_once(run *r, board_kind b, mpf_error *err)
{
    mpf_transport t;
    mpf_sim_transport(r->sim, &t);
    mpf_plan_options po;
    mpf_plan_options_default(&po);
    po.final_detach = b == C33;
    mpf_plan_free(&r->plan);
    mpf_err rc = mpf_plan_build(&r->img, &t.info, &po, &r->plan, err);
    assert_int_equal(rc, MPF_OK);
    mpf_dfu *d = NULL;
    rc = mpf_dfu_new(&t, NULL, &d, err);
    if (rc == MPF_OK)
        rc = mpf_dfu_flash_ex(d, &r->plan, NULL, err);
    mpf_dfu_close(d);
    return rc;
}

static int expect_success(const point *p, const kind *k)
{
    if (k->fault == MPF_SIM_FAULT_STALL && (p->survives & OK_IF_STALL))
        return 1;
    if (k->fault == MPF_SIM_FAULT_STATUS && (p->survives & OK_IF_STATUS))
        return 1;
    return k->fault == MPF_SIM_FAULT_DISCONNECT && (p->survives & OK_IF_GONE);
}

static void run_cell(const point *p, const kind *k, const uint8_t *data)
{
    char ctx[96];
    snprintf(ctx, sizeof ctx, "%s / %s", p->name, k->name);
    run r;
    memset(&r, 0, sizeof r);
    mpf_error err;
    mpf_error_clear(&err);
    assert_int_equal(mpf_sim_new(chip_of(p->board), &r.sim, &err), MPF_OK);
    mpf_sim_set_timing(r.sim, 0);
    if (p->board == SPEC_TOLERANT) {
        mpf_sim_set_attributes(r.sim, MPF_DFU_ATTR_CAN_DNLOAD | MPF_DFU_ATTR_CAN_UPLOAD |
                                          MPF_DFU_ATTR_MANIFEST_TOLERANT);
        mpf_sim_set_transfer_size(r.sim, 1024);
    }
    mpf_image_init(&r.img);
    assert_int_equal(mpf_image_add(&r.img, 0, 0, data, IMAGE_SIZE, "fw.bin", &err), MPF_OK);
    mpf_sim_fault f = {k->fault, p->op, p->nth, MPF_DFU_STATUS_ERR_WRITE};
    assert_int_equal(mpf_sim_add_fault(r.sim, &f, &err), MPF_OK);

    mpf_err rc = flash_once(&r, p->board, &err);
    if (expect_success(p, k)) {
        if (rc != MPF_OK)
            fail_msg("%s: expected success, got %s: %s", ctx, mpf_err_name(rc), err.message);
    } else {
        if (rc == MPF_OK)
            fail_msg("%s: the fault went unnoticed", ctx);
        if (!strstr(err.message, p->what))
            fail_msg("%s: the message does not name \"%s\": %s", ctx, p->what, err.message);
        if (strchr(err.message, '\n'))
            fail_msg("%s: the message is more than one line: %s", ctx, err.message);
        if (tool_exit_code(rc) == 0)
            fail_msg("%s: %s maps to exit code 0", ctx, mpf_err_name(rc));
    }

    /* The second run: the same board, plugged in again if it went away. */
    if (!mpf_sim_connected(r.sim))
        mpf_sim_replug(r.sim);
    mpf_error err2;
    mpf_error_clear(&err2);
    rc = flash_once(&r, p->board, &err2);
    if (rc != MPF_OK)
        fail_msg("%s: the second run failed: %s: %s", ctx, mpf_err_name(rc), err2.message);
    uint8_t *got = malloc(IMAGE_SIZE);
    assert_non_null(got);
    assert_int_equal(mpf_sim_peek(r.sim, base_of(p->board), got, IMAGE_SIZE), 0);
    if (memcmp(got, data, IMAGE_SIZE) != 0)
        fail_msg("%s: the second run left the wrong bytes", ctx);
    assert_true(mpf_sim_has_left(r.sim, NULL));
    free(got);
    mpf_plan_free(&r.plan);
    mpf_image_free(&r.img);
    mpf_sim_free(r.sim);
}

static void test_every_kind_at_every_phase(void **state)
{
    (void)state;
    uint8_t *data = malloc(IMAGE_SIZE);
    assert_non_null(data);
    make_image(data);
    for (size_t i = 0; i < sizeof points / sizeof points[0]; i++)
        for (size_t j = 0; j < sizeof kinds / sizeof kinds[0]; j++)
            run_cell(&points[i], &kinds[j], data);
    free(data);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_kind_at_every_phase),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
