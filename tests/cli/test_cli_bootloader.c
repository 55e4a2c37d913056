/* --bootloader and --wait-app, the whole cycle with nothing real: each board
 * is a fake MicroPython REPL on a pseudo-terminal (tests/support/fake_repl),
 * listed in a fake sysfs tree (tests/support/fake_sysfs, through
 * MPFLASH_SYSFS_ROOT and MPFLASH_DEV_ROOT), whose DFU device is a virtual
 * board behind the fake libusb that only enumerates once the REPL has been
 * told to enter the bootloader (appear=). When the board leaves DFU mode
 * (onleave=) its serial port comes back in the sysfs tree. A watcher thread
 * in this process plays the USB bus's part in between. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <termios.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "cli_helpers.h"
#include "fake_repl.h"
#include "fake_sysfs.h"
#include "fixtures.h"
#include "mpflash/serial.h"

#define MAX_BOARDS 3

#ifdef MPFLASH_FAKE_LIBUSB

typedef struct board_rig {
    const char *serial;   /* the application's and the DFU device's */
    const char *tty;      /* "ttyACM0" */
    const char *devpath;  /* "2": USB path 1-2 */
    const char *dfu_spec; /* the fake libusb board; NULL = "f401:SERIAL:port=DEVPATH" */
    int comes_back;       /* the application's port returns after leaving DFU mode */
    const char *gone_on;  /* with DFU_DETACH: the fake's log line that makes the tty go */
    const char *machine;  /* what its firmware says it is (sys.implementation._machine) */
    int windows;          /* its serial port on bus 0, as Windows' port list gives it (the bus
                           * is not known there, only the port chain) */
    unsigned bus;         /* its USB bus; 0 = 1 */
    int arduino;          /* an Arduino board (2341:025e): it resets when its port is set
                           * to 1200 baud, which the rig sees through touch_fd */
    int touch_fd;
    fake_repl *repl;
    char class_target[1024];
    int gone, back;
} board_rig;

typedef struct rig {
    fake_sysfs fs;
    char dir[512];
    board_rig b[MAX_BOARDS];
    size_t n;
    pthread_t watcher;
    int started;
    volatile int stop;
    char env_usb[4096], env_preload[1024], env_state[600], env_log[600], env_sys[400], env_dev[400],
        env_asan[512];
    const char *env[8];
} rig;

/* Also from the watcher thread, where a failed cmocka assertion cannot
 * unwind: a file that cannot be made shows as the run's failure instead. */
static void touch(const char *path)
{
    FILE *f = fopen(path, "w");
    if (f)
        fclose(f);
}

static int contains(const uint8_t *hay, size_t n, const uint8_t *needle, size_t m)
{
    for (size_t i = 0; m <= n && i <= n - m; i++)
        if (memcmp(hay + i, needle, m) == 0)
            return 1;
    return 0;
}

static int exists(const char *path)
{
    return access(path, F_OK) == 0;
}

static void sleep_ms(unsigned ms)
{
    struct timespec ts = {0, (long)ms * 1000000L};
    nanosleep(&ts, NULL);
}

static int log_has(const rig *g, const char *line)
{
    char path[600];
    snprintf(path, sizeof path, "%s/usb.log", g->dir);
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    char buf[512];
    int found = 0;
    while (!found && fgets(buf, sizeof buf, f))
        found = strstr(buf, line) != NULL;
    fclose(f);
    return found;
}

/* The bus: a board that took the bootloader command drops its serial port
 * and its DFU device enumerates; a board that left DFU mode gets its port
 * back. */
static void *watch(void *arg)
{
    rig *g = arg;
    while (!g->stop) {
        for (size_t i = 0; i < g->n; i++) {
            board_rig *b = &g->b[i];
            char path[1200];
            int dropped = b->gone_on ? log_has(g, b->gone_on) : fake_repl_dropped(b->repl);
            struct termios tio;
            if (b->arduino && b->touch_fd > 0 && tcgetattr(b->touch_fd, &tio) == 0)
                dropped = cfgetospeed(&tio) == B1200;
            if (!b->gone && dropped) {
                fake_sysfs_remove_tty(&g->fs, b->tty);
                snprintf(path, sizeof path, "%s/appear-%s", g->dir, b->serial);
                touch(path);
                b->gone = 1;
            }
            snprintf(path, sizeof path, "%s/left-%s", g->dir, b->serial);
            if (b->gone && b->comes_back && !b->back && exists(path)) {
                char link[1200];
                snprintf(link, sizeof link, "%s/class/tty/%s", g->fs.sys, b->tty);
                if (symlink(b->class_target, link) != 0)
                    continue;
                snprintf(path, sizeof path, "%s/%s", g->fs.dev, b->tty);
                touch(path);
                b->back = 1;
            }
        }
        sleep_ms(5);
    }
    return NULL;
}

