/* Asking MicroPython to jump to its bootloader, through the raw REPL.
 *
 * The REPL's control characters (shared/runtime/pyexec.c): Ctrl-C raises
 * KeyboardInterrupt in a running program, and at a prompt clears the line;
 * Ctrl-A enters the raw REPL from the friendly one, and in the raw REPL
 * starts over; both print the banner below. In the raw REPL, Ctrl-D ends
 * the code: the board answers "OK", runs it, and then prints \x04, any error
 * text, \x04 and the ">" prompt. machine.bootloader() never returns: the
 * board drops off USB, so the port hangs up. */
#include "bootentry/tty_io.h"

#include <stdio.h>
#include <string.h>

#define BANNER "raw REPL; CTRL-B to exit\r\n>"
#define BANNER_LEN (sizeof BANNER - 1)

/* Bytes written per chunk, and the pause between chunks, so that a long
 * code string never overruns the board's USB receive buffer. */
#define CODE_CHUNK 256
#define CODE_CHUNK_PAUSE_MS 10

typedef struct rx_window {
    uint8_t last[48]; /* the most recent bytes, oldest first */
    size_t last_len;
    size_t total;
    uint64_t last_rx_ms;
} rx_window;

static void window_add(rx_window *w, uint8_t byte, uint64_t now_ms)
{
    if (w->last_len == sizeof w->last) {
        memmove(w->last, w->last + 1, sizeof w->last - 1);
        w->last_len--;
    }
    w->last[w->last_len++] = byte;
    w->total++;
    w->last_rx_ms = now_ms;
}

static int window_ends_with_banner(const rx_window *w)
{
    return w->last_len >= BANNER_LEN &&
           memcmp(w->last + w->last_len - BANNER_LEN, BANNER, BANNER_LEN) == 0;
}

typedef struct enter_ctx {
    mpf_tty tty;
    const char *port;
    unsigned timeout_ms, attempts, settle_ms;
    const char *code;
    uint8_t after_banner[256]; /* what came in the same read as the banner */
    size_t after_banner_len;
} enter_ctx;

/* 1 banner seen, 0 deadline, or MPF_TTY_HANGUP / MPF_TTY_FAILED. The banner
 * is matched byte by byte so that bytes after it never hide it. */
static long wait_banner(enter_ctx *c, rx_window *w, uint64_t deadline)
{
    uint8_t buf[sizeof c->after_banner];
    for (;;) {
        long n = mpf_tty_read(&c->tty, buf, sizeof buf, deadline);
        if (n <= 0)
            return n;
        uint64_t now = mpf_tty_now_ms(&c->tty);
        for (long i = 0; i < n; i++) {
            window_add(w, buf[i], now);
            if (window_ends_with_banner(w)) {
                c->after_banner_len = (size_t)(n - i - 1);
                memcpy(c->after_banner, buf + i + 1, c->after_banner_len);
                return 1;
            }
        }
    }
}

/* The last non-empty line of an error report, for the message. */
static void last_line(const uint8_t *text, size_t len, char *out, size_t size)
{
    size_t end = len;
    while (end > 0 && (text[end - 1] == '\r' || text[end - 1] == '\n'))
        end--;
    size_t start = end;
    while (start > 0 && text[start - 1] != '\n')
        start--;
    mpf_serial_escape(text + start, end - start, out, size);
}

