/* Which family a device is, from what it shows on enumeration. The ST ROM's
 * layout strings decide first: the flash geometry of alt 0 and the
 * option-byte address of the other alts. mboot shows one alt with a layout
 * fixed per family (ports/stm32/mboot/main.c, INTERNAL_FLASH_LAYOUT). Where
 * the layouts leave it open, the product string and bcdDevice do: they tell
 * the ROM's generation (F2/F4/F7/L4-era ROMs say "STM32  BOOTLOADER" with
 * bcdDevice 0x2200; the H7/WB/U5-era ROMs "DFU in FS Mode" with 0x0200, see
 * src/sim/families.c for the listings) and mboot (bcdDevice 0x0300).
 * First matching rule wins; nothing matching = the conservative profile. */
#include <string.h>

#include "mpflash/chip.h"
#include "mpflash/engine.h"

typedef struct rule {
    const char *chip;
    int mboot;             /* 1: mboot only (mpf_chip_is_mboot), 0: never mboot */
    const char *alt0;      /* substring of alt 0's layout, NULL = any */
    const char *other_alt; /* substring of some alt's string, NULL = any */
    const char *product;   /* the product string exactly, NULL = any */
    uint16_t bcd_device;   /* 0 = any */
    const char *why;
} rule;

#define OLD_ROM "STM32  BOOTLOADER", 0x2200
#define NEW_ROM "DFU in FS Mode", 0x0200

static const rule rules[] = {
    /* mboot: one layout per family. */
    {"f7", 1, "/0x08000000/04*032Kg,01*128Kg,07*256Kg", NULL, NULL, 0,
     "mboot's F765/F767/F769 layout"},
    {"f4", 1, "/0x08000000/04*016Kg,01*064Kg,07*128Kg", NULL, NULL, 0,
     "mboot's F4/F722 layout (F722 has the same flash rules)"},
    {"h7", 1, "*128Kg", NULL, NULL, 0, "mboot's H743/H750 layout (128 KiB sectors)"},
    {"g0", 1, "/0x08000000/256*02Kg", NULL, NULL, 0, "mboot's G0 layout"},
    {"wb", 1, "/0x08000000/256*04Kg", NULL, NULL, 0, "mboot's WB layout"},
    {"h5", 1, "*08Kg", NULL, NULL, 0, "mboot's H5 layout (8 KiB sectors)"},
    /* ST ROM: option bytes (AN2606 / the RMs' option-byte addresses). */
    {"f4", 0, NULL, "/0x1FFFC000/", NULL, 0, "option bytes at 0x1FFFC000 (STM32F2/F4)"},
    {"f7", 0, NULL, "/0x1FFF0000/", NULL, 0, "option bytes at 0x1FFF0000 (STM32F7)"},
    {"h7ab", 0, "*08Kg", "/0x5200201C/", NULL, 0,
     "8 KiB sectors, option bytes at 0x5200201C (H7A3/B3)"},
    {"h7", 0, NULL, "/0x5200201C/", NULL, 0, "option bytes at 0x5200201C (STM32H7)"},
    {"wb", 0, NULL, "/0x1FFF8000/", NULL, 0, "option bytes at 0x1FFF8000 (STM32WB)"},
    {"l4", 0, "*0002Kg", "/0x1FFF7800/", NULL, 0, "2 KiB pages counted in 4 digits (L4 ROM)"},
    {"l4", 0, "*0004Kg", "/0x1FFF7800/", NULL, 0,
     "4 KiB pages counted in 4 digits (L4+ ROM, dual bank)"},
    {"l4", 0, "*0008Kg", "/0x1FFF7800/", NULL, 0,
     "8 KiB pages counted in 4 digits (L4+ ROM, single bank)"},
    {"g4", 0, "*02Kg", "/0x1FFFF800/", NULL, 0, "2 KiB pages, option bytes in two banks (STM32G4)"},
    {"g0", 0, "*02Kg", "/0x1FFF7800/", NULL, 0, "2 KiB pages, option bytes at 0x1FFF7800 (STM32G0)"},
    {"u5", 0, "*08Kg", "/0x40022040/", NULL, 0, "8 KiB pages, option bytes at 0x40022040 (STM32U5)"},
    {"h5", 0, "*08Kg", "/0x40022050/", NULL, 0,
     "8 KiB sectors, option bytes at 0x40022050 (STM32H5)"},
    /* The layout alone is ambiguous; the ROM's generation decides. 8 KiB
     * sectors on the newer ROM are an H7A3/B3, a U5 or an H5: the first two
     * show their option bytes (above), so what is left is the H5. Pages
     * counted in 4 digits on the older ROM are the L4/L4+ ROM's way. */
    {"h5", 0, "*08Kg", NULL, NEW_ROM,
     "8 KiB sectors on the newer ST ROM (\"DFU in FS Mode\", bcdDevice 0x0200) with neither the "
     "H7A3/B3's nor the U5's option bytes: STM32H5"},
    {"l4", 0, "*000", NULL, OLD_ROM,
     "pages counted in 4 digits on the older ST ROM (\"STM32  BOOTLOADER\", bcdDevice 0x2200): "
     "STM32L4/L4+"},
    /* Geometry alone. */
    {"f4", 0, "/0x08000000/04*016Kg,01*064Kg", NULL, NULL, 0, "16/64/128 KiB sectors (F2/F4/F72x)"},
    {"f7", 0, "/0x08000000/04*032Kg,01*128Kg", NULL, NULL, 0,
     "32/128/256 KiB sectors (F74x-F77x)"},
    {"h7", 0, "*128Kg", NULL, NULL, 0, "uniform 128 KiB sectors (STM32H7)"},
};

