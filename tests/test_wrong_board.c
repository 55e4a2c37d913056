/* The wrong-board guard: the machine string a MicroPython image carries,
 * against what a running board reports over the REPL (checked before it is
 * sent to its bootloader) and against what a DFU device shows (chip family,
 * and the ROM's flash size), through the library and the tool. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fixtures.h"
#include "mpflash/machine.h"
#include "mpflash/serial.h"
#include "mpflash/sim.h"
#include "repl_port.h"
#include "test_os.h"
#include "tool_capture.h"

#define F401 "NUCLEO-F401RE with STM32F401xE"
#define PYB "PYBv1.1 with STM32F405RG"
#define PORT "/dev/ttyACM0"
#define NANO "Arduino Nano ESP32 with ESP32S3"
#define C33 "PORTENTA C33 with RA6M5"

/* A MicroPython-shaped image with the given C strings in its text (NUL
 * included), as the firmware's rodata holds them. */
static void image_with(mpf_image *img, const char *const *strings, size_t n)
{
    mpf_image_init(img);
    assert_int_equal(fixture_micropython_image(img, 0, 5), 0);
    size_t at = 0x1000;
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(strings[i]) + 1;
        img->segments[1].data[at - 1] = 0; /* the string before ends here */
        memcpy(img->segments[1].data + at, strings[i], len);
        at += len + 64;
    }
}

/* ---- what an image names ------------------------------------------------------ */

static void test_parse(void **state)
{
    (void)state;
    mpf_machine m;
    assert_true(mpf_machine_parse(F401 "\r\n", &m));
    assert_string_equal(m.board, "NUCLEO-F401RE");
    assert_string_equal(m.mcu, "STM32F401xE");
    /* The last " with " splits: a board name may hold the word. */
    assert_true(mpf_machine_parse("Board with LEDs with STM32H743", &m));
    assert_string_equal(m.board, "Board with LEDs");
    /* The other ports' MCU names (their mpconfigboard.h). */
    assert_true(mpf_machine_parse(NANO, &m));
    assert_string_equal(m.board, "Arduino Nano ESP32");
    assert_string_equal(m.mcu, "ESP32S3");
    assert_true(mpf_machine_parse(C33, &m));
    assert_string_equal(m.mcu, "RA6M5");
    assert_true(mpf_machine_parse("Generic ESP32 module with ESP32", &m));
    assert_true(mpf_machine_parse("Raspberry Pi Pico with RP2040", &m));
    /* Words that only look like one: "RA" and "SAMD" need a digit after. */
    assert_false(mpf_machine_parse("Boot with RAM", &m));
    assert_false(mpf_machine_parse("Board with SAMDocs", &m));
    assert_false(mpf_machine_parse("Board with LEDs", &m));
    /* A reply with control bytes in the board name (they would reach the terminal). */
    assert_false(mpf_machine_parse("Bo\x1b[2Jard with STM32F405RG", &m));
    assert_false(mpf_machine_parse("", &m));
    assert_false(mpf_machine_parse(" with STM32F405RG", &m));
    assert_false(mpf_machine_parse(NULL, &m));
}

static void test_image_names_its_machine(void **state)
{
    (void)state;
    mpf_image img;
    mpf_machine m;
    /* sys.implementation._machine and the banner both; the banner's head goes. */
    const char *both[] = {"MicroPython v1.24.0 on 2024-10-25; " F401, F401};
    image_with(&img, both, 2);
    assert_true(mpf_image_machine(&img, &m));
    assert_string_equal(m.board, "NUCLEO-F401RE");
    assert_string_equal(m.mcu, "STM32F401xE");
    mpf_image_free(&img);
    /* Another port's, in a plain binary as the Nano's .app-bin. */
    const char *nano[] = {NANO};
    image_with(&img, nano, 1);
    assert_true(mpf_image_machine(&img, &m));
    assert_string_equal(m.mcu, "ESP32S3");
    mpf_image_free(&img);
    /* Two different machines: nothing can be said. */
    const char *two[] = {F401, PYB};
    image_with(&img, two, 2);
    assert_false(mpf_image_machine(&img, &m));
    mpf_image_free(&img);
    /* None (the random fixture alone). */
    image_with(&img, NULL, 0);
    assert_false(mpf_image_machine(&img, &m));
    mpf_image_free(&img);
}

