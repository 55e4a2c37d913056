/* Loaders that take ownership of a malloc'd input buffer (for
 * mpf_load_buffer_owned): the buffer is freed, or becomes the largest
 * segment, whatever the outcome. Same checks and messages as the public
 * loaders of the same format. */
#ifndef MPFLASH_IMAGE_OWNED_LOAD_H
#define MPFLASH_IMAGE_OWNED_LOAD_H

#include <stddef.h>
#include <stdint.h>

#include "mpflash/image.h"

mpf_err mpf_load_dfuse_owned(mpf_image *img, uint8_t *buf, size_t len, const char *name,
                             const mpf_load_options *opt, mpf_error *err);
mpf_err mpf_load_elf_owned(mpf_image *img, uint8_t *buf, size_t len, const char *name,
                           const mpf_load_options *opt, mpf_error *err);
mpf_err mpf_load_bin_owned(mpf_image *img, uint8_t *buf, size_t len, const char *name,
                           const mpf_load_options *opt, mpf_error *err);

#endif
