/* --bootloader: boards that run MicroPython are asked to enter their
 * bootloader (over the raw REPL of their USB serial port, or with
 * DFU_DETACH where the firmware has a DFU run-time interface), and each DFU
 * device that appears is tied to the board it came from by serial number
 * and port path. Flashing the wrong board of a rack is worse than failing,
 * so a board whose DFU device cannot be proven is refused. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "platform/clock.h"
#include "platform/thread.h"
#include "mpflash/machine.h"
#include "tool/tool_board.h"
#include "tool/tool_boot_target.h"

/* Each wait for the DFU devices is bounded: --wait=SECONDS, else this. */
#define DFU_WAIT_DEFAULT_S 10u
#define RESCAN_MS 250u

/* ---- entering ------------------------------------------------------------------- */

typedef struct enter_log {
    tool_ctx *ctx;
    const char *label;
    tool_board *board;
} enter_log;

/* From the entry threads: one fprintf per line keeps lines whole. */
static void on_enter_log(void *user, mpf_log_level level, const char *message)
{
    const enter_log *l = user;
    static const char *const names[] = {"error", "warning", "info", "debug", "trace"};
    if (level == MPF_LOG_ERROR || (level > MPF_LOG_WARN && !l->ctx->opt.verbose))
        return;
    fprintf(l->ctx->err, "mpflash: %s: %s: %s\n", l->label, names[level <= MPF_LOG_TRACE ? level : MPF_LOG_TRACE],
            message);
}

/* The wrong-board guard, before the bootloader is entered: a board that
 * runs another board's firmware than the one to flash keeps running it. */
static mpf_err on_machine(void *user, const char *machine, mpf_error *err)
{
    const enter_log *l = user;
    if (l->board)
        snprintf(l->board->machine, sizeof l->board->machine, "%s", machine);
    return mpf_machine_check_board(l->ctx->image_machine, machine, err);
}

typedef struct enter_job {
    tool_boot_target *t;
    enter_log log;
    mpf_thread thread;
    int started;
} enter_job;

static void enter_thread(void *arg)
{
    enter_job *j = arg;
    mpf_serial_enter_options o;
    memset(&o, 0, sizeof o);
    o.log = on_enter_log;
    o.user = &j->log;
    if (j->log.ctx->image_machine)
        o.machine = on_machine;
    mpf_error_clear(&j->t->err);
    if (j->t->touch)
        j->t->rc = mpf_serial_touch(j->t->port, MPF_SERIAL_TOUCH_BAUD, &j->t->err);
    else
        j->t->rc = mpf_serial_enter_bootloader(j->t->port, &o, &j->t->err);
}

static void announce(tool_ctx *ctx, const tool_boot_target *t)
{
    if (ctx->opt.json) {
        tool_json j;
        tj_begin(&j, ctx->out);
        tj_str(&j, "event", "bootloader");
        tj_str(&j, "port", t->detach ? NULL : t->port);
        tj_str(&j, "serial", t->serial);
        tj_str(&j, "path", t->path);
        tj_str(&j, "method", t->detach ? "detach" : t->touch ? "touch" : "repl");
        tj_end(&j);
        return;
    }
    char who[sizeof t->serial + sizeof t->path + 32];
    tool_boot_target_describe(t, who, sizeof who);
    if (t->detach)
        tool_say(ctx, "entering the bootloader: %s, with DFU_DETACH\n", who);
    else if (t->touch)
        tool_say(ctx, "entering the bootloader: %s %s, with the 1200-baud touch\n", t->port, who);
    else
        tool_say(ctx, "entering the bootloader: %s %s, through the raw REPL\n", t->port, who);
}

/* Ask every board at once: each REPL round trip takes a while. Run-time
 * DFU interfaces are detached first, from the scan they were found in. */
