#include "repl_board.h"

#include <stdio.h>
#include <string.h>

#define BANNER "raw REPL; CTRL-B to exit\r\n>"
#define FRIENDLY_BANNER "MicroPython v1.22.0 on 2024-01-01; PYBv1.1 with STM32F405RG\r\n" \
                        "Type \"help()\" for more information.\r\n"
#define DROP_AFTER_OK_MS 30u
#define LATE_BANNER_MS 40u

static void say(repl_board *b, const char *s, size_t n)
{
    if (b->dropped)
        return;
    size_t room = sizeof b->out - b->out_len;
    if (n > room)
        n = room;
    memcpy(b->out + b->out_len, s, n);
    b->out_len += n;
}

static void says(repl_board *b, const char *s)
{
    say(b, s, strlen(s));
}

void repl_board_init(repl_board *b, const fake_repl_config *cfg)
{
    memset(b, 0, sizeof *b);
    b->cfg = *cfg;
    b->mode = cfg->start == FAKE_REPL_RUNNING ? REPL_RUNNING
            : cfg->start == FAKE_REPL_IN_RAW  ? REPL_RAW
                                              : REPL_FRIENDLY;
    b->next_print_ms = cfg->print_every_ms ? cfg->print_every_ms : 2;
    b->drop_at_ms = REPL_BOARD_NEVER;
    b->banner_rest_ms = REPL_BOARD_NEVER;
}

static void run_code(repl_board *b)
{
    b->line[b->line_len] = '\0';
    if (strstr(b->line, "sys.implementation._machine")) {
        /* MICROPY_BANNER_MACHINE; firmware older than it raises. */
        if (b->cfg.machine) {
            says(b, b->cfg.machine);
            says(b, "\r\n\x04\x04>");
        } else {
            says(b, "\x04Traceback (most recent call last):\r\n  File \"<stdin>\", line 1, in <module>\r\n"
                    "AttributeError: 'module' object has no attribute '_machine'\r\n\x04>");
        }
    } else if (b->cfg.exec_error) {
        says(b, "\x04Traceback (most recent call last):\r\n  File \"<stdin>\", line 1, in <module>\r\n"
                "AttributeError: 'module' object has no attribute 'bootloader'\r\n\x04>");
    } else if (strstr(b->line, "machine.bootloader()") && !b->cfg.stay_after_ok) {
        b->drop_at_ms = b->now_ms + DROP_AFTER_OK_MS;
    } else if (!strstr(b->line, "machine.bootloader()")) {
        says(b, "\x04\x04>");
    }
    b->line_len = 0;
}

static void running_byte(repl_board *b, unsigned char c)
{
    if (c != 0x03)
        return; /* the program reads stdin and ignores it */
    if (b->ctrl_c_ignored < b->cfg.ignore_ctrl_c) {
        b->ctrl_c_ignored++;
        says(b, "caught KeyboardInterrupt, carrying on\r\n");
        return;
    }
    says(b, "Traceback (most recent call last):\r\n  File \"main.py\", line 7, in <module>\r\n"
            "KeyboardInterrupt: \r\n" FRIENDLY_BANNER ">>> ");
    b->mode = REPL_FRIENDLY;
}

static void friendly_byte(repl_board *b, unsigned char c)
{
    if (c == 0x03) {
        b->line_len = 0;
        says(b, "\r\n>>> ");
    } else if (c == 0x01) {
        says(b, "\r\n" BANNER);
        b->mode = REPL_RAW;
        b->line_len = 0;
    } else if (c >= 0x20) {
        say(b, (const char *)&c, 1); /* echo */
    }
}

static void raw_byte(repl_board *b, unsigned char c)
{
    if (c == 0x01) {
        b->line_len = 0;
        says(b, BANNER);
        if (b->cfg.late_banner) {
            says(b, "raw REPL; CT"); /* split across reads, the rest after the code went out */
            b->banner_rest_ms = b->now_ms + LATE_BANNER_MS;
        }
    } else if (c == 0x02) {
        says(b, "\r\n" FRIENDLY_BANNER ">>> ");
        b->mode = REPL_FRIENDLY;
    } else if (c == 0x03) {
        b->line_len = 0;
    } else if (c == 0x04) {
        if (b->cfg.drop_before_ok) {
            b->dropped = 1;
        } else if (b->cfg.answer_not_ok) {
            says(b, "NO");
        } else {
            says(b, "OK");
            run_code(b);
        }
    } else if (b->line_len + 1 < sizeof b->line) {
        b->line[b->line_len++] = (char)c;
    }
}

static void handle(repl_board *b, const unsigned char *data, size_t n);

void repl_board_receive(repl_board *b, const unsigned char *data, size_t n)
{
    if (n == 0)
        return; /* nothing arrived (data may be NULL then: memcpy must not see it) */
    size_t room = sizeof b->received - b->received_len;
    memcpy(b->received + b->received_len, data, n < room ? n : room);
    b->received_len += n < room ? n : room;
    if (b->banner_rest_ms != REPL_BOARD_NEVER) {
        /* Still printing the banner: the bytes wait in the USB buffer. */
        room = sizeof b->busy_in - b->busy_len;
        memcpy(b->busy_in + b->busy_len, data, n < room ? n : room);
        b->busy_len += n < room ? n : room;
        return;
    }
    handle(b, data, n);
}

static void handle(repl_board *b, const unsigned char *data, size_t n)
{
    for (size_t i = 0; i < n && !b->dropped; i++) {
        if (b->cfg.silent)
            continue;
        if (b->cfg.garbage) {
            static const char noise[] = "\xfe\x13\x80~";
            say(b, noise, sizeof noise - 1);
            continue;
        }
        if (b->mode == REPL_RUNNING)
            running_byte(b, data[i]);
        else if (b->mode == REPL_FRIENDLY)
            friendly_byte(b, data[i]);
        else
            raw_byte(b, data[i]);
    }
}

uint64_t repl_board_next_event(const repl_board *b)
{
    if (b->dropped)
        return REPL_BOARD_NEVER;
    uint64_t t = b->drop_at_ms < b->banner_rest_ms ? b->drop_at_ms : b->banner_rest_ms;
    if (b->mode == REPL_RUNNING && !b->cfg.silent && b->next_print_ms < t)
        t = b->next_print_ms;
    return t;
}

void repl_board_advance(repl_board *b, uint64_t to_ms)
{
    uint64_t t;
    while ((t = repl_board_next_event(b)) <= to_ms) {
        b->now_ms = t;
        if (t == b->banner_rest_ms) {
            says(b, "RL-B to exit\r\n>");
            b->banner_rest_ms = REPL_BOARD_NEVER;
            unsigned char waiting[sizeof b->busy_in];
            size_t n = b->busy_len;
            memcpy(waiting, b->busy_in, n);
            b->busy_len = 0;
            handle(b, waiting, n);
        } else if (t == b->drop_at_ms) {
            b->dropped = 1;
        } else {
            char line[64];
            int len = snprintf(line, sizeof line, "sensor reading %u: 42\r\n", b->tick++);
            say(b, line, (size_t)len);
            b->printed += (size_t)len;
            b->next_print_ms = t + (b->cfg.print_every_ms ? b->cfg.print_every_ms : 2);
        }
    }
    if (to_ms > b->now_ms)
        b->now_ms = to_ms;
}

size_t repl_board_take(repl_board *b, unsigned char *buf, size_t cap)
{
    size_t n = b->out_len < cap ? b->out_len : cap;
    memcpy(buf, b->out, n);
    memmove(b->out, b->out + n, b->out_len - n);
    b->out_len -= n;
    return n;
}
