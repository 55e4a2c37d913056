/* The built binary: help, version, the chip list, --info, and the exit
 * codes that need no board (1 usage, 2 bad file). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cli_run.h"

#define RUN(dir, r, ...)                                                                                   \
    do {                                                                                                   \
        const char *const args_[] = {__VA_ARGS__, NULL};                                                   \
        cli_run(dir, args_, NULL, r);                                                                      \
    } while (0)

static void test_help(void **state)
{
    (void)state;
    char dir[512];
    cli_workdir("help", dir, sizeof dir);
    cli_result r;
    RUN(dir, &r, "--help");
    assert_int_equal(r.exit_code, 0);
    assert_int_equal(r.err_len, 0);
    cli_golden("help.out", r.out, r.out_len);
    cli_result_free(&r);
    /* -h is the same text, whatever else is on the line. */
    RUN(dir, &r, "-h", "-u", "missing.dfu");
    assert_int_equal(r.exit_code, 0);
    cli_golden("help.out", r.out, r.out_len);
    cli_result_free(&r);
}

static void test_version(void **state)
{
    (void)state;
    char dir[512];
    cli_workdir("version", dir, sizeof dir);
    cli_result r;
    RUN(dir, &r, "--version");
    assert_int_equal(r.exit_code, 0);
    assert_int_equal(r.err_len, 0);
    cli_golden("version.out", r.out, r.out_len);
    cli_result_free(&r);
    RUN(dir, &r, "-V");
    assert_int_equal(r.exit_code, 0);
    cli_golden("version.out", r.out, r.out_len);
    cli_result_free(&r);
}

static void test_sim_list(void **state)
{
    (void)state;
    char dir[512];
    cli_workdir("sim-list", dir, sizeof dir);
    cli_result r;
    RUN(dir, &r, "--sim", "list");
    assert_int_equal(r.exit_code, 0);
    assert_int_equal(r.err_len, 0);
    cli_golden("sim-list.out", r.out, r.out_len);
    cli_result_free(&r);
    RUN(dir, &r, "--sim", "list", "--json");
    assert_int_equal(r.exit_code, 0);
    cli_golden("sim-list.json", r.out, r.out_len);
    cli_result_free(&r);
}

static void test_list_sim_board(void **state)
{
    (void)state;
    char dir[512];
    cli_workdir("list-sim", dir, sizeof dir);
    cli_result r;
    RUN(dir, &r, "--sim", "f405", "-l");
    assert_int_equal(r.exit_code, 0);
    assert_int_equal(r.err_len, 0);
    cli_golden("list-sim-f405.out", r.out, r.out_len);
    cli_result_free(&r);
    RUN(dir, &r, "--sim", "mboot", "-l", "--json");
    assert_int_equal(r.exit_code, 0);
    cli_golden("list-sim-mboot.json", r.out, r.out_len);
    cli_result_free(&r);
    /* A filter that excludes the virtual board lists nothing; not an error. */
    RUN(dir, &r, "--sim", "f401", "-l", "-d", "1209:0001");
    assert_int_equal(r.exit_code, 0);
    assert_string_equal(r.out, "no DFU devices found\n");
    cli_result_free(&r);
}

static void test_info(void **state)
{
    (void)state;
    char dir[512];
    cli_workdir("info", dir, sizeof dir);
    cli_copy_sample(dir, "firmware.dfu", "firmware.dfu");
    cli_copy_sample(dir, "firmware1.bin", "firmware1.bin");
    cli_result r;
    RUN(dir, &r, "--info", "firmware.dfu");
    assert_int_equal(r.exit_code, 0);
    assert_int_equal(r.err_len, 0);
    cli_golden("info.out", r.out, r.out_len);
    cli_result_free(&r);
    RUN(dir, &r, "--info", "--json", "firmware.dfu");
    assert_int_equal(r.exit_code, 0);
    cli_golden("info.json", r.out, r.out_len);
    cli_result_free(&r);
    /* A raw binary: with and without its address. */
    RUN(dir, &r, "--info", "firmware1.bin", "0x08020000:firmware1.bin");
    assert_int_equal(r.exit_code, 0);
    cli_golden("info-bin.out", r.out, r.out_len);
    cli_result_free(&r);
}

