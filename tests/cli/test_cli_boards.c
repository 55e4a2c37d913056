/* Several boards in one run (--all, several -S, --sim-boards / a chip list),
 * a fault on one board that must not touch the others, the summary table and
 * its exit code; and --backup, restored with -u. Every board's flash is read
 * back from its state file and compared byte for byte. */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cli_helpers.h"

/* No temporary file left behind by an atomic write. */
static void assert_no_temp_files(const char *dir)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (strstr(e->d_name, ".tmp")) {
            closedir(d);
            fail_msg("left behind in %s: %s", dir, e->d_name);
        }
    closedir(d);
}

/* Three virtual boards at once: one table, every board flashed. */
static void test_all_sim_boards(void **state)
{
    (void)state;
    char dir[512];
    cli_workdir_with_firmware("boards-all", dir, sizeof dir);
    uint8_t *want = cli_sample_flashed_over(NULL);
    cli_result r;
    RUN(dir, &r, "--sim", "f401", "--sim-boards", "3", "--all", "--sim-state", "board.bin", "-u", "firmware.dfu");
    assert_int_equal(r.exit_code, 0);
    cli_golden("boards-all.out", r.out, r.out_len);
    /* Off a terminal: a line per tenth, each with its board. */
    assert_non_null(strstr(r.err, "SIM1: write   100%  299.1/299.1 KiB"));
    assert_non_null(strstr(r.err, "SIM3: leave   done\n"));
    cli_result_free(&r);
    cli_assert_sim_flash(dir, "board.SIM1.bin", want);
    cli_assert_sim_flash(dir, "board.SIM2.bin", want);
    cli_assert_sim_flash(dir, "board.SIM3.bin", want);
    assert_false(cli_exists(dir, "board.bin"));

    /* Without --all several boards are as ambiguous as on USB. */
    RUN(dir, &r, "--sim", "f401", "--sim-boards", "2", "-q", "-u", "firmware.dfu");
    assert_int_equal(r.exit_code, 3);
    assert_string_equal(r.err, "mpflash: error: --sim f401: 2 DFU devices match: 0483:df11 serial SIM1 at 1-1 "
                               "(DFU mode); 0483:df11 serial SIM2 at 1-2 (DFU mode); choose one by serial number "
                               "or USB port path\n"
                               "mpflash: hint: choose one with -S SERIAL or -p PATH (mpflash -l shows both)\n");
    cli_result_free(&r);
    /* -l shows them all. */
    RUN(dir, &r, "--sim", "f401,mboot", "-l", "--json");
    assert_int_equal(r.exit_code, 0);
    assert_non_null(strstr(r.out, "\"serial\":\"SIM1\",\"path\":\"1-1\""));
    assert_non_null(strstr(r.out, "\"serial\":\"SIM2\",\"path\":\"1-2\""));
    assert_non_null(strstr(r.out, "\"sim\":\"mboot\""));
    assert_non_null(strstr(r.out, "\"command\":\"list\",\"ok\":true,\"exit_code\":0,\"devices\":2}"));
    cli_result_free(&r);
    free(want);
}

/* A fault on one board: it fails, the others end correct, and the exit code
 * is the failed board's. */
