/* Finding "BOARD with MCU" in a MicroPython image and comparing it with what
 * a running board reports (mpflash/machine.h). The string is built by
 * py/mpconfig.h (MICROPY_BANNER_MACHINE = MICROPY_HW_BOARD_NAME " with "
 * MICROPY_HW_MCU_NAME) and stored NUL-terminated in the firmware's rodata.
 * An MCU name is one of the MICROPY_HW_MCU_NAME forms MicroPython's ports
 * use (mcu_forms below); anything else after " with " is not a machine. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "mpflash/machine.h"

#define WITH " with "
#define WITH_LEN (sizeof WITH - 1)

/* MICROPY_HW_MCU_NAME as the ports' boards spell it: stm32 "STM32F405RG",
 * esp32 "ESP32", "ESP32S3" (ARDUINO_NANO_ESP32), renesas-ra "RA6M5"
 * (ARDUINO_PORTENTA_C33), rp2 "RP2040"/"RP2350", nrf "NRF52840", samd
 * "SAMD51J19A", mimxrt "MIMXRT1062DVJ6A". `digit`: the prefix alone is a
 * word too ("RAM", "SAMDocs"), so a digit must follow it. */
static const struct {
    const char *prefix;
    int digit;
} mcu_forms[] = {
    {"STM32", 0}, {"ESP32", 0}, {"RA", 1}, {"RP2", 0}, {"NRF5", 0}, {"SAMD", 1}, {"MIMXRT", 1},
};

/* The length of the MCU form p starts with (up to len bytes), or 0. */
static size_t mcu_form_at(const char *p, size_t len)
{
    for (size_t i = 0; i < sizeof mcu_forms / sizeof mcu_forms[0]; i++) {
        const size_t n = strlen(mcu_forms[i].prefix);
        if (len < n + (size_t)mcu_forms[i].digit || strncasecmp(p, mcu_forms[i].prefix, n) != 0)
            continue;
        if (mcu_forms[i].digit && !isdigit((unsigned char)p[n]))
            continue;
        return n;
    }
    return 0;
}

static int printable(uint8_t c)
{
    return c >= 0x20 && c < 0x7F;
}

static int parse_span(const char *s, size_t len, mpf_machine *out)
{
    while (len && isspace((unsigned char)*s)) {
        s++;
        len--;
    }
    while (len && isspace((unsigned char)s[len - 1]))
        len--;
    /* The last " with ": board names may contain the word, MCU names not. */
    const char *with = NULL;
    for (size_t i = 0; i + WITH_LEN <= len; i++)
        if (memcmp(s + i, WITH, WITH_LEN) == 0)
            with = s + i;
    if (!with)
        return 0;
    const char *board = s, *mcu = with + WITH_LEN;
    size_t blen = (size_t)(with - s), mlen = len - (size_t)(mcu - s);
    /* A banner: "MicroPython v1.24.0 on 2024-10-25; BOARD with MCU". */
    for (size_t i = blen; i >= 2; i--)
        if (board[i - 2] == ';' && board[i - 1] == ' ') {
            board += i;
            blen -= i;
            break;
        }
    if (blen == 0 || blen >= sizeof out->board || mlen >= sizeof out->mcu ||
        mcu_form_at(mcu, mlen) == 0)
        return 0;
    for (size_t i = 0; i < mlen; i++)
        if (!isalnum((unsigned char)mcu[i]))
            return 0;
    /* The names end up in messages: no control bytes from a board's reply. */
    for (size_t i = 0; i < blen; i++)
        if (!printable((uint8_t)board[i]))
            return 0;
    memcpy(out->board, board, blen);
    out->board[blen] = '\0';
    memcpy(out->mcu, mcu, mlen);
    out->mcu[mlen] = '\0';
    return 1;
}

int mpf_machine_parse(const char *text, mpf_machine *out)
{
    memset(out, 0, sizeof *out);
    return text && parse_span(text, strlen(text), out);
}

static int same(const mpf_machine *a, const mpf_machine *b)
{
    return strcasecmp(a->board, b->board) == 0 && strcasecmp(a->mcu, b->mcu) == 0;
}

/* Every NUL-terminated printable run holding " with " and an MCU name in
 * one segment. */
static int scan(const mpf_segment *s, mpf_machine *found, int *count)
{
    const uint8_t *d = s->data;
    for (size_t i = 0; i + WITH_LEN < s->size; i++) {
        if (memcmp(d + i, WITH, WITH_LEN) != 0 ||
            !mcu_form_at((const char *)d + i + WITH_LEN, s->size - i - WITH_LEN))
            continue;
        size_t start = i, end = i + WITH_LEN;
        while (start > 0 && printable(d[start - 1]))
            start--;
        while (end < s->size && printable(d[end]))
            end++;
        if (end == s->size || d[end] != '\0')
            continue; /* a C string ends in NUL */
        mpf_machine m;
        memset(&m, 0, sizeof m);
        if (!parse_span((const char *)d + start, end - start, &m))
            continue;
        if (*count == 0)
            *found = m;
        else if (!same(found, &m))
            return -1;
        (*count)++;
        i = end;
    }
    return 0;
}

int mpf_image_machine(const mpf_image *img, mpf_machine *out)
{
    memset(out, 0, sizeof *out);
    int count = 0;
    for (size_t i = 0; i < img->count; i++)
        if (scan(&img->segments[i], out, &count) != 0) {
            memset(out, 0, sizeof *out);
            return 0; /* two different machines: say nothing */
        }
    return count > 0;
}

mpf_err mpf_machine_check_board(const mpf_machine *image, const char *reported, mpf_error *err)
{
    mpf_machine board;
    if (!image || !image->board[0] || !mpf_machine_parse(reported, &board) || same(image, &board))
        return MPF_OK;
    return mpf_error_refuse(err, MPF_ERR_REFUSED, MPF_REASON_NEEDS_FORCE,
                            "wrong board: the firmware is for %s with %s, but the board runs %s with "
                            "%s (sys.implementation._machine); nothing was changed: flash the "
                            "firmware built for this board",
                            image->board, image->mcu, board.board, board.mcu);
}
