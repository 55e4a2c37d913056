#include "hostile_board.h"

mpf_err hostile_board_flash(board *b, const mpf_image *img, const mpf_plan_options *opt,
                            const mpf_dfu_flash_options *fo)
{
    if (!fo)
        return board_flash(b, img, opt);
    mpf_plan_options defaults;
    if (!opt) {
        mpf_plan_options_default(&defaults);
        opt = &defaults;
    }
    if (b->has_plan)
        mpf_plan_free(&b->plan);
    b->has_plan = 0;
    mpf_error_clear(&b->err);
    mpf_sim_transport(b->sim, &b->raw);
    spy_wrap(&b->spy, &b->raw, &b->t);
    mpf_err rc = mpf_plan_build(img, &b->t.info, opt, &b->plan, &b->err);
    if (rc != MPF_OK)
        return rc;
    b->has_plan = 1;
    rc = mpf_dfu_open(&b->d, &b->t, &b->cb, &b->err);
    if (rc != MPF_OK)
        return rc;
    return mpf_dfu_flash_ex(&b->d, &b->plan, fo, &b->err);
}
