/* Family benchmark: the engine on every family's virtual chip (src/sim),
 * with a MicroPython-shaped image (1,088 B vector table + 298 KiB text, as
 * each family's boards link it), no verify. A report, not a test: exits 0.
 *
 * Part 1, in-process on the virtual clock (exact, repeatable):
 *   fresh     the image onto a blank chip; x_limit = modelled / limit, where
 *             limit is the formula with the family's timing (an
 *             erase for every planned sector that differs from what a full
 *             flash leaves + program and USB time of its non-0xFF blocks);
 *             target <= 1.03
 *   old       the image onto a chip holding an older firmware (every
 *             planned sector erased): the reference for the next two
 *   unchanged the image again onto a chip holding it; target <= 0.12 x old
 *   one-sect  the image with one byte changed; target <= 0.45 x old
 *   estimate  --dry-run's forecast of the flash over the older firmware
 *             (mpf_dfu_forecast: the flash's own check, reading only, and
 *             the decisions priced) against that flash; target +-15%
 *   holes     the image onto a chip holding it with bytes 8..31 of every
 *             64-byte block of the text blank (skip-unchanged), against the
 *             same with every sector erased (--full); no target: where
 *             every sector needs its erase, skip-unchanged costs its reading
 *
 * Part 2, against dfu-util 0.11 on the same virtual chips: both binaries run
 * unchanged with libfakeusb.so preloaded (the virtual board behind libusb,
 * modelled timing on), flashing the text as a raw binary with
 * `-a 0 -d 0483:df11 -s ADDR:leave -D text.bin` (mpflash adds --no-verify;
 * dfu-util does not verify) onto a chip holding an older firmware; the
 * figure is the virtual clock the board reports when it is closed. Real
 * sleeps do not move that clock (a request that arrives while the board is
 * busy waits for it), so it measures requests and device work only. Skipped
 * when dfu-util, the preload or the mpflash binary is missing, and on
 * Windows (the preload is a Linux LD_PRELOAD library).
 *
 * usage: bench_families [CHIP...]   (default: all) */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifndef _WIN32
#include <sys/wait.h>
#include <unistd.h>
#endif

#include "mpflash/chip.h"
#include "mpflash/engine.h"
#include "mpflash/image.h"
#include "mpflash/plan.h"
#include "mpflash/sim.h"

#define KIB 1024u
#define FLASH 0x08000000u
#define VEC_SIZE 1088u
#define TEXT_SIZE (298u * KIB)

typedef struct family {
    const char *chip;
    uint32_t vector; /* 0: none apart (mboot owns 0x08000000, or the H5's text starts there) */
    uint32_t text;
} family;

static const family families[] = {
    {"f405", FLASH, 0x08020000u},       {"f722", FLASH, 0x08020000u},
    {"f767", FLASH, 0x08020000u},       {"h743", FLASH, 0x08040000u},
    {"h7b3", FLASH, 0x08040000u},       {"l476", FLASH, 0x08004000u},
    {"g0b1", FLASH, 0x08004000u},       {"g474", FLASH, 0x08004000u},
    {"wb55", FLASH, 0x08004000u},       {"u575", FLASH, 0x08010000u},
    {"mboot-f767", 0, 0x08020000u},     {"mboot-h743", 0, 0x08040000u},
    {"mboot-g0b1", 0, 0x08008000u},     {"mboot-wb55", 0, 0x08008000u},
    /* Dual bank (the text stays in bank 1, as MicroPython links it). */
    {"f429", FLASH, 0x08020000u},       {"l4r5", FLASH, 0x08004000u},
    {"l4r5-1bank", FLASH, 0x08004000u}, {"h563", 0, FLASH},
    {"mboot-h563", 0, 0x08008000u},
};
#define FAMILY_COUNT (sizeof families / sizeof families[0])

static void fill(uint8_t *b, size_t n, uint32_t seed)
{
    uint32_t x = seed ? seed : 1u;
    for (size_t i = 0; i < n; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        b[i] = (uint8_t)(x >> 24);
    }
}

/* change_one: one byte of the text changed; holes: bytes 8..31 of every
 * 64-byte block of the text left 0xFF (notes/qa.md's holes.bin). */
