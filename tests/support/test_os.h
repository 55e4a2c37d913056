/* What tests need from the operating system, the same on POSIX and on
 * Windows (where the suite runs under Wine): temporary folders, capturing
 * a FILE's output in memory, environment variables. */
#ifndef MPFLASH_TEST_OS_H
#define MPFLASH_TEST_OS_H

#include <stddef.h>
#include <stdio.h>

/* A new empty folder in the system's temporary folder, its name starting
 * with prefix; NULL on failure. free() the name after tos_remove_tree. */
char *tos_temp_dir(const char *prefix);
/* The same in folder base (NULL: the system's temporary folder). */
char *tos_temp_dir_in(const char *base, const char *prefix);

/* Deletes path: a file, or a folder and everything in it. 0 on success. */
int tos_remove_tree(const char *path);

/* Creates one folder; 0 on success (errno set otherwise). */
int tos_mkdir(const char *path);

/* Sets (value non-NULL) or removes an environment variable; 0 on success. */
int tos_setenv(const char *name, const char *value);

/* Output written to a FILE, kept for reading back (open_memstream on
 * POSIX, a self-deleting temporary file on Windows). */
typedef struct tos_capture {
    FILE *f;
    char *buf;
    size_t len;
} tos_capture;

FILE *tos_capture_begin(tos_capture *c);
/* Closes the stream; returns what was written, NUL-terminated (free() it),
 * its length in *len if len is not NULL. NULL on failure. */
char *tos_capture_end(tos_capture *c, size_t *len);

#endif
