/* Records what the engine reports through mpf_callbacks (log lines and
 * progress calls), so tests can assert them. */
#ifndef MPFLASH_TEST_ENGINE_CAPTURE_H
#define MPFLASH_TEST_ENGINE_CAPTURE_H

#include <stddef.h>
#include <stdint.h>

#include "mpflash/engine.h"

typedef struct capture_log {
    mpf_log_level level;
    char text[512];
} capture_log;

typedef struct capture_progress {
    mpf_phase phase;
    uint64_t done, total;
} capture_progress;

typedef struct capture {
    capture_log *logs;
    size_t log_count, log_cap;
    capture_progress *progress;
    size_t progress_count, progress_cap;
} capture;

/* Fills cb so that it records into c. */
void capture_init(capture *c, mpf_callbacks *cb);
void capture_free(capture *c);
/* Lines at exactly `level` that contain needle ("" matches all of them). */
size_t capture_count(const capture *c, mpf_log_level level, const char *needle);
/* Progress calls of one phase. */
size_t capture_progress_count(const capture *c, mpf_phase phase);

#endif
