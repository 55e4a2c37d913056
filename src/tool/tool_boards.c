/* Finding the boards of a flashing run: the one board the filters select,
 * every matching board (--all), or one board per -S. Several boards are
 * found with one scan and opened one by one here, on the main thread; only
 * the flashing runs on their threads. */
#include "platform/clock.h"
#include "tool/tool_board.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WAIT_POLL_MS 250u

int tool_boards_multi(const tool_options *o)
{
    return o->all || o->serial_count > 1 || o->port_count > 1;
}

tool_board *tool_boards_add(tool_board_set *set, mpf_error *err)
{
    if (set->count == TOOL_MAX_BOARDS) {
        mpf_error_set(err, MPF_ERR_USAGE, "more than %u boards; choose some with -S SERIAL", TOOL_MAX_BOARDS);
        return NULL;
    }
    tool_board *b = &set->boards[set->count++];
    memset(b, 0, sizeof *b);
    return b;
}

void tool_board_label(tool_board *b, const char *serial, const char *path)
{
    /* A serial every such chip shows (STM32F072 ROM) names no board: its
     * port does. */
    if (serial && *serial && mpf_usb_serial_shared(serial) && path && *path)
        snprintf(b->label, sizeof b->label, "%s", path);
    else if (serial && *serial)
        snprintf(b->label, sizeof b->label, "%s", serial);
    else if (path && *path)
        snprintf(b->label, sizeof b->label, "%s", path);
    else
        snprintf(b->label, sizeof b->label, "(no serial)");
}

/* Labels name per-board files (--backup, --sim-state): two boards with one
 * serial number (it happens with clones) get their port path added. */
static void unique_labels(tool_board_set *set)
{
    for (size_t i = 0; i < set->count; i++)
        for (size_t j = i + 1; j < set->count; j++) {
            tool_board *b = &set->boards[j];
            if (strcmp(set->boards[i].label, b->label) != 0 || !b->opened)
                continue;
            char with_path[sizeof b->label];
            snprintf(with_path, sizeof with_path, "%.100s@%.31s", b->label, b->dev.transport.info.path);
            memcpy(b->label, with_path, sizeof with_path);
        }
}

static void board_failed(tool_board *b, const mpf_error *e)
{
    b->rc = e->code ? e->code : MPF_ERR_INTERNAL;
    b->err = *e;
}

/* ---- virtual boards --------------------------------------------------------- */

static mpf_err open_sim_board(tool_ctx *ctx, tool_board_set *set, size_t index, const mpf_device_info *info,
                              mpf_error *err)
{
    tool_board *b = tool_boards_add(set, err);
    if (!b)
        return err->code;
    tool_board_label(b, info->serial, info->path);
    mpf_error e = {0};
    if (tool_device_open_sim(ctx, index, &b->dev, &e))
        board_failed(b, &e);
    else
        b->opened = 1;
    return MPF_OK;
}

