/* The safety rules every front end gets, because they live in the plan:
 * an image that would make a chip permanently unflashable is refused
 * outright; regions whose writing cannot be undone by reflashing need force;
 * an image the device would refuse half-way is refused before anything is
 * erased. */
#include <string.h>

#include "mpflash/chip.h"
#include "plan/plan_internal.h"

/* Regions a wrong write can lock (option bytes: write/read protection) or
 * that can never be rewritten (OTP). Index 0 and 1 set writes_option_bytes
 * and writes_otp. */
static const struct {
    const char *prefix;
    const char *risk;
} guarded[] = {
    {"Option Bytes", "a wrong value can write-protect or read-protect the chip"},
    {"OTP", "one-time-programmable bytes can never be changed again"},
};

int plan_name_starts_with(const char *name, const char *prefix)
{
    for (; *prefix; name++, prefix++) {
        char a = *name, b = *prefix;
        if (a >= 'A' && a <= 'Z')
            a = (char)(a - 'A' + 'a');
        if (b >= 'A' && b <= 'Z')
            b = (char)(b - 'A' + 'a');
        if (a != b)
            return 0;
    }
    return 1;
}

/* RDP level 2 disables the bootloader's DFU and the debug port for ever.
 * The profile says where the family keeps its RDP byte; for a device no
 * profile fits, every family's byte is guarded. */
static mpf_err check_rdp_of(plan_ctx *c, const mpf_segment *seg, const mpf_chip *chip)
{
    for (size_t i = 0; i < MPF_CHIP_MAX_RDP; i++) {
        uint32_t a = chip->rdp_address[i];
        if (a == 0 || a < seg->address || a - seg->address >= seg->size)
            continue;
        if (seg->data[a - seg->address] == chip->rdp_level2)
            return mpf_error_refuse(c->err, MPF_ERR_REFUSED, MPF_REASON_NEVER,
                                 "%s: the image sets the read-protection byte at 0x%08X to 0x%02X "
                                 "(%s RDP level 2), which disables DFU and debug on the chip for "
                                 "ever; refused even when forced",
                                 seg->source, a, chip->rdp_level2, chip->title);
    }
    return MPF_OK;
}

static mpf_err check_rdp(plan_ctx *c, const mpf_segment *seg)
{
    if (c->plan->chip != mpf_chip_conservative())
        return check_rdp_of(c, seg, c->plan->chip);
    for (size_t i = 0; i < mpf_chip_count(); i++) {
        mpf_err e = check_rdp_of(c, seg, mpf_chip_at(i));
        if (e)
            return e;
    }
    return MPF_OK;
}

/* Flash the profile protects: MicroPython's mboot answers an erase or write
 * of its own region with errADDRESS although its layout string calls the
 * region writable (a bare device error, where the user needs to hear the
 * image is the wrong build); the WB radio stack's pages fail only at the
 * erase, after the application area is gone. mboot enumerates with the
 * ROM's VID:PID; its manufacturer string and bcdDevice tell it apart
 * (mpf_chip_is_mboot). A board whose bootloaders sit elsewhere (LEGO hubs)
 * is known by its USB IDs (mpf_chip_regions, src/chips/boards.c). */

static mpf_err check_regions(plan_ctx *c, const mpf_segment *seg)
{
    if (seg->alt != 0)
        return MPF_OK;
    mpf_chip_region r;
    for (size_t i = 0; mpf_chip_regions(c->plan->chip, c->dev, c->opt->facts, i, &r); i++) {
        const uint64_t end = (uint64_t)seg->address + seg->size;
        const uint64_t r_end = (uint64_t)r.start + r.size;
        if (seg->address >= r_end || end <= r.start)
            continue;
        const uint32_t from = seg->address > r.start ? seg->address : r.start;
        const uint32_t to = (uint32_t)((end < r_end ? end : r_end) - 1);
        /* Not even forced: the device refuses it, or loses its radio, whatever we send. */
        return mpf_error_refuse(c->err, MPF_ERR_REFUSED, MPF_REASON_NEVER,
                             "%s: the image writes 0x%08X-0x%08X, but on this %s board %s "
                             "occupies 0x%08X-0x%08X and must not be overwritten: %s; nothing "
                             "was erased, and forcing cannot change this",
                             seg->source, from, to, c->plan->chip->title, r.what, r.start,
                             (uint32_t)(r_end - 1), r.advice);
    }
    return MPF_OK;
}

mpf_err plan_check_safety(plan_ctx *c)
{
    for (size_t s = 0; s < c->img->count; s++) {
        mpf_err e = check_rdp(c, &c->img->segments[s]);
        if (!e)
            e = check_regions(c, &c->img->segments[s]);
        if (e)
            return e;
    }
    for (size_t s = 0; s < c->img->count; s++) {
        const mpf_segment *seg = &c->img->segments[s];
        const mpf_layout *l = NULL;
        mpf_err e = plan_layout_for_alt(c, seg->alt, seg->source, NULL, &l);
        if (e)
            return e;
        for (size_t g = 0; g < sizeof guarded / sizeof guarded[0]; g++) {
            if (!plan_name_starts_with(l->name, guarded[g].prefix))
                continue;
            if (!c->opt->force)
                return mpf_error_refuse(c->err, MPF_ERR_REFUSED, MPF_REASON_NEEDS_FORCE,
                                     "%s: the image writes the device's %s (alt setting %u, "
                                     "0x%08X-0x%08X); %s: check the image, then force it",
                                     seg->source, l->name, seg->alt, seg->address,
                                     (unsigned)(seg->address + seg->size - 1), guarded[g].risk);
            if (g == 0)
                c->plan->writes_option_bytes = 1;
            else
                c->plan->writes_otp = 1;
        }
    }
    return MPF_OK;
}
