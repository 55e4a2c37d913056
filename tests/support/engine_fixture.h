/* The usual set-up of a scripted engine test: a scripted device, captured
 * callbacks, an engine and an error, created per test by cmocka set-up. */
#ifndef MPFLASH_TEST_ENGINE_FIXTURE_H
#define MPFLASH_TEST_ENGINE_FIXTURE_H

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

#endif
