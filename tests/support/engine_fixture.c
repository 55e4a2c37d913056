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

engine_fx *engine_fx_new(uint16_t transfer_size)
{
    void *state = NULL;
    if (setup_with(&state, transfer_size) != 0)
        fail_msg("engine fixture: out of memory");
    return state;
}

void engine_fx_delete(engine_fx *f)
{
    void *state = f;
    engine_fx_teardown(&state);
}

void engine_fx_assert_logs(const engine_fx *f, const log_want *wants, size_t n)
{
    for (size_t i = 0; i < n && wants[i].text; i++)
        if (capture_count(&f->cap, wants[i].level, wants[i].text) != wants[i].count)
            fail_msg("log level %d \"%s\": %zu lines, expected %zu", (int)wants[i].level,
                     wants[i].text, capture_count(&f->cap, wants[i].level, wants[i].text),
                     wants[i].count);
}

void engine_fx_assert_message_has(const engine_fx *f, const char *const *parts, size_t n)
{
    for (size_t i = 0; i < n && parts[i]; i++)
        if (!strstr(f->err.message, parts[i]))
            fail_msg("error \"%s\" lacks \"%s\"", f->err.message, parts[i]);
}
