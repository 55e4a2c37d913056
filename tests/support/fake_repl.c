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
#include <unistd.h>

#define BANNER "raw REPL; CTRL-B to exit\r\n>"
#define FRIENDLY_BANNER "MicroPython v1.22.0 on 2024-01-01; PYBv1.1 with STM32F405RG\r\n" \
                        "Type \"help()\" for more information.\r\n"

typedef enum { MODE_RUNNING, MODE_FRIENDLY, MODE_RAW } board_mode;

struct fake_repl {
    fake_repl_config cfg;
    int master, slave;
    int stop_pipe[2];
    char port[64];
    pthread_t thread;
    pthread_mutex_t lock;
    unsigned char received[8192];
    size_t received_len;
    size_t printed;
    int dropped;
    /* board state, thread-only */
    board_mode mode;
    char line[512];
    size_t line_len;
    unsigned ctrl_c_ignored;
};

static void say(fake_repl *fr, const char *s, size_t n)
{
    if (fr->master < 0)
        return;
    while (n) {
        ssize_t w = write(fr->master, s, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0 && errno == EAGAIN) {
            /* Nobody reads the port: a real board's output is lost too, and
             * the thread must stay free to see the stop request. */
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

static void says(fake_repl *fr, const char *s)
{
    say(fr, s, strlen(s));
}

static void drop(fake_repl *fr)
{
    /* Flag first: mpflash may return the moment it sees the hang-up. */
    pthread_mutex_lock(&fr->lock);
    fr->dropped = 1;
    pthread_mutex_unlock(&fr->lock);
    if (fr->master >= 0)
        close(fr->master);
    fr->master = -1;
}

static void run_code(fake_repl *fr)
{
    fr->line[fr->line_len] = '\0';
    if (fr->cfg.exec_error) {
        says(fr, "\x04Traceback (most recent call last):\r\n  File \"<stdin>\", line 1, in <module>\r\n"
                 "AttributeError: 'module' object has no attribute 'bootloader'\r\n\x04>");
    } else if (strstr(fr->line, "machine.bootloader()") && !fr->cfg.stay_after_ok) {
        /* Like the board running time.sleep_ms(): the OK gets out before USB goes. */
        usleep(30 * 1000);
        drop(fr);
    } else if (!strstr(fr->line, "machine.bootloader()")) {
        says(fr, "\x04\x04>");
    }
    fr->line_len = 0;
}

static void board_byte(fake_repl *fr, unsigned char c)
{
    if (fr->cfg.silent)
        return;
    if (fr->cfg.garbage) {
        static const char noise[] = "\xfe\x13\x80~";
        say(fr, noise, sizeof noise - 1);
        return;
    }
    switch (fr->mode) {
    case MODE_RUNNING:
        if (c != 0x03)
            return; /* the program reads stdin and ignores it */
        if (fr->ctrl_c_ignored < fr->cfg.ignore_ctrl_c) {
            fr->ctrl_c_ignored++;
            says(fr, "caught KeyboardInterrupt, carrying on\r\n");
            return;
        }
        says(fr, "Traceback (most recent call last):\r\n  File \"main.py\", line 7, in <module>\r\n"
                 "KeyboardInterrupt: \r\n" FRIENDLY_BANNER ">>> ");
        fr->mode = MODE_FRIENDLY;
        return;
    case MODE_FRIENDLY:
        if (c == 0x03) {
            fr->line_len = 0;
            says(fr, "\r\n>>> ");
        } else if (c == 0x01) {
            says(fr, "\r\n" BANNER);
            fr->mode = MODE_RAW;
            fr->line_len = 0;
        } else if (c >= 0x20) {
            say(fr, (const char *)&c, 1); /* echo */
        }
        return;
    case MODE_RAW:
        if (c == 0x01) {
            fr->line_len = 0;
            says(fr, BANNER);
            if (fr->cfg.late_banner) {
                says(fr, "raw REPL; CT"); /* split across reads, the rest after the code went out */
                usleep(40 * 1000);
                says(fr, "RL-B to exit\r\n>");
            }
        } else if (c == 0x02) {
            says(fr, "\r\n" FRIENDLY_BANNER ">>> ");
            fr->mode = MODE_FRIENDLY;
        } else if (c == 0x03) {
            fr->line_len = 0;
        } else if (c == 0x04) {
            if (fr->cfg.drop_before_ok) {
                drop(fr);
            } else if (fr->cfg.answer_not_ok) {
                says(fr, "NO");
            } else {
                says(fr, "OK");
                run_code(fr);
            }
        } else if (fr->line_len + 1 < sizeof fr->line) {
            fr->line[fr->line_len++] = (char)c;
        }
        return;
    }
}

static void *board_main(void *arg)
{
    fake_repl *fr = arg;
    unsigned every = fr->cfg.print_every_ms ? fr->cfg.print_every_ms : 2;
    unsigned tick = 0;
    for (;;) {
        struct pollfd p[2] = {{fr->stop_pipe[0], POLLIN, 0}, {fr->master, POLLIN, 0}};
        int n = poll(p, fr->master >= 0 ? 2 : 1, fr->mode == MODE_RUNNING ? (int)every : 50);
        if (n < 0 && errno != EINTR)
            break;
        if (p[0].revents)
            break;
        if (fr->master >= 0 && (p[1].revents & POLLIN)) {
            unsigned char buf[256];
            ssize_t r = read(fr->master, buf, sizeof buf);
            if (r > 0) {
                pthread_mutex_lock(&fr->lock);
                size_t room = sizeof fr->received - fr->received_len;
                size_t k = (size_t)r < room ? (size_t)r : room;
                memcpy(fr->received + fr->received_len, buf, k);
                fr->received_len += k;
                pthread_mutex_unlock(&fr->lock);
                for (ssize_t i = 0; i < r && fr->master >= 0; i++)
                    board_byte(fr, buf[i]);
            }
        }
        if (fr->master >= 0 && fr->mode == MODE_RUNNING && !fr->cfg.silent && n == 0) {
            char out[64];
            int len = snprintf(out, sizeof out, "sensor reading %u: 42\r\n", tick++);
            say(fr, out, (size_t)len);
            pthread_mutex_lock(&fr->lock);
            fr->printed += (size_t)len;
            pthread_mutex_unlock(&fr->lock);
        }
    }
    return NULL;
}

fake_repl *fake_repl_start_board(const fake_repl_config *cfg)
{
    fake_repl *fr = calloc(1, sizeof *fr);
    if (!fr)
        return NULL;
    fr->cfg = *cfg;
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
    fr->mode = cfg->start == FAKE_REPL_RUNNING ? MODE_RUNNING
             : cfg->start == FAKE_REPL_IN_RAW  ? MODE_RAW
                                               : MODE_FRIENDLY;
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
    size_t n = fr->received_len < cap ? fr->received_len : cap;
    memcpy(buf, fr->received, n);
    pthread_mutex_unlock(&fr->lock);
    return n;
}

int fake_repl_dropped(fake_repl *fr)
{
    pthread_mutex_lock(&fr->lock);
    int d = fr->dropped;
    pthread_mutex_unlock(&fr->lock);
    return d;
}

size_t fake_repl_printed(fake_repl *fr)
{
    pthread_mutex_lock(&fr->lock);
    size_t n = fr->printed;
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
