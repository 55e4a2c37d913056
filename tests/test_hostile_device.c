/* A device is input too. The virtual bootloader, set up to misbehave (its
 * knobs) or lied for by a wrapping transport (tests/support/
 * hostile_transport.h): wTransferSize 0 and 65535, bwPollTimeout 0xFFFFFF,
 * states that make no sense, GETSTATUS and UPLOAD replies of the wrong
 * length, layout strings that overflow or lie. Every case ends without a
 * crash, within a bounded modelled time, either with a correct chip or with
 * a clean one-line error, and nothing changes flash after the lie. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "engine/dfu_session.h"
#include "engine_capture.h"
#include "fixtures.h"
#include "hostile_checks.h"
#include "hostile_transport.h"
#include "mpflash/engine.h"
#include "mpflash/sim.h"

/* Twice the longest wait the engine allows (a mass erase, 64 s), and some. */
#define MAX_MODELLED_US (140ull * 1000 * 1000)
#define SEED_OLD 0x0DDu

typedef struct dev {
    mpf_sim *sim;
    mpf_transport raw, t;
    hostile h;
    capture cap;
    mpf_callbacks cb;
    mpf_dfu d;
    mpf_error err;
    mpf_plan plan;
    int has_plan;
    mpf_image img;
} dev;

static dev *dev_new(const char *chip)
{
    dev *v = calloc(1, sizeof *v);
    assert_non_null(v);
    if (mpf_sim_new(chip, &v->sim, &v->err) != MPF_OK)
        fail_msg("%s: %s", chip, v->err.message);
    capture_init(&v->cap, &v->cb);
    mpf_image_init(&v->img);
    return v;
}

/* Take the (hostile) transport as the device is now: call after the sim's
 * knobs, before editing v->t.info. */
static void dev_connect(dev *v)
{
    mpf_sim_transport(v->sim, &v->raw);
    hostile_wrap(&v->h, &v->raw, &v->t);
}

static void dev_free(dev *v)
{
    if (v->has_plan)
        mpf_plan_free(&v->plan);
    mpf_image_free(&v->img);
    capture_free(&v->cap);
    mpf_sim_free(v->sim);
    free(v);
}

static void dev_micropython(dev *v, size_t text_size)
{
    assert_int_equal(fixture_micropython_image(&v->img, text_size, 31), 0);
}

/* Plan from what the device claims, open, flash. */
static mpf_err dev_flash(dev *v, const mpf_plan_options *opt)
{
    mpf_plan_options defaults;
    if (!opt) {
        mpf_plan_options_default(&defaults);
        opt = &defaults;
    }
    mpf_error_clear(&v->err);
    mpf_err rc = mpf_plan_build(&v->img, &v->t.info, opt, &v->plan, &v->err);
    if (rc != MPF_OK)
        return rc;
    v->has_plan = 1;
    rc = mpf_dfu_open(&v->d, &v->t, &v->cb, &v->err);
    if (rc == MPF_OK)
        rc = mpf_dfu_flash(&v->d, &v->plan, &v->err);
    if (mpf_sim_clock_us(v->sim) > MAX_MODELLED_US)
        fail_msg("the run took %.1f s of modelled time", (double)mpf_sim_clock_us(v->sim) / 1e6);
    return rc;
}

static int dev_has_image(const dev *v)
{
    for (size_t i = 0; i < v->img.count; i++) {
        const mpf_segment *s = &v->img.segments[i];
        uint8_t *got = malloc(s->size);
        assert_non_null(got);
        int same = mpf_sim_peek(v->sim, s->address, got, s->size) == 0 &&
                   memcmp(got, s->data, s->size) == 0;
        free(got);
        if (!same)
            return 0;
    }
    return 1;
}

/* The lie came, the engine stopped: a clean error, no DNLOAD after it. */
static void assert_stopped_at_lie(const char *ctx, dev *v, mpf_err rc, mpf_err want,
                                  const char *const *needles)
{
    hostile_assert_error(ctx, &v->err, rc, want, needles);
    size_t at = hostile_first_lie(&v->h);
    if (at == (size_t)-1)
        fail_msg("%s: the lie was never told", ctx);
    if (hostile_dnloads_after(&v->h, at) != 0)
        fail_msg("%s: %zu DNLOADs after the lie", ctx, hostile_dnloads_after(&v->h, at));
}

/* ---- wTransferSize ---------------------------------------------------------- */

