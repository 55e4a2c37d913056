/* The path every request takes through the virtual device: is it there, is
 * it busy, does a fault fire, then the state machine; then the clock, the
 * log and the message. */
#include "sim/sim_internal.h"

static int is_dnload_op(mpf_sim_op op)
{
    switch (op) {
    case MPF_SIM_OP_SET_ADDRESS:
    case MPF_SIM_OP_ERASE:
    case MPF_SIM_OP_MASS_ERASE:
    case MPF_SIM_OP_UNPROTECT:
    case MPF_SIM_OP_WRITE:
    case MPF_SIM_OP_LEAVE:
        return 1;
    default:
        return 0;
    }
}

static uint32_t logged_address(const mpf_sim *sim, const sim_call *call)
{
    switch (call->op) {
    case MPF_SIM_OP_SET_ADDRESS:
    case MPF_SIM_OP_ERASE:
        return sim_command_argument(call->out);
    case MPF_SIM_OP_WRITE:
        if (sim->chip->plain)
            return sim_plain_block_address(sim, call->value);
        return sim_block_address(sim, call->value);
    case MPF_SIM_OP_UPLOAD:
        if (sim->chip->plain)
            return 0;
        return call->value >= MPF_DFUSE_FIRST_DATA_BLOCK ? sim_block_address(sim, call->value) : 0;
    default:
        return 0;
    }
}

static void charge_transfer(mpf_sim *sim, const sim_call *call)
{
    sim->now_us += sim_usb_cost(sim, call->dir_in ? call->received : call->length);
}

static mpf_err perform(mpf_sim *sim, sim_call *call)
{
    mpf_err rc = MPF_OK;
    switch (call->op) {
    case MPF_SIM_OP_SELECT_ALT:
        /* A standard request: a bad alt stalls it but the DFU state is
         * not involved. */
        if (call->value >= sim->chip->num_alts)
            rc = MPF_ERR_USB_STALL;
        else
            sim->alt = (uint8_t)call->value;
        break;
    case MPF_SIM_OP_RESET:
        /* Re-enumeration keeps the bootloader running, back in dfuIDLE. */
        if (sim->chip->plain)
            sim_plain_reset(sim, call);
        else
            sim_reset_dfu(sim);
        break;
    default:
        rc = sim->chip->plain ? sim_plain_handle(sim, call) : sim_state_handle(sim, call);
        break;
    }
    charge_transfer(sim, call);
    if (call->starts_busy)
        sim_clock_start_busy(sim, &call->outcome);
    if (rc == MPF_OK && call->op == MPF_SIM_OP_GETSTATUS)
        sim_note_poll_timeout(sim, call->poll_ms);
    if (call->leaves) {
        sim->connected = 0;
        sim->left = 1;
        sim->jump_address = sim->chip->jump_to_pointer ? sim->leave_target : sim->chip->app_address;
    }
    return rc;
}

static mpf_err apply_fault(mpf_sim *sim, sim_call *call, const mpf_sim_fault *f,
                           unsigned timeout_ms)
{
    switch (f->kind) {
    case MPF_SIM_FAULT_STALL:
        call->received = 0;
        charge_transfer(sim, call);
        sim->state = MPF_DFU_STATE_ERROR;
        sim->status = MPF_DFU_STATUS_ERR_STALLEDPKT;
        sim->pending.active = 0;
        return MPF_ERR_USB_STALL;
    case MPF_SIM_FAULT_TIMEOUT:
        sim->now_us += (uint64_t)timeout_ms * 1000;
        return MPF_ERR_USB_TIMEOUT;
    case MPF_SIM_FAULT_DISCONNECT:
        sim->connected = 0;
        return MPF_ERR_USB_DISCONNECTED;
    case MPF_SIM_FAULT_STATUS:
    default:
        break;
    }
    if (is_dnload_op(call->op)) {
        mpf_err rc = perform(sim, call);
        if (rc == MPF_OK && sim->pending.active) {
            sim->pending.forced = 1;
            sim->pending.forced_status = f->status;
        }
        return rc;
    }
    sim->state = MPF_DFU_STATE_ERROR;
    sim->status = f->status;
    sim->pending.active = 0;
    if (call->op == MPF_SIM_OP_GETSTATUS)
        return perform(sim, call);
    call->received = 0;
    charge_transfer(sim, call);
    return MPF_ERR_USB_STALL;
}

static mpf_err run(mpf_sim *sim, sim_call *call, unsigned timeout_ms)
{
    if (!sim->connected)
        return MPF_ERR_USB_DISCONNECTED;
    mpf_err rc = sim_clock_arrive(sim, timeout_ms);
    if (rc != MPF_OK)
        return rc;
    if (!sim->connected) /* the operation it waited for reset the chip */
        return MPF_ERR_USB_DISCONNECTED;
    const mpf_sim_fault *f = sim_fault_check(sim, call->op);
    if (f)
        return apply_fault(sim, call, f, timeout_ms);
    if (is_dnload_op(call->op) && call->op != MPF_SIM_OP_LEAVE && sim_pipe_stalls(sim)) {
        static const mpf_sim_fault pipe = {.kind = MPF_SIM_FAULT_STALL};
        return apply_fault(sim, call, &pipe, timeout_ms);
    }
    uint64_t delay = call->op == MPF_SIM_OP_GETSTATUS ? sim_status_delay_us(sim) : 0;
    if (delay && timeout_ms != 0 && (uint64_t)timeout_ms * 1000 < delay) {
        sim->now_us += (uint64_t)timeout_ms * 1000;
        return MPF_ERR_USB_TIMEOUT;
    }
    sim->now_us += delay;
    return perform(sim, call);
}

static const char *op_name(const sim_call *call)
{
    if (call->op == MPF_SIM_OP_SELECT_ALT)
        return "SET_INTERFACE";
    if (call->op == MPF_SIM_OP_RESET)
        return "port reset";
    return mpf_dfu_request_name(call->request);
}

static mpf_err describe(const mpf_sim *sim, const sim_call *call, mpf_err rc, mpf_error *err)
{
    const char *chip = sim->chip->name;
    switch (rc) {
    case MPF_ERR_USB_STALL:
        return mpf_error_set(err, rc, "virtual %s: %s (wValue %u) stalled; device now %s, %s",
                             chip, op_name(call), (unsigned)call->value,
                             mpf_dfu_state_name(sim->state), mpf_dfu_status_name(sim->status));
    case MPF_ERR_USB_TIMEOUT:
        return mpf_error_set(err, rc, "virtual %s: %s timed out", chip, op_name(call));
    case MPF_ERR_USB_DISCONNECTED:
        return mpf_error_set(err, rc, "virtual %s: %s: device is not connected", chip,
                             op_name(call));
    default:
        return mpf_error_set(err, rc, "virtual %s: %s failed", chip, op_name(call));
    }
}

mpf_err sim_dispatch(mpf_sim *sim, sim_call *call, unsigned timeout_ms, mpf_error *err)
{
    mpf_err rc = sim_log_reserve(sim, sim->erase_reserve, err);
    if (rc != MPF_OK)
        return rc;
    mpf_sim_request rec = {
        .op = call->op,
        .request = call->request,
        .value = call->value,
        .length = call->length,
        .address = logged_address(sim, call),
    };
    rc = run(sim, call, timeout_ms);
    rec.result = rc;
    sim_log_request(sim, &rec);
    if (rc != MPF_OK)
        return describe(sim, call, rc, err);
    return MPF_OK;
}
