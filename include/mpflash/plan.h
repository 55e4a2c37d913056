/* mpflash — the flash plan: a pure function from image + device to the
 * exact list of erases and writes. Nothing touches the device until a plan
 * has been built, so every refusal happens before any flash-changing request.
 */
#ifndef MPFLASH_PLAN_H
#define MPFLASH_PLAN_H

#include <stddef.h>
#include <stdint.h>

#include "mpflash/error.h"
#include "mpflash/image.h"
#include "mpflash/timing.h"
#include "mpflash/transport.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct mpf_plan_options {
    int mass_erase;           /* erase all of alt 0 instead of the touched sectors */
    int verify;               /* read back and compare after writing (needs canUpload) */
    int leave;                /* leave DFU mode at the end so the firmware starts */
    int has_leave_address;    /* else: the first segment of alt 0 */
    uint32_t leave_address;
    uint16_t transfer_size;   /* 0 = the device's wTransferSize */
    const mpf_timing *timing; /* for the estimate; NULL = STM32F4 typical */
} mpf_plan_options;

void mpf_plan_options_default(mpf_plan_options *o); /* verify and leave on */

typedef struct mpf_plan_erase {
    uint8_t alt;
    uint32_t address; /* sector start */
    uint32_t size;    /* sector size */
} mpf_plan_erase;

/* One contiguous run: the engine sets the address pointer once and sends
 * blocks of transfer_size with wBlockNum 2, 3, ... */
typedef struct mpf_plan_write {
    uint8_t alt;
    uint32_t address;
    const uint8_t *data; /* points into the image; the image must outlive the plan */
    size_t size;
} mpf_plan_write;

typedef struct mpf_plan {
    mpf_plan_erase *erases; /* sorted by (alt, address), each sector once */
    size_t erase_count;
    mpf_plan_write *writes; /* sorted by (alt, address) */
    size_t write_count;
    int mass_erase;
    int verify;
    int leave;
    uint32_t leave_address;
    uint16_t transfer_size;
    uint64_t erase_bytes;
    uint64_t write_bytes;
    uint64_t estimated_us; /* erase + program + USB, from the timing table */
} mpf_plan;

/* Check every byte of the image against the device's layouts (one per alt
 * setting, from dev->alts[].name) and build the plan. Refusals:
 * MPF_ERR_IMAGE_FIT for a byte outside a writable region, a sector that is not
 * erasable, or an alt setting the device does not have. */
mpf_err mpf_plan_build(const mpf_image *img, const mpf_device_info *dev,
                       const mpf_plan_options *opt, mpf_plan *out, mpf_error *err);
void mpf_plan_free(mpf_plan *p);

#ifdef __cplusplus
}
#endif
#endif
