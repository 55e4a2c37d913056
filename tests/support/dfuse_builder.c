/* Builds DfuSe and plain DFU files for tests, valid or deliberately broken,
 * without using the library's writer (so it can check it). */
#include <stdlib.h>
#include <string.h>

#include "fixtures.h"

void fixture_put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

void fixture_put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

/* Bit at a time: slow and obviously right, unlike a table. */
uint32_t fixture_dfu_crc(const uint8_t *p, size_t n)
{
    uint32_t reg = 0xFFFFFFFFu;
    for (size_t i = 0; i < n; i++) {
        reg ^= p[i];
        for (int b = 0; b < 8; b++)
            reg = (reg & 1u) ? (reg >> 1) ^ 0xEDB88320u : reg >> 1;
    }
    return reg;
}

void fixture_dfuse_init(fixture_dfuse *f)
{
    memset(f, 0, sizeof *f);
    memcpy(f->signature, "DfuSe", 5);
    f->version = 1;
    f->pid = 0xDF11;
    f->vid = 0x0483;
    f->bcd_dfu = 0x011A;
    memcpy(f->ufd, "UFD", 3);
    f->suffix_length = 16;
}

fixture_dfuse_target *fixture_dfuse_add_target(fixture_dfuse *f, uint8_t alt, const char *name)
{
    if (f->target_count >= FIXTURE_DFUSE_MAX_TARGETS)
        return NULL;
    fixture_dfuse_target *t = &f->targets[f->target_count++];
    memset(t, 0, sizeof *t);
    memcpy(t->signature, "Target", 6);
    t->alt = alt;
    if (name) {
        t->named = 1;
        size_t n = strlen(name);
        memcpy(t->name, name, n < sizeof t->name ? n : sizeof t->name);
    }
    return t;
}

fixture_dfuse_element *fixture_dfuse_add_element(fixture_dfuse_target *t, uint32_t address,
                                                 const uint8_t *data, size_t size)
{
    if (t->element_count >= FIXTURE_DFUSE_MAX_ELEMENTS)
        return NULL;
    fixture_dfuse_element *e = &t->elements[t->element_count++];
    memset(e, 0, sizeof *e);
    e->address = address;
    e->data = data;
    e->size = size;
    return e;
}

static size_t target_bytes(const fixture_dfuse_target *t)
{
    size_t n = 0;
    for (size_t i = 0; i < t->element_count; i++)
        n += FIXTURE_DFUSE_ELEMENT_HEADER_LEN + t->elements[i].size;
    return n;
}

static size_t write_target(const fixture_dfuse_target *t, uint8_t *out)
{
    size_t bytes = target_bytes(t);
    memcpy(out, t->signature, 6);
    out[6] = t->alt;
    fixture_put32(out + 7, t->named);
    memcpy(out + 11, t->name, sizeof t->name);
    fixture_put32(out + 266, t->size_override ? t->size_field : (uint32_t)bytes);
    fixture_put32(out + 270, t->count_override ? t->count_field : (uint32_t)t->element_count);
    size_t pos = FIXTURE_DFUSE_TARGET_PREFIX_LEN;
    for (size_t i = 0; i < t->element_count; i++) {
        const fixture_dfuse_element *e = &t->elements[i];
        fixture_put32(out + pos, e->address);
        fixture_put32(out + pos + 4, e->size_override ? e->size_field : (uint32_t)e->size);
        if (e->data && e->size)
            memcpy(out + pos + 8, e->data, e->size);
        pos += FIXTURE_DFUSE_ELEMENT_HEADER_LEN + e->size;
    }
    return pos;
}

uint8_t *fixture_dfuse_build(const fixture_dfuse *f, size_t *len)
{
    size_t body = FIXTURE_DFUSE_PREFIX_LEN + f->trailing_len;
    for (size_t i = 0; i < f->target_count; i++)
        body += FIXTURE_DFUSE_TARGET_PREFIX_LEN + target_bytes(&f->targets[i]);
    size_t total = body + FIXTURE_DFU_SUFFIX_LEN;
    uint8_t *buf = calloc(1, total);
    if (!buf)
        return NULL;
    memcpy(buf, f->signature, 5);
    buf[5] = f->version;
    uint32_t image_size = (uint32_t)body;
    if (f->image_size_mode == FIXTURE_IMAGE_SIZE_WITH_SUFFIX)
        image_size = (uint32_t)total;
    else if (f->image_size_mode == FIXTURE_IMAGE_SIZE_EXPLICIT)
        image_size = f->image_size_field;
    fixture_put32(buf + 6, image_size);
    buf[10] = f->targets_override ? f->targets_field : (uint8_t)f->target_count;
    size_t pos = FIXTURE_DFUSE_PREFIX_LEN;
    for (size_t i = 0; i < f->target_count; i++)
        pos += write_target(&f->targets[i], buf + pos);
    if (f->trailing_len)
        memcpy(buf + pos, f->trailing, f->trailing_len);
    pos += f->trailing_len;
    fixture_put16(buf + pos, f->bcd_device);
    fixture_put16(buf + pos + 2, f->pid);
    fixture_put16(buf + pos + 4, f->vid);
    fixture_put16(buf + pos + 6, f->bcd_dfu);
    memcpy(buf + pos + 8, f->ufd, 3);
    buf[pos + 11] = f->suffix_length;
    fixture_put32(buf + pos + 12, f->crc_override ? f->crc_field : fixture_dfu_crc(buf, pos + 12));
    *len = total;
    return buf;
}

void fixture_dfu_suffix(uint8_t *buf, size_t body, uint16_t vid, uint16_t pid,
                        uint16_t bcd_device, uint16_t bcd_dfu)
{
    uint8_t *s = buf + body;
    fixture_put16(s, bcd_device);
    fixture_put16(s + 2, pid);
    fixture_put16(s + 4, vid);
    fixture_put16(s + 6, bcd_dfu);
    memcpy(s + 8, "UFD", 3);
    s[11] = 16;
    fixture_put32(s + 12, fixture_dfu_crc(buf, body + 12));
}

uint8_t *fixture_dfu_plain_build(const uint8_t *data, size_t size, uint16_t vid, uint16_t pid,
                                 uint16_t bcd_device, size_t *len)
{
    uint8_t *buf = malloc(size + FIXTURE_DFU_SUFFIX_LEN);
    if (!buf)
        return NULL;
    if (size)
        memcpy(buf, data, size);
    fixture_dfu_suffix(buf, size, vid, pid, bcd_device, 0x0100);
    *len = size + FIXTURE_DFU_SUFFIX_LEN;
    return buf;
}
