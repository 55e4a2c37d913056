/* Bootloader entry over the raw REPL, against a fake board on a pty: the
 * exact bytes mpflash sends, and what it makes of each kind of answer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "fake_repl.h"
#include "mpflash/serial.h"

#define CODE MPF_SERIAL_BOOTLOADER_CODE

typedef struct log_capture {
    char text[8192];
} log_capture;

static void capture(void *user, mpf_log_level level, const char *message)
{
    log_capture *lc = user;
    size_t used = strlen(lc->text);
    snprintf(lc->text + used, sizeof lc->text - used, "[%d] %s\n", (int)level, message);
}

static mpf_serial_enter_options fast(log_capture *lc)
{
    /* Generous bounds: success returns at the hang-up, so they cost nothing
     * unless something is wrong, and a loaded CI machine stays green. */
    mpf_serial_enter_options o = {.timeout_ms = 2000, .attempts = 3, .settle_ms = 1000};
    o.log = capture;
    o.user = lc;
    return o;
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

static void assert_received(fake_repl *fr, unsigned rounds, const char *code)
{
    unsigned char want[1024], got[1024];
    size_t wn = expected(want, rounds, code);
    /* The board's thread may still be reading what was written last; give
     * it a bounded moment, then a little more to catch any extra byte. */
    for (int i = 0; i < 200 && fake_repl_received(fr, got, sizeof got) < wn; i++)
        usleep(10 * 1000);
    usleep(20 * 1000);
    size_t gn = fake_repl_received(fr, got, sizeof got);
    assert_int_equal(gn, wn);
    assert_memory_equal(got, want, wn);
}

static uint64_t ms_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static fake_repl *board(fake_repl_config cfg)
{
    fake_repl *fr = fake_repl_start_board(&cfg);
    assert_non_null(fr);
    return fr;
}

static void test_at_prompt(void **state)
{
    (void)state;
    log_capture lc = {{0}};
    fake_repl *fr = board((fake_repl_config){.start = FAKE_REPL_AT_PROMPT});
    mpf_serial_enter_options o = fast(&lc);
    mpf_error err = {0};
    assert_int_equal(mpf_serial_enter_bootloader(fake_repl_port(fr), &o, &err), MPF_OK);
    assert_received(fr, 1, CODE);
    assert_true(fake_repl_dropped(fr));
    assert_non_null(strstr(lc.text, "dropped off USB: it is entering its bootloader"));
    fake_repl_stop(fr);
}

static void test_defaults_with_null_options(void **state)
{
    (void)state;
    fake_repl *fr = board((fake_repl_config){.start = FAKE_REPL_AT_PROMPT});
    mpf_error err = {0};
    assert_int_equal(mpf_serial_enter_bootloader(fake_repl_port(fr), NULL, &err), MPF_OK);
    assert_received(fr, 1, CODE);
    fake_repl_stop(fr);
}

static void test_already_in_raw_repl(void **state)
{
    (void)state;
    log_capture lc = {{0}};
    fake_repl *fr = board((fake_repl_config){.start = FAKE_REPL_IN_RAW});
    mpf_serial_enter_options o = fast(&lc);
    mpf_error err = {0};
    assert_int_equal(mpf_serial_enter_bootloader(fake_repl_port(fr), &o, &err), MPF_OK);
    assert_received(fr, 1, CODE);
    assert_true(fake_repl_dropped(fr));
    fake_repl_stop(fr);
}

static void test_busy_program_stops_on_ctrl_c(void **state)
{
    (void)state;
    log_capture lc = {{0}};
    fake_repl *fr = board((fake_repl_config){.start = FAKE_REPL_RUNNING, .print_every_ms = 1});
    /* Let it print before we connect. */
    for (int i = 0; i < 200 && fake_repl_printed(fr) < 200; i++)
        usleep(10 * 1000);
    assert_true(fake_repl_printed(fr) >= 200);
    mpf_serial_enter_options o = fast(&lc);
    mpf_error err = {0};
    assert_int_equal(mpf_serial_enter_bootloader(fake_repl_port(fr), &o, &err), MPF_OK);
    assert_received(fr, 1, CODE);
    assert_true(fake_repl_dropped(fr));
    assert_null(strstr(lc.text, "sending Ctrl-C again"));
    fake_repl_stop(fr);
}

