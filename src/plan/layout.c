/* DfuSe memory layout strings (ST UM0424):
 *   "@Internal Flash  /0x08000000/04*016Kg,01*064Kg,03*128Kg"
 * The string is the device's interface descriptor, i.e. untrusted input:
 * every number is range-checked and every refusal names the character. */
#include "mpflash/layout.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct cursor {
    const char *s;
    size_t pos;
    mpf_error *err;
} cursor;

static char peek(const cursor *c)
{
    return c->s[c->pos];
}

static int is_digit(char ch)
{
    return ch >= '0' && ch <= '9';
}

static int hex_value(char ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F')
        return ch - 'A' + 10;
    return -1;
}

/* A device string may hold any byte: show non-printables as hex so the
 * message stays one readable line. */
static void describe_char(char ch, char *buf, size_t len)
{
    unsigned char u = (unsigned char)ch;
    if (u == 0)
        snprintf(buf, len, "end of string");
    else if (u >= 0x20 && u < 0x7F)
        snprintf(buf, len, "'%c'", ch);
    else
        snprintf(buf, len, "byte 0x%02X", u);
}

static mpf_err fail_at(const cursor *c, size_t pos, const char *what)
{
    char shown[24];
    describe_char(c->s[pos], shown, sizeof shown);
    return mpf_error_set(c->err, MPF_ERR_INPUT,
                         "memory layout, character %zu (%s): expected %s", pos + 1, shown, what);
}

static mpf_err expect_char(cursor *c, char want, const char *what)
{
    if (peek(c) != want)
        return fail_at(c, c->pos, what);
    c->pos++;
    return MPF_OK;
}

/* A decimal number that fits 32 bits; `what` names it in messages. */
static mpf_err parse_decimal(cursor *c, const char *what, uint32_t *out)
{
    size_t start = c->pos;
    if (!is_digit(peek(c))) {
        char want[64];
        snprintf(want, sizeof want, "a decimal %s", what);
        return fail_at(c, start, want);
    }
    uint64_t v = 0;
    while (is_digit(peek(c))) {
        v = v * 10 + (uint64_t)(peek(c) - '0');
        if (v > UINT32_MAX)
            return mpf_error_set(c->err, MPF_ERR_INPUT,
                                 "memory layout, character %zu: the %s does not fit 32 bits",
                                 start + 1, what);
        c->pos++;
    }
    if (v == 0)
        return mpf_error_set(c->err, MPF_ERR_INPUT,
                             "memory layout, character %zu: the %s is 0; a layout describes at "
                             "least one byte",
                             start + 1, what);
    *out = (uint32_t)v;
    return MPF_OK;
}

static mpf_err parse_address(cursor *c, uint32_t *out)
{
    if (peek(c) != '0' || (c->s[c->pos + 1] != 'x' && c->s[c->pos + 1] != 'X'))
        return fail_at(c, c->pos, "a start address \"0x...\"");
    c->pos += 2;
    size_t start = c->pos;
    if (hex_value(peek(c)) < 0)
        return fail_at(c, c->pos, "a hexadecimal digit of the start address");
    uint64_t v = 0;
    while (hex_value(peek(c)) >= 0) {
        v = v * 16 + (uint64_t)hex_value(peek(c));
        if (v > UINT32_MAX)
            return mpf_error_set(c->err, MPF_ERR_INPUT,
                                 "memory layout, character %zu: the start address does not fit "
                                 "32 bits",
                                 start + 1);
        c->pos++;
    }
    *out = (uint32_t)v;
    return MPF_OK;
}

static mpf_err parse_name(cursor *c, char *name, size_t name_len)
{
    mpf_err e = expect_char(c, '@', "'@' (a DfuSe memory layout starts with '@'; is this a "
                                    "plain DFU device?)");
    if (e)
        return e;
    size_t first = c->pos;
    while (peek(c) != '/' && peek(c) != '\0')
        c->pos++;
    if (peek(c) != '/')
        return fail_at(c, c->pos, "'/' after the region name");
    size_t end = c->pos;
    while (first < end && c->s[first] == ' ')
        first++;
    while (end > first && c->s[end - 1] == ' ')
        end--;
    if (end == first)
        return fail_at(c, c->pos, "a region name between '@' and '/'");
    /* The name is only a label: cutting a long one loses nothing structural. */
    size_t n = end - first < name_len - 1 ? end - first : name_len - 1;
    memcpy(name, c->s + first, n);
    name[n] = '\0';
    return MPF_OK;
}

/* The unit letter may be missing: the STM32F72x ROM describes its OTP as
 * "@OTP Memory /0x1FF07800/01*528e" (a type letter straight after the size,
 * meaning bytes; FACTS.md, parsing traps). Type letters are 'a'..'g', units
 * 'B'/'K'/'M'/space, so the next character says which it is. */
static mpf_err parse_unit(cursor *c, uint32_t size, uint32_t *bytes)
{
    uint64_t mult;
    if (peek(c) >= 'a' && peek(c) <= 'g') {
        *bytes = size;
        return MPF_OK;
    }
    switch (peek(c)) {
    case ' ':
    case 'B':
        mult = 1;
        break;
    case 'K':
        mult = 1024;
        break;
    case 'M':
        mult = 1024 * 1024;
        break;
    default:
        return fail_at(c, c->pos, "a size unit: 'B', 'K', 'M' or a space for bytes, or a type letter");
    }
    uint64_t v = (uint64_t)size * mult;
    if (v > UINT32_MAX)
        return mpf_error_set(c->err, MPF_ERR_INPUT,
                             "memory layout, character %zu: a sector of %u%c is larger than "
                             "4 GiB",
                             c->pos + 1, size, peek(c));
    c->pos++;
    *bytes = (uint32_t)v;
    return MPF_OK;
}

