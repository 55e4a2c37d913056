/* Flash benchmark: the real engine (mpf_plan_build, mpf_dfu_open,
 * mpf_dfu_flash) against the virtual device's timing model. The virtual
 * clock makes every modelled figure exact and repeatable; only the host CPU
 * time and the peak memory vary between runs. A report, not a test: it
 * always exits 0.
 *
 * For each scenario and verify mode it prints requests by type, bytes, the
 * sectors erased, the modelled time, the physical limit (from the same
 * mpf_timing table the device model uses) and their ratio, the host's CPU
 * time against the modelled time, and the peak RSS. Each row runs in a
 * forked child, so the peak RSS is that row's own (on Windows, which cannot
 * fork, rows run in-process and the memory verdict is n/a).
 *
 * Each scenario names the chip's contents before the flash. Two limits are
 * computed from them, out of band, before the flash:
 *
 * limit (x_limit, the formula): every planned sector whose contents
 * differ from what a full flash leaves there (image bytes, 0xFF elsewhere)
 * is charged an erase:
 *   erase_us of every planned sector whose contents differ
 * + program_us + usb_us of every block of image data in those sectors that
 *   is not all 0xFF (after an erase a 0xFF block needs no work)
 * + usb_us of reading every block of the planned sectors that already hold
 *   the right bytes (with DfuSe, reading is the only way to know that)
 * + with verify: usb_us of reading back the image data in the sectors that
 *   change.
 * A flash that does not erase what needs no erase can beat this limit
 * (x_limit < 1): a blank sector "differs", but needs no erase.
 *
 * needed (x_needed, stricter): only the sectors that really need an erase
 * (one of their 2 KiB blocks is neither right already nor all 0xFF: flash
 * programming only clears bits) are charged one, and only the blocks that
 * must change are charged programming:
 *   erase_us + program_us + usb_us of their non-0xFF data blocks, for the
 *   sectors that need an erase
 * + usb_us of reading every block of every other planned sector (proving it
 *   needs no erase takes reading all of it)
 * + program_us + usb_us of the data blocks of those sectors that are not
 *   there yet (a block is charged when any of its bytes must change)
 * + with verify: usb_us of reading back every block charged programming.
 * The reads that find a sector must be erased are not in either.
 * Status round trips, set-address commands and rounding of bwPollTimeout to
 * whole milliseconds are not in them: they are what the host adds.
 *
 * The floor is what any host that obeys bwPollTimeout must add to `needed`
 * for the same erases and blocks with DfuSe's 3 requests per operation: for
 * each erase command and each data block, its DNLOAD's setup (the data stage
 * is in the limit), two GETSTATUS round trips, and the device's rounding of
 * the operation time up to whole milliseconds of bwPollTimeout. modelled /
 * floor is the host's own overhead (connect, set-address, reading to check,
 * leaving).
 *
 * usage: bench_flash [--full] [SCENARIO...]   (default: all)
 *   --full  turn skip-unchanged off (what the tool's --full does) */
#include "plain_rows.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/dfu_session.h"
#include "bench_child.h"
#include "mpflash/engine.h"
#include "mpflash/image.h"
#include "mpflash/plan.h"
#include "mpflash/sim.h"
#include "mpflash/timing.h"
#include "platform/clock.h"
#include "platform/proc_usage.h"
#include "platform/thread.h"

#define KIB 1024u
#define FLASH_BASE 0x08000000u
#define MP_VEC_SIZE 1088u
#define MP_TEXT_ADDR 0x08020000u
#define MP_TEXT_SIZE (298u * KIB)
#define MAX_BOARDS 4
#define MEM_SLACK (4u * KIB * KIB)

/* ---- scenarios ------------------------------------------------------------ */

typedef enum image_kind {
    IMG_MICROPYTHON, /* 1,088 B vectors + 298 KiB text, random bytes */
    IMG_OLDER,       /* the same shape, other random bytes: an older firmware */
    IMG_ONE_BYTE,    /* the same with its last byte changed */
    IMG_DENSE_1M,    /* 1 MiB of random bytes from 0x08000000 */
    IMG_BACKUP_1M,   /* 1 MiB whole-flash dump: data with 0xFF gaps */
    IMG_16K          /* 16 KiB of random bytes from 0x08000000 */
} image_kind;

/* What the chip holds before the measured flash. */
typedef enum prior_kind {
    PRIOR_BLANK, /* all 0xFF: new, or after a mass erase */
    PRIOR_SAME,  /* IMG_MICROPYTHON, flashed in full */
    PRIOR_OLDER, /* IMG_OLDER, flashed in full */
    PRIOR_HALF   /* a flash of IMG_MICROPYTHON cut off after ~half its blocks */
} prior_kind;

typedef struct scenario {
    const char *id;
    const char *title;
    const char *chip;
    image_kind image;
    prior_kind prior;
    int boards;
} scenario;

