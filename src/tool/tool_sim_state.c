/* --sim-state FILE: the virtual board's flash as a raw image, so a later
 * run (another process) finds what an earlier one wrote. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "mpflash/image.h"
#include "mpflash/layout.h"
#include "tool/tool_sim.h"

mpf_err tool_sim_state_region(const mpf_sim *sim, const mpf_device_info *info, uint32_t *base, size_t *len,
                              mpf_error *err)
{
    /* A plain DFU board's alt names are not layouts ("Arduino DFU" on the
     * Nano ESP32); the sim knows where its stream goes. */
    uint32_t start, size;
    if (mpf_sim_storage(sim, &start, &size)) {
        *base = start;
        *len = size;
        return MPF_OK;
    }
    if (info->num_alts == 0)
        return mpf_error_set(err, MPF_ERR_INTERNAL, "the virtual board has no memory to keep");
    mpf_layout l;
    mpf_err rc = mpf_layout_parse(info->alts[0].name, &l, err);
    if (rc)
        return rc;
    *base = l.count ? l.groups[0].start : 0;
    uint64_t end = *base;
    uint8_t probe;
    /* Contiguous sectors the chip really backs. */
    for (size_t g = 0; g < l.count; g++) {
        const mpf_sector_group *grp = &l.groups[g];
        if (grp->start != end)
            break;
        uint32_t i;
        for (i = 0; i < grp->count; i++) {
            uint64_t at = (uint64_t)grp->start + (uint64_t)i * grp->sector_size;
            if (mpf_sim_peek(sim, (uint32_t)at, &probe, 1) != 0)
                break;
            end = at + grp->sector_size;
        }
        if (i < grp->count)
            break;
    }
    mpf_layout_free(&l);
    *len = (size_t)(end - *base);
    return MPF_OK;
}

mpf_err tool_sim_state_load(mpf_sim *sim, const char *path, uint32_t base, size_t len, mpf_error *err)
{
    struct stat sb;
    if (stat(path, &sb) != 0 && errno == ENOENT)
        return MPF_OK;
    uint8_t *buf = NULL;
    size_t got = 0;
    mpf_err rc = mpf_read_file(path, &buf, &got, err);
    if (rc)
        return rc;
    if (got != len) {
        free(buf);
        return mpf_error_set(err, MPF_ERR_INPUT,
                             "--sim-state %s holds %zu bytes but this virtual board's flash is %zu bytes: it belongs to another chip; use another file or delete it",
                             path, got, len);
    }
    if (mpf_sim_poke(sim, base, buf, len) != 0)
        rc = mpf_error_set(err, MPF_ERR_INTERNAL, "could not load --sim-state %s into the virtual board", path);
    free(buf);
    return rc;
}

mpf_err tool_sim_state_save(const mpf_sim *sim, const char *path, uint32_t base, size_t len, mpf_error *err)
{
    uint8_t *buf = malloc(len ? len : 1);
    if (!buf)
        return mpf_error_set(err, MPF_ERR_NOMEM, "out of memory for %zu bytes", len);
    mpf_err rc;
    if (mpf_sim_peek(sim, base, buf, len) != 0)
        rc = mpf_error_set(err, MPF_ERR_INTERNAL, "could not read the virtual board's flash");
    else
        rc = mpf_write_file_atomic(path, buf, len, err);
    free(buf);
    return rc;
}