static void enter_all(tool_ctx *ctx, tool_boot_target *targets, size_t n, mpf_usb_list *scan)
{
    enter_job jobs[TOOL_MAX_BOARDS];
    memset(jobs, 0, sizeof jobs);
    for (size_t i = 0; i < n; i++) {
        tool_boot_target *t = &targets[i];
        if (t->rc)
            continue;
        announce(ctx, t);
        if (t->detach) {
            mpf_transport rt;
            t->rc = mpf_usb_open(scan, t->runtime_index, &rt, &t->err);
            if (!t->rc) {
                t->rc = mpf_usb_detach_request(&rt, &t->err);
                mpf_transport_close(&rt);
            }
            continue;
        }
        jobs[i].t = t;
        jobs[i].log = (enter_log){ctx, t->port, t->board};
        jobs[i].started = mpf_thread_start(&jobs[i].thread, enter_thread, &jobs[i]) == 0;
        if (!jobs[i].started)
            enter_thread(&jobs[i]); /* no thread to be had: one at a time still works */
    }
    for (size_t i = 0; i < n; i++)
        if (jobs[i].started)
            mpf_thread_join(&jobs[i].thread);
}

/* ---- waiting for the DFU devices ------------------------------------------------- */

typedef struct dfu_wait {
    tool_ctx *ctx;
    tool_board_set *set;
    tool_boot_target *targets;
    size_t n;
    size_t entered; /* boards asked at once: more than one and SOLE proves nothing */
    char claimed[TOOL_MAX_BOARDS][32]; /* paths of the DFU devices already opened */
    size_t claimed_count;
    char before[TOOL_MAX_BOARDS * 4][32]; /* paths of the DFU devices there before any board was asked */
    size_t before_count;
} dfu_wait;

static void note_before(dfu_wait *w, mpf_usb_list *scan)
{
    const mpf_device_info *devs = mpf_usb_list_devices(scan);
    for (size_t i = 0; i < mpf_usb_list_count(scan) && w->before_count < TOOL_MAX_BOARDS * 4; i++)
        if (devs[i].mode == MPF_MODE_DFU)
            snprintf(w->before[w->before_count++], sizeof w->before[0], "%s", devs[i].path);
}

/* A DFU device that was there before the board was asked, on the board's
 * port chain, is on another host controller: the board itself was still on
 * that port as an application. Only Windows, where a serial port's bus is
 * not known, can confuse the two (mpf_serial_same_port). */
static int other_controller(const dfu_wait *w, const tool_boot_target *t, const mpf_device_info *d)
{
    if (!mpf_serial_same_port(t->path, d->path))
        return 0;
    for (size_t i = 0; i < w->before_count; i++)
        if (strcmp(w->before[i], d->path) == 0)
            return 1;
    return 0;
}

/* t was tied by a port chain alone, whose bus is not known. */
static int chain_only(const tool_boot_target *t)
{
    return t->how == MPF_SERIAL_MATCH_PATH && strncmp(t->path, "0-", 2) == 0;
}

/* cands without the devices that cannot be t's; map[k] is mine[k]'s index in cands. */
static size_t candidates_for(const dfu_wait *w, const tool_boot_target *t, const mpf_device_info *cands, size_t nc,
                             mpf_device_info *mine, size_t *map)
{
    size_t n = 0;
    for (size_t k = 0; k < nc; k++)
        if (!other_controller(w, t, &cands[k])) {
            mine[n] = cands[k];
            map[n++] = k;
        }
    return n;
}

static int is_claimed(const dfu_wait *w, const char *path)
{
    for (size_t i = 0; i < w->claimed_count; i++)
        if (strcmp(w->claimed[i], path) == 0)
            return 1;
    return 0;
}

/* The DFU-mode devices a board may have become: the user's DFU-mode IDs and
 * alt setting apply; the serial and path options chose the boards. */
static size_t candidates(const dfu_wait *w, const mpf_device_info *devs, size_t count, mpf_device_info *out,
                         size_t *index)
{
    mpf_usb_filter f = w->ctx->opt.filter;
    f.serial[0] = f.dfu_serial[0] = f.path[0] = '\0';
    size_t n = 0;
    for (size_t i = 0; i < count && n < TOOL_MAX_BOARDS * 4; i++) {
        if (devs[i].mode != MPF_MODE_DFU || is_claimed(w, devs[i].path) || !mpf_usb_filter_match(&f, &devs[i]))
            continue;
        out[n] = devs[i];
        index[n++] = i;
    }
    return n;
}

/* A transient failure right after enumeration: udev has not yet applied
 * the rule, or the device is still settling. */
static int transient(mpf_err rc)
{
    return rc == MPF_ERR_NO_DEVICE || rc == MPF_ERR_USB_ACCESS || rc == MPF_ERR_USB_DISCONNECTED;
}

