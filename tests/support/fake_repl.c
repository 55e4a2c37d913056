#include "fake_repl.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <pty.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "repl_board.h"

/* The board model (repl_board.c) behind a pseudo-terminal, in real time. */
struct fake_repl {
    int master, slave;
    int stop_pipe[2];
    char port[64];
    pthread_t thread;
    pthread_mutex_t lock; /* guards board */
    repl_board board;
    uint64_t start_ms;
};

static uint64_t real_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* What the board printed goes out on the pty. Nobody reading it loses the
 * output, as with a real board, and keeps the thread free for the stop. */
static void flush_out(fake_repl *fr, const unsigned char *s, size_t n)
{
    while (n && fr->master >= 0) {
        ssize_t w = write(fr->master, s, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0 && errno == EAGAIN) {
            struct pollfd p = {fr->master, POLLOUT, 0};
            if (poll(&p, 1, 20) > 0)
                continue;
            return;
        }
        if (w <= 0)
            return;
        s += w;
        n -= (size_t)w;
    }
}

/* Runs the board up to now; returns how long until its next event (ms). */
static int step(fake_repl *fr, const unsigned char *in, size_t in_len)
{
    unsigned char out[4096];
    pthread_mutex_lock(&fr->lock);
    repl_board *b = &fr->board;
    repl_board_advance(b, real_ms() - fr->start_ms);
    repl_board_receive(b, in, in_len);
    size_t n = repl_board_take(b, out, sizeof out);
    int dropped = b->dropped;
    uint64_t next = repl_board_next_event(b);
    uint64_t now = b->now_ms;
    pthread_mutex_unlock(&fr->lock);
    flush_out(fr, out, n);
    if (dropped && fr->master >= 0) {
        close(fr->master); /* mpflash sees the hang-up */
        fr->master = -1;
    }
    if (next == REPL_BOARD_NEVER)
        return 50;
    return next <= now ? 0 : next - now > 50 ? 50 : (int)(next - now);
}

static void *board_main(void *arg)
{
    fake_repl *fr = arg;
    int wait = step(fr, NULL, 0);
    for (;;) {
        struct pollfd p[2] = {{fr->stop_pipe[0], POLLIN, 0}, {fr->master, POLLIN, 0}};
        int n = poll(p, fr->master >= 0 ? 2 : 1, wait);
        if (n < 0 && errno != EINTR)
            break;
        if (p[0].revents)
            break;
        unsigned char buf[256];
        ssize_t r = 0;
        if (fr->master >= 0 && (p[1].revents & POLLIN))
            r = read(fr->master, buf, sizeof buf);
        wait = step(fr, buf, r > 0 ? (size_t)r : 0);
    }
    return NULL;
}

fake_repl *fake_repl_start_board(const fake_repl_config *cfg)
{
    fake_repl *fr = calloc(1, sizeof *fr);
    if (!fr)
        return NULL;
    repl_board_init(&fr->board, cfg);
    fr->start_ms = real_ms();
    fr->master = fr->slave = -1;
    fr->stop_pipe[0] = fr->stop_pipe[1] = -1;
    if (openpty(&fr->master, &fr->slave, fr->port, NULL, NULL) != 0 || pipe(fr->stop_pipe) != 0)
        goto fail;
    /* Raw from the start, so the line discipline neither echoes nor edits
     * what either side sends, even before mpflash configures the port. */
    struct termios tio;
    if (tcgetattr(fr->slave, &tio) != 0)
        goto fail;
    cfmakeraw(&tio);
    if (tcsetattr(fr->slave, TCSANOW, &tio) != 0)
        goto fail;
    int fl = fcntl(fr->master, F_GETFL);
    if (fl < 0 || fcntl(fr->master, F_SETFL, fl | O_NONBLOCK) != 0)
        goto fail;
    if (pthread_mutex_init(&fr->lock, NULL) != 0)
        goto fail;
    if (pthread_create(&fr->thread, NULL, board_main, fr) != 0) {
        pthread_mutex_destroy(&fr->lock);
        goto fail;
    }
    return fr;
fail:
    if (fr->master >= 0)
        close(fr->master);
    if (fr->slave >= 0)
        close(fr->slave);
    if (fr->stop_pipe[0] >= 0) {
        close(fr->stop_pipe[0]);
        close(fr->stop_pipe[1]);
    }
    free(fr);
    return NULL;
}

const char *fake_repl_port(const fake_repl *fr)
{
    return fr->port;
}

size_t fake_repl_received(fake_repl *fr, unsigned char *buf, size_t cap)
{
    pthread_mutex_lock(&fr->lock);
    size_t n = fr->board.received_len < cap ? fr->board.received_len : cap;
    memcpy(buf, fr->board.received, n);
    pthread_mutex_unlock(&fr->lock);
    return n;
}

int fake_repl_dropped(fake_repl *fr)
{
    pthread_mutex_lock(&fr->lock);
    int d = fr->board.dropped;
    pthread_mutex_unlock(&fr->lock);
    return d;
}

size_t fake_repl_printed(fake_repl *fr)
{
    pthread_mutex_lock(&fr->lock);
    size_t n = fr->board.printed;
    pthread_mutex_unlock(&fr->lock);
    return n;
}

void fake_repl_stop(fake_repl *fr)
{
    if (!fr)
        return;
    ssize_t w;
    do
        w = write(fr->stop_pipe[1], "x", 1);
    while (w < 0 && errno == EINTR);
    pthread_join(fr->thread, NULL);
    pthread_mutex_destroy(&fr->lock);
    if (fr->master >= 0)
        close(fr->master);
    close(fr->slave);
    close(fr->stop_pipe[0]);
    close(fr->stop_pipe[1]);
    free(fr);
}
