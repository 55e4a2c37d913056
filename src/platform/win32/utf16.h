/* UTF-8 names to the UTF-16 the Windows API takes. Internal. */
#ifndef MPFLASH_PLATFORM_WIN32_UTF16_H
#define MPFLASH_PLATFORM_WIN32_UTF16_H

#include <wchar.h>

/* A malloc'ed UTF-16 copy of s; NULL with errno EINVAL (not UTF-8) or
 * ENOMEM. */
wchar_t *mpf_utf16(const char *s);

/* Writes the UTF-8 form of w into out (always terminated); 0 if it did not fit. */
int mpf_utf8(const wchar_t *w, char *out, int size);

/* An errno value for a Windows error code, for strerror. */
int mpf_errno_of(unsigned long win_error);

#endif
