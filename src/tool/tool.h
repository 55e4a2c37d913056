/* mpflash command line: the one entry point main.c and the tests call. */
#ifndef MPFLASH_TOOL_H
#define MPFLASH_TOOL_H

#include <stdio.h>

/* Where the tool talks to, so tests can capture it. Passed down, never global. */
typedef struct tool_io {
    FILE *out;            /* results: listings, plans, summaries, JSON */
    FILE *err;            /* errors, warnings, progress */
    int err_is_tty;       /* a terminal gets one redrawn progress line */
    const char *sim_fault; /* MPFLASH_SIM_FAULT (a testing aid, read only for --sim) */
    /* MPFLASH_SYSFS_ROOT and MPFLASH_DEV_ROOT (testing aids): where serial
     * ports (and, for -l, /dev/bus/usb) are looked for instead of /sys and
     * /dev; NULL = the real ones. */
    const char *sysfs_root;
    const char *dev_root;
} tool_io;

/* Runs one command line; returns the process exit code (tool_exit_code). */
int tool_main(int argc, char **argv, const tool_io *io);

#endif
