/* The fault matrix of tests/test_fault_matrix.c, through the built binary:
 * every fault kind at every phase of flashing the sample firmware onto
 * `--sim f401`, injected with MPFLASH_SIM_FAULT, the chip carried between
 * runs by --sim-state. For every cell:
 *  - the documented exit code;
 *  - exactly one "mpflash: error:" line, first on stderr, naming the
 *    operation (and so the phase), its address where it has one, and the
 *    USB error or the device's status; nothing else but hints;
 *  - with --json, the result event carrying the same error, exit code and
 *    message, and the progress events showing how far the engine got;
 *  - the filesystem sectors (1-4, 0x08004000-0x0801FFFF) byte-identical;
 *  - a second run without the fault exits 0 and leaves the chip holding the
 *    image byte for byte.
 * Where the engine is expected to carry on (a stalled start-up ABORT, an
 * error status found at start-up, a board vanishing as it leaves), the
 * first run itself must succeed and leave the image.
 *
 * The replug: --sim-state keeps the flash only. Every run is a new process
 * with a new virtual board in dfuIDLE, so the second run always meets a
 * freshly plugged board, after a disconnect as after any other fault.
 *
 * Not expressible through the binary, and so left to the in-process matrix:
 * a second run that finds the board still in the state the fault left it
 * (dfuERROR, dfuMANIFEST). Its extra points (an erase's or the leave's
 * status reply, CLRSTATUS at start-up) could be written as getstatus:N, but
 * N would count every request before them, so they stay there too.
 *
 * Built again on the real libusb over emulated usbfs (tests/usbfs.cmake,
 * USBFS_LAUNCH): the same board as a bus device (fault=KIND/OP/N on the
 * board, its flash in the fake libusb's state file), for the faults a USB
 * transfer shows: stall (-EPIPE), timeout (a held URB the real libusb
 * discards) and disconnect (-ENODEV, the board leaves the bus), and two
 * kinds of DFU status rows. There, as well, after a failed transfer the board's log
 * shows no DNLOAD at all: no erase or write after an error. USBFS_TIMEOUTS
 * picks the timeout rows (5 s each, the engine's request timeout),
 * USBFS_STATUSES those status rows, else the stall and disconnect rows. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "cli_helpers.h"
#ifdef USBFS_LAUNCH
/* What a USB transport says of a stalled request and of a board that
 * vanished mid-request; the virtual board's transport knows the state the
 * stall left, too. */
#define STALL_SAYS "request stalled"
#define DISCONNECTED "device disconnected"
#else
#define STALL_SAYS "stalled; device now dfuERROR, errSTALLEDPKT"
#define DISCONNECTED "device is not connected"
#endif

#define FS_START 0x4000u /* sectors 1..4: MicroPython's filesystem */
#define FS_END 0x20000u
#define SEED_BOARD 0xFA017u

enum { P_START, P_START_STATUS, P_SET_ADDRESS, P_ERASE, P_MASS_ERASE, P_WRITE, P_VERIFY, P_LEAVE, POINTS };
enum { K_STALL, K_TIMEOUT, K_DISCONNECT, K_ERASE, K_WRITE, K_PROG, K_VERIFY, K_ADDRESS, K_VENDOR, KINDS };

typedef struct point {
    const char *name;
    const char *at;       /* MPFLASH_SIM_FAULT's OP:N */
    int mass_erase;       /* -m */
    const char *what;     /* the operation and address the error line starts with */
    /* The phase of the last progress event before the failure (NULL: none).
     * Events come at tenths of a phase, so a fault early in one shows the
     * phase before it, finished. */
    const char *progress;
} point;

/* Request counts are those of a board whose every planned sector differs
 * from the image: the skip-unchanged check reads one block of each of the
 * four sectors (UPLOAD 1-4) after setting the address once (set-address 1);
 * the writes set it at 0x08000000 and 0x08020000 (2, 3). WRITE 1 is the
 * vector table, WRITE n >= 2 is wBlockNum n of the text; UPLOAD 5 reads the
 * vector table back, UPLOAD 24 the text's wBlockNum 20. */
