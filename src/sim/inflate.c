/* Raw DEFLATE (RFC 1951) decoding, for the virtual packing mboot: its
 * FW_GZIP chunks are raw deflate streams (mboot_pack_dfu.py compresses with
 * zlib wbits -15; mboot's gzstream.c inflates them). Stored, fixed and
 * dynamic Huffman blocks; every length and distance is checked, and the
 * output never grows past out_cap. Canonical Huffman codes are decoded one
 * bit at a time from per-length counts (RFC 1951 section 3.2.2). */
#include <string.h>

#include "sim/sim_internal.h"

#define MAX_BITS 15
#define MAX_LITLEN 288
#define MAX_DIST 30

typedef struct bit_reader {
    const uint8_t *in;
    size_t len, pos;
    uint32_t buf;
    unsigned count;
    uint8_t *out;
    size_t cap, n;
} bit_reader;

typedef struct huffman {
    uint16_t count[MAX_BITS + 1];
    uint16_t symbol[MAX_LITLEN];
} huffman;

/* need <= 16 bits, LSB first; -1 past the end of the input. */
static long get_bits(bit_reader *r, unsigned need)
{
    while (r->count < need) {
        if (r->pos >= r->len)
            return -1;
        r->buf |= (uint32_t)r->in[r->pos++] << r->count;
        r->count += 8;
    }
    long v = (long)(r->buf & ((1u << need) - 1u));
    r->buf >>= need;
    r->count -= need;
    return v;
}

/* 0 for a complete (or, for one-code distance sets, incomplete) code, -1 for
 * an over-subscribed one. */
static int build(huffman *h, const uint8_t *lengths, unsigned n)
{
    uint16_t offs[MAX_BITS + 1];
    memset(h->count, 0, sizeof h->count);
    for (unsigned i = 0; i < n; i++)
        h->count[lengths[i]]++;
    if (h->count[0] == n)
        return 0; /* no codes: decoding any symbol fails */
    int left = 1;
    for (unsigned len = 1; len <= MAX_BITS; len++) {
        left <<= 1;
        left -= h->count[len];
        if (left < 0)
            return -1;
    }
    offs[1] = 0;
    for (unsigned len = 1; len < MAX_BITS; len++)
        offs[len + 1] = (uint16_t)(offs[len] + h->count[len]);
    for (unsigned i = 0; i < n; i++)
        if (lengths[i])
            h->symbol[offs[lengths[i]]++] = (uint16_t)i;
    return 0;
}

static int decode(bit_reader *r, const huffman *h)
{
    int code = 0, first = 0, index = 0;
    for (unsigned len = 1; len <= MAX_BITS; len++) {
        long bit = get_bits(r, 1);
        if (bit < 0)
            return -1;
        code |= (int)bit;
        int count = h->count[len];
        if (code - count < first)
            return h->symbol[index + (code - first)];
        index += count;
        first += count;
        first <<= 1;
        code <<= 1;
    }
    return -1; /* a code no symbol has */
}

static const uint16_t length_base[29] = {3,  4,  5,  6,  7,  8,  9,  10, 11,  13,  15,  17,  19,  23, 27,
                                         31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258};
static const uint8_t length_extra[29] = {0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2,
                                         2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0};
static const uint16_t dist_base[30] = {1,    2,    3,    4,    5,    7,     9,     13,    17,  25,
                                       33,   49,   65,   97,   129,  193,   257,   385,   513, 769,
                                       1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577};
static const uint8_t dist_extra[30] = {0, 0, 0, 0, 1, 1, 2, 2,  3,  3,  4,  4,  5,  5,  6,
                                       6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13};

static int put(bit_reader *r, uint8_t b)
{
    if (r->n >= r->cap)
        return -1;
    r->out[r->n++] = b;
    return 0;
}

static int codes(bit_reader *r, const huffman *lit, const huffman *dist)
{
    for (;;) {
        int sym = decode(r, lit);
        if (sym < 0)
            return -1;
        if (sym < 256) {
            if (put(r, (uint8_t)sym) != 0)
                return -1;
            continue;
        }
        if (sym == 256)
            return 0;
        sym -= 257;
        if (sym >= 29)
            return -1;
        long extra = get_bits(r, length_extra[sym]);
        if (extra < 0)
            return -1;
        size_t len = length_base[sym] + (size_t)extra;
        int ds = decode(r, dist);
        if (ds < 0 || ds >= 30)
            return -1;
        extra = get_bits(r, dist_extra[ds]);
        if (extra < 0)
            return -1;
        size_t back = dist_base[ds] + (size_t)extra;
        if (back > r->n)
            return -1; /* before the start of the output */
        for (size_t i = 0; i < len; i++)
            if (put(r, r->out[r->n - back]) != 0)
                return -1;
    }
}

