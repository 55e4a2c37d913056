/* Fuzz usb_config_to_bytes, which writes the configuration libusb parsed
 * into structs back out as descriptor bytes for mpf_usb_parse_config. The
 * structs come from the input split the way libusb splits a device's bytes
 * (the fake libusb's splitter, tests/fake_libusb/fake_config.c): unknown
 * descriptors ride in the `extra` bytes of what they follow, and interface
 * and endpoint counts are whatever the device claimed. It checks:
 *  - the bytes are one configuration: a 9-byte header whose wTotalLength is
 *    their length, then descriptors whose bLength walks exactly to the end;
 *  - or a refusal (a configuration too long for wTotalLength) that is a
 *    code with a one-line message;
 *  - writing is a fixed point: the bytes split and written again are the
 *    same bytes, so what the parser sees does not depend on the path;
 *  - the parser takes them without reading outside them, and what it
 *    accepts is within its own limits. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fake_internal.h"
#include "usb/usb_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok)
{
    if (!ok)
        abort();
}

static void check_one_configuration(const uint8_t *b, size_t len)
{
    check(len >= 9 && b[0] == 9 && b[1] == LIBUSB_DT_CONFIG);
    check((size_t)(b[2] | b[3] << 8) == len);
    size_t off = 0;
    while (off < len) {
        check(b[off] >= 2);
        off += b[off];
    }
    check(off == len);
}

static void check_parse(const uint8_t *b, size_t len)
{
    mpf_usb_dfu_config cfg;
    mpf_error err = {0};
    if (mpf_usb_parse_config(b, len, &cfg, &err) == MPF_OK) {
        check(cfg.count <= MPF_USB_MAX_DFU_INTERFACES);
        for (size_t i = 0; i < cfg.count; i++)
            check(cfg.interfaces[i].num_alts >= 1 && cfg.interfaces[i].num_alts <= MPF_MAX_ALTS);
    } else {
        check(err.code == MPF_ERR_PROTOCOL && err.message[0] && !strchr(err.message, '\n'));
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 65536)
        return 0;
    struct libusb_config_descriptor *c = fake_config_struct(data, size);
    if (!c)
        return 0; /* shorter than a configuration header, or no memory */
    uint8_t *out = NULL;
    size_t len = 0;
    mpf_error err = {0};
    mpf_err rc = usb_config_to_bytes(c, &out, &len, &err);
    fake_config_struct_free(c);
    if (rc != MPF_OK) {
        check((rc == MPF_ERR_PROTOCOL || rc == MPF_ERR_NOMEM) && err.code == rc);
        check(err.message[0] && !strchr(err.message, '\n') && out == NULL && len == 0);
        return 0;
    }
    check_one_configuration(out, len);

    struct libusb_config_descriptor *again = fake_config_struct(out, len);
    if (again) {
        uint8_t *out2 = NULL;
        size_t len2 = 0;
        check(usb_config_to_bytes(again, &out2, &len2, &err) == MPF_OK);
        check(len2 == len && memcmp(out2, out, len) == 0);
        free(out2);
        fake_config_struct_free(again);
    }
    check_parse(out, len);
    free(out);
    return 0;
}
