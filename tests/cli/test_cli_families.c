/* The built binary on the other families' virtual chips: the family shown
 * by --dry-run and named with --chip, the WB radio stack and mass erase
 * refused before anything is erased (exit 2), and a flash whose read-back
 * equals the file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cli_helpers.h"

#define IMAGE_SIZE (64u * 1024u + 4u) /* ends inside a flash word */

static void workdir_with_image(const char *name, char *dir, size_t size)
{
    cli_workdir(name, dir, size);
    uint8_t *b = malloc(IMAGE_SIZE);
    assert_non_null(b);
    cli_fill_pattern(b, IMAGE_SIZE, 0xC41B5u);
    cli_write(dir, "fw.bin", b, IMAGE_SIZE);
    free(b);
}

static void test_dry_run_names_the_family(void **state)
{
    (void)state;
    static const struct {
        const char *chip, *chip_option, *says;
    } cases[] = {
        {"h743", NULL, "family: STM32H742/743/745/747/750/753/755/757, recognised by option bytes at 0x5200201C"},
        {"l476", NULL, "family: STM32L4/L4+"},
        {"wb55", NULL, "family: STM32WB"},
        {"h563", NULL, "family: STM32H5, recognised by 8 KiB sectors, option bytes at 0x40022050"},
        {"mboot-h563", NULL, "family: STM32H5, recognised by mboot's H5 layout"},
        {"l4r5", NULL, "family: STM32L4/L4+, recognised by 4 KiB pages"},
        {"mboot-g0b1", NULL, "family: STM32G0, recognised by mboot's G0 layout"},
        {"l476", "g4", "family: STM32G4, recognised by named with --chip"},
    };
    char dir[512];
    workdir_with_image("families-dry-run", dir, sizeof dir);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        cli_result r;
        if (cases[i].chip_option)
            RUN(dir, &r, "--sim", cases[i].chip, "--chip", cases[i].chip_option, "--dry-run", "-s",
                "0x08010000", "-D", "fw.bin");
        else
            RUN(dir, &r, "--sim", cases[i].chip, "--dry-run", "-s", "0x08010000", "-D", "fw.bin");
        cli_assert_exit(&r, 0);
        if (!strstr(r.out, cases[i].says))
            fail_msg("%s: no \"%s\" in:\n%s", cases[i].chip, cases[i].says, r.out);
        cli_result_free(&r);
    }
}

/* A board holding firmware: the refused runs leave its state file byte for
 * byte as it was (nothing erased, nothing written). */
static void test_wb_stack_and_mass_erase_refused(void **state)
{
    (void)state;
    char dir[512];
    workdir_with_image("families-wb", dir, sizeof dir);
    RUN_EXPECT(dir, 0, "--sim", "wb55", "--sim-state", "board.bin", "-q", "-s", "0x08010000", "-D",
               "fw.bin");
    size_t before_len = 0, after_len = 0;
    uint8_t *before = cli_read(dir, "board.bin", &before_len);
    cli_result r;
    RUN(dir, &r, "--sim", "wb55", "--sim-state", "board.bin", "-s", "0x080C8000", "-D", "fw.bin");
    cli_assert_exit(&r, 2);
    assert_non_null(strstr(r.err, "occupies 0x080CE000-0x080FFFFF"));
    assert_non_null(strstr(r.err, "nothing was erased"));
    cli_result_free(&r);
    RUN(dir, &r, "--sim", "wb55", "--sim-state", "board.bin", "-m", "-s", "0x08010000", "-D", "fw.bin");
    cli_assert_exit(&r, 2);
    assert_non_null(strstr(r.err, "mass erase refused"));
    cli_result_free(&r);
    /* -m alone (no image) goes through the same plan rule: refused before
     * any request, naming why and what to do. */
    RUN(dir, &r, "--sim", "wb55", "--sim-state", "board.bin", "-m");
    cli_assert_exit(&r, 2);
    assert_non_null(strstr(r.err, "mass erase refused"));
    assert_non_null(strstr(r.err, "erase by page"));
    assert_non_null(strstr(r.err, "nothing was erased"));
    cli_result_free(&r);
    uint8_t *after = cli_read(dir, "board.bin", &after_len);
    assert_int_equal(after_len, before_len);
    assert_memory_equal(after, before, before_len);
    free(before);
    free(after);
}

static void test_flash_and_read_back_on_ecc_chips(void **state)
{
    (void)state;
    static const char *const chips[] = {"h743", "l476", "g474", "wb55", "h7b3", "u575",
                                        "h563", "l4r5", "l4r5-1bank", "f429"};
    char dir[512];
    workdir_with_image("families-flash", dir, sizeof dir);
    size_t len = 0;
    uint8_t *want = cli_read(dir, "fw.bin", &len);
    for (size_t i = 0; i < sizeof chips / sizeof chips[0]; i++) {
        RUN_EXPECT(dir, 0, "--sim", chips[i], "--sim-state", "board.bin", "-q", "-s", "0x08010000",
                   "-D", "fw.bin");
        /* Again: nothing to do; the chip would refuse a second program. */
        RUN_EXPECT(dir, 0, "--sim", chips[i], "--sim-state", "board.bin", "-q", "-s", "0x08010000",
                   "-D", "fw.bin");
        RUN_EXPECT(dir, 0, "--sim", chips[i], "--sim-state", "board.bin", "-q", "-U", "back.bin",
                   "-s", "0x08010000:65540", "--force");
        size_t n = 0;
        uint8_t *back = cli_read(dir, "back.bin", &n);
        assert_int_equal(n, len);
        assert_memory_equal(back, want, len);
        free(back);
        char path[1024];
        snprintf(path, sizeof path, "%s/board.bin", dir);
        remove(path);
    }
    free(want);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dry_run_names_the_family),
        cmocka_unit_test(test_wb_stack_and_mass_erase_refused),
        cmocka_unit_test(test_flash_and_read_back_on_ecc_chips),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
