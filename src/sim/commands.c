/* DfuSe commands and data blocks (ST AN3156, UM0424), executed by the
 * GETSTATUS that follows their DNLOAD, and DfuSe UPLOAD. */
#include <string.h>

#include "sim/sim_internal.h"

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

mpf_sim_op sim_classify(uint8_t request, uint16_t value, const uint8_t *data, uint16_t length,
                        int dir_in)
{
    switch (request) {
    case MPF_DFU_DNLOAD:
        if (dir_in)
            return MPF_SIM_OP_OTHER;
        if (length == 0)
            return MPF_SIM_OP_LEAVE;
        if (value == 0) {
            if (data[0] == MPF_DFUSE_CMD_SET_ADDRESS && length == 5)
                return MPF_SIM_OP_SET_ADDRESS;
            if (data[0] == MPF_DFUSE_CMD_ERASE && length == 5)
                return MPF_SIM_OP_ERASE;
            if (data[0] == MPF_DFUSE_CMD_ERASE && length == 1)
                return MPF_SIM_OP_MASS_ERASE;
            if (data[0] == MPF_DFUSE_CMD_READ_UNPROTECT && length == 1)
                return MPF_SIM_OP_UNPROTECT;
            return MPF_SIM_OP_OTHER;
        }
        return value >= MPF_DFUSE_FIRST_DATA_BLOCK ? MPF_SIM_OP_WRITE : MPF_SIM_OP_OTHER;
    case MPF_DFU_UPLOAD:
        return dir_in ? MPF_SIM_OP_UPLOAD : MPF_SIM_OP_OTHER;
    case MPF_DFU_GETSTATUS:
        return dir_in ? MPF_SIM_OP_GETSTATUS : MPF_SIM_OP_OTHER;
    case MPF_DFU_GETSTATE:
        return dir_in ? MPF_SIM_OP_GETSTATE : MPF_SIM_OP_OTHER;
    case MPF_DFU_CLRSTATUS:
        return dir_in ? MPF_SIM_OP_OTHER : MPF_SIM_OP_CLRSTATUS;
    case MPF_DFU_ABORT:
        return dir_in ? MPF_SIM_OP_OTHER : MPF_SIM_OP_ABORT;
    case MPF_DFU_DETACH:
        return dir_in ? MPF_SIM_OP_OTHER : MPF_SIM_OP_DETACH;
    default:
        return MPF_SIM_OP_OTHER;
    }
}

uint32_t sim_block_address(const mpf_sim *sim, uint16_t block)
{
    /* 32-bit arithmetic, wrapping as the device's own would. */
    return sim->pointer + (uint32_t)(block - MPF_DFUSE_FIRST_DATA_BLOCK) * sim->transfer_size;
}

uint32_t sim_command_argument(const uint8_t *data)
{
    return le32(data + 1);
}

static sim_outcome ok(uint64_t us)
{
    return (sim_outcome){ .failed = 0, .status = MPF_DFU_STATUS_OK, .us = us };
}

static sim_outcome fail(uint8_t status, uint64_t us)
{
    return (sim_outcome){ .failed = 1, .status = status, .us = us };
}

/* A bad address; mboot says which kind with iString (main.c: erase and
 * write of its own region, or of an address no flash backs). */
static sim_outcome bad_address(const mpf_sim *sim, int own_region)
{
    sim_outcome o = fail(sim->chip->bad_address_status, 0);
    if (sim->chip->reason_strings)
        o.istring = own_region ? SIM_MBOOT_STR_OVERWRITE_BOOTLOADER : SIM_MBOOT_STR_INVALID_ADDRESS;
    return o;
}

static int in_bootloader(const sim_chip *c, uint32_t address, uint64_t len)
{
    if (c->bootloader_size == 0)
        return 0;
    uint64_t end = (uint64_t)address + len;
    return address < (uint64_t)c->bootloader_start + c->bootloader_size &&
           end > c->bootloader_start;
}

/* The WB's secure area (FUS and the radio stack, from SFSA up): the flash
 * controller refuses to erase or program it from the application side
 * (RM0434 3.5: secure flash). */
static int in_secure_area(const mpf_sim *sim, uint32_t address, uint64_t len)
{
    uint32_t secure = sim_secure_start(sim);
    return secure && (uint64_t)address + len > secure;
}

static int flash_locked(const mpf_sim *sim)
{
    return sim->chip->honours_read_protection && sim_read_protected(sim);
}

static sim_outcome do_set_address(mpf_sim *sim, uint32_t address)
{
    if (sim->chip->checks_set_address && !sim_memory_find(&sim->mem, sim->alt, address, 1))
        return fail(sim->chip->bad_address_status, 0);
    sim->pointer = address;
    sim->leave_target = address;
    return ok(0);
}

