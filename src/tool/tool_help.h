/* --help and --version text. */
#ifndef MPFLASH_TOOL_HELP_H
#define MPFLASH_TOOL_HELP_H

#include <stdio.h>

void tool_help(FILE *out);
void tool_version(FILE *out);

#endif
