/* The DFU 1.1 state machine of a plain (streamed, non-DfuSe) bootloader, as
 * the Arduino boards run it: both are TinyUSB's DFU class driver
 * (hathach/tinyusb src/class/dfu/dfu_device.c) with the board's callbacks
 * (espressif/arduino-esp32 variants/arduino_nano_nora/dfu_callbacks.cpp;
 * arduino/arduino-renesas-bootloader src/main.c). Written from those and
 * from USB DFU 1.1 (appendix A), not from the engine.
 *
 *   state             accepts                        goes to
 *   dfuIDLE           DNLOAD (len>0, canDnload)      dfuDNLOAD-SYNC, a new stream
 *                     UPLOAD (canUpload)             dfuUPLOAD-IDLE; a short
 *                                                    frame: dfuIDLE
 *                     ABORT, GETSTATUS, GETSTATE     (stays)
 *   dfuDNLOAD-SYNC    GETSTATUS, block stored        writes it: dfuDNBUSY for
 *                                                    bwPollTimeout, then
 *                                                    dfuDNLOAD-SYNC
 *                     GETSTATUS, block written       dfuDNLOAD-IDLE
 *   dfuDNLOAD-IDLE    DNLOAD (len>0)                 dfuDNLOAD-SYNC
 *                     DNLOAD (len 0)                 dfuMANIFEST-SYNC
 *                     ABORT                          dfuIDLE
 *   dfuMANIFEST-SYNC  GETSTATUS, not yet manifested  manifests: dfuMANIFEST for
 *                                                    bwPollTimeout, then
 *                                                    dfuMANIFEST-SYNC (tolerant)
 *                                                    or dfuMANIFEST-WAIT-RESET
 *                     GETSTATUS, manifested          dfuIDLE
 *   dfuMANIFEST-WAIT-RESET  nothing (stalls); a USB reset starts the firmware
 *   dfuUPLOAD-IDLE    UPLOAD                         (stays); short: dfuIDLE
 *                     ABORT                          dfuIDLE
 *   dfuERROR          CLRSTATUS                      dfuIDLE
 *   any               DETACH                         the board restarts (both
 *                                                    Arduino callbacks reset the
 *                                                    chip); a device without
 *                                                    that callback stalls it
 * GETSTATE is answered everywhere but in the wait-reset state; anything else
 * stalls and leaves dfuERROR (errSTALLEDPKT).
 */
#include <string.h>

#include "sim/sim_internal.h"

mpf_sim_op sim_plain_classify(uint8_t request, uint16_t length, int dir_in)
{
    if (request == MPF_DFU_DNLOAD) {
        if (dir_in)
            return MPF_SIM_OP_OTHER;
        return length ? MPF_SIM_OP_WRITE : MPF_SIM_OP_LEAVE;
    }
    /* Nothing else carries a DfuSe command: the generic reading fits. */
    return sim_classify(request, 1, NULL, length, dir_in);
}

static const sim_plain_model *model(const mpf_sim *sim)
{
    return sim->chip->plain;
}

uint32_t sim_plain_block_address(const mpf_sim *sim, uint16_t block)
{
    const sim_plain_model *m = model(sim);
    uint32_t offset = m->by_block_number ? (uint32_t)block * sim->transfer_size : sim->stream_at;
    return m->stream_base + offset;
}

static int tolerant(const mpf_sim *sim)
{
    return (sim->attributes & MPF_DFU_ATTR_MANIFEST_TOLERANT) != 0;
}

static uint32_t poll_report(const mpf_sim *sim, uint32_t ms)
{
    if (sim->poll_override >= 0)
        return (uint32_t)sim->poll_override;
    return sim->timing_enabled ? ms : 0;
}

static uint64_t busy_us(const mpf_sim *sim, uint32_t ms)
{
    /* The callbacks finish within the time they ask the host to wait. */
    return sim->timing_enabled ? (uint64_t)ms * 1000u : 0;
}

static sim_outcome failed(uint8_t status)
{
    return (sim_outcome){ .failed = 1, .status = status };
}

/* Erase every span the range [address, address + len) starts. */
static void erase_spans(mpf_sim *sim, sim_area *a, uint32_t address, uint32_t len)
{
    uint32_t span = model(sim)->erase_span;
    if (!span)
        return;
    uint64_t first = ((uint64_t)address + span - 1) / span * span;
    for (uint64_t at = first; at < (uint64_t)address + len; at += span) {
        for (size_t i = 0; i < a->sector_count; i++) {
            const sim_sector *s = &a->sectors[i];
            if (s->start >= at && (uint64_t)s->start < at + span) {
                sim_area_erase_sector(a, i);
                sim_log_erase(sim, s->start);
            }
        }
    }
}