static sim_outcome do_erase(mpf_sim *sim, uint32_t address)
{
    const sim_chip *c = sim->chip;
    sim_area *a = sim_memory_find(&sim->mem, sim->alt, address, 1);
    long i = a ? sim_area_sector_index(a, address) : -1;
    if (sim->pack)
        return ok(0); /* packing mboot erases by itself (main.c, do_page_erase) */
    if (!a || a->kind != SIM_KIND_FLASH || i < 0)
        return bad_address(sim, 0);
    const sim_sector *s = &a->sectors[i];
    if (!(s->type & SIM_MEM_ERASABLE) || !sim_area_is_backed(a, s->start, s->size))
        return bad_address(sim, 0);
    if (in_bootloader(c, s->start, s->size))
        return bad_address(sim, 1);
    if (flash_locked(sim))
        return fail(MPF_DFU_STATUS_ERR_VENDOR, 0);
    if (in_secure_area(sim, s->start, s->size))
        return fail(MPF_DFU_STATUS_ERR_ERASE, 0);
    if (sim_sector_write_protected(sim, a, (size_t)i)) {
        /* ST's bootloader reports success; the controller erased nothing. */
        if (c->silent_wp_erase)
            return ok(sim_erase_cost(sim, s->size));
        return fail(c->failure_status, 0);
    }
    sim_area_erase_sector(a, (size_t)i);
    sim_log_erase(sim, s->start);
    sim_outcome o = ok(sim_erase_cost(sim, s->size));
    o.stuck = sim_erase_sticks(sim, a, s->start);
    return o;
}

static void erase_all(mpf_sim *sim, sim_area *a)
{
    for (size_t i = 0; i < a->sector_count; i++) {
        const sim_sector *s = &a->sectors[i];
        if (!sim_area_is_backed(a, s->start, s->size))
            continue;
        sim_area_erase_sector(a, i);
        sim_log_erase(sim, s->start);
    }
}

static sim_outcome do_mass_erase(mpf_sim *sim)
{
    const sim_chip *c = sim->chip;
    sim_area *a = sim_memory_find(&sim->mem, sim->alt, 0x08000000u, 1);
    if (!a || a->kind != SIM_KIND_FLASH)
        return fail(c->bad_address_status, 0);
    if (flash_locked(sim))
        return fail(MPF_DFU_STATUS_ERR_VENDOR, 0);
    if (c->no_mass_erase)
        return fail(MPF_DFU_STATUS_ERR_ERASE, 0);
    if (!c->sector_mass_erase) {
        /* A bank erase with any sector write-protected is refused whole by
         * the flash controller; the ROM reports no error, as for sectors. */
        for (size_t i = 0; i < a->sector_count; i++) {
            if (sim_area_is_backed(a, a->sectors[i].start, a->sectors[i].size) &&
                sim_sector_write_protected(sim, a, i))
                return ok(0);
        }
        erase_all(sim, a);
        return ok(sim_mass_erase_cost(sim));
    }
    /* mboot erases sector by sector, skipping itself and sectors that do
     * not exist, and stops at the first the controller refuses. */
    uint64_t us = 0;
    for (size_t i = 0; i < a->sector_count; i++) {
        const sim_sector *s = &a->sectors[i];
        if (!sim_area_is_backed(a, s->start, s->size) || in_bootloader(c, s->start, s->size))
            continue;
        if (sim_sector_write_protected(sim, a, i))
            return fail(c->failure_status, us);
        sim_area_erase_sector(a, i);
        sim_log_erase(sim, s->start);
        us += sim_erase_cost(sim, s->size);
    }
    return ok(us);
}

/* 0x92: RDP back to level 0, which the chip pays for with all of its flash;
 * then it resets. Write protection does not stop this erase. */
static sim_outcome do_unprotect(mpf_sim *sim)
{
    sim_area *flash = sim_memory_first_of_kind(&sim->mem, SIM_KIND_FLASH);
    if (flash)
        erase_all(sim, flash);
    sim_set_rdp(sim, SIM_RDP_LEVEL0);
    sim_outcome o = ok(sim_mass_erase_cost(sim));
    o.resets = 1;
    return o;
}

static sim_outcome write_flash(mpf_sim *sim, sim_area *a, uint32_t address, const uint8_t *data,
                               uint16_t len)
{
    const sim_chip *c = sim->chip;
    for (long i = sim_area_sector_index(a, address);
         i >= 0 && (size_t)i < a->sector_count && a->sectors[i].start < (uint64_t)address + len;
         i++) {
        if (sim_sector_write_protected(sim, a, (size_t)i))
            return fail(c->wp_write_status, 0);
    }
    if (in_secure_area(sim, address, len))
        return fail(MPF_DFU_STATUS_ERR_WRITE, 0);
    if (c->ecc_word) {
        uint64_t us = sim_program_cost(sim, sim_ecc_span(address, len, c->ecc_word));
        if (sim_ecc_program(a, address, data, len, c->ecc_word) != 0)
            return fail(MPF_DFU_STATUS_ERR_PROG, us);
        return ok(us);
    }
    uint64_t us = sim_program_cost(sim, len);
    int refused = sim_area_program(a, address, data, len);
    /* mboot does not check what it programmed ("TODO verify data"): only a
     * read-back shows the damage there. */
    if (refused && c->reports_program_mismatch)
        return fail(MPF_DFU_STATUS_ERR_PROG, us);
    return ok(us);
}

