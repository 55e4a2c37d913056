/* The terminal: whether a stream is one, and making it understand the
 * escape sequences the progress display uses. Internal (src/platform). */
#ifndef MPFLASH_PLATFORM_TERM_H
#define MPFLASH_PLATFORM_TERM_H

#include <stdio.h>

/* Nonzero if f is an interactive terminal that takes ANSI/VT escapes. On
 * Windows that is a console (not the NUL device, which _isatty also
 * reports) whose virtual-terminal processing could be switched on; it is
 * switched on here, for this process's console only. */
int mpf_term_ansi(FILE *f);

#endif
