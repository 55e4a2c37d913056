/* Progress on stderr. Rates and ETAs come from the transport's clock, so a
 * --sim run shows the modelled device time, not how fast the host is. */
#include "tool/tool_progress.h"

#include <inttypes.h>
#include <string.h>

#include "tool/tool_json.h"

void tool_progress_init(tool_progress *p, tool_ctx *ctx, tool_device *dev)
{
    memset(p, 0, sizeof *p);
    p->ctx = ctx;
    p->dev = dev;
    if (ctx->opt.quiet || ctx->opt.no_progress)
        p->mode = TOOL_PROGRESS_NONE;
    else if (ctx->opt.json)
        p->mode = TOOL_PROGRESS_JSON;
    else if (ctx->io->err_is_tty)
        p->mode = TOOL_PROGRESS_TTY;
    else
        p->mode = TOOL_PROGRESS_LINES;
}

void tool_progress_set_board(tool_progress *p, const char *label, tool_display *display, size_t slot)
{
    p->label = label;
    p->display = display;
    p->slot = slot;
}

void tool_progress_span(tool_progress *p, uint64_t base, uint64_t span_total)
{
    p->span_base = base;
    p->span_total = span_total;
}

/* A finished line of progress text: in place on a terminal, else a line;
 * among several boards through the shared display, with the board's label. */
static void emit(tool_progress *p, const char *text, int final)
{
    int tty = p->mode == TOOL_PROGRESS_TTY;
    if (p->display) {
        char line[TOOL_DISPLAY_LINE];
        snprintf(line, sizeof line, "%s%s%s", p->label, tty ? "  " : ": ", text);
        tool_display_progress(p->display, p->slot, line);
        return;
    }
    fprintf(p->ctx->err, "%s%s%s", tty ? "\r" : "", text, tty ? "\033[K" : "\n");
    if (tty && final)
        fputc('\n', p->ctx->err);
    fflush(p->ctx->err);
    p->line_open = tty && !final;
}

void tool_progress_warn(tool_progress *p, const char *message)
{
    if (p->display) {
        char line[TOOL_DISPLAY_LINE + MPF_ERROR_MESSAGE_MAX];
        snprintf(line, sizeof line, "mpflash: %s: warning: %s", p->label, message);
        tool_display_message(p->display, line);
        return;
    }
    tool_progress_end_line(p);
    tool_warn(p->ctx, "%s", message);
}

void tool_progress_end_line(tool_progress *p)
{
    if (p->line_open) {
        fputc('\n', p->ctx->err);
        fflush(p->ctx->err);
        p->line_open = 0;
    }
}

static int counts_sectors(mpf_phase phase)
{
    return phase == MPF_PHASE_ERASE;
}

/* Connecting and leaving are single steps, not amounts. */
static int is_step(mpf_phase phase)
{
    return phase == MPF_PHASE_CONNECT || phase == MPF_PHASE_LEAVE;
}

static const char *unit(mpf_phase phase)
{
    return counts_sectors(phase) ? "sectors" : is_step(phase) ? "steps" : "bytes";
}

static void amount(char *buf, size_t n, mpf_phase phase, uint64_t v)
{
    if (counts_sectors(phase))
        snprintf(buf, n, "%" PRIu64, v);
    else
        snprintf(buf, n, "%.1f", (double)v / 1024.0);
}

/* The rest of a flash, priced by the engine from its decisions: known
 * during the erase, write and verify of a flash whose check has decided. */
static int flash_time_left(const tool_progress *p, uint64_t *us)
{
    const int flashing = p->phase == MPF_PHASE_ERASE || p->phase == MPF_PHASE_WRITE ||
                         p->phase == MPF_PHASE_VERIFY;
    return flashing && p->session && mpf_dfu_time_left_us(p->session, us);
}

static void text_line(tool_progress *p, uint64_t done, uint64_t total, uint64_t elapsed_us)
{
    if (is_step(p->phase)) {
        /* Only leaving is worth a line: it says the board was told to go. */
        if (p->phase == MPF_PHASE_LEAVE && done >= total)
            emit(p, "leave   done", 1);
        else
            p->line_open = 0;
        return;
    }
    char d[32], t[32], rate[48] = "", eta[32] = "";
    amount(d, sizeof d, p->phase, done);
    amount(t, sizeof t, p->phase, total);
    unsigned pct = total ? (unsigned)(done * 100u / total) : 100u;
    const char *name = mpf_phase_name(p->phase);
    int checking = 0;
    if (p->phase == MPF_PHASE_READ && p->read_name) {
        name = p->read_name;
        checking = strcmp(name, "check") == 0;
    }
    uint64_t flash_left = 0;
    const int priced = flash_time_left(p, &flash_left);
    /* A phase's last line stays on screen: it ends without an ETA. */
    if (priced && flash_left && done < total) {
        char left[24];
        tool_format_duration(left, sizeof left, flash_left);
        snprintf(eta, sizeof eta, "  ETA %s", left);
    }
    if (done && elapsed_us && !checking) {
        double per_s = (double)done * 1e6 / (double)elapsed_us;
        if (!counts_sectors(p->phase))
            snprintf(rate, sizeof rate, "  %.1f KiB/s", per_s / 1024.0);
        if (done < total && !priced) {
            char left[24];
            tool_format_duration(left, sizeof left, (uint64_t)((double)(total - done) * 1e6 / per_s));
            snprintf(eta, sizeof eta, "  ETA %s", left);
        }
    }
    char text[TOOL_DISPLAY_LINE];
    snprintf(text, sizeof text, "%-7s %3u%%  %s/%s %s%s%s", name, pct, d, t,
             counts_sectors(p->phase) ? "sectors" : "KiB", rate, eta);
    emit(p, text, 0);
}