static void test_transfer_size_0_is_refused_or_worked_around(void **state)
{
    (void)state;
    /* Nothing to go by: the plan refuses before any request. */
    dev *v = dev_new("f401");
    dev_micropython(v, 8192);
    dev_connect(v);
    v->t.info.func.transfer_size = 0;
    mpf_err rc = dev_flash(v, NULL);
    const char *plan_says[] = {"wTransferSize 0", NULL};
    hostile_assert_error("wTransferSize 0", &v->err, rc, MPF_ERR_PROTOCOL, plan_says);
    assert_int_equal(mpf_sim_request_count(v->sim), 0);
    dev_free(v);

    /* A block size given, but verify needs the device's own: refused
     * after start-up, before anything is erased. */
    v = dev_new("f401");
    dev_micropython(v, 8192);
    dev_connect(v);
    v->t.info.func.transfer_size = 0;
    mpf_plan_options opt;
    mpf_plan_options_default(&opt);
    opt.transfer_size = 2048;
    rc = dev_flash(v, &opt);
    const char *verify_says[] = {"cannot verify", "wTransferSize 0", NULL};
    hostile_assert_error("wTransferSize 0, verify", &v->err, rc, MPF_ERR_PROTOCOL, verify_says);
    assert_int_equal(hostile_log_count(v->sim, MPF_SIM_OP_ERASE), 0);
    assert_int_equal(hostile_log_count(v->sim, MPF_SIM_OP_WRITE), 0);
    dev_free(v);

    /* Without verify it works, one pointer per block, and says why. */
    v = dev_new("f401");
    dev_micropython(v, 8192);
    dev_connect(v);
    v->t.info.func.transfer_size = 0;
    opt.verify = 0;
    rc = dev_flash(v, &opt);
    if (rc != MPF_OK)
        fail_msg("wTransferSize 0, no verify: %s", v->err.message);
    assert_true(dev_has_image(v));
    assert_int_equal(capture_count(&v->cap, MPF_LOG_WARN, "wTransferSize is 0"), 1);
    assert_int_equal(hostile_log_count(v->sim, MPF_SIM_OP_WRITE), 1 + 4);
    assert_int_equal(hostile_log_count(v->sim, MPF_SIM_OP_SET_ADDRESS), 1 + 4 + 1);
    dev_free(v);
}

static void test_transfer_size_65535_and_8_flash_correctly(void **state)
{
    (void)state;
    static const struct {
        uint16_t size;
        size_t text;
        size_t blocks; /* vector table + text */
    } cases[] = {{65535, 300u * 1024u, 1 + 5}, {8, 64, 136 + 8}};
    for (size_t i = 0; i < 2; i++) {
        dev *v = dev_new("f401");
        dev_micropython(v, cases[i].text);
        mpf_sim_set_transfer_size(v->sim, cases[i].size);
        dev_connect(v);
        assert_int_equal(v->t.info.func.transfer_size, cases[i].size);
        mpf_err rc = dev_flash(v, NULL);
        if (rc != MPF_OK)
            fail_msg("wTransferSize %u: %s", (unsigned)cases[i].size, v->err.message);
        assert_true(dev_has_image(v));
        assert_int_equal(hostile_log_count(v->sim, MPF_SIM_OP_WRITE), cases[i].blocks);
        assert_int_equal(hostile_log_count(v->sim, MPF_SIM_OP_UPLOAD), cases[i].blocks);
        assert_true(mpf_sim_has_left(v->sim, NULL));
        dev_free(v);
    }
}

/* The start-up and nothing else: ABORT, GETSTATUS. */
static void assert_only_the_start_up(const char *ctx, const dev *v)
{
    const size_t n = mpf_sim_request_count(v->sim);
    if (n != 2 || mpf_sim_request_at(v->sim, 0)->op != MPF_SIM_OP_ABORT ||
        mpf_sim_request_at(v->sim, 1)->op != MPF_SIM_OP_GETSTATUS) {
        hostile_dump_log(v->sim);
        fail_msg("%s: %zu requests, want the start-up's ABORT and GETSTATUS only", ctx, n);
    }
}

/* A DfuSe set-address or erase is 5 bytes: a device taking fewer per
 * transfer can never be given an address. Refused before the first
 * command, so not even an erase runs, for a flash and for a read. */
