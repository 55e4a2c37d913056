/* The chips the virtual bootloader can be: data only. Descriptor values and
 * layout strings are those seen on real devices (FACTS.md); behaviour flags
 * follow ST AN2662/AN3156 for the system bootloader and MicroPython's
 * ports/stm32/mboot for mboot. */
#include <string.h>

#include "sim/sim_internal.h"

#define ST_VID 0x0483
#define ST_DFU_PID 0xDF11

#define FLASH_1M "@Internal Flash  /0x08000000/04*016Kg,01*064Kg,07*128Kg"
#define FLASH_512K "@Internal Flash  /0x08000000/04*016Kg,01*064Kg,03*128Kg"

/* F405/F407 ROM: option bytes, OTP and device feature typed `g`. */
#define ALTS_G                                                                                 \
    { { FLASH_1M, SIM_KIND_FLASH },                                                            \
      { "@Option Bytes  /0x1FFFC000/01*016 g", SIM_KIND_OPTION },                              \
      { "@OTP Memory /0x1FFF7800/01*512 g,01*016 g", SIM_KIND_OTP },                           \
      { "@Device Feature/0xFFFF0000/01*004 g", SIM_KIND_FEATURE } }

/* F401 ROM shows type `e` on the last three. */
#define ALTS_E(flash)                                                                          \
    { { flash, SIM_KIND_FLASH },                                                               \
      { "@Option Bytes  /0x1FFFC000/01*016 e", SIM_KIND_OPTION },                              \
      { "@OTP Memory /0x1FFF7800/01*512 e,01*016 e", SIM_KIND_OTP },                           \
      { "@Device Feature/0xFFFF0000/01*004 e", SIM_KIND_FEATURE } }

#define ALTS_G_512K                                                                            \
    { { FLASH_512K, SIM_KIND_FLASH },                                                          \
      { "@Option Bytes  /0x1FFFC000/01*016 g", SIM_KIND_OPTION },                              \
      { "@OTP Memory /0x1FFF7800/01*512 g,01*016 g", SIM_KIND_OTP },                           \
      { "@Device Feature/0xFFFF0000/01*004 g", SIM_KIND_FEATURE } }

/* Functional descriptor: canDnload, canUpload, willDetach (0x0B);
 * wDetachTimeOut 255; wTransferSize 2048; DfuSe 1.1a. */
#define FUNC_2048 { 0x0B, 255, 2048, MPF_DFU_VERSION_DFUSE }

#define ROM_BEHAVIOUR                                                                          \
    .reports_poll_timeout = 1, .checks_set_address = 1, .has_read_unprotect = 1,               \
    .honours_read_protection = 1, .silent_wp_erase = 1, .sector_mass_erase = 0,                \
    .reset_after_option_write = 1, .status_clears_on_read = 0,                                 \
    .reports_program_mismatch = 1,                                                             \
    .bad_address_status = MPF_DFU_STATUS_ERR_TARGET,                                           \
    .failure_status = MPF_DFU_STATUS_ERR_UNKNOWN, .wp_write_status = MPF_DFU_STATUS_ERR_WRITE, \
    .state_after_op = MPF_DFU_STATE_DNLOAD_SYNC, .bootloader_start = 0, .bootloader_size = 0,  \
    .jump_to_pointer = 1, .app_address = 0x08000000u

/* mboot: GETSTATUS executes, the operation then blocks the USB interrupt;
 * errors it does not classify leave bStatus at OK; it protects its own
 * 32 KiB and restarts into the application at 0x08008000. */
#define MBOOT_BEHAVIOUR                                                                        \
    MBOOT_RULES, .bootloader_start = 0x08000000u, .bootloader_size = 0x8000u,                  \
    .app_address = 0x08008000u

#define MBOOT_RULES                                                                            \
    .reports_poll_timeout = 0, .checks_set_address = 0, .has_read_unprotect = 0,               \
    .honours_read_protection = 0, .silent_wp_erase = 0, .sector_mass_erase = 1,                \
    .reset_after_option_write = 0, .status_clears_on_read = 1,                                 \
    .reports_program_mismatch = 0,                                                             \
    .bad_address_status = MPF_DFU_STATUS_ERR_ADDRESS, .failure_status = MPF_DFU_STATUS_OK,    \
    .wp_write_status = MPF_DFU_STATUS_OK, .state_after_op = MPF_DFU_STATE_DNLOAD_IDLE,         \
    .jump_to_pointer = 0, .reason_strings = 1

#define ROM_IDS                                                                                \
    .vid = ST_VID, .pid = ST_DFU_PID, .bcd_device = 0x2200,                                    \
    .manufacturer = "STMicroelectronics", .product = "STM32  BOOTLOADER"

#define MBOOT_IDS                                                                              \
    .vid = ST_VID, .pid = ST_DFU_PID, .bcd_device = 0x0300, .manufacturer = "MicroPython",     \
    .product = "Pyboard DFU"

/* Plain DFU 1.1 boards (plain_boards.c has where each fact comes from).
 * TinyUSB's TUD_DFU_DESCRIPTOR declares bcdDFUVersion 0x0101. */