static sim_outcome write_block(mpf_sim *sim, uint16_t block, const uint8_t *data, uint16_t len)
{
    const sim_plain_model *m = model(sim);
    uint32_t address = sim_plain_block_address(sim, block);
    if (address == m->stream_base && m->first_byte >= 0 && data[0] != (uint8_t)m->first_byte)
        /* ESP-IDF's updater checks the image magic before it writes. */
        return failed(MPF_DFU_STATUS_ERR_WRITE);
    sim_area *a = sim_memory_find_any(&sim->mem, address, len);
    if (!a || a->kind != SIM_KIND_FLASH || !sim_area_is_backed(a, address, len) ||
        !(sim_area_range_type(a, address, len) & SIM_MEM_WRITABLE))
        return failed(sim->chip->bad_address_status);
    erase_spans(sim, a, address, len);
    if (sim_area_program(a, address, data, len) != 0 && sim->chip->reports_program_mismatch)
        return failed(MPF_DFU_STATUS_ERR_PROG);
    sim->stream_at = address - m->stream_base + len;
    sim_outcome o = { .status = MPF_DFU_STATUS_OK, .us = busy_us(sim, m->poll_busy_ms),
                      .after_state = MPF_DFU_STATE_DNLOAD_SYNC };
    return o;
}

static mpf_err stall(mpf_sim *sim)
{
    return sim_stall(sim, MPF_DFU_STATUS_ERR_STALLEDPKT);
}

static mpf_err handle_dnload(mpf_sim *sim, sim_call *call)
{
    sim_pending *p = &sim->pending;
    if (sim->state == MPF_DFU_STATE_DNLOAD_IDLE && call->length == 0) {
        *p = (sim_pending){ .active = 1, .op = MPF_SIM_OP_LEAVE, .data = p->data };
        sim->state = MPF_DFU_STATE_MANIFEST_SYNC;
        return MPF_OK;
    }
    if ((sim->state != MPF_DFU_STATE_IDLE && sim->state != MPF_DFU_STATE_DNLOAD_IDLE) ||
        call->length == 0 || call->length > sim->transfer_size ||
        !(sim->attributes & MPF_DFU_ATTR_CAN_DNLOAD))
        return stall(sim);
    if (sim->state == MPF_DFU_STATE_IDLE) {
        /* A new download: the updater starts over. (The Nano ESP32 sketch
         * keeps one Update running across an ABORT; not modelled.) */
        sim->stream_at = 0;
        sim->manifested = 0;
    }
    memcpy(p->data, call->out, call->length);
    p->active = 1;
    p->op = MPF_SIM_OP_WRITE;
    p->block = call->value;
    p->length = call->length;
    p->forced = 0;
    sim->state = MPF_DFU_STATE_DNLOAD_SYNC;
    return MPF_OK;
}

static void upload_bytes(mpf_sim *sim, uint32_t address, uint8_t *out, uint16_t len)
{
    for (uint16_t i = 0; i < len; i++)
        if (mpf_sim_peek(sim, address + i, &out[i], 1) != 0)
            out[i] = 0x00; /* not memory the model backs */
}

static mpf_err handle_upload(mpf_sim *sim, sim_call *call)
{
    if ((sim->state != MPF_DFU_STATE_IDLE && sim->state != MPF_DFU_STATE_UPLOAD_IDLE) ||
        !(sim->attributes & MPF_DFU_ATTR_CAN_UPLOAD) || call->length > sim->transfer_size)
        return stall(sim);
    const sim_plain_model *m = model(sim);
    uint64_t offset = (uint64_t)call->value * call->length;
    if (m->upload == SIM_UPLOAD_STREAM)
        offset = (uint64_t)call->value * sim->transfer_size; /* blocks of its own size */
    size_t n = 0;
    switch (m->upload) {
    case SIM_UPLOAD_NOTHING:
        break;
    case SIM_UPLOAD_FROM_ZERO:
        /* The Renesas bootloader copies from address block * wLength: its own
         * code first, not where the stream was written. */
        n = call->length;
        upload_bytes(sim, (uint32_t)offset, call->in, call->length);
        break;
    case SIM_UPLOAD_STREAM: {
        const sim_area *a = sim_memory_find_any(&sim->mem, m->stream_base, 1);
        uint64_t size = a ? a->backed - (m->stream_base - a->start) : 0;
        n = offset >= size ? 0 : size - offset < call->length ? (size_t)(size - offset) : call->length;
        upload_bytes(sim, m->stream_base + (uint32_t)offset, call->in, (uint16_t)n);
        break;
    }
    }
    call->received = n;
    sim->state = n < call->length ? MPF_DFU_STATE_IDLE : MPF_DFU_STATE_UPLOAD_IDLE;
    return MPF_OK;
}

