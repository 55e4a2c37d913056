#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixtures.h"

void fixture_fill_random(uint8_t *buf, size_t len, uint32_t seed)
{
    uint32_t x = seed ? seed : 0x9E3779B9u;
    for (size_t i = 0; i < len; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        buf[i] = (uint8_t)(x >> 24);
    }
}

int fixture_micropython_image(mpf_image *img, size_t text_size, uint32_t seed)
{
    if (text_size == 0)
        text_size = FIXTURE_MP_TEXT_DEFAULT_SIZE;
    uint8_t *vec = malloc(FIXTURE_MP_VECTOR_SIZE);
    uint8_t *text = malloc(text_size);
    if (!vec || !text) {
        free(vec);
        free(text);
        return -1;
    }
    fixture_fill_random(vec, FIXTURE_MP_VECTOR_SIZE, seed);
    fixture_fill_random(text, text_size, seed * 2654435761u + 1);
    fixture_put32(vec, 0x20020000u);
    fixture_put32(vec + 4, (FIXTURE_MP_TEXT_ADDR + 0x100u) | 1u);
    if (mpf_image_add_owned(img, 0, FIXTURE_MP_VECTOR_ADDR, vec, FIXTURE_MP_VECTOR_SIZE,
                            "fixture: isr_vector", NULL) != MPF_OK) {
        free(text);
        return -1;
    }
    if (mpf_image_add_owned(img, 0, FIXTURE_MP_TEXT_ADDR, text, text_size, "fixture: text", NULL) != MPF_OK)
        return -1;
    return mpf_image_normalize(img, NULL) == MPF_OK ? 0 : -1;
}

int fixture_same_segments(const mpf_image *a, const mpf_image *b, char *why, size_t why_size)
{
    if (a->count != b->count) {
        snprintf(why, why_size, "%zu segments, expected %zu", a->count, b->count);
        return 0;
    }
    for (size_t i = 0; i < a->count; i++) {
        const mpf_segment *x = &a->segments[i], *y = &b->segments[i];
        if (x->alt != y->alt || x->address != y->address || x->size != y->size) {
            snprintf(why, why_size, "segment %zu is alt %u, %zu bytes at 0x%08X; expected alt %u, %zu bytes at 0x%08X",
                     i, (unsigned)x->alt, x->size, (unsigned)x->address, (unsigned)y->alt, y->size,
                     (unsigned)y->address);
            return 0;
        }
        for (size_t k = 0; k < x->size; k++) {
            if (x->data[k] != y->data[k]) {
                snprintf(why, why_size, "segment %zu: byte at 0x%08X is 0x%02X, expected 0x%02X", i,
                         (unsigned)(x->address + k), x->data[k], y->data[k]);
                return 0;
            }
        }
    }
    return 1;
}