#define ARDUINO_VID 0x2341
#define PLAIN_BEHAVIOUR                                                                        \
    .reports_poll_timeout = 1, .reports_program_mismatch = 0,                                  \
    .bad_address_status = MPF_DFU_STATUS_ERR_ADDRESS,                                          \
    .failure_status = MPF_DFU_STATUS_ERR_UNKNOWN, .wp_write_status = MPF_DFU_STATUS_ERR_WRITE, \
    .state_after_op = MPF_DFU_STATE_DNLOAD_SYNC, .jump_to_pointer = 0

#define HIDDEN_OPTIONS "@Option Bytes  /0x1FFFC000/01*016 e"

static const sim_chip chips[] = {
    { .name = "f401", .description = "STM32F401xE system bootloader, 512 KiB", ROM_IDS,
      .serial = "3254335B3233", .func = FUNC_2048, .num_alts = 4, .alts = ALTS_E(FLASH_512K),
      .flash_size = 512u * 1024u, ROM_BEHAVIOUR },
    { .name = "f405", .description = "STM32F405xG system bootloader, 1 MiB", ROM_IDS,
      .serial = "335A37543034", .func = FUNC_2048, .num_alts = 4, .alts = ALTS_G,
      .flash_size = 1024u * 1024u, ROM_BEHAVIOUR },
    { .name = "f407", .description = "STM32F407xG system bootloader, 1 MiB", ROM_IDS,
      .serial = "206D35A05853", .func = FUNC_2048, .num_alts = 4, .alts = ALTS_G,
      .flash_size = 1024u * 1024u, ROM_BEHAVIOUR },
    /* Assumed to present itself like its F401 sibling. */
    { .name = "f411", .description = "STM32F411xE system bootloader, 512 KiB", ROM_IDS,
      .serial = "3680378F3333", .func = FUNC_2048, .num_alts = 4, .alts = ALTS_E(FLASH_512K),
      .flash_size = 512u * 1024u, ROM_BEHAVIOUR },
    /* Assumed to present itself like the F405 (type g), with 512 KiB. */
    { .name = "f446", .description = "STM32F446xE system bootloader, 512 KiB", ROM_IDS,
      .serial = "2061376E5841", .func = FUNC_2048, .num_alts = 4, .alts = ALTS_G_512K,
      .flash_size = 512u * 1024u, ROM_BEHAVIOUR },
    /* STM32F427/F429 2 MiB: two banks of 12 sectors, bank 2 from 0x08100000
     * (RM0090 3.3); the ROM shows both in one alt and each bank's option
     * bytes and OTP (dfu-util -l of an F427 ROM in ArduPilot's wiki,
     * ver=2200). Its OB alt's second bank (nWRP of sectors 12-23) is kept
     * as bytes only. */
    { .name = "f429", .description = "STM32F429xI system bootloader, 2 MiB in two banks (bank 2 "
                                     "from 0x08100000)",
      ROM_IDS, .serial = "3158356A3432", .func = FUNC_2048, .num_alts = 4,
      .alts = { { "@Internal Flash  /0x08000000/04*016Kg,01*064Kg,07*128Kg,04*016Kg,01*064Kg,"
                  "07*128Kg", SIM_KIND_FLASH },
                { "@Option Bytes  /0x1FFFC000/01*016 e/0x1FFEC000/01*016 e", SIM_KIND_OPTION },
                { "@OTP Memory /0x1FFF7800/01*512 e,01*016 e/0x1FFE7800/01*512 e,01*016 e",
                  SIM_KIND_OTP },
                { "@Device Feature/0xFFFF0000/01*004 e", SIM_KIND_FEATURE } },
      .flash_size = 2048u * 1024u, ROM_BEHAVIOUR },
    { .name = "mboot", .description = "MicroPython mboot on an STM32F405, 1 MiB", MBOOT_IDS,
      .serial = "3359306D3037", .func = FUNC_2048, .num_alts = 1,
      .alts = { { FLASH_1M, SIM_KIND_FLASH } }, .hidden_option_layout = HIDDEN_OPTIONS,
      .flash_size = 1024u * 1024u, MBOOT_BEHAVIOUR },
    /* mboot's F4 layout string is fixed at 1 MiB whatever the part has. */
    { .name = "mboot-f401",
      .description = "MicroPython mboot on an STM32F401xE: layout claims 1 MiB, 512 KiB exist",
      MBOOT_IDS, .serial = "3255375E3433", .func = FUNC_2048, .num_alts = 1,
      .alts = { { FLASH_1M, SIM_KIND_FLASH } }, .hidden_option_layout = HIDDEN_OPTIONS,
      .flash_size = 512u * 1024u, MBOOT_BEHAVIOUR },
    /* mboot on a LEGO Hub No.6 (ports/stm32/boards/LEGO_HUB_NO6, an
     * STM32F413xG, 1 MiB): LEGO's own bootloader holds 0x08000000-0x08007FFF
     * (README.md: preinstalled, cannot be erased), mboot is linked at
     * 0x08008000 (MBOOT_TEXT0_ADDR, mboot_memory.ld FLASH_BL 32 KiB) and lets
     * writes start only at _mboot_writable_flash_start, the end of FLASH_BL:
     * everything below 0x08010000 is refused as its own ("Can't overwrite
     * mboot"). It enumerates with the board's BOOTLOADER_DFU_USB_VID/PID
     * (mpconfigboard.mk: 0694:0008; mboot's main.c takes MBOOT_USB_VID/PID
     * from them) and the default strings. The application runs from
     * TEXT0_ADDR 0x08010000. Flash below 0x08008000 is LEGO's code. */
    { .name = "lego-hub6",
      .description = "MicroPython mboot on a LEGO Hub No.6 (STM32F413, after LEGO's bootloader)",
      .vid = 0x0694, .pid = 0x0008, .bcd_device = 0x0300, .manufacturer = "MicroPython",
      .product = "Pyboard DFU", .serial = "3359306D0694", .func = FUNC_2048, .num_alts = 1,
      .alts = { { FLASH_1M, SIM_KIND_FLASH } }, .hidden_option_layout = HIDDEN_OPTIONS,
      .flash_size = 1024u * 1024u, MBOOT_RULES, .bootloader_start = 0x08000000u,
      .bootloader_size = 0x10000u, .app_address = 0x08010000u },
    /* load_dfu_ota_descriptor: one alt "Arduino DFU", download + upload +
     * manifestation tolerant, wDetachTimeOut 100; wTransferSize is the
     * core's CFG_TUD_DFU_XFER_BUFSIZE, 4096 as FACTS.md has it (unconfirmed). */
    { .name = "nano-esp32", .description = "Arduino Nano ESP32 (plain DFU 1.1, Arduino DFU sketch interface)",
      .vid = ARDUINO_VID, .pid = 0x0070, .bcd_device = 0x0100, .manufacturer = "Arduino",
      .product = "Nano ESP32", .serial = "3485187A35EC", .func = { 0x07, 100, 4096, 0x0101 },
      .num_alts = 1, .alts = { { "Arduino DFU", SIM_KIND_FLASH } }, .flash_size = 0,
      PLAIN_BEHAVIOUR, .app_address = 0x00010000u, .plain = &sim_plain_nano_esp32 },
    /* usb_descriptors.c: DFU only, two alts (CODE_FLASH_DESCRIPTOR of
     * Makefile.c33 and the data flash), attributes upload + download +
     * manifestation tolerant, wDetachTimeOut 1000, wTransferSize 64,
     * bcdDevice 0x0100, a 32-digit serial from the chip's unique ID. */
    { .name = "portenta-c33", .description = "Arduino Portenta C33 bootloader (plain DFU 1.1, DfuSe-style alt names)",
      .vid = ARDUINO_VID, .pid = 0x0368, .bcd_device = 0x0100, .manufacturer = "Arduino",
      .product = "Portenta C33 DFU", .serial = "383134303932510B00350030", .func = { 0x07, 1000, 64, 0x0101 },
      .num_alts = 2,
      .alts = { { "@CodeFlash /0x00000000/8*8Ka,63*32Kg", SIM_KIND_FLASH },
                { "@DataFlash /0x08000000/8*1Kg", SIM_KIND_FLASH } },
      .flash_size = 8u * 1024u, PLAIN_BEHAVIOUR, .app_address = 0x00010000u,
      .plain = &sim_plain_portenta_c33 },
    /* The specification's device (USB DFU 1.1): not manifestation-tolerant. */
    { .name = "dfu11", .description = "plain DFU 1.1 device as the specification describes one (not manifestation-tolerant)",
      .vid = 0x1209, .pid = 0x2002, .bcd_device = 0x0100, .manufacturer = "mpflash",
      .product = "DFU 1.1 test device", .serial = "DFU11-0001", .func = { 0x03, 500, 1024, 0x0110 },
      .num_alts = 1, .alts = { { "Firmware", SIM_KIND_FLASH } }, .flash_size = 0,
      PLAIN_BEHAVIOUR, .app_address = 0, .plain = &sim_plain_dfu11 },
};

#define BASE_COUNT (sizeof chips / sizeof chips[0])

size_t sim_chip_table_count(void)
{
    return BASE_COUNT + sim_family_count();
}

const sim_chip *sim_chip_at(size_t i)
{
    return i < BASE_COUNT ? &chips[i] : sim_family_at(i - BASE_COUNT);
}

const sim_chip *sim_chip_find(const char *name)
{
    for (size_t i = 0; name && i < sim_chip_table_count(); i++) {
        if (strcmp(sim_chip_at(i)->name, name) == 0)
            return sim_chip_at(i);
    }
    return NULL;
}

size_t mpf_sim_chip_count(void)
{
    return sim_chip_table_count();
}

const char *mpf_sim_chip_name(size_t i)
{
    const sim_chip *c = sim_chip_at(i);
    return c ? c->name : NULL;
}

const char *mpf_sim_chip_description(size_t i)
{
    const sim_chip *c = sim_chip_at(i);
    return c ? c->description : NULL;
}
