/* Loading by content: detect the format, dispatch to its loader, and parse
 * the "ADDR:FILE" spelling used on the command line. */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "image/dfu_suffix.h"
#include "image/owned_load.h"
#include "mpflash/image.h"

/* The shortest signature of a known format ("\x7f" "ELF"): anything shorter
 * can only be a raw binary. */
#define SHORTEST_SIGNATURE 4

static int only_whitespace(const uint8_t *buf, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        uint8_t c = buf[i];
        if (c != ' ' && c != '\t' && c != '\r' && c != '\n' && c != '\v' && c != '\f')
            return 0;
    }
    return 1;
}

/* Content that matched no format and is not plausibly firmware either: say
 * what the file is rather than calling it a raw binary that lacks an
 * address. An explicit address says "raw binary", so only emptiness is
 * refused then. */
static mpf_err refuse_trivial(const uint8_t *buf, size_t len, const char *name, const mpf_load_options *opt,
                              mpf_error *err)
{
    if (len == 0)
        return mpf_error_set(err, MPF_ERR_INPUT,
                             "%s: the file is empty (0 bytes): nothing to flash; check the file name, or that "
                             "the build wrote it",
                             name);
    if (opt->has_address || opt->stream_ok)
        return MPF_OK;
    if (only_whitespace(buf, len))
        return mpf_error_set(err, MPF_ERR_INPUT,
                             "%s: the file holds only whitespace (%zu byte%s): no Intel HEX records and no "
                             "firmware; check the file name, or that the build wrote it",
                             name, len, len == 1 ? "" : "s");
    if (len < SHORTEST_SIGNATURE)
        return mpf_error_refuse(err, MPF_ERR_INPUT, MPF_REASON_NEEDS_ADDRESS,
                             "%s: the file is only %zu byte%s: too short to be a DfuSe, DFU, ELF or Intel HEX "
                             "file, and as a raw binary it has no load address; give it one (STM32 flash "
                             "starts at 0x08000000)",
                             name, len, len == 1 ? "" : "s");
    return MPF_OK;
}

static mpf_format detect_for_loading(const uint8_t *buf, size_t len, mpf_format *detected)
{
    mpf_format f = mpf_detect_format(buf, len);
    /* A DFU suffix with a wrong CRC is still a DFU file, not raw data:
     * flashing it as a .bin would write the suffix too. Let the DFU loader
     * report the damage (or accept it when asked to). */
    if (f == MPF_FORMAT_BIN && mpf_dfu_suffix_present(buf, len))
        f = MPF_FORMAT_DFU;
    if (detected)
        *detected = f;
    return f;
}

/* What the name promises: ".dfu", ".hex" or ".elf" in any case; NULL for
 * any other name (".bin" and the rest are taken for what their content is). */
static const char *promised_format(const char *path)
{
    static const struct {
        const char *suffix, *what;
    } promises[] = {{".dfu", "a DFU file"}, {".hex", "an Intel HEX file"}, {".elf", "an ELF file"}};
    size_t n = strlen(path);
    for (size_t i = 0; i < sizeof promises / sizeof promises[0]; i++) {
        size_t k = strlen(promises[i].suffix);
        if (n > k && strncasecmp(path + n - k, promises[i].suffix, k) == 0)
            return promises[i].what;
    }
    return NULL;
}

/* A guess at what a file that is no firmware format holds, for the message:
 * a web page saved in place of the file is the usual case. */
static const char *looks_like(const uint8_t *buf, size_t len)
{
    size_t i = len >= 3 && buf[0] == 0xEF && buf[1] == 0xBB && buf[2] == 0xBF ? 3 : 0;
    while (i < len && only_whitespace(buf + i, 1))
        i++;
    if (i + 1 < len && buf[i] == '<' && (buf[i + 1] == '!' || buf[i + 1] == '?' || isalpha(buf[i + 1])))
        return "looks like HTML";
    /* Text: no control characters but whitespace in the first few hundred
     * bytes (UTF-8 passes: its bytes are all 0x80 and up). */
    size_t end = len < 512 ? len : 512;
    for (size_t k = 0; k < end; k++)
        if ((buf[k] < 0x20 && !only_whitespace(buf + k, 1)) || buf[k] == 0x7F)
            return "binary data of no known format";
    return "looks like text";
}

/* A name that promises a format and content that is none: refused rather
 * than flashed as a raw binary (a saved 404 page named firmware.dfu would
 * otherwise only fail for want of an address, with advice to give one).
 * Too-short and blank files keep their own messages (refuse_trivial). */
static mpf_err refuse_misnamed(const uint8_t *buf, size_t len, const char *path, mpf_error *err)
{
    const char *promise = promised_format(path);
    if (!promise || len < SHORTEST_SIGNATURE || only_whitespace(buf, len) ||
        detect_for_loading(buf, len, NULL) != MPF_FORMAT_BIN)
        return MPF_OK;
    return mpf_error_set(err, MPF_ERR_INPUT,
                         "%s: not %s (%s); check that it was downloaded or built whole (a saved web page?), "
                         "or give an address (0x08000000:FILE) to flash it as a raw binary",
                         path, promise, looks_like(buf, len));
}