static uint8_t start(mpf_sim *sim, sim_call *call, sim_outcome o, uint8_t busy_state, uint32_t poll_ms)
{
    o.busy_state = busy_state;
    call->outcome = o;
    call->poll_ms = poll_report(sim, poll_ms);
    call->starts_busy = 1;
    return busy_state;
}

static uint8_t getstatus_state(mpf_sim *sim, sim_call *call)
{
    const sim_plain_model *m = model(sim);
    switch (sim->state) {
    case MPF_DFU_STATE_DNLOAD_SYNC:
        if (!sim->pending.active) {
            sim->state = MPF_DFU_STATE_DNLOAD_IDLE;
            return sim->state;
        }
        if (sim_take_stored_or_fail(sim))
            return sim->state;
        return start(sim, call, write_block(sim, sim->pending.block, sim->pending.data, sim->pending.length),
                     MPF_DFU_STATE_DNBUSY, m->poll_busy_ms);
    case MPF_DFU_STATE_MANIFEST_SYNC:
        if (!sim->pending.active) {
            sim->state = MPF_DFU_STATE_IDLE;
            return sim->state;
        }
        if (sim_take_stored_or_fail(sim))
            return sim->state;
        sim->manifested = 1;
        return start(sim, call,
                     (sim_outcome){ .status = MPF_DFU_STATUS_OK, .us = busy_us(sim, m->poll_manifest_ms),
                                    .after_state = tolerant(sim) ? MPF_DFU_STATE_MANIFEST_SYNC
                                                                 : MPF_DFU_STATE_MANIFEST_WAIT_RESET },
                     MPF_DFU_STATE_MANIFEST, m->poll_manifest_ms);
    default:
        return sim->state;
    }
}

static mpf_err handle_getstatus(mpf_sim *sim, sim_call *call)
{
    if (call->length < 6)
        return stall(sim);
    sim_status_reply(sim, call, getstatus_state(sim, call));
    return MPF_OK;
}

/* The board restarts: it runs whatever its flash now holds. */
static void restart(mpf_sim *sim, sim_call *call)
{
    sim->pending.active = 0;
    call->leaves = 1;
}

mpf_err sim_plain_handle(mpf_sim *sim, sim_call *call)
{
    if (sim->state == MPF_DFU_STATE_MANIFEST_WAIT_RESET)
        return MPF_ERR_USB_STALL; /* waits for the reset; the state stays */
    switch (call->op) {
    case MPF_SIM_OP_WRITE:
    case MPF_SIM_OP_LEAVE:
        return handle_dnload(sim, call);
    case MPF_SIM_OP_UPLOAD:
        return handle_upload(sim, call);
    case MPF_SIM_OP_GETSTATUS:
        return handle_getstatus(sim, call);
    case MPF_SIM_OP_GETSTATE:
        call->in[0] = sim->state;
        call->received = call->length ? 1 : 0;
        return MPF_OK;
    case MPF_SIM_OP_CLRSTATUS:
        if (sim->state != MPF_DFU_STATE_ERROR)
            return stall(sim);
        sim->state = MPF_DFU_STATE_IDLE;
        sim->status = MPF_DFU_STATUS_OK;
        return MPF_OK;
    case MPF_SIM_OP_ABORT:
        if (sim->state != MPF_DFU_STATE_IDLE && sim->state != MPF_DFU_STATE_DNLOAD_IDLE &&
            sim->state != MPF_DFU_STATE_UPLOAD_IDLE)
            return stall(sim);
        sim->state = MPF_DFU_STATE_IDLE;
        return MPF_OK;
    case MPF_SIM_OP_DETACH:
        if (!model(sim)->detach_in_dfu)
            return stall(sim);
        restart(sim, call);
        return MPF_OK;
    default:
        return stall(sim);
    }
}

void sim_plain_reset(mpf_sim *sim, sim_call *call)
{
    /* DFU 1.1: after manifestation the USB reset starts the new firmware. */
    if (sim->manifested) {
        restart(sim, call);
        return;
    }
    sim_reset_dfu(sim);
}