static void test_transfer_size_below_a_dfuse_command_fails_cleanly(void **state)
{
    (void)state;
    for (uint16_t size = 1; size <= 4; size++) {
        char ctx[64], says[64];
        snprintf(ctx, sizeof ctx, "wTransferSize %u", (unsigned)size);
        snprintf(says, sizeof says, "flashing: the device reports wTransferSize %u,",
                 (unsigned)size);
        dev *v = dev_new("f401");
        dev_micropython(v, 64);
        mpf_sim_set_transfer_size(v->sim, size);
        dev_connect(v);
        mpf_err rc = dev_flash(v, NULL);
        const char *needles[] = {says, "less than the 5 bytes", "replug it", NULL};
        hostile_assert_error(ctx, &v->err, rc, MPF_ERR_PROTOCOL, needles);
        assert_only_the_start_up(ctx, v);
        assert_int_equal(mpf_sim_erase_count(v->sim), 0);

        mpf_sim_clear_log(v->sim);
        uint8_t buf[16];
        assert_int_equal(mpf_dfu_open(&v->d, &v->t, &v->cb, &v->err), MPF_OK);
        rc = mpf_dfu_read(&v->d, 0, 0x08000000, buf, sizeof buf, &v->err);
        snprintf(says, sizeof says, "reading memory: the device reports wTransferSize %u,",
                 (unsigned)size);
        const char *read_needles[] = {says, NULL};
        hostile_assert_error(ctx, &v->err, rc, MPF_ERR_PROTOCOL, read_needles);
        assert_only_the_start_up(ctx, v);
        dev_free(v);
    }
}

/* ---- bwPollTimeout ---------------------------------------------------------- */

static void test_poll_timeout_ffffff_is_capped_with_a_warning(void **state)
{
    (void)state;
    dev *v = dev_new("f401");
    dev_micropython(v, 8192);
    mpf_sim_set_poll_timeout(v->sim, 0xFFFFFF);
    dev_connect(v);
    mpf_err rc = dev_flash(v, NULL);
    if (rc != MPF_OK)
        fail_msg("bwPollTimeout 0xFFFFFF: %s", v->err.message);
    assert_true(dev_has_image(v));
    /* Said once, with the cap of the first wait (the 16 KiB erase); every
     * later capped wait only at DEBUG. */
    char said[128];
    snprintf(said, sizeof said,
             "asked to wait 16777215 ms before polling again after erase of sector at "
             "0x08000000; waiting %u ms instead",
             (unsigned)mpf_dfu_erase_timeout_ms(16u * 1024u));
    assert_int_equal(capture_count(&v->cap, MPF_LOG_WARN, "asked to wait"), 1);
    assert_int_equal(capture_count(&v->cap, MPF_LOG_WARN, said), 1);
    assert_int_equal(capture_count(&v->cap, MPF_LOG_DEBUG, "asked to wait 16777215 ms"),
                     v->h.pass.sleeps - 1);
    /* No wait longer than the longest operation (a 128 KiB erase, 9.2 s);
     * 2 erases, 2 + 2 + 1 pointers and 5 blocks each waited once. */
    assert_true(v->h.pass.longest_sleep_ms <= mpf_dfu_erase_timeout_ms(128u * 1024u));
    assert_int_equal(v->h.pass.sleeps, 2 + 5 + 5);
    const uint64_t bound_ms = mpf_dfu_erase_timeout_ms(16u * 1024u) +
                              mpf_dfu_erase_timeout_ms(128u * 1024u) + 10 * MPF_DFU_TIMEOUT_MS;
    assert_int_equal(v->h.pass.slept_ms, bound_ms);
    dev_free(v);
}

/* ---- states that make no sense ---------------------------------------------- */

typedef struct state_case {
    const char *name;
    unsigned first, last; /* GETSTATUS replies lied about */
    int32_t status, state, poll_ms;
    mpf_err want;
    const char *says[3];
    int start_in_error;
} state_case;

/* GETSTATUS: 1 start-up; 2-3 erase of 0x08000000; 4-5 erase of 0x08020000;
 * 6-7 pointer 0x08000000; 8-9 first block. */