static mpf_err reach_raw_repl(enter_ctx *c, mpf_error *err)
{
    static const uint8_t interrupt[] = {0x03, 0x03};
    static const uint8_t raw_repl[] = {0x01};
    rx_window w = {.last_len = 0};
    uint64_t attempt_start = 0;
    for (unsigned a = 1; a <= c->attempts; a++) {
        attempt_start = mpf_tty_now_ms(&c->tty);
        uint64_t deadline = attempt_start + c->timeout_ms;
        mpf_err rc = mpf_tty_write(&c->tty, interrupt, sizeof interrupt, deadline, err);
        if (rc == MPF_OK)
            rc = mpf_tty_write(&c->tty, raw_repl, sizeof raw_repl, deadline, err);
        if (rc != MPF_OK)
            return rc;
        long r = wait_banner(c, &w, deadline);
        if (r == 1) {
            mpf_serial_logf(c->tty.log, c->tty.user, MPF_LOG_DEBUG, "%s: in the raw REPL (attempt %u)",
                            c->port, a);
            return MPF_OK;
        }
        if (r == MPF_TTY_HANGUP)
            return mpf_error_set(err, MPF_ERR_USB_DISCONNECTED,
                                 "%s went away before the raw REPL was reached; was the board reset?", c->port);
        if (r == MPF_TTY_FAILED)
            return mpf_error_set(err, MPF_ERR_USB, "reading from %s failed while waiting for the raw REPL",
                                 c->port);
        if (a < c->attempts)
            mpf_serial_logf(c->tty.log, c->tty.user, MPF_LOG_WARN,
                            "%s: no raw REPL banner within %u ms (%zu bytes so far); sending Ctrl-C again (attempt %u of %u)",
                            c->port, c->timeout_ms, w.total, a + 1, c->attempts);
    }

    char tail[128];
    mpf_serial_escape(w.last, w.last_len, tail, sizeof tail);
    if (w.total == 0)
        return mpf_error_set(err, MPF_ERR_USB_TIMEOUT,
                             "%s did not answer Ctrl-C/Ctrl-A (%u attempts of %u ms); is MicroPython running on it?",
                             c->port, c->attempts, c->timeout_ms);
    /* Still printing in the second half of the last attempt, long after the
     * echo of our own bytes: a busy program, not line noise. */
    if (w.last_rx_ms >= attempt_start + c->timeout_ms / 2)
        return mpf_error_set(err, MPF_ERR_PROTOCOL,
                             "%s kept printing (%zu bytes) through %u rounds of Ctrl-C and never showed the raw REPL; "
                             "does its program catch KeyboardInterrupt? last bytes: %s",
                             c->port, w.total, c->attempts, tail);
    return mpf_error_set(err, MPF_ERR_PROTOCOL,
                         "%s answered but never with the raw REPL banner (%zu bytes, last: %s); "
                         "is it a MicroPython REPL at 115200 baud?",
                         c->port, w.total, tail);
}

static mpf_err send_code(enter_ctx *c, const char *text, mpf_error *err)
{
    const uint8_t *code = (const uint8_t *)text;
    size_t len = strlen(text);
    for (size_t off = 0; off < len; off += CODE_CHUNK) {
        size_t n = len - off < CODE_CHUNK ? len - off : CODE_CHUNK;
        if (off)
            mpf_clock_sleep_ms(c->tty.clock, CODE_CHUNK_PAUSE_MS);
        mpf_err rc = mpf_tty_write(&c->tty, code + off, n, mpf_tty_now_ms(&c->tty) + c->timeout_ms, err);
        if (rc != MPF_OK)
            return rc;
    }
    static const uint8_t end[] = {0x04};
    return mpf_tty_write(&c->tty, end, sizeof end, mpf_tty_now_ms(&c->tty) + c->timeout_ms, err);
}

/* After "OK": a hang-up or silence is the bootloader; "\x04...\x04>" means
 * the code ran to its end on the board, which it must not. */
static mpf_err watch_after_ok(enter_ctx *c, const uint8_t *pending, size_t pending_len, mpf_error *err)
{
    uint8_t out[1024];
    size_t len = 0;
    if (pending_len > sizeof out)
        pending_len = sizeof out;
    memcpy(out, pending, pending_len);
    len = pending_len;
    uint64_t deadline = mpf_tty_now_ms(&c->tty) + c->settle_ms;
    for (;;) {
        /* Look for the end of a run: stdout \x04 stderr \x04 > */
        const uint8_t *eot1 = memchr(out, 0x04, len);
        const uint8_t *eot2 = eot1 ? memchr(eot1 + 1, 0x04, len - (size_t)(eot1 + 1 - out)) : NULL;
        if (eot2 && eot2 + 1 < out + len && eot2[1] == '>') {
            size_t elen = (size_t)(eot2 - eot1 - 1);
            if (elen == 0)
                return mpf_error_set(err, MPF_ERR_DEVICE_STATUS,
                                     "%s ran the command and returned to the prompt instead of entering its bootloader",
                                     c->port);
            char line[160];
            last_line(eot1 + 1, elen, line, sizeof line);
            return mpf_error_set(err, MPF_ERR_DEVICE_STATUS,
                                 "%s could not enter its bootloader: the board said %s", c->port, line);
        }
        if (len == sizeof out)
            break;
        long n = mpf_tty_read(&c->tty, out + len, sizeof out - len, deadline);
        if (n == MPF_TTY_HANGUP) {
            mpf_serial_logf(c->tty.log, c->tty.user, MPF_LOG_INFO,
                            "%s: the board dropped off USB: it is entering its bootloader", c->port);
            return MPF_OK;
        }
        if (n <= 0)
            break;
        len += (size_t)n;
    }
    if (len) {
        char shown[128];
        mpf_serial_escape(out, len, shown, sizeof shown);
        mpf_serial_logf(c->tty.log, c->tty.user, MPF_LOG_WARN,
                        "%s: still connected %u ms after OK and printed %s; assuming it is on its way to the bootloader",
                        c->port, c->settle_ms, shown);
    } else {
        mpf_serial_logf(c->tty.log, c->tty.user, MPF_LOG_INFO,
                        "%s: OK, no hang-up yet after %u ms; assuming it is on its way to the bootloader",
                        c->port, c->settle_ms);
    }
    return MPF_OK;
}