static void start(rig *g, const char *name)
{
    cli_workdir_with_firmware(name, g->dir, sizeof g->dir);
    assert_int_equal(fake_sysfs_init(&g->fs), 0);
    size_t used = 0;
    for (size_t i = 0; i < g->n; i++) {
        board_rig *b = &g->b[i];
        fake_usb_tty t = {.tty = b->tty, .bus = b->bus ? b->bus : 1, .bus_unknown = b->windows, .devpath = b->devpath,
                          .interface = 0,
                          .vid = b->arduino ? 0x2341 : 0xf055, .pid = b->arduino ? 0x025e : 0x9800,
                          .serial = b->serial, .manufacturer = "MicroPython",
                          .product = "Pyboard Virtual Comm Port in FS Mode"};
        assert_int_equal(fake_sysfs_add_usb_tty(&g->fs, &t), 0);
        fake_repl_config cfg = {.start = FAKE_REPL_AT_PROMPT, .machine = b->machine};
        b->repl = fake_repl_start_board(&cfg);
        assert_non_null(b->repl);
        /* The device node is the REPL's pseudo-terminal. */
        char node[600], link[600];
        snprintf(node, sizeof node, "%s/%s", g->fs.dev, b->tty);
        assert_int_equal(unlink(node), 0);
        assert_int_equal(symlink(fake_repl_port(b->repl), node), 0);
        if (b->arduino) {
            b->touch_fd = open(fake_repl_port(b->repl), O_RDWR | O_NOCTTY | O_NONBLOCK);
            assert_true(b->touch_fd > 0);
        }
        snprintf(link, sizeof link, "%s/class/tty/%s", g->fs.sys, b->tty);
        ssize_t n = readlink(link, b->class_target, sizeof b->class_target - 1);
        assert_true(n > 0);
        b->class_target[n] = '\0';
        char spec[1400];
        if (b->dfu_spec)
            snprintf(spec, sizeof spec, "%s", b->dfu_spec);
        else
            snprintf(spec, sizeof spec, "f401:%s:port=%s:appear=%s/appear-%s:onleave=%s/left-%s", b->serial,
                     b->devpath, g->dir, b->serial, g->dir, b->serial);
        used += (size_t)snprintf(g->env_usb + used, sizeof g->env_usb - used, "%s%s", i ? "," : "MPFLASH_FAKE_USB=",
                                 spec);
    }
    snprintf(g->env_preload, sizeof g->env_preload, "LD_PRELOAD=%s", MPFLASH_FAKE_LIBUSB);
    snprintf(g->env_state, sizeof g->env_state, "MPFLASH_FAKE_USB_STATE=%s", g->dir);
    snprintf(g->env_log, sizeof g->env_log, "MPFLASH_FAKE_USB_LOG=%s/usb.log", g->dir);
    snprintf(g->env_sys, sizeof g->env_sys, "MPFLASH_SYSFS_ROOT=%s", g->fs.sys);
    snprintf(g->env_dev, sizeof g->env_dev, "MPFLASH_DEV_ROOT=%s", g->fs.dev);
    cli_env_asan(g->env_asan, sizeof g->env_asan);
    const char *env[] = {g->env_usb, g->env_preload, g->env_state, g->env_log, g->env_sys, g->env_dev, g->env_asan,
                         NULL};
    memcpy(g->env, env, sizeof env);
    g->stop = 0;
    assert_int_equal(pthread_create(&g->watcher, NULL, watch, g), 0);
    g->started = 1;
}

/* Setup and teardown: the rig lives on the heap and is taken down even
 * when a test fails half-way (cmocka unwinds past the test's frame). */
static int rig_new(void **state)
{
    *state = calloc(1, sizeof(rig));
    return *state ? 0 : -1;
}

static int rig_done(void **state)
{
    rig *g = *state;
    if (g->started) {
        g->stop = 1;
        pthread_join(g->watcher, NULL);
    }
    for (size_t i = 0; i < g->n; i++) {
        if (g->b[i].touch_fd > 0)
            close(g->b[i].touch_fd);
        fake_repl_stop(g->b[i].repl);
    }
    if (g->fs.root[0])
        fake_sysfs_cleanup(&g->fs);
    free(g);
    return 0;
}

#define RUN_RIG(g, r, ...)                                                                                 \
    do {                                                                                                   \
        const char *const args_[] = {__VA_ARGS__, NULL};                                                   \
        cli_run((g)->dir, args_, (g)->env, r);                                                             \
    } while (0)

/* Exactly what MicroPython's REPL must have been sent. */
static void assert_repl_got_bootloader(const board_rig *b)
{
    static const char want[] = "\x03\x03\x01" MPF_SERIAL_BOOTLOADER_CODE "\x04";
    unsigned char got[512];
    size_t n = fake_repl_received(b->repl, got, sizeof got);
    if (n != sizeof want - 1 || memcmp(got, want, n) != 0)
        fail_msg("the REPL of %s received %zu bytes, not the bootloader sequence", b->serial, n);
}

/* The fake keeps each board's flash in f401-SERIAL.mem. */
static void board_file(char *file, size_t size, const char *serial)
{
    snprintf(file, size, "f401-%s.mem", serial);
}

/* Seed a board's flash before the run. */
static void seed_flash(const rig *g, const char *serial, const uint8_t *flash)
{
    char file[300];
    board_file(file, sizeof file, serial);
    cli_fake_flash_write(g->dir, file, flash);
}

static void assert_flash(const rig *g, const char *serial, const uint8_t *want)
{
    char file[300];
    board_file(file, sizeof file, serial);
    cli_assert_fake_flash(g->dir, file, want);
}