static const state_case state_cases[] = {
    {"state 0xFF at start-up", 1, 1, HOSTILE_KEEP, 0xFF, HOSTILE_KEEP, MPF_ERR_PROTOCOL,
     {"connect: device is in state 255 (unknown)", "expected dfuIDLE"}, 0},
    {"appIDLE in DFU mode", 1, 0, HOSTILE_KEEP, MPF_DFU_STATE_APP_IDLE, HOSTILE_KEEP,
     MPF_ERR_PROTOCOL, {"device is in appIDLE", "must be detached first"}, 0},
    {"dfuMANIFEST at start-up", 1, 0, HOSTILE_KEEP, MPF_DFU_STATE_MANIFEST, HOSTILE_KEEP,
     MPF_ERR_PROTOCOL, {"device is in dfuMANIFEST", "reset or replug it"}, 0},
    {"dfuMANIFEST-WAIT-RESET at start-up", 1, 0, HOSTILE_KEEP, MPF_DFU_STATE_MANIFEST_WAIT_RESET,
     HOSTILE_KEEP, MPF_ERR_PROTOCOL, {"dfuMANIFEST-WAIT-RESET", "reset or replug it"}, 0},
    {"dfuERROR that will not clear", 1, 0, MPF_DFU_STATUS_ERR_UNKNOWN, MPF_DFU_STATE_ERROR,
     HOSTILE_KEEP, MPF_ERR_PROTOCOL, {"device is in dfuERROR (errUNKNOWN) after it was reset"},
     1},
    {"busy for ever at start-up", 1, 0, HOSTILE_KEEP, MPF_DFU_STATE_DNBUSY, 0, MPF_ERR_PROTOCOL,
     {"device stayed in dfuDNBUSY", "connect (an earlier operation still running)"}, 0},
    {"state 0xFF after an erase", 3, 3, HOSTILE_KEEP, 0xFF, HOSTILE_KEEP, MPF_ERR_PROTOCOL,
     {"after erase of sector at 0x08000000 the device is in state 255 (unknown)"}, 0},
    {"busy for ever after an erase", 2, 0, HOSTILE_KEEP, MPF_DFU_STATE_DNBUSY, 0,
     MPF_ERR_PROTOCOL, {"device stayed in dfuDNBUSY", "after erase of sector at 0x08000000"}, 0},
    {"busy for ever, poll 0xFFFFFF", 2, 0, HOSTILE_KEEP, MPF_DFU_STATE_DNBUSY, 0xFFFFFF,
     MPF_ERR_PROTOCOL, {"device stayed in dfuDNBUSY", "after erase of sector at 0x08000000"}, 0},
    {"dfuERROR without a status", 9, 9, MPF_DFU_STATUS_OK, MPF_DFU_STATE_ERROR, HOSTILE_KEEP,
     MPF_ERR_DEVICE_STATUS, {"write of block 2 at 0x08000000 failed", "without a reason"}, 0},
    {"status 0xEE in dfuDNLOAD-IDLE", 9, 9, 0xEE, MPF_DFU_STATE_DNLOAD_IDLE, HOSTILE_KEEP,
     MPF_ERR_DEVICE_STATUS, {"write of block 2 at 0x08000000 failed: status 0xEE (unknown)"}, 0},
    {"dfuUPLOAD-IDLE after a block", 9, 9, HOSTILE_KEEP, MPF_DFU_STATE_UPLOAD_IDLE, HOSTILE_KEEP,
     MPF_ERR_PROTOCOL, {"after write of block 2 at 0x08000000 the device is in dfuUPLOAD-IDLE"}, 0},
    {"appIDLE after the pointer", 7, 7, HOSTILE_KEEP, MPF_DFU_STATE_APP_IDLE, HOSTILE_KEEP,
     MPF_ERR_PROTOCOL, {"after set address 0x08000000 the device is in appIDLE"}, 0},
};

static void test_absurd_states_end_in_a_clean_error(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof state_cases / sizeof state_cases[0]; i++) {
        const state_case *c = &state_cases[i];
        dev *v = dev_new("f401");
        dev_micropython(v, 8192);
        if (c->start_in_error)
            mpf_sim_start_in_error(v->sim); /* so that its CLRSTATUS is in order */
        dev_connect(v);
        hostile_rule r = hostile_rule_for(MPF_DFU_GETSTATUS, c->first, c->last);
        r.status = c->status;
        r.state = c->state;
        r.poll_ms = c->poll_ms;
        hostile_add(&v->h, &r);
        mpf_err rc = dev_flash(v, NULL);
        const char *needles[] = {c->says[0], c->says[1], NULL};
        assert_stopped_at_lie(c->name, v, rc, c->want, needles);
        assert_false(mpf_sim_has_left(v->sim, NULL));
        dev_free(v);
    }
}

/* ---- replies of the wrong length -------------------------------------------- */

