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

/* Optional UTF-8 BOM and blank lines, then ':' and a first line made only
 * of hex digits (trailing blanks allowed). */
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
    size_t digits = 0;
    while (i < len && is_hex_digit(buf[i])) {
        i++;
        digits++;
    }
    if (digits == 0)
        return 0;
    while (i < len && buf[i] != '\n') {
        if (buf[i] != ' ' && buf[i] != '\t' && buf[i] != '\r')
            return 0;
        i++;
    }
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
