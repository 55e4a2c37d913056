/* Flashing the virtual board through the built binary. --sim-state carries
 * the board's flash between runs, so every test checks the memory the
 * board ends up with, byte for byte, not just the exit code. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cli_helpers.h"

#define FS_START 0x4000u  /* sectors 1..4: MicroPython's filesystem */
#define FS_SIZE 0x1C000u

static void test_flash_and_read_back(void **state)
{
    (void)state;
    char dir[512];
    cli_workdir_with_firmware("flash", dir, sizeof dir);
    uint8_t *want = cli_sample_flashed_over(NULL);
    cli_result r;
    RUN(dir, &r, "--sim", "f401", "--sim-state", "board.bin", "-u", "firmware.dfu");
    assert_int_equal(r.exit_code, 0);
    cli_golden("flash.out", r.out, r.out_len);
    cli_golden("flash.err", r.err, r.err_len); /* progress: a line per 10% off a terminal */
    cli_result_free(&r);
    cli_assert_sim_flash(dir, "board.bin", want);

    /* Another process reads it back. */
    RUN(dir, &r, "--sim", "f401", "--sim-state", "board.bin", "-U", "back.bin", "-s", "0x08000000:0x80000",
        "--no-progress");
    assert_int_equal(r.exit_code, 0);
    assert_int_equal(r.err_len, 0);
    cli_golden("read.out", r.out, r.out_len);
    cli_result_free(&r);
    cli_assert_sim_flash(dir, "back.bin", want);
    /* In smaller pieces (-t) the same bytes; larger ones than the board
     * sends are refused before anything is read. */
    RUN_EXPECT(dir, 0, "--sim", "f401", "--sim-state", "board.bin", "-q", "-t", "1000", "-U", "back1000.bin", "-s",
               "0x08000000:0x80000");
    cli_assert_sim_flash(dir, "back1000.bin", want);
    RUN(dir, &r, "--sim", "f401", "--sim-state", "board.bin", "-q", "-t", "4096", "-U", "back4096.bin", "-s",
        "0x08000000:0x80000");
    cli_assert_exit(&r, 1);
    cli_assert_error_line(&r, "a read size of 4096 bytes is more than the device sends per request");
    cli_result_free(&r);
    assert_false(cli_exists(dir, "back4096.bin"));

    /* An existing file is never replaced by a read without --force. */
    memset(want, 0x5A, 64);
    cli_write(dir, "back.bin", want, 64);
    RUN(dir, &r, "--sim", "f401", "--sim-state", "board.bin", "-U", "back.bin", "-q");
    assert_int_equal(r.exit_code, 2);
    cli_assert_error_line(&r, "back.bin already exists");
    cli_result_free(&r);
    size_t len;
    uint8_t *kept = cli_read(dir, "back.bin", &len);
    assert_int_equal(len, 64);
    free(kept);
    /* With --force, and no -s, the whole of the internal flash. */
    RUN(dir, &r, "--sim", "f401", "--sim-state", "board.bin", "-U", "back.bin", "-q", "--force");
    assert_int_equal(r.exit_code, 0);
    assert_int_equal(r.out_len + r.err_len, 0);
    cli_result_free(&r);
    free(want);
    want = cli_sample_flashed_over(NULL);
    cli_assert_sim_flash(dir, "back.bin", want);
    free(want);
}

/* MicroPython keeps its filesystem in sectors 1..4; flashing the firmware
 * (vector table in sector 0, text from sector 5) must not touch them. */
/* Where text lines appear among the progress lines, with stdout and stderr
 * in one pipe (2>&1 | less, a CI log): in the order they happened. */
