/* Intel HEX loader. Consecutive data records are gathered into one run and
 * added to the image once, so a 2 MiB file becomes a handful of segments
 * instead of one per 16-byte record. */
#include "mpflash/image.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
    REC_DATA = 0,
    REC_EOF = 1,
    REC_EXT_SEGMENT = 2,
    REC_START_SEGMENT = 3,
    REC_EXT_LINEAR = 4,
    REC_START_LINEAR = 5
};

/* A record is at most 5 header/checksum bytes plus 255 data bytes. */
#define RECORD_MAX_BYTES (5 + 255)

typedef struct run {
    uint8_t *data;
    size_t len, cap;
    uint32_t address;
    size_t first_line, last_line;
} run;

typedef struct ihex_ctx {
    mpf_image *img;
    const char *name;
    uint8_t alt;
    mpf_error *err;
    run cur;
    uint32_t base;    /* from type 02 or 04 */
    int segment_mode; /* type 02 offsets wrap inside their 64 KiB segment */
    size_t eof_line;  /* 0 until the 01 record */
    int has_entry;    /* from the first type 03 or 05 record */
    uint32_t entry;
} ihex_ctx;

/* Hex digit value + 1, 0 for anything else: one table lookup per character
 * keeps a 6 MB file well under the time budget. */
static const uint8_t hex_plus_one[256] = {
    ['0'] = 1, ['1'] = 2, ['2'] = 3, ['3'] = 4, ['4'] = 5, ['5'] = 6, ['6'] = 7, ['7'] = 8,
    ['8'] = 9, ['9'] = 10, ['A'] = 11, ['B'] = 12, ['C'] = 13, ['D'] = 14, ['E'] = 15, ['F'] = 16,
    ['a'] = 11, ['b'] = 12, ['c'] = 13, ['d'] = 14, ['e'] = 15, ['f'] = 16,
};

/* Whitespace inside a line; line endings are handled by the line splitter. */
static int is_blank(uint8_t c)
{
    return c == ' ' || c == '\t' || c == '\v' || c == '\f';
}

static mpf_err flush_run(ihex_ctx *c)
{
    run *r = &c->cur;
    if (r->len == 0)
        return MPF_OK;
    /* Room for a long path: the segment keeps the tail, which names the place. */
    char source[MPF_SOURCE_MAX * 4];
    if (r->first_line == r->last_line)
        snprintf(source, sizeof source, "%s line %zu", c->name, r->first_line);
    else
        snprintf(source, sizeof source, "%s lines %zu-%zu", c->name, r->first_line, r->last_line);
    /* Give back the slack of the doubling growth; failure to shrink is harmless. */
    uint8_t *data = r->data;
    if (r->cap > r->len) {
        uint8_t *fit = realloc(data, r->len);
        if (fit)
            data = fit;
    }
    size_t len = r->len;
    r->data = NULL;
    r->len = r->cap = 0;
    return mpf_image_add_owned(c->img, c->alt, r->address, data, len, source, c->err);
}

static mpf_err add_data(ihex_ctx *c, uint32_t address, const uint8_t *bytes, size_t n, size_t line)
{
    run *r = &c->cur;
    if (r->len > 0 && (uint64_t)r->address + r->len != address) {
        mpf_err rc = flush_run(c);
        if (rc)
            return rc;
    }
    if (r->len == 0) {
        r->address = address;
        r->first_line = line;
    }
    if (r->len + n > r->cap) {
        size_t cap = r->cap ? r->cap : 4096;
        while (cap < r->len + n)
            cap *= 2;
        uint8_t *grown = realloc(r->data, cap);
        if (!grown)
            return mpf_error_set(c->err, MPF_ERR_NOMEM,
                                 "%s line %zu: out of memory collecting %zu bytes of data at 0x%08X",
                                 c->name, line, cap, (unsigned)r->address);
        r->data = grown;
        r->cap = cap;
    }
    memcpy(r->data + r->len, bytes, n);
    r->len += n;
    r->last_line = line;
    return MPF_OK;
}