static void test_short_and_long_getstatus_replies_are_protocol_errors(void **state)
{
    (void)state;
    /* at start-up (GETSTATUS 1) and in the middle of an erase (3) */
    static const unsigned at[] = {1, 3};
    static const int32_t lengths[] = {0, 1, 5, 7};
    for (size_t a = 0; a < 2; a++) {
        for (size_t l = 0; l < 4; l++) {
            dev *v = dev_new("f401");
            dev_micropython(v, 8192);
            dev_connect(v);
            hostile_rule r = hostile_rule_for(MPF_DFU_GETSTATUS, at[a], at[a]);
            r.received = lengths[l];
            hostile_add(&v->h, &r);
            mpf_err rc = dev_flash(v, NULL);
            char ctx[64], says[64];
            snprintf(ctx, sizeof ctx, "GETSTATUS %u returns %d bytes", at[a], (int)lengths[l]);
            snprintf(says, sizeof says, "GETSTATUS returned %d bytes, DFU says 6", (int)lengths[l]);
            const char *needles[] = {says, a ? "erase of sector at 0x08000000" : "connect", NULL};
            assert_stopped_at_lie(ctx, v, rc, MPF_ERR_PROTOCOL, needles);
            dev_free(v);
        }
    }
}

static void test_short_and_long_uploads_stop_the_verify(void **state)
{
    (void)state;
    static const struct {
        int32_t received;
        const char *says;
    } cases[] = {
        {1087, "read of block 2 at 0x08000000: device returned 1087 of 1088 bytes"},
        {0, "device returned 0 of 1088 bytes"},
        {1089, "transport returned 1089 bytes for 1088 asked"},
    };
    for (size_t i = 0; i < 3; i++) {
        dev *v = dev_new("f401");
        dev_micropython(v, 8192);
        dev_connect(v);
        hostile_rule r = hostile_rule_for(MPF_DFU_UPLOAD, 1, 1);
        r.received = cases[i].received;
        hostile_add(&v->h, &r);
        mpf_err rc = dev_flash(v, NULL);
        const char *needles[] = {cases[i].says, NULL};
        assert_stopped_at_lie(cases[i].says, v, rc, MPF_ERR_PROTOCOL, needles);
        assert_true(dev_has_image(v)); /* written before the verify */
        assert_false(mpf_sim_has_left(v->sim, NULL));
        dev_free(v);
    }
}

/* ---- layouts ------------------------------------------------------------------ */

static void test_layout_strings_that_overflow_are_refused_before_any_request(void **state)
{
    (void)state;
    char long_one[MPF_ALT_NAME_MAX];
    /* 255 bytes of groups that each parse, 1-byte sectors: too small for
     * the image, never a buffer overrun */
    snprintf(long_one, sizeof long_one, "@Internal Flash  /0x08000000/");
    while (strlen(long_one) + 6 + 5 < sizeof long_one)
        strcat(long_one, "1*1Bg,");
    strcat(long_one, "1*1Bg");
    assert_true(strlen(long_one) < MPF_ALT_NAME_MAX && strlen(long_one) > 240);
    static const struct {
        const char *layout;
        mpf_err want;
        const char *says;
    } cases[] = {
        {"@Internal Flash  /0xFFFFC000/04*016Kg", MPF_ERR_PROTOCOL,
         "character 30: 4 sectors of 16384 bytes from 0xFFFFC000 run past 0xFFFFFFFF"},
        {"@Internal Flash  /0x08000000/4294967295*016Kg", MPF_ERR_PROTOCOL,
         "character 30: 4294967295 sectors of 16384 bytes"},
        {"@Internal Flash  /0x08000000/01*4294967295Kg", MPF_ERR_PROTOCOL,
         "character 43: a sector of 4294967295K"},
        {"@Internal Flash  /0x08000000/99999999999999999999*016Kg", MPF_ERR_PROTOCOL,
         "character 30: the sector count does not fit 32 bits"},
        {"@Internal Flash  /0x108000000/04*016Kg", MPF_ERR_PROTOCOL,
         "character 21: the start address does not fit 32 bits"},
        {"@Internal Flash  /0x08000000/04*4096Mg", MPF_ERR_PROTOCOL, "character 37"},
        {"@Internal Flash  /0x08000000/00*016Kg", MPF_ERR_PROTOCOL,
         "character 30: the sector count is 0"},
        {"@Internal Flash  /0x08000000/04*016Kg/0x08008000/01*016Kg", MPF_ERR_PROTOCOL,
         "character 50: sectors from 0x08008000 overlap"},
        {"@Internal Flash  /0x08000000/04*016Kz", MPF_ERR_PROTOCOL, "character 37 ('z')"},
        {"@Internal Flash  /0x08000000/", MPF_ERR_PROTOCOL, "character 30 (end of string)"},
        {"", MPF_ERR_PROTOCOL, "expected '@'"},
        {NULL, MPF_ERR_IMAGE_FIT, "is outside the device's Internal Flash"}, /* long_one */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *layout = cases[i].layout ? cases[i].layout : long_one;
        dev *v = dev_new("f401");
        dev_micropython(v, 8192);
        dev_connect(v);
        snprintf(v->t.info.alts[0].name, sizeof v->t.info.alts[0].name, "%s", layout);
        mpf_err rc = dev_flash(v, NULL);
        const char *needles[] = {cases[i].want == MPF_ERR_PROTOCOL ? "device alt setting 0" : "",
                                 cases[i].says, NULL};
        hostile_assert_error(layout, &v->err, rc, cases[i].want, needles);
        if (mpf_sim_request_count(v->sim) != 0)
            fail_msg("\"%s\": %zu requests before the refusal", layout,
                     mpf_sim_request_count(v->sim));
        dev_free(v);
    }
}