static int image_of(mpf_image *img, const family *f, uint32_t seed, int change_one, int holes)
{
    mpf_image_init(img);
    uint8_t *v = f->vector ? malloc(VEC_SIZE) : NULL, *t = malloc(TEXT_SIZE);
    if ((f->vector && !v) || !t) {
        free(v);
        free(t);
        return -1;
    }
    fill(t, TEXT_SIZE, seed + 1);
    if (change_one)
        t[TEXT_SIZE - 1] ^= 0x5A;
    for (uint32_t at = 0; holes && at < TEXT_SIZE; at += 64)
        memset(t + at + 8, 0xFF, 24);
    if (v) {
        fill(v, VEC_SIZE, seed);
        if (mpf_image_add_owned(img, 0, f->vector, v, VEC_SIZE, "vectors", NULL) != MPF_OK) {
            free(t);
            return -1;
        }
    }
    if (mpf_image_add_owned(img, 0, f->text, t, TEXT_SIZE, "text", NULL) != MPF_OK)
        return -1;
    return mpf_image_normalize(img, NULL) == MPF_OK ? 0 : -1;
}

/* The sim's transport and the plan for img on it (no verify). */
static int plan_for(mpf_sim *sim, const mpf_image *img, mpf_transport *t, mpf_plan *plan)
{
    mpf_sim_transport(sim, t);
    mpf_plan_options po;
    mpf_plan_options_default(&po);
    po.verify = 0;
    mpf_error err;
    if (mpf_plan_build(img, &t->info, &po, plan, &err) != MPF_OK) {
        fprintf(stderr, "plan: %s\n", err.message);
        return -1;
    }
    return 0;
}

/* One flash; *us = modelled time; plan kept in *plan. */
static int flash(mpf_sim *sim, const mpf_image *img, int skip, mpf_plan *plan, uint64_t *us,
                 mpf_dfu_stats *stats)
{
    mpf_transport t;
    mpf_error err;
    if (plan_for(sim, img, &t, plan) != 0)
        return -1;
    mpf_dfu *d = NULL;
    const uint64_t t0 = mpf_sim_clock_us(sim);
    if (mpf_dfu_new(&t, NULL, &d, &err) != MPF_OK) {
        fprintf(stderr, "open: %s\n", err.message);
        return -1;
    }
    mpf_dfu_flash_options fo;
    mpf_dfu_flash_options_default(&fo);
    fo.skip_unchanged = skip;
    mpf_err rc = mpf_dfu_flash_ex(d, plan, &fo, &err);
    if (stats)
        *stats = *mpf_dfu_get_stats(d);
    mpf_dfu_close(d);
    *us = mpf_sim_clock_us(sim) - t0;
    mpf_sim_replug(sim);
    if (rc != MPF_OK)
        fprintf(stderr, "flash: %s\n", err.message);
    return rc == MPF_OK ? 0 : -1;
}

/* What --dry-run says the skip-unchanged flash of img will take: the
 * flash's own check, reading only (mpf_dfu_forecast). */
static int forecast(mpf_sim *sim, const mpf_image *img, uint64_t *us)
{
    mpf_transport t;
    mpf_error err;
    mpf_plan p;
    if (plan_for(sim, img, &t, &p) != 0)
        return -1;
    uint8_t *actions = calloc(p.erase_count ? p.erase_count : 1, 1);
    mpf_dfu *d = NULL;
    mpf_flash_forecast fc;
    int ok = actions && mpf_dfu_new(&t, NULL, &d, &err) == MPF_OK &&
             mpf_dfu_forecast(d, &p, actions, &fc, &err) == MPF_OK && fc.checked;
    if (d)
        mpf_dfu_close(d);
    mpf_sim_replug(sim);
    free(actions);
    mpf_plan_free(&p);
    *us = ok ? fc.estimated_us : 0;
    return ok ? 0 : -1;
}

static int all_ff(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != 0xFF)
            return 0;
    return 1;
}

/* The limit on a blank chip: an erase for every planned sector
 * (blank differs from a full flash's result wherever the image has data),
 * program and USB time of every block of image data that is not 0xFF. */
