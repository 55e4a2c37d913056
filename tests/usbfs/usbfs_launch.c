/* usbfs-launch PROGRAM [ARG...]: run PROGRAM (the mpflash binary) against
 * the boards of MPFLASH_FAKE_USB on an emulated usbfs bus, through the
 * system's real libusb-1.0. PROGRAM inherits UMOCKDEV_DIR and runs with
 * umockdev's preload library, which redirects /sys and /dev/bus/usb into
 * the testbed and its device nodes' ioctls to this process, where the
 * boards answer them (tests/usbfs). Exits with PROGRAM's exit code.
 *
 * Environment: MPFLASH_FAKE_USB, MPFLASH_FAKE_USB_STATE, MPFLASH_FAKE_USB_LOG
 * as for the fake libusb (tests/fake_libusb/README.md), plus
 *   MPFLASH_USBFS_MAPS=FILE  append the lines of PROGRAM's memory map that
 *                            name a libusb, taken at its first ioctl: which
 *                            libusb-1.0.so.0 it really runs on.
 * PROGRAM gets none of the MPFLASH_FAKE_USB* variables. With a ctrl-c=N
 * board, PROGRAM's standard error passes through this process, which
 * watches it for the line saying the Ctrl-C was taken. A board with
 * open=access has a root-only device node; when this runs as root,
 * PROGRAM is started as nobody so that the node's mode applies. */
#include <errno.h>
#include <grp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "usbfs_internal.h"

#define NOBODY 65534

static int any_access_denied(void)
{
    int any = 0;
    fake_lock();
    for (size_t i = 0; i < fake.count; i++)
        any |= fake.devs[i].open_error == LIBUSB_ERROR_ACCESS;
    fake_unlock();
    return any;
}

/* PROGRAM's standard error, copied to ours; the line mpflash writes once a
 * Ctrl-C has cancelled its sessions releases the request held for it. */
typedef struct err_watch {
    usbfs_bed *bed;
    int fd;
    pthread_t thread;
} err_watch;

#define TAKEN_LINE "mpflash: interrupted: stopping"

static void *watch_stderr(void *arg)
{
    err_watch *w = arg;
    char buf[4096], tail[sizeof TAKEN_LINE] = "";
    ssize_t n;
    while ((n = read(w->fd, buf, sizeof buf)) > 0 || (n < 0 && errno == EINTR)) {
        if (n < 0)
            continue;
        for (ssize_t off = 0; off < n;) {
            ssize_t put = write(STDERR_FILENO, buf + off, (size_t)(n - off));
            if (put <= 0)
                break;
            off += put;
        }
        /* The line may be split across reads: look at the end of the last one too. */
        char seen[sizeof tail + sizeof buf];
        size_t t = strlen(tail);
        memcpy(seen, tail, t);
        memcpy(seen + t, buf, (size_t)n);
        seen[t + (size_t)n] = '\0';
        if (strstr(seen, TAKEN_LINE))
            usbfs_bed_child_interrupted(w->bed);
        size_t keep = t + (size_t)n < sizeof tail - 1 ? t + (size_t)n : sizeof tail - 1;
        memcpy(tail, seen + t + (size_t)n - keep, keep);
        tail[keep] = '\0';
    }
    close(w->fd);
    return NULL;
}

static void child(const char *root, int go, int err_fd, char **argv, int as_nobody)
{
    char byte;
    if (read(go, &byte, 1) != 1)
        _exit(126);
    close(go);
    if (err_fd >= 0 && (dup2(err_fd, STDERR_FILENO) < 0 || close(err_fd) != 0))
        _exit(126);
    const char *old = getenv("LD_PRELOAD");
    char preload[2048];
    snprintf(preload, sizeof preload, "%s%s%s", USBFS_PRELOAD, old && *old ? ":" : "",
             old ? old : "");
    if (setenv("LD_PRELOAD", preload, 1) != 0 || setenv("UMOCKDEV_DIR", root, 1) != 0)
        _exit(126);
    signal(SIGPIPE, SIG_DFL); /* the bus ignores it; the program gets the default */
    unsetenv("MPFLASH_FAKE_USB");
    unsetenv("MPFLASH_FAKE_USB_STATE");
    unsetenv("MPFLASH_FAKE_USB_LOG");
    unsetenv("MPFLASH_USBFS_MAPS");
    if (as_nobody && (setgroups(0, NULL) != 0 || setgid(NOBODY) != 0 || setuid(NOBODY) != 0)) {
        perror("usbfs-launch: cannot drop to nobody");
        _exit(126);
    }
    execv(argv[0], argv);
    fprintf(stderr, "usbfs-launch: cannot run %s: %s\n", argv[0], strerror(errno));
    _exit(127);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: usbfs-launch PROGRAM [ARG...]\n");
        return 125;
    }
    usbfs_bed *bed = usbfs_bed_start();
    if (!bed)
        return 125;
    int as_nobody = any_access_denied() && geteuid() == 0;
    if (as_nobody)
        usbfs_bed_open_to_all(bed);

    int pipefd[2];
    if (pipe(pipefd) != 0) {
        usbfs_bed_stop(bed);
        return 125;
    }
    err_watch watch = {bed, -1, 0};
    int errfd[2] = {-1, -1};
    if (usbfs_bed_wants_ctrl_c() && pipe(errfd) != 0) {
        usbfs_bed_stop(bed);
        return 125;
    }
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        close(pipefd[1]);
        if (errfd[0] >= 0)
            close(errfd[0]);
        child(usbfs_bed_root(bed), pipefd[0], errfd[1], argv + 1, as_nobody);
    }
    close(pipefd[0]);
    if (errfd[0] >= 0) {
        close(errfd[1]);
        watch.fd = errfd[0];
        if (pthread_create(&watch.thread, NULL, watch_stderr, &watch) != 0) {
            close(watch.fd);
            watch.fd = -1;
        }
    }
    if (pid > 0)
        usbfs_bed_watch_child(bed, pid, getenv("MPFLASH_USBFS_MAPS"));
    /* Now that its ioctls will be recognised, let it run. */
    if (pid > 0 && write(pipefd[1], "g", 1) != 1)
        kill(pid, SIGKILL);
    close(pipefd[1]);
    int status = 0;
    while (pid > 0 && waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (watch.fd >= 0)
        pthread_join(watch.thread, NULL); /* the copy ends when PROGRAM's end of the pipe closes */
    usbfs_bed_stop(bed);
    if (pid < 0)
        return 125;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
