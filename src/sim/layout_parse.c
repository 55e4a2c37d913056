/* The virtual device's own reading of its DfuSe layout strings (UM0424):
 * "@Name/0xADDR/NN*SSSut,NN*SSSut/0xADDR/...", unit ' ' or B (bytes), K, M;
 * type a..g (bits readable, erasable, writable). Deliberately separate from
 * the engine's parser so a shared mistake cannot hide. */
#include <stdlib.h>
#include <string.h>

#include "sim/sim_internal.h"

typedef struct cursor {
    const char *s;
    size_t pos;
} cursor;

static int parse_decimal(cursor *c, uint32_t *out)
{
    uint64_t v = 0;
    size_t start = c->pos;
    while (c->s[c->pos] >= '0' && c->s[c->pos] <= '9') {
        v = v * 10 + (uint64_t)(c->s[c->pos] - '0');
        if (v > UINT32_MAX)
            return -1;
        c->pos++;
    }
    *out = (uint32_t)v;
    return c->pos > start ? 0 : -1;
}

static int hex_digit(char ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F')
        return ch - 'A' + 10;
    return -1;
}

static int parse_hex_address(cursor *c, uint32_t *out)
{
    if (c->s[c->pos] != '0' || (c->s[c->pos + 1] != 'x' && c->s[c->pos + 1] != 'X'))
        return -1;
    c->pos += 2;
    uint64_t v = 0;
    size_t start = c->pos;
    int d;
    while ((d = hex_digit(c->s[c->pos])) >= 0) {
        v = v * 16 + (uint64_t)d;
        if (v > UINT32_MAX)
            return -1;
        c->pos++;
    }
    *out = (uint32_t)v;
    return c->pos > start ? 0 : -1;
}

static int unit_multiplier(char ch, uint32_t *mult)
{
    switch (ch) {
    case ' ':
    case 'B':
        *mult = 1;
        return 0;
    case 'K':
        *mult = 1024;
        return 0;
    case 'M':
        *mult = 1024 * 1024;
        return 0;
    default:
        return -1;
    }
}

static mpf_err append_area(sim_memory *mem, const sim_area *a, mpf_error *err)
{
    sim_area *grown = realloc(mem->areas, (mem->count + 1) * sizeof *grown);
    if (!grown)
        return mpf_error_set(err, MPF_ERR_NOMEM, "virtual device: out of memory");
    mem->areas = grown;
    mem->areas[mem->count++] = *a;
    return MPF_OK;
}

static mpf_err append_sectors(sim_area *a, uint32_t count, uint32_t size, uint8_t type,
                              mpf_error *err)
{
    sim_sector *grown = realloc(a->sectors, (a->sector_count + count) * sizeof *grown);
    if (!grown)
        return mpf_error_set(err, MPF_ERR_NOMEM, "virtual device: out of memory");
    a->sectors = grown;
    for (uint32_t i = 0; i < count; i++) {
        sim_sector *s = &a->sectors[a->sector_count++];
        s->start = a->start + a->size;
        s->size = size;
        s->type = type;
        a->size += size;
    }
    return MPF_OK;
}

static mpf_err bad_layout(const cursor *c, mpf_error *err)
{
    return mpf_error_set(err, MPF_ERR_INTERNAL,
                         "virtual device: chip table layout \"%s\" is malformed at character %zu",
                         c->s, c->pos);
}

/* One "/0xADDR/groups" block; the cursor sits on its leading '/'. */
static mpf_err parse_block(cursor *c, sim_area *a, mpf_error *err)
{
    c->pos++;
    if (parse_hex_address(c, &a->start) != 0 || c->s[c->pos] != '/')
        return bad_layout(c, err);
    c->pos++;
    for (;;) {
        uint32_t count, size, mult;
        if (parse_decimal(c, &count) != 0 || count == 0 || c->s[c->pos] != '*')
            return bad_layout(c, err);
        c->pos++;
        if (parse_decimal(c, &size) != 0)
            return bad_layout(c, err);
        /* No unit letter at all means bytes (the F72x ROM's "01*528e"). */
        if (c->s[c->pos] >= 'a' && c->s[c->pos] <= 'g')
            mult = 1;
        else if (unit_multiplier(c->s[c->pos++], &mult) != 0)
            return bad_layout(c, err);
        char t = c->s[c->pos];
        if (t < 'a' || t > 'g')
            return bad_layout(c, err);
        c->pos++;
        uint64_t sector = (uint64_t)size * mult;
        uint64_t room = 0x100000000ull - ((uint64_t)a->start + a->size);
        if (sector == 0 || sector >= room || count > (room - 1) / sector)
            return bad_layout(c, err);
        mpf_err rc = append_sectors(a, count, (uint32_t)sector, (uint8_t)(t - 'a' + 1), err);
        if (rc != MPF_OK)
            return rc;
        if (c->s[c->pos] != ',')
            return MPF_OK;
        c->pos++;
    }
}

mpf_err sim_layout_add(sim_memory *mem, const char *layout, uint8_t alt, sim_kind kind,
                       mpf_error *err)
{
    cursor c = { layout, 0 };
    if (layout[0] != '@')
        return bad_layout(&c, err);
    const char *slash = strchr(layout, '/');
    if (!slash)
        return bad_layout(&c, err);
    c.pos = (size_t)(slash - layout);
    while (c.s[c.pos] == '/') {
        sim_area a = { .alt = alt, .kind = kind };
        mpf_err rc = parse_block(&c, &a, err);
        if (rc == MPF_OK)
            rc = append_area(mem, &a, err);
        if (rc != MPF_OK) {
            free(a.sectors);
            return rc;
        }
    }
    if (c.s[c.pos] != '\0')
        return bad_layout(&c, err);
    return MPF_OK;
}
