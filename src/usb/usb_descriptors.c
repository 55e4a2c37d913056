/* Raw USB descriptor bytes -> DFU interfaces. Pure: the bytes may come from
 * a device, a file or a fuzzer, so every length is checked before use and a
 * malformed descriptor is an error, never a guess. */
#include <string.h>

#include "mpflash/dfu.h"
#include "mpflash/usb.h"

#define DT_CONFIG 0x02
#define DT_INTERFACE 0x04
#define CONFIG_LEN 9
#define INTERFACE_LEN 9
#define FUNCTIONAL_LEN_1_0 7 /* DFU 1.0 had no bcdDFUVersion */
#define FUNCTIONAL_LEN 9

static uint16_t le16(const uint8_t *p)
{
    return (uint16_t)(p[0] | (p[1] << 8));
}

/* The common part of a functional descriptor; blen is its bLength, already
 * known to lie within the buffer. */
static mpf_err decode_functional(const uint8_t *p, size_t blen, size_t offset,
                                 mpf_dfu_functional *out, mpf_error *err)
{
    if (blen < FUNCTIONAL_LEN_1_0)
        return mpf_error_set(err, MPF_ERR_PROTOCOL,
                             "DFU functional descriptor at offset %zu is %zu bytes (needs %d)",
                             offset, blen, FUNCTIONAL_LEN);
    out->attributes = p[2];
    out->detach_timeout_ms = le16(p + 3);
    out->transfer_size = le16(p + 5);
    out->dfu_version = blen >= FUNCTIONAL_LEN ? le16(p + 7) : 0x0100;
    return MPF_OK;
}

mpf_err mpf_usb_parse_functional(const uint8_t *desc, size_t len, mpf_dfu_functional *out,
                                 mpf_error *err)
{
    if (!desc || len < 2)
        return mpf_error_set(err, MPF_ERR_PROTOCOL,
                             "DFU functional descriptor is %zu bytes (needs %d)", desc ? len : 0,
                             FUNCTIONAL_LEN);
    if (desc[1] != MPF_DFU_FUNCTIONAL_DESCRIPTOR_TYPE)
        return mpf_error_set(err, MPF_ERR_PROTOCOL,
                             "expected a DFU functional descriptor (type 0x21), got type 0x%02x",
                             desc[1]);
    if (desc[0] > len)
        return mpf_error_set(err, MPF_ERR_PROTOCOL,
                             "DFU functional descriptor claims %u bytes but only %zu arrived",
                             desc[0], len);
    return decode_functional(desc, desc[0], 0, out, err);
}

static mpf_usb_dfu_interface *find_or_add(mpf_usb_dfu_config *cfg, uint8_t number,
                                          size_t offset, mpf_error *err)
{
    for (size_t i = 0; i < cfg->count; i++)
        if (cfg->interfaces[i].interface_number == number)
            return &cfg->interfaces[i];
    if (cfg->count == MPF_USB_MAX_DFU_INTERFACES) {
        mpf_error_set(err, MPF_ERR_PROTOCOL,
                      "more than %d DFU interfaces (interface %u at offset %zu)",
                      MPF_USB_MAX_DFU_INTERFACES, number, offset);
        return NULL;
    }
    mpf_usb_dfu_interface *it = &cfg->interfaces[cfg->count++];
    memset(it, 0, sizeof *it);
    it->interface_number = number;
    return it;
}

/* One interface descriptor (bLength already checked >= 9). Returns the DFU
 * interface it belongs to, or NULL with *rc MPF_OK when it is not DFU. */
static mpf_usb_dfu_interface *add_alt(mpf_usb_dfu_config *cfg, const uint8_t *p, size_t offset,
                                      mpf_err *rc, mpf_error *err)
{
    *rc = MPF_OK;
    uint8_t number = p[2], alt = p[3], cls = p[5], sub = p[6], proto = p[7];
    if (cls != MPF_USB_CLASS_APP_SPECIFIC || sub != MPF_USB_SUBCLASS_DFU)
        return NULL;
    /* Protocol 0 appears on some DfuSe devices in DFU mode; resolved once the
     * functional descriptor is known. Other values are not DFU. */
    if (proto != MPF_USB_PROTOCOL_DFU_RUNTIME && proto != MPF_USB_PROTOCOL_DFU_MODE &&
        proto != 0)
        return NULL;
    mpf_usb_dfu_interface *it = find_or_add(cfg, number, offset, err);
    if (!it) {
        *rc = MPF_ERR_PROTOCOL;
        return NULL;
    }
    for (size_t i = 0; i < it->num_alts; i++) {
        if (it->alts[i].alt == alt) {
            *rc = mpf_error_set(err, MPF_ERR_PROTOCOL,
                                "interface %u alt setting %u appears twice (offset %zu)", number,
                                alt, offset);
            return NULL;
        }
    }
    if (it->num_alts == MPF_MAX_ALTS) {
        *rc = mpf_error_set(err, MPF_ERR_PROTOCOL,
                            "interface %u has more than %d alt settings (offset %zu)", number,
                            MPF_MAX_ALTS, offset);
        return NULL;
    }
    /* Alt settings that disagree: any DFU-mode one makes the interface DFU mode. */
    if (proto == MPF_USB_PROTOCOL_DFU_MODE || it->mode == 0)
        it->mode = proto == MPF_USB_PROTOCOL_DFU_RUNTIME ? MPF_MODE_RUNTIME
                   : proto == MPF_USB_PROTOCOL_DFU_MODE  ? MPF_MODE_DFU
                                                         : (mpf_dfu_mode)0;
    it->alts[it->num_alts].alt = alt;
    it->alts[it->num_alts].string_index = p[8];
    it->num_alts++;
    return it;
}

