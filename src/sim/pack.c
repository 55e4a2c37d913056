/* mboot built with MBOOT_ENABLE_PACKING=1: data blocks are gathered into
 * chunks, each checked, decrypted, maybe inflated, and written with erases
 * it decides itself. Follows ports/stm32/mboot/pack.c (mboot_pack_write and
 * friends) and main.c; the cryptography is the stand-in of pack_keys.c.
 *
 * - A chunk starts at the first block after the previous one ended, or at
 *   APPLICATION_ADDR (which restarts assembly); its blocks must then come
 *   at or after that address and within the chunk buffer (12-byte header,
 *   MBOOT_PACK_CHUNKSIZE + 36 payload bytes, 64-byte signature), or the write
 *   fails with no status ("out of range": dfuERROR, bStatus OK).
 * - Once the header is in: version 1 (else errFILE), its address equal to
 *   where the chunk started (else errADDRESS), both with iString 0x12.
 * - Once header + length + signature are in: the signature is checked
 *   (errVERIFY, 0x12 "Invalid signature in file"); META is ignored;
 *   FULL_SIG checks the signature over the flash regions it lists;
 *   FW_RAW/FW_GZIP are decrypted (errVERIFY, 0x12) and written at the chunk
 *   address, GZIP inflated first (a bad stream fails with no status).
 * - Writing erases each sector the first time a write reaches it
 *   (mboot_pack_erase: one erased window that only grows upwards, so blocks
 *   must come in address order); the first 8 bytes at APPLICATION_ADDR are
 *   held back and written only after the full signature passed, so a
 *   firmware that fails the check never boots.
 * - Erase commands from the host do nothing (do_page_erase); UPLOAD is
 *   refused (commands.c). A mass erase still erases (do_mass_erase is not
 *   guarded in main.c).
 * Not modelled: META contents, SPI flash, mboot's 2 KiB inflate window
 * (the virtual board inflates a chunk at once, up to SIM_PACK_INFLATE_MAX). */
#include <stdlib.h>
#include <string.h>

#include "sim/sim_internal.h"

#define HEADER_VERSION 1u
#define FORMAT_META 0u
#define FORMAT_FULL_SIG 1u
#define FORMAT_FW_RAW 2u
#define FORMAT_FW_GZIP 3u
#define HEAD_BYTES 8u

#define CHUNK_PAYLOAD_MAX (SIM_PACK_CHUNKSIZE + SIM_PACK_BOX_HEADER)
#define CHUNK_BUF (SIM_PACK_HEADER_BYTES + CHUNK_PAYLOAD_MAX + SIM_PACK_SIG_BYTES)

struct sim_pack {
    uint32_t erased_base, erased_top;
    uint32_t chunk_base;
    uint8_t chunk[CHUNK_BUF];
    uint8_t plain[SIM_PACK_INFLATE_MAX];
    uint8_t head[HEAD_BYTES];
    int head_valid;
};

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

mpf_err sim_pack_new(mpf_sim *sim, mpf_error *err)
{
    sim->pack = calloc(1, sizeof *sim->pack);
    if (!sim->pack)
        return mpf_error_set(err, MPF_ERR_NOMEM, "virtual device: out of memory");
    return MPF_OK;
}

void sim_pack_free(mpf_sim *sim)
{
    free(sim->pack);
    sim->pack = NULL;
}

static sim_outcome done(uint64_t us)
{
    return (sim_outcome){.us = us};
}

static sim_outcome refused(uint8_t status, uint8_t istring, uint64_t us)
{
    return (sim_outcome){.failed = 1, .status = status, .istring = istring, .us = us};
}

static sim_area *flash_of(mpf_sim *sim)
{
    return sim_memory_first_of_kind(&sim->mem, SIM_KIND_FLASH);
}

static int in_mboot(const sim_chip *c, uint32_t start, uint32_t end)
{
    return start < c->bootloader_start + c->bootloader_size && end > c->bootloader_start;
}

