/* Loading benchmark: the same 2 MiB firmware as .dfu, .elf and .hex, each
 * loaded N times through mpf_load_file (read the file + parse). Reports the
 * median wall time per load and the peak memory of one load, against the
 * targets < 20 ms and < 2x the file size. A report, not a test: exits 0.
 *
 * The "fold" row is a .dfu of 16,384 touching 16-byte elements, written in
 * shuffled order, timed through mpf_load_file and mpf_image_normalize: it
 * watches the merge of touching segments, which once grew its run once per
 * element and took seconds. Its memory is dominated by the segment table
 * (one entry per element before the merge), so its peak/file is high by
 * nature; the figure to watch there is the time.
 *
 * Memory: each format is measured in its own child process, forked from a
 * parent that never holds the big buffers, so the children start small. On
 * Linux the child resets its peak-RSS counter (/proc/self/clear_refs) and
 * reads VmHWM after one load; elsewhere it falls back to ru_maxrss. The
 * figure is growth over the child's RSS before loading, so it counts the
 * file buffer, the image and any slack, at page granularity. Windows has
 * no fork: there everything runs in one process, whose peak working set
 * only grows, so the memory columns say n/a.
 *
 * usage: bench_load [N]   (default 21 loads per format) */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_child.h"
#include "mpflash/image.h"
#include "platform/clock.h"
#include "platform/proc_usage.h"
#include "test_os.h"

#define VEC_ADDR 0x08000000u
#define VEC_SIZE (16u * 1024u)
#define TEXT_ADDR 0x08020000u
#define PAYLOAD (2u * 1024u * 1024u)
#define TEXT_SIZE (PAYLOAD - VEC_SIZE)
#define TARGET_MS 20.0
#define TARGET_MEM_RATIO 2.0
#define FOLD_ADDR 0x08000000u
#define FOLD_ELEMENTS 16384u
#define FOLD_ELEMENT_SIZE 16u

typedef struct result {
    int ok;
    char error[MPF_ERROR_MESSAGE_MAX];
    size_t file_bytes, segments;
    double median_ms, min_ms, max_ms;
    long peak_bytes;
    int peak_from_hwm; /* 1: /proc VmHWM after reset; 0: ru_maxrss */
} result;

static const struct {
    const char *name;
    const char *file;
    int fold; /* the many-element file: timed with the normalize, checked against the fold image */
} formats[] = {{"dfuse", "fw.dfu", 0}, {"elf", "fw.elf", 0}, {"ihex", "fw.hex", 0}, {"fold", "fold.dfu", 1}};
#define FORMAT_COUNT (sizeof formats / sizeof *formats)

static void fill(uint8_t *buf, size_t len, uint32_t seed)
{
    uint32_t x = seed;
    for (size_t i = 0; i < len; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        buf[i] = (uint8_t)(x >> 24);
    }
}

/* The reference image, normalized: what every file must load to. */
static int make_image(mpf_image *img, mpf_error *err)
{
    uint8_t *vec = malloc(VEC_SIZE), *text = malloc(TEXT_SIZE);
    if (!vec || !text) {
        free(vec);
        free(text);
        mpf_error_set(err, MPF_ERR_NOMEM, "out of memory for the benchmark image");
        return -1;
    }
    fill(vec, VEC_SIZE, 0x1234567u);
    fill(text, TEXT_SIZE, 0x89ABCDEu);
    mpf_image_init(img);
    if (mpf_image_add_owned(img, 0, VEC_ADDR, vec, VEC_SIZE, "bench: vectors", err) != MPF_OK) {
        free(text);
        return -1;
    }
    if (mpf_image_add_owned(img, 0, TEXT_ADDR, text, TEXT_SIZE, "bench: text", err) != MPF_OK)
        return -1;
    return mpf_image_normalize(img, err) == MPF_OK ? 0 : -1;
}

/* What the fold file must normalize to: one run of all its elements. */
static int make_fold_image(mpf_image *img, mpf_error *err)
{
    size_t size = (size_t)FOLD_ELEMENTS * FOLD_ELEMENT_SIZE;
    uint8_t *run = malloc(size);
    mpf_image_init(img);
    if (!run) {
        mpf_error_set(err, MPF_ERR_NOMEM, "out of memory for the fold image");
        return -1;
    }
    fill(run, size, 0x5EEDu);
    return mpf_image_add_owned(img, 0, FOLD_ADDR, run, size, "bench: fold", err) == MPF_OK ? 0 : -1;
}

/* The fold image cut into its elements, in a shuffled order, as a DfuSe
 * file: the writer keeps one element per segment, in list order. */