static mpf_err acquire_sims(tool_ctx *ctx, tool_board_set *set, mpf_error *err)
{
    size_t count = tool_sim_board_count(&ctx->opt);
    mpf_device_info *infos = calloc(count, sizeof *infos);
    if (!infos)
        return mpf_error_set(err, MPF_ERR_NOMEM, "out of memory");
    int *taken = calloc(count, sizeof *taken);
    mpf_err rc = taken ? MPF_OK : mpf_error_set(err, MPF_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < count && !rc; i++)
        rc = tool_device_sim_info(ctx, i, &infos[i], err);
    for (size_t i = 0; i < count && !rc && ctx->opt.all; i++)
        if (mpf_usb_filter_match(&ctx->opt.filter, &infos[i]))
            rc = open_sim_board(ctx, set, i, &infos[i], err);
    if (!rc && ctx->opt.all && set->count == 0) {
        size_t unused;
        rc = mpf_usb_select(&ctx->opt.filter, infos, NULL, count, &unused, err);
        mpf_error_prefix(err, "--sim %s", ctx->opt.sim_chip);
        rc = rc ? rc : MPF_ERR_INTERNAL;
    }
    for (size_t s = 0; s < ctx->opt.serial_count && !rc && !ctx->opt.all; s++) {
        mpf_usb_filter f = ctx->opt.filter;
        size_t index = 0;
        mpf_error e = {0};
        mpf_err found = mpf_usb_filter_set_serial(&f, ctx->opt.serials[s], &e);
        if (!found)
            found = mpf_usb_select(&f, infos, NULL, count, &index, &e);
        if (!found && taken[index]) {
            rc = mpf_error_set(err, MPF_ERR_USAGE, "-S %s names a board already named; give each board once",
                               ctx->opt.serials[s]);
        } else if (found) {
            tool_board *b = tool_boards_add(set, err);
            if (!b)
                rc = err->code;
            else {
                tool_board_label(b, ctx->opt.serials[s], NULL);
                mpf_error_prefix(&e, "--sim %s", ctx->opt.sim_chip);
                board_failed(b, &e);
            }
        } else {
            taken[index] = 1;
            rc = open_sim_board(ctx, set, index, &infos[index], err);
        }
    }
    free(taken);
    free(infos);
    return rc;
}

/* ---- USB boards ---------------------------------------------------------------- */

/* Which entries of a scan the options take; missing counts what -S named
 * but is not there (yet). */
static size_t select_usb(tool_ctx *ctx, mpf_usb_list *list, size_t *chosen, mpf_err *why, mpf_error *notes,
                         size_t *missing)
{
    const mpf_device_info *devs = mpf_usb_list_devices(list);
    size_t count = mpf_usb_list_count(list), n = 0;
    *missing = 0;
    if (ctx->opt.all) {
        for (size_t i = 0; i < count && n < TOOL_MAX_BOARDS; i++)
            if (devs[i].mode == MPF_MODE_DFU && mpf_usb_filter_match(&ctx->opt.filter, &devs[i]))
                chosen[n++] = i;
        return n;
    }
    for (size_t s = 0; s < ctx->opt.serial_count; s++) {
        mpf_usb_filter f = ctx->opt.filter;
        notes[s].code = MPF_OK;
        why[s] = mpf_usb_filter_set_serial(&f, ctx->opt.serials[s], &notes[s]);
        if (!why[s])
            why[s] = mpf_usb_select(&f, devs, mpf_usb_list_notes(list), count, &chosen[s], &notes[s]);
        *missing += why[s] == MPF_ERR_NO_DEVICE;
    }
    return ctx->opt.serial_count;
}

static void warn_runtime(tool_ctx *ctx, mpf_usb_list *list)
{
    const mpf_device_info *devs = mpf_usb_list_devices(list);
    for (size_t i = 0; i < mpf_usb_list_count(list); i++) {
        if (devs[i].mode != MPF_MODE_RUNTIME || !mpf_usb_filter_match(&ctx->opt.filter, &devs[i]))
            continue;
        char d[sizeof devs[i].serial + 96];
        mpf_usb_describe(&devs[i], d, sizeof d);
        tool_warn(ctx, "left alone: %s runs its application; add --bootloader to switch it to DFU mode", d);
    }
}