static const point points[POINTS] = {
    [P_START] = {"start-up", "abort:1", 0, "connect: ABORT", NULL},
    [P_START_STATUS] = {"start-up status", "getstatus:1", 0, "connect: GETSTATUS", NULL},
    [P_SET_ADDRESS] = {"set-address", "set-address:3", 0, "set address 0x08020000", "erase"},
    [P_ERASE] = {"sector erase", "erase:2", 0, "erase of sector at 0x08020000", "erase"},
    /* The fault hits the mass erase itself, so it never runs: the
     * filesystem survives the first run and only the second erases it. */
    [P_MASS_ERASE] = {"mass erase", "mass-erase:1", 1, "mass erase", "connect"},
    [P_WRITE] = {"mid-write", "write:20", 0, "write of block 20 at 0x08029000", "write"},
    [P_VERIFY] = {"verify", "upload:24", 0, "verify of 0x08020000-0x0806A7FF: read of block 20 at 0x08029000",
                  "verify"},
    [P_LEAVE] = {"leave", "leave:1", 0, "leave at 0x08000000", "verify"},
};

typedef struct kind {
    const char *name;
    const char *spec;   /* MPFLASH_SIM_FAULT's KIND */
    const char *status; /* status:OP:N:STATUS */
} kind;

static const kind kinds[KINDS] = {
    [K_STALL] = {"stall", "stall", NULL},
    [K_TIMEOUT] = {"timeout", "timeout", NULL},
    [K_DISCONNECT] = {"disconnect", "disconnect", NULL},
    [K_ERASE] = {"errERASE", "status", "errERASE"},
    [K_WRITE] = {"errWRITE", "status", "errWRITE"},
    [K_PROG] = {"errPROG", "status", "errPROG"},
    [K_VERIFY] = {"errVERIFY", "status", "errVERIFY"},
    [K_ADDRESS] = {"errADDRESS", "status", "errADDRESS"},
    [K_VENDOR] = {"errVENDOR", "status", "errVENDOR"},
};

typedef struct cell {
    int point, kind;
    int exit_code;
    const char *error;  /* the JSON error name; NULL: the run succeeds */
    /* Failure: what the error line must also say. Success: the warning
     * stderr must hold (NULL: stderr stays empty). */
    const char *says;
} cell;

#define USB_ROWS(P, STALLED)                                                                       \
    {P, K_STALL, 4, "usb-stall", STALLED}, {P, K_TIMEOUT, 4, "usb-timeout", "timed out"},          \
        {P, K_DISCONNECT, 4, "usb-disconnected", DISCONNECTED}

#define EACH_STATUS(ROW, P)                                                                        \
    ROW(P, K_ERASE, "errERASE"), ROW(P, K_WRITE, "errWRITE"), ROW(P, K_PROG, "errPROG"),           \
        ROW(P, K_VERIFY, "errVERIFY"), ROW(P, K_ADDRESS, "errADDRESS"), ROW(P, K_VENDOR, "errVENDOR")

/* A DfuSe command or data block the device fails: its GETSTATUS says so. */
#define FAILED(P, K, S) {P, K, 5, "device-status", " failed: " S " (dfuERROR)"}
/* Any other request with a status fault stalls and leaves the status. */
#ifdef USBFS_LAUNCH
#define STALLED(P, K, S) {P, K, 4, "usb-stall", STALL_SAYS}
#else
#define STALLED(P, K, S) {P, K, 4, "usb-stall", "stalled; device now dfuERROR, " S}
#endif
/* Found at start-up: cleared with a warning, and the flash goes on. */
#define CLEARED(P, K, S) {P, K, 0, NULL, "warning: device started in dfuERROR (" S ":"}

static const cell cells[] = {
    /* A stalled start-up ABORT is an answer (the device was in a state that
     * refuses it): cleared quietly. */
    {P_START, K_STALL, 0, NULL, NULL},
    {P_START, K_TIMEOUT, 4, "usb-timeout", "timed out"},
    {P_START, K_DISCONNECT, 4, "usb-disconnected", DISCONNECTED},
    EACH_STATUS(CLEARED, P_START),

    USB_ROWS(P_START_STATUS, STALL_SAYS),
    EACH_STATUS(CLEARED, P_START_STATUS),

    USB_ROWS(P_SET_ADDRESS, STALL_SAYS),
    EACH_STATUS(FAILED, P_SET_ADDRESS),

    USB_ROWS(P_ERASE, STALL_SAYS),
    EACH_STATUS(FAILED, P_ERASE),

    USB_ROWS(P_MASS_ERASE, STALL_SAYS),
    EACH_STATUS(FAILED, P_MASS_ERASE),

    USB_ROWS(P_WRITE, STALL_SAYS),
    EACH_STATUS(FAILED, P_WRITE),

    USB_ROWS(P_VERIFY, STALL_SAYS),
    STALLED(P_VERIFY, K_ERASE, "errERASE"),
    STALLED(P_VERIFY, K_WRITE, "errWRITE"),
    STALLED(P_VERIFY, K_PROG, "errPROG"),
    STALLED(P_VERIFY, K_VERIFY, "errVERIFY"),
    STALLED(P_VERIFY, K_ADDRESS, "errADDRESS"),
    /* A read refused with errVENDOR is read protection: the device's word. */
    FAILED(P_VERIFY, K_VENDOR, "errVENDOR"),

    /* A refused leave is told from a reset by the status after it. */
    {P_LEAVE, K_STALL, 4, "usb-stall", "errSTALLEDPKT, dfuERROR: it refused to leave"},
    {P_LEAVE, K_TIMEOUT, 4, "usb-timeout", "timed out"},
    /* Vanishing is what leaving looks like from the host. */
    {P_LEAVE, K_DISCONNECT, 0, NULL, NULL},
    EACH_STATUS(FAILED, P_LEAVE),
};

