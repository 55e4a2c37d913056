/* The virtual board's life cycle, its knobs, and what tests may ask of it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/sim_internal.h"

#define DEFAULT_POINTER 0x08000000u

static mpf_err build_memory(mpf_sim *sim, mpf_error *err)
{
    const sim_chip *c = sim->chip;
    if (c->plain && c->plain->storage_layout) {
        /* Alt names that are not layouts: the stream goes to storage the
         * board does not describe over USB. */
        mpf_err rc = sim_layout_add(&sim->mem, c->plain->storage_layout, SIM_ALT_HIDDEN,
                                    SIM_KIND_FLASH, err);
        if (rc != MPF_OK)
            return rc;
    }
    for (size_t i = 0; i < c->num_alts && !(c->plain && c->plain->storage_layout); i++) {
        mpf_err rc = sim_layout_add(&sim->mem, c->alts[i].layout, (uint8_t)i, c->alts[i].kind, err);
        if (rc != MPF_OK)
            return rc;
    }
    if (c->hidden_option_layout) {
        mpf_err rc = sim_layout_add(&sim->mem, c->hidden_option_layout, SIM_ALT_HIDDEN,
                                    SIM_KIND_OPTION, err);
        if (rc != MPF_OK)
            return rc;
    }
    for (size_t i = 0; i < sim->mem.count; i++)
        sim->erase_reserve += sim->mem.areas[i].sector_count;
    mpf_err rc = sim_memory_back(&sim->mem, c->flash_size, err);
    sim_area *ob = rc == MPF_OK && c->option_image
                       ? sim_memory_first_of_kind(&sim->mem, SIM_KIND_OPTION) : NULL;
    if (ob && ob->backed)
        memcpy(ob->bytes, c->option_image,
               c->option_image_size < ob->backed ? c->option_image_size : ob->backed);
    return rc;
}

static void unknown_chip(const char *chip, mpf_error *err)
{
    char names[256] = "";
    size_t used = 0;
    for (size_t i = 0; i < sim_chip_table_count() && used < sizeof names; i++) {
        int n = snprintf(names + used, sizeof names - used, "%s%s", i ? ", " : "",
                         sim_chip_at(i)->name);
        if (n < 0)
            break;
        used += (size_t)n;
    }
    mpf_error_set(err, MPF_ERR_USAGE, "unknown virtual chip \"%s\" (known: %s)",
                  chip ? chip : "(null)", names);
}

mpf_err mpf_sim_new(const char *chip, mpf_sim **out, mpf_error *err)
{
    *out = NULL;
    char name[64];
    unsigned quirks = 0;
    mpf_err named = sim_split_name(chip, name, sizeof name, &quirks, err);
    if (named != MPF_OK)
        return named;
    const sim_chip *c = sim_chip_find(name);
    if (!c) {
        unknown_chip(chip, err);
        return MPF_ERR_USAGE;
    }
    mpf_sim *sim = calloc(1, sizeof *sim);
    if (!sim)
        return mpf_error_set(err, MPF_ERR_NOMEM, "virtual device: out of memory");
    sim->chip = c;
    sim->timing = c->timing ? c->timing : mpf_timing_stm32f4();
    sim->pending.data = malloc(SIM_MAX_TRANSFER);
    sim->reply = malloc(SIM_MAX_TRANSFER);
    if (!sim->pending.data || !sim->reply) {
        mpf_sim_free(sim);
        return mpf_error_set(err, MPF_ERR_NOMEM, "virtual device: out of memory");
    }
    mpf_err rc = build_memory(sim, err);
    if (rc != MPF_OK) {
        mpf_sim_free(sim);
        return rc;
    }
    snprintf(sim->serial, sizeof sim->serial, "%s", c->serial);
    sim->vid = c->vid;
    sim->pid = c->pid;
    snprintf(sim->path, sizeof sim->path, "1-1");
    sim->transfer_size = c->func.transfer_size;
    sim->attributes = c->func.attributes;
    sim->poll_override = -1;
    sim->timing_enabled = 1;
    sim->connected = 1;
    sim->state = MPF_DFU_STATE_IDLE;
    sim->status = MPF_DFU_STATUS_OK;
    sim->pointer = DEFAULT_POINTER;
    sim->leave_target = DEFAULT_POINTER;
    rc = mpf_sim_set_quirks(sim, quirks, err);
    if (rc != MPF_OK) {
        mpf_sim_free(sim);
        return rc;
    }
    *out = sim;
    return MPF_OK;
}

