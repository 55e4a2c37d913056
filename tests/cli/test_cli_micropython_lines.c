/* Every DFU command line in MicroPython's docs and Makefiles (FACTS.md,
 * "MicroPython's DFU command lines"), verbatim with mpflash in the tool's
 * place, through the real binary and the fake libusb, each against a
 * virtual board of the kind it is written for. Checked: the exit code and
 * the board's memory afterwards, byte for byte. */
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

#ifdef MPFLASH_FAKE_LIBUSB

#define FLASH_BASE 0x08000000u

static uint8_t *pattern(size_t n, uint32_t seed, int first)
{
    uint8_t *p = malloc(n);
    assert_non_null(p);
    cli_fill_pattern(p, n, seed);
    if (first >= 0)
        p[0] = (uint8_t)first;
    return p;
}

static void assert_mem(const char *dir, const char *file, uint32_t addr, const uint8_t *want, size_t len)
{
    uint8_t *got = malloc(len);
    assert_non_null(got);
    cli_fake_mem_read(dir, file, addr, got, len);
    for (size_t i = 0; i < len; i++)
        if (got[i] != want[i]) {
            uint8_t seen = got[i];
            free(got);
            fail_msg("%s differs at 0x%08zX: 0x%02X, expected 0x%02X", file, (size_t)addr + i, seen, want[i]);
        }
    free(got);
}

/* len bytes at addr still erased: nothing was written there. */
static void assert_blank(const char *dir, const char *file, uint32_t addr, size_t len)
{
    uint8_t *erased = malloc(len);
    assert_non_null(erased);
    memset(erased, 0xFF, len);
    assert_mem(dir, file, addr, erased, len);
    free(erased);
}

/* 1-3 and 8: the ST ROM (and mboot's own deploy, which goes through it). */
static void test_stm32_lines(void **state)
{
    (void)state;
    char dir[512];
    cli_workdir("mp-lines-stm32", dir, sizeof dir);
    cli_copy_sample(dir, "firmware.dfu", "build-B/firmware.dfu");
    cli_copy_sample(dir, "firmware.dfu", "build/flash.dfu");
    uint8_t *want = cli_sample_flashed_over(NULL);
    /* 1: ports/stm32 make deploy (pydfu) */
    RUN_USB_EXPECT(dir, "f401:L1", 0, "--vid", "0x0483", "--pid", "0xDF11", "-u", "build-B/firmware.dfu");
    cli_assert_fake_flash(dir, "f401-L1.mem", want);
    /* 2: ports/stm32 make deploy USE_PYDFU=0 */
    RUN_USB_EXPECT(dir, "f401:L2", 0, "-a", "0", "-d", "0x0483:0xDF11", "-D", "build-B/firmware.dfu", "-s", ":leave");
    cli_assert_fake_flash(dir, "f401-L2.mem", want);
    /* 3: ports/stm32/mboot make deploy (mboot goes in through the ROM) */
    RUN_USB_EXPECT(dir, "f405:L3", 0, "-u", "build-B/firmware.dfu");
    cli_assert_fake_flash(dir, "f405-L3.mem", want);
    /* 8: ports/stm32/autoflash */
    RUN_USB_EXPECT(dir, "f401:L8", 0, "-a", "0", "-d", "0483:df11", "-D", "build/flash.dfu");
    cli_assert_fake_flash(dir, "f401-L8.mem", want);
    free(want);
}

/* 4: Arduino's STM32H7 boards (deploy.md): a DfuSe bootloader under
 * Arduino's IDs, whose firmware.dfu carries them in its suffix. */
static void test_arduino_h7_line(void **state)
{
    (void)state;
    char dir[512];
    cli_workdir("mp-lines-h7", dir, sizeof dir);
    cli_copy_sample(dir, "firmware.dfu", "sample.dfu");
    RUN_USB_EXPECT(dir, "", 0, "--convert", "firmware.dfu", "--vid", "0x2341", "--pid", "0x035b", "sample.dfu");
    uint8_t *want = cli_sample_flashed_over(NULL);
    RUN_USB_EXPECT(dir, "f405:H7:id=2341/035b", 0, "-w", "-a", "0", "-d", "2341:035b", "-D", "firmware.dfu");
    cli_assert_fake_flash(dir, "f405-H7.mem", want);
    /* The suffix is checked: the same file for another board is refused. */
    RUN_USB_EXPECT(dir, "f405:OTHER", 2, "-a", "0", "-D", "firmware.dfu");
    free(want);
}

