/* The usual set-up of a scripted engine test: a scripted device, captured
 * callbacks, an engine and an error, created per test by cmocka set-up. */
#ifndef MPFLASH_TEST_ENGINE_FIXTURE_H
#define MPFLASH_TEST_ENGINE_FIXTURE_H

#include "engine/dfu_session.h"
#include "engine_capture.h"
#include "mpflash/engine.h"
#include "scripted_transport.h"

typedef struct engine_fx {
    scripted *s;
    mpf_transport t;
    capture cap;
    mpf_callbacks cb;
    mpf_dfu d;
    mpf_error err;
} engine_fx;

/* cmocka set-up / tear-down: *state becomes an engine_fx with a DfuSe
 * device of wTransferSize 2048 (engine_fx_setup_16: 16, for block-number
 * wrap-around tests). */
int engine_fx_setup(void **state);
int engine_fx_setup_16(void **state);
int engine_fx_teardown(void **state);

/* Take the transport from the script as it is now and run mpf_dfu_open. */
mpf_err engine_fx_open(engine_fx *f);
/* Script an idle device's start-up: ABORT, then GETSTATUS saying dfuIDLE. */
void engine_fx_expect_start_idle(engine_fx *f);
/* Script an idle device's start-up, open it, assert success
 * and clear the captured callbacks and the script's use so far. */
void engine_fx_open_idle(engine_fx *f);

/* For table rows, which get their row as state and so cannot use the set-up
 * above: the same fixture, made and freed by the row itself. */
engine_fx *engine_fx_new(uint16_t transfer_size);
void engine_fx_delete(engine_fx *f);

/* What a row expects of the captured log: `count` lines at `level` that
 * contain `text`. A table's unused entries have text NULL. */
typedef struct log_want {
    mpf_log_level level;
    const char *text;
    size_t count;
} log_want;

/* Asserts every want up to the first unused one. */
void engine_fx_assert_logs(const engine_fx *f, const log_want *wants, size_t n);
/* Asserts the error message holds every part up to the first NULL. */
void engine_fx_assert_message_has(const engine_fx *f, const char *const *parts, size_t n);

#endif
