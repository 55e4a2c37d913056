/* Which planned sectors a flash erases, and so which data blocks it must
 * send. The plan's erases and writes are sorted by (alt, address), so both
 * lookups are binary searches. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine_internal.h"

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

int eng_writable_over(const uint8_t *now, const uint8_t *want, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (now[i] != want[i] && now[i] != 0xFF)
            return 0;
    return 1;
}

uint32_t eng_write_once_word(const mpf_plan *p)
{
    return p->chip && p->chip->write_once && p->chip->word_size > 1 ? p->chip->word_size : 0;
}

int eng_writable_words(const uint8_t *now, const uint8_t *want, size_t len, uint32_t address,
                       uint32_t word)
{
    if (!word)
        return eng_writable_over(now, want, len);
    for (size_t off = 0; off < len;) {
        size_t n = word - (address + off) % word;
        if (n > len - off)
            n = len - off;
        if (memcmp(now + off, want + off, n) != 0 && !eng_all_ff(now + off, n))
            return 0;
        off += n;
    }
    return 1;
}

int eng_next_word_run(const uint8_t *now, const uint8_t *want, uint32_t n, uint32_t address,
                      uint32_t word, uint32_t *off, uint32_t *stop)
{
    for (uint32_t at = *off; at < n;) {
        uint32_t end = at + word - (address + at) % word;
        if (end > n)
            end = n;
        if (memcmp(now + at, want + at, end - at) == 0) {
            at = end;
            continue;
        }
        /* Words that change, up to the next word that does not. */
        while (end < n) {
            uint32_t next = end + word < n ? end + word : n;
            if (memcmp(now + end, want + end, next - end) == 0)
                break;
            end = next;
        }
        *off = at;
        *stop = end;
        return 1;
    }
    return 0;
}

void eng_chip_now(const eng_map *m, uint8_t alt, uint32_t address, uint8_t *out, size_t len)
{
    const mpf_plan *p = m->plan;
    memset(out, 0xFF, len);
    for (size_t off = 0; off < len;) {
        const uint32_t at = address + (uint32_t)off;
        long i = eng_plan_sector(p, alt, at);
        size_t n = len - off;
        if (i < 0 || (p->mass_erase && alt == 0)) {
            off += n; /* not erased by this flash and not read: taken as 0xFF */
            continue;
        }
        const mpf_plan_erase *e = &p->erases[i];
        if ((uint64_t)e->address + e->size - at < n)
            n = (size_t)((uint64_t)e->address + e->size - at);
        const uint8_t action = m->action ? m->action[i] : MPF_SECTOR_ERASE;
        if (action == MPF_SECTOR_UNCHANGED) {
            eng_expected_bytes(p, alt, at, out + off, n);
        } else if (action == MPF_SECTOR_BLANK && m->chip && m->done) {
            /* Block by block as the check read them. */
            for (size_t k = 0; k < n;) {
                const uint32_t in_sector = at + (uint32_t)k - e->address;
                const size_t b = m->first[i] + in_sector / m->chunk;
                size_t piece = m->chunk - in_sector % m->chunk;
                if (piece > n - k)
                    piece = n - k;
                memcpy(out + off + k, m->chip + b * m->chunk + in_sector % m->chunk, piece);
                k += piece;
            }
        }
        off += n;
    }
}

mpf_err eng_map_alloc_done(eng_map *m, uint32_t chunk, mpf_error *err)
{
    const mpf_plan *p = m->plan;
    size_t total = 0;
    m->first = malloc((p->erase_count ? p->erase_count : 1) * sizeof *m->first);
    if (!m->first)
        return mpf_error_set(err, MPF_ERR_NOMEM, "out of memory for %zu sector entries",
                             p->erase_count);
    for (size_t i = 0; i < p->erase_count; i++) {
        m->first[i] = total;
        total += (p->erases[i].size + (size_t)chunk - 1) / chunk;
    }
    m->done = calloc(total ? total : 1, 1);
    if (!m->done) {
        free(m->first);
        m->first = NULL;
        return mpf_error_set(err, MPF_ERR_NOMEM, "out of memory for %zu block flags", total);
    }
    m->chunk = chunk;
    if (eng_write_once_word(p)) {
        m->chip = malloc(total ? total * (size_t)chunk : 1);
        if (!m->chip) {
            eng_map_free_done(m);
            return mpf_error_set(err, MPF_ERR_NOMEM, "out of memory for %zu blocks of %" PRIu32
                                 " bytes read from the chip", total, chunk);
        }
        memset(m->chip, 0xFF, total * (size_t)chunk);
    }
    return MPF_OK;
}

void eng_map_free_done(eng_map *m)
{
    free(m->done);
    free(m->first);
    free(m->chip);
    m->done = NULL;
    m->first = NULL;
    m->chip = NULL;
}

/* [address, address + len) lies in sector i, which is not erased: does any
 * byte there still need programming? Only bytes in blocks the check did not
 * find right already, and of those only the ones that are not 0xFF (the
 * check found them 0xFF; an unknown block counts as 0xFF, the state
 * MPF_SECTOR_BLANK promises). */
static int blank_piece_needs(const eng_map *m, size_t i, uint32_t address, const uint8_t *data,
                             size_t len)
{
    if (!m->done)
        return !eng_all_ff(data, len);
    const uint32_t base = m->plan->erases[i].address;
    for (size_t off = 0; off < len;) {
        const uint32_t in_sector = address + (uint32_t)off - base;
        const size_t k = in_sector / m->chunk;
        size_t n = m->chunk - in_sector % m->chunk;
        if (n > len - off)
            n = len - off;
        if (!m->done[m->first[i] + k] && !eng_all_ff(data + off, n))
            return 1;
        off += n;
    }
    return 0;
}

eng_fate eng_block_fate(const eng_map *m, uint8_t alt, uint32_t address, const uint8_t *data,
                        size_t len)
{
    const mpf_plan *p = m->plan;
    if (p->mass_erase && alt == 0)
        return eng_all_ff(data, len) ? ENG_SKIP_BLANK : ENG_SEND;
    /* Sent when any byte must be programmed; bytes of the block that the
     * chip already holds then go again, which clears no bit. */
    int erased = 0, needs = 0;
    const uint64_t end = (uint64_t)address + len;
    for (uint64_t at = address; at < end && !needs;) {
        long i = eng_plan_sector(p, alt, (uint32_t)at);
        if (i < 0)
            /* Memory this flash does not erase (OTP, option bytes): the
             * bytes there are unknown, so the block must go. */
            return ENG_SEND;
        const mpf_plan_erase *e = &p->erases[i];
        const uint64_t to = (uint64_t)e->address + e->size < end ? (uint64_t)e->address + e->size : end;
        const uint8_t *piece = data + (at - address);
        const size_t n = (size_t)(to - at);
        switch (m->action ? m->action[i] : MPF_SECTOR_ERASE) {
        case MPF_SECTOR_UNCHANGED:
            break;
        case MPF_SECTOR_BLANK:
            needs = blank_piece_needs(m, (size_t)i, (uint32_t)at, piece, n);
            break;
        default:
            erased = 1;
            needs = !eng_all_ff(piece, n);
            break;
        }
        at = to;
    }
    if (needs)
        return ENG_SEND;
    return erased ? ENG_SKIP_BLANK : ENG_SKIP_KEPT;
}
