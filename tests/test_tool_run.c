/* The tool in-process: what only an in-process test can reach (the
 * terminal progress line, the JSON writer's escaping, the testing aid's
 * grammar, the formatting helpers), and tool_main's output streams. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mpflash/sim.h"
#include "test_os.h"
#include "tool/tool.h"
#include "tool/tool_ctx.h"
#include "tool/tool_json.h"
#include "tool/tool_sim.h"
#include "tool_capture.h"

#define SAMPLE MPFLASH_BUILD_DIR "/sample/firmware.dfu"

/* On a terminal each phase is one line, redrawn with \r and cleared to the
 * end with ESC[K; the line ends when the phase does. --full, because the
 * virtual board starts blank and would otherwise need no erase phase. */
static void test_tty_progress(void **state)
{
    (void)state;
    char *argv[] = {"mpflash", "--sim", "f401", "--full", "-u", SAMPLE, NULL};
    captured c;
    tool_run_captured(&c, 1, NULL, 6, argv);
    assert_int_equal(c.code, 0);
    assert_non_null(strstr(c.err, "\rerase    25%  1/4 sectors"));
    assert_non_null(strstr(c.err, "\rwrite   100%  299.1/299.1 KiB"));
    assert_non_null(strstr(c.err, "\rverify  100%  299.1/299.1 KiB"));
    assert_non_null(strstr(c.err, "\rleave   done\033[K\n"));
    /* Every phase's last redraw is followed by its newline. */
    assert_non_null(strstr(c.err, "4/4 sectors\033[K\n"));
    /* One redraw per percent at most: 101 per byte phase, not one per block. */
    size_t redraws = 0;
    for (const char *p = c.err; (p = strstr(p, "\rwrite ")) != NULL; p++)
        redraws++;
    assert_true(redraws >= 100 && redraws <= 101);
    captured_release(&c);
}

/* A blank board is checked whole and written without an erase, and the
 * progress says so: a check phase, no erase phase. */
static void test_tty_progress_on_a_blank_board(void **state)
{
    (void)state;
    char *argv[] = {"mpflash", "--sim", "f401", "-u", SAMPLE, NULL};
    captured c;
    tool_run_captured(&c, 1, NULL, 5, argv);
    assert_int_equal(c.code, 0);
    assert_non_null(strstr(c.err, "\rcheck   100%  400.0/400.0 KiB"));
    assert_null(strstr(c.err, "\rerase "));
    assert_non_null(strstr(c.err, "\rwrite   100%  299.1/299.1 KiB"));
    captured_release(&c);
}

/* Several boards on a terminal: one line each, redrawn as a block (cursor
 * up by the block's height, every line rewritten and cleared). */
static void test_tty_progress_several_boards(void **state)
{
    (void)state;
    char *argv[] = {"mpflash", "--sim", "f401", "--sim-boards", "2", "--all", "-u", SAMPLE, NULL};
    captured c;
    tool_run_captured(&c, 1, NULL, 8, argv);
    assert_int_equal(c.code, 0);
    assert_non_null(strstr(c.err, "\033[2A\rSIM1  "));
    assert_non_null(strstr(c.err, "\rSIM1  write   100%  299.1/299.1 KiB  145.4 KiB/s\033[K\n"));
    assert_non_null(strstr(c.err, "\rSIM2  leave   done\033[K\n"));
    /* The block ends as it was last drawn: both boards done. */
    const char *last = c.err;
    for (const char *p = c.err; (p = strstr(p, "\033[2A")) != NULL; p++)
        last = p;
    assert_string_equal(last, "\033[2A\rSIM1  leave   done\033[K\n\rSIM2  leave   done\033[K\n");
    /* The table on stdout. */
    assert_non_null(strstr(c.out, "board  path  result   bytes   time\n"));
    captured_release(&c);
}

