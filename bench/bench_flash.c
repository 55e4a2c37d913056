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
 * forked child, so ru_maxrss is that row's own peak.
 *
 * The limit of a scenario, for the chip's prior contents:
 *   erase_us of every planned sector whose contents differ from what a full
 *   flash leaves there (image bytes, 0xFF elsewhere)
 * + program_us + usb_us of every block of image data in those sectors that
 *   is not all 0xFF (a 0xFF block in an erased sector needs no work)
 * + usb_us of reading every block of the planned sectors that already hold
 *   the right bytes (with DfuSe, reading is the only way to know that)
 * + with verify: usb_us of reading back the image data in the sectors that
 *   change.
 * Status round trips, set-address commands and rounding of bwPollTimeout to
 * whole milliseconds are not in it: they are what the host adds.
 *
 * The floor is what any host that obeys bwPollTimeout must add to the limit
 * for the same erases and blocks with DfuSe's 3 requests per operation: for
 * each erase command and each data block, its DNLOAD's setup (the data stage
 * is in the limit), two GETSTATUS round trips, and the device's rounding of
 * the operation time up to whole milliseconds of bwPollTimeout. modelled /
 * floor is the host's own overhead (connect, set-address, reading to check,
 * leaving).
 *
 * usage: bench_flash [--full] [SCENARIO...]   (default: all)
 *   --full  turn skip-unchanged off (what the tool's --full does) */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "mpflash/engine.h"
#include "mpflash/image.h"
#include "mpflash/plan.h"
#include "mpflash/sim.h"
#include "mpflash/timing.h"

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
    IMG_ONE_BYTE,    /* the same with its last byte changed */
    IMG_DENSE_1M,    /* 1 MiB of random bytes from 0x08000000 */
    IMG_BACKUP_1M,   /* 1 MiB whole-flash dump: data with 0xFF gaps */
    IMG_16K          /* 16 KiB of random bytes from 0x08000000 */
} image_kind;

typedef struct scenario {
    const char *id;
    const char *title;
    const char *chip;
    image_kind image;
    int prior_micropython; /* the chip holds IMG_MICROPYTHON before the flash */
    int boards;
} scenario;

static const scenario scenarios[] = {
    {"a", "F401 MicroPython image, fresh chip", "f401", IMG_MICROPYTHON, 0, 1},
    {"b", "same image again on the same chip", "f401", IMG_MICROPYTHON, 1, 1},
    {"c", "one byte changed in the last 128 KiB sector", "f401", IMG_ONE_BYTE, 1, 1},
    {"d", "1 MiB dense image, F405 (whole flash)", "f405", IMG_DENSE_1M, 0, 1},
    {"d-ff", "1 MiB whole-flash dump with 0xFF gaps, F405", "f405", IMG_BACKUP_1M, 0, 1},
    {"e", "16 KiB image, F401", "f401", IMG_16K, 0, 1},
    {"f", "four F401 boards at once (a x4, one thread each)", "f401", IMG_MICROPYTHON, 0, 4},
};
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
        rc = add_random(img, FLASH_BASE, MP_VEC_SIZE, 1, "bench: isr_vector", err);
        if (rc == 0)
            rc = add_random(img, MP_TEXT_ADDR, MP_TEXT_SIZE, 2, "bench: text", err);
        if (rc == 0 && kind == IMG_ONE_BYTE)
            img->segments[1].data[MP_TEXT_SIZE - 1] ^= 0x5A;
        break;
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
                                            meter_sleep, meter_now, meter_close};

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
    uint64_t modelled_us, busy_us, limit_us, floor_us, cpu_us, wall_us;
    uint64_t image_bytes;
    long maxrss_bytes;
    uint32_t sectors_planned, sectors_differing;
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
    const mpf_image *prior;
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

/* The limit in the head comment; `differs` has one flag per planned erase. */
static uint64_t physical_limit(const mpf_plan *p, const uint8_t *differs, int verify)
{
    const mpf_timing *t = mpf_timing_stm32f4();
    const uint16_t ts = p->transfer_size;
    uint64_t us = 0;
    for (size_t i = 0; i < p->erase_count; i++) {
        const mpf_plan_erase *e = &p->erases[i];
        if (differs[i]) {
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
            const mpf_plan_erase *e = sector_of(p, pw->address + (uint32_t)off);
            if (e && !differs[e - p->erases])
                continue;
            if (!all_ff(pw->data + off, n))
                us += mpf_timing_program_us(t, n) + mpf_timing_usb_us(t, n);
            if (verify)
                us += mpf_timing_usb_us(t, n);
        }
    }
    return us;
}