/* Two boards, each starting with flash of its own (before[i], freed by
 * free_two), so a board flashed or backed up as the other would show. */
static void seed_two(const rig *g, uint8_t *before[2])
{
    before[0] = cli_pattern_flash(0xA11CEu);
    before[1] = cli_pattern_flash(0xB0Bu);
    for (int i = 0; i < 2; i++)
        seed_flash(g, g->b[i].serial, before[i]);
}

static void free_two(uint8_t *before[2])
{
    for (int i = 0; i < 2; i++)
        free(before[i]);
}

/* Board i was entered through its REPL, flashed over its own old contents,
 * and its backup (kept.SERIAL.dfu) holds its own sector 0, not the other's. */
static void assert_flashed_with_own_backup(const rig *g, uint8_t *const before[2], int i)
{
    const board_rig *b = &g->b[i];
    assert_repl_got_bootloader(b);
    uint8_t *want = cli_sample_flashed_over(before[i]);
    assert_flash(g, b->serial, want);
    free(want);
    char file[64];
    snprintf(file, sizeof file, "kept.%s.dfu", b->serial);
    size_t len;
    uint8_t *kept = cli_read(g->dir, file, &len);
    assert_true(contains(kept, len, before[i], 4096));
    assert_false(contains(kept, len, before[1 - i], 4096));
    free(kept);
}

/* text with every `from` replaced by `to`, for goldens free of temp names. */
static char *replace_all(const char *text, const char *from, const char *to)
{
    size_t n = 0, fl = strlen(from), tl = strlen(to);
    for (const char *p = text; (p = strstr(p, from)) != NULL; p += fl)
        n++;
    char *out = malloc(strlen(text) + n * tl + 1);
    assert_non_null(out);
    char *o = out;
    for (const char *p = text;;) {
        const char *hit = strstr(p, from);
        if (!hit) {
            strcpy(o, p);
            break;
        }
        memcpy(o, p, (size_t)(hit - p));
        o += hit - p;
        memcpy(o, to, tl);
        o += tl;
        p = hit + fl;
    }
    return out;
}

/* USB times are wall-clock times: "in 8 ms;" becomes "in <time>;". */
static void mask_times(char *text)
{
    for (char *p = text; (p = strstr(p, " in ")) != NULL; p += 4) {
        char *end = p + 4;
        while ((*end >= '0' && *end <= '9') || *end == '.')
            end++;
        if (end == p + 4 || (strncmp(end, " ms;", 4) != 0 && strncmp(end, " s;", 3) != 0))
            continue;
        end = strchr(end, ';');
        static const char masked[] = " in <time>";
        memmove(p + sizeof masked - 1, end, strlen(end) + 1);
        memcpy(p, masked, sizeof masked - 1);
    }
}

static void golden_normalized(const rig *g, const char *name, const char *text)
{
    char *a = replace_all(text, g->fs.dev, "<dev>");
    mask_times(a);
    cli_golden(name, a, strlen(a));
    free(a);
}

/* ---- one board ---------------------------------------------------------------------- */

static void one_board(rig *g, int comes_back)
{
    g->n = 1;
    g->b[0] = (board_rig){.serial = "3276345F3234", .tty = "ttyACM0", .devpath = "2", .comes_back = comes_back};
}

/* The whole cycle: REPL, DFU device, flash, the application's port. */
static void test_enter_flash_wait(void **state)
{
    rig *g = *state;
    one_board(g, 1);
    start(g, "boot-one");
    cli_result r;
    RUN_RIG(g, &r, "-B", "--wait-app", "5", "--no-progress", "-u", "firmware.dfu");
    cli_assert_exit(&r, 0);
    assert_int_equal(r.err_len, 0);
    golden_normalized(g, "boot-one.out", r.out);
    cli_result_free(&r);
    assert_repl_got_bootloader(&g->b[0]);
    uint8_t *want = cli_sample_flashed_over(NULL);
    assert_flash(g, "3276345F3234", want);
    free(want);
}

/* The port named as port, JSON out: the bootloader event and the port in the result. */
static void named_port_json(rig *g, const char *port)
{
    cli_result r;
    char want[1400];
    RUN_RIG(g, &r, "-B", port, "--wait-app=5", "--json", "--no-progress", "-u", "firmware.dfu");
    assert_int_equal(r.exit_code, 0);
    snprintf(want, sizeof want,
             "{\"event\":\"bootloader\",\"port\":\"%s\",\"serial\":\"3276345F3234\",\"path\":\"1-2\","
             "\"method\":\"repl\"}\n",
             port);
    assert_non_null(strstr(r.out, want));
    snprintf(want, sizeof want, "\"backup\":null,\"port\":\"%s/ttyACM0\"}\n", g->fs.dev);
    assert_non_null(strstr(r.out, want));
    assert_non_null(strstr(r.out, "{\"event\":\"result\",\"command\":\"flash\",\"ok\":true,\"exit_code\":0,"));
    cli_result_free(&r);
    assert_repl_got_bootloader(&g->b[0]);
    uint8_t *flash = cli_sample_flashed_over(NULL);
    assert_flash(g, "3276345F3234", flash);
    free(flash);
}