static uint64_t limit_blank(const mpf_plan *p, const mpf_timing *t)
{
    uint64_t us = 0;
    for (size_t i = 0; i < p->erase_count; i++)
        us += mpf_timing_erase_us(t, p->erases[i].size);
    for (size_t w = 0; w < p->write_count; w++)
        for (size_t off = 0; off < p->writes[w].size; off += p->transfer_size) {
            size_t n = p->writes[w].size - off;
            if (n > p->transfer_size)
                n = p->transfer_size;
            if (!all_ff(p->writes[w].data + off, n))
                us += mpf_timing_program_us(t, n) + mpf_timing_usb_us(t, n);
        }
    return us;
}

static mpf_sim *sim_holding(const char *chip, const mpf_image *prior)
{
    mpf_sim *sim = NULL;
    if (mpf_sim_new(chip, &sim, NULL) != MPF_OK)
        return NULL;
    if (prior) {
        mpf_plan p;
        uint64_t us;
        mpf_sim_set_timing(sim, 0);
        int rc = flash(sim, prior, 0, &p, &us, NULL);
        mpf_plan_free(&p);
        mpf_sim_set_timing(sim, 1);
        if (rc != 0) {
            mpf_sim_free(sim);
            return NULL;
        }
    }
    return sim;
}

static const char *mark(int met)
{
    return met ? "met" : "MISSED";
}

/* A fresh virtual chip holding prior (flashed in full, clock off), then img
 * flashed with or without skip-unchanged: its modelled time. */
static int flash_over(const family *f, const mpf_image *prior, const mpf_image *img, int skip,
                      uint64_t *us)
{
    mpf_plan p;
    mpf_sim *sim = sim_holding(f->chip, prior);
    int ok = sim && flash(sim, img, skip, &p, us, NULL) == 0;
    if (ok)
        mpf_plan_free(&p);
    mpf_sim_free(sim);
    return ok ? 0 : -1;
}

static void in_process(const family *f)
{
    mpf_image img, old, one, holes;
    if (image_of(&img, f, 1, 0, 0) || image_of(&old, f, 5, 0, 0) || image_of(&one, f, 1, 1, 0) ||
        image_of(&holes, f, 1, 0, 1)) {
        printf("%-11s image: out of memory\n", f->chip);
        return;
    }
    uint64_t fresh_us = 0, old_us = 0, same_us = 0, one_us = 0, limit = 0, estimate = 0;
    uint64_t holes_us = 0, holes_full_us = 0;
    mpf_dfu_stats st_fresh, st_same, st_one;
    const char *profile = "?";
    int ok = 1;
    mpf_plan p;
    mpf_sim *sim = sim_holding(f->chip, NULL);
    ok = sim && flash(sim, &img, 1, &p, &fresh_us, &st_fresh) == 0;
    if (ok) {
        limit = limit_blank(&p, &p.chip->typical);
        profile = p.chip->name;
        mpf_plan_free(&p);
    }
    mpf_sim_free(sim);
    sim = ok ? sim_holding(f->chip, &old) : NULL;
    ok = sim && forecast(sim, &img, &estimate) == 0;
    ok = ok && flash(sim, &img, 1, &p, &old_us, NULL) == 0;
    if (ok)
        mpf_plan_free(&p);
    ok = ok && flash(sim, &img, 1, &p, &same_us, &st_same) == 0;
    if (ok)
        mpf_plan_free(&p);
    ok = ok && flash(sim, &one, 1, &p, &one_us, &st_one) == 0;
    if (ok)
        mpf_plan_free(&p);
    mpf_sim_free(sim);
    ok = ok && flash_over(f, &holes, &img, 1, &holes_us) == 0 &&
         flash_over(f, &holes, &img, 0, &holes_full_us) == 0;
    mpf_image_free(&img);
    mpf_image_free(&old);
    mpf_image_free(&one);
    mpf_image_free(&holes);
    if (!ok) {
        printf("%-11s FAILED (see above)\n", f->chip);
        return;
    }
    const double xl = (double)fresh_us / (double)limit;
    const double xs = (double)same_us / (double)old_us;
    const double xo = (double)one_us / (double)old_us;
    const double xe = (double)estimate / (double)old_us;
    const double xh = (double)holes_us / (double)holes_full_us;
    printf("%-11s %-5s %9.1f %9.1f %6.3f %-6s %9.1f %9.1f %6.3f %-6s %9.1f %6.3f %-6s %9.1f "
           "%6.3f %-6s %9.1f %9.1f %6.3f %5" PRIu32 "/%-5" PRIu32 "\n",
           f->chip, profile, fresh_us / 1e3, limit / 1e3, xl, mark(xl <= 1.03), old_us / 1e3,
           same_us / 1e3, xs, mark(xs <= 0.12), one_us / 1e3, xo, mark(xo <= 0.45),
           estimate / 1e3, xe, mark(xe >= 0.85 && xe <= 1.15), holes_us / 1e3,
           holes_full_us / 1e3, xh, st_one.erase_sectors, st_one.blocks_down);
}