static void test_board_check(void **state)
{
    (void)state;
    mpf_machine img;
    assert_true(mpf_machine_parse(F401, &img));
    mpf_error err;
    assert_int_equal(mpf_machine_check_board(&img, "nucleo-f401re with stm32f401xe", &err), MPF_OK);
    assert_int_equal(mpf_machine_check_board(&img, "", &err), MPF_OK); /* old firmware: nothing said */
    assert_int_equal(mpf_machine_check_board(&img, PYB, &err), MPF_ERR_REFUSED);
    assert_non_null(strstr(err.message, "the firmware is for NUCLEO-F401RE with STM32F401xE, but the "
                                        "board runs PYBv1.1 with STM32F405RG"));
    assert_int_equal(err.reason, MPF_REASON_NEEDS_FORCE);
}

static void check_device(const char *chip, const char *machine, mpf_err want, const char *has)
{
    mpf_sim *sim = NULL;
    mpf_error err;
    assert_int_equal(mpf_sim_new(chip, &sim, &err), MPF_OK);
    mpf_transport t;
    mpf_sim_transport(sim, &t);
    mpf_machine m;
    assert_true(mpf_machine_parse(machine, &m));
    assert_int_equal(mpf_machine_check_device(&m, &t.info, &err), want);
    if (has && !strstr(err.message, has))
        fail_msg("%s: \"%s\" lacks \"%s\"", chip, err.message, has);
    mpf_sim_free(sim);
}

static void test_device_check(void **state)
{
    (void)state;
    check_device("f401", F401, MPF_OK, NULL);
    check_device("f405", PYB, MPF_OK, NULL);
    /* The ST ROM's layout is the part's real flash: 512 KiB is not a 'G'. */
    check_device("f401", PYB, MPF_ERR_REFUSED, "(1024 KiB of flash), but the DFU device's ST "
                                                "bootloader shows 512 KiB");
    /* Another family altogether. */
    check_device("f405", "NUCLEO-H743ZI with STM32H743", MPF_ERR_REFUSED,
                 "for NUCLEO-H743ZI with STM32H743, but the DFU device is an STM32F2/F4");
    /* mboot's layout is fixed per family: the family is checked, not the size. */
    check_device("mboot-f401", PYB, MPF_OK, NULL);
    check_device("mboot", "NUCLEO-WB55 with STM32WB55RGV6", MPF_ERR_REFUSED, "STM32F2/F4");
    /* mboot on F722 shows the F4 layout: PYBD-SF2 firmware is right there. */
    check_device("mboot", "PYBD-SF2W with STM32F722IEK", MPF_OK, NULL);
    check_device("f405", "PYBD-SF2W with STM32F722IEK", MPF_ERR_REFUSED, "STM32F2/F4");
    /* Other MCUs: a board whose DFU identity names its MCU, and an STM32
     * asked to take another MCU's firmware. */
    check_device("nano-esp32", NANO, MPF_OK, NULL);
    check_device("nano-esp32", PYB, MPF_ERR_REFUSED,
                 "the DFU device 2341:0070 is an Arduino Nano ESP32 (Arduino's DFU sketch), with "
                 "ESP32S3");
    check_device("nano-esp32", "Generic ESP32 module with ESP32", MPF_ERR_REFUSED, "ESP32S3");
    check_device("portenta-c33", C33, MPF_OK, NULL);
    check_device("portenta-c33", NANO, MPF_ERR_REFUSED, "Portenta C33");
    check_device("f405", NANO, MPF_ERR_REFUSED, "for Arduino Nano ESP32 with ESP32S3, but the DFU "
                                                "device is an STM32F2/F4");
    check_device("h563", C33, MPF_ERR_REFUSED, "STM32H5");
    check_device("h563", "NUCLEO_H563ZI with STM32H563ZI", MPF_OK, NULL);
    /* A device that says nothing of its MCU refuses nothing. */
    check_device("dfu11", NANO, MPF_OK, NULL);
    check_device("dfu11", PYB, MPF_OK, NULL);
}

