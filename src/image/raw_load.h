/* Loading bytes that carry no address of their own (a raw .bin, or the body
 * of a plain DFU 1.1 file): the address comes from the user. */
#ifndef MPFLASH_IMAGE_RAW_LOAD_H
#define MPFLASH_IMAGE_RAW_LOAD_H

#include <stddef.h>
#include <stdint.h>

#include "image/slices.h"
#include "mpflash/image.h"

/* List the first len bytes of the input as one slice at opt->address on
 * opt->alt, after checking they can go there. `kind` says what the bytes
 * are for the messages ("raw binary file", "plain DFU file (no \"DfuSe\"
 * signature at offset 0)"). */
mpf_err mpf_raw_slice(mpf_slices *s, size_t len, const char *name, const char *kind,
                      const mpf_load_options *opt, mpf_error *err);

#endif