/* ---- part 2: dfu-util -------------------------------------------------- */
#ifndef _WIN32

static int run_env(char *const argv[], const char *board, const char *state, const char *log)
{
    fflush(stdout); /* or the child would print the report so far again */
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        setenv("LD_PRELOAD", MPFLASH_FAKEUSB, 1);
        setenv("MPFLASH_FAKE_USB", board, 1);
        setenv("MPFLASH_FAKE_USB_STATE", state, 1);
        if (log)
            setenv("MPFLASH_FAKE_USB_LOG", log, 1);
        if (!freopen("/dev/null", "w", stdout) || !freopen("/dev/null", "w", stderr))
            _exit(126);
        execvp(argv[0], argv);
        _exit(127);
    }
    int status = 0;
    if (waitpid(pid, &status, 0) < 0)
        return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* The last "clock N us" the board logged. */
static long long clock_from(const char *log)
{
    FILE *f = fopen(log, "r");
    if (!f)
        return -1;
    char line[256];
    long long us = -1, v;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "%*s clock %lld us", &v) == 1)
            us = v;
    fclose(f);
    return us;
}

static int write_file(const char *path, const uint8_t *b, size_t n)
{
    FILE *f = fopen(path, "wb");
    int ok = f && fwrite(b, 1, n, f) == n;
    return (f && fclose(f) == 0 && ok) ? 0 : -1;
}

static void against_dfu_util(const family *f, const char *dir)
{
    char st_old[160], st_du[160], st_mp[160], log_du[170], log_mp[170], board[64], addr[32];
    char old_bin[160], new_bin[160], cmd[1024];
    snprintf(old_bin, sizeof old_bin, "%s/old.bin", dir);
    snprintf(new_bin, sizeof new_bin, "%s/new.bin", dir);
    snprintf(st_old, sizeof st_old, "%s/%s-old", dir, f->chip);
    snprintf(st_du, sizeof st_du, "%s/%s-du", dir, f->chip);
    snprintf(st_mp, sizeof st_mp, "%s/%s-mp", dir, f->chip);
    snprintf(log_du, sizeof log_du, "%s/%s-du.log", dir, f->chip);
    snprintf(log_mp, sizeof log_mp, "%s/%s-mp.log", dir, f->chip);
    snprintf(addr, sizeof addr, "0x%08" PRIX32 ":leave", f->text);
    snprintf(cmd, sizeof cmd, "mkdir -p '%s' '%s' '%s'", st_old, st_du, st_mp);
    if (system(cmd) != 0)
        return;
    snprintf(board, sizeof board, "%s:BENCH", f->chip);
    char *prime[] = {MPFLASH_BINARY, "-a", "0", "-d", "0483:df11", "-s", addr, "-D", old_bin, NULL};
    if (run_env(prime, board, st_old, NULL) != 0) {
        printf("%-11s (priming the board failed)\n", f->chip);
        return;
    }
    snprintf(cmd, sizeof cmd, "cp '%s'/* '%s'/ && cp '%s'/* '%s'/", st_old, st_du, st_old, st_mp);
    if (system(cmd) != 0)
        return;
    snprintf(board, sizeof board, "%s:BENCH:timing", f->chip);
    char *du[] = {"dfu-util", "-a", "0", "-d", "0483:df11", "-s", addr, "-D", new_bin, NULL};
    char *mp[] = {MPFLASH_BINARY, "-a", "0", "-d", "0483:df11", "-s", addr, "-D", new_bin,
                  "--no-verify", NULL};
    int rd = run_env(du, board, st_du, log_du), rm = run_env(mp, board, st_mp, log_mp);
    long long cd = clock_from(log_du), cm = clock_from(log_mp);
    snprintf(cmd, sizeof cmd, "cmp -s '%s'/* '%s'/*", st_du, st_mp);
    const int same = system(cmd) == 0;
    if (rd != 0 || rm != 0 || cd <= 0 || cm <= 0) {
        printf("%-11s dfu-util exit %d, mpflash exit %d (no comparison)\n", f->chip, rd, rm);
        return;
    }
    const double x = (double)cm / (double)cd;
    printf("%-11s %12.1f %12.1f %7.3f %-6s %s\n", f->chip, cd / 1e3, cm / 1e3, x,
           x < 1.0 ? "ahead" : "BEHIND", same ? "same bytes" : "FLASH DIFFERS");
}

