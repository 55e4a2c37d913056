/* Segment sources; see source.h. */
#include "image/source.h"

#include <string.h>

/* U+2026, marking where a long source was cut. */
#define CUT_MARK "\xE2\x80\xA6"

void mpf_source_copy(char dst[MPF_SOURCE_MAX], const char *src)
{
    if (!src)
        src = "";
    size_t n = strlen(src);
    if (n < MPF_SOURCE_MAX) {
        memcpy(dst, src, n + 1);
        return;
    }
    const size_t mark = sizeof CUT_MARK - 1;
    const char *tail = src + n - (MPF_SOURCE_MAX - 1 - mark);
    /* Start the tail on a whole UTF-8 character. */
    while (((unsigned char)*tail & 0xC0) == 0x80)
        tail++;
    memcpy(dst, CUT_MARK, mark);
    memcpy(dst + mark, tail, strlen(tail) + 1);
}