static const scenario scenarios[] = {
    {"a", "F401 MicroPython image onto a blank chip (new, or mass-erased)", "f401",
     IMG_MICROPYTHON, PRIOR_BLANK, 1},
    {"a-old", "the same image onto a chip holding an older firmware (every sector erased)", "f401",
     IMG_MICROPYTHON, PRIOR_OLDER, 1},
    {"a-resume", "the same image onto a chip where its flash stopped after 75 of 150 blocks",
     "f401", IMG_MICROPYTHON, PRIOR_HALF, 1},
    {"b", "the same image again onto a chip that holds it", "f401", IMG_MICROPYTHON, PRIOR_SAME, 1},
    {"c", "the image with one byte changed in its last sector onto a chip holding (a)", "f401",
     IMG_ONE_BYTE, PRIOR_SAME, 1},
    {"d", "1 MiB dense image onto a blank F405 (whole flash)", "f405", IMG_DENSE_1M, PRIOR_BLANK, 1},
    {"d-ff", "1 MiB whole-flash dump with 0xFF gaps onto a blank F405", "f405", IMG_BACKUP_1M,
     PRIOR_BLANK, 1},
    {"e", "16 KiB image onto a blank F401", "f401", IMG_16K, PRIOR_BLANK, 1},
    {"f", "four blank F401 boards at once (a x4, one thread each)", "f401", IMG_MICROPYTHON,
     PRIOR_BLANK, 4},
};
/* Where PRIOR_HALF's flash is cut: the 76th of its 150 data blocks never
 * arrives. */
#define HALF_CUT_BLOCK 76u
#define SCENARIO_COUNT (sizeof scenarios / sizeof scenarios[0])

static void fill_random(uint8_t *buf, size_t len, uint32_t seed)
{
    uint32_t x = seed ? seed : 1u;
    for (size_t i = 0; i < len; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        buf[i] = (uint8_t)(x >> 24);
    }
}

static int add_random(mpf_image *img, uint32_t address, size_t size, uint32_t seed,
                      const char *name, mpf_error *err)
{
    uint8_t *buf = malloc(size);
    if (!buf) {
        mpf_error_set(err, MPF_ERR_NOMEM, "out of memory for %zu bytes of image", size);
        return -1;
    }
    fill_random(buf, size, seed);
    return mpf_image_add_owned(img, 0, address, buf, size, name, err) == MPF_OK ? 0 : -1;
}

/* A whole 1 MiB F405 flash as a backup tool dumps it: the vector table and
 * the rest of sector 0 erased, a filesystem with 24 KiB of files in sectors
 * 1..4, 360 KiB of firmware text from 0x08020000, erased flash to the end. */
static int build_backup(mpf_image *img, mpf_error *err)
{
    const size_t size = 1024u * KIB;
    uint8_t *buf = malloc(size);
    if (!buf) {
        mpf_error_set(err, MPF_ERR_NOMEM, "out of memory for the 1 MiB dump");
        return -1;
    }
    memset(buf, 0xFF, size);
    fill_random(buf, MP_VEC_SIZE, 11);
    fill_random(buf + 0x4000, 24u * KIB, 12);
    fill_random(buf + (MP_TEXT_ADDR - FLASH_BASE), 360u * KIB, 13);
    return mpf_image_add_owned(img, 0, FLASH_BASE, buf, size, "bench: dump", err) == MPF_OK ? 0
                                                                                          : -1;
}

static int build_image(image_kind kind, mpf_image *img, mpf_error *err)
{
    mpf_image_init(img);
    int rc = 0;
    switch (kind) {
    case IMG_MICROPYTHON:
    case IMG_ONE_BYTE:
    case IMG_OLDER: {
        const uint32_t seed = kind == IMG_OLDER ? 5 : 1;
        rc = add_random(img, FLASH_BASE, MP_VEC_SIZE, seed, "bench: isr_vector", err);
        if (rc == 0)
            rc = add_random(img, MP_TEXT_ADDR, MP_TEXT_SIZE, seed + 1, "bench: text", err);
        if (rc == 0 && kind == IMG_ONE_BYTE)
            img->segments[1].data[MP_TEXT_SIZE - 1] ^= 0x5A;
        break;
    }
    case IMG_DENSE_1M:
        rc = add_random(img, FLASH_BASE, 1024u * KIB, 3, "bench: 1 MiB", err);
        break;
    case IMG_BACKUP_1M:
        rc = build_backup(img, err);
        break;
    case IMG_16K:
        rc = add_random(img, FLASH_BASE, 16u * KIB, 4, "bench: 16 KiB", err);
        break;
    }
    if (rc == 0 && mpf_image_normalize(img, err) != MPF_OK)
        rc = -1;
    return rc;
}

/* ---- a transport that watches the poll timeouts ------------------------- */

typedef struct meter {
    mpf_transport inner;
    uint32_t last_poll_ms; /* bwPollTimeout of the last GETSTATUS */
    uint64_t polled_ms;    /* sum of the bwPollTimeouts reported */
    uint64_t slept_ms;
    uint32_t sleeps;
    uint32_t sleeps_beyond_poll; /* a sleep longer than the last bwPollTimeout */
} meter;

static mpf_err meter_out(void *ctx, uint8_t request, uint16_t value, const uint8_t *data,
                         uint16_t length, unsigned timeout_ms, mpf_error *err)
{
    meter *m = ctx;
    return m->inner.ops->control_out(m->inner.ctx, request, value, data, length, timeout_ms, err);
}