void mpf_sim_free(mpf_sim *sim)
{
    if (!sim)
        return;
    sim_pack_free(sim);
    sim_memory_free(&sim->mem);
    free(sim->pending.data);
    free(sim->reply);
    free(sim->log.requests);
    free(sim->log.erases);
    free(sim->faults);
    free(sim);
}

void mpf_sim_set_serial(mpf_sim *sim, const char *serial)
{
    snprintf(sim->serial, sizeof sim->serial, "%s", serial ? serial : "");
}

void mpf_sim_set_ids(mpf_sim *sim, uint16_t vid, uint16_t pid)
{
    sim->vid = vid;
    sim->pid = pid;
}

int mpf_sim_storage(const mpf_sim *sim, uint32_t *start, uint32_t *size)
{
    const sim_chip *c = sim->chip;
    if (!c->plain)
        return 0;
    const sim_area *a = sim_memory_find_any(&sim->mem, c->plain->stream_base, 1);
    if (!a)
        return 0;
    *start = a->start;
    *size = a->backed;
    return 1;
}

void mpf_sim_set_path(mpf_sim *sim, const char *path)
{
    snprintf(sim->path, sizeof sim->path, "%s", path ? path : "");
}

void mpf_sim_set_transfer_size(mpf_sim *sim, uint16_t size)
{
    sim->transfer_size = size ? size : sim->chip->func.transfer_size;
}

void mpf_sim_set_attributes(mpf_sim *sim, uint8_t attributes)
{
    sim->attributes = attributes;
}

void mpf_sim_set_poll_timeout(mpf_sim *sim, int32_t ms)
{
    sim->poll_override = ms < 0 ? -1 : ms;
}

void mpf_sim_set_timing(mpf_sim *sim, int enabled)
{
    sim->timing_enabled = enabled != 0;
}

uint64_t mpf_sim_clock_us(const mpf_sim *sim)
{
    return sim->now_us;
}

uint64_t mpf_sim_device_busy_us(const mpf_sim *sim)
{
    return sim->device_busy_us;
}

int mpf_sim_peek(const mpf_sim *sim, uint32_t address, uint8_t *buf, size_t len)
{
    const sim_area *a = sim_memory_find_any(&sim->mem, address, len);
    if (!a || !sim_area_is_backed(a, address, len))
        return -1;
    memcpy(buf, a->bytes + (address - a->start), len);
    return 0;
}

int mpf_sim_poke(mpf_sim *sim, uint32_t address, const uint8_t *buf, size_t len)
{
    sim_area *a = sim_memory_find_any(&sim->mem, address, len);
    if (!a || !sim_area_is_backed(a, address, len))
        return -1;
    memcpy(a->bytes + (address - a->start), buf, len);
    return 0;
}

size_t mpf_sim_early_count(const mpf_sim *sim)
{
    return sim->early;
}

size_t mpf_sim_blocked_count(const mpf_sim *sim)
{
    return sim->blocked;
}

int mpf_sim_has_left(const mpf_sim *sim, uint32_t *jump_address)
{
    if (sim->left && jump_address)
        *jump_address = sim->jump_address;
    return sim->left;
}

int mpf_sim_connected(const mpf_sim *sim)
{
    /* An operation that ends in a reset has already ended if its time is up. */
    if (sim->connected && sim->busy.active && sim->busy.outcome.resets &&
        sim->now_us >= sim->busy.until_us)
        return 0;
    return sim->connected;
}

static int busy_finished(const mpf_sim *sim)
{
    return sim->busy.active && sim->now_us >= sim->busy.until_us;
}

uint8_t mpf_sim_state(const mpf_sim *sim)
{
    if (busy_finished(sim))
        return sim_state_after_busy(sim);
    return sim->state;
}

uint8_t mpf_sim_status(const mpf_sim *sim)
{
    if (busy_finished(sim) && sim->busy.outcome.failed)
        return sim->busy.outcome.status;
    return sim->status;
}

uint32_t mpf_sim_address_pointer(const mpf_sim *sim)
{
    return sim->pointer;
}

uint8_t mpf_sim_current_alt(const mpf_sim *sim)
{
    return sim->alt;
}

void mpf_sim_start_in_error(mpf_sim *sim)
{
    sim->state = MPF_DFU_STATE_ERROR;
    sim->status = MPF_DFU_STATUS_ERR_FIRMWARE;
}

void mpf_sim_replug(mpf_sim *sim)
{
    sim->connected = 1;
    sim_reset_dfu(sim);
    sim->alt = 0;
    sim->pointer = DEFAULT_POINTER;
    sim->leave_target = DEFAULT_POINTER;
    sim->stream_at = 0;
    sim->manifested = 0;
}
