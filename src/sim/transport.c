/* The virtual device as an mpf_transport: each operation becomes one
 * request through sim_dispatch, and the transport's clock is the device's
 * virtual clock. */
#include <stdio.h>
#include <string.h>

#include "sim/sim_internal.h"

static mpf_err sim_control_out(void *ctx, uint8_t request, uint16_t value, const uint8_t *data,
                               uint16_t length, unsigned timeout_ms, mpf_error *err)
{
    mpf_sim *sim = ctx;
    if (length > 0 && !data)
        return mpf_error_set(err, MPF_ERR_INTERNAL, "virtual device: %u bytes to send but no data",
                             (unsigned)length);
    sim_call call = {
        .dir_in = 0,
        .request = request,
        .value = value,
        .out = data,
        .length = length,
        .op = sim->chip->plain ? sim_plain_classify(request, length, 0)
                               : sim_classify(request, value, data, length, 0),
    };
    return sim_dispatch(sim, &call, timeout_ms, err);
}

static mpf_err sim_control_in(void *ctx, uint8_t request, uint16_t value, uint8_t *data,
                              uint16_t length, size_t *received, unsigned timeout_ms,
                              mpf_error *err)
{
    mpf_sim *sim = ctx;
    if (received)
        *received = 0;
    if (length > 0 && !data)
        return mpf_error_set(err, MPF_ERR_INTERNAL,
                             "virtual device: %u bytes to receive but no buffer",
                             (unsigned)length);
    /* Replies are built in a buffer big enough for any of them. */
    sim_call call = {
        .dir_in = 1,
        .request = request,
        .value = value,
        .in = sim->reply,
        .length = length,
        .op = sim->chip->plain ? sim_plain_classify(request, length, 1)
                               : sim_classify(request, value, NULL, length, 1),
    };
    mpf_err rc = sim_dispatch(sim, &call, timeout_ms, err);
    size_t n = call.received < length ? call.received : length;
    if (rc == MPF_OK && n > 0)
        memcpy(data, sim->reply, n);
    if (received)
        *received = rc == MPF_OK ? n : 0;
    return rc;
}

static mpf_err sim_select_alt(void *ctx, uint8_t alt, mpf_error *err)
{
    mpf_sim *sim = ctx;
    sim_call call = {
        .request = MPF_SIM_REQUEST_SET_INTERFACE,
        .value = alt,
        .op = MPF_SIM_OP_SELECT_ALT,
    };
    return sim_dispatch(sim, &call, 0, err);
}

static mpf_err sim_reset(void *ctx, mpf_error *err)
{
    mpf_sim *sim = ctx;
    sim_call call = { .request = MPF_SIM_REQUEST_PORT_RESET, .op = MPF_SIM_OP_RESET };
    return sim_dispatch(sim, &call, 0, err);
}

static void sim_sleep_ms(void *ctx, uint32_t ms)
{
    mpf_sim *sim = ctx;
    sim->now_us += (uint64_t)ms * 1000;
}

static uint64_t sim_now_us(void *ctx)
{
    const mpf_sim *sim = ctx;
    return sim->now_us;
}

static void sim_close(void *ctx)
{
    (void)ctx; /* the board outlives the connection */
}

static mpf_err sim_get_string(void *ctx, uint8_t index, char *out, size_t size, mpf_error *err)
{
    const mpf_sim *sim = ctx;
    if (size == 0)
        return mpf_error_set(err, MPF_ERR_INTERNAL, "string descriptor %u: no room",
                             (unsigned)index);
    out[0] = '\0';
    if (!sim->connected)
        return mpf_error_set(err, MPF_ERR_USB_DISCONNECTED,
                             "virtual %s: string descriptor %u: device is not connected",
                             sim->chip->name, (unsigned)index);
    const char *s = sim_string(sim, index);
    if (!s)
        return mpf_error_set(err, MPF_ERR_USB_STALL, "virtual %s: no string descriptor %u",
                             sim->chip->name, (unsigned)index);
    snprintf(out, size, "%s", s);
    return MPF_OK;
}

static const mpf_transport_ops sim_ops = {
    .control_out = sim_control_out,
    .control_in = sim_control_in,
    .select_alt = sim_select_alt,
    .reset = sim_reset,
    .sleep_ms = sim_sleep_ms,
    .now_us = sim_now_us,
    .close = sim_close,
    .get_string = sim_get_string,
};

void mpf_sim_transport(mpf_sim *sim, mpf_transport *out)
{
    const sim_chip *c = sim->chip;
    memset(out, 0, sizeof *out);
    out->ops = &sim_ops;
    out->ctx = sim;
    mpf_device_info *info = &out->info;
    info->vid = sim->vid;
    info->pid = sim->pid;
    info->bcd_device = c->bcd_device;
    info->mode = MPF_MODE_DFU;
    info->interface_number = 0;
    info->bus = 1;
    info->devnum = 1;
    info->configuration = 1;
    snprintf(info->path, sizeof info->path, "%s", sim->path);
    snprintf(info->serial, sizeof info->serial, "%s", sim_serial(sim));
    snprintf(info->manufacturer, sizeof info->manufacturer, "%s", c->manufacturer);
    snprintf(info->product, sizeof info->product, "%s", c->product);
    info->func = c->func;
    info->func.transfer_size = sim->transfer_size;
    info->func.attributes = sim->attributes;
    info->num_alts = c->num_alts;
    for (size_t i = 0; i < c->num_alts; i++) {
        info->alts[i].alt = (uint8_t)i;
        snprintf(info->alts[i].name, sizeof info->alts[i].name, "%s", c->alts[i].layout);
    }
}