/* The careful path: decode one trimmed record line (without its line
 * ending) into rec, or set the error that says what is wrong with it. */
static mpf_err decode_line(ihex_ctx *c, const uint8_t *p, size_t n, size_t line,
                           uint8_t rec[RECORD_MAX_BYTES])
{
    if (p[0] != ':')
        return mpf_error_set(c->err, MPF_ERR_INPUT,
                             "%s line %zu: a record must start with ':' but starts with 0x%02X; "
                             "is this an Intel HEX file?",
                             c->name, line, p[0]);
    int all_hex = 1;
    for (size_t i = 1; i < n; i++)
        all_hex &= hex_plus_one[p[i]] != 0;
    if (!all_hex) {
        size_t i = 1;
        while (hex_plus_one[p[i]])
            i++;
        return mpf_error_set(c->err, MPF_ERR_INPUT,
                             "%s line %zu: character 0x%02X at column %zu is not a hex digit",
                             c->name, line, p[i], i + 1);
    }
    size_t digits = n - 1;
    if (digits % 2)
        return mpf_error_set(c->err, MPF_ERR_INPUT,
                             "%s line %zu: odd number of hex digits (%zu); the record is cut or garbled",
                             c->name, line, digits);
    size_t count = digits / 2;
    if (count < 5)
        return mpf_error_set(c->err, MPF_ERR_INPUT,
                             "%s line %zu: record is %zu bytes, shorter than the 5 bytes of "
                             "length, address, type and checksum",
                             c->name, line, count);
    if (count > RECORD_MAX_BYTES)
        return mpf_error_set(c->err, MPF_ERR_INPUT,
                             "%s line %zu: record is %zu bytes, longer than any record can be (%d)",
                             c->name, line, count, RECORD_MAX_BYTES);
    for (size_t i = 0; i < count; i++)
        rec[i] = (uint8_t)((hex_plus_one[p[1 + 2 * i]] - 1) << 4 | (hex_plus_one[p[2 + 2 * i]] - 1));
    if ((size_t)rec[0] + 5 != count)
        return mpf_error_set(c->err, MPF_ERR_INPUT,
                             "%s line %zu: the record says %u data bytes but the line holds %zu",
                             c->name, line, rec[0], count - 5);
    uint8_t sum = 0;
    for (size_t i = 0; i + 1 < count; i++)
        sum = (uint8_t)(sum + rec[i]);
    uint8_t expected = (uint8_t)(0x100 - sum);
    if (expected != rec[count - 1])
        return mpf_error_set(c->err, MPF_ERR_INPUT,
                             "%s line %zu: checksum is 0x%02X, the record says 0x%02X",
                             c->name, line, expected, rec[count - 1]);
    return MPF_OK;
}

static size_t line_end(const uint8_t *buf, size_t len, size_t pos)
{
    while (pos < len && buf[pos] != '\n' && buf[pos] != '\r')
        pos++;
    return pos;
}

/* CR, LF or CRLF: one line ending each. */
static size_t skip_line_ending(const uint8_t *buf, size_t len, size_t pos)
{
    if (pos < len && buf[pos] == '\r') {
        pos++;
        if (pos < len && buf[pos] == '\n')
            pos++;
    } else if (pos < len && buf[pos] == '\n') {
        pos++;
    }
    return pos;
}

/* The common case, a well-formed record right at pos ending in CR, LF or
 * the end of the file, decoded without first searching for the line end.
 * Anything unusual returns 0 and decode_line takes over, so both paths
 * accept the same files and report the same errors. */
