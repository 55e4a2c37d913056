/* Fuzz the way a firmware file reaches the loaders: mpf_write_file_atomic
 * writes the input to a file, mpf_load_file reads it back as "FILE" or
 * "ADDR:FILE" (file_io.c, then detection and dispatch in load.c, then the
 * format's loader, the raw-binary one included). It checks:
 *  - the file written reads back byte for byte (mpf_read_file);
 *  - loading the file gives exactly what mpf_load_buffer gives for the same
 *    bytes under the same name and options: outcome, message, segments, and
 *    the detected format; except that an address written in front of a
 *    DfuSe, ELF or Intel HEX file is refused, as those carry their own;
 *  - "ADDR:" is taken as an address exactly when ADDR is a number in C
 *    notation (0x.., 0.., decimal), and refused past 0xFFFFFFFF;
 *  - a raw binary loaded at an address is one segment of the whole file;
 *  - a name ending in .dfu, .hex or .elf (any case) promises that format:
 *    content of no known format (4 bytes or more, not blank) is refused as
 *    "not a DFU file" and the like unless an ADDR: says "raw binary";
 *  - a missing file, a directory, and a write into a missing directory are
 *    I/O errors; every refusal is a code with a one-line message.
 *
 * Input: byte 0 the options (bit 0 an address in the options, bit 1 an
 * "ADDR:" in front of the name, bit 2 accept a bad DFU CRC, bits 3-4 the
 * alt setting, bits 5-6 what the name points at: 0-1 the file, 2 nothing,
 * 3 the directory, bit 7 the file's name ends in the extension the low two
 * bits of byte 1 pick), bytes 1-4 the options' address (little-endian), then
 * with bit 1 the ADDR text up to the first '\n', then the file's content. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mpflash/image.h"
#include "test_os.h"
#include "owned_alike.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_ADDR_TEXT 40
/* Longer "digits:" prefixes are file names to mpf_load_file (load.c reads
 * the prefix into 32 bytes); no address is that long. */
#define ADDR_TEXT_LIMIT 31

static void check(int ok)
{
    if (!ok)
        abort();
}

/* One scratch directory per process, on tmpfs when there is one: every run
 * writes (and fsyncs) a file. */
static char *dir;
static char file[300];

static void remove_scratch(void)
{
    tos_remove_tree(dir);
    free(dir);
}

static int scratch(void)
{
    if (dir)
        return 1;
#ifdef _WIN32
    dir = tos_temp_dir("mpflash-fuzz");
#else
    dir = tos_temp_dir_in(access("/dev/shm", W_OK) == 0 ? "/dev/shm" : NULL, "mpflash-fuzz");
#endif
    if (!dir)
        return 0;
    atexit(remove_scratch);
    return 1;
}

static void check_refusal(mpf_err rc, const mpf_error *err)
{
    check(rc != MPF_OK && err->code == rc && err->message[0] != '\0');
    check(strchr(err->message, '\n') == NULL);
}

/* What "ADDR:" should mean, from the documented notation: 1 with the value
 * when the text before the first ':' is a whole number (saturated past
 * 64 bits) of at most ADDR_TEXT_LIMIT characters, 0 when the spec is a file
 * name. */
static int address_of(const char *spec, unsigned long long *value)
{
    const char *colon = strchr(spec, ':');
    if (!colon || colon == spec || spec[0] < '0' || spec[0] > '9')
        return 0;
    size_t n = (size_t)(colon - spec);
    char text[MAX_ADDR_TEXT + 1];
    if (n > ADDR_TEXT_LIMIT)
        return 0;
    memcpy(text, spec, n);
    text[n] = '\0';
    char *end = NULL;
    unsigned long long v = strtoull(text, &end, 0);
    if (*end != '\0')
        return 0;
    *value = v;
    return 1;
}

static int carries_addresses(mpf_format f)
{
    return f == MPF_FORMAT_DFUSE || f == MPF_FORMAT_ELF || f == MPF_FORMAT_IHEX;
}

static const char *const extensions[4] = {".dfu", ".HEX", ".Elf", ".bin"};

static int blank(const uint8_t *p, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (!strchr(" \t\r\n\v\f", p[i]) || p[i] == '\0')
            return 0;
    return 1;
}

/* The file is there: the same as loading its bytes from memory, unless
 * its name promises a format its content is not. */