#define CELLS (sizeof cells / sizeof cells[0])

#if defined(USBFS_TIMEOUTS)
#define MATRIX_DIR "usbfs-fault-timeouts"
#elif defined(USBFS_STATUSES)
#define MATRIX_DIR "usbfs-fault-statuses"
#elif defined(USBFS_LAUNCH)
#define MATRIX_DIR "usbfs-fault-matrix"
#else
#define MATRIX_DIR "fault-matrix"
#endif

/* ---- checks ------------------------------------------------------------------ */

static void lines_of(const char *text, char ***out, size_t *count)
{
    size_t n = 0, cap = 8;
    char **v = malloc(cap * sizeof *v);
    assert_non_null(v);
    for (const char *p = text; *p;) {
        size_t len = strcspn(p, "\n");
        if (n == cap) {
            cap *= 2;
            v = realloc(v, cap * sizeof *v);
            assert_non_null(v);
        }
        v[n] = malloc(len + 1);
        assert_non_null(v[n]);
        memcpy(v[n], p, len);
        v[n++][len] = '\0';
        p += len + (p[len] == '\n');
    }
    *out = v;
    *count = n;
}

static void free_lines(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

static int starts_with(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

static void check_stderr(const char *name, const cell *c, const cli_result *r)
{
    const point *p = &points[c->point];
    char **line;
    size_t n;
    lines_of(r->err, &line, &n);
    if (!c->error) {
        if (c->says ? n != 1 || !strstr(line[0], c->says) : n != 0)
            fail_msg("%s: stderr should be %s%s, was:\n%s", name, c->says ? "one warning with " : "empty",
                     c->says ? c->says : "", r->err);
        free_lines(line, n);
        return;
    }
    static const char prefix[] = "mpflash: error: ";
    if (n == 0 || !starts_with(line[0], prefix) || !starts_with(line[0] + sizeof prefix - 1, p->what) ||
        !strstr(line[0], c->says))
        fail_msg("%s: stderr should start with \"%s%s\" and say \"%s\", was:\n%s", name, prefix, p->what,
                 c->says, r->err);
    for (size_t i = 1; i < n; i++)
        if (!starts_with(line[i], "mpflash: hint: "))
            fail_msg("%s: stderr line %zu is neither the error nor a hint:\n%s", name, i + 1, r->err);
    free_lines(line, n);
}

/* The message as the JSON writer spells it (no control characters here). */
static void json_quoted(const char *s, char *out, size_t size)
{
    size_t k = 0;
    for (; *s && k + 3 < size; s++) {
        if (*s == '"' || *s == '\\')
            out[k++] = '\\';
        out[k++] = *s;
    }
    out[k] = '\0';
}

static const char *progress_phase(const char *line, char *buf, size_t size)
{
    const char *at = strstr(line, "\"phase\":\"");
    if (!at)
        return NULL;
    at += strlen("\"phase\":\"");
    snprintf(buf, size, "%.*s", (int)strcspn(at, "\""), at);
    return buf;
}

static void check_json(const char *name, const cell *c, const cli_result *r)
{
    char **line;
    size_t n;
    lines_of(r->out, &line, &n);
    if (n == 0)
        fail_msg("%s: --json printed nothing", name);
    const char *last_phase = NULL;
    char phase[32];
    for (size_t i = 0; i < n; i++) {
        if (!starts_with(line[i], "{\"event\":\""))
            fail_msg("%s: stdout line %zu is not an event: %s", name, i + 1, line[i]);
        if (starts_with(line[i], "{\"event\":\"progress\""))
            last_phase = progress_phase(line[i], phase, sizeof phase);
    }
    const char *want_phase = c->error ? points[c->point].progress : "leave";
    if (want_phase ? !last_phase || strcmp(last_phase, want_phase) != 0 : last_phase != NULL)
        fail_msg("%s: the last progress event is in phase %s, want %s", name, last_phase ? last_phase : "(none)",
                 want_phase ? want_phase : "(none)");

    const char *result = line[n - 1];
    if (c->error) {
        static const char prefix[] = "mpflash: error: ";
        char message[600];
        size_t len = strcspn(r->err, "\n");
        snprintf(message, sizeof message, "%.*s", (int)(len - (sizeof prefix - 1)), r->err + sizeof prefix - 1);
        char quoted[sizeof message * 2], want[sizeof quoted + 160];
        json_quoted(message, quoted, sizeof quoted);
        /* Read protection is the one failure here the user settles (with --unprotect). */
        const char *reason = strstr(message, "read-protected (RDP level 1)") ? "\"reason\":\"read-protected\"," : "";
        snprintf(want, sizeof want,
                 "{\"event\":\"result\",\"command\":\"flash\",\"ok\":false,\"exit_code\":%d,\"error\":\"%s\","
                 "%s\"message\":\"%s\",\"bytes_written\":",
                 c->exit_code, c->error, reason, quoted);
        /* Then what the board did before the failure (test_cli_flash.c). */
        if (!starts_with(result, want))
            fail_msg("%s: result event\n  got:  %s\n  want: %s...", name, result, want);
    } else if (!starts_with(result, "{\"event\":\"result\",\"command\":\"flash\",\"ok\":true,\"exit_code\":0,") ||
               !strstr(result, "\"verified\":true,\"left\":true,\"leave_address\":134217728,")) {
        fail_msg("%s: result event of a flash that went on: %s", name, result);
    }
    free_lines(line, n);
}

/* ---- the board: --sim with --sim-state, or a board on the usbfs bus ------------- */

#ifdef USBFS_LAUNCH
#define BOARD_STATE "f401-FM.mem"

static void board_put(const char *dir, const uint8_t *flash)
{
    cli_fake_flash_write(dir, BOARD_STATE, flash);
}

static uint8_t *board_get(const char *dir)
{
    return cli_fake_flash_read(dir, BOARD_STATE);
}

/* Three programs, run side by side: the timeout rows; every DFU status
 * kind (a status is a successful transfer, but the reply and the error
 * path after it still cross the real library); the stall and disconnect
 * rows. */
static int selected(const cell *c)
{
#if defined(USBFS_TIMEOUTS)
    return c->kind == K_TIMEOUT;
#elif defined(USBFS_STATUSES)
    return c->kind != K_TIMEOUT && c->kind != K_STALL && c->kind != K_DISCONNECT;
#else
    return c->kind == K_STALL || c->kind == K_DISCONNECT;
#endif
}

static void run_flash(const char *dir, const char *fault, int json, int mass_erase, cli_result *r)
{
    char board[128], log[600];
    snprintf(board, sizeof board, "f401:FM%s%s", fault ? ":fault=" : "", fault ? fault : "");
    snprintf(log, sizeof log, "%s/usb.log", dir);
    if (fault)
        unlink(log); /* the log of this run alone */
    const char *args[] = {json ? "--json" : "-q", "-u", "firmware.dfu", mass_erase ? "-m" : NULL, NULL};
    cli_usb_run(dir, board, args, NULL, r);
}

/* The fault's kind and place, in the board option's spelling. */
static void fault_spec(const kind *k, const point *p, char *out, size_t size)
{
    snprintf(out, size, "%s/%.*s/%s%s%s", k->spec, (int)strcspn(p->at, ":"), p->at,
             strchr(p->at, ':') + 1, k->status ? "/" : "", k->status ? k->status : "");
}

/* After the first request that failed, the board saw no DNLOAD: nothing
 * was erased, written or left on a board in an unknown state. */
static void check_nothing_sent_after_error(const char *name, const char *dir)
{
    size_t len;
    char *log = (char *)cli_read(dir, "usb.log", &len);
    const char *failed = strstr(log, " -> -");
    const char *dnload = failed ? strstr(failed, " ctrl 21 01 ") : NULL;
    if (!failed)
        fail_msg("%s: the board's log shows no failed request:\n%s", name, log);
    if (dnload)
        fail_msg("%s: a DNLOAD after the failed request:\n%.*s", name, (int)strcspn(dnload, "\n"), dnload);
    free(log);
}
#else
static void board_put(const char *dir, const uint8_t *flash)
{
    cli_write(dir, "board.bin", flash, F401_FLASH);
}

static uint8_t *board_get(const char *dir)
{
    size_t len;
    uint8_t *got = cli_read(dir, "board.bin", &len);
    if (len != F401_FLASH)
        fail_msg("board.bin holds %zu bytes", len);
    return got;
}

static int selected(const cell *c)
{
    (void)c;
    return 1;
}

static void run_flash(const char *dir, const char *fault, int json, int mass_erase, cli_result *r)
{
    char env_fault[96];
    snprintf(env_fault, sizeof env_fault, "MPFLASH_SIM_FAULT=%s", fault ? fault : "");
    const char *args[] = {"--sim", "f401", "--sim-state", "board.bin", json ? "--json" : "-q", "-u",
                          "firmware.dfu", mass_erase ? "-m" : NULL, NULL};
    const char *env[] = {env_fault, NULL};
    cli_run(dir, args, fault ? env : NULL, r);
}

static void fault_spec(const kind *k, const point *p, char *out, size_t size)
{
    snprintf(out, size, "%s:%s%s%s", k->spec, p->at, k->status ? ":" : "", k->status ? k->status : "");
}
#endif

/* The board's flash must equal want in [from, to). */
static void check_flash(const char *name, const char *when, const char *dir, const uint8_t *want, size_t from,
                        size_t to)
{
    uint8_t *got = board_get(dir);
    for (size_t i = from; i < to; i++)
        if (got[i] != want[i]) {
            unsigned seen = got[i];
            free(got);
            fail_msg("%s: %s: 0x%08zX holds 0x%02X, expected 0x%02X", name, when, FLASH_BASE + i, seen,
                     (unsigned)want[i]);
        }
    free(got);
}

static void run_cell(const char *dir, const cell *c, const uint8_t *before)
{
    const point *p = &points[c->point];
    const kind *k = &kinds[c->kind];
    char name[96], fault[96];
    snprintf(name, sizeof name, "%s / %s", p->name, k->name);
    fault_spec(k, p, fault, sizeof fault);
    board_put(dir, before);
    uint8_t *image = cli_sample_flashed_over(p->mass_erase ? NULL : before);

    cli_result r;
    run_flash(dir, fault, 1, p->mass_erase, &r);
    if (r.exit_code != c->exit_code)
        fail_msg("%s (%s): exit code %d, want %d; stderr:\n%s", name, fault, r.exit_code, c->exit_code, r.err);
    check_stderr(name, c, &r);
    check_json(name, c, &r);
    cli_result_free(&r);
#ifdef USBFS_LAUNCH
    /* A status is a successful transfer: the log cannot show where it came. */
    if (c->error && (c->kind == K_STALL || c->kind == K_TIMEOUT || c->kind == K_DISCONNECT))
        check_nothing_sent_after_error(name, dir);
#endif
    if (c->error)
        check_flash(name, "after the fault, the filesystem", dir, before, FS_START, FS_END);
    else
        check_flash(name, "after a run that went on", dir, image, 0, F401_FLASH);

    run_flash(dir, NULL, 0, p->mass_erase, &r);
    if (r.exit_code != 0 || r.out_len + r.err_len != 0)
        fail_msg("%s: second run: exit code %d, output:\n%s%s", name, r.exit_code, r.out, r.err);
    cli_result_free(&r);
    check_flash(name, "after the second run", dir, image, 0, F401_FLASH);
    free(image);
}

static void test_every_kind_at_every_phase(void **state)
{
    (void)state;
    /* Every cell of the matrix exactly once: a row left out is a cell untested. */
    int seen[POINTS][KINDS] = {{0}};
    for (size_t i = 0; i < CELLS; i++)
        seen[cells[i].point][cells[i].kind]++;
    for (int p = 0; p < POINTS; p++)
        for (int k = 0; k < KINDS; k++)
            if (seen[p][k] != 1)
                fail_msg("cell %s / %s has %d rows, want 1", points[p].name, kinds[k].name, seen[p][k]);

    char dir[512];
    cli_workdir(MATRIX_DIR, dir, sizeof dir);
    cli_copy_sample(dir, "firmware.dfu", "firmware.dfu");
    uint8_t *before = cli_pattern_flash(SEED_BOARD);
    size_t run = 0;
    for (size_t i = 0; i < CELLS; i++)
        if (selected(&cells[i])) {
            run_cell(dir, &cells[i], before);
            run++;
        }
    free(before);
    printf("# %zu of %zu cells\n", run, CELLS);
}

/* ---- a failed board's counts ---------------------------------------------------- */

#ifndef USBFS_LAUNCH /* --sim-boards: the virtual boards only */

static char *board_event(const char *out, const char *label)
{
    char key[64];
    snprintf(key, sizeof key, "{\"event\":\"board\",\"board\":\"%s\",", label);
    const char *at = strstr(out, key);
    if (!at)
        fail_msg("no board event for %s in:\n%s", label, out);
    size_t len = strcspn(at, "\n");
    char *line = malloc(len + 1);
    assert_non_null(line);
    memcpy(line, at, len);
    line[len] = '\0';
    return line;
}

/* A board that fails counts what it did before it stopped, as far as it got;
 * its neighbour's whole flash bounds the requests (a refused leave sends as
 * many). */
static void expect_failed_board(const char *dir, const char *fault, const char *counts)
{
    /* Boards that hold something else everywhere: every planned sector is
     * erased, so the counts do not depend on what skip-unchanged finds. */
    for (uint32_t i = 1; i <= 2; i++) {
        char file[32];
        snprintf(file, sizeof file, "board.SIM%u.bin", (unsigned)i);
        uint8_t *flash = cli_pattern_flash(SEED_BOARD + i);
        cli_write(dir, file, flash, F401_FLASH);
        free(flash);
    }
    const char *args[] = {"--sim", "f401", "--sim-boards", "2", "--all", "--sim-state", "board.bin", "--json",
                          "--no-progress", "-u", "firmware.dfu", NULL};
    const char *env[] = {fault, NULL};
    cli_result r;
    cli_run(dir, args, env, &r);
    cli_assert_exit(&r, 5);
    char *ok = board_event(r.out, "SIM1");
    char *failed = board_event(r.out, "SIM2");
    if (!strstr(failed, counts))
        fail_msg("%s: the failed board's counts:\n  got:  %s\n  want: %s", fault, failed, counts);
    uint64_t requests = cli_json_number(failed, "requests");
    if (requests == 0 || requests > cli_json_number(ok, "requests"))
        fail_msg("%s: the failed board sent %llu requests, the whole flash %llu", fault,
                 (unsigned long long)requests, (unsigned long long)cli_json_number(ok, "requests"));
    free(ok);
    free(failed);
    cli_result_free(&r);
}

static void test_failed_board_counts(void **state)
{
    (void)state;
    char dir[512];
    cli_workdir("fault-counts", dir, sizeof dir);
    cli_copy_sample(dir, "firmware.dfu", "firmware.dfu");
    /* Block 20 fails: the vector table and text blocks 2-19 are written
     * (1088 + 18 * 2048 bytes); the failed block was sent all the same. */
    expect_failed_board(dir, "MPFLASH_SIM_FAULT=SIM2=status:write:20:errPROG",
                        "\"bytes_written\":37952,\"bytes_sent\":40000,\"sectors_erased\":4,\"sectors_skipped\":0,\"sectors_blank\":0,"
                        "\"erase_bytes\":409600,\"mass_erase\":false,\"verified\":false,\"left\":false,"
                        "\"leave_address\":null,");
    /* The second erase fails: only the first sector (16 KiB) was erased. */
    expect_failed_board(dir, "MPFLASH_SIM_FAULT=SIM2=status:erase:2:errERASE",
                        "\"bytes_written\":0,\"bytes_sent\":0,\"sectors_erased\":1,\"sectors_skipped\":0,\"sectors_blank\":0,"
                        "\"erase_bytes\":16384,\"mass_erase\":false,\"verified\":false,");
    /* Refusing to leave: everything before it was done, and verified. */
    expect_failed_board(dir, "MPFLASH_SIM_FAULT=SIM2=status:leave:1:errVENDOR",
                        "\"bytes_written\":306240,\"bytes_sent\":306240,\"sectors_erased\":4,\"sectors_skipped\":0,\"sectors_blank\":0,"
                        "\"erase_bytes\":409600,\"mass_erase\":false,\"verified\":true,\"left\":false,"
                        "\"leave_address\":null,");
}

#endif

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_kind_at_every_phase),
#ifndef USBFS_LAUNCH
        cmocka_unit_test(test_failed_board_counts),
#endif
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
