/* Running one measurement in a process of its own: its peak memory is then
 * its own, not the largest of every row measured before it. Shared by the
 * benchmark programs; header-only because each bench is one program.
 *
 * POSIX: a forked child, which sends its result back through a pipe.
 * Windows has no fork: the measurement runs in this process, so the peak
 * memory a row reports is the process's peak so far (BENCH_OWN_PEAK 0; the
 * benches then print no memory verdict). */
#ifndef MPFLASH_BENCH_CHILD_H
#define MPFLASH_BENCH_CHILD_H

#include <stdio.h>
#include <string.h>

/* Fills out (size bytes) with one measurement of arg. */
typedef void (*bench_measure_fn)(const void *arg, void *out);

#ifdef _WIN32
#define BENCH_OWN_PEAK 0

/* Runs fn here; 0. */
static int bench_in_child(bench_measure_fn fn, const void *arg, void *out, size_t size)
{
    memset(out, 0, size);
    fn(arg, out);
    return 0;
}
#else
#include <errno.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#define BENCH_OWN_PEAK 1

/* Runs fn in a child and copies its result into out; 0 when the child
 * sent all of it and exited 0. */
static int bench_in_child(bench_measure_fn fn, const void *arg, void *out, size_t size)
{
    int fds[2];
    if (pipe(fds) != 0)
        return -1;
    fflush(stdout); /* the child must not inherit unwritten output */
    pid_t pid = fork();
    if (pid < 0) {
        close(fds[0]);
        close(fds[1]);
        return -1;
    }
    if (pid == 0) {
        close(fds[0]);
        void *mine = calloc(1, size);
        if (mine)
            fn(arg, mine);
        ssize_t w = mine ? write(fds[1], mine, size) : -1;
        close(fds[1]);
        _exit(w == (ssize_t)size ? 0 : 1);
    }
    close(fds[1]);
    size_t got = 0;
    while (got < size) {
        ssize_t n = read(fds[0], (char *)out + got, size - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    close(fds[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    return got == size && WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}
#endif

#endif
