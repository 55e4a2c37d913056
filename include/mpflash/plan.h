/* mpflash — the flash plan: a pure function from image + device to the
 * exact list of erases and writes. Nothing touches the device until a plan
 * has been built, so every refusal happens before any flash-changing request.
 */
#ifndef MPFLASH_PLAN_H
#define MPFLASH_PLAN_H

#include <stddef.h>
#include <stdint.h>

#include "mpflash/chip.h"
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
    const mpf_timing *timing; /* for the estimate; NULL = the chip profile's typical */
    int force;                /* allow writing "Option Bytes" and "OTP..." regions, and an
                               * image whose DFU suffix names another USB ID */
    const mpf_chip *chip;     /* the family's rules; NULL = mpf_chip_pick(dev) */
    const mpf_chip_facts *facts; /* what was read from the device (SFSA); NULL = nothing */
    int final_detach;         /* plain DFU: leave by DETACH instead of a USB reset */
    uint32_t poll_ms;         /* plain DFU: bwPollTimeout per block for the estimate */
    int one_alt;              /* the caller chose one alt setting (dfu-util's -a): data for
                               * any other is refused, rather than half the file flashed */
    uint8_t alt;              /* that alt setting */
} mpf_plan_options;

void mpf_plan_options_default(mpf_plan_options *o); /* verify and leave on */

/* Where plan->leave_address came from. */
typedef enum mpf_leave_from {
    MPF_LEAVE_FROM_NONE = 0, /* no leave requested */
    MPF_LEAVE_FROM_OPTION,   /* opt->leave_address */
    MPF_LEAVE_FROM_IMAGE,    /* the first address of the image's alt 0 data */
    MPF_LEAVE_FROM_LAYOUT    /* no alt 0 data: the device's alt 0 starts at 0x08000000 */
} mpf_leave_from;

typedef struct mpf_plan_erase {
    uint8_t alt;
    uint32_t address; /* sector start */
    uint32_t size;    /* sector size */
} mpf_plan_erase;

/* One contiguous run: the engine sets the address pointer once and sends
 * blocks of transfer_size with wBlockNum 2, 3, ... A segment longer than
 * MPF_PLAN_MAX_RUN_BLOCKS blocks is split into several runs, since wBlockNum
 * is 16 bits. */
#define MPF_PLAN_MAX_RUN_BLOCKS 65534u

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
    int mass_erase; /* a mass erase of alt setting 0 replaces its sector erases;
                     * erasable sectors on other alts are still in erases[] */
    int verify;
    int verify_dropped;      /* opt->verify was set but the device cannot upload */
    const char *verify_note; /* why verify was dropped (static text), else NULL */
    int leave;
    uint32_t leave_address;
    mpf_leave_from leave_from;
    const char *leave_note; /* static text saying where leave_address came from */
    int writes_option_bytes; /* an "Option Bytes" region is written (opt->force) */
    int writes_otp;          /* an "OTP..." region is written: permanent (opt->force) */
    uint16_t transfer_size;
    /* Plain DFU 1.1 device (not DfuSe): each write is a stream from the
     * start of its alt (address 0 = its first byte), there are no erases,
     * and leaving is manifestation + USB reset, or DETACH with final_detach. */
    int plain;
    int final_detach;
    uint32_t poll_ms; /* bwPollTimeout per block the estimate assumes */
    uint64_t erase_bytes; /* sectors erased; with mass_erase, alt 0's erasable bytes too */
    uint64_t write_bytes;
    uint64_t estimated_us; /* erase + program + USB, from the timing table */
    const mpf_chip *chip;  /* the family profile the plan follows (static data) */
    const char *chip_why;  /* why that profile: "--chip", or the evidence (static text) */
    uint8_t *padded;       /* owned: writes widened to whole flash words point here */
} mpf_plan;

/* Check every byte of the image against the device's layouts (one per alt
 * setting, from dev->alts[].name) and build the plan. img must be
 * normalized; opt NULL = defaults. Refusals, all before any device I/O,
 * for DfuSe and plain DFU devices alike unless marked:
 * - MPF_ERR_IMAGE_FIT: a byte outside the layout or in a sector that is not
 *   writable, or an alt setting the device does not have;
 * - MPF_ERR_REFUSED, MPF_REASON_NEEDS_FORCE: an image whose DFU suffix names
 *   a VID:PID other than dev's (0xFFFF matches any) without opt->force;
 * - MPF_ERR_REFUSED, MPF_REASON_OTHER_ALT: with opt->one_alt, data for
 *   another alt setting than opt->alt;
 * - DfuSe: MPF_ERR_REFUSED: writing an "Option Bytes" or "OTP..." region (names
 *   compared ignoring case) without opt->force, and
 *   always an image setting the family's RDP byte to level 2 (0xCC; an
 *   unrecognised device: any family's RDP byte), always alt 0 data in a
 *   region the profile protects (mboot's own flash on a device whose
 *   manufacturer string says it is MicroPython's mboot, the STM32WB radio
 *   stack), and a mass erase on a family that has none (STM32WB);
 * On write-once (ECC) families every write is widened to whole flash
 * words, padded with 0xFF (from plan->padded), so no word is programmed
 * twice by two pieces of one image;
 * - MPF_ERR_PROTOCOL: a device layout string that does not parse, or
 *   wTransferSize 0 with no override;
 * - MPF_ERR_INPUT: an empty image without mass_erase;
 * - MPF_ERR_USAGE: leave requested but no address can be found.
 * An empty image with mass_erase is a plan that only mass-erases. */
mpf_err mpf_plan_build(const mpf_image *img, const mpf_device_info *dev,
                       const mpf_plan_options *opt, mpf_plan *out, mpf_error *err);
void mpf_plan_free(mpf_plan *p);

/* Number of DNLOAD data blocks the writes take (each run split into blocks
 * of transfer_size; its last block may be short). */
size_t mpf_plan_block_count(const mpf_plan *p);

/* The estimate mpf_plan_build stores in estimated_us, for any timing table
 * (NULL = STM32F4 typical): erases, programming, and the USB requests of
 * erasing, writing, verifying and leaving. */
uint64_t mpf_plan_estimate_us(const mpf_plan *p, const mpf_timing *t);

#ifdef __cplusplus
}
#endif
#endif
