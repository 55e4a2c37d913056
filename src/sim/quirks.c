/* Switchable quirks of real bootloaders, from user reports (FACTS.md, "ROM
 * quirks users report"; none verified on hardware here):
 * - pipe: STM32F411 ROM stalls DNLOADs at random points of a download
 *   (qmk_firmware issue #17890; dfu-util tickets 140/141: it fails at a
 *   different percentage each run, sometimes during the erase).
 * - stuck-erase: STM32H743 rev V ROM stays dfuDNBUSY after erasing a sector
 *   beyond the first 1 MiB; two CLRSTATUS bring it back, the first answering
 *   errUNKNOWN/dfuERROR (betaflight-configurator PR #1861, issue #1972, from
 *   an ST community report on the NUCLEO-H743ZI2).
 * - slow-status: STM32F745 ROM takes more than 1.5 s to answer a GETSTATUS
 *   (fwupd PR #1944 raised its DfuSe timeout to 5 s for it). 2 s here.
 * - shared-serial: STM32F072 ROM serial FFFFFFFEFFFF on every chip.
 * - packing: mboot with MBOOT_ENABLE_PACKING=1 (pack.c). */
#include <stdio.h>
#include <string.h>

#include "sim/sim_internal.h"

#define STUCK_ABOVE (1024u * 1024u)
#define SLOW_STATUS_US 2000000u
/* 1 in PIPE_ONE_IN DNLOADs stalls, never two in a row, so a resumed run
 * always gets further. */
#define PIPE_ONE_IN 24u

static const struct {
    mpf_sim_quirk quirk;
    const char *name;
} quirks[] = {
    {MPF_SIM_QUIRK_PIPE, "pipe"},
    {MPF_SIM_QUIRK_STUCK_ERASE, "stuck-erase"},
    {MPF_SIM_QUIRK_SLOW_STATUS, "slow-status"},
    {MPF_SIM_QUIRK_SHARED_SERIAL, "shared-serial"},
    {MPF_SIM_QUIRK_PACKING, "packing"},
};

#define QUIRK_COUNT (sizeof quirks / sizeof quirks[0])

const char *mpf_sim_quirk_name(mpf_sim_quirk q)
{
    for (size_t i = 0; i < QUIRK_COUNT; i++)
        if (quirks[i].quirk == q)
            return quirks[i].name;
    return NULL;
}

mpf_err sim_split_name(const char *name, char *chip, size_t size, unsigned *quirks_out,
                       mpf_error *err)
{
    *quirks_out = 0;
    const char *plus = name ? strchr(name, '+') : NULL;
    size_t len = plus ? (size_t)(plus - name) : (name ? strlen(name) : 0);
    if (len >= size)
        len = size - 1;
    if (name)
        memcpy(chip, name, len);
    chip[len] = '\0';
    while (plus) {
        const char *q = plus + 1;
        plus = strchr(q, '+');
        size_t qlen = plus ? (size_t)(plus - q) : strlen(q);
        size_t i = 0;
        while (i < QUIRK_COUNT && (strlen(quirks[i].name) != qlen ||
                                   strncmp(quirks[i].name, q, qlen) != 0))
            i++;
        if (i == QUIRK_COUNT)
            return mpf_error_set(err, MPF_ERR_USAGE,
                                 "unknown quirk \"%.*s\" in virtual chip \"%s\" (known: pipe, "
                                 "stuck-erase, slow-status, shared-serial, packing)",
                                 (int)qlen, q, name);
        *quirks_out |= (unsigned)quirks[i].quirk;
    }
    return MPF_OK;
}

mpf_err mpf_sim_set_quirks(mpf_sim *sim, unsigned q, mpf_error *err)
{
    if (!sim->stuck_above)
        sim->stuck_above = STUCK_ABOVE;
    if ((q & MPF_SIM_QUIRK_PACKING) && !sim->chip->reason_strings)
        return mpf_error_set(err, MPF_ERR_USAGE,
                             "virtual %s: packing is an mboot build option; use an mboot chip",
                             sim->chip->name);
    if ((q & MPF_SIM_QUIRK_PACKING) && !sim->pack) {
        mpf_err rc = sim_pack_new(sim, err);
        if (rc != MPF_OK)
            return rc;
    }
    if (!(q & MPF_SIM_QUIRK_PACKING))
        sim_pack_free(sim);
    sim->quirks = q;
    return MPF_OK;
}

void mpf_sim_set_stuck_erase_above(mpf_sim *sim, uint32_t offset)
{
    sim->stuck_above = offset;
}

unsigned mpf_sim_quirks(const mpf_sim *sim)
{
    return sim->quirks;
}

int sim_pipe_stalls(mpf_sim *sim)
{
    if (!(sim->quirks & MPF_SIM_QUIRK_PIPE))
        return 0;
    /* A fixed LCG: the same board stalls at the same requests every run of
     * a test, as a deterministic stand-in for a random fault. */
    int last_stalled = (sim->pipe_seed & 1u) != 0;
    sim->pipe_seed = (sim->pipe_seed * 1103515245u + 12345u) & ~1u;
    int stall = !last_stalled && (sim->pipe_seed >> 16) % PIPE_ONE_IN == 0;
    sim->pipe_seed |= (uint32_t)stall;
    return stall;
}

int sim_erase_sticks(const mpf_sim *sim, const sim_area *flash, uint32_t start)
{
    return (sim->quirks & MPF_SIM_QUIRK_STUCK_ERASE) && start - flash->start >= sim->stuck_above;
}

uint64_t sim_status_delay_us(const mpf_sim *sim)
{
    return (sim->quirks & MPF_SIM_QUIRK_SLOW_STATUS) ? SLOW_STATUS_US : 0;
}
