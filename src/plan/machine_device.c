/* The wrong-board guard for a board seen only in DFU mode: the image's MCU
 * (MICROPY_HW_MCU_NAME) against the chip family the device's descriptors
 * point to and, on the ST ROM, the flash size its layout shows. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "mpflash/chip.h"
#include "mpflash/layout.h"
#include "mpflash/machine.h"

/* MCU name prefix -> chip profile (mpflash/chip.h). Longer prefixes first. */
static const struct {
    const char *prefix;
    const char *profile;
} families[] = {
    {"STM32H7A", "h7ab"}, {"STM32H7B", "h7ab"}, {"STM32H7", "h7"}, {"STM32H5", "h5"},
    {"STM32F2", "f4"},    {"STM32F4", "f4"},    {"STM32F7", "f7"}, {"STM32L4", "l4"},
    {"STM32G0", "g0"},    {"STM32G4", "g4"},    {"STM32WB", "wb"}, {"STM32U5", "u5"},
};

static const char *family_of(const char *mcu)
{
    for (size_t i = 0; i < sizeof families / sizeof families[0]; i++)
        if (strncasecmp(mcu, families[i].prefix, strlen(families[i].prefix)) == 0)
            return families[i].profile;
    return NULL;
}

/* STM32 part numbers: STM32 + family letters + line digits + pin-count
 * letter (or 'x') + flash-size letter (RM/datasheet ordering information).
 * 0 when the name stops before the size letter. */
static uint32_t flash_kib_of(const char *mcu)
{
    const char *p = mcu + 5; /* after "STM32" */
    while (*p && !(*p >= '0' && *p <= '9'))
        p++;
    while (*p >= '0' && *p <= '9')
        p++;
    if (!p[0] || !p[1])
        return 0;
    switch (p[1]) {
    case '4': return 16;
    case '6': return 32;
    case '8': return 64;
    case 'B': return 128;
    case 'C': return 256;
    case 'D': return 384;
    case 'E': return 512;
    case 'F': return 768;
    case 'G': return 1024;
    case 'H': return 1536;
    case 'I': return 2048;
    default: return 0;
    }
}

/* Internal flash the ST ROM's alt 0 describes from 0x08000000, KiB; 0 when
 * it cannot be told (mboot's layouts are fixed per family, not the part). */
static uint32_t rom_flash_kib(const mpf_device_info *dev)
{
    if (dev->num_alts == 0 || strcasecmp(dev->manufacturer, "STMicroelectronics") != 0)
        return 0;
    mpf_layout l;
    mpf_error e;
    if (mpf_layout_parse(dev->alts[0].name, &l, &e) != MPF_OK)
        return 0;
    uint64_t bytes = 0;
    for (size_t i = 0; i < l.count; i++)
        if (l.groups[i].start >= 0x08000000u && l.groups[i].start < 0x10000000u)
            bytes += (uint64_t)l.groups[i].sector_size * l.groups[i].count;
    mpf_layout_free(&l);
    return (uint32_t)(bytes / 1024u);
}

mpf_err mpf_machine_check_device(const mpf_machine *image, const mpf_device_info *dev,
                                 mpf_error *err)
{
    if (!image || !image->mcu[0] || !dev)
        return MPF_OK;
    const char *why = NULL;
    const mpf_chip *chip = mpf_chip_pick(dev, &why);
    const char *want = family_of(image->mcu);
    if (want && chip && chip != mpf_chip_conservative() && strcmp(chip->name, want) != 0)
        return mpf_error_refuse(err, MPF_ERR_REFUSED, MPF_REASON_NEEDS_FORCE,
                                "wrong board: the firmware is for %s with %s, but the DFU device is "
                                "an %s (%s); nothing was changed: flash the firmware built for this "
                                "board",
                                image->board, image->mcu, chip->title, why ? why : "its descriptors");
    uint32_t want_kib = flash_kib_of(image->mcu), have_kib = rom_flash_kib(dev);
    if (want_kib && have_kib && want_kib != have_kib)
        return mpf_error_refuse(err, MPF_ERR_REFUSED, MPF_REASON_NEEDS_FORCE,
                                "wrong board: the firmware is for %s with %s (%u KiB of flash), but "
                                "the DFU device's ST bootloader shows %u KiB; nothing was changed: "
                                "flash the firmware built for this board",
                                image->board, image->mcu, (unsigned)want_kib, (unsigned)have_kib);
    return MPF_OK;
}