static sim_outcome write_option_bytes(mpf_sim *sim, sim_area *a, uint32_t address,
                                      const uint8_t *data, uint16_t len)
{
    int was_protected = sim_read_protected(sim);
    sim_area_store(a, address, data, len);
    if (was_protected && !sim_read_protected(sim)) {
        /* Leaving RDP level 1 mass-erases the flash (RM0090). */
        sim_area *flash = sim_memory_first_of_kind(&sim->mem, SIM_KIND_FLASH);
        if (flash)
            erase_all(sim, flash);
    }
    sim_outcome o = ok(sim_program_cost(sim, len));
    o.resets = sim->chip->reset_after_option_write;
    return o;
}

static sim_outcome do_write(mpf_sim *sim, uint16_t block, const uint8_t *data, uint16_t len)
{
    const sim_chip *c = sim->chip;
    uint32_t address = sim_block_address(sim, block);
    if (sim->pack)
        return sim_pack_write(sim, address, data, len);
    sim_area *a = sim_memory_find(&sim->mem, sim->alt, address, len);
    if (!a || !(sim_area_range_type(a, address, len) & SIM_MEM_WRITABLE) ||
        !sim_area_is_backed(a, address, len))
        return bad_address(sim, 0);
    if (a->kind == SIM_KIND_FLASH && in_bootloader(c, address, len))
        return bad_address(sim, 1);
    if (flash_locked(sim) && (a->kind == SIM_KIND_FLASH || a->kind == SIM_KIND_OTP))
        return fail(MPF_DFU_STATUS_ERR_VENDOR, 0);
    sim->leave_target = address;
    switch (a->kind) {
    case SIM_KIND_FLASH:
        return write_flash(sim, a, address, data, len);
    case SIM_KIND_OTP:
        if (sim_area_program(a, address, data, len) != 0 && c->reports_program_mismatch)
            return fail(MPF_DFU_STATUS_ERR_PROG, sim_program_cost(sim, len));
        return ok(sim_program_cost(sim, len));
    case SIM_KIND_OPTION:
        return write_option_bytes(sim, a, address, data, len);
    case SIM_KIND_FEATURE:
    default:
        sim_area_store(a, address, data, len);
        return ok(0);
    }
}

sim_outcome sim_execute(mpf_sim *sim)
{
    const sim_pending *p = &sim->pending;
    switch (p->op) {
    case MPF_SIM_OP_SET_ADDRESS:
        return do_set_address(sim, sim_command_argument(p->data));
    case MPF_SIM_OP_ERASE:
        return do_erase(sim, sim_command_argument(p->data));
    case MPF_SIM_OP_MASS_ERASE:
        return do_mass_erase(sim);
    case MPF_SIM_OP_UNPROTECT:
        if (sim->chip->has_read_unprotect)
            return do_unprotect(sim);
        return fail(sim->chip->failure_status, 0);
    case MPF_SIM_OP_WRITE:
        return do_write(sim, p->block, p->data, p->length);
    default:
        /* An unknown command, or data block 1. */
        return fail(sim->chip->failure_status, 0);
    }
}

int sim_upload(mpf_sim *sim, uint16_t block, uint8_t *data, uint16_t length, size_t *received,
               uint8_t *stall_status)
{
    const sim_chip *c = sim->chip;
    *received = 0;
    if (block == 0) {
        static const uint8_t commands[] = { MPF_DFUSE_CMD_GET_COMMANDS,
                                            MPF_DFUSE_CMD_SET_ADDRESS, MPF_DFUSE_CMD_ERASE,
                                            MPF_DFUSE_CMD_READ_UNPROTECT };
        size_t n = c->has_read_unprotect ? sizeof commands : sizeof commands - 1;
        *received = length < n ? length : n;
        memcpy(data, commands, *received);
        return 0;
    }
    if (block == 1 || length > sim->transfer_size) {
        *stall_status = MPF_DFU_STATUS_ERR_STALLEDPKT;
        return -1;
    }
    if (length == 0)
        return 0;
    if (sim->pack) {
        /* Read disabled on packed (encrypted) mode: the bytes sent are not
         * flash, and the next GETSTATUS reports errFILE with iString 0x13
         * (main.c, do_read). */
        memset(data, 0, length);
        *received = length;
        sim->status = MPF_DFU_STATUS_ERR_FILE;
        sim->istring = SIM_MBOOT_STR_INVALID_READ;
        return 0;
    }
    uint32_t address = sim_block_address(sim, block);
    sim_area *a = sim_memory_find(&sim->mem, sim->alt, address, length);
    if (!a || !(sim_area_range_type(a, address, length) & SIM_MEM_READABLE) ||
        !sim_area_is_backed(a, address, length)) {
        *stall_status = c->bad_address_status;
        return -1;
    }
    if (flash_locked(sim) && a->kind == SIM_KIND_FLASH) {
        *stall_status = MPF_DFU_STATUS_ERR_VENDOR;
        return -1;
    }
    memcpy(data, a->bytes + (address - a->start), length);
    *received = length;
    return 0;
}
