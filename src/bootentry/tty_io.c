/* Deadlines and tracing over the platform's serial port functions. */
#include "bootentry/tty_io.h"

#include <stdio.h>

mpf_err mpf_tty_open(mpf_tty *t, const mpf_serial_env *env, const char *port, mpf_serial_log_fn log,
                     void *user, mpf_error *err)
{
    t->handle = NULL;
    t->ops = env && env->ports ? env->ports : mpf_port_host();
    t->clock = env && env->clock ? env->clock : mpf_clock_host();
    t->port = port;
    t->log = log;
    t->user = user;
    return t->ops->open(t->ops->ctx, port, &t->handle, err);
}

void mpf_tty_close(mpf_tty *t)
{
    if (t->handle)
        t->ops->close(t->ops->ctx, t->handle);
    t->handle = NULL;
}

uint64_t mpf_tty_now_ms(const mpf_tty *t)
{
    return mpf_clock_now_ms(t->clock);
}

static uint32_t ms_until(const mpf_tty *t, uint64_t deadline_ms)
{
    uint64_t now = mpf_tty_now_ms(t);
    if (now >= deadline_ms)
        return 0;
    uint64_t left = deadline_ms - now;
    return left > 60000u ? 60000u : (uint32_t)left;
}

mpf_err mpf_tty_write(mpf_tty *t, const uint8_t *data, size_t len, uint64_t deadline_ms,
                      mpf_error *err)
{
    char shown[96];
    mpf_serial_escape(data, len, shown, sizeof shown);
    mpf_serial_logf(t->log, t->user, MPF_LOG_TRACE, "%s <- %s", t->port, shown);
    size_t done = 0;
    while (done < len) {
        long n = t->ops->write(t->ops->ctx, t->handle, data + done, len - done, ms_until(t, deadline_ms), err);
        if (n < 0)
            return err ? err->code : n == MPF_PORT_HANGUP ? MPF_ERR_USB_DISCONNECTED : MPF_ERR_USB;
        done += (size_t)n;
        if (n == 0 && done < len && mpf_tty_now_ms(t) >= deadline_ms)
            return mpf_error_set(err, MPF_ERR_USB_TIMEOUT,
                                 "%s accepted %zu of %zu bytes and then stopped taking data", t->port, done, len);
    }
    return MPF_OK;
}

long mpf_tty_read(mpf_tty *t, uint8_t *buf, size_t cap, uint64_t deadline_ms)
{
    for (;;) {
        long n = t->ops->read(t->ops->ctx, t->handle, buf, cap, ms_until(t, deadline_ms));
        if (n == MPF_PORT_TIMEOUT && mpf_tty_now_ms(t) < deadline_ms)
            continue;
        if (n > 0) {
            char shown[160];
            mpf_serial_escape(buf, (size_t)n, shown, sizeof shown);
            mpf_serial_logf(t->log, t->user, MPF_LOG_TRACE, "%s -> %s", t->port, shown);
        }
        return n;
    }
}
