#include "hostile_board.h"

mpf_err hostile_board_flash(board *b, const mpf_image *img, const mpf_plan_options *opt,
                            const mpf_dfu_flash_options *fo)
{
    if (!fo)
        return board_flash(b, img, opt);
    mpf_err rc = board_open(b, img, opt, 0);
    return rc == MPF_OK ? mpf_dfu_flash_ex(&b->d, &b->plan, fo, &b->err) : rc;
}
