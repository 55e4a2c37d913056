/* Writing one contiguous run: the address pointer is set once, then data
 * blocks go out with wBlockNum 2, 3, 4, ... and each is acted on by the
 * GETSTATUS after it. That is 3 requests per block where pydfu and dfu-util
 * (which set the address before every block) need 6. A block the flash does
 * not need to send costs nothing: the next one sent carries its own
 * wBlockNum, still counted from the same pointer. */
#include <inttypes.h>
#include <stdio.h>

#include "engine/engine_internal.h"

static void count_skip(mpf_dfu *d, eng_fate fate)
{
    if (fate == ENG_SKIP_BLANK)
        d->stats.blocks_blank++;
    else if (fate == ENG_SKIP_KEPT)
        d->stats.blocks_unchanged++;
}

mpf_err eng_write_run(mpf_dfu *d, const eng_map *m, const mpf_plan_write *w, uint16_t block_size,
                      eng_progress *progress, mpf_error *err)
{
    /* The device places wBlockNum n at pointer + (n - 2) * ITS wTransferSize,
     * so blocks of any other size need a pointer of their own. */
    const int pointer_per_block = block_size != d->transfer_size;
    int pointed = 0;
    uint32_t pointer = 0;

    for (size_t off = 0; off < w->size;) {
        size_t left = w->size - off;
        uint16_t n = left < block_size ? (uint16_t)left : block_size;
        uint32_t address = w->address + (uint32_t)off;
        eng_fate fate = eng_block_fate(m, w->alt, address, w->data + off, n);
        off += n;
        if (fate != ENG_SEND) {
            count_skip(d, fate);
            /* Blank blocks are part of the write total (the erase wrote
             * them); blocks of sectors left alone are not. */
            if (fate == ENG_SKIP_BLANK)
                eng_progress_step(d, progress, n);
            continue;
        }
        uint32_t block = pointed ? (address - pointer) / block_size + MPF_DFUSE_FIRST_DATA_BLOCK : 0;
        if (!pointed || block > UINT16_MAX || pointer_per_block) {
            mpf_err rc = eng_set_address(d, address, err);
            if (rc != MPF_OK)
                return rc;
            pointer = address;
            pointed = 1;
            block = MPF_DFUSE_FIRST_DATA_BLOCK;
        }
        char what[ENG_WHAT_MAX];
        snprintf(what, sizeof what, "write of block %" PRIu32 " at 0x%08" PRIX32, block, address);
        mpf_err rc = eng_send_block(d, what, (uint16_t)block, w->data + (off - n), n, progress, err);
        if (rc != MPF_OK)
            return rc;
    }
    return MPF_OK;
}

mpf_err eng_send_block(mpf_dfu *d, const char *what, uint16_t block, const uint8_t *data, uint16_t n,
                       eng_progress *progress, mpf_error *err)
{
    mpf_err rc = eng_dnload(d, block, data, n, err);
    if (rc != MPF_OK)
        return eng_request_failed(d, rc, what, MPF_DFU_DNLOAD, err);
    rc = eng_wait_dnload_idle(d, what, MPF_DFU_TIMEOUT_MS, err);
    if (rc == MPF_OK)
        eng_progress_step(d, progress, n);
    return rc;
}