static void test_program_swallows_first_ctrl_c_then_retry(void **state)
{
    (void)state;
    log_capture lc = {{0}};
    /* Both Ctrl-C of the first round are caught by the program; the second round works. */
    fake_repl *fr = board((fake_repl_config){.start = FAKE_REPL_RUNNING, .ignore_ctrl_c = 2});
    mpf_serial_enter_options o = fast(&lc);
    o.timeout_ms = 300; /* the first round has to run out */
    mpf_error err = {0};
    assert_int_equal(mpf_serial_enter_bootloader(fake_repl_port(fr), &o, &err), MPF_OK);
    assert_received(fr, 2, CODE);
    assert_non_null(strstr(lc.text, "no raw REPL banner within 300 ms ("));
    assert_non_null(strstr(lc.text, "bytes so far); sending Ctrl-C again (attempt 2 of 3)"));
    fake_repl_stop(fr);
}

static void test_program_never_stops(void **state)
{
    (void)state;
    log_capture lc = {{0}};
    fake_repl *fr = board((fake_repl_config){.start = FAKE_REPL_RUNNING, .ignore_ctrl_c = 1000,
                                             .print_every_ms = 1});
    mpf_serial_enter_options o = fast(&lc);
    o.attempts = 2;
    o.timeout_ms = 400;
    mpf_error err = {0};
    assert_int_equal(mpf_serial_enter_bootloader(fake_repl_port(fr), &o, &err), MPF_ERR_PROTOCOL);
    assert_int_equal(err.code, MPF_ERR_PROTOCOL);
    assert_non_null(strstr(err.message, fake_repl_port(fr)));
    assert_non_null(strstr(err.message, "kept printing"));
    assert_non_null(strstr(err.message, "through 2 rounds of Ctrl-C"));
    /* The bootloader command is never sent to a board that did not reach the raw REPL. */
    assert_received(fr, 2, NULL);
    assert_false(fake_repl_dropped(fr));
    fake_repl_stop(fr);
}

static void test_silent_board_times_out(void **state)
{
    (void)state;
    fake_repl *fr = board((fake_repl_config){.silent = 1});
    mpf_serial_enter_options o = {.timeout_ms = 100, .attempts = 2};
    mpf_error err = {0};
    uint64_t t0 = ms_now();
    assert_int_equal(mpf_serial_enter_bootloader(fake_repl_port(fr), &o, &err), MPF_ERR_USB_TIMEOUT);
    uint64_t took = ms_now() - t0;
    assert_true(took >= 200 && took < 3000); /* bounded: two attempts of 100 ms */
    char want[160];
    snprintf(want, sizeof want, "%s did not answer Ctrl-C/Ctrl-A (2 attempts of 100 ms)", fake_repl_port(fr));
    assert_non_null(strstr(err.message, want));
    assert_received(fr, 2, NULL);
    fake_repl_stop(fr);
}

static void test_garbage_answers(void **state)
{
    (void)state;
    fake_repl *fr = board((fake_repl_config){.garbage = 1});
    mpf_serial_enter_options o = {.timeout_ms = 200, .attempts = 2};
    mpf_error err = {0};
    assert_int_equal(mpf_serial_enter_bootloader(fake_repl_port(fr), &o, &err), MPF_ERR_PROTOCOL);
    assert_non_null(strstr(err.message, "answered but never with the raw REPL banner (24 bytes"));
    assert_non_null(strstr(err.message, "\\xfe\\x13\\x80~"));
    assert_received(fr, 2, NULL);
    fake_repl_stop(fr);
}

static void test_exec_error_is_reported(void **state)
{
    (void)state;
    log_capture lc = {{0}};
    fake_repl *fr = board((fake_repl_config){.start = FAKE_REPL_AT_PROMPT, .exec_error = 1});
    mpf_serial_enter_options o = fast(&lc);
    mpf_error err = {0};
    assert_int_equal(mpf_serial_enter_bootloader(fake_repl_port(fr), &o, &err), MPF_ERR_DEVICE_STATUS);
    assert_non_null(strstr(err.message, "could not enter its bootloader: the board said "
                                        "\"AttributeError: 'module' object has no attribute 'bootloader'\""));
    assert_received(fr, 1, CODE);
    fake_repl_stop(fr);
}

static void test_code_that_returns(void **state)
{
    (void)state;
    log_capture lc = {{0}};
    fake_repl *fr = board((fake_repl_config){.start = FAKE_REPL_AT_PROMPT});
    mpf_serial_enter_options o = fast(&lc);
    o.code = "import machine";
    mpf_error err = {0};
    assert_int_equal(mpf_serial_enter_bootloader(fake_repl_port(fr), &o, &err), MPF_ERR_DEVICE_STATUS);
    assert_non_null(strstr(err.message, "returned to the prompt instead of entering its bootloader"));
    assert_received(fr, 1, "import machine");
    fake_repl_stop(fr);
}

