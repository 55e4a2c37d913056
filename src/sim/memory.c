/* The device's memories: flash sectors, option bytes, OTP, device feature.
 * Flash is backed only as far as the chip really has it, which may be less
 * than its layout string claims (mboot on an F401). */
#include <stdlib.h>
#include <string.h>

#include "sim/sim_internal.h"

#define FLASH_BASE 0x08000000u

mpf_err sim_memory_back(sim_memory *mem, uint32_t flash_size, mpf_error *err)
{
    for (size_t i = 0; i < mem->count; i++) {
        sim_area *a = &mem->areas[i];
        a->backed = a->size;
        if (a->kind == SIM_KIND_FLASH) {
            uint64_t end = (uint64_t)FLASH_BASE + flash_size;
            if (a->start >= end)
                a->backed = 0;
            else if ((uint64_t)a->start + a->size > end)
                a->backed = (uint32_t)(end - a->start);
        }
        if (a->backed == 0)
            continue;
        a->bytes = malloc(a->backed);
        if (!a->bytes)
            return mpf_error_set(err, MPF_ERR_NOMEM, "virtual device: out of memory");
        memset(a->bytes, 0xFF, a->backed);
        if (a->kind == SIM_KIND_OPTION && a->start == SIM_OPTION_ADDRESS &&
            a->backed >= SIM_OPTION_SIZE)
            memcpy(a->bytes, sim_option_defaults, SIM_OPTION_SIZE);
    }
    return MPF_OK;
}

void sim_memory_free(sim_memory *mem)
{
    for (size_t i = 0; i < mem->count; i++) {
        free(mem->areas[i].bytes);
        free(mem->areas[i].sectors);
    }
    free(mem->areas);
    mem->areas = NULL;
    mem->count = 0;
}

static int area_holds(const sim_area *a, uint32_t address, uint64_t len)
{
    return address >= a->start && (uint64_t)address + len <= (uint64_t)a->start + a->size;
}

sim_area *sim_memory_find(const sim_memory *mem, uint8_t alt, uint32_t address, uint32_t len)
{
    for (size_t i = 0; i < mem->count; i++) {
        if (mem->areas[i].alt == alt && area_holds(&mem->areas[i], address, len ? len : 1))
            return &mem->areas[i];
    }
    return NULL;
}

sim_area *sim_memory_find_any(const sim_memory *mem, uint32_t address, size_t len)
{
    for (size_t i = 0; i < mem->count; i++) {
        if (area_holds(&mem->areas[i], address, len ? len : 1))
            return &mem->areas[i];
    }
    return NULL;
}

sim_area *sim_memory_first_of_kind(const sim_memory *mem, sim_kind kind)
{
    for (size_t i = 0; i < mem->count; i++) {
        if (mem->areas[i].kind == kind)
            return &mem->areas[i];
    }
    return NULL;
}

long sim_area_sector_index(const sim_area *a, uint32_t address)
{
    for (size_t i = 0; i < a->sector_count; i++) {
        const sim_sector *s = &a->sectors[i];
        if (address >= s->start && address - s->start < s->size)
            return (long)i;
    }
    return -1;
}

int sim_area_is_backed(const sim_area *a, uint32_t address, size_t len)
{
    return address >= a->start && (uint64_t)address + len <= (uint64_t)a->start + a->backed;
}

uint8_t sim_area_range_type(const sim_area *a, uint32_t address, size_t len)
{
    uint8_t type = SIM_MEM_READABLE | SIM_MEM_ERASABLE | SIM_MEM_WRITABLE;
    uint64_t end = (uint64_t)address + (len ? len : 1);
    for (size_t i = 0; i < a->sector_count; i++) {
        const sim_sector *s = &a->sectors[i];
        if ((uint64_t)s->start < end && (uint64_t)s->start + s->size > address)
            type &= s->type;
    }
    return type;
}

void sim_area_erase_sector(sim_area *a, size_t index)
{
    const sim_sector *s = &a->sectors[index];
    if (!sim_area_is_backed(a, s->start, s->size))
        return;
    memset(a->bytes + (s->start - a->start), 0xFF, s->size);
}

int sim_area_program(sim_area *a, uint32_t address, const uint8_t *data, size_t len)
{
    uint8_t *p = a->bytes + (address - a->start);
    int refused = 0;
    for (size_t i = 0; i < len; i++) {
        if ((p[i] & data[i]) != data[i])
            refused = 1;
        p[i] &= data[i];
    }
    return refused ? -1 : 0;
}

void sim_area_store(sim_area *a, uint32_t address, const uint8_t *data, size_t len)
{
    memcpy(a->bytes + (address - a->start), data, len);
}
