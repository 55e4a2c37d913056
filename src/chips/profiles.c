/* The STM32 family profiles MicroPython's DFU boards need. Figures come from
 * the reference manuals (RM) and datasheets (DS) named in each entry; times
 * are at 2.7-3.6 V with the widest parallelism the ROM bootloader uses.
 * Entries marked "estimate" rest on a sibling part's datasheet.
 *
 * ECC families (all but F2/F4/F7) program a flash word once after an erase:
 * RM0433 4.3.9 (H7: 256-bit word + 10 ECC bits), RM0351 3.3.7 (L4:
 * PROGERR when the double word is not erased), likewise RM0444 (G0), RM0440
 * (G4), RM0434 (WB), RM0455 (H7A3/B3), RM0481 (H5), RM0456 (U5).
 */
#include <string.h>

#include "mpflash/chip.h"

/* Full-speed USB, as in mpf_timing_stm32f4(): the bus, not the chip. */
#define USB_FS .usb_request_us = 1000, .usb_us_per_packet = 50

/* STM32F4 x32: 16 KiB 250/500 ms, 64 KiB 550/1100 ms, 128 KiB 1/2 s, mass
 * erase 8/16 s, word (32 bits) 16/100 us (DS8626 table "Flash memory
 * programming"). A straight line through the 16 and 128 KiB points. */
#define F4_TYPICAL {143000, 6700, 8000000, 16, USB_FS}
#define F4_WORST {286000, 13400, 16000000, 100, USB_FS}

/* ECC, double word: L476 DS10198 "Flash memory characteristics": page
 * erase 22.02/24.47 ms, mass erase 22.13/24.6 ms, 64-bit program
 * 81.69/90.76 us (41/46 us per 32 bits). A page erase takes that long
 * whatever the page holds: 2 KiB (L4, G4), 4 KiB (L4+ dual bank, G4
 * single-bank category 3), 8 KiB (L4+ single bank; DS12023 gives the L4R5
 * the same figure), so the time is per page, not per KiB. */
#define L4_TYPICAL {22020, 0, 22130, 41, USB_FS}
#define L4_WORST {24470, 0, 24600, 46, USB_FS}

/* mboot's own region: the linker's FLASH_BL (ports/stm32/mboot/
 * stm32_memory.ld: 32 KiB from 0x08000000; on H7 the first 128 KiB sector,
 * the smallest unit it can keep out of an erase). */
#define MBOOT_32K (32u * 1024u)
#define MBOOT_128K (128u * 1024u)

#define RDP(a, b) .rdp_address = {a, b}, .rdp_level0 = 0xAA, .rdp_level2 = 0xCC

