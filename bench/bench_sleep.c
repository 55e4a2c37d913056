/* Sleep benchmark: how much the host's own sleep (mpf_host_sleep_us, the
 * one the libusb transport waits bwPollTimeout with) adds to a flash, on
 * this system. The other benches run the virtual board on its virtual
 * clock, where a sleep costs nothing real; this one sleeps for real. A
 * report, not a test: it always exits 0.
 *
 * Each row sleeps through one mpf_sleep_tail, as the libusb transport does,
 * so on Windows the spin learns the timer as it would in a flash.
 *
 * Part 1, the sleep itself: 1, 2, 5, 10 and 25 ms asked, about half a
 * second of each; the mean, median, 90th percentile and worst time taken
 * (monotonic clock), the lateness against the asked time, and the CPU the
 * process used while sleeping, as a share of the time slept (a sleep that
 * spins shows here).
 *
 * Part 2, a flash in real time: the real engine flashes a MicroPython-shaped
 * image (1,088 B + 298 KiB, and a 16 KiB one) onto the virtual F401, whose
 * device and USB times stay modelled (virtual clock), while every sleep the
 * engine asks for (the device's bwPollTimeout) is also slept for real with
 * the host sleep. Then
 *   host_ms  = wall time of the flash - the sleeps asked: what the host
 *              adds (its CPU time, and how late its sleeps wake);
 *   real_ms  = modelled time + host_ms: the flash as a board with the
 *              modelled timing would take with this host;
 *   x_host   = real_ms / modelled time;
 *   x_sleep  = the time the sleeps took / the time asked (precision alone).
 * f401-256 is the 16 KiB flash with wTransferSize 256: 2 ms polls, the
 * short ones where a late sleep weighs most.
 * The check, across systems: x_host of the Windows build within 3%
 * of Linux's (bench/RESULTS.md, "Windows").
 *
 * usage: bench_sleep [--quick]   (--quick: fewer sleeps, only the 16 KiB flashes) */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/dfu_session.h"
#include "fixtures.h"
#include "passthrough_transport.h"
#include "mpflash/engine.h"
#include "mpflash/image.h"
#include "mpflash/plan.h"
#include "mpflash/sim.h"
#include "platform/clock.h"
#include "platform/proc_usage.h"

#if defined(_WIN32)
#define SYSTEM_NAME "Windows"
#elif defined(__linux__)
#define SYSTEM_NAME "Linux"
#else
#define SYSTEM_NAME "POSIX"
#endif

/* ---- part 1: the sleep ---------------------------------------------------- */

#define MAX_SLEEPS 500u

typedef struct sleep_row {
    uint32_t asked_ms, count;
    double mean_ms, p50_ms, p90_ms, max_ms, cpu_pct;
} sleep_row;