static int decode_fast(const uint8_t *buf, size_t len, size_t pos,
                       uint8_t rec[RECORD_MAX_BYTES], size_t *next)
{
    if (len - pos < 11 || buf[pos] != ':')
        return 0;
    const uint8_t *p = buf + pos + 1;
    unsigned hi = hex_plus_one[p[0]], lo = hex_plus_one[p[1]];
    if (!hi || !lo)
        return 0;
    size_t count = 5 + (((hi - 1) << 4) | (lo - 1));
    size_t end = pos + 1 + 2 * count;
    if (end > len || (end < len && buf[end] != '\r' && buf[end] != '\n'))
        return 0;
    unsigned bad = 0;
    uint8_t sum = 0;
    for (size_t i = 0; i < count; i++) {
        /* A non-digit maps to 0, so minus one sets high bits in bad. */
        unsigned h = hex_plus_one[p[2 * i]] - 1u, l = hex_plus_one[p[2 * i + 1]] - 1u;
        bad |= h | l;
        rec[i] = (uint8_t)(h << 4 | l);
        sum = (uint8_t)(sum + rec[i]);
    }
    if (bad > 15 || sum != 0)
        return 0;
    *next = skip_line_ending(buf, len, end);
    return 1;
}

static mpf_err check_size(ihex_ctx *c, size_t line, const char *what, uint8_t got, uint8_t want)
{
    if (got == want)
        return MPF_OK;
    return mpf_error_set(c->err, MPF_ERR_INPUT,
                         "%s line %zu: %s record carries %u data bytes, it must carry %u",
                         c->name, line, what, got, want);
}

/* Undo what this call appended, so a failed load leaves the image as it was. */
static void roll_back(mpf_image *img, size_t count)
{
    for (size_t i = count; i < img->count; i++)
        free(img->segments[i].data);
    img->count = count;
}

static mpf_err add_data_record(ihex_ctx *c, uint16_t offset, const uint8_t *payload, uint8_t count,
                               size_t line)
{
    if (count == 0)
        return MPF_OK;
    if (c->segment_mode && (uint32_t)offset + count > 0x10000u) {
        /* The spec wraps these bytes to the start of the segment; splitting
         * keeps the two halves where the spec puts them. */
        size_t first = 0x10000u - offset;
        mpf_err rc = add_data(c, c->base + offset, payload, first, line);
        if (rc)
            return rc;
        return add_data(c, c->base, payload + first, count - first, line);
    }
    uint64_t address = (uint64_t)c->base + offset;
    if (address + count - 1 > UINT32_MAX)
        return mpf_error_set(c->err, MPF_ERR_INPUT,
                             "%s line %zu: %u data bytes at 0x%08X run past 0xFFFFFFFF",
                             c->name, line, count, (unsigned)address);
    return add_data(c, (uint32_t)address, payload, count, line);
}

static void note_entry(ihex_ctx *c, uint32_t entry)
{
    if (c->has_entry)
        return;
    c->has_entry = 1;
    c->entry = entry;
}