/* hw_page_erase through mboot_flash_page_erase: the sector holding addr. */
static int erase_page(mpf_sim *sim, uint32_t addr, uint32_t *next, sim_outcome *o)
{
    sim_area *a = flash_of(sim);
    long i = a ? sim_area_sector_index(a, addr) : -1;
    if (i < 0 || !sim_area_is_backed(a, a->sectors[i].start, a->sectors[i].size)) {
        *o = refused(sim->chip->bad_address_status, SIM_MBOOT_STR_INVALID_ADDRESS, o->us);
        return -1;
    }
    const sim_sector *s = &a->sectors[i];
    *next = s->start + s->size;
    if (in_mboot(sim->chip, addr, *next)) {
        *o = refused(sim->chip->bad_address_status, SIM_MBOOT_STR_OVERWRITE_BOOTLOADER, o->us);
        return -1;
    }
    sim_area_erase_sector(a, (size_t)i);
    sim_log_erase(sim, s->start);
    o->us += sim_erase_cost(sim, s->size);
    return 0;
}

/* mboot_pack_erase: grow the erased window to cover [addr, addr + len). */
static int erase_for(mpf_sim *sim, uint32_t addr, size_t len, sim_outcome *o)
{
    struct sim_pack *p = sim->pack;
    while (!(p->erased_base <= addr && addr + len <= p->erased_top)) {
        uint32_t at;
        if (p->erased_base <= addr && addr < p->erased_top) {
            at = p->erased_top;
        } else {
            at = addr;
            p->erased_base = addr;
        }
        uint32_t next;
        if (erase_page(sim, at, &next, o) != 0)
            return -1;
        p->erased_top = next;
    }
    return 0;
}

static int program(mpf_sim *sim, uint32_t addr, const uint8_t *data, size_t len, sim_outcome *o)
{
    sim_area *a = flash_of(sim);
    if (!a || !sim_area_is_backed(a, addr, len)) {
        *o = refused(sim->chip->bad_address_status, SIM_MBOOT_STR_INVALID_ADDRESS, o->us);
        return -1;
    }
    if (in_mboot(sim->chip, addr, addr + (uint32_t)len)) {
        *o = refused(sim->chip->bad_address_status, SIM_MBOOT_STR_OVERWRITE_BOOTLOADER, o->us);
        return -1;
    }
    sim_area_program(a, addr, data, len); /* mboot does not check ("TODO verify data") */
    o->us += sim_program_cost(sim, len);
    return 0;
}

/* mboot_pack_commit_chunk */
static int commit(mpf_sim *sim, uint32_t addr, const uint8_t *data, size_t len, sim_outcome *o)
{
    struct sim_pack *p = sim->pack;
    if (erase_for(sim, addr, len, o) != 0)
        return -1;
    if (addr == sim->chip->app_address && len >= HEAD_BYTES) {
        memcpy(p->head, data, HEAD_BYTES);
        p->head_valid = 1;
        addr += HEAD_BYTES;
        data += HEAD_BYTES;
        len -= HEAD_BYTES;
    }
    return program(sim, addr, data, len, o);
}

static int full_signature(mpf_sim *sim, uint32_t length, sim_outcome *o)
{
    struct sim_pack *p = sim->pack;
    if (length < SIM_PACK_SIG_BYTES) {
        *o = refused(MPF_DFU_STATUS_OK, 0, o->us);
        return -1;
    }
    const uint8_t *regions = p->chunk + SIM_PACK_HEADER_BYTES;
    const uint8_t *sig = regions + length - SIM_PACK_SIG_BYTES;
    size_t count = (length - SIM_PACK_SIG_BYTES) / 8;
    sim_sip s;
    sim_sign_init(&s);
    for (size_t r = 0; r < count; r++) {
        uint32_t addr = le32(regions + 8 * r), len = le32(regions + 8 * r + 4);
        uint8_t piece[256];
        while (len) {
            uint32_t n = len < sizeof piece ? len : (uint32_t)sizeof piece;
            if (mpf_sim_peek(sim, addr, piece, n) != 0)
                memset(piece, 0xFF, n);
            if (addr == sim->chip->app_address && p->head_valid)
                memcpy(piece, p->head, n < HEAD_BYTES ? n : HEAD_BYTES);
            sim_sip_update(&s, piece, n);
            addr += n;
            len -= n;
        }
    }
    uint8_t want[SIM_PACK_SIG_BYTES];
    sim_sign_final(&s, want);
    if (memcmp(want, sig, sizeof want) != 0) {
        *o = refused(MPF_DFU_STATUS_ERR_VERIFY, SIM_MBOOT_STR_INVALID_SIG, o->us);
        return -1;
    }
    if (p->head_valid)
        return program(sim, sim->chip->app_address, p->head, HEAD_BYTES, o);
    return 0;
}