/* The head comment's floor, minus the limit. */
static uint64_t rounding_us(uint64_t op_us)
{
    return (op_us + 999) / 1000 * 1000 - op_us;
}

static uint64_t protocol_overhead(const mpf_plan *p, const uint8_t *differs)
{
    const mpf_timing *t = mpf_timing_stm32f4();
    const uint16_t ts = p->transfer_size;
    const uint64_t status_us = 2 * mpf_timing_usb_us(t, 6);
    uint64_t us = 0;
    for (size_t i = 0; i < p->erase_count; i++)
        if (differs[i])
            us += mpf_timing_usb_us(t, 5) + status_us +
                  rounding_us(mpf_timing_erase_us(t, p->erases[i].size));
    for (size_t w = 0; w < p->write_count; w++) {
        const mpf_plan_write *pw = &p->writes[w];
        for (size_t off = 0; off < pw->size; off += ts) {
            size_t n = pw->size - off < ts ? pw->size - off : ts;
            const mpf_plan_erase *e = sector_of(p, pw->address + (uint32_t)off);
            if ((e && !differs[e - p->erases]) || all_ff(pw->data + off, n))
                continue;
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

static double cpu_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static double wall_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
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

static int run_board(board_job *j)
{
    mpf_error err = {0};
    mpf_sim *sim = NULL;
    mpf_plan plan;
    memset(&plan, 0, sizeof plan);
    mpf_dfu d;
    meter m;
    uint8_t *differs = NULL;
    int rc = -1;
    if (mpf_sim_new(j->sc->chip, &sim, &err) != MPF_OK)
        return job_fail(j, "sim", &err);
    if (j->prior) {
        mpf_plan prior_plan;
        memset(&prior_plan, 0, sizeof prior_plan);
        mpf_err e = flash(sim, j->prior, 0, 1, &m, &d, &prior_plan, &err);
        mpf_plan_free(&prior_plan);
        if (e != MPF_OK) {
            job_fail(j, "flashing the prior image", &err);
            goto out;
        }
        mpf_sim_replug(sim);
    }
    mpf_sim_clear_log(sim);

    /* Which planned sectors differ, judged before the flash, out of band. */
    {
        mpf_transport raw;
        mpf_sim_transport(sim, &raw);
        mpf_plan_options po;
        mpf_plan_options_default(&po);
        if (mpf_plan_build(j->img, &raw.info, &po, &plan, &err) != MPF_OK) {
            job_fail(j, "plan", &err);
            goto out;
        }
        differs = calloc(plan.erase_count ? plan.erase_count : 1, 1);
        if (!differs)
            goto out;
        for (size_t i = 0; i < plan.erase_count; i++) {
            const mpf_plan_erase *e = &plan.erases[i];
            uint8_t *want = malloc(e->size), *got = malloc(e->size);
            if (want && got && mpf_sim_peek(sim, e->address, got, e->size) == 0) {
                expected_bytes(j->img, e->address, e->size, want);
                differs[i] = memcmp(want, got, e->size) != 0;
                j->r.sectors_differing += differs[i];
            }
            free(want);
            free(got);
        }
        j->r.sectors_planned = (uint32_t)plan.erase_count;
        j->r.limit_us = physical_limit(&plan, differs, j->verify);
        j->r.floor_us = j->r.limit_us + protocol_overhead(&plan, differs);
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
    free(differs);
    mpf_plan_free(&plan);
    mpf_sim_free(sim);
    return rc;
}

static void *board_thread(void *arg)
{
    run_board(arg);
    return NULL;
}

/* ---- one row: a scenario in one verify mode, in a child ---------------- */

static void measure(const scenario *sc, int verify, int full, row *out)
{
    mpf_error err = {0};
    mpf_image img, prior;
    mpf_image_init(&prior);
    memset(out, 0, sizeof *out);
    if (build_image(sc->image, &img, &err) != 0 ||
        (sc->prior_micropython && build_image(IMG_MICROPYTHON, &prior, &err) != 0)) {
        snprintf(out->error, sizeof out->error, "image: %.400s", err.message);
        mpf_image_free(&img);
        mpf_image_free(&prior);
        return;
    }
    board_job jobs[MAX_BOARDS];
    memset(jobs, 0, sizeof jobs);
    pthread_t threads[MAX_BOARDS];
    int started[MAX_BOARDS] = {0};
    const int n = sc->boards < MAX_BOARDS ? sc->boards : MAX_BOARDS;

    const double cpu0 = cpu_now_us(), wall0 = wall_now_us();
    for (int i = 0; i < n; i++) {
        jobs[i] = (board_job){sc, &img, sc->prior_micropython ? &prior : NULL, verify, full, {0}};
        if (n == 1)
            run_board(&jobs[i]);
        else
            started[i] = pthread_create(&threads[i], NULL, board_thread, &jobs[i]) == 0;
    }
    for (int i = 0; i < n; i++)
        if (started[i])
            pthread_join(threads[i], NULL);
    const double cpu1 = cpu_now_us(), wall1 = wall_now_us();

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
    out->cpu_us = (uint64_t)(cpu1 - cpu0);
    out->wall_us = (uint64_t)(wall1 - wall0);
    out->image_bytes = mpf_image_total_size(&img);
    mpf_image_free(&img);
    mpf_image_free(&prior);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    out->maxrss_bytes = ru.ru_maxrss * 1024L;
}

static int measure_in_child(const scenario *sc, int verify, int full, row *r)
{
    int fds[2];
    if (pipe(fds) != 0)
        return -1;
    fflush(stdout); /* the child must not inherit unwritten output */
    pid_t pid = fork();
    if (pid < 0) {
        close(fds[0]);
        close(fds[1]);
        return -1;
    }
    if (pid == 0) {
        close(fds[0]);
        row mine;
        measure(sc, verify, full, &mine);
        ssize_t w = write(fds[1], &mine, sizeof mine);
        close(fds[1]);
        _exit(w == (ssize_t)sizeof mine ? 0 : 1);
    }
    close(fds[1]);
    size_t got = 0;
    while (got < sizeof *r) {
        ssize_t k = read(fds[0], (char *)r + got, sizeof *r - got);
        if (k <= 0)
            break;
        got += (size_t)k;
    }
    close(fds[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    return got == sizeof *r ? 0 : -1;
}

/* ---- the report ------------------------------------------------------------ */

typedef struct verdicts {
    double target;   /* modelled / limit, or / (a) */
    double value;
    const char *against; /* "limit" or "a" */
    int time_ok, cpu_ok, mem_ok, shape_ok;
    double cpu_pct, ratio, over_floor;
} verdicts;

static void judge(const scenario *sc, const row *r, const row *a, verdicts *v)
{
    memset(v, 0, sizeof *v);
    v->ratio = r->limit_us ? (double)r->modelled_us / (double)r->limit_us : 0;
    v->over_floor = r->floor_us ? (double)r->modelled_us / (double)r->floor_us : 0;
    v->cpu_pct = r->modelled_us ? 100.0 * (double)r->cpu_us / (double)r->modelled_us : 0;
    v->cpu_ok = v->cpu_pct < 2.0;
    v->mem_ok = r->maxrss_bytes <= (long)(r->image_bytes + MEM_SLACK);
    /* One set-address per run of blocks, 3 requests a block, no oversleeping. */
    v->shape_ok = r->write_set_addresses == r->write_groups &&
                  (r->max_requests_per_block == 0 || r->max_requests_per_block == 3) &&
                  r->sleeps_beyond_poll == 0 && r->early == 0;
    const char *id = sc->id;
    if (strcmp(id, "b") == 0 || strcmp(id, "c") == 0 || strcmp(id, "f") == 0) {
        v->against = "a";
        v->target = strcmp(id, "b") == 0 ? 0.12 : strcmp(id, "c") == 0 ? 0.45 : 1.10;
        v->value = a && a->modelled_us ? (double)r->modelled_us / (double)a->modelled_us : 0;
    } else {
        v->against = "limit";
        v->target = 1.03;
        v->value = v->ratio;
    }
    v->time_ok = v->value > 0 && v->value <= v->target;
}

static void print_header(void)
{
    printf("%-5s %-3s %6s %6s %6s %5s %5s %5s %3s %8s %8s %9s %9s %7s %7s %-17s %6s %5s %7s  %s\n",
           "scen", "vfy", "DNLOAD", "UPLOAD", "GETST", "ABORT", "SETAD", "ERASE", "chg",
           "KiB_down", "KiB_up", "model_ms", "limit_ms", "x_limit", "x_floor", "target",
           "req/bk", "cpu%", "rss_MiB", "checks");
}

static void print_row(const scenario *sc, int verify, const row *r, const verdicts *v)
{
    if (!r->ok) {
        printf("%-5s %-3s ERROR: %s\n", sc->id, verify ? "yes" : "no", r->error);
        return;
    }
    const mpf_dfu_stats *s = &r->stats;
    char target[32];
    if (strcmp(v->against, "a") == 0 && v->value == 0)
        snprintf(target, sizeof target, "n/a (needs a)");
    else
        snprintf(target, sizeof target, "%.3f/%s<=%.2f", v->value, v->against, v->target);
    printf("%-5s %-3s %6" PRIu32 " %6" PRIu32 " %6" PRIu32 " %5" PRIu32 " %5" PRIu32 " %5" PRIu32
           " %3" PRIu32 " %8.1f %8.1f %9.1f %9.1f %7.3f %7.3f %-17s %6.2f %5.2f %7.1f  %s %s %s %s\n",
           sc->id, verify ? "yes" : "no", s->requests[1], s->requests[2], s->requests[3],
           s->requests[6], s->set_address, s->erase_sectors, r->sectors_differing,
           s->bytes_down / 1024.0, s->bytes_up / 1024.0, r->modelled_us / 1000.0,
           r->limit_us / 1000.0, v->ratio, v->over_floor, target,
           s->blocks_down ? (double)r->block_requests / (double)s->blocks_down : 0.0, v->cpu_pct,
           r->maxrss_bytes / (1024.0 * 1024.0),
           v->value == 0 ? "time:n/a" : v->time_ok ? "time:met" : "time:MISSED",
           v->shape_ok ? "shape:ok" : "shape:BAD", v->cpu_ok ? "cpu:ok" : "cpu:OVER",
           v->mem_ok ? "mem:ok" : "mem:OVER");
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
           ",\"blocks_down\":%" PRIu32 ",\"blocks_up\":%" PRIu32 ",\"bytes_down\":%" PRIu64
           ",\"bytes_up\":%" PRIu64,
           s->set_address, s->erase_sectors, s->mass_erases, r->sectors_planned,
           r->sectors_differing, s->blocks_down, s->blocks_up, s->bytes_down, s->bytes_up);
    printf(",\"modelled_us\":%" PRIu64 ",\"device_busy_us\":%" PRIu64 ",\"limit_us\":%" PRIu64
           ",\"floor_us\":%" PRIu64 ",\"ratio_to_limit\":%.4f,\"ratio_to_floor\":%.4f,\"target\":{\"against\":\"%s\",\"value\":%.4f,\"max\":%.2f,"
           "\"met\":%s}",
           r->modelled_us, r->busy_us, r->limit_us, r->floor_us, v->ratio, v->over_floor, v->against, v->value, v->target,
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
           v->mem_ok ? "true" : "false");
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

int main(int argc, char **argv)
{
    int full = 0;
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--full") == 0)
            full = 1;
    static row rows[SCENARIO_COUNT][2];
    int have[SCENARIO_COUNT][2] = {{0}};

    printf("mpflash flash benchmark: the engine against the virtual device's timing model "
           "(mpf_timing_stm32f4)%s\n",
           full ? ", skip-unchanged off (--full)" : "");
    printf("model_ms = modelled time (virtual clock); limit_ms = physical limit; x_limit, "
           "x_floor = model_ms / limit, / protocol floor (definitions: head of bench_flash.c);\n"
           "chg = planned sectors whose contents had to change; target = the issue's target; "
           "req/bk = requests per data block sent;\ncpu%% = host CPU time (engine + virtual "
           "device) / modelled time; rss = peak RSS of the row's process (target: image + 4 "
           "MiB)\n\n");
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
            judge(&scenarios[i], r, have[0][verify] && rows[0][verify].ok ? &rows[0][verify] : NULL,
                  &v);
            print_row(&scenarios[i], verify, r, &v);
        }
    }
    printf("\n");
    for (int verify = 0; verify <= 1; verify++) {
        for (size_t i = 0; i < SCENARIO_COUNT; i++) {
            if (!have[i][verify])
                continue;
            verdicts v;
            judge(&scenarios[i], &rows[i][verify],
                  have[0][verify] && rows[0][verify].ok ? &rows[0][verify] : NULL, &v);
            print_json(&scenarios[i], verify, full, &rows[i][verify], &v);
        }
    }
    return 0;
}
