/* Raw binary files: the bytes as they go into flash, at an address the user
 * gives. */
#include "image/raw_load.h"
#include "mpflash/image.h"

mpf_err mpf_load_raw(mpf_image *img, const uint8_t *data, size_t len, const char *name,
                     const char *kind, const mpf_load_options *opt, mpf_error *err)
{
    if (!opt || !opt->has_address)
        return mpf_error_set(err, MPF_ERR_INPUT,
                             "%s: a %s has no load address; give an address: 0x08000000:FILE or -s 0x08000000",
                             name, kind);
    if (len == 0)
        return mpf_error_set(err, MPF_ERR_INPUT, "%s: offset 0: the %s is empty; nothing to flash", name, kind);
    if ((uint64_t)opt->address + len - 1 > UINT32_MAX)
        return mpf_error_set(err, MPF_ERR_INPUT,
                             "%s: %zu bytes at 0x%08X run past 0xFFFFFFFF (byte at offset %llu would wrap); check the address",
                             name, len, (unsigned)opt->address,
                             (unsigned long long)(0x100000000ull - opt->address));
    return mpf_image_add(img, opt->alt, opt->address, data, len, name, err);
}

mpf_err mpf_load_bin(mpf_image *img, const uint8_t *buf, size_t len, const char *name,
                     const mpf_load_options *opt, mpf_error *err)
{
    if (!img || (!buf && len))
        return mpf_error_set(err, MPF_ERR_USAGE, "mpf_load_bin: img and buf must not be NULL");
    if (!name)
        name = "(buffer)";
    mpf_err rc = mpf_load_raw(img, buf, len, name, "raw binary file", opt, err);
    if (!rc && img->format == MPF_FORMAT_UNKNOWN)
        img->format = MPF_FORMAT_BIN;
    return rc;
}
