/* The plain DFU 1.1 engine against the plain virtual boards: the exact
 * requests of a download, manifestation (tolerant and not), verify, upload,
 * reset and detach, and the device's memory byte for byte afterwards. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "engine/dfu_session.h"
#include "mpflash/engine.h"
#include "mpflash/plan.h"
#include "mpflash/sim.h"

typedef struct want {
    mpf_sim_op op;
    uint16_t value;
    uint16_t length;
    mpf_err result;
} want;

typedef struct pfx {
    mpf_sim *sim;
    mpf_transport t;
    mpf_dfu d;
    mpf_image img;
    mpf_plan plan;
    mpf_error err;
} pfx;

static void pfx_open(pfx *f, const char *chip, int timing)
{
    memset(f, 0, sizeof *f);
    assert_int_equal(mpf_sim_new(chip, &f->sim, &f->err), MPF_OK);
    mpf_sim_set_timing(f->sim, timing);
    mpf_image_init(&f->img);
}

static void pfx_close(pfx *f)
{
    mpf_plan_free(&f->plan);
    mpf_image_free(&f->img);
    mpf_sim_free(f->sim);
}

/* Deterministic bytes; the Nano ESP32 wants the ESP-IDF image magic first. */
static uint8_t *image_bytes(size_t n, uint8_t first)
{
    uint8_t *b = malloc(n);
    assert_non_null(b);
    uint32_t x = 0x12345678u;
    for (size_t i = 0; i < n; i++) {
        x = x * 1103515245u + 12345u;
        b[i] = (uint8_t)(x >> 16);
    }
    b[0] = first;
    return b;
}

/* Open the engine on the board and plan `data` as its stream. */
static void pfx_plan(pfx *f, const uint8_t *data, size_t n, const mpf_plan_options *po)
{
    mpf_sim_transport(f->sim, &f->t);
    assert_int_equal(mpf_image_add(&f->img, 0, 0, data, n, "fw.bin", &f->err), MPF_OK);
    mpf_plan_options def;
    mpf_plan_options_default(&def);
    assert_int_equal(mpf_plan_build(&f->img, &f->t.info, po ? po : &def, &f->plan, &f->err), MPF_OK);
    assert_true(f->plan.plain);
    assert_int_equal(mpf_dfu_open(&f->d, &f->t, NULL, &f->err), MPF_OK);
    mpf_sim_clear_log(f->sim);
}

/* The log from `from` on is exactly wants[]. */
static void assert_requests(const pfx *f, size_t from, const want *w, size_t n)
{
    assert_int_equal(mpf_sim_request_count(f->sim) - from, n);
    for (size_t i = 0; i < n; i++) {
        const mpf_sim_request *r = mpf_sim_request_at(f->sim, from + i);
        if (r->op != w[i].op || r->value != w[i].value || r->length != w[i].length || r->result != w[i].result)
            fail_msg("request %zu: op %d value %u length %u result %d; expected op %d value %u length %u "
                     "result %d",
                     i, (int)r->op, r->value, r->length, (int)r->result, (int)w[i].op, w[i].value, w[i].length,
                     (int)w[i].result);
    }
}

static void assert_memory(const pfx *f, uint32_t address, const uint8_t *data, size_t n)
{
    uint8_t *got = malloc(n);
    assert_non_null(got);
    assert_int_equal(mpf_sim_peek(f->sim, address, got, n), 0);
    assert_memory_equal(got, data, n);
    free(got);
}

#define W(op, v, l) { MPF_SIM_OP_##op, (v), (l), MPF_OK }
#define STALLED(op, v, l) { MPF_SIM_OP_##op, (v), (l), MPF_ERR_USB_STALL }

/* Nano ESP32: tolerant, 10 ms per block and 100 ms of manifestation, UPLOAD
 * answers nothing: the flash succeeds and says it could not verify. */
