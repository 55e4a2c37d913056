/* Private to the flash plan (plan*.c): the state of one mpf_plan_build. */
#ifndef MPFLASH_DFU_PLAN_INTERNAL_H
#define MPFLASH_DFU_PLAN_INTERNAL_H

#include "mpflash/layout.h"
#include "mpflash/plan.h"

typedef struct plan_ctx {
    const mpf_image *img;
    const mpf_device_info *dev;
    const mpf_plan_options *opt;
    mpf_plan *plan;
    mpf_error *err;
    size_t erase_capacity;
    /* Parsed on first use, indexed like dev->alts[]. */
    mpf_layout layouts[MPF_MAX_ALTS];
    int parsed[MPF_MAX_ALTS];
} plan_ctx;

/* The layout of alt setting `alt`: MPF_ERR_IMAGE_FIT when the device has no
 * such alt, MPF_ERR_PROTOCOL when its string does not parse. `what` starts
 * the message (a segment source, "mass erase"); `need` says why the alt is
 * needed ("mass erase needs"), NULL for "the image has data for". */
mpf_err plan_layout_for_alt(plan_ctx *c, uint8_t alt, const char *what, const char *need,
                            const mpf_layout **out);

/* Check that every byte of seg lies in a writable sector of l and append the
 * erasable sectors it touches to the plan (unless alt 0 is mass-erased). */
mpf_err plan_fit_segment(plan_ctx *c, const mpf_segment *seg, const mpf_layout *l);

/* The safety rules: RDP level 2 never, protected regions only with force.
 * Runs after every segment has been fitted. */
mpf_err plan_check_safety(plan_ctx *c);

/* plan_rules.c: the rules about the caller's choices that hold for every
 * kind of device (the DFU suffix's USB ID, one chosen alt setting). */
mpf_err plan_check_choices(const mpf_image *img, const mpf_device_info *dev,
                           const mpf_plan_options *opt, mpf_error *err);

/* plan_plain.c: the whole plan for a plain DFU 1.1 device (p is zeroed). */
mpf_err plan_plain_build(const mpf_image *img, const mpf_device_info *dev, const mpf_plan_options *opt,
                         mpf_plan *p, mpf_error *err);

/* 1 when a region name starts with prefix, ignoring ASCII case. */
int plan_name_starts_with(const char *name, const char *prefix);

#endif
