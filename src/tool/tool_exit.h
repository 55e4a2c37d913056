/* The process exit codes of mpflash(1): a documented contract for scripts
 * (README "Exit codes", mpflash(1) EXIT STATUS), so it belongs to the tool,
 * not to the library's error codes. */
#ifndef MPFLASH_TOOL_EXIT_H
#define MPFLASH_TOOL_EXIT_H

#include "mpflash/error.h"

/* 0 ok, 1 usage, 2 bad input file / image does not fit / refused,
 * 3 no device or ambiguous device, 4 USB or permission error,
 * 5 the device reported an error, 6 verify mismatch, 7 application did not
 * come back, 8 internal error, out of memory or cancelled. */
int tool_exit_code(mpf_err code);

#endif
