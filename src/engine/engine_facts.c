/* What the plan needs to know from the device beyond its descriptors: the
 * STM32WB's SFSA option byte, which says where the radio stack starts. Only
 * reads; a device that does not show or will not give the byte leaves the
 * fact unknown, and the plan then keeps the profile's fallback area. */
#include <string.h>

#include "engine/engine_internal.h"
#include "mpflash/chip.h"
#include "mpflash/layout.h"

#define FLASH_START 0x08000000u

/* The alt setting whose memory holds address, or -1. */
static int alt_holding(const mpf_device_info *info, uint32_t address)
{
    size_t n = info->num_alts < MPF_MAX_ALTS ? info->num_alts : MPF_MAX_ALTS;
    for (size_t i = 0; i < n; i++) {
        mpf_layout l;
        if (mpf_layout_parse(info->alts[i].name, &l, NULL) != MPF_OK)
            continue;
        uint8_t type = 0;
        int found = mpf_layout_find(&l, address, NULL, NULL, &type) &&
                    (type & MPF_MEM_READABLE);
        mpf_layout_free(&l);
        if (found)
            return info->alts[i].alt;
    }
    return -1;
}

mpf_err mpf_dfu_read_chip_facts(mpf_dfu *d, const mpf_chip *chip, mpf_chip_facts *out,
                                mpf_error *err)
{
    if (!out)
        return mpf_error_set(err, MPF_ERR_USAGE, "mpf_dfu_read_chip_facts: out is NULL");
    memset(out, 0, sizeof *out);
    if (!chip || !chip->sfsa_address)
        return MPF_OK;
    mpf_err rc = eng_require_open(d, "reading the option bytes", err);
    if (rc != MPF_OK)
        return rc;
    int alt = alt_holding(&d->transport->info, chip->sfsa_address);
    if (alt < 0) {
        eng_log(d, MPF_LOG_INFO, "the device shows no option bytes: where the %s radio stack "
                "starts is not known", chip->title);
        return MPF_OK;
    }
    uint8_t sfsa = 0;
    mpf_error why;
    if (mpf_dfu_read(d, (uint8_t)alt, chip->sfsa_address, &sfsa, 1, &why) != MPF_OK) {
        eng_log(d, MPF_LOG_WARN, "could not read the SFSA option byte (%s): keeping the %s "
                "fallback area free", why.message, chip->title);
        /* The device may sit in dfuERROR now: the next open clears it. */
        return MPF_OK;
    }
    out->sfsa_known = 1;
    out->stack_start = FLASH_START + (uint32_t)sfsa * chip->sfsa_unit;
    eng_log(d, MPF_LOG_INFO, "SFSA option byte 0x%02X: the radio stack starts at 0x%08X",
            (unsigned)sfsa, (unsigned)out->stack_start);
    return MPF_OK;
}
