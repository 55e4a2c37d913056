/* Format detection from content alone: file names lie (a .bin that is
 * really a .dfu is a common mistake), magic bytes do not. */
#include <string.h>

#include "image/dfu_suffix.h"
#include "mpflash/image.h"

static int is_hex_digit(uint8_t c)
{
    return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F') || (c >= 'a' && c <= 'f');
}

static int is_blank(uint8_t c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Enough to tell a HEX record from chance: a Cortex-M image never starts
 * with ':' (its first word is an aligned stack pointer), and the odds that
 * other binary data does and then has four hex digits are about 2e-7. The
 * rest of the first line is left to the HEX loader, whose errors name the
 * line and column; CR-only line endings need no special case here. */
#define IHEX_SIGNATURE_DIGITS 4

/* Optional UTF-8 BOM and blank lines, then ':' and a few hex digits. */
static int looks_like_ihex(const uint8_t *buf, size_t len)
{
    size_t i = 0;
    if (len >= 3 && buf[0] == 0xEF && buf[1] == 0xBB && buf[2] == 0xBF)
        i = 3;
    while (i < len && is_blank(buf[i]))
        i++;
    if (i >= len || buf[i] != ':')
        return 0;
    i++;
    if (len - i < IHEX_SIGNATURE_DIGITS)
        return 0;
    for (size_t k = 0; k < IHEX_SIGNATURE_DIGITS; k++)
        if (!is_hex_digit(buf[i + k]))
            return 0;
    return 1;
}

mpf_format mpf_detect_format(const uint8_t *buf, size_t len)
{
    if (!buf)
        return MPF_FORMAT_BIN;
    if (len >= 5 && memcmp(buf, "DfuSe", 5) == 0)
        return MPF_FORMAT_DFUSE;
    if (len >= 4 && memcmp(buf, "\x7f" "ELF", 4) == 0)
        return MPF_FORMAT_ELF;
    if (looks_like_ihex(buf, len))
        return MPF_FORMAT_IHEX;
    if (mpf_dfu_suffix_valid(buf, len))
        return MPF_FORMAT_DFU;
    return MPF_FORMAT_BIN;
}