static int make_fold_dfu(uint8_t **out, size_t *out_len, mpf_error *err)
{
    mpf_image whole, parts;
    mpf_image_init(&parts);
    int rc = make_fold_image(&whole, err);
    uint32_t order[FOLD_ELEMENTS];
    for (uint32_t i = 0; i < FOLD_ELEMENTS; i++)
        order[i] = i;
    uint32_t x = 0xC0FFEEu;
    for (uint32_t i = FOLD_ELEMENTS - 1; i > 0; i--) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        uint32_t j = x % (i + 1), t = order[i];
        order[i] = order[j];
        order[j] = t;
    }
    for (uint32_t i = 0; rc == 0 && i < FOLD_ELEMENTS; i++) {
        size_t off = (size_t)order[i] * FOLD_ELEMENT_SIZE;
        if (mpf_image_add(&parts, 0, FOLD_ADDR + (uint32_t)off, whole.segments[0].data + off, FOLD_ELEMENT_SIZE,
                          "bench: fold element", err) != MPF_OK)
            rc = -1;
    }
    if (rc == 0 && mpf_write_dfuse(&parts, NULL, out, out_len, err) != MPF_OK)
        rc = -1;
    mpf_image_free(&parts);
    mpf_image_free(&whole);
    return rc;
}

static void put16(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
    put16(p, v);
    put16(p + 2, v >> 16);
}

/* A minimal ELF32 ARM executable: two PT_LOAD segments, the first stored at
 * 0x08000000 but run from RAM, as MicroPython's vector table can be. */
static int make_elf(const mpf_image *img, uint8_t **out, size_t *out_len)
{
    const uint32_t data_off = 0x100;
    size_t len = data_off + VEC_SIZE + TEXT_SIZE;
    uint8_t *b = calloc(1, len);
    if (!b)
        return -1;
    memcpy(b, "\x7F" "ELF", 4);
    b[4] = 1; /* 32-bit */
    b[5] = 1; /* little-endian */
    b[6] = 1;
    put16(b + 16, 2);  /* ET_EXEC */
    put16(b + 18, 40); /* EM_ARM */
    put32(b + 20, 1);
    put32(b + 24, TEXT_ADDR | 1u);
    put32(b + 28, 52); /* e_phoff */
    put16(b + 40, 52);
    put16(b + 42, 32);
    put16(b + 44, 2);
    const uint32_t ph[2][6] = {
        {1, data_off, 0x20000000u, VEC_ADDR, VEC_SIZE, VEC_SIZE},
        {1, data_off + VEC_SIZE, TEXT_ADDR, TEXT_ADDR, TEXT_SIZE, TEXT_SIZE},
    };
    for (int i = 0; i < 2; i++) {
        uint8_t *p = b + 52 + 32 * i;
        for (int f = 0; f < 6; f++)
            put32(p + 4 * f, ph[i][f]);
        put32(p + 24, 5);
        put32(p + 28, 4);
    }
    memcpy(b + data_off, img->segments[0].data, VEC_SIZE);
    memcpy(b + data_off + VEC_SIZE, img->segments[1].data, TEXT_SIZE);
    *out = b;
    *out_len = len;
    return 0;
}

static int write_files(const char *dir, mpf_error *err)
{
    mpf_image img;
    if (make_image(&img, err) != 0) {
        mpf_image_free(&img);
        return -1;
    }
    uint8_t *bufs[FORMAT_COUNT] = {NULL};
    size_t lens[FORMAT_COUNT] = {0};
    int rc = -1;
    char *hex = NULL;
    if (mpf_write_dfuse(&img, NULL, &bufs[0], &lens[0], err) != MPF_OK)
        goto out;
    if (make_elf(&img, &bufs[1], &lens[1]) != 0) {
        mpf_error_set(err, MPF_ERR_NOMEM, "out of memory building the ELF");
        goto out;
    }
    if (mpf_write_ihex(&img, &hex, &lens[2], err) != MPF_OK)
        goto out;
    bufs[2] = (uint8_t *)hex;
    if (make_fold_dfu(&bufs[3], &lens[3], err) != 0)
        goto out;
    for (size_t i = 0; i < FORMAT_COUNT; i++) {
        char path[512];
        snprintf(path, sizeof path, "%s/%s", dir, formats[i].file);
        if (mpf_write_file_atomic(path, bufs[i], lens[i], err) != MPF_OK)
            goto out;
    }
    rc = 0;
out:
    for (size_t i = 0; i < FORMAT_COUNT; i++)
        free(bufs[i]);
    mpf_image_free(&img);
    return rc;
}