/* ---- the REPL path ------------------------------------------------------------------ */

typedef struct seen {
    char machine[160];
    int calls;
    const mpf_machine *image;
} seen;

static mpf_err remember(void *user, const char *machine, mpf_error *err)
{
    seen *s = user;
    s->calls++;
    snprintf(s->machine, sizeof s->machine, "%s", machine);
    return mpf_machine_check_board(s->image, machine, err);
}

static void enter(const char *board_machine, const char *image_machine, mpf_err want, seen *s,
                  repl_port *rp)
{
    repl_port_init(rp, &(fake_repl_config){.start = FAKE_REPL_AT_PROMPT, .machine = board_machine});
    mpf_machine img;
    assert_true(mpf_machine_parse(image_machine, &img));
    memset(s, 0, sizeof *s);
    s->image = &img;
    mpf_serial_enter_options o = {.timeout_ms = 2000, .attempts = 3, .settle_ms = 1000};
    o.machine = remember;
    o.user = s;
    mpf_error err = {0};
    assert_int_equal(mpf_serial_enter_bootloader_env(&rp->env, PORT, &o, &err), want);
    assert_int_equal(s->calls, 1);
    s->image = NULL;
}

static int received(const repl_port *rp, const char *needle)
{
    size_t n = strlen(needle);
    for (size_t i = 0; i + n <= rp->board.received_len; i++)
        if (memcmp(rp->board.received + i, needle, n) == 0)
            return 1;
    return 0;
}

static void test_repl_board_of_the_image_enters(void **state)
{
    (void)state;
    seen s;
    repl_port rp;
    enter(F401, F401, MPF_OK, &s, &rp);
    assert_string_equal(s.machine, F401);
    assert_true(received(&rp, MPF_SERIAL_MACHINE_CODE));
    assert_true(received(&rp, "machine.bootloader()"));
    assert_true(rp.board.dropped);
}

static void test_repl_other_board_is_refused_and_keeps_running(void **state)
{
    (void)state;
    seen s;
    repl_port rp;
    enter(PYB, F401, MPF_ERR_REFUSED, &s, &rp);
    assert_string_equal(s.machine, PYB);
    /* Asked, never told to enter its bootloader: it runs its firmware still. */
    assert_true(received(&rp, MPF_SERIAL_MACHINE_CODE));
    assert_false(received(&rp, "machine.bootloader()"));
    assert_false(rp.board.dropped);
}

static void test_repl_other_port_is_refused(void **state)
{
    (void)state;
    seen s;
    repl_port rp;
    /* An ESP32 board's REPL, a pyboard image: refused, in both directions. */
    enter(NANO, PYB, MPF_ERR_REFUSED, &s, &rp);
    assert_string_equal(s.machine, NANO);
    assert_false(received(&rp, "machine.bootloader()"));
    enter(PYB, NANO, MPF_ERR_REFUSED, &s, &rp);
    assert_false(rp.board.dropped);
    enter(NANO, NANO, MPF_OK, &s, &rp);
    assert_true(rp.board.dropped);
}

static void test_repl_old_firmware_says_nothing_and_enters(void **state)
{
    (void)state;
    seen s;
    repl_port rp;
    enter(NULL, F401, MPF_OK, &s, &rp);
    assert_string_equal(s.machine, "");
    assert_true(rp.board.dropped);
}

/* ---- the DFU-only path through the tool ---------------------------------------- */