static mpf_err meter_in(void *ctx, uint8_t request, uint16_t value, uint8_t *data,
                        uint16_t length, size_t *received, unsigned timeout_ms, mpf_error *err)
{
    meter *m = ctx;
    mpf_err rc = m->inner.ops->control_in(m->inner.ctx, request, value, data, length, received,
                                          timeout_ms, err);
    if (rc == MPF_OK && request == 3 /* GETSTATUS */ && *received >= 4) {
        m->last_poll_ms = (uint32_t)data[1] | (uint32_t)data[2] << 8 | (uint32_t)data[3] << 16;
        m->polled_ms += m->last_poll_ms;
    }
    return rc;
}

static mpf_err meter_alt(void *ctx, uint8_t alt, mpf_error *err)
{
    meter *m = ctx;
    return m->inner.ops->select_alt(m->inner.ctx, alt, err);
}

static mpf_err meter_reset(void *ctx, mpf_error *err)
{
    meter *m = ctx;
    return m->inner.ops->reset(m->inner.ctx, err);
}

static void meter_sleep(void *ctx, uint32_t ms)
{
    meter *m = ctx;
    m->sleeps++;
    m->slept_ms += ms;
    if (ms > m->last_poll_ms)
        m->sleeps_beyond_poll++;
    m->inner.ops->sleep_ms(m->inner.ctx, ms);
}

static uint64_t meter_now(void *ctx)
{
    meter *m = ctx;
    return m->inner.ops->now_us(m->inner.ctx);
}

static void meter_close(void *ctx)
{
    meter *m = ctx;
    m->inner.ops->close(m->inner.ctx);
}

static const mpf_transport_ops meter_ops = {meter_out, meter_in,  meter_alt,  meter_reset,
                                            meter_sleep, meter_now, meter_close, NULL};

static void meter_wrap(meter *m, const mpf_transport *inner, mpf_transport *out)
{
    memset(m, 0, sizeof *m);
    m->inner = *inner;
    *out = *inner;
    out->ops = &meter_ops;
    out->ctx = m;
}

/* ---- one board ------------------------------------------------------------ */

typedef struct row {
    int ok;
    char error[MPF_ERROR_MESSAGE_MAX];
    mpf_dfu_stats stats;
    uint64_t modelled_us, busy_us, limit_us, needed_us, floor_us, cpu_us, wall_us;
    uint64_t image_bytes;
    long maxrss_bytes;
    uint32_t sectors_planned, sectors_differing, sectors_needing_erase;
    uint32_t write_groups, write_set_addresses; /* runs of data blocks; pointers set for them */
    uint32_t max_requests_per_block;
    uint64_t block_requests; /* data DNLOADs and the GETSTATUS after them */
    uint32_t sleeps_beyond_poll;
    uint64_t slept_ms, polled_ms;
    uint32_t early;
    int boards;
} row;

typedef struct board_job {
    const scenario *sc;
    const mpf_image *img;
    const mpf_image *prior; /* flashed in full first; NULL = a blank chip */
    int verify;
    int full;
    row r;
} board_job;

static int job_fail(board_job *j, const char *what, const mpf_error *err)
{
    snprintf(j->r.error, sizeof j->r.error, "%s: %.400s", what, err->message);
    return -1;
}

/* What a full flash leaves in [start, start+size): 0xFF, then the image. */
static void expected_bytes(const mpf_image *img, uint32_t start, uint32_t size, uint8_t *out)
{
    memset(out, 0xFF, size);
    for (size_t i = 0; i < img->count; i++) {
        const mpf_segment *s = &img->segments[i];
        uint64_t lo = s->address > start ? s->address : start;
        uint64_t hi = (uint64_t)s->address + s->size;
        if (hi > (uint64_t)start + size)
            hi = (uint64_t)start + size;
        if (s->alt == 0 && lo < hi)
            memcpy(out + (lo - start), s->data + (lo - s->address), (size_t)(hi - lo));
    }
}

static int all_ff(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != 0xFF)
            return 0;
    return 1;
}

static const mpf_plan_erase *sector_of(const mpf_plan *p, uint32_t address)
{
    for (size_t i = 0; i < p->erase_count; i++)
        if (address >= p->erases[i].address && address - p->erases[i].address < p->erases[i].size)
            return &p->erases[i];
    return NULL;
}

/* The chip's planned sectors before the flash, per plan erase: differs
 * from a full flash's result; needs an erase (a 2 KiB block that is
 * neither right nor all 0xFF). */
typedef struct prior_state {
    uint8_t *differs;
    uint8_t *erase;
} prior_state;

