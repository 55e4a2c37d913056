/* See cut_mark.h. */
#include "common/cut_mark.h"

#include <string.h>

static int continuation(char c)
{
    return ((unsigned char)c & 0xC0) == 0x80;
}

const char *mpf_utf8_char_start(const char *s)
{
    while (continuation(*s))
        s++;
    return s;
}

void mpf_cut_mark_end(char *buf, size_t size)
{
    size_t at = size - 1 - MPF_CUT_MARK_LEN;
    /* The mark replaces whole characters: back up to where one starts. */
    while (at > 0 && continuation(buf[at]))
        at--;
    memcpy(buf + at, MPF_CUT_MARK, MPF_CUT_MARK_LEN + 1);
}
