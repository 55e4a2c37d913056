/* Loading bytes that carry no address of their own (a raw .bin, or the body
 * of a plain DFU 1.1 file): the address comes from the user. */
#ifndef MPFLASH_IMAGE_RAW_LOAD_H
#define MPFLASH_IMAGE_RAW_LOAD_H

#include <stddef.h>
#include <stdint.h>

#include "mpflash/image.h"

/* Add data[0, len) at opt->address on opt->alt. `kind` says what the bytes
 * are for the messages ("raw binary file", "plain DFU file (no \"DfuSe\"
 * signature at offset 0)"). */
mpf_err mpf_load_raw(mpf_image *img, const uint8_t *data, size_t len, const char *name,
                     const char *kind, const mpf_load_options *opt, mpf_error *err);

#endif