static int judge_prior(const mpf_sim *sim, const mpf_image *img, const mpf_plan *p,
                       prior_state *ps, row *r)
{
    const uint16_t ts = p->transfer_size;
    ps->differs = calloc(p->erase_count ? p->erase_count : 1, 1);
    ps->erase = calloc(p->erase_count ? p->erase_count : 1, 1);
    if (!ps->differs || !ps->erase)
        return -1;
    for (size_t i = 0; i < p->erase_count; i++) {
        const mpf_plan_erase *e = &p->erases[i];
        uint8_t *want = malloc(e->size), *got = malloc(e->size);
        int ok = want && got && mpf_sim_peek(sim, e->address, got, e->size) == 0;
        if (ok) {
            expected_bytes(img, e->address, e->size, want);
            ps->differs[i] = memcmp(want, got, e->size) != 0;
            for (uint32_t off = 0; off < e->size && !ps->erase[i]; off += ts) {
                uint32_t n = e->size - off < ts ? e->size - off : ts;
                ps->erase[i] = memcmp(want + off, got + off, n) != 0 && !all_ff(got + off, n);
            }
            r->sectors_differing += ps->differs[i];
            r->sectors_needing_erase += ps->erase[i];
        }
        free(want);
        free(got);
        if (!ok)
            return -1;
    }
    return 0;
}

static void prior_free(prior_state *ps)
{
    free(ps->differs);
    free(ps->erase);
}

/* What a data block costs: 0 nothing (the chip holds it, in a sector that
 * is not erased), 1 programming, 2 only the read-back (0xFF in a sector
 * that is erased). erase[] flags the sectors charged an erase. */
static int block_work(const mpf_sim *sim, const mpf_plan *p, const uint8_t *erase,
                      const mpf_plan_write *pw, size_t off, size_t n)
{
    const uint32_t at = pw->address + (uint32_t)off;
    const mpf_plan_erase *e = sector_of(p, at);
    if (!e || erase[e - p->erases])
        return all_ff(pw->data + off, n) ? 2 : 1;
    uint8_t now[4096];
    if (n > sizeof now || mpf_sim_peek(sim, at, now, n) != 0)
        return 1;
    return memcmp(now, pw->data + off, n) != 0;
}

/* The head comment's `limit` (erase = the sectors that differ) or `needed`
 * (erase = the sectors that need an erase): a sector that is not erased
 * holds its block's bytes already or 0xFF, so block_work charges the same
 * blocks either formula does. */
static uint64_t limit_us(const mpf_sim *sim, const mpf_plan *p, const uint8_t *erase, int verify)
{
    const mpf_timing *t = mpf_timing_stm32f4();
    const uint16_t ts = p->transfer_size;
    uint64_t us = 0;
    for (size_t i = 0; i < p->erase_count; i++) {
        const mpf_plan_erase *e = &p->erases[i];
        if (erase[i]) {
            us += mpf_timing_erase_us(t, e->size);
            continue;
        }
        for (uint32_t off = 0; off < e->size; off += ts)
            us += mpf_timing_usb_us(t, e->size - off < ts ? e->size - off : ts);
    }
    for (size_t w = 0; w < p->write_count; w++) {
        const mpf_plan_write *pw = &p->writes[w];
        for (size_t off = 0; off < pw->size; off += ts) {
            size_t n = pw->size - off < ts ? pw->size - off : ts;
            int work = block_work(sim, p, erase, pw, off, n);
            if (work == 1)
                us += mpf_timing_program_us(t, n) + mpf_timing_usb_us(t, n);
            if (work && verify)
                us += mpf_timing_usb_us(t, n);
        }
    }
    return us;
}

/* The head comment's floor, minus `needed`. */
static uint64_t rounding_us(uint64_t op_us)
{
    return (op_us + 999) / 1000 * 1000 - op_us;
}

static uint64_t protocol_overhead(const mpf_sim *sim, const mpf_plan *p, const prior_state *ps)
{
    const mpf_timing *t = mpf_timing_stm32f4();
    const uint16_t ts = p->transfer_size;
    const uint64_t status_us = 2 * mpf_timing_usb_us(t, 6);
    uint64_t us = 0;
    for (size_t i = 0; i < p->erase_count; i++)
        if (ps->erase[i])
            us += mpf_timing_usb_us(t, 5) + status_us +
                  rounding_us(mpf_timing_erase_us(t, p->erases[i].size));
    for (size_t w = 0; w < p->write_count; w++) {
        const mpf_plan_write *pw = &p->writes[w];
        for (size_t off = 0; off < pw->size; off += ts) {
            size_t n = pw->size - off < ts ? pw->size - off : ts;
            if (block_work(sim, p, ps->erase, pw, off, n) == 1)
                us += status_us + rounding_us(mpf_timing_program_us(t, n));
        }
    }
    return us;
}

static void analyse_log(const mpf_sim *sim, row *r)
{
    const size_t n = mpf_sim_request_count(sim);
    int in_group = 0, pointer_pending = 0;
    for (size_t i = 0; i < n; i++) {
        const mpf_sim_request *q = mpf_sim_request_at(sim, i);
        if (q->op == MPF_SIM_OP_GETSTATUS)
            continue;
        if (q->op == MPF_SIM_OP_WRITE) {
            size_t k = i + 1;
            while (k < n && mpf_sim_request_at(sim, k)->op == MPF_SIM_OP_GETSTATUS)
                k++;
            uint32_t reqs = (uint32_t)(k - i);
            r->block_requests += reqs;
            if (reqs > r->max_requests_per_block)
                r->max_requests_per_block = reqs;
            if (!in_group) {
                r->write_groups++;
                r->write_set_addresses += (uint32_t)pointer_pending;
            }
            in_group = 1;
            pointer_pending = 0;
            continue;
        }
        in_group = 0;
        pointer_pending = q->op == MPF_SIM_OP_SET_ADDRESS;
    }
}

