/* The DFU 1.1 state machine (USB DFU 1.1, appendix A) with ST's DfuSe
 * reading of it: which class request each state accepts and where it goes.
 * Anything else stalls and leaves the device in dfuERROR.
 *
 *   state           accepts                       goes to
 *   dfuIDLE         DNLOAD (len>0)                dfuDNLOAD-SYNC
 *                   DNLOAD (len 0, DfuSe leave)   dfuMANIFEST-SYNC
 *                   UPLOAD                        dfuUPLOAD-IDLE
 *                   ABORT, GETSTATUS, GETSTATE    dfuIDLE
 *   dfuDNLOAD-SYNC  GETSTATUS, block stored       executes it: dfuDNBUSY
 *                   GETSTATUS, block done         dfuDNLOAD-IDLE
 *                   GETSTATE                      (stays)
 *                   ABORT                         dfuIDLE (block dropped)
 *   dfuDNBUSY       nothing: requests wait for the operation, which ends in
 *                   dfuDNLOAD-SYNC (mboot: dfuDNLOAD-IDLE) or dfuERROR
 *   dfuDNLOAD-IDLE  DNLOAD (len>0)                dfuDNLOAD-SYNC
 *                   DNLOAD (len 0)                dfuMANIFEST-SYNC
 *                   ABORT                         dfuIDLE
 *                   GETSTATUS, GETSTATE           (stays)
 *   dfuMANIFEST-SYNC GETSTATUS                    reports dfuMANIFEST, leaves
 *                   GETSTATE                      (stays)
 *   dfuUPLOAD-IDLE  UPLOAD                        (stays)
 *                   ABORT                         dfuIDLE
 *                   GETSTATUS, GETSTATE           (stays)
 *   dfuERROR        CLRSTATUS                     dfuIDLE, status OK
 *                   GETSTATUS, GETSTATE           (stays)
 * DETACH is a run-time request: it stalls in DFU mode.
 */
#include <string.h>

#include "sim/sim_internal.h"

mpf_err sim_stall(mpf_sim *sim, uint8_t status)
{
    if (sim->state != MPF_DFU_STATE_ERROR) {
        sim->state = MPF_DFU_STATE_ERROR;
        sim->status = status;
        sim->istring = 0;
    }
    sim->stuck = 0;
    sim->pending.active = 0;
    return MPF_ERR_USB_STALL;
}

void sim_reset_dfu(mpf_sim *sim)
{
    sim->state = MPF_DFU_STATE_IDLE;
    sim->status = MPF_DFU_STATUS_OK;
    sim->istring = 0;
    sim->stuck = 0;
    sim->pending.active = 0;
    sim->busy.active = 0;
    sim->poll_deadline_us = 0;
}

static mpf_err stall_request(mpf_sim *sim)
{
    return sim_stall(sim, MPF_DFU_STATUS_ERR_STALLEDPKT);
}

static mpf_err handle_dnload(mpf_sim *sim, sim_call *call)
{
    if (call->dir_in ||
        (sim->state != MPF_DFU_STATE_IDLE && sim->state != MPF_DFU_STATE_DNLOAD_IDLE))
        return stall_request(sim);
    sim_pending *p = &sim->pending;
    if (call->length == 0) {
        /* DfuSe: a zero-length DNLOAD asks the device to leave. */
        *p = (sim_pending){ .active = 1, .op = MPF_SIM_OP_LEAVE, .data = p->data };
        sim->state = MPF_DFU_STATE_MANIFEST_SYNC;
        return MPF_OK;
    }
    if (!(sim->attributes & MPF_DFU_ATTR_CAN_DNLOAD) ||
        call->length > sim->transfer_size)
        return stall_request(sim);
    memcpy(p->data, call->out, call->length);
    p->active = 1;
    p->op = call->op;
    p->block = call->value;
    p->length = call->length;
    p->forced = 0;
    sim->state = MPF_DFU_STATE_DNLOAD_SYNC;
    return MPF_OK;
}

static mpf_err handle_upload(mpf_sim *sim, sim_call *call)
{
    if (!call->dir_in || !(sim->attributes & MPF_DFU_ATTR_CAN_UPLOAD) ||
        (sim->state != MPF_DFU_STATE_IDLE && sim->state != MPF_DFU_STATE_UPLOAD_IDLE))
        return stall_request(sim);
    uint8_t status = MPF_DFU_STATUS_ERR_STALLEDPKT;
    if (sim_upload(sim, call->value, call->in, call->length, &call->received, &status) != 0) {
        call->received = 0;
        return sim_stall(sim, status);
    }
    sim->state = MPF_DFU_STATE_UPLOAD_IDLE;
    return MPF_OK;
}

int sim_take_stored_or_fail(mpf_sim *sim)
{
    sim_pending *p = &sim->pending;
    p->active = 0;
    if (!p->forced)
        return 0;
    sim->state = MPF_DFU_STATE_ERROR;
    sim->status = p->forced_status;
    return 1;
}