/* A raw REPL banner still on its way (a Ctrl-A from an earlier round that
 * the board answered late) may come before the OK: skip whole banners, and
 * wait while what is left could still become one. */
static size_t skip_banners(const uint8_t *got, size_t len)
{
    size_t off = 0;
    while (len - off >= BANNER_LEN && memcmp(got + off, BANNER, BANNER_LEN) == 0)
        off += BANNER_LEN;
    return off;
}

static int may_grow_into_answer(const uint8_t *rest, size_t n)
{
    return n == 0 || (n == 1 && rest[0] == 'O') ||
           (n < BANNER_LEN && memcmp(rest, BANNER, n) == 0);
}

static mpf_err expect_ok(enter_ctx *c, mpf_error *err)
{
    uint8_t got[256];
    size_t len = c->after_banner_len;
    memcpy(got, c->after_banner, len);
    uint64_t deadline = mpf_tty_now_ms(&c->tty) + c->timeout_ms;
    for (;;) {
        size_t off = skip_banners(got, len);
        const uint8_t *rest = got + off;
        size_t n = len - off;
        if (n >= 2 && rest[0] == 'O' && rest[1] == 'K')
            return watch_after_ok(c, rest + 2, n - 2, err);
        if (!may_grow_into_answer(rest, n) || len == sizeof got)
            break;
        long r = mpf_tty_read(&c->tty, got + len, sizeof got - len, deadline);
        if (r == MPF_TTY_HANGUP) {
            mpf_serial_logf(c->tty.log, c->tty.user, MPF_LOG_INFO,
                            "%s: the board dropped off USB before its OK arrived: it is entering its bootloader",
                            c->port);
            return MPF_OK;
        }
        if (r == MPF_TTY_FAILED)
            return mpf_error_set(err, MPF_ERR_USB, "reading from %s failed while waiting for OK", c->port);
        if (r == MPF_TTY_TIMEOUT) {
            if (n == 0)
                return mpf_error_set(err, MPF_ERR_USB_TIMEOUT,
                                     "%s gave no OK within %u ms of the bootloader command; the board may be hung",
                                     c->port, c->timeout_ms);
            break;
        }
        len += (size_t)r;
    }
    size_t off = skip_banners(got, len);
    char shown[128];
    mpf_serial_escape(got + off, len - off, shown, sizeof shown);
    return mpf_error_set(err, MPF_ERR_PROTOCOL,
                         "%s answered %s instead of OK to the bootloader command", c->port, shown);
}

/* The wrong-board guard's question, in the raw REPL before the bootloader
 * code: "OK", then the code's stdout, \x04, its stderr, \x04 and ">". An
 * error (a firmware without sys.implementation._machine) gives "". */