/* Flash img onto sim as the tool would: the plan's and the engine's
 * defaults, but `verify`, and `full` for --full. */
static mpf_err flash(mpf_sim *sim, const mpf_image *img, int verify, int full, meter *m,
                     mpf_dfu *d, mpf_plan *plan, mpf_error *err)
{
    mpf_transport raw, t;
    mpf_sim_transport(sim, &raw);
    meter_wrap(m, &raw, &t);
    mpf_plan_options po;
    mpf_plan_options_default(&po);
    po.verify = verify;
    mpf_err rc = mpf_plan_build(img, &t.info, &po, plan, err);
    if (rc != MPF_OK)
        return rc;
    rc = mpf_dfu_open(d, &t, NULL, err);
    mpf_dfu_flash_options fo;
    mpf_dfu_flash_options_default(&fo);
    fo.skip_unchanged = !full;
    if (rc == MPF_OK)
        rc = mpf_dfu_flash_ex(d, plan, &fo, err);
    return rc;
}

/* The sim must hold exactly what a full flash leaves in every planned sector. */
static int check_result(const mpf_sim *sim, const mpf_image *img, const mpf_plan *p,
                        board_job *j)
{
    for (size_t i = 0; i < p->erase_count; i++) {
        const mpf_plan_erase *e = &p->erases[i];
        uint8_t *want = malloc(e->size), *got = malloc(e->size);
        int same = want && got && mpf_sim_peek(sim, e->address, got, e->size) == 0;
        if (same) {
            expected_bytes(img, e->address, e->size, want);
            same = memcmp(want, got, e->size) == 0;
        }
        free(want);
        free(got);
        if (!same) {
            snprintf(j->r.error, sizeof j->r.error,
                     "sector at 0x%08" PRIX32 " does not hold what a full flash leaves",
                     e->address);
            return -1;
        }
    }
    return 0;
}

/* The chip as a flash of img cut off at its HALF_CUT_BLOCK-th data block
 * leaves it: its sectors erased, the blocks before that one written. */
static mpf_err flash_cut_off(mpf_sim *sim, const mpf_image *img, meter *m, mpf_dfu *d,
                             mpf_plan *plan, mpf_error *err)
{
    mpf_sim_fault cut = {MPF_SIM_FAULT_DISCONNECT, MPF_SIM_OP_WRITE, HALF_CUT_BLOCK, 0};
    mpf_err rc = mpf_sim_add_fault(sim, &cut, err);
    if (rc != MPF_OK)
        return rc;
    mpf_error lost = {0};
    if (flash(sim, img, 0, 1, m, d, plan, &lost) == MPF_OK)
        return mpf_error_set(err, MPF_ERR_INTERNAL, "the flash to cut off ran to its end");
    return MPF_OK;
}

static int run_board(board_job *j)
{
    mpf_error err = {0};
    mpf_sim *sim = NULL;
    mpf_plan plan;
    memset(&plan, 0, sizeof plan);
    mpf_dfu d;
    meter m;
    prior_state ps = {NULL, NULL};
    int rc = -1;
    if (mpf_sim_new(j->sc->chip, &sim, &err) != MPF_OK)
        return job_fail(j, "sim", &err);
    if (j->prior) {
        mpf_plan prior_plan;
        memset(&prior_plan, 0, sizeof prior_plan);
        mpf_err e = j->sc->prior == PRIOR_HALF
                        ? flash_cut_off(sim, j->prior, &m, &d, &prior_plan, &err)
                        : flash(sim, j->prior, 0, 1, &m, &d, &prior_plan, &err);
        mpf_plan_free(&prior_plan);
        if (e != MPF_OK) {
            job_fail(j, "flashing the prior image", &err);
            goto out;
        }
        mpf_sim_replug(sim);
    }
    mpf_sim_clear_log(sim);

    /* What the planned sectors hold, judged before the flash, out of band. */
    {
        mpf_transport raw;
        mpf_sim_transport(sim, &raw);
        mpf_plan_options po;
        mpf_plan_options_default(&po);
        if (mpf_plan_build(j->img, &raw.info, &po, &plan, &err) != MPF_OK) {
            job_fail(j, "plan", &err);
            goto out;
        }
        if (judge_prior(sim, j->img, &plan, &ps, &j->r) != 0) {
            snprintf(j->r.error, sizeof j->r.error, "out of memory judging the prior contents");
            goto out;
        }
        j->r.sectors_planned = (uint32_t)plan.erase_count;
        j->r.limit_us = limit_us(sim, &plan, ps.differs, j->verify);
        j->r.needed_us = limit_us(sim, &plan, ps.erase, j->verify);
        j->r.floor_us = j->r.needed_us + protocol_overhead(sim, &plan, &ps);
        mpf_plan_free(&plan);
    }

    const uint64_t clock0 = mpf_sim_clock_us(sim), busy0 = mpf_sim_device_busy_us(sim);
    if (flash(sim, j->img, j->verify, j->full, &m, &d, &plan, &err) != MPF_OK) {
        job_fail(j, "flash", &err);
        goto out;
    }
    j->r.modelled_us = mpf_sim_clock_us(sim) - clock0;
    j->r.busy_us = mpf_sim_device_busy_us(sim) - busy0;
    j->r.stats = d.stats;
    j->r.sleeps_beyond_poll = m.sleeps_beyond_poll;
    j->r.slept_ms = m.slept_ms;
    j->r.polled_ms = m.polled_ms;
    j->r.early = (uint32_t)mpf_sim_early_count(sim);
    analyse_log(sim, &j->r);
    if (check_result(sim, j->img, &plan, j) == 0) {
        j->r.ok = 1;
        rc = 0;
    }
out:
    prior_free(&ps);
    mpf_plan_free(&plan);
    mpf_sim_free(sim);
    return rc;
}