/* Act on one decoded, checksum-verified record. */
static mpf_err apply_record(ihex_ctx *c, const uint8_t *rec, size_t line)
{
    uint8_t count = rec[0];
    uint16_t offset = (uint16_t)(rec[1] << 8 | rec[2]);
    uint8_t type = rec[3];
    const uint8_t *payload = rec + 4;
    mpf_err rc;
    switch (type) {
    case REC_DATA:
        return add_data_record(c, offset, payload, count, line);
    case REC_EOF:
        rc = check_size(c, line, "end-of-file", count, 0);
        if (!rc)
            c->eof_line = line;
        return rc;
    case REC_EXT_SEGMENT:
        rc = check_size(c, line, "extended segment address", count, 2);
        if (!rc) {
            c->base = (uint32_t)(payload[0] << 8 | payload[1]) << 4;
            c->segment_mode = 1;
        }
        return rc;
    case REC_EXT_LINEAR:
        rc = check_size(c, line, "extended linear address", count, 2);
        if (!rc) {
            c->base = (uint32_t)(payload[0] << 8 | payload[1]) << 16;
            c->segment_mode = 0;
        }
        return rc;
    case REC_START_SEGMENT:
        /* Where a CPU would start executing: not a place to write, only
         * information. objcopy writes it for entries below 1 MiB. */
        rc = check_size(c, line, "start segment address", count, 4);
        if (!rc) {
            uint32_t cs = (uint32_t)(payload[0] << 8 | payload[1]);
            uint32_t ip = (uint32_t)(payload[2] << 8 | payload[3]);
            note_entry(c, (cs << 4) + ip);
        }
        return rc;
    case REC_START_LINEAR:
        rc = check_size(c, line, "start linear address", count, 4);
        if (!rc)
            note_entry(c, (uint32_t)payload[0] << 24 | (uint32_t)payload[1] << 16 | (uint32_t)payload[2] << 8 |
                              payload[3]);
        return rc;
    default:
        return mpf_error_set(c->err, MPF_ERR_INPUT,
                             "%s line %zu: unknown record type 0x%02X (Intel HEX has types 00 to 05)",
                             c->name, line, type);
    }
}

static mpf_err parse(ihex_ctx *c, const uint8_t *buf, size_t len)
{
    size_t line = 0;
    size_t pos = 0;
    uint8_t rec[RECORD_MAX_BYTES];

    /* Windows editors may save a UTF-8 byte order mark; format detection accepts it too. */
    if (len >= 3 && buf[0] == 0xEF && buf[1] == 0xBB && buf[2] == 0xBF)
        pos = 3;

    while (pos < len) {
        line++;
        size_t next;
        if (!c->eof_line && decode_fast(buf, len, pos, rec, &next)) {
            pos = next;
        } else {
            size_t start = pos;
            size_t end = line_end(buf, len, pos);
            pos = skip_line_ending(buf, len, end);
            while (start < end && is_blank(buf[start]))
                start++;
            while (end > start && is_blank(buf[end - 1]))
                end--;
            if (start == end)
                continue;
            if (c->eof_line)
                return mpf_error_set(c->err, MPF_ERR_INPUT,
                                     "%s line %zu: data after the end-of-file record of line %zu "
                                     "(byte 0x%02X); the file is damaged or two files were joined",
                                     c->name, line, c->eof_line, buf[start]);
            mpf_err rc = decode_line(c, buf + start, end - start, line, rec);
            if (rc)
                return rc;
        }
        mpf_err rc = apply_record(c, rec, line);
        if (rc)
            return rc;
    }
    if (!c->eof_line)
        return mpf_error_set(c->err, MPF_ERR_INPUT,
                             "%s: no end-of-file record (:00000001FF) after line %zu; "
                             "the file is probably truncated",
                             c->name, line);
    return flush_run(c);
}

mpf_err mpf_load_ihex(mpf_image *img, const uint8_t *buf, size_t len,
                      const char *name, const mpf_load_options *opt, mpf_error *err)
{
    if (!img || (!buf && len))
        return mpf_error_set(err, MPF_ERR_USAGE, "mpf_load_ihex: no image or no buffer given");
    ihex_ctx c = {
        .img = img,
        .name = name ? name : "input",
        .alt = opt ? opt->alt : 0,
        .err = err,
    };
    size_t before = img->count;
    mpf_err rc = parse(&c, buf, len);
    free(c.cur.data);
    if (!rc && img->count == before)
        rc = mpf_error_set(err, MPF_ERR_INPUT,
                           "%s: the file holds no data records; there is nothing to flash", c.name);
    if (rc) {
        roll_back(img, before);
        return rc;
    }
    if (c.has_entry && !img->has_entry) {
        img->has_entry = 1;
        img->entry = c.entry;
    }
    if (img->format == MPF_FORMAT_UNKNOWN)
        img->format = MPF_FORMAT_IHEX;
    return MPF_OK;
}
