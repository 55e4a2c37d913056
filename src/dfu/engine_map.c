/* Which planned sectors a flash erases, and so which data blocks it must
 * send. The plan's erases and writes are sorted by (alt, address), so both
 * lookups are binary searches. */
#include <string.h>

#include "dfu/engine_internal.h"

static int before(uint8_t alt_a, uint64_t end_a, uint8_t alt, uint32_t address)
{
    return alt_a < alt || (alt_a == alt && end_a <= address);
}

long eng_plan_sector(const mpf_plan *p, uint8_t alt, uint32_t address)
{
    size_t lo = 0, hi = p->erase_count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const mpf_plan_erase *e = &p->erases[mid];
        if (before(e->alt, (uint64_t)e->address + e->size, alt, address))
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < p->erase_count && p->erases[lo].alt == alt && p->erases[lo].address <= address)
        return (long)lo;
    return -1;
}

void eng_expected_bytes(const mpf_plan *p, uint8_t alt, uint32_t address, uint8_t *out,
                        size_t len)
{
    memset(out, 0xFF, len);
    const uint64_t end = (uint64_t)address + len;
    size_t lo = 0, hi = p->write_count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const mpf_plan_write *w = &p->writes[mid];
        if (before(w->alt, (uint64_t)w->address + w->size, alt, address))
            lo = mid + 1;
        else
            hi = mid;
    }
    for (size_t i = lo; i < p->write_count; i++) {
        const mpf_plan_write *w = &p->writes[i];
        if (w->alt != alt || w->address >= end)
            break;
        uint64_t from = w->address > address ? w->address : address;
        uint64_t to = (uint64_t)w->address + w->size < end ? (uint64_t)w->address + w->size : end;
        memcpy(out + (from - address), w->data + (from - w->address), (size_t)(to - from));
    }
}

int eng_all_ff(const uint8_t *data, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (data[i] != 0xFF)
            return 0;
    return 1;
}

eng_fate eng_block_fate(const eng_map *m, uint8_t alt, uint32_t address, const uint8_t *data,
                        size_t len)
{
    const mpf_plan *p = m->plan;
    if (p->mass_erase && alt == 0)
        return eng_all_ff(data, len) ? ENG_SKIP_BLANK : ENG_SEND;
    int kept = 0, erased = 0;
    const uint64_t end = (uint64_t)address + len;
    for (uint64_t at = address; at < end;) {
        long i = eng_plan_sector(p, alt, (uint32_t)at);
        if (i < 0)
            /* Memory this flash does not erase (OTP, option bytes): the
             * bytes there are unknown, so the block must go. */
            return ENG_SEND;
        if (m->keep && m->keep[i])
            kept = 1;
        else
            erased = 1;
        at = (uint64_t)p->erases[i].address + p->erases[i].size;
    }
    if (!erased)
        return ENG_SKIP_KEPT;
    /* A block that also reaches into a sector left alone is sent whole: the
     * bytes there are the image's already, so programming them again clears
     * no bit. (No STM32 layout has such blocks: sectors are multiples of
     * 2 KiB.) */
    if (!kept && eng_all_ff(data, len))
        return ENG_SKIP_BLANK;
    return ENG_SEND;
}