/* owned is NULL (the caller keeps buf) or buf itself, taken whatever
 * happens; api names the public entry point for its usage error. */
static mpf_err load_detected(mpf_image *img, const uint8_t *buf, size_t len, const char *name,
                             const mpf_load_options *opt, uint8_t *owned, mpf_format *detected, const char *api,
                             mpf_error *err)
{
    static const mpf_load_options no_options = {0};
    if (!img || (!buf && len)) {
        free(owned);
        return mpf_error_set(err, MPF_ERR_USAGE, "%s: img and buf must not be NULL", api);
    }
    if (!name)
        name = "(buffer)";
    if (!opt)
        opt = &no_options;
    mpf_err rc;
    switch (detect_for_loading(buf, len, detected)) {
    case MPF_FORMAT_DFUSE:
    case MPF_FORMAT_DFU:
        return owned ? mpf_load_dfuse_owned(img, owned, len, name, opt, err)
                     : mpf_load_dfuse(img, buf, len, name, opt, err);
    case MPF_FORMAT_ELF:
        return owned ? mpf_load_elf_owned(img, owned, len, name, opt, err)
                     : mpf_load_elf(img, buf, len, name, opt, err);
    case MPF_FORMAT_IHEX:
        /* Text decodes into new buffers anyway; nothing of it can be reused. */
        rc = mpf_load_ihex(img, buf, len, name, opt, err);
        break;
    default:
        rc = refuse_trivial(buf, len, name, opt, err);
        if (!rc)
            return owned ? mpf_load_bin_owned(img, owned, len, name, opt, err)
                         : mpf_load_bin(img, buf, len, name, opt, err);
        break;
    }
    free(owned);
    return rc;
}

mpf_err mpf_load_buffer(mpf_image *img, const uint8_t *buf, size_t len, const char *name,
                        const mpf_load_options *opt, mpf_format *detected, mpf_error *err)
{
    return load_detected(img, buf, len, name, opt, NULL, detected, "mpf_load_buffer", err);
}

mpf_err mpf_load_buffer_owned(mpf_image *img, uint8_t *buf, size_t len, const char *name,
                              const mpf_load_options *opt, mpf_format *detected, mpf_error *err)
{
    return load_detected(img, buf, len, name, opt, buf, detected, "mpf_load_buffer_owned", err);
}

/* "0x08000000" or "134217728": the whole prefix must be a number, so
 * "C:\fw.bin" and "a:b.dfu" stay file names. Returns 1 when it is one. */
static int parse_address_prefix(const char *spec, size_t n, unsigned long long *value)
{
    char text[32];
    if (n == 0 || n >= sizeof text || spec[0] < '0' || spec[0] > '9')
        return 0;
    memcpy(text, spec, n);
    text[n] = '\0';
    char *end = NULL;
    errno = 0;
    unsigned long long v = strtoull(text, &end, 0);
    if (*end != '\0')
        return 0;
    *value = errno == ERANGE ? ~0ull : v;
    return 1;
}

mpf_err mpf_load_file(mpf_image *img, const char *spec, const mpf_load_options *opt,
                      mpf_format *detected, mpf_error *err)
{
    if (!img || !spec)
        return mpf_error_set(err, MPF_ERR_USAGE, "mpf_load_file: img and spec must not be NULL");
    mpf_load_options o = {0};
    if (opt)
        o = *opt;
    const char *path = spec;
    int explicit_address = 0;
    const char *colon = strchr(spec, ':');
    unsigned long long address;
    if (colon && parse_address_prefix(spec, (size_t)(colon - spec), &address)) {
        if (address > UINT32_MAX)
            return mpf_error_set(err, MPF_ERR_USAGE,
                                 "\"%s\": the address %.*s is past 0xFFFFFFFF; STM32 addresses look like 0x08000000",
                                 spec, (int)(colon - spec), spec);
        path = colon + 1;
        if (*path == '\0')
            return mpf_error_set(err, MPF_ERR_USAGE, "\"%s\": no file name after the address; write ADDR:FILE",
                                 spec);
        explicit_address = 1;
        o.has_address = 1;
        o.address = (uint32_t)address;
    }

    uint8_t *buf = NULL;
    size_t len = 0;
    mpf_err rc = mpf_read_file(path, &buf, &len, err);
    if (rc)
        return rc;
    mpf_format f = mpf_detect_format(buf, len);
    if (explicit_address && (f == MPF_FORMAT_DFUSE || f == MPF_FORMAT_ELF || f == MPF_FORMAT_IHEX)) {
        free(buf);
        if (detected)
            *detected = f;
        return mpf_error_set(err, MPF_ERR_INPUT,
                             "%s is %s file, which carries its own addresses; drop the \"0x%08X:\" in front of it",
                             path, f == MPF_FORMAT_DFUSE ? "a DfuSe" : f == MPF_FORMAT_ELF ? "an ELF" : "an Intel HEX",
                             (unsigned)o.address);
    }
    if (!explicit_address && (rc = refuse_misnamed(buf, len, path, err))) {
        free(buf);
        if (detected)
            *detected = f;
        return rc;
    }
    return mpf_load_buffer_owned(img, buf, len, path, &o, detected, err);
}
