/* Bootloader entry over the raw REPL: the exact bytes mpflash sends, and
 * what it makes of each kind of answer. The cases run against the board
 * model in-process (tests/support/repl_port.h) on a virtual clock, so their
 * timing bounds are exact and a loaded machine cannot change the outcome;
 * what only a real port can show (opening, locking, not a tty) runs on a
 * pseudo-terminal. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifndef _WIN32
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>
#endif

#include "fake_repl.h"
#include "repl_port.h"
#include "mpflash/serial.h"
#include "table_tests.h"

#define CODE MPF_SERIAL_BOOTLOADER_CODE
#define PORT "/dev/ttyACM7"

typedef struct log_capture {
    char text[8192];
} log_capture;

static void capture(void *user, mpf_log_level level, const char *message)
{
    log_capture *lc = user;
    size_t used = strlen(lc->text);
    snprintf(lc->text + used, sizeof lc->text - used, "[%d] %s\n", (int)level, message);
}

/* What the board must have received: rounds of Ctrl-C Ctrl-C Ctrl-A, then,
 * if code, the code and Ctrl-D. */
static size_t expected(unsigned char *out, unsigned rounds, const char *code)
{
    size_t n = 0;
    for (unsigned r = 0; r < rounds; r++) {
        out[n++] = 0x03;
        out[n++] = 0x03;
        out[n++] = 0x01;
    }
    if (code) {
        memcpy(out + n, code, strlen(code));
        n += strlen(code);
        out[n++] = 0x04;
    }
    return n;
}

static void assert_received(const repl_board *b, unsigned rounds, const char *code)
{
    unsigned char want[1024];
    size_t wn = expected(want, rounds, code);
    assert_int_equal(b->received_len, wn);
    assert_memory_equal(b->received, want, wn);
}

/* One bootloader entry against a fake board: how the board behaves, the
 * options, and everything that must come of it. */
typedef struct repl_case {
    const char *name;
    fake_repl_config board;
    int wait_printed;     /* let a running program print before connecting */
    int null_options;     /* pass no options at all: the defaults */
    int log;              /* capture the log (options without a log are quiet) */
    mpf_serial_enter_options opt;
    mpf_err rc;
    unsigned rounds;      /* rounds of Ctrl-C Ctrl-C Ctrl-A; 0: not checked */
    const char *sent;     /* code the board must have received, NULL: none */
    int dropped;          /* 1 dropped, 0 still there, -1 not checked */
    unsigned min_ms, max_ms; /* how long the call may take; 0: not checked */
    const char *log_has[2];
    const char *log_lacks;
    const char *err_after_port; /* the message starts "<port><this>" */
    const char *err_has[2];
} repl_case;

/* Time is virtual: the bounds are exact, and a loaded machine changes nothing. */
#define FAST(t_ms, tries, s_ms) .log = 1, .opt = {.timeout_ms = (t_ms), .attempts = (tries), .settle_ms = (s_ms)}

