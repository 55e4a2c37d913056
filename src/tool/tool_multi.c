/* Several boards at once. Each board is prepared on the main thread (its
 * lines prefixed with its label), then flashed on a thread of its own with
 * its own transport; a board that fails stops alone. At the end one table,
 * and the exit code of the first failed board in it. */
#include <stdio.h>
#include <string.h>

#include "platform/thread.h"
#include "tool/tool_display.h"
#include "tool/tool_flash.h"
#include "tool/tool_exit.h"

typedef struct board_job {
    tool_ctx *ctx;
    tool_board *b;
    tool_display *display;
    size_t slot;
    mpf_thread thread;
    int started;
} board_job;

static void board_thread(void *arg)
{
    board_job *j = arg;
    tool_progress prog;
    tool_progress_init(&prog, j->ctx, &j->b->dev);
    tool_progress_set_board(&prog, j->b->label, j->display, j->slot);
    mpf_error e = {0};
    mpf_err rc = tool_flash_run(j->ctx, j->b, &prog, &e);
    if (!rc && j->ctx->opt.wait_app)
        rc = tool_flash_wait_app(j->ctx, j->b, &prog, &e);
    if (rc) {
        j->b->rc = rc;
        j->b->err = e;
    }
}

static int progress_on_tty(const tool_ctx *ctx)
{
    return ctx->io->err_is_tty && !ctx->opt.quiet && !ctx->opt.no_progress && !ctx->opt.json;
}

static void run_all(tool_display *display, board_job *jobs, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        jobs[i].started = mpf_thread_start(&jobs[i].thread, board_thread, &jobs[i]) == 0;
        if (!jobs[i].started) {
            /* No thread to be had: this board still gets flashed, only later. */
            tool_display_message(display, "mpflash: warning: could not start a thread; flashing a board alone");
            board_thread(&jobs[i]);
        }
    }
    for (size_t i = 0; i < n; i++)
        if (jobs[i].started)
            mpf_thread_join(&jobs[i].thread);
}

mpf_err tool_flash_boards(tool_ctx *ctx, tool_board_set *set, const mpf_image *img, uint8_t loaded_alt,
                          mpf_error *err)
{
    ctx->boards = set->count;
    board_job jobs[TOOL_MAX_BOARDS];
    const char *labels[TOOL_MAX_BOARDS];
    size_t n = 0;
    for (size_t i = 0; i < set->count; i++) {
        tool_board *b = &set->boards[i];
        if (!b->opened || b->rc)
            continue;
        ctx->line_prefix = b->label;
        ctx->mid_line = 0;
        mpf_error e = {0};
        mpf_err rc = tool_flash_prepare(ctx, b, img, loaded_alt, &e);
        if (rc) {
            b->rc = rc;
            b->err = e;
            continue;
        }
        jobs[n] = (board_job){.ctx = ctx, .b = b, .slot = n};
        labels[n++] = b->label;
    }
    ctx->line_prefix = NULL;
    if (ctx->opt.dry_run) {
        tool_say(ctx, "nothing was changed (--dry-run)\n");
        return MPF_OK;
    }
    tool_display display;
    mpf_err rc = tool_display_init(&display, ctx->err, progress_on_tty(ctx), labels, n, err);
    if (rc)
        return rc;
    for (size_t i = 0; i < n; i++)
        jobs[i].display = &display;
    run_all(&display, jobs, n);
    tool_display_free(&display);
    return MPF_OK;
}

/* ---- the report ----------------------------------------------------------------- */

static void result_text(const tool_ctx *ctx, const tool_board *b, char *out, size_t size)
{
    if (b->rc)
        snprintf(out, size, "failed (exit %d)", tool_exit_code(b->rc));
    else
        snprintf(out, size, "%s", ctx->opt.dry_run ? "dry run" : "ok");
}

enum { COL_BOARD, COL_PATH, COL_RESULT, COL_BYTES, COL_TIME, COL_PORT, COLS };

static void row(const tool_ctx *ctx, const tool_board *b, char cells[COLS][64])
{
    snprintf(cells[COL_BOARD], 64, "%.63s", b->label);
    snprintf(cells[COL_PATH], 64, "%.31s", b->dev.transport.info.path[0] ? b->dev.transport.info.path : "-");
    result_text(ctx, b, cells[COL_RESULT], 64);
    if (b->res.ran && !b->rc)
        snprintf(cells[COL_BYTES], 64, "%llu", (unsigned long long)b->res.bytes_written);
    else
        snprintf(cells[COL_BYTES], 64, "-");
    if (b->res.ran)
        tool_format_duration(cells[COL_TIME], 64, b->res.elapsed_us);
    else
        snprintf(cells[COL_TIME], 64, "-");
    snprintf(cells[COL_PORT], 64, "%.63s", b->res.app_back ? b->res.app_port : "-");
}