/* A layout that lies about sector sizes (one 128 KiB sector where the chip
 * has four of 16 KiB): the engine erases what it was told, the rest of the
 * write lands on old data, and the device's errPROG stops it with the block
 * and its address. It cannot be a success with wrong bytes. */
static void test_layout_lying_about_sectors_is_caught_by_the_device(void **state)
{
    (void)state;
    dev *v = dev_new("f401");
    mpf_image_init(&v->img);
    uint8_t data[40 * 1024];
    fixture_fill_random(data, sizeof data, 9);
    assert_int_equal(mpf_image_add(&v->img, 0, 0x08000000u, data, sizeof data, "fw", NULL),
                     MPF_OK);
    uint8_t old[64 * 1024];
    fixture_fill_random(old, sizeof old, SEED_OLD);
    assert_int_equal(mpf_sim_poke(v->sim, 0x08000000u, old, sizeof old), 0);
    dev_connect(v);
    snprintf(v->t.info.alts[0].name, sizeof v->t.info.alts[0].name, "%s",
             "@Internal Flash  /0x08000000/04*128Kg");
    mpf_err rc = dev_flash(v, NULL);
    const char *needles[] = {"write of block 10 at 0x08004000 failed: errPROG", NULL};
    hostile_assert_error("lying layout", &v->err, rc, MPF_ERR_DEVICE_STATUS, needles);
    assert_int_equal(mpf_sim_erase_count(v->sim), 1);
    assert_int_equal(hostile_log_count(v->sim, MPF_SIM_OP_WRITE), 9);
    assert_false(mpf_sim_has_left(v->sim, NULL));
    dev_free(v);
}

/* mboot's F4 layout claims 1 MiB on a 512 KiB F401: an image past the real
 * flash is refused by the device at its first erase, nothing written. */
static void test_layout_claiming_missing_flash_stops_at_the_erase(void **state)
{
    (void)state;
    dev *v = dev_new("mboot-f401");
    uint8_t data[4096];
    fixture_fill_random(data, sizeof data, 10);
    assert_int_equal(mpf_image_add(&v->img, 0, 0x08090000u, data, sizeof data, "fw", NULL),
                     MPF_OK);
    dev_connect(v);
    mpf_err rc = dev_flash(v, NULL);
    const char *needles[] = {"erase of sector at 0x08080000 failed", NULL};
    hostile_assert_error("missing flash", &v->err, rc, MPF_ERR_DEVICE_STATUS, needles);
    assert_int_equal(hostile_log_count(v->sim, MPF_SIM_OP_WRITE), 0);
    assert_int_equal(mpf_sim_erase_count(v->sim), 0);
    dev_free(v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_transfer_size_0_is_refused_or_worked_around),
        cmocka_unit_test(test_transfer_size_65535_and_8_flash_correctly),
        cmocka_unit_test(test_transfer_size_below_a_dfuse_command_fails_cleanly),
        cmocka_unit_test(test_poll_timeout_ffffff_is_capped_with_a_warning),
        cmocka_unit_test(test_absurd_states_end_in_a_clean_error),
        cmocka_unit_test(test_short_and_long_getstatus_replies_are_protocol_errors),
        cmocka_unit_test(test_short_and_long_uploads_stop_the_verify),
        cmocka_unit_test(test_layout_strings_that_overflow_are_refused_before_any_request),
        cmocka_unit_test(test_layout_lying_about_sectors_is_caught_by_the_device),
        cmocka_unit_test(test_layout_claiming_missing_flash_stops_at_the_erase),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