static void test_download_tolerant_exact(void **state)
{
    (void)state;
    pfx f;
    pfx_open(&f, "nano-esp32", 1);
    const size_t n = 2 * 4096 + 100;
    uint8_t *data = image_bytes(n, 0xE9);
    pfx_plan(&f, data, n, NULL);
    assert_true(f.plan.verify);
    assert_int_equal(mpf_dfu_flash_ex(&f.d, &f.plan, NULL, &f.err), MPF_OK);
    static const want w[] = {
        W(SELECT_ALT, 0, 0),
        W(WRITE, 0, 4096), W(GETSTATUS, 0, 6), W(GETSTATUS, 0, 6),
        W(WRITE, 1, 4096), W(GETSTATUS, 0, 6), W(GETSTATUS, 0, 6),
        W(WRITE, 2, 100), W(GETSTATUS, 0, 6), W(GETSTATUS, 0, 6),
        W(LEAVE, 0, 0), W(GETSTATUS, 0, 6), W(GETSTATUS, 0, 6),
        W(UPLOAD, 0, 4096),
        W(RESET, 0, 0),
    };
    assert_requests(&f, 0, w, sizeof w / sizeof w[0]);
    assert_memory(&f, 0x00010000u, data, n);
    assert_non_null(f.d.unverified);
    assert_true(f.d.manifested);
    assert_true(f.d.left);
    assert_true(mpf_sim_has_left(f.sim, NULL));
    /* Every bwPollTimeout waited, none of it early. */
    assert_int_equal(f.d.stats.slept_ms, 3 * 10 + 100);
    assert_int_equal(mpf_sim_early_count(f.sim), 0);
    assert_int_equal(f.d.stats.blocks_down, 3);
    assert_int_equal(f.d.stats.bytes_down, n);
    free(data);
    pfx_close(&f);
}

/* The specification's device: after dfuMANIFEST it waits for a reset and
 * stops answering; the reset starts the firmware. No verify was planned. */
static void test_download_not_tolerant(void **state)
{
    (void)state;
    pfx f;
    pfx_open(&f, "dfu11", 1);
    const size_t n = 1024 + 10;
    uint8_t *data = image_bytes(n, 0x42);
    pfx_plan(&f, data, n, NULL);
    assert_false(f.plan.verify);
    assert_true(f.plan.verify_dropped);
    assert_int_equal(mpf_dfu_flash_ex(&f.d, &f.plan, NULL, &f.err), MPF_OK);
    static const want w[] = {
        W(SELECT_ALT, 0, 0),
        W(WRITE, 0, 1024), W(GETSTATUS, 0, 6), W(GETSTATUS, 0, 6),
        W(WRITE, 1, 10), W(GETSTATUS, 0, 6), W(GETSTATUS, 0, 6),
        W(LEAVE, 0, 0), W(GETSTATUS, 0, 6), STALLED(GETSTATUS, 0, 6),
        W(RESET, 0, 0),
    };
    assert_requests(&f, 0, w, sizeof w / sizeof w[0]);
    assert_memory(&f, 0, data, n);
    assert_true(mpf_sim_has_left(f.sim, NULL));
    assert_int_equal(f.d.stats.slept_ms, 2 * 5 + 50);
    assert_int_equal(mpf_sim_early_count(f.sim), 0);
    free(data);
    pfx_close(&f);
}

/* A tolerant device that reads its stream back is verified by UPLOAD from
 * block 0, and --stay leaves it in dfuIDLE. */
static void test_verify_by_upload(void **state)
{
    (void)state;
    pfx f;
    pfx_open(&f, "dfu11", 0);
    mpf_sim_set_attributes(f.sim, MPF_DFU_ATTR_CAN_DNLOAD | MPF_DFU_ATTR_CAN_UPLOAD |
                                      MPF_DFU_ATTR_MANIFEST_TOLERANT);
    const size_t n = 2048 + 7;
    uint8_t *data = image_bytes(n, 0x11);
    mpf_plan_options po;
    mpf_plan_options_default(&po);
    po.leave = 0;
    pfx_plan(&f, data, n, &po);
    assert_true(f.plan.verify);
    assert_int_equal(mpf_dfu_flash_ex(&f.d, &f.plan, NULL, &f.err), MPF_OK);
    static const want w[] = {
        W(SELECT_ALT, 0, 0),
        W(WRITE, 0, 1024), W(GETSTATUS, 0, 6), W(GETSTATUS, 0, 6),
        W(WRITE, 1, 1024), W(GETSTATUS, 0, 6), W(GETSTATUS, 0, 6),
        W(WRITE, 2, 7), W(GETSTATUS, 0, 6), W(GETSTATUS, 0, 6),
        W(LEAVE, 0, 0), W(GETSTATUS, 0, 6), W(GETSTATUS, 0, 6),
        W(UPLOAD, 0, 1024), W(UPLOAD, 1, 1024), W(UPLOAD, 2, 7),
        W(ABORT, 0, 0),
    };
    assert_requests(&f, 0, w, sizeof w / sizeof w[0]);
    assert_null(f.d.unverified);
    assert_false(f.d.left);
    assert_int_equal(mpf_sim_state(f.sim), MPF_DFU_STATE_IDLE);
    assert_memory(&f, 0, data, n);
    free(data);
    pfx_close(&f);
}