static mpf_err acquire_usb(tool_ctx *ctx, tool_board_set *set, mpf_error *err)
{
    mpf_err rc = mpf_usb_new(&set->usb, err);
    if (rc)
        return rc;
    size_t chosen[TOOL_MAX_BOARDS] = {0}, n = 0, missing = 0;
    mpf_err why[TOOL_MAX_BOARDS] = {MPF_OK};
    mpf_error notes[TOOL_MAX_BOARDS];
    mpf_usb_list *list = NULL;
    uint64_t deadline = mpf_clock_now_ms(NULL) + (uint64_t)ctx->opt.wait_seconds * 1000u;
    for (;;) {
        if ((rc = mpf_usb_scan(set->usb, &list, err)))
            return rc;
        n = select_usb(ctx, list, chosen, why, notes, &missing);
        int incomplete = ctx->opt.all ? n == 0 : missing > 0;
        if (!incomplete || !ctx->opt.wait || (ctx->opt.wait_seconds && mpf_clock_now_ms(NULL) >= deadline))
            break;
        mpf_usb_list_free(list);
        list = NULL;
        mpf_clock_sleep_ms(NULL, WAIT_POLL_MS);
    }
    if (ctx->opt.all && n == 0) {
        size_t unused;
        rc = mpf_usb_select(&ctx->opt.filter, mpf_usb_list_devices(list), mpf_usb_list_notes(list),
                            mpf_usb_list_count(list), &unused, err);
        mpf_usb_list_free(list);
        return rc ? rc : mpf_error_set(err, MPF_ERR_NO_DEVICE, "no DFU-mode device matches");
    }
    if (ctx->opt.all)
        warn_runtime(ctx, list);
    for (size_t k = 0; k < n && !rc; k++) {
        tool_board *b = tool_boards_add(set, err);
        if (!b) {
            rc = err->code;
            break;
        }
        if (why[k]) {
            tool_board_label(b, ctx->opt.serials[k], NULL);
            board_failed(b, &notes[k]);
            continue;
        }
        for (size_t j = 0; j < k && !rc; j++)
            if (!why[j] && chosen[j] == chosen[k])
                rc = mpf_error_set(err, MPF_ERR_USAGE, "-S %s names a board already named; give each board once",
                                   ctx->opt.serials[k]);
        const mpf_device_info *info = &mpf_usb_list_devices(list)[chosen[k]];
        tool_board_label(b, info->serial, info->path);
        if (rc)
            break;
        mpf_transport t;
        mpf_error e = {0};
        if (info->mode == MPF_MODE_RUNTIME) {
            mpf_error_set(&e, MPF_ERR_NO_DEVICE, "%s runs its application; add --bootloader to switch it to DFU mode",
                          b->label);
            board_failed(b, &e);
        } else if (mpf_usb_open(list, chosen[k], &t, &e)) {
            board_failed(b, &e);
        } else {
            tool_device_adopt(&b->dev, &t);
            b->opened = 1;
        }
    }
    mpf_usb_list_free(list);
    return rc;
}

mpf_err tool_boards_acquire(tool_ctx *ctx, tool_board_set *set, mpf_error *err)
{
    memset(set, 0, sizeof *set);
    set->multi = tool_boards_multi(&ctx->opt);
    set->boards = calloc(TOOL_MAX_BOARDS, sizeof *set->boards);
    if (!set->boards)
        return mpf_error_set(err, MPF_ERR_NOMEM, "out of memory");
    mpf_err rc;
    if (ctx->opt.bootloader) {
        rc = tool_boards_bootloader(ctx, set, err);
    } else if (!set->multi) {
        tool_board *b = tool_boards_add(set, err);
        rc = tool_device_open(ctx, &b->dev, err);
        b->opened = !rc;
        tool_board_label(b, b->dev.transport.info.serial, b->dev.transport.info.path);
    } else {
        rc = ctx->opt.sim_chip ? acquire_sims(ctx, set, err) : acquire_usb(ctx, set, err);
    }
    unique_labels(set);
    return rc;
}

void tool_boards_close(tool_ctx *ctx, tool_board_set *set)
{
    for (size_t i = 0; set->boards && i < set->count; i++) {
        tool_board *b = &set->boards[i];
        mpf_error e = {0};
        mpf_err rc = tool_device_close(ctx, &b->dev, &e);
        if (rc && !b->rc)
            board_failed(b, &e);
        if (b->has_plan)
            mpf_plan_free(&b->plan);
        if (b->has_own_image)
            mpf_image_free(&b->own_image);
        b->has_plan = b->has_own_image = 0;
        b->opened = 0;
    }
    if (set->usb)
        mpf_usb_free(set->usb);
    set->usb = NULL;
}

void tool_boards_free(tool_board_set *set)
{
    free(set->boards);
    set->boards = NULL;
    set->count = 0;
}
