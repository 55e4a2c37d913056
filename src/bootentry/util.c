#include "bootentry/serial_internal.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void mpf_serial_logf(mpf_serial_log_fn log, void *user, mpf_log_level level, const char *fmt, ...)
{
    if (!log)
        return;
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    log(user, level, line);
}

void mpf_serial_escape(const uint8_t *data, size_t len, char *out, size_t out_size)
{
    if (out_size == 0)
        return;
    size_t o = 0;
    const size_t reserve = 5; /* closing quote, "...", NUL */
    if (out_size <= reserve) {
        out[0] = '\0';
        return;
    }
    out[o++] = '"';
    size_t i;
    for (i = 0; i < len; i++) {
        char piece[5];
        uint8_t c = data[i];
        if (c == '\r')
            snprintf(piece, sizeof piece, "\\r");
        else if (c == '\n')
            snprintf(piece, sizeof piece, "\\n");
        else if (c == '"' || c == '\\')
            snprintf(piece, sizeof piece, "\\%c", c);
        else if (c >= 0x20 && c < 0x7f)
            snprintf(piece, sizeof piece, "%c", c);
        else
            snprintf(piece, sizeof piece, "\\x%02x", c);
        size_t pl = strlen(piece);
        if (o + pl + reserve > out_size)
            break;
        memcpy(out + o, piece, pl);
        o += pl;
    }
    out[o++] = '"';
    if (i < len) {
        memcpy(out + o, "...", 3);
        o += 3;
    }
    out[o] = '\0';
}

int mpf_serial_ieq(const char *a, const char *b)
{
    if (!a || !b || !*a || !*b)
        return 0;
    for (; *a && *b; a++, b++)
        if (tolower((unsigned char)*a) != tolower((unsigned char)*b))
            return 0;
    return *a == *b;
}

int mpf_serial_name_cmp(const char *a, const char *b)
{
    while (*a && *b) {
        if (isdigit((unsigned char)*a) && isdigit((unsigned char)*b)) {
            while (*a == '0' && isdigit((unsigned char)a[1]))
                a++;
            while (*b == '0' && isdigit((unsigned char)b[1]))
                b++;
            size_t na = 0, nb = 0;
            while (isdigit((unsigned char)a[na]))
                na++;
            while (isdigit((unsigned char)b[nb]))
                nb++;
            if (na != nb)
                return na < nb ? -1 : 1;
            int c = strncmp(a, b, na);
            if (c)
                return c;
            a += na;
            b += nb;
            continue;
        }
        if (*a != *b)
            return (unsigned char)*a < (unsigned char)*b ? -1 : 1;
        a++;
        b++;
    }
    return *a ? 1 : (*b ? -1 : 0);
}
