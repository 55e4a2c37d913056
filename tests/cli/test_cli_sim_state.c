/* --sim-state on the plain DFU 1.1 boards: the file keeps the board's
 * storage from one run (process) to the next, byte for byte. Their alt
 * names are not DfuSe layouts ("Arduino DFU"), which once made every
 * --sim-state run on them fail before a single request. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cli_helpers.h"

typedef struct plain_board {
    const char *chip;
    size_t storage;     /* bytes the state file holds */
    size_t stream_at;   /* offset of the stream's byte 0 in it */
    size_t erase_span;  /* what the bootloader erases as the stream reaches it */
} plain_board;

/* From the boards' bootloaders (src/sim/plain_boards.c cites them): the Nano
 * ESP32's OTA slot is 48 x 64 KiB from 0x10000, erased 64 KiB at a time; the
 * Portenta C33's code flash is 8 x 8 KiB + 63 x 32 KiB from 0 with the
 * sketch at 0x10000, erased 32 KiB at a time; the spec-only dfu11 has
 * 64 x 4 KiB from 0. */
static const plain_board boards[] = {
    {"nano-esp32", 48u * 65536u, 0, 65536u},
    {"portenta-c33", 8u * 8192u + 63u * 32768u, 0x10000u, 32768u},
    {"dfu11", 64u * 4096u, 0, 4096u},
};

#define FIRST_LEN 100000u /* more than any board's erase span */
#define SECOND_LEN 3000u  /* less than any */

static uint8_t *image(size_t n, uint32_t seed)
{
    uint8_t *p = malloc(n);
    assert_non_null(p);
    cli_fill_pattern(p, n, seed);
    p[0] = 0xE9; /* ESP-IDF's image magic, which the Nano ESP32 insists on */
    return p;
}

static void run_twice(const plain_board *b)
{
    char dir[512];
    cli_workdir(b->chip, dir, sizeof dir);
    uint8_t *first = image(FIRST_LEN, 11);
    uint8_t *second = image(SECOND_LEN, 22);
    cli_write(dir, "first.bin", first, FIRST_LEN);
    cli_write(dir, "second.bin", second, SECOND_LEN);
    uint8_t *want = malloc(b->storage);
    assert_non_null(want);

    /* A fresh board: erased, then the first image. */
    RUN_EXPECT(dir, 0, "--sim", b->chip, "--sim-state", "board.bin", "-q", "-D", "first.bin");
    memset(want, 0xFF, b->storage);
    memcpy(want + b->stream_at, first, FIRST_LEN);
    cli_assert_file_bytes(dir, "board.bin", want, b->storage, 0);

    /* Another process: the second image erases only the first span, and
     * the first image's bytes beyond it must come from the state file. */
    RUN_EXPECT(dir, 0, "--sim", b->chip, "--sim-state", "board.bin", "-q", "-D", "second.bin");
    memset(want + b->stream_at, 0xFF, b->erase_span);
    memcpy(want + b->stream_at, second, SECOND_LEN);
    cli_assert_file_bytes(dir, "board.bin", want, b->storage, 0);

    free(want);
    free(second);
    free(first);
}

static void test_plain_boards_keep_state(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof boards / sizeof boards[0]; i++)
        run_twice(&boards[i]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain_boards_keep_state),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