static const mpf_chip chips[] = {
    {
        .name = "f4", .title = "STM32F2/F4",
        .reference = "RM0033, RM0090, RM0368, RM0383, RM0390; DS8626",
        .word_size = 4, .write_once = 0, .erase_unit = "sectors of 16, 64 and 128 KiB",
        .mass_erase = 1,
        .dual_bank = "2 MiB F42x/F43x/F469: a second bank of 12 sectors from 0x08100000",
        .typical = F4_TYPICAL, .worst = F4_WORST,
        /* RM0090 3.7.1: RDP is bits 15:8 of the option word at 0x1FFFC000. */
        RDP(0x1FFFC001u, 0), .mboot_size = MBOOT_32K,
    },
    {
        .name = "f7", .title = "STM32F7 (F72x/F73x and F74x-F77x)",
        .reference = "RM0431, RM0385, RM0410; DS11853, DS10916",
        .word_size = 4, .write_once = 0,
        .erase_unit = "sectors of 16/64/128 KiB (F72x) or 32/128/256 KiB (F74x-F77x)",
        .mass_erase = 1,
        .dual_bank = "F76x/F77x: dual bank by the nDBANK option byte (MicroPython assumes single)",
        /* The F7 datasheets give the F4's figures per sector size. */
        .typical = F4_TYPICAL, .worst = F4_WORST,
        /* RM0431 3.4.1: RDP is bits 15:8 of the option word at 0x1FFF0000. */
        RDP(0x1FFF0001u, 0), .mboot_size = MBOOT_32K,
    },
    {
        .name = "h7", .title = "STM32H742/743/745/747/750/753/755/757",
        .reference = "RM0433, RM0399; DS12110",
        .word_size = 32, .write_once = 1, .erase_unit = "sectors of 128 KiB",
        .mass_erase = 1,
        .dual_bank = "2 MiB parts: two banks of 8 x 128 KiB, bank 2 from 0x08100000",
        /* DS12110 x32: 128 KiB sector 1.1/2.2 s, 256-bit word 130/260 us,
         * bank erase about eight sectors' time (estimate). */
        .typical = {0, 8600, 8800000, 17, USB_FS},
        .worst = {0, 17200, 17600000, 33, USB_FS},
        /* RM0433 4.9.7/4.9.8: RDP is bits 15:8 of FLASH_OPTSR_CUR (0x5200201C)
         * and of OPTSR_PRG (0x52002020), which the ROM's option alt shows. */
        RDP(0x5200201Du, 0x52002021u), .mboot_size = MBOOT_128K,
    },
    {
        .name = "h7ab", .title = "STM32H7A3/H7B3/H7B0",
        .reference = "RM0455; DS13195",
        .word_size = 16, .write_once = 1, .erase_unit = "sectors of 8 KiB",
        .mass_erase = 1,
        .dual_bank = "2 MiB parts: two banks of 128 x 8 KiB, bank 2 from 0x08100000",
        /* Estimate: 8 KiB sector 2.2/4.4 ms, 128-bit word 70/140 us. */
        .typical = {0, 275, 600000, 18, USB_FS},
        .worst = {0, 550, 1200000, 35, USB_FS},
        RDP(0x5200201Du, 0x52002021u), .mboot_size = MBOOT_32K,
    },
    {
        .name = "h5", .title = "STM32H5",
        .reference = "RM0481; DS14258",
        .word_size = 16, .write_once = 1, .erase_unit = "sectors of 8 KiB",
        .mass_erase = 1,
        .dual_bank = "always two banks, bank 2 from half the flash (0x08100000 on 2 MiB "
                     "parts); the ROM and mboot show both as one run of 8 KiB sectors",
        /* Estimate (as H7A3): 8 KiB sector, 128-bit quad-word. The H5 has
         * product states instead of RDP levels: no RDP byte to guard here. */
        .typical = {0, 275, 600000, 18, USB_FS},
        .worst = {0, 550, 1200000, 35, USB_FS},
        .mboot_size = MBOOT_32K,
    },
    {
        .name = "l4", .title = "STM32L4/L4+",
        .reference = "RM0351, RM0394, RM0432; DS10198",
        .word_size = 8, .write_once = 1,
        .erase_unit = "pages of 2 KiB (L4+: 4 KiB dual bank, 8 KiB single bank)",
        .mass_erase = 1,
        .dual_bank = "L47x/L49x/L4+: two banks, bank 2 from half the flash size (L4R5 2 MiB: "
                     "0x08100000, 4 KiB pages; 8 KiB pages when DBANK=0 makes one bank)",
        .typical = L4_TYPICAL, .worst = L4_WORST,
        /* RM0351 3.4.1: RDP is bits 7:0 of the option word at 0x1FFF7800. */
        RDP(0x1FFF7800u, 0), .mboot_size = MBOOT_32K, .probe_bytes = 64,
    },
    {
        .name = "g0", .title = "STM32G0",
        .reference = "RM0444; DS12766",
        .word_size = 8, .write_once = 1, .erase_unit = "pages of 2 KiB", .mass_erase = 1,
        .dual_bank = "G0B1/G0C1: two banks of 2 KiB pages",
        /* DS12766: page erase 22/40 ms, double word 85/125 us. */
        .typical = {0, 11000, 22100, 43, USB_FS},
        .worst = {0, 20000, 40000, 63, USB_FS},
        RDP(0x1FFF7800u, 0), .mboot_size = MBOOT_32K, .probe_bytes = 64,
    },
    {
        .name = "g4", .title = "STM32G4",
        .reference = "RM0440; DS12288",
        .word_size = 8, .write_once = 1,
        .erase_unit = "pages of 2 KiB (4 KiB on single-bank category 3)", .mass_erase = 1,
        .dual_bank = "category 3 (G47x/G48x): dual bank by the DBANK option byte",
        .typical = L4_TYPICAL, .worst = L4_WORST,
        RDP(0x1FFF7800u, 0), .mboot_size = MBOOT_32K, .probe_bytes = 64,
    },
    {
        .name = "wb", .title = "STM32WB",
        .reference = "RM0434; DS11929; AN5185",
        .word_size = 8, .write_once = 1, .erase_unit = "pages of 4 KiB",
        .mass_erase = 0,
        .no_mass_erase_why = "a mass erase would wipe the radio stack and its firmware-upgrade "
                             "service (ST's tools refuse it on STM32WB too); erase by page",
        .dual_bank = "single bank",
        /* DS11929: page erase 22.0/24.5 ms (4 KiB), double word 81.7/90.8 us. */
        .typical = {0, 5505, 22130, 41, USB_FS},
        .worst = {0, 6125, 24600, 46, USB_FS},
        /* RM0434 3.4.1: RDP is bits 7:0 of the option word at 0x1FFF8000. */
        RDP(0x1FFF8000u, 0), .mboot_size = MBOOT_32K,
        /* RM0434 3.4.1: SFSA (FLASH_SFR bits 7:0, option word 0x1FFF8070) is
         * the first 4 KiB page of the secure area holding FUS and the radio
         * stack (AN5185). Unknown: keep the top 256 KiB, enough for FUS and
         * the BLE stacks (a Thread or concurrent stack starts lower). */
        .sfsa_address = 0x1FFF8070u, .sfsa_unit = 4096,
        .stack_fallback_start = 0x080C0000u, .stack_fallback_end = 0x08100000u,
        .probe_bytes = 64,
    },
    {
        .name = "u5", .title = "STM32U5",
        .reference = "RM0456; DS13086",
        .word_size = 16, .write_once = 1, .erase_unit = "pages of 8 KiB", .mass_erase = 1,
        .dual_bank = "always two banks",
        /* Estimate: 8 KiB page 1.5/3.4 ms, quad-word 118/130 us. */
        .typical = {0, 190, 500000, 30, USB_FS},
        .worst = {0, 430, 1000000, 33, USB_FS},
        /* RM0456 7.4.1: RDP bits 7:0 of FLASH_OPTR; 0x55 is level 0.5 with TrustZone. */
        RDP(0x40022040u, 0), .mboot_size = MBOOT_32K,
    },
};