static int firmware(mpf_sim *sim, uint8_t format, uint32_t address, uint32_t length,
                    sim_outcome *o)
{
    struct sim_pack *p = sim->pack;
    const uint8_t *boxed = p->chunk + SIM_PACK_HEADER_BYTES;
    uint8_t *plain = p->plain;
    if (sim_box_open(boxed, length, plain) != 0) {
        *o = refused(MPF_DFU_STATUS_ERR_VERIFY, SIM_MBOOT_STR_INVALID_SIG, o->us);
        return -1;
    }
    size_t len = length - SIM_PACK_BOX_HEADER;
    if (format == FORMAT_FW_GZIP) {
        /* Inflated into the same buffer's tail would overlap: use the chunk
         * buffer, whose payload has been read. */
        uint8_t *packed = p->chunk;
        memcpy(packed, plain, len);
        if (sim_inflate(packed, len, plain, sizeof p->plain, &len) != 0) {
            *o = refused(MPF_DFU_STATUS_OK, 0, o->us); /* MBOOT_ERRNO_GUNZIP_FAILED */
            return -1;
        }
    }
    return commit(sim, address, plain, len, o);
}

sim_outcome sim_pack_write(mpf_sim *sim, uint32_t addr, const uint8_t *data, uint16_t len)
{
    struct sim_pack *p = sim->pack;
    if (addr == sim->chip->app_address)
        p->chunk_base = 0;
    if (p->chunk_base == 0)
        p->chunk_base = addr;
    if (addr < p->chunk_base || (uint64_t)(addr - p->chunk_base) + len > CHUNK_BUF) {
        p->chunk_base = 0;
        return refused(MPF_DFU_STATUS_OK, 0, 0); /* MBOOT_ERRNO_PACK_INVALID_ADDR */
    }
    size_t offset = addr - p->chunk_base;
    memcpy(p->chunk + offset, data, len);
    if (offset + len < SIM_PACK_HEADER_BYTES)
        return done(0);
    const uint8_t *h = p->chunk;
    uint32_t address = le32(h + 4), length = le32(h + 8);
    if (h[0] != HEADER_VERSION)
        return refused(MPF_DFU_STATUS_ERR_FILE, SIM_MBOOT_STR_INVALID_SIG, 0);
    if (address != p->chunk_base)
        return refused(MPF_DFU_STATUS_ERR_ADDRESS, SIM_MBOOT_STR_INVALID_SIG, 0);
    if (length > CHUNK_PAYLOAD_MAX ||
        offset + len < SIM_PACK_HEADER_BYTES + (size_t)length + SIM_PACK_SIG_BYTES)
        return done(0); /* not all of it yet (mboot's own bound is the buffer) */
    p->chunk_base = 0;
    if (sim_sign_verify(p->chunk, SIM_PACK_HEADER_BYTES + length,
                        p->chunk + SIM_PACK_HEADER_BYTES + length) != 0)
        return refused(MPF_DFU_STATUS_ERR_VERIFY, SIM_MBOOT_STR_INVALID_SIG, 0);
    sim_outcome o = done(0);
    switch (h[1]) {
    case FORMAT_META:
        return o;
    case FORMAT_FULL_SIG:
        full_signature(sim, length, &o);
        return o;
    case FORMAT_FW_RAW:
    case FORMAT_FW_GZIP:
        firmware(sim, h[1], address, length, &o);
        return o;
    default:
        return refused(MPF_DFU_STATUS_OK, 0, 0); /* MBOOT_ERRNO_PACK_INVALID_CHUNK */
    }
}
