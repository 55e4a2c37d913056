/* Fitting an image to the device's memory layouts: which alt, which
 * sectors, and a precise refusal when a byte has nowhere to go. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plan/plan_internal.h"

typedef struct extent {
    uint64_t first, end; /* [first, end) */
} extent;

/* Appends "0x%08X-0x%08X" (or "%u-%u" for alts) with a separator; stops
 * quietly when the buffer is full, since this only feeds a message. */
static void append_range(char *buf, size_t len, size_t *used, int hex, unsigned a, unsigned b)
{
    if (*used >= len)
        return;
    const char *sep = *used ? ", " : "";
    int n;
    if (hex)
        n = snprintf(buf + *used, len - *used, "%s0x%08X-0x%08X", sep, a, b);
    else if (a == b)
        n = snprintf(buf + *used, len - *used, "%s%u", sep, a);
    else
        n = snprintf(buf + *used, len - *used, "%s%u-%u", sep, a, b);
    if (n > 0)
        *used += (size_t)n;
}

/* "0-1", "0, 2-3": the device's alt settings, for the missing-alt message. */
static void format_alts(const mpf_device_info *dev, size_t num, char *buf, size_t len)
{
    int have[256] = {0};
    for (size_t i = 0; i < num; i++)
        have[dev->alts[i].alt] = 1;
    size_t used = 0;
    buf[0] = '\0';
    for (unsigned a = 0; a < 256; a++) {
        if (!have[a])
            continue;
        unsigned b = a;
        while (b + 1 < 256 && have[b + 1])
            b++;
        append_range(buf, len, &used, 0, a, b);
        a = b;
    }
}

/* The layout's address ranges, adjacent groups merged, in address order:
 * "0x08000000-0x080FFFFF". */
static void format_extents(const mpf_layout *l, char *buf, size_t len)
{
    extent ex[MPF_LAYOUT_MAX_GROUPS];
    size_t n = 0;
    for (size_t i = 0; i < l->count && n < MPF_LAYOUT_MAX_GROUPS; i++) {
        const mpf_sector_group *g = &l->groups[i];
        extent e = {g->start, (uint64_t)g->start + (uint64_t)g->sector_size * g->count};
        size_t j = n++;
        while (j > 0 && ex[j - 1].first > e.first) {
            ex[j] = ex[j - 1];
            j--;
        }
        ex[j] = e;
    }
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        uint64_t end = ex[i].end;
        size_t j = i;
        while (j + 1 < n && ex[j + 1].first == end)
            end = ex[++j].end;
        append_range(buf, len, &used, 1, (unsigned)ex[i].first, (unsigned)(end - 1));
        i = j;
    }
}

static void layout_bounds(const mpf_layout *l, uint64_t *lowest, uint64_t *end)
{
    *lowest = UINT64_MAX;
    *end = 0;
    for (size_t i = 0; i < l->count; i++) {
        const mpf_sector_group *g = &l->groups[i];
        uint64_t e = (uint64_t)g->start + (uint64_t)g->sector_size * g->count;
        if (g->start < *lowest)
            *lowest = g->start;
        if (e > *end)
            *end = e;
    }
}

