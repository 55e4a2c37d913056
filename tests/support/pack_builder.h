/* mboot_pack_dfu.py's pack-dfu in C, for the virtual packing mboot: the
 * same chunking, order, addresses and padding, deflate from zlib (level 9,
 * memLevel 9, raw, as the script asks of Python's zlib), and the virtual
 * board's test keys (mpf_sim_pack_chunk) instead of libhydrogen. */
#ifndef MPFLASH_TEST_PACK_BUILDER_H
#define MPFLASH_TEST_PACK_BUILDER_H

#include <stddef.h>
#include <stdint.h>

#include "mpflash/image.h"

/* fw normalized (sorted by address). out gets one segment per chunk in file
 * order, the full-signature chunk last; format DfuSe. 0 on success. */
int pack_image(const mpf_image *fw, size_t chunk_size, int gzip, mpf_image *out);
/* The DfuSe file bytes of a pack image (malloc'd). 0 on success. */
int pack_file(const mpf_image *pack, uint8_t **dfu, size_t *len);
/* The file loaded back as mpflash loads it (not normalized). 0 on success. */
int pack_load(const uint8_t *dfu, size_t len, mpf_image *out);

#endif