static double now_ms(void)
{
    return (double)mpf_host_now_us() / 1e3;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* A "Name:   1234 kB" line of /proc/self/status, in bytes; -1 if absent. */
static long proc_status_bytes(const char *key)
{
    FILE *f = fopen("/proc/self/status", "r");
    if (!f)
        return -1;
    char line[256];
    long kb = -1;
    size_t n = strlen(key);
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, key, n) == 0 && line[n] == ':') {
            kb = strtol(line + n + 1, NULL, 10);
            break;
        }
    }
    fclose(f);
    return kb < 0 ? -1 : kb * 1024;
}

static int reset_peak_rss(void)
{
    FILE *f = fopen("/proc/self/clear_refs", "w");
    if (!f)
        return 0;
    int ok = fputs("5", f) >= 0;
    ok &= fclose(f) == 0;
    return ok;
}

static long maxrss_bytes(void)
{
    return (long)mpf_proc_peak_rss_bytes();
}

static int same_image(const mpf_image *a, const mpf_image *b)
{
    if (a->count != b->count)
        return 0;
    for (size_t i = 0; i < a->count; i++) {
        if (a->segments[i].address != b->segments[i].address || a->segments[i].size != b->segments[i].size ||
            memcmp(a->segments[i].data, b->segments[i].data, a->segments[i].size) != 0)
            return 0;
    }
    return 1;
}

/* What one run does: read and parse, and for the fold file the merge too. */
static mpf_err load_once(const char *path, int fold, mpf_image *img, mpf_error *err)
{
    mpf_err rc = mpf_load_file(img, path, NULL, NULL, err);
    if (!rc && fold)
        rc = mpf_image_normalize(img, err);
    return rc;
}

/* Runs in a child: one measured load for memory, then `runs` timed loads,
 * then a check that the file loaded to the reference image. */
static void measure(const char *path, int fold, int runs, result *r)
{
    mpf_error err = {0};
    mpf_image img;

    FILE *f = fopen(path, "rb");
    if (f) {
        fseek(f, 0, SEEK_END);
        r->file_bytes = (size_t)ftell(f);
        fclose(f);
    }

    r->peak_from_hwm = reset_peak_rss();
    long before = r->peak_from_hwm ? proc_status_bytes("VmRSS") : maxrss_bytes();
    mpf_image_init(&img);
    if (load_once(path, fold, &img, &err) != MPF_OK) {
        snprintf(r->error, sizeof r->error, "%s", err.message);
        mpf_image_free(&img);
        return;
    }
    long peak = r->peak_from_hwm ? proc_status_bytes("VmHWM") : maxrss_bytes();
    r->peak_bytes = peak > before ? peak - before : 0;
    mpf_image_free(&img);

    double *ms = calloc((size_t)runs, sizeof *ms);
    if (!ms) {
        snprintf(r->error, sizeof r->error, "out of memory for %d timings", runs);
        return;
    }
    for (int i = 0; i < runs; i++) {
        mpf_image_init(&img);
        double t0 = now_ms();
        mpf_err rc = load_once(path, fold, &img, &err);
        ms[i] = now_ms() - t0;
        if (rc != MPF_OK) {
            snprintf(r->error, sizeof r->error, "%s", err.message);
            mpf_image_free(&img);
            free(ms);
            return;
        }
        if (i + 1 < runs)
            mpf_image_free(&img);
    }
    qsort(ms, (size_t)runs, sizeof *ms, cmp_double);
    r->median_ms = runs % 2 ? ms[runs / 2] : (ms[runs / 2 - 1] + ms[runs / 2]) / 2;
    r->min_ms = ms[0];
    r->max_ms = ms[runs - 1];
    free(ms);

    /* A fast loader that loads the wrong thing would be no result at all. */
    mpf_image want;
    mpf_image_init(&want);
    if (mpf_image_normalize(&img, &err) != MPF_OK || (fold ? make_fold_image : make_image)(&want, &err) != 0) {
        snprintf(r->error, sizeof r->error, "%s", err.message);
    } else if (!same_image(&img, &want)) {
        snprintf(r->error, sizeof r->error, "the file loaded, but not to the reference image");
    } else {
        r->segments = img.count;
        r->ok = 1;
    }
    mpf_image_free(&want);
    mpf_image_free(&img);
}

typedef struct load_job {
    const char *path;
    int fold, runs;
} load_job;

static void measure_job(const void *arg, void *out)
{
    const load_job *job = arg;
    measure(job->path, job->fold, job->runs, out);
}

/* Measures path in a forked child, which sends its result back through a pipe. */
static int in_child(const char *path, int fold, int runs, result *r)
{
    load_job job = {path, fold, runs};
    return bench_in_child(measure_job, &job, r, sizeof *r);
}

