/* Making chunks for the virtual packing mboot: what mboot_pack_dfu.py's
 * pack_chunk does, with the virtual board's test keys (pack_keys.c). */
#include <stdlib.h>
#include <string.h>

#include "sim/sim_internal.h"

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

mpf_err mpf_sim_pack_chunk(uint8_t format, uint32_t address, const uint8_t *body, size_t len,
                           uint8_t **out, size_t *out_len, mpf_error *err)
{
    *out = NULL;
    *out_len = 0;
    if (format > 3)
        return mpf_error_set(err, MPF_ERR_USAGE, "pack chunk format %u: mboot knows 0..3",
                             (unsigned)format);
    const int sealed = format >= 2;
    size_t payload = len + (sealed ? SIM_PACK_BOX_HEADER : 0);
    if (payload > SIM_PACK_CHUNKSIZE + SIM_PACK_BOX_HEADER)
        return mpf_error_set(err, MPF_ERR_USAGE,
                             "pack chunk at 0x%08X: %zu payload bytes, mboot's chunk buffer "
                             "holds %u",
                             (unsigned)address, payload, SIM_PACK_CHUNKSIZE + SIM_PACK_BOX_HEADER);
    size_t total = SIM_PACK_HEADER_BYTES + payload + SIM_PACK_SIG_BYTES;
    uint8_t *c = calloc(1, total);
    if (!c)
        return mpf_error_set(err, MPF_ERR_NOMEM, "out of memory for a %zu-byte chunk", total);
    c[0] = 1;
    c[1] = format;
    put32(c + 4, address);
    put32(c + 8, (uint32_t)payload);
    if (sealed)
        sim_box_seal(body, len, c + SIM_PACK_HEADER_BYTES);
    else if (len)
        memcpy(c + SIM_PACK_HEADER_BYTES, body, len);
    sim_sign(c, SIM_PACK_HEADER_BYTES + payload, c + SIM_PACK_HEADER_BYTES + payload);
    *out = c;
    *out_len = total;
    return MPF_OK;
}

void mpf_sim_pack_sign_firmware(const uint8_t *firmware, size_t len,
                                uint8_t sig[MPF_SIM_PACK_SIG_BYTES])
{
    sim_sign(firmware, len, sig);
}
