/* Raw binary files: the bytes as they go into flash, at an address the user
 * gives. */
#include <stdlib.h>

#include "image/owned_load.h"
#include "image/raw_load.h"
#include "image/slices.h"
#include "mpflash/image.h"

mpf_err mpf_raw_slice(mpf_slices *s, size_t len, const char *name, const char *kind,
                      const mpf_load_options *opt, mpf_error *err)
{
    if (opt && !opt->has_address && opt->stream_ok && len > 0)
        return mpf_slices_push(s, opt->alt, 0, 0, len, name, err);
    if (!opt || !opt->has_address)
        return mpf_error_refuse(err, MPF_ERR_INPUT, MPF_REASON_NEEDS_ADDRESS,
                             "%s: a %s has no load address; give it one (STM32 flash starts at 0x08000000)",
                             name, kind);
    if (len == 0)
        return mpf_error_set(err, MPF_ERR_INPUT, "%s: offset 0: the %s is empty; nothing to flash", name, kind);
    if ((uint64_t)opt->address + len - 1 > UINT32_MAX)
        return mpf_error_set(err, MPF_ERR_INPUT,
                             "%s: %zu bytes at 0x%08X run past 0xFFFFFFFF (byte at offset %llu would wrap); check the address",
                             name, len, (unsigned)opt->address,
                             (unsigned long long)(0x100000000ull - opt->address));
    return mpf_slices_push(s, opt->alt, opt->address, 0, len, name, err);
}

/* owned is NULL (copy from buf) or buf itself, taken whatever happens. */
static mpf_err load_bin(mpf_image *img, const uint8_t *buf, size_t len, const char *name,
                        const mpf_load_options *opt, uint8_t *owned, mpf_error *err)
{
    if (!img || (!buf && len)) {
        free(owned);
        return mpf_error_set(err, MPF_ERR_USAGE, "mpf_load_bin: img and buf must not be NULL");
    }
    if (!name)
        name = "(buffer)";
    mpf_slices s;
    mpf_slices_init(&s);
    mpf_err rc = mpf_raw_slice(&s, len, name, "raw binary file", opt, err);
    if (!rc)
        rc = mpf_slices_commit(img, &s, buf, owned, err);
    else
        free(owned);
    mpf_slices_free(&s);
    if (!rc && img->format == MPF_FORMAT_UNKNOWN)
        img->format = MPF_FORMAT_BIN;
    if (!rc && opt && !opt->has_address && opt->stream_ok)
        img->streamed++;
    return rc;
}

mpf_err mpf_load_bin(mpf_image *img, const uint8_t *buf, size_t len, const char *name,
                     const mpf_load_options *opt, mpf_error *err)
{
    return load_bin(img, buf, len, name, opt, NULL, err);
}

mpf_err mpf_load_bin_owned(mpf_image *img, uint8_t *buf, size_t len, const char *name,
                           const mpf_load_options *opt, mpf_error *err)
{
    return load_bin(img, buf, len, name, opt, buf, err);
}