static void test_one_board_fails(void **state)
{
    (void)state;
    char dir[512];
    cli_workdir_with_firmware("boards-fault", dir, sizeof dir);
    uint8_t *before[3];
    const char *files[3] = {"board.SIM1.bin", "board.SIM2.bin", "board.SIM3.bin"};
    for (int i = 0; i < 3; i++) {
        before[i] = cli_pattern_flash(0x1000u + (uint32_t)i);
        cli_write(dir, files[i], before[i], F401_FLASH);
    }
    cli_result r;
    /* --full: the boards start blank and would otherwise need no erase. */
    RUN_ENV(dir, "MPFLASH_SIM_FAULT=SIM2=status:erase:1:errERASE", &r, "--sim", "f401,f401,f401", "--all",
            "--sim-state", "board.bin", "--no-progress", "--full", "-u", "firmware.dfu");
    assert_int_equal(r.exit_code, 5);
    cli_golden("boards-fault.out", r.out, r.out_len);
    assert_string_equal(r.err,
                        "mpflash: error: SIM2: erase of sector at 0x08000000 failed: errERASE (dfuERROR): memory "
                        "erase failed\n"
                        "mpflash: error: 1 of 3 boards failed; the exit code is that of the first in the table, "
                        "SIM2\n"
                        "mpflash: hint: run the same command again (mpflash clears the error first); if it fails "
                        "the same way, check that the firmware is built for this board, and add -v to see every "
                        "request\n");
    cli_result_free(&r);
    for (int i = 0; i < 3; i += 2) {
        uint8_t *want = cli_sample_flashed_over(before[i]);
        cli_assert_sim_flash(dir, files[i], want);
        free(want);
    }
    cli_assert_sim_flash(dir, files[1], before[1]); /* failed on its first erase: untouched */

    /* JSON: a "board" event each, then the result with the counts. */
    RUN_ENV(dir, "MPFLASH_SIM_FAULT=SIM2=status:erase:1:errERASE", &r, "--sim", "f401", "--sim-boards", "3",
            "--all", "--json", "--no-progress", "--full", "-u", "firmware.dfu");
    assert_int_equal(r.exit_code, 5);
    cli_golden("boards-fault.json", r.out, r.out_len);
    cli_result_free(&r);
    for (int i = 0; i < 3; i++)
        free(before[i]);
}

/* Several -S: only the named boards; a name that is not there fails alone. */
static void test_named_boards(void **state)
{
    (void)state;
    char dir[512];
    cli_workdir_with_firmware("boards-named", dir, sizeof dir);
    uint8_t *want = cli_sample_flashed_over(NULL);
    cli_result r;
    RUN(dir, &r, "--sim", "f401", "--sim-boards", "4", "--sim-state", "b.bin", "-S", "SIM4", "-S", "SIM2", "-q",
        "-u", "firmware.dfu");
    assert_int_equal(r.exit_code, 0);
    assert_int_equal(r.out_len + r.err_len, 0);
    cli_result_free(&r);
    cli_assert_sim_flash(dir, "b.SIM2.bin", want);
    cli_assert_sim_flash(dir, "b.SIM4.bin", want);
    assert_false(cli_exists(dir, "b.SIM1.bin"));
    assert_false(cli_exists(dir, "b.SIM3.bin"));

    RUN(dir, &r, "--sim", "f401", "--sim-boards", "2", "--sim-state", "c.bin", "-S", "SIM9", "-S", "SIM1",
        "--no-progress", "-u", "firmware.dfu");
    assert_int_equal(r.exit_code, 3);
    assert_non_null(strstr(r.out, "SIM9   -     failed (exit 3)       -      -\n"));
    assert_non_null(strstr(r.out, "SIM1   1-1   ok               306240"));
    cli_assert_error_line(&r, "SIM9: --sim f401: no DFU device matches serial SIM9");
    cli_result_free(&r);
    cli_assert_sim_flash(dir, "c.SIM1.bin", want);
    assert_false(cli_exists(dir, "c.SIM2.bin"));
    free(want);
}