static void board_thread(void *arg)
{
    run_board(arg);
}

/* ---- one row: a scenario in one verify mode, in a child ---------------- */

static void measure(const scenario *sc, int verify, int full, row *out)
{
    mpf_error err = {0};
    mpf_image img, prior;
    mpf_image_init(&prior);
    memset(out, 0, sizeof *out);
    const int has_prior = sc->prior != PRIOR_BLANK;
    if (build_image(sc->image, &img, &err) != 0 ||
        (has_prior && build_image(sc->prior == PRIOR_OLDER ? IMG_OLDER : IMG_MICROPYTHON, &prior,
                                  &err) != 0)) {
        snprintf(out->error, sizeof out->error, "image: %.400s", err.message);
        mpf_image_free(&img);
        mpf_image_free(&prior);
        return;
    }
    board_job jobs[MAX_BOARDS];
    memset(jobs, 0, sizeof jobs);
    mpf_thread threads[MAX_BOARDS];
    int started[MAX_BOARDS] = {0};
    const int n = sc->boards < MAX_BOARDS ? sc->boards : MAX_BOARDS;

    const uint64_t cpu0 = mpf_proc_cpu_us(), wall0 = mpf_host_now_us();
    for (int i = 0; i < n; i++) {
        jobs[i] = (board_job){sc, &img, has_prior ? &prior : NULL, verify, full, {0}};
        if (n == 1)
            run_board(&jobs[i]);
        else
            started[i] = mpf_thread_start(&threads[i], board_thread, &jobs[i]) == 0;
    }
    for (int i = 0; i < n; i++)
        if (started[i])
            mpf_thread_join(&threads[i]);
    const uint64_t cpu1 = mpf_proc_cpu_us(), wall1 = mpf_host_now_us();

    *out = jobs[0].r;
    for (int i = 1; i < n; i++) {
        const row *r = &jobs[i].r;
        if (!started[i] || !r->ok) {
            out->ok = 0;
            snprintf(out->error, sizeof out->error, "board %d: %.400s", i + 1,
                     started[i] ? r->error : "no thread");
        }
        if (r->modelled_us > out->modelled_us)
            out->modelled_us = r->modelled_us;
    }
    out->boards = n;
    out->cpu_us = cpu1 - cpu0;
    out->wall_us = wall1 - wall0;
    out->image_bytes = mpf_image_total_size(&img);
    mpf_image_free(&img);
    mpf_image_free(&prior);
    out->maxrss_bytes = (long)mpf_proc_peak_rss_bytes();
}

typedef struct flash_job {
    const scenario *sc;
    int verify, full;
} flash_job;

static void measure_job(const void *arg, void *out)
{
    const flash_job *job = arg;
    measure(job->sc, job->verify, job->full, out);
}

static int measure_in_child(const scenario *sc, int verify, int full, row *r)
{
    flash_job job = {sc, verify, full};
    return bench_in_child(measure_job, &job, r, sizeof *r);
}

/* ---- the report ------------------------------------------------------------ */

typedef struct verdicts {
    double target;   /* modelled / limit, or / a reference scenario's modelled time */
    double value;
    const char *against; /* "limit", "a" or "a-old" */
    int time_ok, cpu_ok, mem_ok, shape_ok;
    double cpu_pct, ratio, needed, over_floor;
} verdicts;

/* (b) and (c) are measured against the flash they save: one that must
 * erase every sector, (a-old). (a) itself no longer erases a blank chip. */
