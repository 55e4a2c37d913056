/* Intel HEX writer: 16 data bytes per line, a type 04 record whenever the
 * upper 16 address bits change, and lines split at 64 KiB boundaries so no
 * reader has to guess how an offset that overflows 0xFFFF continues. */
#include "mpflash/image.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define BYTES_PER_LINE 16
/* ':' + 2 digits for each of count, address (2), type, checksum, data + '\n' */
#define LINE_CHARS(n) (1 + 2 * (5 + (size_t)(n)) + 1)

static const char hex_digits[] = "0123456789ABCDEF";

typedef struct sink {
    char *buf; /* NULL while measuring */
    size_t len;
} sink;

static void put_byte(sink *s, uint8_t b, uint8_t *sum)
{
    if (s->buf) {
        s->buf[s->len] = hex_digits[b >> 4];
        s->buf[s->len + 1] = hex_digits[b & 0xF];
    }
    s->len += 2;
    *sum = (uint8_t)(*sum + b);
}

static void put_record(sink *s, uint8_t type, uint16_t offset, const uint8_t *data, uint8_t n)
{
    if (!s->buf) {
        s->len += LINE_CHARS(n);
        return;
    }
    uint8_t sum = 0;
    s->buf[s->len++] = ':';
    put_byte(s, n, &sum);
    put_byte(s, (uint8_t)(offset >> 8), &sum);
    put_byte(s, (uint8_t)offset, &sum);
    put_byte(s, type, &sum);
    for (uint8_t i = 0; i < n; i++)
        put_byte(s, data[i], &sum);
    uint8_t check = (uint8_t)(0x100 - sum);
    put_byte(s, check, &sum);
    s->buf[s->len++] = '\n';
}

static void emit(const mpf_image *img, sink *s)
{
    int have_upper = 0;
    uint16_t upper = 0;
    for (size_t i = 0; i < img->count; i++) {
        const mpf_segment *seg = &img->segments[i];
        size_t done = 0;
        while (done < seg->size) {
            uint32_t address = seg->address + (uint32_t)done;
            uint16_t hi = (uint16_t)(address >> 16);
            if (!have_upper || hi != upper) {
                uint8_t ula[2] = {(uint8_t)(hi >> 8), (uint8_t)hi};
                put_record(s, 4, 0, ula, 2);
                have_upper = 1;
                upper = hi;
            }
            size_t n = seg->size - done;
            if (n > BYTES_PER_LINE)
                n = BYTES_PER_LINE;
            size_t to_boundary = 0x10000u - (address & 0xFFFFu);
            if (n > to_boundary)
                n = to_boundary;
            put_record(s, 0, (uint16_t)address, seg->data + done, (uint8_t)n);
            done += n;
        }
    }
    put_record(s, 1, 0, NULL, 0);
}

mpf_err mpf_write_ihex(const mpf_image *img, char **out, size_t *out_len, mpf_error *err)
{
    if (!img || !out || !out_len)
        return mpf_error_set(err, MPF_ERR_USAGE, "mpf_write_ihex: no image or no output given");
    *out = NULL;
    *out_len = 0;
    size_t total = 0;
    for (size_t i = 0; i < img->count; i++) {
        const mpf_segment *seg = &img->segments[i];
        if (seg->alt != 0)
            return mpf_error_set(err, MPF_ERR_INPUT,
                                 "%s: %zu bytes at 0x%08X are for alt setting %u, but Intel HEX "
                                 "has no alt settings and can only hold alt 0; write a .dfu file instead",
                                 seg->source, seg->size, (unsigned)seg->address, (unsigned)seg->alt);
        if ((uint64_t)seg->address + seg->size - 1 > UINT32_MAX)
            return mpf_error_set(err, MPF_ERR_INPUT,
                                 "%s: %zu bytes at 0x%08X do not fit a 32-bit address space",
                                 seg->source, seg->size, (unsigned)seg->address);
        /* Worst case, a 1-byte segment, costs a data line plus a type 04
         * line: 28 characters; bounding by 32 per byte keeps sizes exact. */
        if (seg->size > SIZE_MAX / 32 - total)
            return mpf_error_set(err, MPF_ERR_NOMEM,
                                 "%s: the image is too large to write as Intel HEX in memory",
                                 seg->source);
        total += seg->size;
    }
    sink measure = {NULL, 0};
    emit(img, &measure);
    char *buf = malloc(measure.len + 1);
    if (!buf)
        return mpf_error_set(err, MPF_ERR_NOMEM, "out of memory for a %zu-byte Intel HEX file",
                             measure.len);
    sink s = {buf, 0};
    emit(img, &s);
    if (s.len != measure.len) {
        free(buf);
        return mpf_error_set(err, MPF_ERR_INTERNAL,
                             "Intel HEX writer measured %zu bytes but wrote %zu; please report this bug",
                             measure.len, s.len);
    }
    buf[s.len] = '\0';
    *out = buf;
    *out_len = s.len;
    return MPF_OK;
}