static const repl_case repl_cases[] = {
    {.name = "at_prompt", .board = {.start = FAKE_REPL_AT_PROMPT}, FAST(2000, 3, 1000),
     .rc = MPF_OK, .rounds = 1, .sent = CODE, .dropped = 1,
     .log_has = {"dropped off USB: it is entering its bootloader"}},
    {.name = "defaults_with_null_options", .board = {.start = FAKE_REPL_AT_PROMPT},
     .null_options = 1, .rc = MPF_OK, .rounds = 1, .sent = CODE, .dropped = -1},
    {.name = "already_in_raw_repl", .board = {.start = FAKE_REPL_IN_RAW}, FAST(2000, 3, 1000),
     .rc = MPF_OK, .rounds = 1, .sent = CODE, .dropped = 1},
    {.name = "busy_program_stops_on_ctrl_c",
     .board = {.start = FAKE_REPL_RUNNING, .print_every_ms = 1}, .wait_printed = 1,
     FAST(2000, 3, 1000), .rc = MPF_OK, .rounds = 1, .sent = CODE, .dropped = 1,
     .log_lacks = "sending Ctrl-C again"},
    /* Both Ctrl-C of the first round are caught by the program; the second
     * round works. The first round has to run out, hence the short timeout. */
    {.name = "program_swallows_first_ctrl_c_then_retry",
     .board = {.start = FAKE_REPL_RUNNING, .ignore_ctrl_c = 2}, FAST(300, 3, 1000),
     .rc = MPF_OK, .rounds = 2, .sent = CODE, .dropped = -1,
     .log_has = {"no raw REPL banner within 300 ms (",
                 "bytes so far); sending Ctrl-C again (attempt 2 of 3)"}},
    /* The bootloader command is never sent to a board that did not reach the raw REPL. */
    {.name = "program_never_stops",
     .board = {.start = FAKE_REPL_RUNNING, .ignore_ctrl_c = 1000, .print_every_ms = 1},
     FAST(400, 2, 1000), .rc = MPF_ERR_PROTOCOL, .rounds = 2, .sent = NULL, .dropped = 0,
     .err_after_port = " kept printing", .err_has = {"through 2 rounds of Ctrl-C"}},
    /* Bounded: two attempts of exactly 100 ms each. */
    {.name = "silent_board_times_out", .board = {.silent = 1},
     .opt = {.timeout_ms = 100, .attempts = 2}, .rc = MPF_ERR_USB_TIMEOUT, .rounds = 2,
     .sent = NULL, .dropped = -1, .min_ms = 200, .max_ms = 200,
     .err_after_port = " did not answer Ctrl-C/Ctrl-A (2 attempts of 100 ms)"},
    {.name = "garbage_answers", .board = {.garbage = 1}, .opt = {.timeout_ms = 200, .attempts = 2},
     .rc = MPF_ERR_PROTOCOL, .rounds = 2, .sent = NULL, .dropped = -1,
     .err_has = {"answered but never with the raw REPL banner (24 bytes", "\\xfe\\x13\\x80~"}},
    {.name = "exec_error_is_reported", .board = {.start = FAKE_REPL_AT_PROMPT, .exec_error = 1},
     FAST(2000, 3, 1000), .rc = MPF_ERR_DEVICE_STATUS, .rounds = 1, .sent = CODE, .dropped = -1,
     .err_has = {"could not enter its bootloader: the board said "
                 "\"AttributeError: 'module' object has no attribute 'bootloader'\""}},
    {.name = "code_that_returns", .board = {.start = FAKE_REPL_AT_PROMPT},
     .log = 1, .opt = {.timeout_ms = 2000, .attempts = 3, .settle_ms = 1000, .code = "import machine"},
     .rc = MPF_ERR_DEVICE_STATUS, .rounds = 1, .sent = "import machine", .dropped = -1,
     .err_has = {"returned to the prompt instead of entering its bootloader"}},
    {.name = "no_hangup_after_ok", .board = {.start = FAKE_REPL_AT_PROMPT, .stay_after_ok = 1},
     FAST(2000, 3, 120), .rc = MPF_OK, .rounds = 1, .sent = CODE, .dropped = -1, .min_ms = 120,
     .log_has = {"OK, no hang-up yet after 120 ms"}},
    {.name = "drop_before_ok", .board = {.start = FAKE_REPL_AT_PROMPT, .drop_before_ok = 1},
     FAST(2000, 3, 1000), .rc = MPF_OK, .rounds = 1, .sent = CODE, .dropped = -1,
     .log_has = {"dropped off USB before its OK arrived"}},
    {.name = "not_ok", .board = {.start = FAKE_REPL_AT_PROMPT, .answer_not_ok = 1},
     .opt = {.timeout_ms = 200}, .rc = MPF_ERR_PROTOCOL, .rounds = 0, .dropped = -1,
     .err_has = {"answered \"NO\" instead of OK"}},
    {.name = "late_banner_before_ok", .board = {.start = FAKE_REPL_IN_RAW, .late_banner = 1},
     FAST(2000, 3, 1000), .rc = MPF_OK, .rounds = 1, .sent = CODE, .dropped = 1,
     .log_has = {"dropped off USB: it is entering its bootloader"}},
};