#endif

static int wanted(const family *f, int argc, char **argv)
{
    if (argc < 2)
        return 1;
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], f->chip) == 0)
            return 1;
    return 0;
}

int main(int argc, char **argv)
{
    printf("mpflash family benchmark: 1,088 B vectors + 298 KiB text, no verify, virtual clock\n"
           "fresh = blank chip (x_limit = model / the issue's limit, family timing); old = over "
           "an older firmware;\nsame = the image again (x = same/old); one = one byte changed "
           "(x = one/old); est = --dry-run's forecast of the old flash (x = est/old);\nholes = "
           "over the image with bytes 8..31 of every 64 blank, hfull = the same with --full "
           "(x = holes/hfull)\n\n");
    printf("%-11s %-5s %9s %9s %6s %-6s %9s %9s %6s %-6s %9s %6s %-6s %9s %6s %-6s %9s %9s %6s "
           "%s\n",
           "chip", "prof", "fresh_ms", "limit_ms", "x_lim", "<=1.03", "old_ms", "same_ms",
           "x_same", "<=0.12", "one_ms", "x_one", "<=0.45", "est_ms", "x_est", "15%", "holes_ms",
           "hfull_ms", "x_hole", "one:erases/blocks");
    for (size_t i = 0; i < FAMILY_COUNT; i++)
        if (wanted(&families[i], argc, argv))
            in_process(&families[i]);

    printf("\nagainst dfu-util 0.11 (same virtual chips, over an older firmware, raw text "
           "binary, no verify):\n");
#ifdef _WIN32
    printf("(skipped: the fake libusb preload is Linux only)\n");
#else
    if (access(MPFLASH_FAKEUSB, R_OK) != 0 || access(MPFLASH_BINARY, X_OK) != 0 ||
        system("dfu-util --version >/dev/null 2>&1") != 0) {
        printf("(skipped: needs dfu-util, %s and %s)\n", MPFLASH_FAKEUSB, MPFLASH_BINARY);
        return 0;
    }
    char dir[] = "/tmp/mpflash-bench-XXXXXX";
    if (!mkdtemp(dir))
        return 0;
    uint8_t *b = malloc(TEXT_SIZE);
    char path[160];
    int ok = b != NULL;
    if (ok) {
        fill(b, TEXT_SIZE, 9);
        snprintf(path, sizeof path, "%s/old.bin", dir);
        ok = write_file(path, b, TEXT_SIZE) == 0;
        fill(b, TEXT_SIZE, 2);
        snprintf(path, sizeof path, "%s/new.bin", dir);
        ok = ok && write_file(path, b, TEXT_SIZE) == 0;
    }
    free(b);
    if (ok) {
        printf("%-11s %12s %12s %7s\n", "chip", "dfu-util_ms", "mpflash_ms", "x");
        for (size_t i = 0; i < FAMILY_COUNT; i++)
            if (wanted(&families[i], argc, argv))
                against_dfu_util(&families[i], dir);
    }
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        return 0;
#endif
    return 0;
}