/* 5: LEGO hubs: the backup of LEGO's firmware, and the -D that restores it,
 * both through LEGO's own bootloader (0694:0008, not mboot; the ST ROM
 * stands in for it), which keeps only its own 32 KiB at 0x08000000: mboot,
 * once installed at 0x08008000, would refuse the restore (src/chips/boards.c). */
static void test_lego_hub_lines(void **state)
{
    (void)state;
    char dir[512];
    cli_workdir("mp-lines-lego", dir, sizeof dir);
    const size_t n = 0xf8000;
    uint8_t *before = pattern(n, 5, -1);
    cli_fake_mem_write(dir, "f405-HUB.mem", 0x08008000u, before, n);
    RUN_USB_EXPECT(dir, "f405:HUB:id=0694/0008", 0, "-a", "0", "-d", "0694:0008", "-U", "hub.bin", "-s",
                   "0x08008000:0xf8000");
    size_t len = 0;
    uint8_t *backup = cli_read(dir, "hub.bin", &len);
    assert_int_equal(len, n);
    assert_memory_equal(backup, before, n);
    free(backup);
    /* Something else goes on; the restore brings the backup back. */
    uint8_t *other = pattern(n, 6, -1);
    cli_fake_mem_write(dir, "f405-HUB.mem", 0x08008000u, other, n);
    RUN_USB_EXPECT(dir, "f405:HUB:id=0694/0008", 0, "-a", "0", "-d", "0694:0008", "-D", "hub.bin", "-s",
                   "0x08008000");
    assert_mem(dir, "f405-HUB.mem", 0x08008000u, before, n);
    free(other);
    free(before);
}

/* 6: Portenta C33 (plain DFU, Arduino's --final-detach). */
static void test_portenta_c33_line(void **state)
{
    (void)state;
    char dir[512];
    cli_workdir("mp-lines-c33", dir, sizeof dir);
    const size_t n = 70000;
    uint8_t *fw = pattern(n, 33, -1);
    cli_write(dir, "firmware.bin", fw, n);
    cli_result r;
    RUN_USB(dir, "portenta-c33:C33", &r, "-a", "0", "-d", "2341:0368", "-D", "firmware.bin", "-Q");
    cli_assert_exit(&r, 0);
    assert_non_null(strstr(r.out, "DETACH sent"));
    assert_non_null(strstr(r.out, "could not verify"));
    cli_result_free(&r);
    assert_mem(dir, "portenta-c33-C33.mem", 0x00010000u, fw, n);
    free(fw);
}

/* 7: Nano ESP32 (plain DFU, a USB reset starts the new firmware). */
static void test_nano_esp32_line(void **state)
{
    (void)state;
    char dir[512];
    cli_workdir("mp-lines-nano", dir, sizeof dir);
    const size_t n = 3 * 4096 + 123;
    uint8_t *fw = pattern(n, 32, 0xE9); /* an ESP-IDF image starts with its magic */
    cli_write(dir, "micropython.app-bin", fw, n);
    cli_result r;
    RUN_USB(dir, "nano-esp32:NANO", &r, "-d", "0x2341:0x0070", "-R", "-D", "micropython.app-bin");
    cli_assert_exit(&r, 0);
    assert_non_null(strstr(r.out, "USB reset sent"));
    assert_non_null(strstr(r.out, "could not verify (the device answered UPLOAD with 0 bytes"));
    cli_result_free(&r);
    assert_mem(dir, "nano-esp32-NANO.mem", 0x00010000u, fw, n);
    /* A DfuSe file or an address is refused before anything is sent. */
    cli_copy_sample(dir, "firmware.dfu", "firmware.dfu");
    RUN_USB_EXPECT(dir, "nano-esp32:FRESH", 2, "-d", "0x2341:0x0070", "-D", "firmware.dfu");
    RUN_USB_EXPECT(dir, "nano-esp32:FRESH", 2, "-d", "0x2341:0x0070", "-D", "micropython.app-bin", "-s", "0x10000");
    /* Options that mean nothing for it: one error line, exit 1, nothing sent. */
    RUN_USB_EXPECT(dir, "nano-esp32:FRESH", 1, "-D", "micropython.app-bin", "--backup", "old.dfu");
    RUN_USB_EXPECT(dir, "nano-esp32:FRESH", 1, "-D", "micropython.app-bin", "--leave-address", "0x10000");
    RUN_USB_EXPECT(dir, "nano-esp32:FRESH", 1, "-D", "micropython.app-bin", "-m");
    RUN_USB_EXPECT(dir, "nano-esp32:FRESH", 1, "-D", "micropython.app-bin", "--full");
    RUN_USB_EXPECT(dir, "nano-esp32:FRESH", 1, "-D", "micropython.app-bin", "--chip", "h7");
    {
        /* The refusal comes from the option's row and says why. */
        cli_result e;
        RUN_USB(dir, "nano-esp32:FRESH", &e, "-q", "-D", "micropython.app-bin", "--full");
        cli_assert_exit(&e, 1);
        assert_non_null(strstr(e.err, "mpflash: error: --full is for ST DfuSe devices; 2341:0070 is a plain DFU "
                                      "device, which rewrites everything it is sent anyway"));
        assert_null(strstr(strchr(e.err, '\n') + 1, "error"));
        cli_result_free(&e);
    }
    assert_blank(dir, "nano-esp32-FRESH.mem", 0x00010000u, n);
    free(fw);
}

