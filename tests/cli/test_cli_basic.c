/* The built binary: help, version, the chip list, --info, and the exit
 * codes that need no board (1 usage, 2 bad file). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include "test_os.h"
#include <sys/stat.h>

#include "cli_helpers.h"
#include "table_tests.h"

/* One run of the binary and what must come of it; a NULL or 0 field is not
 * checked. */
typedef struct cli_case {
    const char *name;
    const char *args[8]; /* NULL-terminated */
    int code;
    int no_out, no_err;     /* nothing on stdout / stderr */
    const char *golden;     /* stdout equals tests/cli/golden/<golden> */
    const char *out, *err;  /* stdout / stderr exactly */
    const char *error_line; /* stderr's first line starts "mpflash: error: " + this */
} cli_case;

static const cli_case cases[] = {
    {"help", {"--help"}, 0, .no_err = 1, .golden = "help.out"},
    /* -h is the same text, whatever else is on the line. */
    {"help_with_other_options", {"-h", "-u", "missing.dfu"}, 0, .golden = "help.out"},
    /* The version is the one in CMakeLists.txt, not a copy kept by hand. */
    {"version", {"--version"}, 0, .no_err = 1, .out = "mpflash " MPFLASH_PROJECT_VERSION "\n"},
    {"version_short", {"-V"}, 0, .out = "mpflash " MPFLASH_PROJECT_VERSION "\n"},
    {"sim_list", {"--sim", "list"}, 0, .no_err = 1, .golden = "sim-list.out"},
    {"sim_list_json", {"--sim", "list", "--json"}, 0, .golden = "sim-list.json"},
    {"list_sim_board", {"--sim", "f405", "-l"}, 0, .no_err = 1, .golden = "list-sim-f405.out"},
    {"list_sim_board_json", {"--sim", "mboot", "-l", "--json"}, 0, .golden = "list-sim-mboot.json"},
    /* A filter that excludes the virtual board lists nothing; not an error. */
    {"list_sim_board_filtered_out", {"--sim", "f401", "-l", "-d", "1209:0001"}, 0,
     .out = "no DFU devices found\n"},
    {"info", {"--info", "firmware.dfu"}, 0, .no_err = 1, .golden = "info.out"},
    {"info_json", {"--info", "--json", "firmware.dfu"}, 0, .golden = "info.json"},
    /* A raw binary: with and without its address. */
    {"info_bin", {"--info", "firmware1.bin", "0x08020000:firmware1.bin"}, 0, .golden = "info-bin.out"},

    /* Exit code 1: exactly one line, naming the option, nothing on stdout. */
    {"usage_unknown_option", {"--frobnicate"}, 1, .no_out = 1,
     .err = "mpflash: error: unknown option --frobnicate (see mpflash --help)\n"},
    {"usage_two_commands", {"-l", "-u", "fw.dfu"}, 1,
     .err = "mpflash: error: -l and -u cannot be used together: give one command per run\n"
            "mpflash: hint: see mpflash --help\n"},
    {"usage_nothing_to_do", {NULL}, 1, .error_line = "nothing to do"},
    {"usage_unknown_chip", {"--sim", "f999", "-l"}, .code = 1},
    /* With --json the failure is also a result object on stdout. */
    {"usage_json", {"--json", "-y", "-D", "fw.dfu"}, 1, .golden = "usage-error.json"},

    /* Exit code 2: the file is checked before any board is looked for, so
     * these fail the same with or without one. */
    {"bad_file_missing", {"-u", "missing.dfu"}, 2, .error_line = "cannot open missing.dfu"},
    {"bad_file_truncated", {"-D", "truncated.dfu"}, 2, .error_line = "truncated.dfu: "},
    {"bad_file_empty", {"0x08000000:empty.bin"}, 2, .error_line = "empty.bin: "},
    /* A raw binary without an address is a plain DFU board's stream, and
     * says how to give an address for a DfuSe board. */
    {"raw_without_address_no_board", {"raw.bin"}, 3, .error_line = "no DFU device found"},
    {"bad_file_raw_without_address", {"--sim", "f401", "raw.bin"}, 2,
     .error_line = "raw.bin: a raw binary file has no load address"},
    /* A saved 404 page under the firmware's name is refused for what it is,
     * not taken as a raw binary that lacks an address. */
    {"bad_file_html_named_dfu", {"--sim", "f401", "-u", "page.dfu"}, 2, .no_out = 1,
     .error_line = "page.dfu: not a DFU file (looks like HTML); "},
    {"bad_file_html_named_dfu_info", {"--info", "page.dfu"}, 2, .no_out = 1,
     .error_line = "page.dfu: not a DFU file (looks like HTML); "},
};