static void test_quiet_and_json_own_stdout(void **state)
{
    (void)state;
    char *quiet[] = {"mpflash", "--sim", "f401", "-q", "-u", SAMPLE, NULL};
    captured c;
    tool_run_captured(&c, 1, NULL, 6, quiet);
    assert_int_equal(c.code, 0);
    assert_int_equal(c.out_len, 0);
    assert_int_equal(c.err_len, 0);
    captured_release(&c);
    /* --json: stdout is only JSON lines; no progress text on stderr. */
    char *json[] = {"mpflash", "--sim", "f401", "--json", "-u", SAMPLE, NULL};
    tool_run_captured(&c, 1, NULL, 6, json);
    assert_int_equal(c.code, 0);
    assert_int_equal(c.err_len, 0);
    for (char *line = c.out; *line;) {
        char *nl = strchr(line, '\n');
        assert_non_null(nl);
        assert_true(line[0] == '{' && nl[-1] == '}');
        assert_true(strncmp(line, "{\"event\":\"", 10) == 0);
        line = nl + 1;
    }
    captured_release(&c);
}

/* The testing aid reaches the board only through io->sim_fault. */
static void test_sim_fault_through_io(void **state)
{
    (void)state;
    char *argv[] = {"mpflash", "--sim", "f401", "-q", "-u", SAMPLE, NULL};
    captured c;
    tool_run_captured(&c, 0, "status:write:1:errPROG", 6, argv);
    assert_int_equal(c.code, 5);
    assert_true(strncmp(c.err, "mpflash: error: write of block 2 at 0x08000000 failed: errPROG", 62) == 0);
    captured_release(&c);
    tool_run_captured(&c, 0, "flip:0x08000004", 6, argv);
    assert_int_equal(c.code, 6);
    captured_release(&c);
}

typedef struct fault_case {
    const char *spec;
    mpf_err rc;
    const char *message;
} fault_case;

static void test_sim_fault_grammar(void **state)
{
    (void)state;
    static const fault_case cases[] = {
        {"", MPF_OK, NULL},
        {"stall:erase:2", MPF_OK, NULL},
        {"timeout:any:10,disconnect:leave:1", MPF_OK, NULL},
        {"status:getstatus:3:4", MPF_OK, NULL},
        {"status:write:1:errVERIFY", MPF_OK, NULL},
        {"wp:0x08020000,rdp,start-error,flip:0x08000010", MPF_OK, NULL},
        {"status:erase:1", MPF_ERR_USAGE, "MPFLASH_SIM_FAULT item \"status:erase:1\": expected status:OP:N:STATUS"},
        {"stall:erase:0", MPF_ERR_USAGE, "MPFLASH_SIM_FAULT item \"stall:erase:0\": N counts from 1"},
        {"stall:format:1", MPF_ERR_USAGE, "MPFLASH_SIM_FAULT item \"stall:format:1\": unknown operation"},
        {"status:erase:1:errNOPE", MPF_ERR_USAGE,
         "MPFLASH_SIM_FAULT item \"status:erase:1:errNOPE\": expected a DFU status such as errERASE or 4"},
        {"wp:flash", MPF_ERR_USAGE, "MPFLASH_SIM_FAULT item \"wp:flash\": expected an address such as 0x08020000"},
        {"melt", MPF_ERR_USAGE,
         "MPFLASH_SIM_FAULT item \"melt\": unknown kind (stall, timeout, disconnect, status, wp, rdp, start-error, flip)"},
        {"rdp,", MPF_ERR_USAGE,
         "MPFLASH_SIM_FAULT item \"\": unknown kind (stall, timeout, disconnect, status, wp, rdp, start-error, flip)"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        mpf_sim *sim = NULL;
        mpf_error err = {0};
        assert_int_equal(mpf_sim_new("f401", &sim, &err), MPF_OK);
        tool_sim_extras extras;
        mpf_err rc = tool_sim_apply_faults(sim, cases[i].spec, NULL, &extras, &err);
        if (rc != cases[i].rc || (rc && strcmp(err.message, cases[i].message) != 0)) {
            print_error("case \"%s\": rc %d, \"%s\"\n", cases[i].spec, rc, err.message);
            mpf_sim_free(sim);
            fail();
        }
        if (strstr(cases[i].spec, "flip:")) {
            assert_true(extras.flip_before_verify);
            assert_int_equal(extras.flip_address, 0x08000010);
        }
        mpf_sim_free(sim);
    }
}

static void test_json_escaping(void **state)
{
    (void)state;
    tos_capture cap;
    FILE *f = tos_capture_begin(&cap);
    assert_non_null(f);
    tool_json j;
    tj_begin(&j, f);
    tj_str(&j, "s", "a\"b\\c\nd\te\x01");
    tj_str(&j, "null", NULL);
    tj_u64(&j, "big", UINT64_MAX);
    tj_int(&j, "neg", -3);
    tj_bool(&j, "t", 1);
    tj_hex32(&j, "crc", 0xDEADBEEF);
    tj_array(&j, "a");
    tj_object(&j, NULL);
    tj_u64(&j, "x", 1);
    tj_close_object(&j);
    tj_object(&j, NULL);
    tj_close_object(&j);
    tj_close_array(&j);
    tj_end(&j);
    char *buf = tos_capture_end(&cap, NULL);
    assert_string_equal(buf, "{\"s\":\"a\\\"b\\\\c\\nd\\te\\u0001\",\"null\":null,\"big\":18446744073709551615,"
                             "\"neg\":-3,\"t\":true,\"crc\":\"0xdeadbeef\",\"a\":[{\"x\":1},{}]}\n");
    free(buf);
}

typedef struct format_case {
    uint64_t value;
    const char *want;
} format_case;

static void check_formats(void (*format)(char *, size_t, uint64_t), const format_case *cases,
                          size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char b[32];
        format(b, sizeof b, cases[i].value);
        assert_string_equal(b, cases[i].want);
    }
}

