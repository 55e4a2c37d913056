/* Fuzz the wrong-board guard: the machine string found in an image's bytes
 * (mpf_image_machine), a string a board reports (mpf_machine_parse), and the
 * check against a DFU device whose identity comes from the input too
 * (mpf_machine_check_device: VID:PID table, the chip pick from its strings
 * and layouts, the ST ROM flash size). Checks invariants, not just crashes:
 * a machine found has a non-empty printable board and an MCU of letters and
 * digits; a check refuses only with MPF_ERR_REFUSED, a message and the
 * needs-force reason, and never when the image names no MCU.
 *
 * Input: bytes 0-5 VID, PID, bcdDevice (little-endian), then four strings
 * ended by '\n' (manufacturer, product, alt 0's and alt 1's names), then the
 * image's bytes (one segment at 0x08000000), also read as a reported string. */
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mpflash/machine.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok)
{
    if (!ok)
        abort();
}

static void check_machine(const mpf_machine *m)
{
    const size_t b = strlen(m->board), n = strlen(m->mcu);
    check(b > 0 && b < sizeof m->board && n > 0 && n < sizeof m->mcu);
    for (size_t i = 0; i < b; i++)
        check(m->board[i] >= 0x20 && m->board[i] < 0x7F);
    for (size_t i = 0; i < n; i++)
        check(isalnum((unsigned char)m->mcu[i]));
}

/* The next '\n'-ended string into out (cut to fit); advances *p. */
static void take(const uint8_t **p, const uint8_t *end, char *out, size_t cap)
{
    size_t n = 0;
    while (*p < end && **p != '\n') {
        if (n + 1 < cap)
            out[n++] = (char)**p;
        (*p)++;
    }
    if (*p < end)
        (*p)++;
    out[n] = '\0';
}

static void check_device(const mpf_machine *m, const mpf_device_info *dev)
{
    mpf_error err;
    memset(&err, 0, sizeof err);
    mpf_err rc = mpf_machine_check_device(m, dev, &err);
    check(rc == MPF_OK || rc == MPF_ERR_REFUSED);
    if (rc)
        check(err.message[0] && err.reason == MPF_REASON_NEEDS_FORCE);
    if (!m->mcu[0])
        check(rc == MPF_OK);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 6)
        return 0;
    mpf_device_info dev;
    memset(&dev, 0, sizeof dev);
    dev.vid = (uint16_t)(data[0] | data[1] << 8);
    dev.pid = (uint16_t)(data[2] | data[3] << 8);
    dev.bcd_device = (uint16_t)(data[4] | data[5] << 8);
    const uint8_t *p = data + 6, *end = data + size;
    take(&p, end, dev.manufacturer, sizeof dev.manufacturer);
    take(&p, end, dev.product, sizeof dev.product);
    dev.num_alts = 2;
    for (uint8_t a = 0; a < 2; a++) {
        dev.alts[a].alt = a;
        take(&p, end, dev.alts[a].name, sizeof dev.alts[a].name);
    }
    const size_t rest = (size_t)(end - p);

    mpf_image img;
    mpf_image_init(&img);
    mpf_machine m;
    memset(&m, 0, sizeof m);
    if (rest > 0) {
        uint8_t *copy = malloc(rest);
        check(copy != NULL);
        memcpy(copy, p, rest);
        check(mpf_image_add_owned(&img, 0, 0x08000000u, copy, rest, "fuzz", NULL) == MPF_OK);
        if (mpf_image_machine(&img, &m))
            check_machine(&m);
        else
            check(!m.board[0] && !m.mcu[0]);
    }
    check_device(&m, &dev);

    char *text = malloc(rest + 1);
    check(text != NULL);
    memcpy(text, p, rest);
    text[rest] = '\0';
    mpf_machine reported;
    if (mpf_machine_parse(text, &reported)) {
        check_machine(&reported);
        check_device(&reported, &dev);
        mpf_error err;
        mpf_err rc = mpf_machine_check_board(&reported, text, &err);
        check(rc == MPF_OK); /* the board's own string is always its own */
    }
    free(text);
    mpf_image_free(&img);
    return 0;
}
