/* Boards whose bootloaders do not sit where the family's rule puts mboot
 * (32 KiB at 0x08000000): recognised by their USB IDs, their protected
 * regions are data here.
 *
 * LEGO Hub No.6 and No.7 (MicroPython ports/stm32/boards/LEGO_HUB_NO6 and
 * LEGO_HUB_NO7, STM32F413): LEGO's own DFU bootloader is preinstalled at
 * 0x08000000, 32 KiB, and cannot be erased (LEGO_HUB_NO6/README.md); mboot
 * goes after it, MBOOT_TEXT0_ADDR = 0x08008000, FLASH_BL 32 KiB
 * (mpconfigboard.mk, mboot_memory.ld, whose _mboot_writable_flash_start =
 * ORIGIN(FLASH_BL) + LENGTH(FLASH_BL) = 0x08010000 is where mboot lets
 * writes start), the application at TEXT0_ADDR = 0x08010000. Both
 * bootloaders enumerate with the board's BOOTLOADER_DFU_USB_VID/PID,
 * 0694:0008 (No.6) and 0694:000C (No.7): the board .mk files set them, and
 * mboot's main.c defaults MBOOT_USB_VID/PID to them. mboot tells itself
 * apart by its strings and bcdDevice (mpf_chip_is_mboot). */
#include "mpflash/chip.h"

typedef struct board_rule {
    uint16_t vid, pid;
    const char *name; /* for the reader */
    mpf_chip_region own;   /* the maker's bootloader, always there */
    mpf_chip_region mboot; /* mboot's, when the device is mboot (size 0: none) */
} board_rule;

#define LEGO_VID 0x0694u
#define LEGO_BOOTLOADER                                                                            \
    {0x08000000u, 0x8000u, "LEGO's own bootloader",                                                \
     "flash an image built for the hub: MicroPython (BOARD=LEGO_HUB_NO6/NO7) starts at "          \
     "0x08010000 after mboot, LEGO's firmware at 0x08008000"}
#define LEGO_MBOOT                                                                                 \
    {0x08008000u, 0x8000u, "MicroPython's mboot (after LEGO's bootloader)",                        \
     "flash the firmware built for this hub (BOARD=LEGO_HUB_NO6/NO7), which starts at 0x08010000"}

static const board_rule boards[] = {
    {LEGO_VID, 0x0008u, "LEGO Hub No.6", LEGO_BOOTLOADER, LEGO_MBOOT},
    {LEGO_VID, 0x000Cu, "LEGO Hub No.7", LEGO_BOOTLOADER, LEGO_MBOOT},
};

static const board_rule *board_of(const mpf_device_info *dev)
{
    for (size_t i = 0; dev && i < sizeof boards / sizeof boards[0]; i++)
        if (boards[i].vid == dev->vid && boards[i].pid == dev->pid)
            return &boards[i];
    return NULL;
}

int mpf_chip_regions(const mpf_chip *c, const mpf_device_info *dev, const mpf_chip_facts *facts,
                     size_t i, mpf_chip_region *out)
{
    const board_rule *b = board_of(dev);
    const int mboot = mpf_chip_is_mboot(dev);
    if (!b)
        return mpf_chip_protected(c, mboot, facts, i, out);
    /* The board's bootloaders replace the family's mboot rule. */
    const size_t own = 1 + (mboot && b->mboot.size);
    if (i == 0) {
        *out = b->own;
        return 1;
    }
    if (i == 1 && own == 2) {
        *out = b->mboot;
        return 1;
    }
    return mpf_chip_protected(c, 0, facts, i - own, out);
}