static int stored(bit_reader *r)
{
    r->buf = 0; /* to a byte boundary */
    r->count = 0;
    if (r->len - r->pos < 4)
        return -1;
    unsigned len = r->in[r->pos] | (unsigned)r->in[r->pos + 1] << 8;
    unsigned nlen = r->in[r->pos + 2] | (unsigned)r->in[r->pos + 3] << 8;
    r->pos += 4;
    if ((len ^ 0xFFFFu) != nlen || r->len - r->pos < len || r->cap - r->n < len)
        return -1;
    memcpy(r->out + r->n, r->in + r->pos, len);
    r->pos += len;
    r->n += len;
    return 0;
}

static int fixed(bit_reader *r)
{
    uint8_t lengths[MAX_LITLEN];
    huffman lit, dist;
    unsigned i = 0;
    for (; i < 144; i++)
        lengths[i] = 8;
    for (; i < 256; i++)
        lengths[i] = 9;
    for (; i < 280; i++)
        lengths[i] = 7;
    for (; i < MAX_LITLEN; i++)
        lengths[i] = 8;
    build(&lit, lengths, MAX_LITLEN);
    memset(lengths, 5, MAX_DIST);
    build(&dist, lengths, MAX_DIST);
    return codes(r, &lit, &dist);
}

static int dynamic(bit_reader *r)
{
    static const uint8_t order[19] = {16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15};
    long nlit = get_bits(r, 5), ndist = get_bits(r, 5), ncode = get_bits(r, 4);
    if (nlit < 0 || ndist < 0 || ncode < 0)
        return -1;
    nlit += 257;
    ndist += 1;
    ncode += 4;
    if (nlit > 286 || ndist > MAX_DIST)
        return -1;
    uint8_t lengths[MAX_LITLEN + MAX_DIST];
    memset(lengths, 0, sizeof lengths);
    for (long i = 0; i < ncode; i++) {
        long v = get_bits(r, 3);
        if (v < 0)
            return -1;
        lengths[order[i]] = (uint8_t)v;
    }
    huffman lencode, lit, dist;
    if (build(&lencode, lengths, 19) != 0)
        return -1;
    long n = 0;
    while (n < nlit + ndist) {
        int sym = decode(r, &lencode);
        if (sym < 0)
            return -1;
        if (sym < 16) {
            lengths[n++] = (uint8_t)sym;
            continue;
        }
        uint8_t value = 0;
        long repeat;
        if (sym == 16) {
            if (n == 0)
                return -1; /* nothing to repeat */
            value = lengths[n - 1];
            repeat = get_bits(r, 2);
            repeat = repeat < 0 ? -1 : repeat + 3;
        } else if (sym == 17) {
            repeat = get_bits(r, 3);
            repeat = repeat < 0 ? -1 : repeat + 3;
        } else {
            repeat = get_bits(r, 7);
            repeat = repeat < 0 ? -1 : repeat + 11;
        }
        if (repeat < 0 || n + repeat > nlit + ndist)
            return -1;
        while (repeat--)
            lengths[n++] = value;
    }
    if (lengths[256] == 0)
        return -1; /* no end-of-block code */
    if (build(&lit, lengths, (unsigned)nlit) != 0 ||
        build(&dist, lengths + nlit, (unsigned)ndist) != 0)
        return -1;
    return codes(r, &lit, &dist);
}

int sim_inflate(const uint8_t *in, size_t in_len, uint8_t *out, size_t out_cap, size_t *out_len)
{
    bit_reader r = {.in = in, .len = in_len, .out = out, .cap = out_cap};
    *out_len = 0;
    long last;
    do {
        last = get_bits(&r, 1);
        long type = get_bits(&r, 2);
        if (last < 0 || type < 0)
            return -1;
        int rc = type == 0 ? stored(&r) : type == 1 ? fixed(&r) : type == 2 ? dynamic(&r) : -1;
        if (rc != 0)
            return -1;
    } while (!last);
    *out_len = r.n;
    return 0;
}
