/* The wrong-board guard for a board seen only in DFU mode: the image's MCU
 * (MICROPY_HW_MCU_NAME) against what the device's identity says: the MCU
 * of a bootloader whose VID:PID belongs to one board, the chip family its
 * descriptors point to and, on the ST ROM, the flash size its layout shows. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "mpflash/chip.h"
#include "mpflash/layout.h"
#include "mpflash/machine.h"

/* MCU name prefix -> chip profile (mpflash/chip.h), and the profile mboot
 * on that MCU is picked as when its layout is another family's: mboot on
 * F722/F723/F732/F733 (PYBD_SF2/SF3) shows the F4 layout string
 * (ports/stm32/mboot/main.c). Longer prefixes first. */
typedef struct family {
    const char *prefix;
    const char *profile;
    const char *mboot_shows;
} family;

static const family families[] = {
    {"STM32H7A", "h7ab", NULL}, {"STM32H7B", "h7ab", NULL}, {"STM32H7", "h7", NULL},
    {"STM32H5", "h5", NULL},    {"STM32F2", "f4", NULL},    {"STM32F4", "f4", NULL},
    {"STM32F72", "f7", "f4"},   {"STM32F73", "f7", "f4"},   {"STM32F7", "f7", NULL},
    {"STM32L4", "l4", NULL},    {"STM32G0", "g0", NULL},    {"STM32G4", "g4", NULL},
    {"STM32WB", "wb", NULL},    {"STM32U5", "u5", NULL},
};

/* DFU bootloaders whose VID:PID is one board's, with the MCU that board's
 * MicroPython names (MICROPY_HW_MCU_NAME in its mpconfigboard.h). IDs:
 * FACTS.md's MicroPython DFU command lines (ports' deploy.md). */
static const struct {
    uint16_t vid, pid;
    const char *mcu;  /* the image's MCU must start with this */
    const char *what; /* "an Arduino Nano ESP32" */
} board_ids[] = {
    {0x2341, 0x0070, "ESP32S3", "an Arduino Nano ESP32 (Arduino's DFU sketch)"},
    {0x2341, 0x0368, "RA6M5", "an Arduino Portenta C33 (Arduino's bootloader)"},
    {0x2341, 0x035b, "STM32H747", "an Arduino Portenta H7 (Arduino's bootloader)"},
    {0x2341, 0x0366, "STM32H747", "an Arduino GIGA R1 (Arduino's bootloader)"},
    {0x2341, 0x035f, "STM32H747", "an Arduino Nicla Vision (Arduino's bootloader)"},
    {0x2341, 0x0364, "STM32H747", "an Arduino Opta (Arduino's bootloader)"},
};

static int starts_with(const char *s, const char *prefix)
{
    return strncasecmp(s, prefix, strlen(prefix)) == 0;
}

static const family *family_of(const char *mcu)
{
    for (size_t i = 0; i < sizeof families / sizeof families[0]; i++)
        if (starts_with(mcu, families[i].prefix))
            return &families[i];
    return NULL;
}

static int family_fits(const family *f, const mpf_chip *chip, const mpf_device_info *dev)
{
    if (!f)
        return 0;
    if (strcmp(chip->name, f->profile) == 0)
        return 1;
    return f->mboot_shows && strcmp(chip->name, f->mboot_shows) == 0 && mpf_chip_is_mboot(dev);
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

#define WRONG_BOARD_END "; nothing was changed: flash the firmware built for this board"

mpf_err mpf_machine_check_device(const mpf_machine *image, const mpf_device_info *dev,
                                 mpf_error *err)
{
    if (!image || !image->mcu[0] || !dev)
        return MPF_OK;
    for (size_t i = 0; i < sizeof board_ids / sizeof board_ids[0]; i++)
        if (dev->vid == board_ids[i].vid && dev->pid == board_ids[i].pid &&
            !starts_with(image->mcu, board_ids[i].mcu))
            return mpf_error_refuse(err, MPF_ERR_REFUSED, MPF_REASON_NEEDS_FORCE,
                                    "wrong board: the firmware is for %s with %s, but the DFU "
                                    "device %04x:%04x is %s, with %s" WRONG_BOARD_END,
                                    image->board, image->mcu, (unsigned)dev->vid,
                                    (unsigned)dev->pid, board_ids[i].what, board_ids[i].mcu);
    const char *why = NULL;
    const mpf_chip *chip = mpf_chip_pick(dev, &why);
    const int stm32 = chip && chip != mpf_chip_conservative();
    const family *want = family_of(image->mcu);
    if (stm32 && !family_fits(want, chip, dev))
        return mpf_error_refuse(err, MPF_ERR_REFUSED, MPF_REASON_NEEDS_FORCE,
                                "wrong board: the firmware is for %s with %s, but the DFU device is "
                                "an %s (%s)" WRONG_BOARD_END,
                                image->board, image->mcu, chip->title, why ? why : "its descriptors");
    uint32_t want_kib = want ? flash_kib_of(image->mcu) : 0, have_kib = rom_flash_kib(dev);
    if (want_kib && have_kib && want_kib != have_kib)
        return mpf_error_refuse(err, MPF_ERR_REFUSED, MPF_REASON_NEEDS_FORCE,
                                "wrong board: the firmware is for %s with %s (%u KiB of flash), but "
                                "the DFU device's ST bootloader shows %u KiB" WRONG_BOARD_END,
                                image->board, image->mcu, (unsigned)want_kib, (unsigned)have_kib);
    return MPF_OK;
}