static void judge(const scenario *sc, const row *r, const row *a, const row *a_old, verdicts *v)
{
    memset(v, 0, sizeof *v);
    v->ratio = r->limit_us ? (double)r->modelled_us / (double)r->limit_us : 0;
    v->needed = r->needed_us ? (double)r->modelled_us / (double)r->needed_us : 0;
    v->over_floor = r->floor_us ? (double)r->modelled_us / (double)r->floor_us : 0;
    v->cpu_pct = r->modelled_us ? 100.0 * (double)r->cpu_us / (double)r->modelled_us : 0;
    v->cpu_ok = v->cpu_pct < 2.0;
    v->mem_ok = !BENCH_OWN_PEAK || r->maxrss_bytes <= (long)(r->image_bytes + MEM_SLACK);
    /* One set-address per run of blocks, 3 requests a block, no oversleeping. */
    v->shape_ok = r->write_set_addresses == r->write_groups &&
                  (r->max_requests_per_block == 0 || r->max_requests_per_block == 3) &&
                  r->sleeps_beyond_poll == 0 && r->early == 0;
    const char *id = sc->id;
    const row *ref = NULL;
    if (strcmp(id, "b") == 0 || strcmp(id, "c") == 0) {
        v->against = "a-old";
        v->target = strcmp(id, "b") == 0 ? 0.12 : 0.45;
        ref = a_old;
    } else if (strcmp(id, "f") == 0) {
        v->against = "a";
        v->target = 1.10;
        ref = a;
    } else {
        v->against = "limit";
        v->target = 1.03;
        v->value = v->ratio;
    }
    if (ref)
        v->value = ref->modelled_us ? (double)r->modelled_us / (double)ref->modelled_us : 0;
    v->time_ok = v->value > 0 && v->value <= v->target;
}

static void print_header(void)
{
    printf("%-8s %-3s %6s %6s %5s %5s %5s %5s %3s %3s %8s %8s %8s %8s %8s %7s %7s %7s %-19s %6s %5s %7s  %s\n",
           "scen", "vfy", "DNLOAD", "UPLOAD", "GETST", "ABORT", "SETAD", "ERASE", "chg", "nE",
           "KiB_down", "KiB_up", "model_ms", "limit_ms", "need_ms", "x_limit", "x_need",
           "x_floor", "target", "req/bk", "cpu%", "rss_MiB", "checks");
}

static void print_row(const scenario *sc, int verify, const row *r, const verdicts *v)
{
    if (!r->ok) {
        printf("%-8s %-3s ERROR: %s\n", sc->id, verify ? "yes" : "no", r->error);
        return;
    }
    const mpf_dfu_stats *s = &r->stats;
    char target[40];
    if (strcmp(v->against, "limit") != 0 && v->value == 0)
        snprintf(target, sizeof target, "n/a (needs %s)", v->against);
    else
        snprintf(target, sizeof target, "%.3f/%s<=%.2f", v->value, v->against, v->target);
    printf("%-8s %-3s %6" PRIu32 " %6" PRIu32 " %5" PRIu32 " %5" PRIu32 " %5" PRIu32 " %5" PRIu32
           " %3" PRIu32 " %3" PRIu32 " %8.1f %8.1f %8.1f %8.1f %8.1f %7.3f %7.3f %7.3f %-19s %6.2f %5.2f %7.1f  %s %s %s %s\n",
           sc->id, verify ? "yes" : "no", s->requests[1], s->requests[2], s->requests[3],
           s->requests[6], s->set_address, s->erase_sectors, r->sectors_differing,
           r->sectors_needing_erase, s->bytes_down / 1024.0, s->bytes_up / 1024.0,
           r->modelled_us / 1000.0, r->limit_us / 1000.0, r->needed_us / 1000.0, v->ratio,
           v->needed, v->over_floor, target,
           s->blocks_down ? (double)r->block_requests / (double)s->blocks_down : 0.0, v->cpu_pct,
           r->maxrss_bytes / (1024.0 * 1024.0),
           v->value == 0 ? "time:n/a" : v->time_ok ? "time:met" : "time:MISSED",
           v->shape_ok ? "shape:ok" : "shape:BAD", v->cpu_ok ? "cpu:ok" : "cpu:OVER",
           !BENCH_OWN_PEAK ? "mem:n/a" : v->mem_ok ? "mem:ok" : "mem:OVER");
}