/* One line of the table; numbers line up on the right, the last column is
 * not padded. */
static void table_line(tool_ctx *ctx, const char cells[COLS][64], const size_t *width, size_t cols)
{
    char line[COLS * 80] = "";
    size_t used = 0;
    for (size_t c = 0; c < cols && used < sizeof line; c++) {
        int right = c == COL_BYTES || c == COL_TIME;
        int w = c + 1 == cols && !right ? 0 : (int)width[c];
        int n = right ? snprintf(line + used, sizeof line - used, "%*s", w, cells[c])
                      : snprintf(line + used, sizeof line - used, "%-*s", w, cells[c]);
        used += n > 0 ? (size_t)n : 0;
        if (c + 1 < cols && used + 2 < sizeof line) {
            memcpy(line + used, "  ", 3);
            used += 2;
        }
    }
    tool_say(ctx, "%s\n", line);
}

static void table(tool_ctx *ctx, const tool_board_set *set)
{
    static const char *const heads[COLS] = {"board", "path", "result", "bytes", "time", "port"};
    size_t cols = ctx->opt.wait_app ? COLS : COL_PORT;
    size_t width[COLS];
    char cells[COLS][64];
    for (size_t c = 0; c < COLS; c++) {
        width[c] = strlen(heads[c]);
        snprintf(cells[c], sizeof cells[c], "%s", heads[c]);
    }
    for (size_t i = 0; i < set->count; i++) {
        char r[COLS][64];
        row(ctx, &set->boards[i], r);
        for (size_t c = 0; c < COLS; c++)
            if (strlen(r[c]) > width[c])
                width[c] = strlen(r[c]);
    }
    table_line(ctx, cells, width, cols);
    for (size_t i = 0; i < set->count; i++) {
        row(ctx, &set->boards[i], cells);
        table_line(ctx, cells, width, cols);
    }
}

static void board_json(tool_ctx *ctx, const tool_board *b)
{
    tool_json j;
    tj_begin(&j, ctx->out);
    tj_str(&j, "event", "board");
    tj_str(&j, "board", b->label);
    tj_str(&j, "serial", b->dev.transport.info.serial);
    tj_str(&j, "path", b->dev.transport.info.path);
    tj_str(&j, "entered", b->entered[0] ? b->entered : NULL);
    tj_bool(&j, "ok", b->rc == MPF_OK);
    tj_int(&j, "exit_code", tool_exit_code(b->rc));
    tj_str(&j, "error", b->rc ? mpf_err_name(b->rc) : NULL);
    tj_str(&j, "message", b->rc ? b->err.message : NULL);
    tj_bool(&j, "dry_run", ctx->opt.dry_run);
    tool_flash_result_json(ctx, &j, b);
    tj_end(&j);
}

mpf_err tool_flash_report(tool_ctx *ctx, const tool_board_set *set, mpf_error *err)
{
    size_t failed = 0, first = set->count;
    for (size_t i = 0; i < set->count; i++)
        if (set->boards[i].rc) {
            failed++;
            if (first == set->count)
                first = i;
        }
    ctx->boards = set->count;
    ctx->boards_failed = failed;
    if (ctx->opt.json)
        for (size_t i = 0; i < set->count; i++)
            board_json(ctx, &set->boards[i]);
    else
        table(ctx, set);
    fflush(ctx->out);
    for (size_t i = 0; i < set->count; i++)
        if (set->boards[i].rc)
            fprintf(ctx->err, "mpflash: error: %s: %s\n", set->boards[i].label, set->boards[i].err.message);
    if (failed) {
        const tool_board *b = &set->boards[first];
        return mpf_error_set(err, b->rc, "%zu of %zu boards failed; the exit code is that of the first in the "
                             "table, %s", failed, set->count, b->label);
    }
    if (ctx->opt.json) {
        tool_json j;
        tool_result_begin(ctx, &j, "flash");
        tj_bool(&j, "dry_run", ctx->opt.dry_run);
        tj_u64(&j, "boards", set->count);
        tj_u64(&j, "failed", 0);
        tj_end(&j);
    }
    return MPF_OK;
}