static void test_piped_output_in_order(void **state)
{
    (void)state;
    char dir[512];
    cli_workdir_with_firmware("piped", dir, sizeof dir);
    const char *const args[] = {"--sim", "f401", "-u", "firmware.dfu", NULL};
    cli_result r;
    cli_run_merged(dir, args, NULL, &r);
    cli_assert_exit(&r, 0);
    assert_int_equal(r.err_len, 0);
    const char *file = strstr(r.out, "firmware.dfu: DfuSe file");
    const char *device = strstr(r.out, "\ndevice: ");
    const char *plan = strstr(r.out, "\nplan: ");
    const char *check = strstr(r.out, "\ncheck ");
    const char *write = strstr(r.out, "\nwrite ");
    const char *leave = strstr(r.out, "\nleave   done\n");
    const char *done = strstr(r.out, "\ndone: ");
    assert_true(file && device && plan && check && write && leave && done);
    assert_ptr_equal(file, r.out);
    assert_true(file < device && device < plan && plan < check && check < write && write < leave && leave < done);
    /* A blank board: the plan says the sectors are checked first and none
     * is known to need an erase; none is erased. */
    assert_memory_equal(plan, "\nplan: check 4 sectors (400 KiB) first, erase only those that need it, write ", 77);
    assert_non_null(strstr(done, "erased 0 sectors (0 bytes), wrote 4 blank sectors without an erase"));
    cli_result_free(&r);
}

static void test_filesystem_survives(void **state)
{
    (void)state;
    char dir[512];
    cli_workdir_with_firmware("filesystem", dir, sizeof dir);
    uint8_t *fs = malloc(FS_SIZE);
    assert_non_null(fs);
    cli_fill_pattern(fs, FS_SIZE, 0x12345678u);
    cli_write(dir, "fs.bin", fs, FS_SIZE);
    RUN_EXPECT(dir, 0, "--sim", "f401", "--sim-state", "board.bin", "-q", "0x08004000:fs.bin");
    RUN_EXPECT(dir, 0, "--sim", "f401", "--sim-state", "board.bin", "-q", "-u", "firmware.dfu");
    RUN_EXPECT(dir, 0, "--sim", "f401", "--sim-state", "board.bin", "-q", "-U", "fs-back.bin", "-s",
        "0x08004000:0x1C000");
    size_t len;
    uint8_t *back = cli_read(dir, "fs-back.bin", &len);
    assert_int_equal(len, FS_SIZE);
    assert_memory_equal(back, fs, FS_SIZE);
    free(back);
    uint8_t *want = cli_sample_flashed_over(NULL);
    memcpy(want + FS_START, fs, FS_SIZE);
    cli_assert_sim_flash(dir, "board.bin", want);

    /* The contrast: -m erases everything first, filesystem included. */
    RUN_EXPECT(dir, 0, "--sim", "f401", "--sim-state", "board.bin", "-q", "-m", "-u", "firmware.dfu");
    memset(want + FS_START, 0xFF, FS_SIZE);
    cli_assert_sim_flash(dir, "board.bin", want);
    free(want);
    free(fs);
}

/* ports/stm32's `make deploy`, both forms, exactly as the Makefile writes
 * them, with --sim in front. */
static void test_makefile_command_lines(void **state)
{
    (void)state;
    char dir[512];
    cli_workdir("makefile", dir, sizeof dir);
    cli_copy_sample(dir, "firmware.dfu", "build-PYBV11/firmware.dfu");
    uint8_t *want = cli_sample_flashed_over(NULL);
    RUN_EXPECT(dir, 0, "--sim", "f401", "--sim-state", "pydfu.bin", "--vid", "0x0483", "--pid", "0xDF11", "-u",
        "build-PYBV11/firmware.dfu");
    cli_assert_sim_flash(dir, "pydfu.bin", want);
    RUN_EXPECT(dir, 0, "--sim", "f401", "--sim-state", "dfu-util.bin", "-a", "0", "-d", "0x0483:0xDF11", "-D",
        "build-PYBV11/firmware.dfu", "-s", ":leave");
    cli_assert_sim_flash(dir, "dfu-util.bin", want);
    free(want);
}

