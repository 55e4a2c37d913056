/* The tool in-process with its output captured: tool_main on memory streams. */
#ifndef MPFLASH_TEST_TOOL_CAPTURE_H
#define MPFLASH_TEST_TOOL_CAPTURE_H

#include <stddef.h>

typedef struct captured {
    char *out, *err;
    size_t out_len, err_len;
    int code; /* tool_main's exit code */
} captured;

/* tty: stderr claims to be a terminal; sim_fault: the testing aid (or NULL).
 * argv NULL-terminated; argc its count. */
void tool_run_captured(captured *c, int tty, const char *sim_fault, int argc, char **argv);
void captured_release(captured *c);

#endif
