/* The block of progress lines. Every redraw goes back to the block's top
 * (cursor up by its height) and rewrites each line in full, so lines from
 * boards that moved at once never tear each other. */
#include "tool/tool_display.h"

#include <stdlib.h>
#include <string.h>

mpf_err tool_display_init(tool_display *d, FILE *err, int tty, const char *const *labels, size_t count,
                          mpf_error *e)
{
    memset(d, 0, sizeof *d);
    d->lines = calloc(count ? count : 1, sizeof *d->lines);
    if (!d->lines)
        return mpf_error_set(e, MPF_ERR_NOMEM, "out of memory");
    if (mpf_mutex_init(&d->lock) != 0) {
        free(d->lines);
        d->lines = NULL;
        return mpf_error_set(e, MPF_ERR_INTERNAL, "cannot create a lock for the progress display");
    }
    d->err = err;
    d->tty = tty;
    d->count = count;
    for (size_t i = 0; i < count; i++)
        snprintf(d->lines[i], sizeof d->lines[i], "%s", labels[i]);
    return MPF_OK;
}

void tool_display_free(tool_display *d)
{
    if (!d->lines)
        return;
    mpf_mutex_destroy(&d->lock);
    free(d->lines);
    d->lines = NULL;
}

void tool_display_lock(tool_display *d)
{
    mpf_mutex_lock(&d->lock);
}

void tool_display_unlock(tool_display *d)
{
    mpf_mutex_unlock(&d->lock);
}

/* Called with the lock held. */
static void redraw(tool_display *d)
{
    if (d->drawn && d->count)
        fprintf(d->err, "\033[%zuA", d->count);
    for (size_t i = 0; i < d->count; i++)
        fprintf(d->err, "\r%s\033[K\n", d->lines[i]);
    d->drawn = 1;
    fflush(d->err);
}

void tool_display_progress(tool_display *d, size_t slot, const char *text)
{
    mpf_mutex_lock(&d->lock);
    if (d->tty && slot < d->count) {
        snprintf(d->lines[slot], sizeof d->lines[slot], "%s", text);
        redraw(d);
    } else {
        fprintf(d->err, "%s\n", text);
        fflush(d->err);
    }
    mpf_mutex_unlock(&d->lock);
}

void tool_display_message(tool_display *d, const char *text)
{
    mpf_mutex_lock(&d->lock);
    if (d->tty && d->drawn) {
        /* The message takes the block's first line; the block moves down. */
        fprintf(d->err, "\033[%zuA\r%s\033[K\n", d->count, text);
        d->drawn = 0;
        redraw(d);
    } else {
        fprintf(d->err, "%s\n", text);
        fflush(d->err);
    }
    mpf_mutex_unlock(&d->lock);
}
