/* board_flash (engine_board.h) through mpf_dfu_flash_ex, so the
 * nothing-lost tests can run the same checks with skip-unchanged on. */
#ifndef MPFLASH_TEST_HOSTILE_BOARD_H
#define MPFLASH_TEST_HOSTILE_BOARD_H

#include "engine_board.h"

/* Plan (before any request), open, flash with fo (NULL: a full flash, as
 * mpf_dfu_flash). The plan stays in b->plan, as with board_flash. */
mpf_err hostile_board_flash(board *b, const mpf_image *img, const mpf_plan_options *opt,
                            const mpf_dfu_flash_options *fo);

#endif