/* A raw binary at -s ADDR, dfu-util style, then -x on its own. */
static void test_raw_binary_and_exit(void **state)
{
    (void)state;
    char dir[512];
    cli_workdir("raw", dir, sizeof dir);
    cli_copy_sample(dir, "firmware1.bin", "firmware1.bin");
    cli_result r;
    RUN_EXPECT(dir, 0, "--sim", "f401", "--sim-state", "board.bin", "-q", "-D", "firmware1.bin", "-s",
        "0x08020000:leave");
    uint8_t *want = cli_sample_flashed_over(NULL);
    memset(want, 0xFF, TEXT_START);
    cli_assert_sim_flash(dir, "board.bin", want);
    free(want);
    RUN(dir, &r, "--sim", "f401", "-x", "--no-progress");
    assert_int_equal(r.exit_code, 0);
    cli_golden("exit.out", r.out, r.out_len);
    cli_result_free(&r);
}

static void test_dry_run(void **state)
{
    (void)state;
    char dir[512];
    cli_workdir_with_firmware("dry-run", dir, sizeof dir);
    cli_result r;
    RUN(dir, &r, "--sim", "f401", "--sim-state", "board.bin", "--dry-run", "-u", "firmware.dfu");
    assert_int_equal(r.exit_code, 0);
    assert_int_equal(r.err_len, 0);
    cli_golden("dry-run.out", r.out, r.out_len);
    cli_result_free(&r);
    assert_false(cli_exists(dir, "board.bin")); /* nothing changed, nothing saved */
    RUN(dir, &r, "--sim", "f405", "--dry-run", "--json", "-u", "firmware.dfu");
    assert_int_equal(r.exit_code, 0);
    cli_golden("dry-run.json", r.out, r.out_len);
    cli_result_free(&r);
}

static void test_json_flash(void **state)
{
    (void)state;
    char dir[512];
    cli_workdir_with_firmware("json", dir, sizeof dir);
    cli_result r;
    RUN(dir, &r, "--sim", "f401", "--json", "-u", "firmware.dfu");
    assert_int_equal(r.exit_code, 0);
    assert_int_equal(r.err_len, 0);
    cli_golden("flash.json", r.out, r.out_len);
    cli_result_free(&r);
    RUN(dir, &r, "--sim", "f401", "--json", "--no-progress", "--stay", "--no-verify", "-u", "firmware.dfu");
    assert_int_equal(r.exit_code, 0);
    cli_golden("flash-stay.json", r.out, r.out_len);
    cli_result_free(&r);
}

/* One board failing with --json: the result carries what it did before the
 * failure, the same counts as a board's event with --all. */
static void test_json_failure_has_counts(void **state)
{
    (void)state;
    char dir[512];
    cli_workdir_with_firmware("json-failure", dir, sizeof dir);
    cli_result one, all;
    RUN_ENV(dir, "MPFLASH_SIM_FAULT=status:write:3:errWRITE", &one, "--sim", "f401", "--json", "-u", "firmware.dfu");
    cli_assert_exit(&one, 5);
    RUN_ENV(dir, "MPFLASH_SIM_FAULT=status:write:3:errWRITE", &all, "--sim", "f401", "--sim-boards", "2", "--all",
            "--json", "-u", "firmware.dfu");
    cli_assert_exit(&all, 5);
    /* One result object, last. */
    static const char failed[] = "{\"event\":\"result\",\"command\":\"flash\",\"ok\":false,";
    const char *result = strstr(one.out, failed);
    assert_non_null(result);
    assert_null(strstr(result + sizeof failed - 1, "\"event\":\"result\""));
    const char *counts = strstr(result, ",\"bytes_written\":");
    const char *board = strstr(all.out, "{\"event\":\"board\",\"board\":\"SIM1\"");
    assert_non_null(counts);
    assert_non_null(board);
    const char *board_counts = strstr(board, ",\"bytes_written\":");
    assert_non_null(board_counts);
    /* Through "port":null}, byte for byte. */
    size_t len = strcspn(board_counts, "}") + 1;
    assert_true(len > 100);
    assert_memory_equal(counts, board_counts, len);
    assert_non_null(strstr(counts, "\"sectors_blank\":4,"));
    cli_result_free(&one);
    cli_result_free(&all);
}