/* A damaged file can still be inspected, but never flashed. */
static void test_info_bad_crc(void **state)
{
    (void)state;
    char dir[512];
    cli_workdir("info-bad-crc", dir, sizeof dir);
    size_t len;
    uint8_t *dfu = cli_read(MPFLASH_SAMPLE_DIR, "firmware.dfu", &len);
    dfu[11 + 274 + 8 + 100] ^= 0x01; /* a byte of the first element's data */
    cli_write(dir, "damaged.dfu", dfu, len);
    free(dfu);
    cli_result r;
    RUN(dir, &r, "--info", "damaged.dfu");
    assert_int_equal(r.exit_code, 0);
    assert_non_null(strstr(r.out, "BAD"));
    cli_golden("info-bad-crc.out", r.out, r.out_len);
    cli_result_free(&r);
    RUN(dir, &r, "--info", "--json", "damaged.dfu");
    assert_int_equal(r.exit_code, 0);
    assert_non_null(strstr(r.out, "\"crc_ok\":false"));
    cli_result_free(&r);
    RUN(dir, &r, "--sim", "f401", "-u", "damaged.dfu");
    assert_int_equal(r.exit_code, 2);
    cli_assert_error_line(&r, "damaged.dfu: ");
    cli_result_free(&r);
}

/* Exit code 1: exactly one line, naming the option, nothing on stdout. */
static void test_usage_errors(void **state)
{
    (void)state;
    char dir[512];
    cli_workdir("usage", dir, sizeof dir);
    cli_result r;
    RUN(dir, &r, "--frobnicate");
    assert_int_equal(r.exit_code, 1);
    assert_int_equal(r.out_len, 0);
    assert_string_equal(r.err, "mpflash: error: unknown option --frobnicate (see mpflash --help)\n");
    cli_result_free(&r);

    RUN(dir, &r, "-l", "-u", "fw.dfu");
    assert_int_equal(r.exit_code, 1);
    assert_string_equal(r.err, "mpflash: error: -l and -u cannot be used together: give one command per run\n"
                               "mpflash: hint: see mpflash --help\n");
    cli_result_free(&r);

    {
        const char *const args[] = {NULL};
        cli_run(dir, args, NULL, &r);
    }
    assert_int_equal(r.exit_code, 1);
    cli_assert_error_line(&r, "nothing to do");
    cli_result_free(&r);

    RUN(dir, &r, "--sim", "f999", "-l");
    assert_int_equal(r.exit_code, 1);
    cli_result_free(&r);

    /* With --json the failure is also a result object on stdout. */
    RUN(dir, &r, "--json", "-c", "1", "-D", "fw.dfu");
    assert_int_equal(r.exit_code, 1);
    cli_golden("usage-error.json", r.out, r.out_len);
    cli_result_free(&r);
}

/* Exit code 2: the file is checked before any board is looked for, so
 * these fail the same with or without one. */
static void test_bad_files(void **state)
{
    (void)state;
    char dir[512];
    cli_workdir("bad-files", dir, sizeof dir);
    size_t len;
    uint8_t *dfu = cli_read(MPFLASH_SAMPLE_DIR, "firmware.dfu", &len);
    cli_write(dir, "truncated.dfu", dfu, 300);
    free(dfu);
    cli_write(dir, "empty.bin", "", 0);
    cli_result r;
    RUN(dir, &r, "-u", "missing.dfu");
    assert_int_equal(r.exit_code, 2);
    cli_assert_error_line(&r, "cannot open missing.dfu");
    cli_result_free(&r);
    RUN(dir, &r, "-D", "truncated.dfu");
    assert_int_equal(r.exit_code, 2);
    cli_assert_error_line(&r, "truncated.dfu: ");
    cli_result_free(&r);
    RUN(dir, &r, "0x08000000:empty.bin");
    assert_int_equal(r.exit_code, 2);
    cli_assert_error_line(&r, "empty.bin: ");
    cli_result_free(&r);
    /* A raw binary without an address says how to give one. */
    cli_write(dir, "raw.bin", "\x00\x01\x02\x03", 4);
    RUN(dir, &r, "raw.bin");
    assert_int_equal(r.exit_code, 2);
    cli_assert_error_line(&r, "raw.bin: a raw binary file has no load address");
    cli_result_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_help),         cmocka_unit_test(test_version),
        cmocka_unit_test(test_sim_list),     cmocka_unit_test(test_list_sim_board),
        cmocka_unit_test(test_info),         cmocka_unit_test(test_info_bad_crc),
        cmocka_unit_test(test_usage_errors), cmocka_unit_test(test_bad_files),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
