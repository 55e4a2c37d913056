/* Safety rules about what the caller chose, in the plan so that every front
 * end gets them (they were the command line's once): the file's own word on
 * which board it is for, and a single chosen memory. */
#include "plan/plan_internal.h"

/* The DFU suffix names the board a .dfu was built for (0xFFFF = any). */
static mpf_err check_suffix_ids(const mpf_image *img, const mpf_device_info *dev,
                                const mpf_plan_options *opt, mpf_error *err)
{
    if (!img->has_suffix || opt->force)
        return MPF_OK;
    if ((img->vid == 0xFFFF || img->vid == dev->vid) && (img->pid == 0xFFFF || img->pid == dev->pid))
        return MPF_OK;
    return mpf_error_refuse(err, MPF_ERR_REFUSED, MPF_REASON_NEEDS_FORCE,
                            "the firmware's DFU suffix says it is for USB ID %04x:%04x, but the "
                            "board is %04x:%04x; check that this is the right file",
                            img->vid, img->pid, dev->vid, dev->pid);
}

/* One chosen alt setting picks one memory: a file that also carries data
 * for another is refused rather than half flashed. */
static mpf_err check_one_alt(const mpf_image *img, const mpf_plan_options *opt, mpf_error *err)
{
    if (!opt->one_alt)
        return MPF_OK;
    for (size_t i = 0; i < img->count; i++)
        if (img->segments[i].alt != opt->alt)
            return mpf_error_refuse(err, MPF_ERR_REFUSED, MPF_REASON_OTHER_ALT,
                                    "%s has data for alt setting %u, but alt setting %u was chosen; "
                                    "write every alt setting the file names instead",
                                    img->segments[i].source, (unsigned)img->segments[i].alt,
                                    (unsigned)opt->alt);
    return MPF_OK;
}

mpf_err plan_check_choices(const mpf_image *img, const mpf_device_info *dev,
                           const mpf_plan_options *opt, mpf_error *err)
{
    mpf_err rc = check_one_alt(img, opt, err);
    return rc != MPF_OK ? rc : check_suffix_ids(img, dev, opt, err);
}
