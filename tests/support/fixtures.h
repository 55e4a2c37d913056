/* Shared test helpers. Each file in tests/support has one concern; its
 * declarations go here. */
#ifndef MPFLASH_TEST_FIXTURES_H
#define MPFLASH_TEST_FIXTURES_H

#include <stddef.h>
#include <stdint.h>

#include "mpflash/image.h"

/* Deterministic pseudo-random bytes (xorshift32); seed 0 is remapped. */
void fixture_fill_random(uint8_t *buf, size_t len, uint32_t seed);

/* A MicroPython-shaped STM32F4 image on alt 0: a 1,088-byte vector table at
 * 0x08000000 (initial SP 0x20020000, reset vector into the text) and
 * text_size bytes of firmware text at 0x08020000 (298 KiB when text_size is
 * 0). Returns 0 on success. */
int fixture_micropython_image(mpf_image *img, size_t text_size, uint32_t seed);

#define FIXTURE_MP_VECTOR_ADDR 0x08000000u
#define FIXTURE_MP_VECTOR_SIZE 1088u
#define FIXTURE_MP_TEXT_ADDR 0x08020000u
#define FIXTURE_MP_TEXT_DEFAULT_SIZE (298u * 1024u)

#endif
