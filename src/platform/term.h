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

/* Standard output and error for a command-line tool: bytes as given (no
 * "\n" to "\r\n" on Windows, so piped output and JSON are the same as on
 * Linux; consoles start a new line on "\n" alone), and stdout flushed at
 * least at every line, so piped it stays in order with stderr: line
 * buffered on POSIX, unbuffered on Windows, whose C library has no line
 * buffering (_IOLBF means full buffering there). */
void mpf_term_setup_stdio(void);

#endif
