/* Process plumbing for the end-to-end tests. fork + exec on POSIX and
 * CreateProcess on Windows rather than system(): exact argv, exact exit
 * status, no shell. */
#include "cli_run.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "test_os.h"

#ifdef _WIN32
#include <windows.h>
#else
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>
#endif

extern char **environ;

void cli_workdir(const char *name, char *path, size_t size)
{
    tos_mkdir(MPFLASH_CLI_WORK_DIR);
    snprintf(path, size, "%s/%s", MPFLASH_CLI_WORK_DIR, name);
    assert_int_equal(tos_remove_tree(path), 0);
    assert_int_equal(tos_mkdir(path), 0);
}

/* Everything from the start of a stream, NUL-terminated. */
static char *slurp(FILE *f, size_t *len)
{
    size_t cap = 4096, used = 0;
    char *buf = malloc(cap);
    assert_non_null(buf);
    rewind(f);
    for (;;) {
        if (used + 1 >= cap) {
            cap *= 2;
            buf = realloc(buf, cap);
            assert_non_null(buf);
        }
        size_t n = fread(buf + used, 1, cap - used - 1, f);
        used += n;
        if (n == 0) {
            assert_false(ferror(f));
            break;
        }
    }
    buf[used] = '\0';
    *len = used;
    return buf;
}

#ifdef _WIN32
/* Inherited variables pass, except ours and the preload (a test sets them
 * itself) and any the test gives a value of its own. Windows names are
 * case-insensitive. */
static int same_name(const char *a, const char *b)
{
    size_t n = strcspn(a, "=");
    return n == strcspn(b, "=") && _strnicmp(a, b, n) == 0;
}

static int keep_inherited(const char *entry, const char *const *env)
{
    if (_strnicmp(entry, "MPFLASH_", 8) == 0 || _strnicmp(entry, "LD_PRELOAD=", 11) == 0)
        return 0;
    for (size_t i = 0; env && env[i]; i++)
        if (same_name(env[i], entry))
            return 0;
    return 1;
}

/* One argument as the C runtime's command-line parser reads it back. */
static void quote_arg(char *out, size_t size, size_t *used, const char *arg)
{
    int plain = *arg && !strpbrk(arg, " \t\"");
    size_t u = *used;
#define PUT(c) do { assert_true(u + 1 < size); out[u++] = (c); } while (0)
    if (u)
        PUT(' ');
    if (plain) {
        for (const char *p = arg; *p; p++)
            PUT(*p);
    } else {
        PUT('"');
        for (const char *p = arg;; p++) {
            size_t slashes = 0;
            while (*p == '\\') {
                slashes++;
                p++;
            }
            if (!*p) {
                for (size_t k = 0; k < slashes * 2; k++)
                    PUT('\\');
                break;
            }
            for (size_t k = 0; k < (*p == '"' ? slashes * 2 + 1 : slashes); k++)
                PUT('\\');
            PUT(*p);
        }
        PUT('"');
    }
#undef PUT
    out[u] = '\0';
    *used = u;
}

/* The environment block: NAME=VALUE\0...\0. The fake libusb is a
 * libusb-1.0.dll: "LD_PRELOAD=<it>" puts its folder first on PATH, where
 * Windows looks for the DLLs a program imports (its own folder and the
 * system's aside, which hold no libusb here). */
static char *env_block(const char *const *env)
{
    size_t size = 1;
    for (char **e = environ; *e; e++)
        size += strlen(*e) + 1;
    for (size_t i = 0; env && env[i]; i++)
        size += strlen(env[i]) + 1;
    const char *path = getenv("PATH");
    size += (path ? strlen(path) : 0) + 16;
    char *block = malloc(size), *p = block;
    assert_non_null(block);
    const char *preload = NULL;
    for (size_t i = 0; env && env[i]; i++)
        if (strncmp(env[i], "LD_PRELOAD=", 11) == 0)
            preload = env[i] + 11;
    for (char **e = environ; *e; e++)
        if (keep_inherited(*e, env) && !(preload && _strnicmp(*e, "PATH=", 5) == 0))
            p += sprintf(p, "%s", *e) + 1;
    for (size_t i = 0; env && env[i]; i++) {
        if (env[i] == preload - 11) {
            const char *slash = strrchr(preload, '/');
            const char *bslash = strrchr(preload, '\\');
            if (bslash > slash)
                slash = bslash;
            assert_non_null(slash);
            p += sprintf(p, "PATH=%.*s;%s", (int)(slash - preload), preload, path ? path : "") + 1;
        } else {
            p += sprintf(p, "%s", env[i]) + 1;
        }
    }
    *p = '\0';
    return block;
}

