#include "bootentry/tty_io.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <termios.h>
#include <unistd.h>

static mpf_err open_error(const char *port, int e, mpf_error *err)
{
    switch (e) {
    case ENOENT:
    case ENXIO:
    case ENODEV:
        return mpf_error_set(err, MPF_ERR_NO_DEVICE, "cannot open %s: %s; is the board plugged in?",
                             port, strerror(e));
    case EACCES:
    case EPERM:
        return mpf_error_set(err, MPF_ERR_USB_ACCESS,
                             "cannot open %s: %s; add the user to the group owning it (often dialout)",
                             port, strerror(e));
    case EBUSY:
        return mpf_error_set(err, MPF_ERR_USB_BUSY, "cannot open %s: %s; another program has it open",
                             port, strerror(e));
    default:
        return mpf_error_set(err, MPF_ERR_USB, "cannot open %s: %s", port, strerror(e));
    }
}

mpf_err mpf_tty_open(mpf_tty *t, const char *port, mpf_serial_log_fn log, void *user,
                     mpf_error *err)
{
    t->fd = -1;
    t->port = port;
    t->log = log;
    t->user = user;
    int fd = open(port, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return open_error(port, errno, err);
    if (flock(fd, LOCK_EX | LOCK_NB) != 0 && errno == EWOULDBLOCK) {
        close(fd);
        return mpf_error_set(err, MPF_ERR_USB_BUSY,
                             "%s is locked by another program (mpremote, a serial monitor?); close it and retry",
                             port);
    }
    struct termios tio;
    if (tcgetattr(fd, &tio) != 0) {
        int e = errno;
        close(fd);
        return mpf_error_set(err, MPF_ERR_USAGE, "%s is not a serial port (%s); give the board's tty, e.g. /dev/ttyACM0",
                             port, strerror(e));
    }
    cfmakeraw(&tio);
    tio.c_cflag |= CLOCAL | CREAD;
    tio.c_cflag &= ~(tcflag_t)CRTSCTS;
    tio.c_iflag &= ~(tcflag_t)(IXON | IXOFF | IXANY);
    /* Reads never block in the kernel: poll() bounds every wait. */
    tio.c_cc[VMIN] = 0;
    tio.c_cc[VTIME] = 0;
    cfsetispeed(&tio, B115200);
    cfsetospeed(&tio, B115200);
    if (tcsetattr(fd, TCSANOW, &tio) != 0) {
        int e = errno;
        close(fd);
        return mpf_error_set(err, MPF_ERR_USB, "cannot configure %s as a raw 115200 baud port: %s",
                             port, strerror(e));
    }
    /* Output the board printed before we came is not an answer to us. */
    tcflush(fd, TCIOFLUSH);
    t->fd = fd;
    return MPF_OK;
}

void mpf_tty_close(mpf_tty *t)
{
    if (t->fd >= 0)
        close(t->fd);
    t->fd = -1;
}

static int poll_ms_until(uint64_t deadline_ms)
{
    uint64_t now = mpf_serial_now_ms();
    if (now >= deadline_ms)
        return 0;
    uint64_t left = deadline_ms - now;
    return left > 60000u ? 60000 : (int)left;
}

static int is_gone(int e)
{
    return e == EIO || e == ENXIO || e == ENODEV || e == EPIPE;
}

mpf_err mpf_tty_write(mpf_tty *t, const uint8_t *data, size_t len, uint64_t deadline_ms,
                      mpf_error *err)
{
    char shown[96];
    mpf_serial_escape(data, len, shown, sizeof shown);
    mpf_serial_logf(t->log, t->user, MPF_LOG_TRACE, "%s <- %s", t->port, shown);
    size_t done = 0;
    while (done < len) {
        ssize_t n = write(t->fd, data + done, len - done);
        if (n > 0) {
            done += (size_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
            int e = errno;
            if (is_gone(e))
                return mpf_error_set(err, MPF_ERR_USB_DISCONNECTED,
                                     "%s went away while mpflash was writing to it (%s)", t->port, strerror(e));
            return mpf_error_set(err, MPF_ERR_USB, "writing to %s failed: %s", t->port, strerror(e));
        }
        struct pollfd p = {t->fd, POLLOUT, 0};
        int wait = poll_ms_until(deadline_ms);
        if (wait == 0 || poll(&p, 1, wait) == 0)
            return mpf_error_set(err, MPF_ERR_USB_TIMEOUT,
                                 "%s accepted %zu of %zu bytes and then stopped taking data", t->port, done, len);
        if (p.revents & (POLLHUP | POLLERR))
            return mpf_error_set(err, MPF_ERR_USB_DISCONNECTED, "%s went away while mpflash was writing to it",
                                 t->port);
    }
    return MPF_OK;
}

static long got(mpf_tty *t, const uint8_t *buf, ssize_t n)
{
    char shown[160];
    mpf_serial_escape(buf, (size_t)n, shown, sizeof shown);
    mpf_serial_logf(t->log, t->user, MPF_LOG_TRACE, "%s -> %s", t->port, shown);
    return (long)n;
}

long mpf_tty_read(mpf_tty *t, uint8_t *buf, size_t cap, uint64_t deadline_ms)
{
    int was_ready = 0;
    for (;;) {
        ssize_t n = read(t->fd, buf, cap);
        if (n > 0)
            return got(t, buf, n);
        if (n == 0) {
            /* With VMIN = VTIME = 0 an empty read is "nothing yet", unless
             * poll just said the port was readable: then it is end of file. */
            if (was_ready)
                return MPF_TTY_HANGUP;
        } else if (errno == EINTR) {
            continue;
        } else if (is_gone(errno)) {
            return MPF_TTY_HANGUP;
        } else if (errno != EAGAIN && errno != EWOULDBLOCK) {
            return MPF_TTY_FAILED;
        }
        struct pollfd p = {t->fd, POLLIN, 0};
        int r = poll(&p, 1, poll_ms_until(deadline_ms));
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return MPF_TTY_FAILED;
        if (r == 0)
            return MPF_TTY_TIMEOUT;
        if (p.revents & (POLLHUP | POLLERR | POLLNVAL)) {
            /* Bytes the board sent before it went still count. */
            n = read(t->fd, buf, cap);
            return n > 0 ? got(t, buf, n) : MPF_TTY_HANGUP;
        }
        was_ready = 1;
    }
}
