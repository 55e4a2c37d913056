/* Deploying mboot's packed firmware (mpflash/pack.h). What mboot's pack.c
 * needs of the host, and why nothing else is sent:
 * - each element from its own address: mboot_pack_write starts a chunk at
 *   the first block it gets after the previous chunk ended (or at
 *   APPLICATION_ADDR) and requires the chunk header's address to equal it;
 *   elements overlap (a chunk is larger than the flash it fills), so they
 *   are never merged and each gets its own set-address;
 * - blocks in address order within an element: mboot copies each block at
 *   its offset from the chunk start and acts once the whole chunk is in;
 *   elements in file order: its automatic erase only grows upwards, and the
 *   full-signature chunk must come last;
 * - no erase (do_page_erase does nothing when packing, and a mass erase
 *   would wipe the application), no UPLOAD (do_read refuses: errFILE, "Read
 *   support disabled on encrypted bootloader"), so no skip-unchanged and no
 *   verify: the check is mboot's, a signature per chunk and one over the
 *   whole firmware, whose first 8 bytes it writes only if that passes. */
#include <inttypes.h>
#include <stdio.h>

#include "engine/engine_internal.h"
#include "mpflash/pack.h"

static mpf_err send_element(mpf_dfu *d, const mpf_segment *s, size_t index, size_t count,
                            eng_progress *progress, mpf_error *err)
{
    mpf_err rc = eng_set_address(d, s->address, err);
    if (rc != MPF_OK)
        return rc;
    const uint16_t bs = d->transfer_size;
    uint32_t block = MPF_DFUSE_FIRST_DATA_BLOCK;
    for (size_t off = 0; off < s->size; off += bs, block++) {
        uint16_t n = s->size - off < bs ? (uint16_t)(s->size - off) : bs;
        if (block > UINT16_MAX)
            return mpf_error_set(err, MPF_ERR_INPUT, "chunk %zu at 0x%08" PRIX32 " is too long "
                                 "for one address pointer", index + 1, s->address);
        char what[ENG_WHAT_MAX];
        snprintf(what, sizeof what, "chunk %zu of %zu at 0x%08" PRIX32 ", block %" PRIu32,
                 index + 1, count, s->address, block);
        rc = eng_dnload(d, (uint16_t)block, s->data + off, n, err);
        if (rc != MPF_OK)
            return eng_request_failed(d, rc, what, MPF_DFU_DNLOAD, err);
        /* mboot decrypts, inflates, erases and writes a whole chunk on its
         * last block: that GETSTATUS is held as long as an erase can take. */
        rc = eng_wait_dnload_idle(d, what, mpf_dfu_erase_timeout_ms(128u * 1024u), err);
        if (rc != MPF_OK)
            return rc;
        eng_progress_step(d, progress, n);
    }
    return MPF_OK;
}

mpf_err mpf_dfu_deploy_pack(mpf_dfu *d, const mpf_image *img, const mpf_pack *p, int leave,
                            mpf_error *err)
{
    if (!img || !p || p->count == 0 || p->count != img->count)
        return mpf_error_set(err, MPF_ERR_USAGE, "mpf_dfu_deploy_pack: no packed image");
    mpf_err rc = eng_require_open(d, "deploying a packed firmware", err);
    if (rc == MPF_OK)
        rc = eng_require_dfuse(d, "deploying a packed firmware", err);
    if (rc == MPF_OK && d->transfer_size == 0)
        rc = mpf_error_set(err, MPF_ERR_PROTOCOL, "the device reports wTransferSize 0");
    if (rc == MPF_OK)
        rc = eng_use_alt(d, 0, err);
    if (rc != MPF_OK)
        return rc;
    eng_progress progress = {.phase = MPF_PHASE_WRITE, .total = p->file_bytes};
    eng_progress_report(d, &progress);
    for (size_t i = 0; i < p->count && rc == MPF_OK; i++)
        rc = send_element(d, &img->segments[p->chunks[i].segment], i, p->count, &progress, err);
    if (rc != MPF_OK)
        return rc;
    eng_log(d, MPF_LOG_INFO, "%zu chunks sent; mboot checked each one's signature and the "
            "whole firmware's", p->count);
    return leave ? mpf_dfu_leave(d, img->segments[p->chunks[0].segment].address, err) : MPF_OK;
}
