/* Plain DFU 1.1 download benchmark rows. The device's limit is what DFU 1.1
 * itself costs on that device, from the same timing table the virtual
 * device uses:
 *   for every block: the USB time of the DNLOAD carrying it and of the two
 *   GETSTATUS the protocol needs (the first starts the write and returns
 *   bwPollTimeout, the second finds it done), plus that bwPollTimeout;
 * + the zero-length DNLOAD, its two GETSTATUS and the manifestation's
 *   bwPollTimeout.
 * modelled / limit is what the host adds (connect, selecting the alt, the
 * reset); the target is 1.03. */
#include "plain_rows.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mpflash/engine.h"
#include "mpflash/plan.h"
#include "mpflash/sim.h"
#include "mpflash/timing.h"

#define IMAGE_BYTES (1536u * 1024u)

typedef struct plain_case {
    const char *chip;
    uint32_t poll_block_ms, poll_manifest_ms; /* what the board reports (src/sim/plain_boards.c) */
    int final_detach;
} plain_case;

static const plain_case cases[] = {
    {"nano-esp32", 10, 100, 0},
    {"portenta-c33", 0, 0, 1},
};

static uint64_t limit_us(const plain_case *c, uint16_t ts)
{
    const mpf_timing *t = mpf_timing_stm32f4();
    uint64_t blocks = (IMAGE_BYTES + ts - 1u) / ts, us = 0;
    for (uint64_t i = 0; i < blocks; i++) {
        uint64_t n = i + 1 < blocks ? ts : IMAGE_BYTES - i * ts;
        us += mpf_timing_usb_us(t, n) + 2 * mpf_timing_usb_us(t, 6) + (uint64_t)c->poll_block_ms * 1000u;
    }
    return us + mpf_timing_usb_us(t, 0) + 2 * mpf_timing_usb_us(t, 6) + (uint64_t)c->poll_manifest_ms * 1000u;
}

static int one_row(const plain_case *c)
{
    mpf_error err;
    mpf_error_clear(&err);
    mpf_sim *sim = NULL;
    if (mpf_sim_new(c->chip, &sim, &err) != MPF_OK) {
        printf("%-14s error: %s\n", c->chip, err.message);
        return -1;
    }
    uint8_t *data = malloc(IMAGE_BYTES);
    mpf_image img;
    mpf_image_init(&img);
    mpf_plan plan;
    memset(&plan, 0, sizeof plan);
    mpf_dfu *d = NULL;
    int ok = data != NULL;
    for (uint32_t i = 0, x = 7; ok && i < IMAGE_BYTES; i++) {
        x = x * 1103515245u + 12345u;
        data[i] = (uint8_t)(x >> 16);
    }
    if (ok)
        data[0] = 0xE9; /* the Nano ESP32 takes ESP-IDF images */
    mpf_transport t;
    mpf_sim_transport(sim, &t);
    mpf_plan_options po;
    mpf_plan_options_default(&po);
    po.verify = 0;
    po.final_detach = c->final_detach;
    po.poll_ms = c->poll_block_ms;
    ok = ok && mpf_image_add(&img, 0, 0, data, IMAGE_BYTES, "bench.bin", &err) == MPF_OK &&
         mpf_plan_build(&img, &t.info, &po, &plan, &err) == MPF_OK;
    uint64_t start = mpf_sim_clock_us(sim);
    ok = ok && mpf_dfu_new(&t, NULL, &d, &err) == MPF_OK && mpf_dfu_flash_ex(d, &plan, NULL, &err) == MPF_OK;
    uint64_t model = mpf_sim_clock_us(sim) - start;
    uint8_t *back = ok ? malloc(IMAGE_BYTES) : NULL;
    ok = ok && back && mpf_sim_peek(sim, 0x00010000u, back, IMAGE_BYTES) == 0 &&
         memcmp(back, data, IMAGE_BYTES) == 0;
    if (ok) {
        const mpf_dfu_stats *s = mpf_dfu_get_stats(d);
        uint64_t limit = limit_us(c, t.info.func.transfer_size);
        double x = (double)model / (double)limit;
        printf("%-14s %8u %6" PRIu32 " %9.1f %9.1f %7.4f %6s %6" PRIu64 " %8" PRIu64 " %7u\n", c->chip,
               (unsigned)t.info.func.transfer_size, s->blocks_down, model / 1000.0, limit / 1000.0, x,
               x <= 1.03 ? "met" : "MISSED", mpf_dfu_stats_total(s), s->slept_ms,
               (unsigned)mpf_sim_early_count(sim));
        printf("{\"bench\":\"plain\",\"chip\":\"%s\",\"bytes\":%u,\"transfer_size\":%u,\"blocks\":%" PRIu32
               ",\"model_us\":%" PRIu64 ",\"limit_us\":%" PRIu64 ",\"x_limit\":%.4f,\"requests\":%" PRIu64
               ",\"slept_ms\":%" PRIu64 ",\"early\":%u}\n",
               c->chip, IMAGE_BYTES, (unsigned)t.info.func.transfer_size, s->blocks_down, model, limit, x,
               mpf_dfu_stats_total(s), s->slept_ms, (unsigned)mpf_sim_early_count(sim));
    } else {
        printf("%-14s error: %s\n", c->chip, err.message[0] ? err.message : "the board holds other bytes");
    }
    free(back);
    mpf_dfu_close(d);
    mpf_plan_free(&plan);
    mpf_image_free(&img);
    free(data);
    mpf_sim_free(sim);
    return ok ? 0 : -1;
}

int bench_plain_rows(void)
{
    printf("\nplain DFU 1.1: a 1.5 MiB download (no verify: neither board reads back); limit = per block the "
           "DNLOAD, two GETSTATUS and the\nbwPollTimeout the board reports, plus the manifestation "
           "(definition: head of bench/plain_rows.c); target x_limit <= 1.03\n");
    printf("%-14s %8s %6s %9s %9s %7s %6s %6s %8s %7s\n", "board", "wXfer", "blocks", "model_ms", "limit_ms",
           "x_limit", "target", "req", "slept_ms", "early");
    int rc = 0;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        rc |= one_row(&cases[i]);
    return rc;
}
