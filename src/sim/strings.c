/* The string descriptors the virtual device answers: the ones enumeration
 * reads, and mboot's reasons, which GETSTATUS names by index in iString
 * (micropython ports/stm32/mboot/dfu.h: 0x10..0x13; main.c answers 0x12 and
 * 0x13 only when built with MBOOT_ENABLE_PACKING). */
#include "sim/sim_internal.h"

/* The STM32F072 ROM gives every chip this serial number (FACTS.md, ROM quirks). */
#define SHARED_SERIAL "FFFFFFFEFFFF"

const char *sim_serial(const mpf_sim *sim)
{
    return (sim->quirks & MPF_SIM_QUIRK_SHARED_SERIAL) ? SHARED_SERIAL : sim->serial;
}

static const char *mboot_reason(const mpf_sim *sim, uint8_t index)
{
    switch (index) {
    case SIM_MBOOT_STR_OVERWRITE_BOOTLOADER:
        return "Can't overwrite mboot";
    case SIM_MBOOT_STR_INVALID_ADDRESS:
        return "Address out of range";
    case SIM_MBOOT_STR_INVALID_SIG:
        return sim->pack ? "Invalid signature in file" : NULL;
    case SIM_MBOOT_STR_INVALID_READ:
        return sim->pack ? "Read support disabled on encrypted bootloader" : NULL;
    default:
        return NULL;
    }
}

const char *sim_string(const mpf_sim *sim, uint8_t index)
{
    const sim_chip *c = sim->chip;
    switch (index) {
    case 1:
        return c->manufacturer;
    case 2:
        return c->product;
    case 3:
        return sim_serial(sim)[0] ? sim_serial(sim) : NULL;
    default:
        break;
    }
    if (index >= 4 && (size_t)(index - 4) < c->num_alts)
        return c->alts[index - 4].layout;
    return c->reason_strings ? mboot_reason(sim, index) : NULL;
}
