/* Marking where a fixed-size text was cut: the library's messages and
 * segment sources live in fixed buffers, and a reader must be able to tell
 * a cut text from a whole one. */
#ifndef MPFLASH_COMMON_CUT_MARK_H
#define MPFLASH_COMMON_CUT_MARK_H

#include <stddef.h>

/* U+2026 HORIZONTAL ELLIPSIS in UTF-8. */
#define MPF_CUT_MARK "\xE2\x80\xA6"
#define MPF_CUT_MARK_LEN (sizeof MPF_CUT_MARK - 1)

/* The first byte at or after s that starts a UTF-8 character. */
const char *mpf_utf8_char_start(const char *s);

/* buf[size] holds a text that was cut to size - 1 bytes (snprintf's way):
 * ends it with MPF_CUT_MARK on a whole character instead, so that it stays
 * valid UTF-8 and shows it is not all there. size must exceed the mark. */
void mpf_cut_mark_end(char *buf, size_t size);

#endif