static void compare_with_buffer(const uint8_t *content, size_t len, const mpf_load_options *opt,
                                int explicit_address, int promises, mpf_err rc,
                                const mpf_error *err, const mpf_image *img, mpf_format detected)
{
    mpf_format f = mpf_detect_format(content, len);
    if (explicit_address && carries_addresses(f)) {
        check(rc == MPF_ERR_INPUT && detected == f && img->count == 0);
        check(strstr(err->message, "carries its own addresses") != NULL);
        return;
    }
    mpf_image other;
    mpf_image_init(&other);
    mpf_error other_err = {0};
    mpf_format other_detected = MPF_FORMAT_UNKNOWN;
    mpf_err other_rc = mpf_load_buffer(&other, content, len, file, opt, &other_detected, &other_err);
    if (promises && !explicit_address && len >= 4 && !blank(content, len) &&
        other_detected == MPF_FORMAT_BIN) {
        check(rc == MPF_ERR_INPUT && img->count == 0 && detected == MPF_FORMAT_BIN);
        check(strstr(err->message, ": not ") && strstr(err->message, "give an address"));
        mpf_image_free(&other);
        return;
    }
    same_load_or_abort(rc, err, img, other_rc, &other_err, &other);
    check(detected == other_detected);
    if (rc == MPF_OK && img->format == MPF_FORMAT_BIN) {
        check(opt->has_address && img->count == 1);
        const mpf_segment *s = &img->segments[0];
        check(s->address == opt->address && s->alt == opt->alt && s->size == len);
        check(memcmp(s->data, content, len) == 0);
    }
    mpf_image_free(&other);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 5 || size > 65536 || !scratch())
        return 0;
    uint8_t flags = data[0];
    mpf_load_options opt = {0};
    opt.has_address = flags & 1;
    opt.address = (uint32_t)data[1] | (uint32_t)data[2] << 8 | (uint32_t)data[3] << 16 |
                  (uint32_t)data[4] << 24;
    opt.accept_bad_crc = (flags >> 2) & 1;
    opt.alt = (uint8_t)((flags >> 3) & 3);
    unsigned kind = (flags >> 5) & 3;
    size_t pos = 5;
    char addr_text[MAX_ADDR_TEXT + 2] = "";
    if (flags & 2) {
        size_t n = 0;
        while (pos < size && data[pos] != '\n' && n < MAX_ADDR_TEXT) {
            if (data[pos] == '\0')
                return 0; /* a command line has no NUL in it */
            addr_text[n++] = (char)data[pos++];
        }
        if (pos < size && data[pos] == '\n')
            pos++;
        addr_text[n++] = ':';
        addr_text[n] = '\0';
    }
    const uint8_t *content = data + pos;
    size_t len = size - pos;

    int named = flags >> 7;
    unsigned extension = data[1] & 3;
    snprintf(file, sizeof file, "%s/firmware%s", dir, named ? extensions[extension] : "");
    mpf_error err = {0};
    check(mpf_write_file_atomic(file, content, len, &err) == MPF_OK);
    uint8_t *back = NULL;
    size_t back_len = 0;
    check(mpf_read_file(file, &back, &back_len, &err) == MPF_OK);
    check(back_len == len && (len == 0 || memcmp(back, content, len) == 0));
    free(back);

    char missing[320], spec[400];
    snprintf(missing, sizeof missing, "%s/missing/firmware", dir);
    const char *target = kind < 2 ? file : kind == 2 ? missing : dir;
    snprintf(spec, sizeof spec, "%s%s", addr_text, target);

    mpf_image img;
    mpf_image_init(&img);
    mpf_format detected = MPF_FORMAT_UNKNOWN;
    mpf_err rc = mpf_load_file(&img, spec, &opt, &detected, &err);
    if (rc != MPF_OK) {
        check_refusal(rc, &err);
        check(img.count == 0);
    }

    unsigned long long address = 0;
    int explicit_address = address_of(spec, &address);
    const char *path = explicit_address ? strchr(spec, ':') + 1 : spec;
    if (explicit_address && address > UINT32_MAX) {
        check(rc == MPF_ERR_USAGE);
    } else if (strcmp(path, target) != 0) {
        check(rc == MPF_ERR_IO); /* "junk:FILE" names no file */
    } else if (kind >= 2) {
        check(rc == MPF_ERR_IO && img.count == 0);
        if (kind == 2) {
            check(mpf_write_file_atomic(missing, content, len, &err) == MPF_ERR_IO);
            check_refusal(MPF_ERR_IO, &err);
        }
    } else {
        if (explicit_address) {
            opt.has_address = 1;
            opt.address = (uint32_t)address;
        }
        compare_with_buffer(content, len, &opt, explicit_address, named && extension < 3, rc, &err,
                            &img, detected);
    }
    unlink(file);
    mpf_image_free(&img);
    return 0;
}
