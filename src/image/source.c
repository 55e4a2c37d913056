/* Segment sources; see source.h. */
#include "image/source.h"

#include <string.h>

#include "common/cut_mark.h"

void mpf_source_copy(char dst[MPF_SOURCE_MAX], const char *src)
{
    if (!src)
        src = "";
    size_t n = strlen(src);
    if (n < MPF_SOURCE_MAX) {
        memcpy(dst, src, n + 1);
        return;
    }
    const char *tail = mpf_utf8_char_start(src + n - (MPF_SOURCE_MAX - 1 - MPF_CUT_MARK_LEN));
    memcpy(dst, MPF_CUT_MARK, MPF_CUT_MARK_LEN);
    memcpy(dst + MPF_CUT_MARK_LEN, tail, strlen(tail) + 1);
}