mpf_err plan_layout_for_alt(plan_ctx *c, uint8_t alt, const char *what, const char *need,
                            const mpf_layout **out)
{
    size_t num = c->dev->num_alts < MPF_MAX_ALTS ? c->dev->num_alts : MPF_MAX_ALTS;
    size_t i = 0;
    while (i < num && c->dev->alts[i].alt != alt)
        i++;
    if (i == num) {
        char alts[128];
        format_alts(c->dev, num, alts, sizeof alts);
        const char *phrase = need ? need : "the image has data for";
        const char *hint = need ? "" : "; is the image for another device?";
        if (num == 0)
            return mpf_error_set(c->err, MPF_ERR_IMAGE_FIT,
                                 "%s: %s alt setting %u but the device reports no alt settings; "
                                 "is it in DFU mode?",
                                 what, phrase, alt);
        return mpf_error_set(c->err, MPF_ERR_IMAGE_FIT,
                             "%s: %s alt setting %u but the device has alt settings %s%s", what,
                             phrase, alt, alts, hint);
    }
    if (!c->parsed[i]) {
        mpf_error why;
        mpf_error_clear(&why);
        mpf_err e = mpf_layout_parse(c->dev->alts[i].name, &c->layouts[i], &why);
        if (e == MPF_ERR_INPUT)
            /* The string is the device's, not the user's: a protocol fault. */
            return mpf_error_set(c->err, MPF_ERR_PROTOCOL,
                                 "device alt setting %u: %s; mpflash needs its DfuSe layout to "
                                 "know where flash is",
                                 alt, why.message);
        if (e)
            return mpf_error_set(c->err, e, "%s", why.message);
        c->parsed[i] = 1;
    }
    *out = &c->layouts[i];
    return MPF_OK;
}

static mpf_err outside(plan_ctx *c, const mpf_segment *seg, const mpf_layout *l, uint64_t addr)
{
    char ranges[200];
    format_extents(l, ranges, sizeof ranges);
    uint64_t lowest, end;
    layout_bounds(l, &lowest, &end);
    const char *hint = addr >= end     ? "the image is for a larger chip?"
                       : addr < lowest ? "the image is for another address or chip?"
                                       : "the image is for another chip?";
    return mpf_error_set(c->err, MPF_ERR_IMAGE_FIT,
                         "%s: 0x%08X is outside the device's %s (%s); %s", seg->source,
                         (unsigned)addr, l->name, ranges, hint);
}

static mpf_err add_erase(plan_ctx *c, uint8_t alt, uint32_t start, uint32_t size)
{
    mpf_plan *p = c->plan;
    /* Segments arrive sorted and sectors never overlap, so a sector already
     * planned can only be the last one. */
    if (p->erase_count > 0) {
        const mpf_plan_erase *last = &p->erases[p->erase_count - 1];
        if (last->alt == alt && last->address == start)
            return MPF_OK;
    }
    if (p->erase_count == c->erase_capacity) {
        size_t cap = c->erase_capacity ? c->erase_capacity * 2 : 16;
        mpf_plan_erase *grown = realloc(p->erases, cap * sizeof *grown);
        if (!grown)
            return mpf_error_set(c->err, MPF_ERR_NOMEM, "flash plan: out of memory for %zu "
                                 "sector erases", cap);
        p->erases = grown;
        c->erase_capacity = cap;
    }
    p->erases[p->erase_count++] = (mpf_plan_erase){alt, start, size};
    p->erase_bytes += size;
    return MPF_OK;
}

mpf_err plan_fit_segment(plan_ctx *c, const mpf_segment *seg, const mpf_layout *l)
{
    int mass = c->opt->mass_erase && seg->alt == 0;
    uint64_t addr = seg->address;
    uint64_t end = addr + seg->size;
    while (addr < end) {
        uint32_t start = 0, size = 0;
        uint8_t type = 0;
        if (!mpf_layout_find(l, (uint32_t)addr, &start, &size, &type))
            return outside(c, seg, l, addr);
        if (!(type & MPF_MEM_WRITABLE))
            return mpf_error_set(c->err, MPF_ERR_IMAGE_FIT,
                                 "%s: 0x%08X is in a sector of the device's %s that is not "
                                 "writable (0x%08X, %u bytes, type '%c'); DFU cannot write there",
                                 seg->source, (unsigned)addr, l->name, start, size,
                                 mpf_layout_type_letter(type));
        if ((type & MPF_MEM_ERASABLE) && !mass) {
            mpf_err e = add_erase(c, seg->alt, start, size);
            if (e)
                return e;
        }
        addr = (uint64_t)start + size;
    }
    return MPF_OK;
}
