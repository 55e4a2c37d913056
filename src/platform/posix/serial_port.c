/* Serial ports on POSIX systems: termios, poll, flock. */
#include "platform/serial_port.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
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

/* The handle is the descriptor, boxed so that 0 is a valid one. */
typedef struct posix_port {
    int fd;
    const char *name;
} posix_port;

static mpf_err configure(int fd, const char *port, mpf_error *err)
{
    struct termios tio;
    if (tcgetattr(fd, &tio) != 0)
        return mpf_error_set(err, MPF_ERR_USAGE, "%s is not a serial port (%s); give the board's tty, e.g. /dev/ttyACM0",
                             port, strerror(errno));
    cfmakeraw(&tio);
    tio.c_cflag |= CLOCAL | CREAD;
    tio.c_cflag &= ~(tcflag_t)CRTSCTS;
    tio.c_iflag &= ~(tcflag_t)(IXON | IXOFF | IXANY);
    /* Reads never block in the kernel: poll() bounds every wait. */
    tio.c_cc[VMIN] = 0;
    tio.c_cc[VTIME] = 0;
    cfsetispeed(&tio, B115200);
    cfsetospeed(&tio, B115200);
    if (tcsetattr(fd, TCSANOW, &tio) != 0)
        return mpf_error_set(err, MPF_ERR_USB, "cannot configure %s as a raw 115200 baud port: %s",
                             port, strerror(errno));
    /* Output the board printed before we came is not an answer to us. */
    tcflush(fd, TCIOFLUSH);
    return MPF_OK;
}

static mpf_err port_open(void *ctx, const char *name, void **handle, mpf_error *err)
{
    (void)ctx;
    *handle = NULL;
    int fd = open(name, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return open_error(name, errno, err);
    if (flock(fd, LOCK_EX | LOCK_NB) != 0 && errno == EWOULDBLOCK) {
        close(fd);
        return mpf_error_set(err, MPF_ERR_USB_BUSY,
                             "%s is locked by another program (mpremote, a serial monitor?); close it and retry",
                             name);
    }
    mpf_err rc = configure(fd, name, err);
    posix_port *p = rc ? NULL : malloc(sizeof *p);
    if (!rc && !p)
        rc = mpf_error_set(err, MPF_ERR_NOMEM, "out of memory opening %s", name);
    if (rc) {
        close(fd);
        return rc;
    }
    p->fd = fd;
    p->name = name;
    *handle = p;
    return MPF_OK;
}

static void port_close(void *ctx, void *handle)
{
    (void)ctx;
    posix_port *p = handle;
    if (!p)
        return;
    close(p->fd);
    free(p);
}

static int is_gone(int e)
{
    return e == EIO || e == ENXIO || e == ENODEV || e == EPIPE;
}

static int wait_for(int fd, short events, uint32_t wait_ms, short *revents)
{
    struct pollfd pfd = {fd, events, 0};
    int r;
    while ((r = poll(&pfd, 1, wait_ms > 60000u ? 60000 : (int)wait_ms)) < 0 && errno == EINTR) {
    }
    *revents = pfd.revents;
    return r;
}

static long port_write(void *ctx, void *handle, const uint8_t *data, size_t len, uint32_t wait_ms,
                       mpf_error *err)
{
    (void)ctx;
    posix_port *p = handle;
    for (int waited = 0;; waited = 1) {
        ssize_t n = write(p->fd, data, len);
        if (n >= 0)
            return (long)n;
        if (errno == EINTR)
            continue;
        int e = errno;
        if (is_gone(e)) {
            mpf_error_set(err, MPF_ERR_USB_DISCONNECTED, "%s went away while mpflash was writing to it (%s)",
                          p->name, strerror(e));
            return MPF_PORT_HANGUP;
        }
        if (e != EAGAIN && e != EWOULDBLOCK) {
            mpf_error_set(err, MPF_ERR_USB, "writing to %s failed: %s", p->name, strerror(e));
            return MPF_PORT_FAILED;
        }
        short rev = 0;
        if (waited || wait_for(p->fd, POLLOUT, wait_ms, &rev) <= 0)
            return 0;
        if (rev & (POLLHUP | POLLERR)) {
            mpf_error_set(err, MPF_ERR_USB_DISCONNECTED, "%s went away while mpflash was writing to it", p->name);
            return MPF_PORT_HANGUP;
        }
    }
}

static long port_read(void *ctx, void *handle, uint8_t *buf, size_t cap, uint32_t wait_ms)
{
    (void)ctx;
    posix_port *p = handle;
    int was_ready = 0;
    for (;;) {
        ssize_t n = read(p->fd, buf, cap);
        if (n > 0)
            return (long)n;
        if (n == 0) {
            /* With VMIN = VTIME = 0 an empty read is "nothing yet", unless
             * poll just said the port was readable: then it is end of file. */
            if (was_ready)
                return MPF_PORT_HANGUP;
        } else if (errno == EINTR) {
            continue;
        } else if (is_gone(errno)) {
            return MPF_PORT_HANGUP;
        } else if (errno != EAGAIN && errno != EWOULDBLOCK) {
            return MPF_PORT_FAILED;
        }
        if (was_ready)
            return MPF_PORT_TIMEOUT;
        short rev = 0;
        int r = wait_for(p->fd, POLLIN, wait_ms, &rev);
        if (r < 0)
            return MPF_PORT_FAILED;
        if (r == 0)
            return MPF_PORT_TIMEOUT;
        if (rev & (POLLHUP | POLLERR | POLLNVAL)) {
            /* Bytes the board sent before it went still count. */
            n = read(p->fd, buf, cap);
            return n > 0 ? (long)n : MPF_PORT_HANGUP;
        }
        was_ready = 1;
    }
}

static speed_t speed_of(uint32_t baud)
{
    switch (baud) {
    case 1200: return B1200;
    case 9600: return B9600;
    default: return B115200;
    }
}

/* Arduino's tools do the same: set the speed, and let close() drop DTR
 * (HUPCL); the board's USB stack sees the line coding and resets. */
static mpf_err port_touch(void *ctx, const char *name, uint32_t baud, mpf_error *err)
{
    (void)ctx;
    int fd = open(name, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return open_error(name, errno, err);
    struct termios tio;
    mpf_err rc = MPF_OK;
    if (tcgetattr(fd, &tio) != 0) {
        rc = mpf_error_set(err, MPF_ERR_USAGE, "%s is not a serial port (%s)", name, strerror(errno));
    } else {
        tio.c_cflag |= HUPCL | CLOCAL | CREAD;
        cfsetispeed(&tio, speed_of(baud));
        cfsetospeed(&tio, speed_of(baud));
        if (tcsetattr(fd, TCSANOW, &tio) != 0)
            rc = mpf_error_set(err, MPF_ERR_USB, "cannot set %s to %u baud: %s", name, (unsigned)baud,
                               strerror(errno));
    }
    close(fd);
    return rc;
}

static const mpf_port_ops host_ports = {port_open, port_close, port_write, port_read, NULL, port_touch};

const mpf_port_ops *mpf_port_host(void)
{
    return &host_ports;
}

int mpf_port_name_is_port(const char *name)
{
    return mpf_port_name_is_dev(name);
}

int mpf_port_node_ready(const char *name)
{
    return access(name, F_OK) == 0;
}
