/* The engine's only ways out to the caller besides return codes: the log and
 * progress callbacks, and the error message. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "engine/engine_internal.h"

int eng_logging(const mpf_dfu *d)
{
    return d->cb.log != NULL;
}

void eng_log(mpf_dfu *d, mpf_log_level level, const char *fmt, ...)
{
    if (!d->cb.log)
        return;
    char line[MPF_ERROR_MESSAGE_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    d->cb.log(d->cb.user, level, line);
}

void eng_progress_report(mpf_dfu *d, const eng_progress *p)
{
    if (d->cb.progress && p)
        d->cb.progress(d->cb.user, p->phase, p->done, p->total);
}

void eng_progress_step(mpf_dfu *d, eng_progress *p, uint64_t amount)
{
    if (!p)
        return;
    p->done += amount;
    eng_progress_report(d, p);
}

void eng_error_append(mpf_error *err, const char *fmt, ...)
{
    if (!err)
        return;
    size_t used = strlen(err->message);
    if (used >= sizeof err->message - 1)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->message + used, sizeof err->message - used, fmt, ap);
    va_end(ap);
}

uint64_t mpf_dfu_stats_total(const mpf_dfu_stats *s)
{
    uint64_t n = 0;
    for (size_t i = 0; i < sizeof s->requests / sizeof s->requests[0]; i++)
        n += s->requests[i];
    return n;
}