static void test_verbosity(void **state)
{
    (void)state;
    char dir[512];
    cli_workdir_with_firmware("verbosity", dir, sizeof dir);
    cli_result r;
    RUN(dir, &r, "--sim", "f401", "-q", "-u", "firmware.dfu");
    assert_int_equal(r.exit_code, 0);
    assert_int_equal(r.out_len + r.err_len, 0);
    cli_result_free(&r);
    RUN(dir, &r, "--sim", "f401", "--no-progress", "-u", "firmware.dfu");
    assert_int_equal(r.exit_code, 0);
    assert_int_equal(r.err_len, 0);
    cli_golden("flash.out", r.out, r.out_len);
    cli_result_free(&r);
    /* -v: the request trace, every request the engine sends. */
    RUN(dir, &r, "--sim", "f401", "-v", "--no-progress", "-u", "firmware.dfu");
    assert_int_equal(r.exit_code, 0);
    assert_non_null(strstr(r.err, "mpflash: trace: DNLOAD wBlockNum=2 wLength=1088: ok\n"));
    assert_non_null(strstr(r.err, "mpflash: trace: GETSTATUS: OK, dfuDNBUSY"));
    cli_result_free(&r);
}

/* Exit codes 2..6 with a board, each failure one "mpflash: error:" line
 * first, and the board's flash exactly as the failure left it. */