/* Nothing identifies the device: assume the strictest rules and the
 * slowest flash of any family above. */
static const mpf_chip conservative = {
    .name = "unknown", .title = "unrecognised device (conservative rules)",
    .reference = "the strictest of the profiles",
    .word_size = 32, .write_once = 1, .erase_unit = "as the layout says", .mass_erase = 1,
    .no_blank_write = 1,
    .dual_bank = "unknown",
    .typical = F4_TYPICAL,
    .worst = {572000, 26800, 32000000, 200, USB_FS},
};

size_t mpf_chip_count(void)
{
    return sizeof chips / sizeof chips[0];
}

const mpf_chip *mpf_chip_at(size_t i)
{
    return i < mpf_chip_count() ? &chips[i] : NULL;
}

const mpf_chip *mpf_chip_conservative(void)
{
    return &conservative;
}

static int same_name(const char *a, const char *b)
{
    for (; *a && *b; a++, b++) {
        char x = *a >= 'A' && *a <= 'Z' ? (char)(*a - 'A' + 'a') : *a;
        if (x != *b)
            return 0;
    }
    return *a == *b;
}

const mpf_chip *mpf_chip_find(const char *name)
{
    if (!name)
        return NULL;
    for (size_t i = 0; i < mpf_chip_count(); i++)
        if (same_name(name, chips[i].name))
            return &chips[i];
    if (same_name(name, conservative.name))
        return &conservative;
    return NULL;
}
