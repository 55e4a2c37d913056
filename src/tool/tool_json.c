/* JSON output. Strings are escaped per RFC 8259; bytes >= 0x80 pass through
 * (device strings are ASCII in practice, file names are the user's). */
#include "tool/tool_json.h"

#include <inttypes.h>

static void separator(tool_json *j, const char *key)
{
    if (!j->first[j->depth])
        fputc(',', j->f);
    j->first[j->depth] = 0;
    if (key) {
        fputc('"', j->f);
        fputs(key, j->f);
        fputs("\":", j->f);
    }
}

static void push(tool_json *j, char open)
{
    fputc(open, j->f);
    if (j->depth + 1 < TOOL_JSON_DEPTH)
        j->depth++;
    j->first[j->depth] = 1;
}

static void pop(tool_json *j, char close)
{
    fputc(close, j->f);
    if (j->depth > 0)
        j->depth--;
}

void tj_begin(tool_json *j, FILE *f)
{
    j->f = f;
    j->depth = 0;
    j->first[0] = 1;
    push(j, '{');
}

void tj_end(tool_json *j)
{
    pop(j, '}');
    fputc('\n', j->f);
    fflush(j->f);
}

void tj_object(tool_json *j, const char *key)
{
    separator(j, key);
    push(j, '{');
}

void tj_array(tool_json *j, const char *key)
{
    separator(j, key);
    push(j, '[');
}

void tj_close_object(tool_json *j)
{
    pop(j, '}');
}

void tj_close_array(tool_json *j)
{
    pop(j, ']');
}

static void write_string(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        switch (c) {
        case '"': fputs("\\\"", f); break;
        case '\\': fputs("\\\\", f); break;
        case '\n': fputs("\\n", f); break;
        case '\r': fputs("\\r", f); break;
        case '\t': fputs("\\t", f); break;
        default:
            if (c < 0x20)
                fprintf(f, "\\u%04x", c);
            else
                fputc(c, f);
        }
    }
    fputc('"', f);
}

void tj_str(tool_json *j, const char *key, const char *value)
{
    separator(j, key);
    if (value)
        write_string(j->f, value);
    else
        fputs("null", j->f);
}

void tj_u64(tool_json *j, const char *key, uint64_t value)
{
    separator(j, key);
    fprintf(j->f, "%" PRIu64, value);
}

void tj_int(tool_json *j, const char *key, long long value)
{
    separator(j, key);
    fprintf(j->f, "%lld", value);
}

void tj_bool(tool_json *j, const char *key, int value)
{
    separator(j, key);
    fputs(value ? "true" : "false", j->f);
}

void tj_hex32(tool_json *j, const char *key, uint32_t value)
{
    separator(j, key);
    fprintf(j->f, "\"0x%08" PRIx32 "\"", value);
}

void tj_hex16(tool_json *j, const char *key, uint16_t value)
{
    separator(j, key);
    fprintf(j->f, "\"0x%04x\"", (unsigned)value);
}