static mpf_err ask_machine(enter_ctx *c, mpf_err (*check)(void *, const char *, mpf_error *),
                           void *user, mpf_error *err)
{
    mpf_err rc = send_code(c, MPF_SERIAL_MACHINE_CODE, err);
    if (rc != MPF_OK)
        return rc;
    uint8_t got[512];
    size_t len = c->after_banner_len;
    memcpy(got, c->after_banner, len);
    c->after_banner_len = 0;
    uint64_t deadline = mpf_tty_now_ms(&c->tty) + c->timeout_ms;
    for (;;) {
        size_t off = skip_banners(got, len);
        const uint8_t *ok = len - off >= 2 && got[off] == 'O' && got[off + 1] == 'K' ? got + off + 2 : NULL;
        const uint8_t *end = ok ? memchr(ok, 0x04, len - (size_t)(ok - got)) : NULL;
        const uint8_t *end2 = end ? memchr(end + 1, 0x04, len - (size_t)(end + 1 - got)) : NULL;
        if (end2 && end2 + 1 < got + len && end2[1] == '>') {
            char machine[160] = "";
            if (end2 == end + 1) { /* nothing on stderr */
                size_t n = (size_t)(end - ok);
                while (n && (ok[n - 1] == '\r' || ok[n - 1] == '\n'))
                    n--;
                if (n >= sizeof machine)
                    n = sizeof machine - 1;
                memcpy(machine, ok, n);
                machine[n] = '\0';
            }
            /* What came after the prompt belongs to the next answer. */
            size_t rest = len - (size_t)(end2 + 2 - got);
            if (rest > sizeof c->after_banner)
                rest = sizeof c->after_banner;
            memcpy(c->after_banner, end2 + 2, rest);
            c->after_banner_len = rest;
            mpf_serial_logf(c->tty.log, c->tty.user, MPF_LOG_DEBUG, "%s: sys.implementation._machine is \"%s\"",
                            c->port, machine);
            return check(user, machine, err);
        }
        if (len == sizeof got)
            break;
        long r = mpf_tty_read(&c->tty, got + len, sizeof got - len, deadline);
        if (r == MPF_TTY_HANGUP)
            return mpf_error_set(err, MPF_ERR_USB_DISCONNECTED,
                                 "%s went away while asked which board it is", c->port);
        if (r <= 0)
            break;
        len += (size_t)r;
    }
    char shown[128];
    mpf_serial_escape(got, len, shown, sizeof shown);
    return mpf_error_set(err, MPF_ERR_PROTOCOL,
                         "%s did not answer which board it is (sys.implementation._machine) within %u ms; "
                         "it answered %s", c->port, c->timeout_ms, shown);
}

static int code_is_plain(const char *code)
{
    if (!*code)
        return 0;
    for (const unsigned char *p = (const unsigned char *)code; *p; p++)
        if (*p < 0x20 && *p != '\t' && *p != '\r' && *p != '\n')
            return 0;
    return 1;
}

mpf_err mpf_serial_enter_bootloader(const char *port, const mpf_serial_enter_options *o,
                                    mpf_error *err)
{
    return mpf_serial_enter_bootloader_env(NULL, port, o, err);
}

mpf_err mpf_serial_enter_bootloader_env(const mpf_serial_env *env, const char *port,
                                        const mpf_serial_enter_options *o, mpf_error *err)
{
    if (!port || !*port)
        return mpf_error_set(err, MPF_ERR_USAGE, "no serial port given for bootloader entry");
    enter_ctx c = {.port = port};
    c.timeout_ms = o && o->timeout_ms ? o->timeout_ms : 1000u;
    c.attempts = o && o->attempts ? o->attempts : 3u;
    c.settle_ms = o && o->settle_ms ? o->settle_ms : 500u;
    c.code = o && o->code ? o->code : MPF_SERIAL_BOOTLOADER_CODE;
    if (!code_is_plain(c.code))
        return mpf_error_set(err, MPF_ERR_USAGE,
                             "bootloader code must be non-empty and free of control characters "
                             "(they steer the REPL)");

    mpf_serial_log_fn log = o ? o->log : NULL;
    void *user = o ? o->user : NULL;
    mpf_err rc = mpf_tty_open(&c.tty, env, port, log, user, err);
    if (rc != MPF_OK)
        return rc;
    mpf_serial_logf(log, user, MPF_LOG_INFO, "%s: asking MicroPython to enter its bootloader", port);
    rc = reach_raw_repl(&c, err);
    if (rc == MPF_OK && o && o->machine)
        rc = ask_machine(&c, o->machine, user, err);
    if (rc == MPF_OK)
        rc = send_code(&c, c.code, err);
    if (rc == MPF_OK)
        rc = expect_ok(&c, err);
    mpf_tty_close(&c.tty);
    return rc;
}
