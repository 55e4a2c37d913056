/* Parsers for option values: numbers, -d VID:PID pairs, -s DfuSe strings. */
#ifndef MPFLASH_TOOL_PARSE_H
#define MPFLASH_TOOL_PARSE_H

#include <stdint.h>

#include "mpflash/error.h"
#include "tool/tool_options.h"

/* "0x1F" (hex) or "31" (decimal). A decimal with a leading zero ("0800") is
 * refused rather than read as octal, which would surprise everyone. The
 * whole string must be the number. Returns 0 on success, -1 otherwise. */
int tool_parse_u32(const char *s, uint32_t *out);

/* -s [ADDR][:LEN][:leave][:mass-erase][:force][:unprotect][:will-reset] */
mpf_err tool_parse_dfuse_address(const char *s, const char *opt, tool_options *o, mpf_error *err);

#endif
