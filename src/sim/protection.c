/* Read and write protection live where the chip keeps them: in the option
 * bytes, so reading alt 1 shows the same truth the device acts on. */
#include "sim/sim_internal.h"

/* STM32F4 option bytes as the ROM shows them at 0x1FFFC000: USER (FLASH_OPTCR
 * reset value's user bits, 0xEC), RDP 0xAA (level 0), then nWRP little-endian
 * at offset 8 (0x0FFF: no sector protected). Reserved bytes read as 0xFF. */
const uint8_t sim_option_defaults[SIM_OPTION_SIZE] = {
    0xEC, 0xAA, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
    0xFF, 0x0F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
};

#define RDP_OFFSET 1
#define NWRP_OFFSET 8
#define NWRP_BITS 12

static sim_area *option_area(const mpf_sim *sim)
{
    sim_area *a = sim_memory_first_of_kind(&sim->mem, SIM_KIND_OPTION);
    if (!a || a->start != SIM_OPTION_ADDRESS || a->backed < SIM_OPTION_SIZE)
        return NULL;
    return a;
}

int sim_read_protected(const mpf_sim *sim)
{
    const sim_area *a = option_area(sim);
    return a && a->bytes[RDP_OFFSET] != SIM_RDP_LEVEL0;
}

int sim_sector_write_protected(const mpf_sim *sim, const sim_area *flash, size_t index)
{
    const sim_area *a = option_area(sim);
    if (!a || flash->kind != SIM_KIND_FLASH || index >= NWRP_BITS)
        return 0;
    unsigned nwrp = a->bytes[NWRP_OFFSET] | (unsigned)a->bytes[NWRP_OFFSET + 1] << 8;
    return !(nwrp & (1u << index));
}

void sim_set_rdp(mpf_sim *sim, uint8_t rdp)
{
    sim_area *a = option_area(sim);
    if (a)
        a->bytes[RDP_OFFSET] = rdp;
}

void sim_clear_nwrp_bit(mpf_sim *sim, size_t index)
{
    sim_area *a = option_area(sim);
    if (!a || index >= NWRP_BITS)
        return;
    a->bytes[NWRP_OFFSET + index / 8] &= (uint8_t)~(1u << (index % 8));
}

void mpf_sim_set_read_protection(mpf_sim *sim, int enabled)
{
    sim_set_rdp(sim, enabled ? SIM_RDP_LEVEL1 : SIM_RDP_LEVEL0);
}

void mpf_sim_write_protect(mpf_sim *sim, uint32_t address)
{
    sim_area *flash = sim_memory_first_of_kind(&sim->mem, SIM_KIND_FLASH);
    if (!flash)
        return;
    long index = sim_area_sector_index(flash, address);
    const sim_sector *s = index >= 0 ? &flash->sectors[index] : NULL;
    if (s && sim_area_is_backed(flash, s->start, s->size))
        sim_clear_nwrp_bit(sim, (size_t)index);
}
