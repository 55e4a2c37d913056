/* mpflash — which bootloader a DFU device is, from its descriptors: shared
 * by the profile pick, the plan's region rules and the engine's reading of
 * mboot's reason strings, so the three never disagree. Not exported. */
#ifndef MPFLASH_CHIP_IDENT_H
#define MPFLASH_CHIP_IDENT_H

#include "mpflash/transport.h"

/* 1 when the device is MicroPython's mboot: by its manufacturer string
 * ("MicroPython", mboot's default) or by its bcdDevice 3.00 (its device
 * descriptor since v1.22; a board may rename the strings, not that). */
int mpf_chip_is_mboot(const mpf_device_info *dev);

#endif