static void test_failures(void **state)
{
    (void)state;
    char dir[512];
    cli_workdir_with_firmware("failures", dir, sizeof dir);
    cli_copy_sample(dir, "firmware0.bin", "firmware0.bin");
    uint8_t *want = cli_sample_flashed_over(NULL);
    cli_result r;
    RUN_EXPECT(dir, 0, "--sim", "f401", "--sim-state", "board.bin", "-q", "-u", "firmware.dfu");

    /* 2: past the end of the F401's 512 KiB; refused before any erase. */
    RUN(dir, &r, "--sim", "f401", "--sim-state", "board.bin", "-q", "0x08000000:firmware0.bin",
        "0x08080000:firmware0.bin");
    assert_int_equal(r.exit_code, 2);
    cli_assert_error_line(&r, "firmware0.bin: 0x08080000 is outside");
    cli_result_free(&r);
    cli_assert_sim_flash(dir, "board.bin", want);

    /* 3: the filter matches no board. */
    RUN(dir, &r, "--sim", "f401", "--sim-state", "board.bin", "-q", "-d", "1209:0001", "-u", "firmware.dfu");
    assert_int_equal(r.exit_code, 3);
    assert_string_equal(r.err, "mpflash: error: --sim f401: no DFU device matches ID 1209:0001; seen: 0483:df11 "
                               "serial 3254335B3233 at 1-1 (DFU mode)\n");
    cli_result_free(&r);

    /* 4: the board stops answering in the middle of writing (--full: the
     * board already holds the firmware, which would otherwise be skipped). */
    RUN_ENV(dir, "MPFLASH_SIM_FAULT=timeout:write:3", &r, "--sim", "f401", "--sim-state", "board.bin", "-q",
            "--full", "-u", "firmware.dfu");
    assert_int_equal(r.exit_code, 4);
    cli_assert_error_line(&r, "write of block 3 at 0x08020800");
    cli_result_free(&r);

    /* 5: the board reports errERASE on the first erase: nothing changed. */
    RUN_EXPECT(dir, 0, "--sim", "f401", "--sim-state", "board.bin", "-q", "--mass-erase", "-x");
    uint8_t *erased = cli_erased_flash();
    cli_assert_sim_flash(dir, "board.bin", erased);
    RUN_ENV(dir, "MPFLASH_SIM_FAULT=status:erase:1:errERASE", &r, "--sim", "f401", "--sim-state", "board.bin",
            "-q", "--full", "-u", "firmware.dfu"); /* --full: a blank board would need no erase */
    assert_int_equal(r.exit_code, 5);
    cli_assert_error_line(&r, "erase of sector at 0x08000000 failed: errERASE");
    cli_result_free(&r);
    cli_assert_sim_flash(dir, "board.bin", erased);
    free(erased);

    /* 5 again: a write-protected sector refuses the data. */
    RUN_ENV(dir, "MPFLASH_SIM_FAULT=wp:0x08020000", &r, "--sim", "f401", "-q", "-u", "firmware.dfu");
    assert_int_equal(r.exit_code, 5);
    cli_assert_error_line(&r, "write of block 2 at 0x08020000 failed: errWRITE");
    cli_result_free(&r);

    /* 6: a cell that does not keep its value; only verify can tell. */
    RUN_ENV(dir, "MPFLASH_SIM_FAULT=flip:0x08020010", &r, "--sim", "f401", "--sim-state", "board.bin", "-q", "-u",
            "firmware.dfu");
    assert_int_equal(r.exit_code, 6);
    cli_assert_error_line(&r, "verify failed at 0x08020010");
    cli_result_free(&r);
    want[TEXT_START + 0x10] = (uint8_t)~want[TEXT_START + 0x10];
    cli_assert_sim_flash(dir, "board.bin", want);
    /* --no-verify cannot notice. */
    RUN_ENV(dir, "MPFLASH_SIM_FAULT=flip:0x08020010", &r, "--sim", "f401", "-q", "--no-verify", "-u",
            "firmware.dfu");
    assert_int_equal(r.exit_code, 0);
    cli_result_free(&r);

    /* A read that fails leaves no file behind. */
    RUN_ENV(dir, "MPFLASH_SIM_FAULT=timeout:upload:3", &r, "--sim", "f401", "--sim-state", "board.bin", "-q", "-U",
            "partial.bin", "-s", "0x08000000:0x10000");
    assert_int_equal(r.exit_code, 4);
    cli_assert_error_line(&r, "read of block 4 at 0x08001000");
    cli_result_free(&r);
    assert_false(cli_exists(dir, "partial.bin"));

    /* A mistyped testing aid is a usage error, not ignored. */
    RUN_ENV(dir, "MPFLASH_SIM_FAULT=stall:erase", &r, "--sim", "f401", "-q", "-u", "firmware.dfu");
    assert_int_equal(r.exit_code, 1);
    assert_string_equal(r.err, "mpflash: error: MPFLASH_SIM_FAULT item \"stall:erase\": expected KIND:OP:N\n"
                               "mpflash: hint: see mpflash --help\n");
    cli_result_free(&r);
    free(want);
}

/* Flashing what the board already holds skips the sectors that hold it,
 * and the chip ends exactly as a full flash leaves it. */
/* A flash cut off halfway on a blank board is finished, not redone: no
 * erase, and only the blocks that never arrived are sent (51 of 150). */
static void test_interrupted_flash_is_resumed(void **state)
{
    (void)state;
    char dir[512];
    cli_workdir_with_firmware("resume", dir, sizeof dir);
    cli_result r;
    RUN_ENV(dir, "MPFLASH_SIM_FAULT=timeout:write:100", &r, "--sim", "f401", "--sim-state", "board.bin", "-q", "-u",
            "firmware.dfu");
    cli_assert_exit(&r, 4);
    cli_result_free(&r);
    RUN(dir, &r, "--sim", "f401", "--sim-state", "board.bin", "--json", "--no-progress", "-u", "firmware.dfu");
    cli_assert_exit(&r, 0);
    assert_non_null(strstr(r.out, "\"bytes_written\":306240,\"bytes_sent\":104448,\"sectors_erased\":0,"
                                  "\"sectors_skipped\":2,\"sectors_blank\":2,\"erase_bytes\":0,"));
    cli_result_free(&r);
    uint8_t *want = cli_sample_flashed_over(NULL);
    cli_assert_sim_flash(dir, "board.bin", want);
    free(want);
}