/* mboot's identity (ports/stm32/mboot/main.c): MBOOT_USBD_MANUFACTURER_STRING
 * defaults to "MicroPython"; dev_descr says bcdDevice 0x0300 (older mboot
 * said 0x2200, as the ST ROM does, so only its manufacturer tells it). */
static const struct {
    const char *manufacturer; /* NULL = any */
    uint16_t bcd_device;      /* 0 = any */
} mboot_ids[] = {
    {"MicroPython", 0},
    {NULL, 0x0300},
};

int mpf_chip_is_mboot(const mpf_device_info *dev)
{
    if (!dev)
        return 0;
    for (size_t i = 0; i < sizeof mboot_ids / sizeof mboot_ids[0]; i++) {
        if (mboot_ids[i].manufacturer && strcmp(dev->manufacturer, mboot_ids[i].manufacturer) != 0)
            continue;
        if (mboot_ids[i].bcd_device && dev->bcd_device != mboot_ids[i].bcd_device)
            continue;
        return 1;
    }
    return 0;
}

static int rule_matches(const rule *r, const mpf_device_info *dev)
{
    if (r->mboot != mpf_chip_is_mboot(dev))
        return 0;
    if (r->product && strcmp(dev->product, r->product) != 0)
        return 0;
    if (r->bcd_device && dev->bcd_device != r->bcd_device)
        return 0;
    size_t n = dev->num_alts < MPF_MAX_ALTS ? dev->num_alts : MPF_MAX_ALTS;
    const char *alt0 = NULL;
    int other = r->other_alt == NULL;
    for (size_t i = 0; i < n; i++) {
        if (dev->alts[i].alt == 0)
            alt0 = dev->alts[i].name;
        else if (r->other_alt && strstr(dev->alts[i].name, r->other_alt))
            other = 1;
    }
    if (r->alt0 && (!alt0 || !strstr(alt0, r->alt0)))
        return 0;
    return other;
}

const mpf_chip *mpf_chip_pick(const mpf_device_info *dev, const char **why)
{
    if (why)
        *why = "nothing in its descriptors names a known STM32 family";
    if (!dev)
        return mpf_chip_conservative();
    for (size_t i = 0; i < sizeof rules / sizeof rules[0]; i++) {
        if (!rule_matches(&rules[i], dev))
            continue;
        const mpf_chip *c = mpf_chip_find(rules[i].chip);
        if (!c)
            break;
        if (why)
            *why = rules[i].why;
        return c;
    }
    return mpf_chip_conservative();
}

#define FLASH_START 0x08000000u

int mpf_chip_protected(const mpf_chip *c, int mboot, const mpf_chip_facts *facts, size_t i,
                       mpf_chip_region *out)
{
    mpf_chip_region r[2];
    size_t n = 0;
    if (mboot && c->mboot_size)
        r[n++] = (mpf_chip_region){FLASH_START, c->mboot_size, "MicroPython's mboot",
                                   "flash the firmware built for mboot (USE_MBOOT=1), which "
                                   "starts after it"};
    if (c->sfsa_address) {
        if (facts && facts->sfsa_known) {
            /* The stack runs from SFSA's page to the end of flash. */
            if (facts->stack_start < c->stack_fallback_end)
                r[n++] = (mpf_chip_region){facts->stack_start,
                                           c->stack_fallback_end - facts->stack_start,
                                           "the radio stack and FUS (from the SFSA option byte)",
                                           "link the firmware below the stack, or change the "
                                           "stack with STM32CubeProgrammer's FUS commands"};
        }
        else
            r[n++] = (mpf_chip_region){c->stack_fallback_start,
                                       c->stack_fallback_end - c->stack_fallback_start,
                                       "the top of flash, where the radio stack and FUS usually "
                                       "sit (the SFSA option byte could not be read)",
                                       "link the firmware lower, or let mpflash read the option "
                                       "bytes (the ST ROM shows them as alt 1)"};
    }
    if (i >= n)
        return 0;
    *out = r[i];
    return 1;
}

uint32_t mpf_chip_erase_timeout_ms(const mpf_chip *c, uint32_t sector_size)
{
    uint32_t floor_ms = mpf_dfu_erase_timeout_ms(sector_size);
    if (!c)
        return floor_ms;
    uint64_t ms = 2 * mpf_timing_erase_us(&c->worst, sector_size) / 1000;
    return ms > floor_ms ? (ms > UINT32_MAX ? UINT32_MAX : (uint32_t)ms) : floor_ms;
}
