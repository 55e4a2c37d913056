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
 * PROGRAM gets none of the MPFLASH_FAKE_USB* variables. A board with
 * open=access has a root-only device node; when this runs as root,
 * PROGRAM is started as nobody so that the node's mode applies. */
#include <errno.h>
#include <grp.h>
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

static void child(const char *root, int go, char **argv, int as_nobody)
{
    char byte;
    if (read(go, &byte, 1) != 1)
        _exit(126);
    close(go);
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
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        close(pipefd[1]);
        child(usbfs_bed_root(bed), pipefd[0], argv + 1, as_nobody);
    }
    close(pipefd[0]);
    if (pid > 0)
        usbfs_bed_watch_child(bed, pid, getenv("MPFLASH_USBFS_MAPS"));
    /* Now that its ioctls will be recognised, let it run. */
    if (pid > 0 && write(pipefd[1], "g", 1) != 1)
        kill(pid, SIGKILL);
    close(pipefd[1]);
    int status = 0;
    while (pid > 0 && waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    usbfs_bed_stop(bed);
    if (pid < 0)
        return 125;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
