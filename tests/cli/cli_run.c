/* Process plumbing for the end-to-end tests. fork + exec rather than
 * system(): exact argv, exact exit status, no shell. */
#include "cli_run.h"

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

extern char **environ;

static void remove_tree(const char *path)
{
    pid_t pid = fork();
    if (pid == 0) {
        execlp("rm", "rm", "-rf", path, (char *)NULL);
        _exit(127);
    }
    int status = 0;
    if (pid > 0)
        waitpid(pid, &status, 0);
}

void cli_workdir(const char *name, char *path, size_t size)
{
    mkdir(MPFLASH_CLI_WORK_DIR, 0777);
    snprintf(path, size, "%s/%s", MPFLASH_CLI_WORK_DIR, name);
    remove_tree(path);
    assert_int_equal(mkdir(path, 0777), 0);
}

static char *slurp_fd(int fd, size_t *len)
{
    size_t cap = 4096, used = 0;
    char *buf = malloc(cap);
    assert_non_null(buf);
    lseek(fd, 0, SEEK_SET);
    for (;;) {
        if (used + 1 >= cap) {
            cap *= 2;
            buf = realloc(buf, cap);
            assert_non_null(buf);
        }
        ssize_t n = read(fd, buf + used, cap - used - 1);
        if (n < 0 && errno == EINTR)
            continue;
        assert_true(n >= 0);
        if (n == 0)
            break;
        used += (size_t)n;
    }
    buf[used] = '\0';
    *len = used;
    return buf;
}

/* Inherited variables pass, except ours and the preload (a test sets them
 * itself) and any the test gives a value of its own. */
static int keep_inherited(const char *entry, const char *const *env)
{
    if (strncmp(entry, "MPFLASH_", 8) == 0 || strncmp(entry, "LD_PRELOAD=", 11) == 0)
        return 0;
    size_t name_len = strcspn(entry, "=");
    for (size_t i = 0; env && env[i]; i++)
        if (strncmp(env[i], entry, name_len) == 0 && env[i][name_len] == '=')
            return 0;
    return 1;
}

static void run(const char *launcher, const char *dir, const char *const *args,
                const char *const *env, int merged, cli_result *r)
{
    char out_name[] = "/tmp/mpflash-cli-out-XXXXXX";
    char err_name[] = "/tmp/mpflash-cli-err-XXXXXX";
    int out_fd = mkstemp(out_name);
    int err_fd = mkstemp(err_name);
    assert_true(out_fd >= 0 && err_fd >= 0);
    unlink(out_name);
    unlink(err_name);

    size_t argc = 0, envc = 0, extra = 0;
    while (args[argc])
        argc++;
    while (environ[envc])
        envc++;
    while (env && env[extra])
        extra++;
    size_t first = launcher ? 2 : 1;
    char **argv = calloc(argc + first + 1, sizeof *argv);
    char **envp = calloc(envc + extra + 1, sizeof *envp);
    assert_true(argv && envp);
    argv[0] = (char *)(launcher ? launcher : "mpflash");
    if (launcher)
        argv[1] = (char *)MPFLASH_BIN;
    for (size_t i = 0; i < argc; i++)
        argv[i + first] = (char *)args[i];
    size_t k = 0;
    for (size_t i = 0; i < envc; i++)
        if (keep_inherited(environ[i], env))
            envp[k++] = environ[i];
    for (size_t i = 0; i < extra; i++)
        envp[k++] = (char *)env[i];

    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int devnull = open("/dev/null", O_RDONLY);
        if (devnull < 0 || dup2(devnull, 0) < 0 || dup2(out_fd, 1) < 0 || dup2(merged ? out_fd : err_fd, 2) < 0 ||
            chdir(dir) != 0)
            _exit(126);
        /* Nothing else of the test's: a fake board's end of a pseudo-terminal
         * held open here would keep its port from ever hanging up. */
        for (int fd = 3; fd < 1024; fd++)
            close(fd);
        execve(launcher ? launcher : MPFLASH_BIN, argv, envp);
        _exit(127);
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    free(argv);
    free(envp);
    r->exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    r->out = slurp_fd(out_fd, &r->out_len);
    r->err = slurp_fd(err_fd, &r->err_len);
    close(out_fd);
    close(err_fd);
}

