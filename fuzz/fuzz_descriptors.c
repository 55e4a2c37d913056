/* Fuzz the USB descriptor parsers: a configuration descriptor and a DFU
 * functional descriptor come from the device, so they are untrusted input.
 * Beyond "no crash, no over-read" it checks the parser's promises:
 *  - a refusal is MPF_ERR_PROTOCOL with a one-line message;
 *  - an accepted configuration has at most MPF_USB_MAX_DFU_INTERFACES DFU
 *    interfaces, each with 1..MPF_MAX_ALTS distinct alt settings, distinct
 *    interface numbers, and a mode that is runtime or DFU;
 *  - bytes after wTotalLength change nothing, and parsing is repeatable;
 *  - a functional descriptor decodes its fields where the spec puts them. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mpflash/dfu.h"
#include "mpflash/usb.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok)
{
    if (!ok)
        abort();
}

static void check_refusal(mpf_err rc, const mpf_error *err)
{
    check(rc == MPF_ERR_PROTOCOL && err->code == rc && err->message[0] != '\0');
    check(strchr(err->message, '\n') == NULL);
}

static void check_config(const mpf_usb_dfu_config *c)
{
    check(c->count <= MPF_USB_MAX_DFU_INTERFACES);
    for (size_t i = 0; i < c->count; i++) {
        const mpf_usb_dfu_interface *it = &c->interfaces[i];
        check(it->mode == MPF_MODE_RUNTIME || it->mode == MPF_MODE_DFU);
        check(it->num_alts >= 1 && it->num_alts <= MPF_MAX_ALTS);
        for (size_t j = 0; j < i; j++)
            check(c->interfaces[j].interface_number != it->interface_number);
        for (size_t a = 0; a < it->num_alts; a++)
            for (size_t b = 0; b < a; b++)
                check(it->alts[a].alt != it->alts[b].alt);
    }
}

static void fuzz_config(const uint8_t *data, size_t size)
{
    mpf_usb_dfu_config a, b;
    mpf_error err;
    mpf_error_clear(&err);
    mpf_err rc = mpf_usb_parse_config(data, size, &a, &err);
    if (rc != MPF_OK) {
        check_refusal(rc, &err);
        return;
    }
    check_config(&a);
    /* The same bytes with junk after them (past wTotalLength): same answer. */
    uint8_t *longer = malloc(size + 7);
    if (!longer)
        return;
    memcpy(longer, data, size);
    memset(longer + size, 0x04, 7);
    check(mpf_usb_parse_config(longer, size + 7, &b, &err) == MPF_OK);
    check(memcmp(&a, &b, sizeof a) == 0);
    free(longer);
}

static void fuzz_functional(const uint8_t *data, size_t size)
{
    mpf_dfu_functional f;
    mpf_error err;
    mpf_error_clear(&err);
    mpf_err rc = mpf_usb_parse_functional(data, size, &f, &err);
    if (rc != MPF_OK) {
        check_refusal(rc, &err);
        return;
    }
    check(size >= 7 && data[0] >= 7 && data[0] <= size &&
          data[1] == MPF_DFU_FUNCTIONAL_DESCRIPTOR_TYPE);
    check(f.attributes == data[2]);
    check(f.detach_timeout_ms == (uint16_t)(data[3] | data[4] << 8));
    check(f.transfer_size == (uint16_t)(data[5] | data[6] << 8));
    check(f.dfu_version == (data[0] >= 9 ? (uint16_t)(data[7] | data[8] << 8) : 0x0100));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 65536)
        return 0;
    fuzz_config(data, size);
    fuzz_functional(data, size);
    return 0;
}
