/* Option values. Strict: a value that does not parse completely is a usage
 * error naming the option, never a partial read. */
#include "tool/tool_parse.h"

#include <ctype.h>
#include <string.h>

static int digit_value(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = tolower(c);
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

static int parse_base(const char *s, unsigned base, uint32_t *out)
{
    if (!*s)
        return -1;
    uint64_t v = 0;
    for (; *s; s++) {
        int d = digit_value((unsigned char)*s);
        if (d < 0 || (unsigned)d >= base)
            return -1;
        v = v * base + (unsigned)d;
        if (v > UINT32_MAX)
            return -1;
    }
    *out = (uint32_t)v;
    return 0;
}

int tool_parse_u32(const char *s, uint32_t *out)
{
    if (!s)
        return -1;
    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
        return parse_base(s + 2, 16, out);
    if (s[0] == '0' && s[1] != '\0')
        return -1;
    return parse_base(s, 10, out);
}

mpf_err tool_parse_dfuse_address(const char *s, const char *opt, tool_options *o, mpf_error *err)
{
    char text[256];
    if (strlen(s) >= sizeof text)
        return mpf_error_set(err, MPF_ERR_USAGE, "%s: value too long", opt);
    strcpy(text, s);
    char *field = text;
    for (int index = 0; field; index++) {
        char *next = strchr(field, ':');
        if (next)
            *next++ = '\0';
        if (index == 0) {
            if (*field) {
                if (tool_parse_u32(field, &o->address) != 0)
                    return mpf_error_set(err, MPF_ERR_USAGE,
                                         "%s %s: \"%s\" is not an address; write it in hex, e.g. 0x08000000",
                                         opt, s, field);
                o->has_address = 1;
            }
        } else if (strcmp(field, "leave") == 0) {
            o->leave = 1;
        } else if (strcmp(field, "mass-erase") == 0) {
            o->mass_erase = 1;
            o->mass_erase_from_s = 1;
        } else if (strcmp(field, "force") == 0) {
            o->force = 1;
        } else if (strcmp(field, "unprotect") == 0) {
            o->unprotect = 1;
            o->unprotect_from_s = 1;
        } else if (strcmp(field, "will-reset") == 0) {
            o->will_reset = 1;
        } else if (index == 1 && *field && isdigit((unsigned char)*field)) {
            if (tool_parse_u32(field, &o->length) != 0 || o->length == 0)
                return mpf_error_set(err, MPF_ERR_USAGE,
                                     "%s %s: \"%s\" is not a length; give a byte count such as 0x4000 or 16384",
                                     opt, s, field);
            o->has_length = 1;
        } else {
            return mpf_error_set(err, MPF_ERR_USAGE,
                                 "%s %s: unknown modifier \"%s\" (known: leave, mass-erase, force, unprotect, will-reset; a length only right after the address)",
                                 opt, s, field);
        }
        field = next;
    }
    return MPF_OK;
}