/* One scan: tie what can be tied, open it. Returns the boards still open
 * to a later scan. */
static size_t match_scan(dfu_wait *w, mpf_usb_list *list)
{
    static const size_t none = (size_t)-1;
    mpf_device_info *cands = malloc(2 * TOOL_MAX_BOARDS * 4 * sizeof *cands);
    mpf_device_info *mine = cands + TOOL_MAX_BOARDS * 4;
    size_t index[TOOL_MAX_BOARDS * 4], map[TOOL_MAX_BOARDS * 4];
    size_t pick[TOOL_MAX_BOARDS];
    if (!cands) {
        for (size_t i = 0; i < w->n; i++)
            if (!w->targets[i].rc && !w->targets[i].matched)
                w->targets[i].rc = mpf_error_set(&w->targets[i].err, MPF_ERR_NOMEM, "out of memory");
        return 0;
    }
    size_t nc = candidates(w, mpf_usb_list_devices(list), mpf_usb_list_count(list), cands, index);
    for (size_t i = 0; i < w->n; i++) {
        tool_boot_target *t = &w->targets[i];
        pick[i] = none;
        if (t->rc || t->matched)
            continue;
        size_t ci = 0;
        unsigned how = 0;
        mpf_error_clear(&t->wait_err);
        size_t nm = candidates_for(w, t, cands, nc, mine, map);
        mpf_err rc = mpf_serial_match_dfu(t->serial, t->path, mine, nm, &ci, &how, &t->wait_err);
        if (!rc)
            ci = map[ci];
        if (rc) {
            t->wait_rc = rc;
        } else if (how == MPF_SERIAL_MATCH_SOLE && w->entered > 1) {
            t->wait_rc = mpf_error_set(&t->wait_err, MPF_ERR_AMBIGUOUS,
                                       "the only DFU device (serial %s at %s) has neither the board's serial number "
                                       "nor its port, and with %zu boards entering their bootloaders at once that "
                                       "proves nothing; refusing to guess",
                                       cands[ci].serial[0] ? cands[ci].serial : "none", cands[ci].path, w->entered);
        } else {
            pick[i] = ci;
            t->how = how;
        }
    }
    /* Two boards pointing at one device: neither can be proven, unless one
     * is tied by its port chain alone (Windows: the bus is not known, so the
     * device may be on another controller) and the other by its serial
     * number; then the chain gave way, and that board waits for its own. */
    for (size_t i = 0; i < w->n; i++)
        for (size_t j = i + 1; j < w->n; j++) {
            if (pick[i] == none || pick[i] != pick[j])
                continue;
            size_t weak = chain_only(&w->targets[i]) && (w->targets[j].how & MPF_SERIAL_MATCH_SERIAL) ? i
                          : chain_only(&w->targets[j]) && (w->targets[i].how & MPF_SERIAL_MATCH_SERIAL) ? j
                                                                                                         : none;
            if (weak != none) {
                tool_boot_target *t = &w->targets[weak];
                t->wait_rc = mpf_error_set(&t->wait_err, MPF_ERR_AMBIGUOUS,
                                           "its port chain points to the DFU device at %s, which board %s's serial "
                                           "number ties to that board",
                                           cands[pick[i]].path, w->targets[weak == i ? j : i].label);
                pick[weak] = none;
                continue;
            }
            for (int k = 0; k < 2; k++) {
                tool_boot_target *t = &w->targets[k ? j : i];
                t->rc = mpf_error_set(&t->err, MPF_ERR_AMBIGUOUS,
                                      "boards %s and %s both point to the DFU device at %s; refusing to guess "
                                      "which one it is",
                                      w->targets[i].label, w->targets[j].label, cands[pick[i]].path);
            }
            pick[i] = pick[j] = none;
        }
    size_t open = 0;
    for (size_t i = 0; i < w->n; i++) {
        tool_boot_target *t = &w->targets[i];
        if (pick[i] != none) {
            mpf_transport tr;
            mpf_error_clear(&t->wait_err);
            mpf_err rc = mpf_usb_open(list, index[pick[i]], &tr, &t->wait_err);
            if (!rc) {
                t->matched = 1;
                tool_device_adopt(&t->board->dev, &tr);
                t->board->opened = 1;
                snprintf(w->claimed[w->claimed_count++], sizeof w->claimed[0], "%s", tr.info.path);
            } else if (!transient(rc)) {
                t->rc = rc;
                t->err = t->wait_err;
            } else {
                t->wait_rc = rc;
            }
        }
        open += !t->rc && !t->matched;
    }
    free(cands);
    return open;
}