/* Protocol-0 interfaces are DFU mode only if the device speaks DfuSe. */
static void resolve_modes(mpf_usb_dfu_config *cfg)
{
    size_t kept = 0;
    for (size_t i = 0; i < cfg->count; i++) {
        mpf_usb_dfu_interface *it = &cfg->interfaces[i];
        if (it->mode == 0) {
            if (!(it->has_functional && it->func.dfu_version == MPF_DFU_VERSION_DFUSE))
                continue;
            it->mode = MPF_MODE_DFU;
        }
        if (kept != i)
            cfg->interfaces[kept] = *it;
        kept++;
    }
    cfg->count = kept;
}

static mpf_err check_header(const uint8_t *desc, size_t len, size_t *limit, mpf_error *err)
{
    if (!desc || len < CONFIG_LEN)
        return mpf_error_set(err, MPF_ERR_PROTOCOL,
                             "configuration descriptor is %zu bytes (needs at least %d)",
                             desc ? len : 0, CONFIG_LEN);
    if (desc[1] != DT_CONFIG)
        return mpf_error_set(err, MPF_ERR_PROTOCOL,
                             "expected a configuration descriptor (type 0x02), got type 0x%02x",
                             desc[1]);
    if (desc[0] < CONFIG_LEN)
        return mpf_error_set(err, MPF_ERR_PROTOCOL,
                             "configuration descriptor bLength is %u (needs at least %d)",
                             desc[0], CONFIG_LEN);
    size_t total = le16(desc + 2);
    if (total < desc[0])
        return mpf_error_set(err, MPF_ERR_PROTOCOL,
                             "configuration wTotalLength %zu is shorter than its own header",
                             total);
    if (total > len)
        return mpf_error_set(err, MPF_ERR_PROTOCOL,
                             "configuration descriptor truncated: wTotalLength is %zu but only "
                             "%zu bytes arrived",
                             total, len);
    /* Bytes past wTotalLength belong to nothing and are ignored. */
    *limit = total;
    return MPF_OK;
}

mpf_err mpf_usb_parse_config(const uint8_t *desc, size_t len, mpf_usb_dfu_config *out,
                             mpf_error *err)
{
    memset(out, 0, sizeof *out);
    size_t limit = 0;
    mpf_err rc = check_header(desc, len, &limit, err);
    if (rc != MPF_OK)
        return rc;
    out->configuration_value = desc[5];
    mpf_usb_dfu_interface *current = NULL;
    size_t off = desc[0];
    while (off < limit) {
        if (limit - off < 2)
            return mpf_error_set(err, MPF_ERR_PROTOCOL,
                                 "descriptor at offset %zu is cut off after 1 byte", off);
        size_t blen = desc[off];
        uint8_t type = desc[off + 1];
        if (blen < 2)
            return mpf_error_set(err, MPF_ERR_PROTOCOL,
                                 "descriptor at offset %zu has bLength %zu", off, blen);
        if (blen > limit - off)
            return mpf_error_set(err, MPF_ERR_PROTOCOL,
                                 "descriptor at offset %zu (type 0x%02x, bLength %zu) runs past "
                                 "the end of the configuration (%zu bytes)",
                                 off, type, blen, limit);
        if (type == DT_INTERFACE) {
            if (blen < INTERFACE_LEN)
                return mpf_error_set(err, MPF_ERR_PROTOCOL,
                                     "interface descriptor at offset %zu is %zu bytes (needs %d)",
                                     off, blen, INTERFACE_LEN);
            current = add_alt(out, desc + off, off, &rc, err);
            if (rc != MPF_OK)
                return rc;
        } else if (type == MPF_DFU_FUNCTIONAL_DESCRIPTOR_TYPE && current) {
            /* Type 0x21 is also HID's: only inside a DFU interface is it ours. */
            if (!current->has_functional) {
                rc = decode_functional(desc + off, blen, off, &current->func, err);
                if (rc != MPF_OK)
                    return rc;
                current->has_functional = 1;
            }
        }
        off += blen;
    }
    resolve_modes(out);
    return MPF_OK;
}
