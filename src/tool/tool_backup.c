/* --backup FILE: what the plan is about to erase, read first. A DfuSe file
 * because that is what carries addresses and what -u takes back; written
 * through a temporary name, so a failed read leaves no file that looks like
 * a backup. */
#include <stdlib.h>

#include "tool/tool_flash.h"

mpf_err tool_backup_sectors(mpf_dfu *d, tool_progress *prog, const mpf_plan *plan, const uint8_t *unchanged,
                            const mpf_device_info *info, const char *file, uint64_t *bytes, mpf_error *err)
{
    uint64_t total = 0;
    for (size_t i = 0; i < plan->erase_count; i++)
        if (!unchanged || !unchanged[i])
            total += plan->erases[i].size;
    *bytes = 0;
    mpf_image img;
    mpf_image_init(&img);
    mpf_err rc = MPF_OK;
    uint64_t done = 0;
    const char *saved_name = prog->read_name;
    prog->read_name = "backup";
    for (size_t i = 0; i < plan->erase_count && !rc; i++) {
        const mpf_plan_erase *e = &plan->erases[i];
        if (unchanged && unchanged[i])
            continue;
        uint8_t *buf = malloc(e->size);
        if (!buf) {
            rc = mpf_error_set(err, MPF_ERR_NOMEM, "out of memory for the backup of the sector at 0x%08X",
                               (unsigned)e->address);
            break;
        }
        /* One "read" phase for the whole backup, not one per sector. */
        tool_progress_span(prog, done, total);
        rc = mpf_dfu_read(d, e->alt, e->address, buf, e->size, err);
        if (rc) {
            free(buf);
            mpf_error_prefix(err, "backup before erasing (nothing was erased)");
            break;
        }
        rc = mpf_image_add_owned(&img, e->alt, e->address, buf, e->size, "backup", err);
        done += e->size;
    }
    tool_progress_span(prog, 0, 0);
    prog->read_name = saved_name;
    if (!rc && img.count == 0) {
        /* Nothing will be erased: no file, rather than an empty one that
         * -u would refuse. */
        mpf_image_free(&img);
        return MPF_OK;
    }
    if (!rc)
        rc = mpf_image_normalize(&img, err);
    uint8_t *out = NULL;
    size_t len = 0;
    if (!rc) {
        mpf_dfuse_write_options o;
        mpf_dfuse_write_options_default(&o);
        /* -u checks the suffix against the board: make it this board's. */
        o.vid = info->vid;
        o.pid = info->pid;
        o.bcd_device = info->bcd_device;
        o.target_name = "mpflash backup";
        rc = mpf_write_dfuse(&img, &o, &out, &len, err);
    }
    if (!rc)
        rc = mpf_write_file_atomic(file, out, len, err);
    if (!rc)
        *bytes = done;
    free(out);
    mpf_image_free(&img);
    return rc;
}
