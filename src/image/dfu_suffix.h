/* The 16-byte DFU 1.1 file suffix, shared by the DfuSe/DFU loader, format
 * detection and the DfuSe writer. Layout in file order: bcdDevice, idProduct,
 * idVendor, bcdDFU (u16 each), 'U','F','D', bLength (16), dwCRC (u32). */
#ifndef MPFLASH_IMAGE_DFU_SUFFIX_H
#define MPFLASH_IMAGE_DFU_SUFFIX_H

#include <stddef.h>
#include <stdint.h>

#include "mpflash/image.h"

#define MPF_DFU_SUFFIX_LEN 16u
#define MPF_DFU_BCD_DFUSE 0x011Au

typedef struct mpf_dfu_suffix {
    uint16_t bcd_device, pid, vid, bcd_dfu;
    uint32_t crc_stored;   /* dwCRC as written in the file */
    uint32_t crc_computed; /* raw CRC register over every byte before dwCRC */
} mpf_dfu_suffix;

/* 1 when the last 16 bytes carry the "UFD" signature and bLength 16; the
 * CRC is not looked at. */
int mpf_dfu_suffix_present(const uint8_t *buf, size_t len);

/* 1 when a suffix is present and its CRC matches. */
int mpf_dfu_suffix_valid(const uint8_t *buf, size_t len);

/* Read the suffix at the end of buf and compute the CRC. MPF_ERR_INPUT,
 * naming the file and offset, when there is no suffix. The CRC is not
 * judged here: see mpf_dfu_suffix_check_crc. */
mpf_err mpf_dfu_suffix_parse(const uint8_t *buf, size_t len, const char *name,
                             mpf_dfu_suffix *s, mpf_error *err);

/* MPF_ERR_INPUT for a CRC mismatch unless accept_bad_crc. */
mpf_err mpf_dfu_suffix_check_crc(const mpf_dfu_suffix *s, size_t len, const char *name,
                                 int accept_bad_crc, mpf_error *err);

/* Copy the suffix facts into the image. The first file's IDs are kept; a
 * later file with a bad CRC still clears crc_ok. */
void mpf_dfu_suffix_record(mpf_image *img, const mpf_dfu_suffix *s);

/* Write the 16-byte suffix at buf + body_len (room must be there), with a
 * CRC over buf[0, body_len + 12). */
void mpf_dfu_suffix_write(uint8_t *buf, size_t body_len, uint16_t bcd_device, uint16_t pid,
                          uint16_t vid, uint16_t bcd_dfu);

#endif