static void print_json(const scenario *sc, int verify, int full, const row *r, const verdicts *v)
{
    const mpf_dfu_stats *s = &r->stats;
    printf("{\"bench\":\"flash\",\"scenario\":\"%s\",\"title\":\"%s\",\"chip\":\"%s\","
           "\"boards\":%d,\"verify\":%s,\"skip_unchanged\":%s,\"ok\":%s",
           sc->id, sc->title, sc->chip, r->boards, verify ? "true" : "false",
           full ? "false" : "true", r->ok ? "true" : "false");
    if (!r->ok) {
        printf(",\"error\":\"see table\"}\n");
        return;
    }
    printf(",\"requests\":{\"dnload\":%" PRIu32 ",\"upload\":%" PRIu32 ",\"getstatus\":%" PRIu32
           ",\"clrstatus\":%" PRIu32 ",\"abort\":%" PRIu32 ",\"total\":%" PRIu64 "}",
           s->requests[1], s->requests[2], s->requests[3], s->requests[4], s->requests[6],
           mpf_dfu_stats_total(s));
    printf(",\"set_address\":%" PRIu32 ",\"sectors_erased\":%" PRIu32 ",\"mass_erases\":%" PRIu32
           ",\"sectors_planned\":%" PRIu32 ",\"sectors_differing\":%" PRIu32
           ",\"sectors_needing_erase\":%" PRIu32 ",\"sectors_unchanged\":%" PRIu32
           ",\"sectors_blank\":%" PRIu32 ",\"blocks_down\":%" PRIu32 ",\"blocks_up\":%" PRIu32
           ",\"bytes_down\":%" PRIu64 ",\"bytes_up\":%" PRIu64,
           s->set_address, s->erase_sectors, s->mass_erases, r->sectors_planned,
           r->sectors_differing, r->sectors_needing_erase, s->sectors_unchanged, s->sectors_blank,
           s->blocks_down, s->blocks_up, s->bytes_down, s->bytes_up);
    printf(",\"modelled_us\":%" PRIu64 ",\"device_busy_us\":%" PRIu64 ",\"limit_us\":%" PRIu64
           ",\"needed_us\":%" PRIu64 ",\"floor_us\":%" PRIu64 ",\"x_limit\":%.4f,\"x_needed\":%.4f"
           ",\"x_floor\":%.4f,\"target\":{\"against\":\"%s\",\"value\":%.4f,\"max\":%.2f,"
           "\"met\":%s}",
           r->modelled_us, r->busy_us, r->limit_us, r->needed_us, r->floor_us, v->ratio,
           v->needed, v->over_floor, v->against, v->value, v->target,
           v->time_ok ? "true" : "false");
    printf(",\"write_runs\":%" PRIu32 ",\"write_set_addresses\":%" PRIu32
           ",\"max_requests_per_block\":%" PRIu32 ",\"slept_ms\":%" PRIu64
           ",\"poll_timeouts_ms\":%" PRIu64 ",\"sleeps_beyond_poll\":%" PRIu32
           ",\"early_requests\":%" PRIu32,
           r->write_groups, r->write_set_addresses, r->max_requests_per_block, r->slept_ms,
           r->polled_ms, r->sleeps_beyond_poll, r->early);
    printf(",\"cpu_us\":%" PRIu64 ",\"cpu_pct_of_modelled\":%.4f,\"wall_us\":%" PRIu64
           ",\"maxrss_bytes\":%ld,\"image_bytes\":%" PRIu64 ",\"mem_ok\":%s}\n",
           r->cpu_us, v->cpu_pct, r->wall_us, r->maxrss_bytes, r->image_bytes,
           !BENCH_OWN_PEAK ? "null" : v->mem_ok ? "true" : "false");
}

static int wanted(const scenario *sc, int argc, char **argv)
{
    int any = 0;
    for (int i = 1; i < argc; i++) {
        if (argv[i][0] == '-')
            continue;
        any = 1;
        if (strcmp(argv[i], sc->id) == 0)
            return 1;
    }
    return !any;
}

static row rows[SCENARIO_COUNT][2];
static int have[SCENARIO_COUNT][2];

/* A scenario's row in this verify mode, once measured and good; else NULL. */
static const row *measured(const char *id, int verify)
{
    for (size_t i = 0; i < SCENARIO_COUNT; i++)
        if (strcmp(scenarios[i].id, id) == 0)
            return have[i][verify] && rows[i][verify].ok ? &rows[i][verify] : NULL;
    return NULL;
}

static void judge_row(size_t i, int verify, verdicts *v)
{
    judge(&scenarios[i], &rows[i][verify], measured("a", verify), measured("a-old", verify), v);
}

int main(int argc, char **argv)
{
    int full = 0;
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--full") == 0)
            full = 1;

    printf("mpflash flash benchmark: the engine against the virtual device's timing model "
           "(mpf_timing_stm32f4)%s\n",
           full ? ", skip-unchanged off (--full)" : "");
    printf("model_ms = modelled time (virtual clock); limit_ms = the issue's limit (an erase for "
           "every sector that must change);\nneed_ms = stricter limit (an erase only where one is "
           "needed, plus reading what proves it is not); x_limit, x_need, x_floor = model_ms / "
           "limit, / needed, / protocol floor (definitions: head of bench_flash.c);\nchg = planned "
           "sectors whose contents had to change; nE = of those, the ones that needed an erase; "
           "target = the issue's target; req/bk = requests per data block sent;\ncpu%% = host CPU "
           "time (engine + virtual device) / modelled time; rss = peak RSS of the row's process "
           "(target: image + 4 MiB)\n\n");
    print_header();
    for (int verify = 0; verify <= 1; verify++) {
        for (size_t i = 0; i < SCENARIO_COUNT; i++) {
            if (!wanted(&scenarios[i], argc, argv))
                continue;
            row *r = &rows[i][verify];
            if (measure_in_child(&scenarios[i], verify, full, r) != 0 && !r->error[0]) {
                r->ok = 0;
                snprintf(r->error, sizeof r->error, "the measuring process failed");
            }
            have[i][verify] = 1;
            verdicts v;
            judge_row(i, verify, &v);
            print_row(&scenarios[i], verify, r, &v);
        }
    }
    printf("\n");
    for (int verify = 0; verify <= 1; verify++) {
        for (size_t i = 0; i < SCENARIO_COUNT; i++) {
            if (!have[i][verify])
                continue;
            verdicts v;
            judge_row(i, verify, &v);
            print_json(&scenarios[i], verify, full, &rows[i][verify], &v);
        }
    }
    bench_plain_rows();
    return 0;
}