/* GETSTATUS in dfuDNLOAD-SYNC with a block stored: run it. */
static uint8_t execute_stored(mpf_sim *sim, sim_call *call)
{
    if (sim_take_stored_or_fail(sim))
        return sim->state;
    call->outcome = sim_execute(sim);
    call->poll_ms = sim_poll_report(sim, call->outcome.us);
    call->starts_busy = 1;
    return MPF_DFU_STATE_DNBUSY;
}

static uint8_t leave(mpf_sim *sim, sim_call *call)
{
    if (sim_take_stored_or_fail(sim))
        return sim->state;
    sim->state = MPF_DFU_STATE_MANIFEST;
    call->leaves = 1;
    return sim->state;
}

void sim_status_reply(const mpf_sim *sim, sim_call *call, uint8_t reported)
{
    uint8_t *r = call->in;
    r[0] = sim->status;
    r[1] = (uint8_t)(call->poll_ms & 0xFF);
    r[2] = (uint8_t)((call->poll_ms >> 8) & 0xFF);
    r[3] = (uint8_t)((call->poll_ms >> 16) & 0xFF);
    r[4] = reported;
    r[5] = sim->istring;
    call->received = 6;
}

static mpf_err handle_getstatus(mpf_sim *sim, sim_call *call)
{
    if (!call->dir_in || call->length < 6)
        return stall_request(sim);
    uint8_t reported;
    if (sim->stuck) {
        /* H743 rev V after an erase above 1 MiB: busy, for good. */
        call->poll_ms = sim->stuck_poll_ms;
        reported = MPF_DFU_STATE_DNBUSY;
    } else if (sim->state == MPF_DFU_STATE_DNLOAD_SYNC && sim->pending.active) {
        reported = execute_stored(sim, call);
    } else if (sim->state == MPF_DFU_STATE_DNLOAD_SYNC) {
        sim->state = MPF_DFU_STATE_DNLOAD_IDLE;
        reported = sim->state;
    } else if (sim->state == MPF_DFU_STATE_MANIFEST_SYNC) {
        reported = leave(sim, call);
    } else {
        reported = sim->state;
    }
    sim_status_reply(sim, call, reported);
    if (sim->chip->status_clears_on_read) {
        /* mboot clears both once reported (main.c, dfu_handle_tx). */
        sim->status = MPF_DFU_STATUS_OK;
        sim->istring = 0;
    }
    return MPF_OK;
}

static mpf_err handle_getstate(mpf_sim *sim, sim_call *call)
{
    if (!call->dir_in || call->length < 1)
        return stall_request(sim);
    call->in[0] = sim->state;
    call->received = 1;
    return MPF_OK;
}

static mpf_err handle_clrstatus(mpf_sim *sim, sim_call *call)
{
    if (!call->dir_in && sim->stuck) {
        /* The first CLRSTATUS of STM32CubeProgrammer's procedure: the stuck
         * H743 rev V answers errUNKNOWN, dfuERROR (betaflight PR #1861). */
        sim->stuck = 0;
        sim->state = MPF_DFU_STATE_ERROR;
        sim->status = MPF_DFU_STATUS_ERR_UNKNOWN;
        return MPF_OK;
    }
    if (call->dir_in || sim->state != MPF_DFU_STATE_ERROR)
        return stall_request(sim);
    sim->state = MPF_DFU_STATE_IDLE;
    sim->status = MPF_DFU_STATUS_OK;
    sim->istring = 0;
    return MPF_OK;
}

static mpf_err handle_abort(mpf_sim *sim, sim_call *call)
{
    switch (sim->state) {
    case MPF_DFU_STATE_IDLE:
    case MPF_DFU_STATE_DNLOAD_SYNC:
    case MPF_DFU_STATE_DNLOAD_IDLE:
    case MPF_DFU_STATE_UPLOAD_IDLE:
        if (call->dir_in)
            break;
        sim->state = MPF_DFU_STATE_IDLE;
        sim->pending.active = 0;
        return MPF_OK;
    default:
        break;
    }
    return stall_request(sim);
}

mpf_err sim_state_handle(mpf_sim *sim, sim_call *call)
{
    switch (call->request) {
    case MPF_DFU_DNLOAD:
        return handle_dnload(sim, call);
    case MPF_DFU_UPLOAD:
        return handle_upload(sim, call);
    case MPF_DFU_GETSTATUS:
        return handle_getstatus(sim, call);
    case MPF_DFU_GETSTATE:
        return handle_getstate(sim, call);
    case MPF_DFU_CLRSTATUS:
        return handle_clrstatus(sim, call);
    case MPF_DFU_ABORT:
        return handle_abort(sim, call);
    default:
        return stall_request(sim);
    }
}