/* wBlockNum is 16 bits: the 65537th block is block 0 again. */
static void test_block_counter_wraps(void **state)
{
    (void)state;
    pfx f;
    pfx_open(&f, "nano-esp32", 0);
    mpf_sim_set_transfer_size(f.sim, 2);
    const size_t n = 2u * 65536u + 5u;
    uint8_t *data = image_bytes(n, 0xE9);
    mpf_plan_options po;
    mpf_plan_options_default(&po);
    po.verify = 0;
    pfx_plan(&f, data, n, &po);
    assert_int_equal(mpf_dfu_flash_ex(&f.d, &f.plan, NULL, &f.err), MPF_OK);
    size_t writes = 0;
    for (size_t i = 0; i < mpf_sim_request_count(f.sim); i++) {
        const mpf_sim_request *r = mpf_sim_request_at(f.sim, i);
        if (r->op != MPF_SIM_OP_WRITE)
            continue;
        assert_int_equal(r->value, (uint16_t)writes);
        writes++;
    }
    assert_int_equal(writes, 65536u + 3u);
    assert_memory(&f, 0x00010000u, data, n);
    free(data);
    pfx_close(&f);
}

/* UPLOAD until the short frame, and -Z's bound (then ABORT). */
static void test_upload(void **state)
{
    (void)state;
    pfx f;
    pfx_open(&f, "dfu11", 0);
    uint8_t *data = image_bytes(256u * 1024u, 0x5A);
    assert_int_equal(mpf_sim_poke(f.sim, 0, data, 256u * 1024u), 0);
    mpf_sim_transport(f.sim, &f.t);
    assert_int_equal(mpf_dfu_open(&f.d, &f.t, NULL, &f.err), MPF_OK);

    uint8_t *out = NULL;
    size_t len = 0;
    mpf_sim_clear_log(f.sim);
    assert_int_equal(mpf_dfu_upload(&f.d, 0, 0, &out, &len, &f.err), MPF_OK);
    assert_int_equal(len, 256u * 1024u);
    assert_memory_equal(out, data, len);
    /* 256 full frames, then the short (empty) one that ends it. */
    assert_int_equal(mpf_sim_request_count(f.sim), 1 + 257);
    const mpf_sim_request *last = mpf_sim_request_at(f.sim, 257);
    assert_int_equal(last->op, MPF_SIM_OP_UPLOAD);
    assert_int_equal(last->value, 256);
    free(out);

    mpf_sim_clear_log(f.sim);
    assert_int_equal(mpf_dfu_upload(&f.d, 0, 5000, &out, &len, &f.err), MPF_OK);
    assert_int_equal(len, 5000);
    assert_memory_equal(out, data, len);
    static const want w[] = {
        W(UPLOAD, 0, 1024), W(UPLOAD, 1, 1024), W(UPLOAD, 2, 1024), W(UPLOAD, 3, 1024), W(UPLOAD, 4, 904),
        W(ABORT, 0, 0),
    };
    assert_requests(&f, 0, w, sizeof w / sizeof w[0]);
    assert_int_equal(mpf_sim_state(f.sim), MPF_DFU_STATE_IDLE);
    free(out);
    free(data);
    pfx_close(&f);
}

/* Portenta C33 with --final-detach: blocks land at 0x10000 + n * 64, the
 * flash ends with DETACH (wValue = wDetachTimeOut), no USB reset. */