/* The pty's own name: the sysfs entry is found through the link. */
static void test_named_port_json(void **state)
{
    rig *g = *state;
    one_board(g, 1);
    start(g, "boot-json");
    named_port_json(g, fake_repl_port(g->b[0].repl));
}

/* -B takes a character device wherever it is: here a link to the board's
 * tty in the work folder (before, it was read as the firmware file). */
static void test_named_port_outside_dev(void **state)
{
    rig *g = *state;
    one_board(g, 1);
    start(g, "boot-link");
    char link[700];
    snprintf(link, sizeof link, "%s/board-port", g->dir);
    assert_int_equal(symlink(fake_repl_port(g->b[0].repl), link), 0);
    named_port_json(g, link);
}

/* Flashed, left, and the port never came back: exit 7. */
static void test_app_never_back(void **state)
{
    rig *g = *state;
    one_board(g, 0);
    start(g, "boot-gone");
    cli_result r;
    RUN_RIG(g, &r, "-B", "--wait-app", "1", "--json", "--no-progress", "-u", "firmware.dfu");
    assert_int_equal(r.exit_code, 7);
    cli_assert_error_line(&r, "the application's serial port (serial 3276345F3234, port 1-2) did not appear "
                              "within 1000 ms");
    assert_non_null(strstr(r.out, "\"ok\":false,\"exit_code\":7,\"error\":\"app-timeout\""));
    cli_result_free(&r);
    uint8_t *flash = cli_sample_flashed_over(NULL);
    assert_flash(g, "3276345F3234", flash); /* the flash itself went through */
    free(flash);
}

/* A DFU device that is not the board: refused, nothing flashed. */
static void test_only_device_is_another(void **state)
{
    rig *g = *state;
    one_board(g, 1);
    /* The real spec needs the work directory, which start() creates; until
     * then an empty one, replaced below. */
    char spec[700] = "";
    g->b[0].dfu_spec = spec;
    start(g, "boot-other");
    snprintf(spec, sizeof spec, "f401:OTHER:port=5:appear=%s/appear-3276345F3234", g->dir);
    snprintf(g->env_usb, sizeof g->env_usb, "MPFLASH_FAKE_USB=%s", spec);
    cli_result r;
    RUN_RIG(g, &r, "-B", "--wait=1", "-q", "-u", "firmware.dfu");
    assert_int_equal(r.exit_code, 3);
    cli_assert_error_line(&r, "after waiting 1 s for its DFU device: the only DFU device (serial OTHER, port 1-5) "
                              "is not the board (serial 3276345F3234, port 1-2); refusing to flash another board");
    cli_result_free(&r);
    assert_repl_got_bootloader(&g->b[0]);
    uint8_t *blank = cli_erased_flash();
    assert_flash(g, "OTHER", blank);
    free(blank);
}

/* ---- several boards ------------------------------------------------------------------- */

/* Two boards entered at once. Their tty names run the other way round from
 * their ports, and each starts with flash of its own, so a board flashed or
 * backed up as the other would show. */
static void test_two_boards(void **state)
{
    rig *g = *state;
    g->n = 2;
    g->b[0] = (board_rig){.serial = "2071385A4D30", .tty = "ttyACM0", .devpath = "4", .comes_back = 1};
    g->b[1] = (board_rig){.serial = "3276345F3234", .tty = "ttyACM1", .devpath = "2", .comes_back = 1};
    start(g, "boot-two");
    uint8_t *before[2];
    seed_two(g, before);
    cli_result r;
    RUN_RIG(g, &r, "--all", "-B", "--wait-app", "5", "--backup", "kept.dfu", "--json", "--no-progress", "-u",
            "firmware.dfu");
    cli_assert_exit(&r, 0);
    for (int i = 0; i < 2; i++) {
        board_rig *b = &g->b[i];
        assert_flashed_with_own_backup(g, before, i);
        /* The board event ties the port it was entered through, its DFU
         * device and the port it came back on. */
        char line[1200];
        snprintf(line, sizeof line,
                 "{\"event\":\"board\",\"board\":\"%s\",\"serial\":\"%s\",\"path\":\"1-%s\",\"entered\":\"%s/%s\","
                 "\"ok\":true,",
                 b->serial, b->serial, b->devpath, g->fs.dev, b->tty);
        assert_non_null(strstr(r.out, line));
        snprintf(line, sizeof line, "\"backup\":\"kept.%s.dfu\",\"port\":\"%s/%s\"}", b->serial, g->fs.dev, b->tty);
        assert_non_null(strstr(r.out, line));
    }
    assert_non_null(strstr(r.out, "{\"event\":\"result\",\"command\":\"flash\",\"ok\":true,\"exit_code\":0,"
                                  "\"dry_run\":false,\"boards\":2,\"failed\":0}\n"));
    cli_result_free(&r);
    free_two(before);
}

