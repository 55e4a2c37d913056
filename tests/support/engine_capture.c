#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine_capture.h"

static void *grow(void *p, size_t *cap, size_t size)
{
    *cap = *cap ? *cap * 2 : 32;
    void *q = realloc(p, *cap * size);
    if (!q) {
        fprintf(stderr, "engine_capture: out of memory\n");
        abort();
    }
    return q;
}

static void on_log(void *user, mpf_log_level level, const char *message)
{
    capture *c = user;
    if (c->log_count == c->log_cap)
        c->logs = grow(c->logs, &c->log_cap, sizeof *c->logs);
    capture_log *l = &c->logs[c->log_count++];
    l->level = level;
    snprintf(l->text, sizeof l->text, "%s", message);
}

static void on_progress(void *user, mpf_phase phase, uint64_t done, uint64_t total)
{
    capture *c = user;
    if (c->progress_count == c->progress_cap)
        c->progress = grow(c->progress, &c->progress_cap, sizeof *c->progress);
    c->progress[c->progress_count++] = (capture_progress){phase, done, total};
}

void capture_init(capture *c, mpf_callbacks *cb)
{
    memset(c, 0, sizeof *c);
    cb->log = on_log;
    cb->progress = on_progress;
    cb->user = c;
}

void capture_free(capture *c)
{
    free(c->logs);
    free(c->progress);
    memset(c, 0, sizeof *c);
}

size_t capture_count(const capture *c, mpf_log_level level, const char *needle)
{
    size_t n = 0;
    for (size_t i = 0; i < c->log_count; i++)
        if (c->logs[i].level == level && strstr(c->logs[i].text, needle))
            n++;
    return n;
}

size_t capture_progress_count(const capture *c, mpf_phase phase)
{
    size_t n = 0;
    for (size_t i = 0; i < c->progress_count; i++)
        n += c->progress[i].phase == phase;
    return n;
}
