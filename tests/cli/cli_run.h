/* Running the built mpflash binary from tests: a clean environment, a work
 * directory of its own, stdout and stderr captured, golden files compared
 * byte for byte (MPFLASH_UPDATE_GOLDEN=1 rewrites them, for review). */
#ifndef MPFLASH_CLI_RUN_H
#define MPFLASH_CLI_RUN_H

#include <stddef.h>
#include <stdint.h>

typedef struct cli_result {
    int exit_code; /* -1: killed by a signal */
    char *out;     /* NUL-terminated */
    size_t out_len;
    char *err;
    size_t err_len;
} cli_result;

/* A fresh, empty directory MPFLASH_CLI_WORK_DIR/name; returns its path
 * (static storage per call site is the caller's: copy it). */
void cli_workdir(const char *name, char *path, size_t size);

/* Run mpflash with args (NULL-terminated, without argv[0]) in dir. env adds
 * "NAME=VALUE" entries (NULL-terminated, may be NULL) to the inherited
 * environment, from which every MPFLASH_* and LD_PRELOAD is removed (and any
 * variable env sets again). */
void cli_run(const char *dir, const char *const *args, const char *const *env, cli_result *r);
/* The same with stderr going where stdout goes (as "2>&1 | less" would see
 * it): r->out holds both in the order written, r->err is empty. */
void cli_run_merged(const char *dir, const char *const *args, const char *const *env, cli_result *r);
void cli_result_free(cli_result *r);
/* The same, with the binary started by a launcher program that takes the
 * command line after it: `launcher MPFLASH_BIN args...`. */
void cli_run_via(const char *launcher, const char *dir, const char *const *args,
                 const char *const *env, cli_result *r);

/* Assert that text equals tests/cli/golden/name. */
void cli_golden(const char *name, const char *text, size_t len);

/* Files (dir may be NULL for an absolute path); failures fail the test. */
void cli_write(const char *dir, const char *name, const void *buf, size_t len);
uint8_t *cli_read(const char *dir, const char *name, size_t *len);
/* Fail unless dir/name holds exactly len bytes equal to want; the first
 * difference is reported at base + offset (a flash address). */
void cli_assert_file_bytes(const char *dir, const char *name, const uint8_t *want, size_t len,
                           uint32_t base);
int cli_exists(const char *dir, const char *name);
void cli_copy_sample(const char *dir, const char *sample_name, const char *as);

/* The first line of text must be "mpflash: error: " + the start of what. */
void cli_assert_error_line(const cli_result *r, const char *what);

#endif