static int generate_in_child(const char *dir)
{
#ifdef _WIN32
    mpf_error err = {0};
    if (write_files(dir, &err) != 0) {
        fprintf(stderr, "bench_load: %s\n", err.message);
        return -1;
    }
    return 0;
#else
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        mpf_error err = {0};
        if (write_files(dir, &err) != 0) {
            fprintf(stderr, "bench_load: %s\n", err.message);
            _exit(1);
        }
        _exit(0);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
#endif
}

int main(int argc, char **argv)
{
    int runs = argc > 1 ? atoi(argv[1]) : 21;
    if (runs < 1)
        runs = 1;
    char *dir = tos_temp_dir("mpflash-bench-");
    if (!dir) {
        perror("bench_load: a temporary folder");
        return 0;
    }
    /* The big buffers live only in children: see the comment at the top. */
    if (generate_in_child(dir) != 0) {
        fprintf(stderr, "bench_load: could not generate the input files\n");
        tos_remove_tree(dir);
        free(dir);
        return 0;
    }

    result res[FORMAT_COUNT];
    memset(res, 0, sizeof res);
    printf("mpflash load benchmark: 2 MiB payload (16 KiB at 0x%08X + %u KiB at 0x%08X), %d loads each\n",
           VEC_ADDR, TEXT_SIZE / 1024, TEXT_ADDR, runs);
    printf("fold: %u touching %u-byte DfuSe elements in shuffled order, merged into one run\n", FOLD_ELEMENTS,
           FOLD_ELEMENT_SIZE);
    printf("time = mpf_load_file (read + parse; fold: + mpf_image_normalize); memory = peak RSS growth during one load\n\n");
    printf("%-6s %10s %4s %10s %10s %10s %12s %8s  %-5s %-5s\n", "format", "file", "segs", "median_ms",
           "min_ms", "max_ms", "peak_bytes", "peak/file", "time", "mem");
    for (size_t i = 0; i < FORMAT_COUNT; i++) {
        char path[512];
        snprintf(path, sizeof path, "%s/%s", dir, formats[i].file);
        result *r = &res[i];
        if (in_child(path, formats[i].fold, runs, r) != 0 && !r->error[0])
            snprintf(r->error, sizeof r->error, "measuring child failed");
        if (!r->ok) {
            printf("%-6s ERROR: %s\n", formats[i].name, r->error);
            continue;
        }
        double ratio = r->file_bytes ? (double)r->peak_bytes / (double)r->file_bytes : 0;
        printf("%-6s %10zu %4zu %10.3f %10.3f %10.3f %12ld %8.2f  %-5s %-5s%s\n", formats[i].name,
               r->file_bytes, r->segments, r->median_ms, r->min_ms, r->max_ms, r->peak_bytes, ratio,
               r->median_ms < TARGET_MS ? "PASS" : "MISS",
               !BENCH_OWN_PEAK ? "n/a" : ratio < TARGET_MEM_RATIO ? "PASS" : "MISS",
               r->peak_from_hwm ? "" : " (ru_maxrss)");
    }

    printf("\n{\"bench\":\"load\",\"runs\":%d,\"payload_bytes\":%u,\"target_ms\":%.0f,"
           "\"target_peak_over_file\":%.1f,\"results\":[",
           runs, PAYLOAD, TARGET_MS, TARGET_MEM_RATIO);
    for (size_t i = 0; i < FORMAT_COUNT; i++) {
        const result *r = &res[i];
        if (i)
            printf(",");
        if (!r->ok) {
            printf("{\"format\":\"%s\",\"ok\":false}", formats[i].name);
            continue;
        }
        double ratio = r->file_bytes ? (double)r->peak_bytes / (double)r->file_bytes : 0;
        printf("{\"format\":\"%s\",\"ok\":true,\"file_bytes\":%zu,\"segments\":%zu,\"median_ms\":%.3f,"
               "\"min_ms\":%.3f,\"max_ms\":%.3f,\"peak_bytes\":%ld,\"peak_over_file\":%.3f,"
               "\"peak_method\":\"%s\",\"time_ok\":%s,\"mem_ok\":%s}",
               formats[i].name, r->file_bytes, r->segments, r->median_ms, r->min_ms, r->max_ms,
               r->peak_bytes, ratio, r->peak_from_hwm ? "vmhwm" : "ru_maxrss",
               r->median_ms < TARGET_MS ? "true" : "false",
               !BENCH_OWN_PEAK ? "null" : ratio < TARGET_MEM_RATIO ? "true" : "false");
    }
    printf("]}\n");

    tos_remove_tree(dir);
    free(dir);
    return 0;
}