static mpf_err parse_type(cursor *c, uint8_t *type)
{
    char ch = peek(c);
    if (ch < 'a' || ch > 'g')
        return fail_at(c, c->pos, "a sector type letter 'a'..'g'");
    *type = (uint8_t)(ch - 'a' + 1);
    c->pos++;
    return MPF_OK;
}

static uint64_t group_end(const mpf_sector_group *g)
{
    return (uint64_t)g->start + (uint64_t)g->sector_size * g->count;
}

/* One "NN*SSSUt" group starting at *next; advances *next past it. */
static mpf_err parse_group(cursor *c, uint64_t *next, mpf_sector_group *groups, size_t n)
{
    size_t at = c->pos;
    mpf_sector_group g;
    mpf_err e = parse_decimal(c, "sector count", &g.count);
    if (!e)
        e = expect_char(c, '*', "'*' between sector count and size");
    uint32_t size = 0;
    if (!e)
        e = parse_decimal(c, "sector size", &size);
    if (!e)
        e = parse_unit(c, size, &g.sector_size);
    if (!e)
        e = parse_type(c, &g.type);
    if (e)
        return e;
    if (n == MPF_LAYOUT_MAX_GROUPS)
        return mpf_error_set(c->err, MPF_ERR_INPUT,
                             "memory layout, character %zu: more than %d sector groups",
                             at + 1, MPF_LAYOUT_MAX_GROUPS);
    if (*next > UINT32_MAX)
        return mpf_error_set(c->err, MPF_ERR_INPUT,
                             "memory layout, character %zu: this sector group starts past "
                             "0xFFFFFFFF",
                             at + 1);
    g.start = (uint32_t)*next;
    if (group_end(&g) > (uint64_t)UINT32_MAX + 1)
        return mpf_error_set(c->err, MPF_ERR_INPUT,
                             "memory layout, character %zu: %u sectors of %u bytes from "
                             "0x%08X run past 0xFFFFFFFF",
                             at + 1, g.count, g.sector_size, g.start);
    /* Overlapping blocks would make "the sector holding addr" ambiguous. */
    for (size_t i = 0; i < n; i++) {
        if (g.start < group_end(&groups[i]) && groups[i].start < group_end(&g))
            return mpf_error_set(c->err, MPF_ERR_INPUT,
                                 "memory layout, character %zu: sectors from 0x%08X overlap "
                                 "those from 0x%08X described earlier",
                                 at + 1, g.start, groups[i].start);
    }
    groups[n] = g;
    *next = group_end(&g);
    return MPF_OK;
}

mpf_err mpf_layout_parse(const char *s, mpf_layout *out, mpf_error *err)
{
    if (!out)
        return mpf_error_set(err, MPF_ERR_USAGE, "mpf_layout_parse: out is NULL");
    memset(out, 0, sizeof *out);
    if (!s)
        return mpf_error_set(err, MPF_ERR_USAGE, "mpf_layout_parse: no string given");

    cursor c = {s, 0, err};
    mpf_sector_group groups[MPF_LAYOUT_MAX_GROUPS];
    size_t n = 0;
    mpf_err e = parse_name(&c, out->name, sizeof out->name);
    while (!e) {
        /* At the '/' that opens a block. */
        c.pos++;
        uint32_t start = 0;
        e = parse_address(&c, &start);
        if (!e)
            e = expect_char(&c, '/', "'/' after the start address");
        uint64_t next = start;
        while (!e) {
            e = parse_group(&c, &next, groups, n);
            if (e)
                break;
            n++;
            if (peek(&c) != ',')
                break;
            c.pos++;
        }
        if (e || peek(&c) == '\0')
            break;
        if (peek(&c) != '/')
            e = fail_at(&c, c.pos, "',', '/' or the end of the string after a sector group");
    }
    if (e) {
        out->name[0] = '\0';
        return e;
    }

    out->groups = malloc(n * sizeof *out->groups);
    if (!out->groups) {
        out->name[0] = '\0';
        return mpf_error_set(err, MPF_ERR_NOMEM, "memory layout: out of memory for %zu groups", n);
    }
    memcpy(out->groups, groups, n * sizeof *out->groups);
    out->count = n;
    return MPF_OK;
}

void mpf_layout_free(mpf_layout *l)
{
    if (!l)
        return;
    free(l->groups);
    l->groups = NULL;
    l->count = 0;
}

int mpf_layout_find(const mpf_layout *l, uint32_t addr, uint32_t *sector_start,
                    uint32_t *sector_size, uint8_t *type)
{
    if (!l)
        return 0;
    for (size_t i = 0; i < l->count; i++) {
        const mpf_sector_group *g = &l->groups[i];
        if (addr < g->start || addr >= group_end(g))
            continue;
        uint32_t index = (addr - g->start) / g->sector_size;
        if (sector_start)
            *sector_start = g->start + index * g->sector_size;
        if (sector_size)
            *sector_size = g->sector_size;
        if (type)
            *type = g->type;
        return 1;
    }
    return 0;
}

uint64_t mpf_layout_size(const mpf_layout *l)
{
    uint64_t total = 0;
    for (size_t i = 0; l && i < l->count; i++)
        total += (uint64_t)l->groups[i].sector_size * l->groups[i].count;
    return total;
}

char mpf_layout_type_letter(uint8_t type)
{
    return type >= 1 && type <= 7 ? (char)('a' + type - 1) : '?';
}