/* The same in text: the summary table has the port each board came back on. */
static void test_two_boards_table(void **state)
{
    rig *g = *state;
    g->n = 2;
    g->b[0] = (board_rig){.serial = "2071385A4D30", .tty = "ttyACM0", .devpath = "4", .comes_back = 1};
    g->b[1] = (board_rig){.serial = "3276345F3234", .tty = "ttyACM1", .devpath = "2", .comes_back = 1};
    start(g, "boot-table");
    cli_result r;
    RUN_RIG(g, &r, "--all", "-B", "--wait-app", "5", "-u", "firmware.dfu");
    assert_int_equal(r.exit_code, 0);
    char *text = replace_all(r.out, g->fs.dev, "<dev>");
    assert_non_null(strstr(text, "entering the bootloader: <dev>/ttyACM0 (f055:9800 serial 2071385A4D30 at 1-4), "
                                 "through the raw REPL\n"
                                 "entering the bootloader: <dev>/ttyACM1 (f055:9800 serial 3276345F3234 at 1-2), "
                                 "through the raw REPL\n"));
    assert_non_null(strstr(text, "\nboard         path  result   bytes"));
    assert_non_null(strstr(text, "\n2071385A4D30  1-4   ok      306240"));
    assert_non_null(strstr(text, "  <dev>/ttyACM0\n3276345F3234  1-2   ok      306240"));
    assert_non_null(strstr(text, "  <dev>/ttyACM1\n"));
    free(text);
    /* Off a terminal, progress lines name their board. */
    assert_non_null(strstr(r.err, "2071385A4D30: write   100%"));
    assert_non_null(strstr(r.err, "3276345F3234: leave   done\n"));
    cli_result_free(&r);
    uint8_t *want = cli_sample_flashed_over(NULL);
    assert_flash(g, "2071385A4D30", want);
    assert_flash(g, "3276345F3234", want);
    free(want);
}

/* Two boards entered, and two DFU devices that neither serial number nor
 * port ties to either: refused, nothing flashed. */
static void test_two_boards_unprovable(void **state)
{
    rig *g = *state;
    g->n = 2;
    g->b[0] = (board_rig){.serial = "2071385A4D30", .tty = "ttyACM0", .devpath = "4", .comes_back = 1};
    g->b[1] = (board_rig){.serial = "3276345F3234", .tty = "ttyACM1", .devpath = "2", .comes_back = 1};
    char spec[2][700] = {"", ""}; /* filled in once start() made the work directory */
    g->b[0].dfu_spec = spec[0];
    g->b[1].dfu_spec = spec[1];
    start(g, "boot-unprovable");
    snprintf(spec[0], sizeof spec[0], "f401:X1:port=7:appear=%s/appear-2071385A4D30", g->dir);
    snprintf(spec[1], sizeof spec[1], "f401:X2:port=8:appear=%s/appear-3276345F3234", g->dir);
    snprintf(g->env_usb, sizeof g->env_usb, "MPFLASH_FAKE_USB=%s,%s", spec[0], spec[1]);
    cli_result r;
    RUN_RIG(g, &r, "--all", "-B", "--wait=1", "--no-progress", "-u", "firmware.dfu");
    assert_int_equal(r.exit_code, 3);
    assert_non_null(strstr(r.err, "mpflash: error: 2071385A4D30: after waiting 1 s for its DFU device: 2 DFU "
                                  "devices and none has the board's serial number (2071385A4D30) or port (1-4); "
                                  "refusing to guess"));
    assert_non_null(strstr(r.err, "mpflash: error: 3276345F3234: after waiting 1 s for its DFU device: 2 DFU "
                                  "devices and none has the board's serial number (3276345F3234) or port (1-2); "
                                  "refusing to guess"));
    assert_non_null(strstr(r.out, "2071385A4D30  -     failed (exit 3)"));
    cli_result_free(&r);
    uint8_t *blank = cli_erased_flash();
    assert_flash(g, "X1", blank);
    assert_flash(g, "X2", blank);
    free(blank);
}

/* ---- Windows: a serial port's bus is not known, only its port chain ------------------ */

/* The board's application serial number cannot be tied to its DFU device's
 * (TinyUSB's 16 digits), so only the port ties them; its serial port is
 * "0-2" (bus not known). Another board already in DFU mode sits on port 2
 * of another bus (1-2); the board's own DFU device comes up at 2-2, or
 * (appear = NULL) never. */
static void windows_rig(rig *g, char spec[2][700], const char *name, int appears)
{
    g->n = 1;
    g->b[0] = (board_rig){.serial = "E66038B7133A7A2B", .tty = "ttyACM0", .devpath = "2", .windows = 1,
                         .dfu_spec = spec[0]};
    start(g, name);
    snprintf(spec[0], 700, "f401:A1:port=2:bus=2:appear=%s/appear-%s", g->dir,
             appears ? "E66038B7133A7A2B" : "never");
    snprintf(spec[1], 700, "f401:DECOY:port=2:bus=1");
    snprintf(g->env_usb, sizeof g->env_usb, "MPFLASH_FAKE_USB=%s,%s", spec[1], spec[0]);
}

/* The DFU device that was there before the board was asked is on another
 * host controller (the board still held its own port then): the board's
 * own, which came later on the same port chain, is flashed. */
static void test_windows_port_chain(void **state)
{
    rig *g = *state;
    char spec[2][700] = {"", ""};
    windows_rig(g, spec, "boot-windows", 1);
    cli_result r;
    RUN_RIG(g, &r, "-B", "--json", "--no-progress", "-u", "firmware.dfu");
    cli_assert_exit(&r, 0);
    assert_non_null(strstr(r.out, "\"serial\":\"A1\",\"path\":\"2-2\""));
    cli_result_free(&r);
    assert_repl_got_bootloader(&g->b[0]);
    uint8_t *want = cli_sample_flashed_over(NULL);
    assert_flash(g, "A1", want);
    free(want);
    uint8_t *blank = cli_erased_flash();
    assert_flash(g, "DECOY", blank);
    free(blank);
}