/* --backup keeps exactly the sectors the flash erases; -u puts them back. */
static void test_backup_and_restore(void **state)
{
    (void)state;
    char dir[512];
    cli_workdir_with_firmware("backup", dir, sizeof dir);
    uint8_t *original = cli_pattern_flash(0xC0FFEEu);
    cli_write(dir, "board.bin", original, F401_FLASH);
    cli_result r;
    RUN(dir, &r, "--sim", "f401", "--sim-state", "board.bin", "--no-progress", "--backup", "keep.dfu", "-u",
        "firmware.dfu");
    assert_int_equal(r.exit_code, 0);
    cli_golden("backup.out", r.out, r.out_len);
    cli_result_free(&r);
    uint8_t *flashed = cli_sample_flashed_over(original);
    cli_assert_sim_flash(dir, "board.bin", flashed);
    free(flashed);
    /* The backup holds the erased sectors, and only those. */
    RUN(dir, &r, "--info", "keep.dfu");
    assert_int_equal(r.exit_code, 0);
    cli_golden("backup-info.out", r.out, r.out_len);
    cli_result_free(&r);
    RUN_EXPECT(dir, 0, "--sim", "f401", "--sim-state", "board.bin", "-q", "-u", "keep.dfu");
    cli_assert_sim_flash(dir, "board.bin", original);

    /* An existing backup is not overwritten; nothing is erased for it. */
    RUN(dir, &r, "--sim", "f401", "--sim-state", "board.bin", "-q", "--backup", "keep.dfu", "-u", "firmware.dfu");
    assert_int_equal(r.exit_code, 2);
    cli_assert_error_line(&r, "keep.dfu already exists; mpflash does not overwrite a backup");
    cli_result_free(&r);
    cli_assert_sim_flash(dir, "board.bin", original);

    /* A read that fails: no backup file, and nothing erased. */
    RUN_ENV(dir, "MPFLASH_SIM_FAULT=timeout:upload:5", &r, "--sim", "f401", "--sim-state", "board.bin", "-q",
            "--backup", "lost.dfu", "-u", "firmware.dfu");
    assert_int_equal(r.exit_code, 4);
    cli_assert_error_line(&r, "backup before erasing (nothing was erased): read of block");
    cli_result_free(&r);
    assert_false(cli_exists(dir, "lost.dfu"));
    assert_no_temp_files(dir);
    cli_assert_sim_flash(dir, "board.bin", original);

    /* --dry-run says what it would keep, and keeps nothing. */
    RUN(dir, &r, "--sim", "f401", "--sim-state", "board.bin", "--dry-run", "--backup", "dry.dfu", "-u",
        "firmware.dfu");
    assert_int_equal(r.exit_code, 0);
    assert_non_null(strstr(r.out, "  backup: the 4 sectors to erase (400 KiB) into dry.dfu first\n"));
    cli_result_free(&r);
    assert_false(cli_exists(dir, "dry.dfu"));

    /* Sectors that already hold the firmware are not erased, so not kept:
     * flashing the same firmware again keeps nothing and writes no file. */
    RUN_EXPECT(dir, 0, "--sim", "f401", "--sim-state", "board.bin", "-q", "-u", "firmware.dfu");
    RUN(dir, &r, "--sim", "f401", "--sim-state", "board.bin", "-q", "--backup", "again.dfu", "-u", "firmware.dfu");
    assert_int_equal(r.exit_code, 0);
    assert_string_equal(r.err, "mpflash: warning: --backup: every sector already holds the new contents, so "
                               "nothing is erased and no backup was written\n");
    cli_result_free(&r);
    assert_false(cli_exists(dir, "again.dfu"));

    /* Several boards: one backup each, named after the board (both hold
     * something else, so both erase). */
    cli_write(dir, "m.SIM1.bin", original, F401_FLASH);
    cli_write(dir, "m.SIM2.bin", original, F401_FLASH);
    RUN_EXPECT(dir, 0, "--sim", "f401", "--sim-boards", "2", "--all", "--sim-state", "m.bin", "-q", "--backup", "m.dfu",
        "-u", "firmware.dfu");
    assert_true(cli_exists(dir, "m.SIM1.dfu"));
    RUN_EXPECT(dir, 0, "--sim", "f401", "--sim-boards", "2", "-S", "SIM2", "--sim-state", "m.bin", "-q", "-u",
        "m.SIM2.dfu");
    cli_assert_sim_flash(dir, "m.SIM2.bin", original);
    free(original);
}

/* -U too: a read that fails leaves neither the file nor a temporary one. */
static void test_read_is_atomic(void **state)
{
    (void)state;
    char dir[512];
    cli_workdir("read-atomic", dir, sizeof dir);
    cli_result r;
    RUN_ENV(dir, "MPFLASH_SIM_FAULT=disconnect:upload:7", &r, "--sim", "f401", "-q", "-U", "part.bin", "-s",
            "0x08000000:0x8000");
    assert_int_equal(r.exit_code, 4);
    cli_result_free(&r);
    assert_false(cli_exists(dir, "part.bin"));
    assert_no_temp_files(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_all_sim_boards),    cmocka_unit_test(test_one_board_fails),
        cmocka_unit_test(test_named_boards),      cmocka_unit_test(test_backup_and_restore),
        cmocka_unit_test(test_read_is_atomic),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
