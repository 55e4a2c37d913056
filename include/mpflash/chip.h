/* mpflash — STM32 chip-family profiles: what a flasher must know about a
 * family's flash that the DfuSe layout string does not say. Data, not code:
 * one table (src/chips/profiles.c), read by the plan (safety rules, padding,
 * estimate) and the engine (write-without-erase decisions, timeouts).
 */
#ifndef MPFLASH_CHIP_H
#define MPFLASH_CHIP_H

#include <stddef.h>
#include <stdint.h>

#include "mpflash/timing.h"
#include "mpflash/transport.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Flash a flasher must not write (the bootloader's own code, a radio stack). */
typedef struct mpf_chip_region {
    uint32_t start;
    uint32_t size;
    const char *what;   /* "MicroPython's mboot" */
    const char *advice; /* what the user should do instead */
} mpf_chip_region;

#define MPF_CHIP_MAX_RDP 2

typedef struct mpf_chip {
    const char *name;      /* what --chip takes: "f4", "h7", "wb", ... */
    const char *title;     /* "STM32F2/F4" */
    const char *reference; /* the manuals the figures come from */

    /* Programming. */
    uint8_t word_size;     /* bytes the flash programs as one word */
    uint8_t write_once;    /* ECC: a word takes one program after an erase; a second one
                            * (even with the same or bit-clearing data) fails (PROGERR) */
    const char *erase_unit;/* "sectors of 16/64/128 KiB" (the layout string has the sizes) */
    uint8_t no_blank_write;/* never program a sector without erasing it, even where it is
                            * 0xFF (unknown devices: nothing says how their flash behaves) */
    uint8_t mass_erase;    /* the ROM's mass erase may be used */
    const char *no_mass_erase_why; /* when mass_erase is 0 */
    const char *dual_bank; /* how the family's dual-bank parts appear, for --info/docs */

    /* Timing: estimates and ETAs use `typical`, timeouts twice `worst`. */
    mpf_timing typical;
    mpf_timing worst;

    /* Read protection: the option byte(s) holding the RDP level. Level 2 is
     * permanent (no DFU, no debug ever again) and is always refused. */
    uint32_t rdp_address[MPF_CHIP_MAX_RDP]; /* 0 = unused slot */
    uint8_t rdp_level0, rdp_level2;         /* any other value is level 1 */

    /* MicroPython's mboot keeps this many bytes from 0x08000000 for itself. */
    uint32_t mboot_size;

    /* A radio stack/firmware-upgrade service at the top of flash, whose
     * start an option byte gives (WB: SFSA, in units of a page). When the
     * option byte cannot be read, [stack_fallback_start, stack_fallback_end)
     * is refused instead. sfsa_address 0 = no such region. */
    uint32_t sfsa_address;
    uint32_t sfsa_unit;
    uint32_t stack_fallback_start, stack_fallback_end;

    /* Skip-unchanged reads this many bytes of a sector first (one short
     * UPLOAD) before its first whole block; 0 = whole blocks only. Worth it
     * where pages are small, so a page that changed is found for 1 packet
     * instead of 32. */
    uint16_t probe_bytes;
} mpf_chip;

size_t mpf_chip_count(void);
const mpf_chip *mpf_chip_at(size_t i);
/* By --chip name ("f4", "h7", ...; case-insensitive), NULL when unknown. */
const mpf_chip *mpf_chip_find(const char *name);
/* ECC write-once with a 32-byte word, no write-without-erase over
 * programmed words, generous timeouts: for a device nothing identifies. */
const mpf_chip *mpf_chip_conservative(void);

/* The profile a device's enumeration data points to: manufacturer (mboot
 * says "MicroPython"), the alt settings' layout strings (flash geometry,
 * option-byte address). *why (may be NULL) gets a static phrase naming
 * the evidence. Never NULL: an unrecognised device gets the conservative
 * profile. */
const mpf_chip *mpf_chip_pick(const mpf_device_info *dev, const char **why);

/* 1 when the device is MicroPython's mboot: by its manufacturer string
 * ("MicroPython", mboot's default) or by its bcdDevice 3.00 (its device
 * descriptor in current mboot; a board may rename the strings, not that).
 * The pick, the plan's region rules and the engine all ask this. */
int mpf_chip_is_mboot(const mpf_device_info *dev);

/* What the device told about itself beyond enumeration (option bytes read
 * before planning). */
typedef struct mpf_chip_facts {
    int sfsa_known;
    uint32_t stack_start; /* first byte of the radio stack area (from SFSA) */
} mpf_chip_facts;

/* The region a flasher must leave alone, i-th of those that apply: mboot's
 * own area (when `mboot`), the radio stack (from facts, or the fallback).
 * Returns 0 past the last. */
int mpf_chip_protected(const mpf_chip *c, int mboot, const mpf_chip_facts *facts, size_t i,
                       mpf_chip_region *out);

/* The regions a flasher must leave alone on this device, i-th of them: the
 * family's (mpf_chip_protected, mboot when mpf_chip_is_mboot) or, on a
 * board whose bootloaders sit elsewhere (LEGO hubs: LEGO's bootloader at
 * 0x08000000, mboot at 0x08008000), that board's. Returns 0 past the last. */
int mpf_chip_regions(const mpf_chip *c, const mpf_device_info *dev, const mpf_chip_facts *facts,
                     size_t i, mpf_chip_region *out);

/* Milliseconds to allow for one erase of sector_size bytes / a mass erase:
 * twice the worst case, never below the engine's F4-era bounds. */
uint32_t mpf_chip_erase_timeout_ms(const mpf_chip *c, uint32_t sector_size);

#ifdef __cplusplus
}
#endif
#endif