static void test_skip_unchanged(void **state)
{
    (void)state;
    char dir[512];
    cli_workdir_with_firmware("skip", dir, sizeof dir);
    uint8_t *want = cli_sample_flashed_over(NULL);
    cli_result r;
    RUN_EXPECT(dir, 0, "--sim", "f401", "--sim-state", "board.bin", "-q", "-u", "firmware.dfu");
    /* One byte off in sector 6, and a stray byte in sector 7 past the image:
     * both sectors must be erased again; sectors 0 and 5 stay. */
    size_t len;
    uint8_t *board = cli_read(dir, "board.bin", &len);
    assert_int_equal(len, F401_FLASH);
    board[0x40010] ^= 0x01;
    board[0x7FF00] = 0x00;
    cli_write(dir, "board.bin", board, len);
    free(board);
    RUN(dir, &r, "--sim", "f401", "--sim-state", "board.bin", "--dry-run", "-u", "firmware.dfu");
    assert_int_equal(r.exit_code, 0);
    cli_golden("skip-dry-run.out", r.out, r.out_len);
    cli_result_free(&r);
    RUN(dir, &r, "--sim", "f401", "--sim-state", "board.bin", "--no-progress", "-u", "firmware.dfu");
    assert_int_equal(r.exit_code, 0);
    cli_golden("skip.out", r.out, r.out_len);
    cli_result_free(&r);
    cli_assert_sim_flash(dir, "board.bin", want);
    /* Nothing left to do: the summary says so (not "wrote ... sent 0"), and
     * --json counts it the same way (docs/json.md). */
    RUN(dir, &r, "--sim", "f401", "--sim-state", "board.bin", "--no-progress", "-u", "firmware.dfu");
    assert_int_equal(r.exit_code, 0);
    cli_golden("skip-unchanged.out", r.out, r.out_len);
    cli_result_free(&r);
    RUN(dir, &r, "--sim", "f401", "--sim-state", "board.bin", "--json", "--no-progress", "-u", "firmware.dfu");
    assert_int_equal(r.exit_code, 0);
    assert_non_null(strstr(r.out, "\"bytes_written\":306240,\"bytes_sent\":0,\"sectors_erased\":0,"
                                  "\"sectors_skipped\":4,"));
    cli_result_free(&r);
    /* --full erases and writes everything again. */
    RUN(dir, &r, "--sim", "f401", "--sim-state", "board.bin", "--json", "--no-progress", "--full", "-u",
        "firmware.dfu");
    assert_int_equal(r.exit_code, 0);
    assert_non_null(strstr(r.out, "\"sectors_erased\":4,\"sectors_skipped\":0,"));
    cli_result_free(&r);
    cli_assert_sim_flash(dir, "board.bin", want);
    free(want);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_flash_and_read_back),
        cmocka_unit_test(test_piped_output_in_order),
        cmocka_unit_test(test_filesystem_survives),
        cmocka_unit_test(test_makefile_command_lines),
        cmocka_unit_test(test_raw_binary_and_exit),
        cmocka_unit_test(test_dry_run),
        cmocka_unit_test(test_json_flash),
        cmocka_unit_test(test_json_failure_has_counts),
        cmocka_unit_test(test_verbosity),
        cmocka_unit_test(test_failures),
        cmocka_unit_test(test_skip_unchanged),
        cmocka_unit_test(test_interrupted_flash_is_resumed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
