#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "engine_fixture.h"

static int setup_with(void **state, uint16_t transfer_size)
{
    engine_fx *f = calloc(1, sizeof *f);
    if (!f)
        return -1;
    f->s = scripted_new(transfer_size);
    capture_init(&f->cap, &f->cb);
    *state = f;
    return 0;
}

int engine_fx_setup(void **state)
{
    return setup_with(state, 2048);
}

int engine_fx_setup_16(void **state)
{
    return setup_with(state, 16);
}

int engine_fx_teardown(void **state)
{
    engine_fx *f = *state;
    scripted_free(f->s);
    capture_free(&f->cap);
    free(f);
    return 0;
}

mpf_err engine_fx_open(engine_fx *f)
{
    scripted_transport(f->s, &f->t);
    mpf_error_clear(&f->err);
    return mpf_dfu_open(&f->d, &f->t, &f->cb, &f->err);
}

void engine_fx_expect_start_idle(engine_fx *f)
{
    scripted_expect_abort(f->s);
    scripted_expect_getstatus(f->s, MPF_DFU_STATUS_OK, 0, MPF_DFU_STATE_IDLE);
}

void engine_fx_open_idle(engine_fx *f)
{
    engine_fx_expect_start_idle(f);
    if (engine_fx_open(f) != MPF_OK)
        fail_msg("open: %s", f->err.message);
    assert_script_complete(f->s);
    capture_free(&f->cap);
    capture_init(&f->cap, &f->cb);
    f->d.cb = f->cb;
    memset(&f->d.stats, 0, sizeof f->d.stats);
}