/* Two boards on the same port chain of two host controllers, as Windows
 * lists them (both "0-2"): two boards (not one with two interfaces), each
 * tied to its own DFU device by its serial number, each flashed with its
 * own backup; -p naming that chain fits both and is refused. */
static void test_windows_two_controllers_one_chain(void **state)
{
    rig *g = *state;
    g->n = 2;
    char spec[2][700] = {"", ""};
    g->b[0] = (board_rig){.serial = "2071385A4D30", .tty = "ttyACM0", .devpath = "2", .bus = 1, .windows = 1,
                         .comes_back = 1, .dfu_spec = spec[0]};
    g->b[1] = (board_rig){.serial = "3276345F3234", .tty = "ttyACM1", .devpath = "2", .bus = 2, .windows = 1,
                         .comes_back = 1, .dfu_spec = spec[1]};
    start(g, "boot-windows-two");
    for (int i = 0; i < 2; i++)
        snprintf(spec[i], 700, "f401:%s:port=2:bus=%u:appear=%s/appear-%s", g->b[i].serial, g->b[i].bus, g->dir,
                 g->b[i].serial);
    snprintf(g->env_usb, sizeof g->env_usb, "MPFLASH_FAKE_USB=%s,%s", spec[0], spec[1]);
    uint8_t *before[2];
    seed_two(g, before);
    cli_result r;
    RUN_RIG(g, &r, "--all", "-B", "-p", "1-2", "-q", "-u", "firmware.dfu");
    assert_int_equal(r.exit_code, 3);
    assert_non_null(strstr(r.err, "mpflash: error: port path 1-2 fits 2 MicroPython boards: "));
    cli_result_free(&r);
    unsigned char got[16];
    for (int i = 0; i < 2; i++)
        assert_int_equal(fake_repl_received(g->b[i].repl, got, sizeof got), 0);
    RUN_RIG(g, &r, "--all", "-B", "--backup", "kept.dfu", "--json", "--no-progress", "-u",
            "firmware.dfu");
    cli_assert_exit(&r, 0);
    for (int i = 0; i < 2; i++)
        assert_flashed_with_own_backup(g, before, i);
    cli_result_free(&r);
    free_two(before);
}

/* Windows: the board's serial port is "0-2"; its own DFU run-time
 * interface, on bus 1, is the one device on that chain with its IDs and a
 * serial number that agrees: detached, not talked to. A second run-time
 * device on the chain of another controller that cannot be told apart (no
 * serial number) makes it the REPL instead, and nothing is detached. */
static void test_windows_detach_only_when_unique(void **state)
{
    rig *g = *state;
    g->n = 1;
    char spec[700] = "";
    g->b[0] = (board_rig){.serial = "RT1", .tty = "ttyACM0", .devpath = "2", .windows = 1, .comes_back = 1,
                         .gone_on = "RT1 enumerate dfu", .dfu_spec = spec};
    start(g, "boot-windows-detach");
    snprintf(spec, sizeof spec, "f401:RT1:runtime:port=2:bus=1:onleave=%s/left-RT1", g->dir);
    snprintf(g->env_usb, sizeof g->env_usb, "MPFLASH_FAKE_USB=%s", spec);
    cli_result r;
    RUN_RIG(g, &r, "-B", "--json", "--no-progress", "-u", "firmware.dfu");
    cli_assert_exit(&r, 0);
    assert_non_null(strstr(r.out, "{\"event\":\"bootloader\",\"port\":null,\"serial\":\"RT1\",\"path\":\"0-2\","
                                  "\"method\":\"detach\"}\n"));
    cli_result_free(&r);
    unsigned char got[16];
    assert_int_equal(fake_repl_received(g->b[0].repl, got, sizeof got), 0);
    uint8_t *flash = cli_sample_flashed_over(NULL);
    assert_flash(g, "RT1", flash);
    free(flash);
}

static void test_windows_no_detach_when_shared(void **state)
{
    rig *g = *state;
    g->n = 1;
    char spec[700] = "";
    g->b[0] = (board_rig){.serial = "RT2", .tty = "ttyACM0", .devpath = "2", .windows = 1,
                         .gone_on = "RT2 enumerate dfu", .dfu_spec = spec};
    start(g, "boot-windows-shared");
    snprintf(spec, sizeof spec, "f401:RT2:runtime:port=2:bus=1,f401::runtime:port=2:bus=2");
    snprintf(g->env_usb, sizeof g->env_usb, "MPFLASH_FAKE_USB=%s", spec);
    cli_result r;
    /* Named (the pty's own name, /dev/pts/N): -B alone would also take the
     * nameless run-time device for a second board. */
    RUN_RIG(g, &r, "-B", fake_repl_port(g->b[0].repl), "--wait=1", "--json", "--no-progress", "-u",
            "firmware.dfu");
    assert_int_equal(r.exit_code, 3);
    assert_non_null(strstr(r.out, "\"method\":\"repl\"}\n"));
    cli_result_free(&r);
    assert_repl_got_bootloader(&g->b[0]);
    assert_false(log_has(g, "enumerate dfu"));
    assert_false(log_has(g, " ctrl 21 00 ")); /* no DETACH to either */
}