static mpf_err wait_for_dfu(dfu_wait *w, mpf_error *err)
{
    unsigned wait_s = w->ctx->opt.wait_seconds ? w->ctx->opt.wait_seconds : DFU_WAIT_DEFAULT_S;
    uint64_t deadline = mpf_clock_now_ms(NULL) + (uint64_t)wait_s * 1000u;
    for (;;) {
        mpf_usb_list *list = NULL;
        mpf_err rc = mpf_usb_scan(w->set->usb, &list, err);
        if (rc)
            return rc;
        size_t open = match_scan(w, list);
        mpf_usb_list_free(list);
        if (open == 0 || mpf_clock_now_ms(NULL) >= deadline)
            break;
        mpf_clock_sleep_ms(NULL, RESCAN_MS);
    }
    for (size_t i = 0; i < w->n; i++) {
        tool_boot_target *t = &w->targets[i];
        if (t->rc || t->matched)
            continue;
        t->rc = t->wait_rc ? t->wait_rc : MPF_ERR_NO_DEVICE;
        t->err = t->wait_err;
        t->err.code = t->rc;
        mpf_error_prefix(&t->err, "after waiting %u s for its DFU device", wait_s);
    }
    return MPF_OK;
}

/* ---- the whole -B ------------------------------------------------------------------ */

mpf_err tool_boards_bootloader(tool_ctx *ctx, tool_board_set *set, mpf_error *err)
{
    mpf_err rc = mpf_usb_new(&set->usb, err);
    if (rc)
        return rc;
    tool_boot_target *targets = calloc(TOOL_MAX_BOARDS, sizeof *targets);
    if (!targets)
        return mpf_error_set(err, MPF_ERR_NOMEM, "out of memory");
    mpf_usb_list *scan = NULL;
    size_t n = 0;
    rc = mpf_usb_scan(set->usb, &scan, err);
    if (!rc)
        rc = tool_boot_targets_find(ctx, scan, targets, &n, err);
    if (!rc) {
        /* Identified, so the boards exist from here on, failed or not. */
        for (size_t i = 0; i < n; i++) {
            targets[i].board = tool_boards_add(set, err);
            tool_board *b = targets[i].board;
            snprintf(b->label, sizeof b->label, "%s", targets[i].label);
            snprintf(b->app_serial, sizeof b->app_serial, "%s", targets[i].serial);
            snprintf(b->app_path, sizeof b->app_path, "%s", targets[i].path);
            if (targets[i].detach)
                snprintf(b->entered, sizeof b->entered, "DFU_DETACH");
            else
                snprintf(b->entered, sizeof b->entered, "%s", targets[i].port);
        }
        enter_all(ctx, targets, n, scan);
    }
    dfu_wait *w = calloc(1, sizeof *w);
    if (!w && !rc)
        rc = mpf_error_set(err, MPF_ERR_NOMEM, "out of memory");
    if (w && scan)
        note_before(w, scan);
    /* Held references could delay the re-enumeration we wait for. */
    if (scan)
        mpf_usb_list_free(scan);
    if (!rc) {
        w->ctx = ctx;
        w->set = set;
        w->targets = targets;
        w->n = n;
        for (size_t i = 0; i < n; i++)
            w->entered += targets[i].rc == MPF_OK;
        rc = wait_for_dfu(w, err);
    }
    free(w);
    for (size_t i = 0; !rc && i < n; i++) {
        tool_board *b = targets[i].board;
        if (targets[i].rc) {
            b->rc = targets[i].rc;
            b->err = targets[i].err;
        } else {
            tool_board_label(b, b->dev.transport.info.serial, b->dev.transport.info.path);
        }
    }
    /* One board: its failure is the run's. */
    if (!rc && !set->multi && n == 1 && targets[0].rc) {
        rc = targets[0].rc;
        *err = targets[0].err;
    }
    free(targets);
    return rc;
}
