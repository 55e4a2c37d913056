/* Writing one contiguous run: the address pointer is set once, then data
 * blocks go out with wBlockNum 2, 3, 4, ... and each is acted on by the
 * GETSTATUS after it. That is 3 requests per block where pydfu and dfu-util
 * (which set the address before every block) need 6. */
#include <inttypes.h>
#include <stdio.h>

#include "dfu/engine_internal.h"

mpf_err eng_write_run(mpf_dfu *d, const mpf_plan_write *w, uint16_t block_size,
                      eng_progress *progress, mpf_error *err)
{
    /* The device places wBlockNum n at pointer + (n - 2) * ITS wTransferSize,
     * so blocks of any other size need a pointer of their own. */
    const int pointer_per_block = block_size != d->transfer_size;
    uint32_t block = 0; /* next wBlockNum; 0 = the pointer must be set first */

    for (size_t off = 0; off < w->size;) {
        size_t left = w->size - off;
        uint16_t n = left < block_size ? (uint16_t)left : block_size;
        uint32_t address = w->address + (uint32_t)off;
        if (block == 0 || block > UINT16_MAX || pointer_per_block) {
            mpf_err rc = eng_set_address(d, address, err);
            if (rc != MPF_OK)
                return rc;
            block = MPF_DFUSE_FIRST_DATA_BLOCK;
        }
        char what[ENG_WHAT_MAX];
        snprintf(what, sizeof what, "write of block %" PRIu32 " at 0x%08" PRIX32, block, address);
        mpf_err rc = eng_dnload(d, (uint16_t)block, w->data + off, n, err);
        if (rc != MPF_OK)
            return eng_request_failed(d, rc, what, MPF_DFU_DNLOAD, err);
        rc = eng_wait_dnload_idle(d, what, MPF_DFU_TIMEOUT_MS, err);
        if (rc != MPF_OK)
            return rc;
        off += n;
        block++;
        eng_progress_step(d, progress, n);
    }
    return MPF_OK;
}