static int cmp_double(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static sleep_row measure_sleep(uint32_t ms, uint32_t count)
{
    static double took[MAX_SLEEPS];
    if (count > MAX_SLEEPS)
        count = MAX_SLEEPS;
    sleep_row r = {.asked_ms = ms, .count = count};
    mpf_sleep_tail tail; /* one sleeper, as a transport is: it learns its timer */
    mpf_sleep_tail_init(&tail);
    const uint64_t cpu0 = mpf_proc_cpu_us(), wall0 = mpf_host_now_us();
    for (uint32_t i = 0; i < count; i++) {
        const uint64_t t0 = mpf_host_now_us();
        mpf_host_sleep_tail_us(&tail, (uint64_t)ms * 1000u);
        took[i] = (double)(mpf_host_now_us() - t0) / 1000.0;
    }
    const uint64_t wall = mpf_host_now_us() - wall0, cpu = mpf_proc_cpu_us() - cpu0;
    qsort(took, count, sizeof *took, cmp_double);
    r.mean_ms = (double)wall / 1000.0 / count;
    r.p50_ms = took[count / 2];
    r.p90_ms = took[count * 9 / 10];
    r.max_ms = took[count - 1];
    r.cpu_pct = wall ? 100.0 * (double)cpu / (double)wall : 0;
    return r;
}

/* ---- part 2: a flash that sleeps for real --------------------------------- */

/* Wraps the virtual board's transport: sleeps advance its virtual clock (as
 * always) and are also slept for real, timed one by one. */
typedef struct real_sleeps {
    passthrough p; /* first: the transport's ctx */
    mpf_sleep_tail tail; /* as the libusb transport keeps it */
    uint64_t asked_us, taken_us;
    uint32_t count;
} real_sleeps;

static void real_sleep(void *ctx, uint32_t ms)
{
    real_sleeps *s = ctx;
    const uint64_t t0 = mpf_host_now_us();
    mpf_host_sleep_tail_us(&s->tail, (uint64_t)ms * 1000u);
    s->taken_us += mpf_host_now_us() - t0;
    s->asked_us += (uint64_t)ms * 1000u;
    s->count++;
    s->p.inner.ops->sleep_ms(s->p.inner.ctx, ms);
}

typedef struct flash_row {
    const char *name;
    size_t text_size;
    uint16_t transfer_size; /* 0: the chip's 2048 */
    int ok;
    char error[MPF_ERROR_MESSAGE_MAX];
    uint64_t modelled_us, wall_us, cpu_us;
    real_sleeps sleeps;
} flash_row;

static void flash_real_time(flash_row *r)
{
    mpf_error err = {0};
    mpf_image img;
    mpf_image_init(&img);
    mpf_sim *sim = NULL;
    mpf_plan plan;
    memset(&plan, 0, sizeof plan);
    if (fixture_micropython_image(&img, r->text_size, 7) != 0 ||
        mpf_image_normalize(&img, &err) != MPF_OK) {
        snprintf(r->error, sizeof r->error, "image: %.200s", err.message[0] ? err.message : "no memory");
        goto out;
    }
    if (mpf_sim_new("f401", &sim, &err) != MPF_OK)
        goto fail;
    if (r->transfer_size)
        mpf_sim_set_transfer_size(sim, r->transfer_size);
    mpf_transport raw, t;
    mpf_sim_transport(sim, &raw);
    memset(&r->sleeps, 0, sizeof r->sleeps);
    mpf_sleep_tail_init(&r->sleeps.tail);
    passthrough_wrap(&r->sleeps.p, &raw, &t, NULL, NULL);
    r->sleeps.p.ops.sleep_ms = real_sleep;
    mpf_plan_options po;
    mpf_plan_options_default(&po);
    po.verify = 0;
    if (mpf_plan_build(&img, &t.info, &po, &plan, &err) != MPF_OK)
        goto fail;
    const uint64_t clock0 = mpf_sim_clock_us(sim);
    const uint64_t cpu0 = mpf_proc_cpu_us(), wall0 = mpf_host_now_us();
    mpf_dfu d;
    mpf_dfu_flash_options fo;
    mpf_dfu_flash_options_default(&fo);
    if (mpf_dfu_open(&d, &t, NULL, &err) != MPF_OK || mpf_dfu_flash_ex(&d, &plan, &fo, &err) != MPF_OK)
        goto fail;
    r->wall_us = mpf_host_now_us() - wall0;
    r->cpu_us = mpf_proc_cpu_us() - cpu0;
    r->modelled_us = mpf_sim_clock_us(sim) - clock0;
    uint8_t got[64], want[64];
    const mpf_segment *last = &img.segments[img.count - 1];
    if (mpf_sim_peek(sim, last->address + (uint32_t)last->size - sizeof got, got, sizeof got) != 0 ||
        (memcpy(want, last->data + last->size - sizeof want, sizeof want),
         memcmp(got, want, sizeof got) != 0)) {
        snprintf(r->error, sizeof r->error, "the board does not hold the image's last bytes");
        goto out;
    }
    r->ok = 1;
    goto out;
fail:
    snprintf(r->error, sizeof r->error, "%.400s", err.message);
out:
    mpf_plan_free(&plan);
    mpf_sim_free(sim);
    mpf_image_free(&img);
}

int main(int argc, char **argv)
{
    const int quick = argc > 1 && strcmp(argv[1], "--quick") == 0;
    printf("mpflash sleep benchmark (%s build): the host sleep, and a flash of the virtual F401 "
           "that sleeps its poll timeouts for real\n\n",
           SYSTEM_NAME);
    printf("%-8s %6s %9s %9s %9s %8s %8s %8s %7s\n", "asked_ms", "count", "mean_ms", "late_ms",
           "late%", "p50_ms", "p90_ms", "max_ms", "cpu%");
    static const uint32_t asked[] = {1, 2, 5, 10, 25};
    sleep_row rows[5];
    for (size_t i = 0; i < 5; i++) {
        const uint32_t count = (quick ? 100u : 500u) / asked[i];
        rows[i] = measure_sleep(asked[i], count ? count : 1);
        const sleep_row *s = &rows[i];
        printf("%-8" PRIu32 " %6" PRIu32 " %9.3f %9.3f %8.1f%% %8.3f %8.3f %8.3f %6.1f%%\n",
               s->asked_ms, s->count, s->mean_ms, s->mean_ms - s->asked_ms,
               100.0 * (s->mean_ms - s->asked_ms) / s->asked_ms, s->p50_ms, s->p90_ms, s->max_ms,
               s->cpu_pct);
    }

    flash_row flashes[] = {{.name = "f401-mp", .text_size = 0},
                           {.name = "f401-16k", .text_size = 16u * 1024u},
                           {.name = "f401-256", .text_size = 16u * 1024u, .transfer_size = 256}};
    const size_t first = quick ? 1 : 0, nflash = sizeof flashes / sizeof flashes[0];
    printf("\n%-9s %6s %10s %10s %10s %9s %8s %9s %9s %8s %7s\n", "flash", "sleeps", "model_ms",
           "asked_ms", "wall_ms", "late_ms", "x_sleep", "host_ms", "real_ms", "x_host", "cpu%");
    for (size_t i = first; i < nflash; i++) {
        flash_row *r = &flashes[i];
        flash_real_time(r);
        if (!r->ok) {
            printf("%-9s ERROR: %s\n", r->name, r->error);
            continue;
        }
        const double asked_ms = (double)r->sleeps.asked_us / 1000.0;
        const double wall_ms = (double)r->wall_us / 1000.0, model_ms = r->modelled_us / 1000.0;
        const double host_ms = wall_ms - asked_ms;
        printf("%-9s %6" PRIu32 " %10.1f %10.1f %10.1f %9.1f %8.4f %9.1f %9.1f %8.4f %6.1f%%\n",
               r->name, r->sleeps.count, model_ms, asked_ms, wall_ms,
               (double)(r->sleeps.taken_us - r->sleeps.asked_us) / 1000.0,
               r->sleeps.asked_us ? (double)r->sleeps.taken_us / (double)r->sleeps.asked_us : 0,
               host_ms,
               model_ms + host_ms, (model_ms + host_ms) / model_ms,
               r->wall_us ? 100.0 * (double)r->cpu_us / (double)r->wall_us : 0);
    }

    printf("\n{\"bench\":\"sleep\",\"system\":\"%s\",\"sleeps\":[", SYSTEM_NAME);
    for (size_t i = 0; i < 5; i++)
        printf("%s{\"asked_ms\":%" PRIu32 ",\"count\":%" PRIu32
               ",\"mean_ms\":%.4f,\"p50_ms\":%.4f,\"p90_ms\":%.4f,\"max_ms\":%.4f"
               ",\"cpu_pct\":%.2f}",
               i ? "," : "", rows[i].asked_ms, rows[i].count, rows[i].mean_ms, rows[i].p50_ms,
               rows[i].p90_ms, rows[i].max_ms, rows[i].cpu_pct);
    printf("],\"flashes\":[");
    for (size_t i = first; i < nflash; i++) {
        const flash_row *r = &flashes[i];
        printf("%s{\"name\":\"%s\",\"ok\":%s", i > first ? "," : "", r->name,
               r->ok ? "true" : "false");
        if (r->ok)
            printf(",\"sleeps\":%" PRIu32 ",\"modelled_us\":%" PRIu64 ",\"asked_us\":%" PRIu64
                   ",\"taken_us\":%" PRIu64 ",\"wall_us\":%" PRIu64 ",\"cpu_us\":%" PRIu64,
                   r->sleeps.count, r->modelled_us, r->sleeps.asked_us, r->sleeps.taken_us,
                   r->wall_us, r->cpu_us);
        printf("}");
    }
    printf("]}\n");
    return 0;
}