/* Every other file the rows name, good and bad. */
static void case_files(const char *dir)
{
    cli_copy_sample(dir, "firmware1.bin", "firmware1.bin");
    size_t len;
    uint8_t *dfu = cli_read(MPFLASH_SAMPLE_DIR, "firmware.dfu", &len);
    cli_write(dir, "truncated.dfu", dfu, 300);
    free(dfu);
    cli_write(dir, "empty.bin", "", 0);
    cli_write(dir, "raw.bin", "\x00\x01\x02\x03", 4);
    static const char page[] = "<!DOCTYPE html>\n<html><head><title>404 Not Found</title></head></html>\n";
    cli_write(dir, "page.dfu", page, sizeof page - 1);
}

static void run_case(void **state)
{
    const cli_case *c = *state;
    char name[128], dir[512];
    snprintf(name, sizeof name, "basic-%s", c->name);
    cli_workdir_with_firmware(name, dir, sizeof dir);
    case_files(dir);
    /* A row that reaches the USB scan finds no board, and USB access (a
     * bus in a /dev of its own), whatever the host has. */
    char dev_root[600];
    cli_fake_dev_with_bus(dir, dev_root, sizeof dev_root);
    const char *const env[] = {dev_root, NULL};
    cli_result r;
    cli_run(dir, c->args, env, &r);
    cli_assert_exit(&r, c->code);
    if (c->no_out)
        assert_int_equal(r.out_len, 0);
    if (c->no_err)
        assert_int_equal(r.err_len, 0);
    if (c->golden)
        cli_golden(c->golden, r.out, r.out_len);
    if (c->out)
        assert_string_equal(r.out, c->out);
    if (c->err)
        assert_string_equal(r.err, c->err);
    if (c->error_line)
        cli_assert_error_line(&r, c->error_line);
    cli_result_free(&r);
}

/* A damaged file can still be inspected (all of it shown), but never
 * flashed; --info still fails with 2, as every bad-file path does. */
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
    assert_int_equal(r.exit_code, 2);
    assert_non_null(strstr(r.out, "BAD"));
    cli_golden("info-bad-crc.out", r.out, r.out_len);
    cli_assert_error_line(&r, "damaged.dfu: the DFU suffix CRC is 0x81EE3871, but the content gives 0x96076EF0");
    cli_result_free(&r);
    RUN(dir, &r, "--info", "--json", "damaged.dfu");
    assert_int_equal(r.exit_code, 2);
    assert_non_null(strstr(r.out, "\"crc_ok\":false"));
    assert_non_null(strstr(r.out, "{\"event\":\"result\",\"command\":\"info\",\"ok\":false,\"exit_code\":2,"));
    cli_result_free(&r);
    /* Every file is shown; the damaged one decides the exit code. */
    cli_copy_sample(dir, "firmware.dfu", "good.dfu");
    RUN(dir, &r, "--info", "damaged.dfu", "good.dfu");
    assert_int_equal(r.exit_code, 2);
    assert_non_null(strstr(r.out, "good.dfu: DfuSe file"));
    cli_result_free(&r);
    RUN(dir, &r, "--sim", "f401", "-u", "damaged.dfu");
    assert_int_equal(r.exit_code, 2);
    cli_assert_error_line(&r, "damaged.dfu: ");
    cli_result_free(&r);
}

/* A long file name in an error keeps its end (the file) and shows it was
 * cut: an absolute path must not read as a relative one. */
static void test_long_name_cut_is_marked(void **state)
{
    (void)state;
    char dir[512], path[1024], spec[1200];
    cli_workdir("long-name", dir, sizeof dir);
    size_t n = (size_t)snprintf(path, sizeof path, "%s", dir);
    for (int i = 1; i <= 4; i++) {
        n += (size_t)snprintf(path + n, sizeof path - n, "/a_rather_long_directory_name_%02d", i);
        assert_int_equal(tos_mkdir(path), 0);
    }
    cli_copy_sample(path, "firmware1.bin", "fw.bin");
    snprintf(spec, sizeof spec, "0x09000000:%s/fw.bin", path);
    cli_result r;
    RUN(dir, &r, "--sim", "f401", "-q", spec);
    assert_int_equal(r.exit_code, 2);
    cli_assert_error_line(&r, "\xE2\x80\xA6");
    assert_non_null(strstr(r.err, "_04/fw.bin: 0x09000000 is outside the device's Internal Flash"));
    cli_result_free(&r);
}

int main(void)
{
    static const struct CMUnitTest fixed[] = {
        cmocka_unit_test(test_info_bad_crc),
        cmocka_unit_test(test_long_name_cut_is_marked),
    };
    const test_table tables[] = {TEST_TABLE(cases, run_case)};
    return run_tests_and_tables("cli_basic", fixed, TABLE_LEN(fixed), tables, TABLE_LEN(tables));
}