/* Every DfuSe-only option, also spelled as a -s modifier and with or
 * without a file, on a plain DFU device: the option row's one error line,
 * exit 1, and not one DFU class request on the wire (the plan never runs). */
static void test_dfuse_only_options_refused_before_any_request(void **state)
{
    (void)state;
    char dir[512];
    cli_workdir("mp-lines-dfuse-only", dir, sizeof dir);
    const size_t n = 4096;
    uint8_t *fw = pattern(n, 45, 0xE9);
    cli_write(dir, "micropython.app-bin", fw, n);
    static const struct {
        const char *args[5];
        const char *error;
    } cases[] = {
        {{"-s", ":mass-erase:force"}, "-s :mass-erase is for ST DfuSe devices; 2341:0070 is a plain DFU device, "
                                      "which has no mass erase command"},
        {{"-s", ":mass-erase:force", "-D", "micropython.app-bin"}, "-s :mass-erase is for ST DfuSe devices"},
        {{"-m"}, "-m/--mass-erase is for ST DfuSe devices"},
        {{"--unprotect", "--force"}, "--unprotect is for ST DfuSe devices; 2341:0070 is a plain DFU device, which "
                                     "has no read protection to remove"},
        {{"-s", ":unprotect:force"}, "-s :unprotect is for ST DfuSe devices"},
        {{"-U", "back.bin", "--leave-address", "0x10000"}, "--leave-address is for ST DfuSe devices"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char log[600];
        snprintf(log, sizeof log, "%s/usb.log", dir);
        unlink(log);
        const char *args[8] = {"-q"};
        for (size_t k = 0; k < 5 && cases[i].args[k]; k++)
            args[k + 1] = cases[i].args[k];
        cli_result r;
        cli_usb_run(dir, "nano-esp32:PLAIN", args, NULL, &r);
        cli_assert_exit(&r, 1);
        char want[300];
        snprintf(want, sizeof want, "mpflash: error: %s", cases[i].error);
        if (strncmp(r.err, want, strlen(want)) != 0)
            fail_msg("case %zu: stderr does not start with \"%s\":\n%s", i, want, r.err);
        cli_result_free(&r);
        size_t len = 0;
        char *seen = (char *)cli_read(dir, "usb.log", &len);
        if (strstr(seen, " ctrl 21 ") || strstr(seen, " ctrl a1 "))
            fail_msg("case %zu: a DFU request was sent:\n%s", i, seen);
        free(seen);
    }
    assert_blank(dir, "nano-esp32-PLAIN.mem", 0x00010000u, n);
    free(fw);
}

/* A plain DFU board running its application with a DFU run-time interface:
 * DETACH and the USB reset bring up its bootloader, which is then flashed. */
static void test_plain_runtime_detach(void **state)
{
    (void)state;
    char dir[512];
    cli_workdir("mp-lines-runtime", dir, sizeof dir);
    const size_t n = 5000;
    uint8_t *fw = pattern(n, 44, 0xE9);
    cli_write(dir, "micropython.app-bin", fw, n);
    cli_result r;
    RUN_USB(dir, "nano-esp32:RT:runtime", &r, "-D", "micropython.app-bin");
    cli_assert_exit(&r, 0);
    assert_non_null(strstr(r.out, "device: 2341:0070 serial RT at 1-1 (DFU mode)"));
    cli_result_free(&r);
    assert_mem(dir, "nano-esp32-RT.mem", 0x00010000u, fw, n);
    free(fw);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain_runtime_detach),
        cmocka_unit_test(test_stm32_lines),
        cmocka_unit_test(test_arduino_h7_line),
        cmocka_unit_test(test_lego_hub_lines),
        cmocka_unit_test(test_portenta_c33_line),
        cmocka_unit_test(test_nano_esp32_line),
        cmocka_unit_test(test_dfuse_only_options_refused_before_any_request),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

#else
int main(void)
{
    return 77; /* no fake libusb in this build */
}
#endif