static void test_tool_refuses_before_erasing(void **state)
{
    (void)state;
    char *dir = tos_temp_dir("mpflash-machine");
    assert_non_null(dir);
    char file[1024], flash[1024];
    snprintf(file, sizeof file, "%s/pybv11.dfu", dir);
    snprintf(flash, sizeof flash, "%s/flash.bin", dir);
    mpf_image img;
    const char *pyb[] = {PYB};
    image_with(&img, pyb, 1);
    uint8_t *dfu;
    size_t len;
    mpf_error err;
    assert_int_equal(mpf_write_dfuse(&img, NULL, &dfu, &len, &err), MPF_OK);
    assert_int_equal(mpf_write_file_atomic(file, dfu, len, &err), MPF_OK);
    free(dfu);

    char *wrong[] = {"mpflash", "--sim", "f401", "--sim-state", flash, "-u", file, NULL};
    captured c;
    tool_run_captured(&c, 0, NULL, 7, wrong);
    assert_int_equal(c.code, 2);
    assert_non_null(strstr(c.out, "the firmware is for PYBv1.1 with STM32F405RG\n"));
    assert_non_null(strstr(c.err, "wrong board: the firmware is for PYBv1.1 with STM32F405RG (1024 KiB"));
    assert_null(strstr(c.out, "erase"));
    captured_release(&c);
    /* Nothing was erased or written: the saved flash is still blank. */
    FILE *f = fopen(flash, "rb");
    if (f) {
        int ch, blank = 1;
        while ((ch = fgetc(f)) != EOF)
            blank &= ch == 0xFF;
        fclose(f);
        assert_true(blank);
    }
    /* --force: the user says it is right. */
    char *forced[] = {"mpflash", "--sim", "f405", "--force", "-u", file, NULL};
    tool_run_captured(&c, 0, NULL, 6, forced);
    assert_int_equal(c.code, 0);
    captured_release(&c);
    char *right[] = {"mpflash", "--sim", "f405", "-u", file, NULL};
    tool_run_captured(&c, 0, NULL, 5, right);
    assert_int_equal(c.code, 0);
    assert_non_null(strstr(c.out, "the firmware is for PYBv1.1 with STM32F405RG\n"));
    captured_release(&c);
    mpf_image_free(&img);
    tos_remove_tree(dir);
    free(dir);
}

/* The DFU-only path on a plain DFU board: Arduino's Nano ESP32 DFU sketch
 * (2341:0070) takes a pyboard image only when forced. The sketch wants its
 * 0xE9 image magic first, so the forced image has it. */
static void test_tool_refuses_another_mcu_on_a_plain_board(void **state)
{
    (void)state;
    char *dir = tos_temp_dir("mpflash-machine-plain");
    assert_non_null(dir);
    char file[1024];
    snprintf(file, sizeof file, "%s/pyb.bin", dir);
    mpf_image img;
    const char *pyb[] = {PYB};
    image_with(&img, pyb, 1);
    img.segments[1].data[0] = 0xE9;
    mpf_error err;
    assert_int_equal(mpf_write_file_atomic(file, img.segments[1].data, img.segments[1].size, &err),
                     MPF_OK);
    char *wrong[] = {"mpflash", "--sim", "nano-esp32", "-D", file, NULL};
    captured c;
    tool_run_captured(&c, 0, NULL, 5, wrong);
    assert_int_equal(c.code, 2);
    assert_non_null(strstr(c.err, "wrong board: the firmware is for PYBv1.1 with STM32F405RG, but "
                                  "the DFU device 2341:0070 is an Arduino Nano ESP32"));
    assert_null(strstr(c.out, "plan:"));
    captured_release(&c);
    char *forced[] = {"mpflash", "--sim", "nano-esp32", "--force", "-D", file, NULL};
    tool_run_captured(&c, 0, NULL, 6, forced);
    assert_int_equal(c.code, 0);
    assert_non_null(strstr(c.out, "plan:"));
    captured_release(&c);
    mpf_image_free(&img);
    tos_remove_tree(dir);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse),
        cmocka_unit_test(test_image_names_its_machine),
        cmocka_unit_test(test_board_check),
        cmocka_unit_test(test_device_check),
        cmocka_unit_test(test_repl_board_of_the_image_enters),
        cmocka_unit_test(test_repl_other_board_is_refused_and_keeps_running),
        cmocka_unit_test(test_repl_other_port_is_refused),
        cmocka_unit_test(test_repl_old_firmware_says_nothing_and_enters),
        cmocka_unit_test(test_tool_refuses_before_erasing),
        cmocka_unit_test(test_tool_refuses_another_mcu_on_a_plain_board),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
