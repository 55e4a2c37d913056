/* Segment sources; see source.h. */
#include "image/source.h"

#include <string.h>

void mpf_source_copy(char dst[MPF_SOURCE_MAX], const char *src)
{
    if (!src)
        src = "";
    size_t n = strlen(src);
    if (n >= MPF_SOURCE_MAX)
        src += n - (MPF_SOURCE_MAX - 1);
    memcpy(dst, src, strlen(src) + 1);
}