static void test_formatting(void **state)
{
    (void)state;
    static const format_case sizes[] = {
        {0, "0 bytes"},         {1088, "1088 bytes"},    {16384, "16 KiB"},
        {305152, "298 KiB"},    {306240, "299.1 KiB"},   {1048576, "1 MiB"},
    };
    static const format_case durations[] = {
        {499, "0 ms"}, {999499, "999 ms"}, {5602000, "5.6 s"}, {754000000, "12 min 34 s"},
    };
    check_formats(tool_format_size, sizes, sizeof sizes / sizeof sizes[0]);
    check_formats(tool_format_duration, durations, sizeof durations / sizeof durations[0]);
}

/* Help goes to io->out, errors to io->err, nothing else. */
static void test_streams(void **state)
{
    (void)state;
    char *help[] = {"mpflash", "--help", NULL};
    captured c;
    tool_run_captured(&c, 0, NULL, 2, help);
    assert_int_equal(c.code, 0);
    assert_int_equal(c.err_len, 0);
    assert_true(strncmp(c.out, "Usage: mpflash ", 15) == 0);
    captured_release(&c);
    char *bad[] = {"mpflash", "--nope", NULL};
    tool_run_captured(&c, 0, NULL, 2, bad);
    assert_int_equal(c.code, 1);
    assert_int_equal(c.out_len, 0);
    assert_string_equal(c.err, "mpflash: error: unknown option --nope (see mpflash --help)\n");
    captured_release(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tty_progress),
        cmocka_unit_test(test_tty_progress_on_a_blank_board),
        cmocka_unit_test(test_quiet_and_json_own_stdout),
        cmocka_unit_test(test_tty_progress_several_boards),
        cmocka_unit_test(test_sim_fault_through_io),
        cmocka_unit_test(test_sim_fault_grammar),
        cmocka_unit_test(test_json_escaping),
        cmocka_unit_test(test_formatting),
        cmocka_unit_test(test_streams),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