static void test_no_hangup_after_ok(void **state)
{
    (void)state;
    log_capture lc = {{0}};
    fake_repl *fr = board((fake_repl_config){.start = FAKE_REPL_AT_PROMPT, .stay_after_ok = 1});
    mpf_serial_enter_options o = fast(&lc);
    o.settle_ms = 120;
    mpf_error err = {0};
    uint64_t t0 = ms_now();
    assert_int_equal(mpf_serial_enter_bootloader(fake_repl_port(fr), &o, &err), MPF_OK);
    assert_true(ms_now() - t0 >= 120);
    assert_non_null(strstr(lc.text, "OK, no hang-up yet after 120 ms"));
    assert_received(fr, 1, CODE);
    fake_repl_stop(fr);
}

static void test_drop_before_ok(void **state)
{
    (void)state;
    log_capture lc = {{0}};
    fake_repl *fr = board((fake_repl_config){.start = FAKE_REPL_AT_PROMPT, .drop_before_ok = 1});
    mpf_serial_enter_options o = fast(&lc);
    mpf_error err = {0};
    assert_int_equal(mpf_serial_enter_bootloader(fake_repl_port(fr), &o, &err), MPF_OK);
    assert_non_null(strstr(lc.text, "dropped off USB before its OK arrived"));
    assert_received(fr, 1, CODE);
    fake_repl_stop(fr);
}

static void test_not_ok(void **state)
{
    (void)state;
    fake_repl *fr = board((fake_repl_config){.start = FAKE_REPL_AT_PROMPT, .answer_not_ok = 1});
    mpf_serial_enter_options o = {.timeout_ms = 200};
    mpf_error err = {0};
    assert_int_equal(mpf_serial_enter_bootloader(fake_repl_port(fr), &o, &err), MPF_ERR_PROTOCOL);
    assert_non_null(strstr(err.message, "answered \"NO\" instead of OK"));
    fake_repl_stop(fr);
}

static void test_late_banner_before_ok(void **state)
{
    (void)state;
    log_capture lc = {{0}};
    fake_repl *fr = board((fake_repl_config){.start = FAKE_REPL_IN_RAW, .late_banner = 1});
    mpf_serial_enter_options o = fast(&lc);
    mpf_error err = {0};
    assert_int_equal(mpf_serial_enter_bootloader(fake_repl_port(fr), &o, &err), MPF_OK);
    assert_received(fr, 1, CODE);
    assert_true(fake_repl_dropped(fr));
    assert_non_null(strstr(lc.text, "dropped off USB: it is entering its bootloader"));
    fake_repl_stop(fr);
}

static void test_missing_port(void **state)
{
    (void)state;
    mpf_error err = {0};
    assert_int_equal(mpf_serial_enter_bootloader("/nonexistent/ttyACM9", NULL, &err), MPF_ERR_NO_DEVICE);
    assert_non_null(strstr(err.message, "cannot open /nonexistent/ttyACM9"));
}

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
    fake_repl *fr = board((fake_repl_config){.start = FAKE_REPL_AT_PROMPT});
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

static void test_control_chars_in_code_refused(void **state)
{
    (void)state;
    fake_repl *fr = board((fake_repl_config){.start = FAKE_REPL_AT_PROMPT});
    mpf_serial_enter_options o = {.code = "import machine\x04"};
    mpf_error err = {0};
    assert_int_equal(mpf_serial_enter_bootloader(fake_repl_port(fr), &o, &err), MPF_ERR_USAGE);
    assert_non_null(strstr(err.message, "free of control characters"));
    unsigned char got[16];
    assert_int_equal(fake_repl_received(fr, got, sizeof got), 0);
    assert_int_equal(mpf_serial_enter_bootloader("", NULL, &err), MPF_ERR_USAGE);
    fake_repl_stop(fr);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_at_prompt),
        cmocka_unit_test(test_defaults_with_null_options),
        cmocka_unit_test(test_already_in_raw_repl),
        cmocka_unit_test(test_busy_program_stops_on_ctrl_c),
        cmocka_unit_test(test_program_swallows_first_ctrl_c_then_retry),
        cmocka_unit_test(test_program_never_stops),
        cmocka_unit_test(test_silent_board_times_out),
        cmocka_unit_test(test_garbage_answers),
        cmocka_unit_test(test_exec_error_is_reported),
        cmocka_unit_test(test_code_that_returns),
        cmocka_unit_test(test_no_hangup_after_ok),
        cmocka_unit_test(test_drop_before_ok),
        cmocka_unit_test(test_not_ok),
        cmocka_unit_test(test_late_banner_before_ok),
        cmocka_unit_test(test_missing_port),
        cmocka_unit_test(test_not_a_tty),
        cmocka_unit_test(test_locked_port),
        cmocka_unit_test(test_control_chars_in_code_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