static void json_event(tool_progress *p, uint64_t done, uint64_t total, uint64_t elapsed_us)
{
    if (p->display)
        tool_display_lock(p->display);
    tool_json j;
    tj_begin(&j, p->ctx->out);
    tj_str(&j, "event", "progress");
    tj_str(&j, "serial", p->dev ? p->dev->transport.info.serial : "");
    tj_str(&j, "phase", mpf_phase_name(p->phase));
    tj_u64(&j, "done", done);
    tj_u64(&j, "total", total);
    tj_str(&j, "unit", unit(p->phase));
    tj_u64(&j, "elapsed_ms", elapsed_us / 1000u);
    uint64_t left = 0;
    if (flash_time_left(p, &left))
        tj_u64(&j, "eta_ms", left / 1000u);
    tj_end(&j);
    if (p->display)
        tool_display_unlock(p->display);
}

/* The flip:ADDR testing aid: a flash cell that does not hold what was
 * programmed, found only by verify. */
static void flip_before_verify(tool_progress *p)
{
    tool_device *dev = p->dev;
    if (!dev || !dev->sim || !dev->extras.flip_before_verify || p->flipped)
        return;
    uint8_t b;
    if (mpf_sim_peek(dev->sim, dev->extras.flip_address, &b, 1) == 0) {
        b = (uint8_t)~b;
        mpf_sim_poke(dev->sim, dev->extras.flip_address, &b, 1);
    }
    p->flipped = 1;
}

static void on_progress(void *user, mpf_phase phase, uint64_t done, uint64_t total)
{
    tool_progress *p = user;
    uint64_t now = p->dev ? tool_device_now_us(p->dev) : 0;
    if (p->span_total) {
        done += p->span_base;
        total = p->span_total;
    }
    /* Reading for another purpose is another phase to the user. */
    int new_read = phase == MPF_PHASE_READ && p->read_name != p->phase_read_name;
    if (!p->active || phase != p->phase || new_read) {
        tool_progress_end_line(p);
        p->active = 1;
        p->phase = phase;
        p->phase_read_name = p->read_name;
        p->phase_start_us = now;
        p->last_step = 0;
        p->last_pct = -1;
        if (phase == MPF_PHASE_VERIFY)
            flip_before_verify(p);
    }
    if (p->mode == TOOL_PROGRESS_NONE || total == 0)
        return;
    uint64_t elapsed = now - p->phase_start_us;
    int step = (int)(done * 10u / total);
    if (p->mode == TOOL_PROGRESS_TTY) {
        int pct = (int)(done * 100u / total);
        if (pct == p->last_pct && done < total)
            return;
        p->last_pct = pct;
        text_line(p, done, total, elapsed);
        if (done >= total)
            tool_progress_end_line(p);
        return;
    }
    if (step <= p->last_step)
        return;
    p->last_step = step;
    if (p->mode == TOOL_PROGRESS_JSON)
        json_event(p, done, total, elapsed);
    else
        text_line(p, done, total, elapsed);
}

static void on_log(void *user, mpf_log_level level, const char *message)
{
    tool_progress *p = user;
    static const char *const names[] = {"error", "warning", "info", "debug", "trace"};
    /* Errors reach the user once, through the final error line; -v shows
     * everything, including the request trace. */
    mpf_log_level shown = p->ctx->opt.verbose ? MPF_LOG_TRACE : MPF_LOG_WARN;
    if (level > shown || (level == MPF_LOG_ERROR && !p->ctx->opt.verbose))
        return;
    const char *name = names[level <= MPF_LOG_TRACE ? level : MPF_LOG_TRACE];
    if (p->display) {
        char line[TOOL_DISPLAY_LINE + MPF_ERROR_MESSAGE_MAX];
        snprintf(line, sizeof line, "mpflash: %s: %s: %s", p->label, name, message);
        tool_display_message(p->display, line);
        return;
    }
    tool_progress_end_line(p);
    fprintf(p->ctx->err, "mpflash: %s: %s\n", name, message);
}

void tool_progress_callbacks(tool_progress *p, mpf_callbacks *cb)
{
    cb->progress = on_progress;
    cb->log = on_log;
    cb->user = p;
}
