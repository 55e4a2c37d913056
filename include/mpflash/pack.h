/* mpflash — MicroPython mboot's signed/encrypted firmware (firmware.pack.dfu).
 *
 * Boards whose mboot is built with MBOOT_ENABLE_PACKING=1 take a DfuSe file
 * made by ports/stm32/mboot/mboot_pack_dfu.py: each element is one chunk,
 * header <BBBBII (version 1, format, 0, 0, address, payload length), the
 * payload (encrypted firmware, maybe deflated; or the full-signature list),
 * a 64-byte signature, zero padding to 8 bytes (tools/dfu.py). Chunk sizes do
 * not match the flash they fill and consecutive elements overlap, so such a
 * file is recognised from its content and never merged or planned: it is
 * sent as mboot expects (mpf_dfu_deploy_pack).
 */
#ifndef MPFLASH_PACK_H
#define MPFLASH_PACK_H

#include <stddef.h>
#include <stdint.h>

#include "mpflash/engine.h"
#include "mpflash/error.h"
#include "mpflash/image.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ports/stm32/mboot/pack.h, enum mboot_pack_chunk_format. */
typedef enum mpf_pack_format {
    MPF_PACK_META = 0,
    MPF_PACK_FULL_SIG = 1,
    MPF_PACK_FW_RAW = 2,
    MPF_PACK_FW_GZIP = 3
} mpf_pack_format;

#define MPF_PACK_HEADER_BYTES 12u
#define MPF_PACK_SIG_BYTES 64u /* hydro_sign_BYTES */
#define MPF_PACK_BOX_BYTES 36u /* hydro_secretbox_HEADERBYTES */

typedef struct mpf_pack_chunk {
    size_t segment;    /* index into the image's segments (file order) */
    uint32_t address;  /* where the chunk says it goes = the element address */
    uint8_t format;    /* mpf_pack_format */
    uint32_t length;   /* payload bytes (for firmware: 36 + ciphertext) */
} mpf_pack_chunk;

typedef struct mpf_pack {
    mpf_pack_chunk *chunks; /* in file order */
    size_t count;
    size_t firmware_chunks;  /* FW_RAW and FW_GZIP */
    int gzip;                /* any FW_GZIP chunk */
    size_t regions;          /* (address, length) pairs the full signature covers */
    uint64_t signed_bytes;   /* their total length: the firmware's size in flash */
    uint64_t file_bytes;     /* element bytes sent */
} mpf_pack;

/* "meta", "full-sig", "fw-raw", "fw-gzip", or "format N". */
const char *mpf_pack_format_name(uint8_t format);

/* Is img, as loaded and before mpf_image_normalize, a packed mboot file?
 * 1 (and *out filled; free it with mpf_pack_free) when every segment is a
 * chunk for alt 0 whose header agrees with its element (version 1, a known
 * format, the element's address, 12 + length + 64 bytes plus at most 7 of
 * zero padding) and the last, and only the last, is the full signature with
 * a whole number of regions; 0 when not (*out empty); MPF_ERR_NOMEM
 * negated on failure to allocate. */
int mpf_pack_detect(const mpf_image *img, mpf_pack *out, mpf_error *err);
void mpf_pack_free(mpf_pack *p);

/* Send a packed file as mboot expects it (ports/stm32/mboot/pack.c): each
 * element from its own address in file order, in wTransferSize blocks
 * numbered from 2, nothing merged, erased, read back or skipped (mboot
 * erases as chunks arrive, refuses UPLOAD, and checks every chunk's
 * signature and the whole firmware's at the end). Then, when leave is set,
 * leave DFU mode (mboot restarts into the application). A chunk mboot
 * refuses stops the deploy with its status and own words ("Invalid
 * signature in file"). Progress is MPF_PHASE_WRITE over the element bytes. */
mpf_err mpf_dfu_deploy_pack(mpf_dfu *d, const mpf_image *img, const mpf_pack *p, int leave,
                            mpf_error *err);

#ifdef __cplusplus
}
#endif
#endif