/* The same two boards, and the second one's DFU device never comes: the
 * first one's, on that chain too, is tied to the first by its serial
 * number, so the second's port chain gives way (it does not make both
 * fail); the first is flashed, the second fails alone and is not touched. */
static void test_windows_chain_gives_way_to_serial(void **state)
{
    rig *g = *state;
    g->n = 2;
    char spec[2][700] = {"", ""};
    g->b[0] = (board_rig){.serial = "2071385A4D30", .tty = "ttyACM0", .devpath = "2", .bus = 1, .windows = 1,
                         .dfu_spec = spec[0]};
    g->b[1] = (board_rig){.serial = "3276345F3234", .tty = "ttyACM1", .devpath = "2", .bus = 2, .windows = 1,
                         .dfu_spec = spec[1]};
    start(g, "boot-windows-give-way");
    snprintf(spec[0], 700, "f401:2071385A4D30:port=2:bus=1:appear=%s/appear-2071385A4D30", g->dir);
    snprintf(spec[1], 700, "f401:3276345F3234:port=2:bus=2:appear=%s/never", g->dir);
    snprintf(g->env_usb, sizeof g->env_usb, "MPFLASH_FAKE_USB=%s,%s", spec[0], spec[1]);
    uint8_t *before = cli_pattern_flash(0xB0Bu);
    seed_flash(g, "3276345F3234", before);
    cli_result r;
    RUN_RIG(g, &r, "--all", "-B", "--wait=1", "--no-progress", "-u", "firmware.dfu");
    assert_int_equal(r.exit_code, 3);
    assert_non_null(strstr(r.out, "\n2071385A4D30  1-2   ok "));
    assert_non_null(strstr(r.err, "mpflash: error: 3276345F3234: after waiting 1 s for its DFU device: no DFU "
                                  "device found for the board (serial 3276345F3234, port 0-2)"));
    assert_null(strstr(r.err, "both point to"));
    cli_result_free(&r);
    uint8_t *want = cli_sample_flashed_over(NULL);
    assert_flash(g, "2071385A4D30", want);
    free(want);
    assert_flash(g, "3276345F3234", before);
    free(before);
}

/* The board's DFU device never comes: the other one on its port chain is
 * not taken for it. */
static void test_windows_port_chain_never_another(void **state)
{
    rig *g = *state;
    char spec[2][700] = {"", ""};
    windows_rig(g, spec, "boot-windows-never", 0);
    cli_result r;
    RUN_RIG(g, &r, "-B", "--wait=1", "-q", "-u", "firmware.dfu");
    assert_int_equal(r.exit_code, 3);
    cli_assert_error_line(&r, "after waiting 1 s for its DFU device: no DFU device found for the board (serial "
                              "E66038B7133A7A2B, port 0-2)");
    cli_result_free(&r);
    assert_repl_got_bootloader(&g->b[0]);
    uint8_t *blank = cli_erased_flash();
    assert_flash(g, "DECOY", blank);
    assert_flash(g, "A1", blank);
    free(blank);
}

/* The wrong-board guard through -B: the firmware names another board than
 * the one running, which is asked (sys.implementation._machine) before it
 * is sent to its bootloader: refused, it keeps running, nothing is flashed. */
static void write_firmware_for(const rig *g, const char *name, const char *machine)
{
    mpf_image img;
    mpf_image_init(&img);
    assert_int_equal(fixture_micropython_image(&img, 0, 9), 0);
    memcpy(img.segments[1].data + 0x1000, machine, strlen(machine) + 1);
    img.segments[1].data[0x0FFF] = 0;
    uint8_t *dfu;
    size_t len;
    mpf_error err;
    assert_int_equal(mpf_write_dfuse(&img, NULL, &dfu, &len, &err), MPF_OK);
    char path[700];
    snprintf(path, sizeof path, "%s/%s", g->dir, name);
    assert_int_equal(mpf_write_file_atomic(path, dfu, len, &err), MPF_OK);
    free(dfu);
    mpf_image_free(&img);
}

static void test_wrong_board_stays_running(void **state)
{
    rig *g = *state;
    one_board(g, 1);
    g->b[0].machine = "NUCLEO-F401RE with STM32F401xE";
    start(g, "boot-wrong-board");
    write_firmware_for(g, "pybv11.dfu", "PYBv1.1 with STM32F405RG");
    write_firmware_for(g, "nucleo.dfu", "NUCLEO-F401RE with STM32F401xE");
    cli_result r;
    RUN_RIG(g, &r, "-B", "--no-progress", "-u", "pybv11.dfu");
    cli_assert_exit(&r, 2);
    assert_non_null(strstr(r.err, "wrong board: the firmware is for PYBv1.1 with STM32F405RG, but the board "
                                  "runs NUCLEO-F401RE with STM32F401xE (sys.implementation._machine)"));
    cli_result_free(&r);
    unsigned char got[512];
    size_t n = fake_repl_received(g->b[0].repl, got, sizeof got);
    assert_true(contains(got, n, (const uint8_t *)MPF_SERIAL_MACHINE_CODE, strlen(MPF_SERIAL_MACHINE_CODE)));
    assert_false(contains(got, n, (const uint8_t *)"machine.bootloader()", 20));
    assert_false(fake_repl_dropped(g->b[0].repl));
    /* Its own firmware goes on: asked, found right, entered, flashed. */
    RUN_RIG(g, &r, "-B", "--no-progress", "-u", "nucleo.dfu");
    cli_assert_exit(&r, 0);
    cli_result_free(&r);
    assert_true(fake_repl_dropped(g->b[0].repl));
}