void cli_run(const char *dir, const char *const *args, const char *const *env, cli_result *r)
{
    run(NULL, dir, args, env, 0, r);
}

void cli_run_merged(const char *dir, const char *const *args, const char *const *env, cli_result *r)
{
    run(NULL, dir, args, env, 1, r);
}

void cli_run_via(const char *launcher, const char *dir, const char *const *args,
                 const char *const *env, cli_result *r)
{
    run(launcher, dir, args, env, 0, r);
}

void cli_result_free(cli_result *r)
{
    free(r->out);
    free(r->err);
    r->out = r->err = NULL;
}

static char *join(const char *dir, const char *name)
{
    size_t n = (dir ? strlen(dir) + 1 : 0) + strlen(name) + 1;
    char *p = malloc(n);
    assert_non_null(p);
    if (dir)
        snprintf(p, n, "%s/%s", dir, name);
    else
        snprintf(p, n, "%s", name);
    return p;
}

void cli_write(const char *dir, const char *name, const void *buf, size_t len)
{
    char *path = join(dir, name);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(buf, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
    free(path);
}

uint8_t *cli_read(const char *dir, const char *name, size_t *len)
{
    char *path = join(dir, name);
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        print_error("cannot open %s\n", path);
    assert_true(fd >= 0);
    free(path);
    uint8_t *buf = (uint8_t *)slurp_fd(fd, len);
    close(fd);
    return buf;
}

int cli_exists(const char *dir, const char *name)
{
    char *path = join(dir, name);
    struct stat sb;
    int found = stat(path, &sb) == 0;
    free(path);
    return found;
}

void cli_copy_sample(const char *dir, const char *sample_name, const char *as)
{
    size_t len;
    uint8_t *buf = cli_read(MPFLASH_SAMPLE_DIR, sample_name, &len);
    char *slash = strrchr(as, '/');
    if (slash) {
        char *sub = join(dir, as);
        sub[strlen(sub) - strlen(slash)] = '\0';
        mkdir(sub, 0777);
        free(sub);
    }
    cli_write(dir, as, buf, len);
    free(buf);
}

void cli_golden(const char *name, const char *text, size_t len)
{
    const char *update = getenv("MPFLASH_UPDATE_GOLDEN");
    if (update && strcmp(update, "1") == 0) {
        cli_write(MPFLASH_GOLDEN_DIR, name, text, len);
        return;
    }
    size_t want_len;
    char *want = (char *)cli_read(MPFLASH_GOLDEN_DIR, name, &want_len);
    if (want_len != len || memcmp(want, text, len) != 0) {
        /* Show where they part, line by line. */
        size_t line = 1, i = 0;
        while (i < len && i < want_len && text[i] == want[i]) {
            if (text[i] == '\n')
                line++;
            i++;
        }
        size_t start = i;
        while (start > 0 && text[start - 1] != '\n')
            start--;
        const char *want_line = want + start;
        const char *got_line = text + start;
        print_error("golden %s differs at line %zu:\n  want: %.*s\n  got:  %.*s\n", name, line,
                    (int)strcspn(want_line, "\n"), want_line, (int)strcspn(got_line, "\n"), got_line);
        free(want);
        fail();
    }
    free(want);
}

void cli_assert_error_line(const cli_result *r, const char *what)
{
    static const char prefix[] = "mpflash: error: ";
    if (strncmp(r->err, prefix, sizeof prefix - 1) != 0 ||
        strncmp(r->err + sizeof prefix - 1, what, strlen(what)) != 0) {
        print_error("stderr does not start with \"%s%s\":\n%s\n", prefix, what, r->err);
        fail();
    }
}

void cli_assert_file_bytes(const char *dir, const char *name, const uint8_t *want, size_t len,
                           uint32_t base)
{
    size_t got_len;
    uint8_t *got = cli_read(dir, name, &got_len);
    assert_int_equal(got_len, len);
    for (size_t i = 0; i < len; i++)
        if (got[i] != want[i]) {
            uint8_t seen = got[i];
            free(got);
            fail_msg("%s differs at 0x%08zX: 0x%02X, expected 0x%02X", name, base + i, seen, want[i]);
        }
    free(got);
}