static void run_repl_case(void **state)
{
    const repl_case *c = *state;
    log_capture lc = {{0}};
    repl_port rp;
    repl_port_init(&rp, &c->board);
    if (c->wait_printed) {
        /* The program has been printing before mpflash connects. */
        repl_board_advance(&rp.board, 1000);
        assert_true(rp.board.printed >= 200);
    }
    mpf_serial_enter_options o = c->opt;
    if (c->log) {
        o.log = capture;
        o.user = &lc;
    }
    mpf_error err = {0};
    uint64_t t0 = rp.board.now_ms;
    assert_int_equal(mpf_serial_enter_bootloader_env(&rp.env, PORT, c->null_options ? NULL : &o, &err), c->rc);
    uint64_t took = rp.board.now_ms - t0;
    assert_int_equal(rp.opens, 1);
    if (c->min_ms)
        assert_true(took >= c->min_ms);
    if (c->max_ms)
        assert_true(took <= c->max_ms);
    if (c->rc != MPF_OK)
        assert_int_equal(err.code, c->rc);
    if (c->rounds)
        assert_received(&rp.board, c->rounds, c->sent);
    if (c->dropped >= 0)
        assert_int_equal(rp.board.dropped != 0, c->dropped);
    for (size_t i = 0; i < 2; i++) {
        if (c->log_has[i])
            assert_non_null(strstr(lc.text, c->log_has[i]));
        if (c->err_has[i])
            assert_non_null(strstr(err.message, c->err_has[i]));
    }
    if (c->log_lacks)
        assert_null(strstr(lc.text, c->log_lacks));
    if (c->err_after_port) {
        char want[256];
        snprintf(want, sizeof want, "%s%s", PORT, c->err_after_port);
        assert_non_null(strstr(err.message, want));
    }
}

#ifdef _WIN32
#define MISSING_PORT "COM231"
#else
#define MISSING_PORT "/nonexistent/ttyACM9"
#endif

static void test_missing_port(void **state)
{
    (void)state;
    mpf_error err = {0};
    assert_int_equal(mpf_serial_enter_bootloader(MISSING_PORT, NULL, &err), MPF_ERR_NO_DEVICE);
    assert_non_null(strstr(err.message, "cannot open " MISSING_PORT ": "));
    assert_non_null(strstr(err.message, "is the board plugged in?"));
}

/* What the REPL cases do not reach: a port that is not there, one that is
 * not a serial port, one another program holds. The last two need POSIX
 * (a pty, flock); on Windows a COM port is exclusive by nature. */
#ifndef _WIN32

static void test_not_a_tty(void **state)
{
    (void)state;
    char path[] = "/tmp/mpflash-notatty-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    mpf_error err = {0};
    assert_int_equal(mpf_serial_enter_bootloader(path, NULL, &err), MPF_ERR_USAGE);
    assert_non_null(strstr(err.message, "is not a serial port"));
    unlink(path);
}

static void test_locked_port(void **state)
{
    (void)state;
    fake_repl *fr = fake_repl_start_board(&(fake_repl_config){.start = FAKE_REPL_AT_PROMPT});
    assert_non_null(fr);
    int holder = open(fake_repl_port(fr), O_RDWR | O_NOCTTY);
    assert_true(holder >= 0);
    assert_int_equal(flock(holder, LOCK_EX | LOCK_NB), 0);
    mpf_error err = {0};
    assert_int_equal(mpf_serial_enter_bootloader(fake_repl_port(fr), NULL, &err), MPF_ERR_USB_BUSY);
    assert_non_null(strstr(err.message, "is locked by another program"));
    unsigned char got[16];
    assert_int_equal(fake_repl_received(fr, got, sizeof got), 0);
    close(holder);
    fake_repl_stop(fr);
}

#endif

static void test_control_chars_in_code_refused(void **state)
{
    (void)state;
    repl_port rp;
    repl_port_init(&rp, &(fake_repl_config){.start = FAKE_REPL_AT_PROMPT});
    mpf_serial_enter_options o = {.code = "import machine\x04"};
    mpf_error err = {0};
    assert_int_equal(mpf_serial_enter_bootloader_env(&rp.env, PORT, &o, &err), MPF_ERR_USAGE);
    assert_non_null(strstr(err.message, "free of control characters"));
    assert_int_equal(rp.opens, 0);
    assert_int_equal(rp.board.received_len, 0);
    assert_int_equal(mpf_serial_enter_bootloader_env(&rp.env, "", NULL, &err), MPF_ERR_USAGE);
}

int main(void)
{
    static const struct CMUnitTest fixed[] = {
        cmocka_unit_test(test_missing_port),
#ifndef _WIN32
        cmocka_unit_test(test_not_a_tty),
        cmocka_unit_test(test_locked_port),
#endif
        cmocka_unit_test(test_control_chars_in_code_refused),
    };
    const test_table tables[] = {TEST_TABLE(repl_cases, run_repl_case)};
    return run_tests_and_tables("serial_repl", fixed, TABLE_LEN(fixed), tables, TABLE_LEN(tables));
}