/* Firmware with a DFU run-time interface is detached, not talked to. */
static void test_detach_instead_of_repl(void **state)
{
    rig *g = *state;
    g->n = 1;
    char spec[700] = ""; /* filled in once start() made the work directory */
    g->b[0] = (board_rig){.serial = "RT1", .tty = "ttyACM0", .devpath = "2", .comes_back = 1,
                         .gone_on = "RT1 enumerate dfu", .dfu_spec = spec};
    start(g, "boot-detach");
    snprintf(spec, sizeof spec, "f401:RT1:runtime:port=2:onleave=%s/left-RT1", g->dir);
    snprintf(g->env_usb, sizeof g->env_usb, "MPFLASH_FAKE_USB=%s", spec);
    cli_result r;
    RUN_RIG(g, &r, "-B", "--wait-app", "5", "--json", "--no-progress", "-u", "firmware.dfu");
    cli_assert_exit(&r, 0);
    assert_non_null(strstr(r.out, "{\"event\":\"bootloader\",\"port\":null,\"serial\":\"RT1\",\"path\":\"1-2\","
                                  "\"method\":\"detach\"}\n"));
    char want[600];
    snprintf(want, sizeof want, "\"port\":\"%s/ttyACM0\"}\n", g->fs.dev);
    assert_non_null(strstr(r.out, want));
    cli_result_free(&r);
    unsigned char got[16];
    assert_int_equal(fake_repl_received(g->b[0].repl, got, sizeof got), 0);
    uint8_t *flash = cli_sample_flashed_over(NULL);
    assert_flash(g, "RT1", flash);
    free(flash);
}

/* An Arduino board (vendor ID 2341) is entered with the 1200-baud touch,
 * not the REPL: its port is set to 1200 baud and closed, it drops off USB,
 * and its DFU device is flashed. */
static void test_arduino_touch(void **state)
{
    rig *g = *state;
    g->n = 1;
    g->b[0] = (board_rig){.serial = "ARD1", .tty = "ttyACM0", .devpath = "4", .arduino = 1};
    start(g, "boot-touch");
    cli_result r;
    RUN_RIG(g, &r, "-B", "--json", "--no-progress", "-u", "firmware.dfu");
    cli_assert_exit(&r, 0);
    char want[700];
    snprintf(want, sizeof want, "{\"event\":\"bootloader\",\"port\":\"%s/ttyACM0\",\"serial\":\"ARD1\",\"path\":\"1-4\","
                                "\"method\":\"touch\"}\n", g->fs.dev);
    if (!strstr(r.out, want))
        fail_msg("no touch event in: %s", r.out);
    cli_result_free(&r);
    unsigned char got[16];
    assert_int_equal(fake_repl_received(g->b[0].repl, got, sizeof got), 0); /* no REPL bytes */
    uint8_t *flash = cli_sample_flashed_over(NULL);
    assert_flash(g, "ARD1", flash);
    free(flash);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_arduino_touch, rig_new, rig_done),
        cmocka_unit_test_setup_teardown(test_enter_flash_wait, rig_new, rig_done),
        cmocka_unit_test_setup_teardown(test_named_port_json, rig_new, rig_done),
        cmocka_unit_test_setup_teardown(test_named_port_outside_dev, rig_new, rig_done),
        cmocka_unit_test_setup_teardown(test_app_never_back, rig_new, rig_done),
        cmocka_unit_test_setup_teardown(test_only_device_is_another, rig_new, rig_done),
        cmocka_unit_test_setup_teardown(test_two_boards, rig_new, rig_done),
        cmocka_unit_test_setup_teardown(test_two_boards_table, rig_new, rig_done),
        cmocka_unit_test_setup_teardown(test_two_boards_unprovable, rig_new, rig_done),
        cmocka_unit_test_setup_teardown(test_detach_instead_of_repl, rig_new, rig_done),
        cmocka_unit_test_setup_teardown(test_windows_port_chain, rig_new, rig_done),
        cmocka_unit_test_setup_teardown(test_windows_port_chain_never_another, rig_new, rig_done),
        cmocka_unit_test_setup_teardown(test_windows_two_controllers_one_chain, rig_new, rig_done),
        cmocka_unit_test_setup_teardown(test_windows_chain_gives_way_to_serial, rig_new, rig_done),
        cmocka_unit_test_setup_teardown(test_windows_detach_only_when_unique, rig_new, rig_done),
        cmocka_unit_test_setup_teardown(test_windows_no_detach_when_shared, rig_new, rig_done),
        cmocka_unit_test_setup_teardown(test_wrong_board_stays_running, rig_new, rig_done),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

#else

int main(void)
{
    return 77; /* no fake libusb to stand in for the DFU devices */
}

#endif