static HANDLE temp_handle(void)
{
    char dir[MAX_PATH], name[MAX_PATH];
    DWORD n = GetTempPathA(sizeof dir, dir);
    assert_true(n > 0 && n < sizeof dir && GetTempFileNameA(dir, "mpc", 0, name));
    SECURITY_ATTRIBUTES sa = {sizeof sa, NULL, TRUE};
    HANDLE h = CreateFileA(name, GENERIC_READ | GENERIC_WRITE, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE,
                           &sa, CREATE_ALWAYS, FILE_ATTRIBUTE_TEMPORARY | FILE_FLAG_DELETE_ON_CLOSE, NULL);
    assert_true(h != INVALID_HANDLE_VALUE);
    return h;
}

static char *slurp_handle(HANDLE h, size_t *len)
{
    LARGE_INTEGER size, zero = {0};
    assert_true(GetFileSizeEx(h, &size) && SetFilePointerEx(h, zero, NULL, FILE_BEGIN));
    char *buf = malloc((size_t)size.QuadPart + 1);
    assert_non_null(buf);
    DWORD got = 0;
    assert_true(size.QuadPart == 0 || ReadFile(h, buf, (DWORD)size.QuadPart, &got, NULL));
    buf[got] = '\0';
    *len = got;
    return buf;
}

static void run(const char *launcher, const char *dir, const char *const *args,
                const char *const *env, int merged, cli_result *r)
{
    char cmd[32768];
    size_t used = 0;
    cmd[0] = '\0';
    if (launcher)
        quote_arg(cmd, sizeof cmd, &used, launcher);
    quote_arg(cmd, sizeof cmd, &used, MPFLASH_BIN);
    for (size_t i = 0; args[i]; i++)
        quote_arg(cmd, sizeof cmd, &used, args[i]);
    char *block = env_block(env);
    HANDLE out = temp_handle(), err = merged ? out : temp_handle();
    SECURITY_ATTRIBUTES sa = {sizeof sa, NULL, TRUE};
    HANDLE in = CreateFileA("NUL", GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE, &sa, OPEN_EXISTING, 0, NULL);
    STARTUPINFOA si;
    memset(&si, 0, sizeof si);
    si.cb = sizeof si;
    si.dwFlags = STARTF_USESTDHANDLES;
    si.hStdInput = in;
    si.hStdOutput = out;
    si.hStdError = err;
    PROCESS_INFORMATION pi;
    fflush(NULL);
    /* Under Wine on a busy machine, CreateProcess now and then fails with
     * ERROR_INTERNAL_ERROR (1359) and starts nothing (seen in one suite run
     * of several with -j2); no mpflash code has run, so starting it again
     * is safe. Any other failure, or a third one, fails the test. */
    BOOL ok = FALSE;
    for (int attempt = 1; attempt <= 3 && !ok; attempt++) {
        ok = CreateProcessA(NULL, cmd, NULL, NULL, TRUE, 0, block, dir, &si, &pi);
        DWORD why = ok ? 0 : GetLastError();
        if (!ok)
            print_error("CreateProcess %s failed (attempt %d): Windows error %lu\n", cmd, attempt,
                        (unsigned long)why);
        if (!ok && why != ERROR_INTERNAL_ERROR)
            break;
        if (!ok)
            Sleep(100);
    }
    assert_true(ok);
    WaitForSingleObject(pi.hProcess, INFINITE);
    DWORD code = 0;
    GetExitCodeProcess(pi.hProcess, &code);
    CloseHandle(pi.hProcess);
    CloseHandle(pi.hThread);
    free(block);
    /* Exit codes above 255 are exceptions (0xC0000005 and the like), as a
     * signal is on POSIX. */
    r->exit_code = code > 255 ? -1 : (int)code;
    r->out = slurp_handle(out, &r->out_len);
    if (merged) {
        r->err = calloc(1, 1);
        assert_non_null(r->err);
        r->err_len = 0;
    } else {
        r->err = slurp_handle(err, &r->err_len);
        CloseHandle(err);
    }
    CloseHandle(out);
    CloseHandle(in);
}

#else
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
    FILE *out = fdopen(out_fd, "rb"), *err = fdopen(err_fd, "rb");
    assert_true(out && err);
    r->out = slurp(out, &r->out_len);
    r->err = slurp(err, &r->err_len);
    fclose(out);
    fclose(err);
}

#endif

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
    FILE *f = fopen(path, "rb");
    if (!f)
        print_error("cannot open %s\n", path);
    assert_non_null(f);
    free(path);
    uint8_t *buf = (uint8_t *)slurp(f, len);
    fclose(f);
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
        tos_mkdir(sub);
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