static void test_final_detach(void **state)
{
    (void)state;
    pfx f;
    pfx_open(&f, "portenta-c33", 1);
    const size_t n = 40000;
    uint8_t *data = image_bytes(n, 0x00);
    mpf_plan_options po;
    mpf_plan_options_default(&po);
    po.final_detach = 1;
    pfx_plan(&f, data, n, &po);
    /* Its layout starts read-only: UPLOAD would read the bootloader. */
    assert_false(f.plan.verify);
    assert_int_equal(mpf_dfu_flash_ex(&f.d, &f.plan, NULL, &f.err), MPF_OK);
    size_t count = mpf_sim_request_count(f.sim);
    static const want tail[] = {
        W(LEAVE, 0, 0), W(GETSTATUS, 0, 6), W(GETSTATUS, 0, 6), W(DETACH, 1000, 0),
    };
    assert_requests(&f, count - 4, tail, 4);
    const mpf_sim_request *r = mpf_sim_request_at(f.sim, 1 + 3 * 600);
    assert_int_equal(r->op, MPF_SIM_OP_WRITE);
    assert_int_equal(r->value, 600);
    assert_int_equal(r->address, 0x00010000u + 600u * 64u);
    assert_memory(&f, 0x00010000u, data, n);
    assert_true(mpf_sim_has_left(f.sim, NULL));
    free(data);
    pfx_close(&f);
}

/* A reset with nothing downloaded keeps the device in DFU mode; DETACH on a
 * device that only takes it at run time is refused with what to do. */
static void test_reset_and_refused_detach(void **state)
{
    (void)state;
    pfx f;
    pfx_open(&f, "dfu11", 0);
    mpf_sim_transport(f.sim, &f.t);
    assert_int_equal(mpf_dfu_open(&f.d, &f.t, NULL, &f.err), MPF_OK);
    assert_int_equal(mpf_dfu_reset(&f.d, &f.err), MPF_OK);
    assert_false(f.d.left);
    assert_false(mpf_sim_has_left(f.sim, NULL));
    assert_int_equal(mpf_sim_state(f.sim), MPF_DFU_STATE_IDLE);
    assert_int_equal(mpf_dfu_detach(&f.d, &f.err), MPF_ERR_USB_STALL);
    assert_non_null(strstr(f.err.message, "leave by USB reset instead"));
    assert_int_equal(f.err.reason, MPF_REASON_DETACH_REFUSED);
    pfx_close(&f);
}

/* The Nano ESP32 refuses a stream that is not an ESP-IDF image at its first
 * block: a clear error naming the block, nothing manifested. */
static void test_refused_first_block(void **state)
{
    (void)state;
    pfx f;
    pfx_open(&f, "nano-esp32", 0);
    const size_t n = 5000;
    uint8_t *data = image_bytes(n, 0x00);
    pfx_plan(&f, data, n, NULL);
    assert_int_equal(mpf_dfu_flash_ex(&f.d, &f.plan, NULL, &f.err), MPF_ERR_DEVICE_STATUS);
    assert_non_null(strstr(f.err.message, "write of block 0"));
    assert_non_null(strstr(f.err.message, "errWRITE"));
    assert_false(f.d.manifested);
    assert_false(mpf_sim_has_left(f.sim, NULL));
    free(data);
    pfx_close(&f);
}

/* Addresses mean nothing to a plain device: refused by the plan. */
static void test_plan_refuses_addresses(void **state)
{
    (void)state;
    pfx f;
    pfx_open(&f, "nano-esp32", 0);
    mpf_sim_transport(f.sim, &f.t);
    uint8_t b[16] = {0xE9};
    assert_int_equal(mpf_image_add(&f.img, 0, 0x08000000u, b, sizeof b, "fw.dfu: element 0", &f.err), MPF_OK);
    assert_int_equal(mpf_plan_build(&f.img, &f.t.info, NULL, &f.plan, &f.err), MPF_ERR_IMAGE_FIT);
    assert_non_null(strstr(f.err.message, "no addresses"));
    mpf_plan_options po;
    mpf_plan_options_default(&po);
    po.mass_erase = 1;
    assert_int_equal(mpf_plan_build(&f.img, &f.t.info, &po, &f.plan, &f.err), MPF_ERR_USAGE);
    pfx_close(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_download_tolerant_exact),
        cmocka_unit_test(test_download_not_tolerant),
        cmocka_unit_test(test_verify_by_upload),
        cmocka_unit_test(test_block_counter_wraps),
        cmocka_unit_test(test_upload),
        cmocka_unit_test(test_final_detach),
        cmocka_unit_test(test_reset_and_refused_detach),
        cmocka_unit_test(test_refused_first_block),
        cmocka_unit_test(test_plan_refuses_addresses),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
