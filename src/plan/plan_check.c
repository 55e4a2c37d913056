/* The safety rules every front end gets, because they live in the plan:
 * an image that would make a chip permanently unflashable is refused
 * outright; regions whose writing cannot be undone by reflashing need force;
 * an image the device would refuse half-way is refused before anything is
 * erased. */
#include <string.h>

#include "plan/plan_internal.h"

/* Read-protection option bytes whose value 0xCC selects RDP level 2, which
 * disables the bootloader's DFU and the debug port for ever. STM32F2/F4: RDP
 * is bits 15:8 of the option word at 0x1FFFC000. */
static const struct {
    uint32_t address;
    uint8_t level2;
    const char *family;
} rdp_bytes[] = {
    {0x1FFFC001u, 0xCC, "STM32F2/F4"},
};

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

static mpf_err check_rdp(plan_ctx *c, const mpf_segment *seg)
{
    for (size_t i = 0; i < sizeof rdp_bytes / sizeof rdp_bytes[0]; i++) {
        uint32_t a = rdp_bytes[i].address;
        if (a < seg->address || a - seg->address >= seg->size)
            continue;
        if (seg->data[a - seg->address] == rdp_bytes[i].level2)
            return mpf_error_refuse(c->err, MPF_ERR_REFUSED, MPF_REASON_NEVER,
                                 "%s: the image sets the read-protection byte at 0x%08X to 0x%02X "
                                 "(%s RDP level 2), which disables DFU and debug on the chip for "
                                 "ever; refused even when forced",
                                 seg->source, a, rdp_bytes[i].level2, rdp_bytes[i].family);
    }
    return MPF_OK;
}

/* MicroPython's mboot lives in the first 32 KiB of an STM32F4's flash and
 * answers an erase or write there with errADDRESS, although its layout
 * string calls the region writable: a bare device error, where the user
 * needs to hear that the image is the wrong build. It enumerates with the
 * ROM's VID:PID, so its manufacturer
 * string is what tells it apart: mboot's default is "MicroPython", ST's ROM
 * says "STMicroelectronics". An mboot built with another string is not
 * recognised here and refuses the write itself, as before. */
#define MBOOT_MANUFACTURER "MicroPython"
#define MBOOT_START 0x08000000u
#define MBOOT_SIZE 0x8000u

static mpf_err check_mboot(plan_ctx *c, const mpf_segment *seg)
{
    if (seg->alt != 0 || strcmp(c->dev->manufacturer, MBOOT_MANUFACTURER) != 0)
        return MPF_OK;
    const uint64_t end = (uint64_t)seg->address + seg->size;
    if (seg->address >= MBOOT_START + MBOOT_SIZE || end <= MBOOT_START)
        return MPF_OK;
    const uint64_t stop = end < MBOOT_START + MBOOT_SIZE ? end : MBOOT_START + MBOOT_SIZE;
    const uint32_t from = seg->address > MBOOT_START ? seg->address : MBOOT_START;
    const uint32_t to = (uint32_t)(stop - 1);
    /* Not even forced: the device refuses it whatever we send. */
    return mpf_error_refuse(c->err, MPF_ERR_REFUSED, MPF_REASON_NEVER,
                         "%s: the image writes 0x%08X-0x%08X, but this board runs MicroPython's "
                         "mboot, which occupies 0x%08X-0x%08X and refuses to be overwritten (the "
                         "image is linked for a board without mboot): flash the firmware built "
                         "for mboot (USE_MBOOT=1), whose text starts at 0x%08X; forcing cannot "
                         "change this",
                         seg->source, from, to, MBOOT_START, MBOOT_START + MBOOT_SIZE - 1,
                         MBOOT_START + MBOOT_SIZE);
}

mpf_err plan_check_safety(plan_ctx *c)
{
    for (size_t s = 0; s < c->img->count; s++) {
        mpf_err e = check_rdp(c, &c->img->segments[s]);
        if (!e)
            e = check_mboot(c, &c->img->segments[s]);
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
