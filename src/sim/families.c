/* The other STM32 families MicroPython ships on, as virtual chips: the ST
 * ROM bootloader (AN2606 lists each family's DFU interface; AN3156 the
 * protocol) and mboot on F7/H7/G0/WB (ports/stm32/mboot: main.c's
 * INTERNAL_FLASH_LAYOUT strings, stm32_memory.ld's 32 KiB FLASH_BL, and on
 * H7 the first 128 KiB sector). Flash rules from the reference manuals:
 * ECC families program a flash word once after an erase (RM0433 4.3.9:
 * H7 256-bit word; RM0351 3.3.7: L4 double word, PROGERR when not erased;
 * RM0444 G0, RM0440 G4, RM0434 WB alike; RM0455 H7A3/B3, RM0481 H5, RM0456
 * U5: 128-bit word). The WB keeps FUS and the radio stack from the page
 * SFSA names (option byte, RM0434 3.4.1; AN5185) to the end of flash; the
 * flash controller refuses to erase or program there, and ST's tools do
 * not mass-erase a WB.
 *
 * Layout strings of ROMs not confirmed on hardware are marked "assumed".
 * Timing: the datasheets' typical figures at 2.7-3.6 V. */
#include <stdint.h>

#include "sim/sim_internal.h"

#define ST_VID 0x0483
#define ST_DFU_PID 0xDF11
#define FUNC_2048 { 0x0B, 255, 2048, MPF_DFU_VERSION_DFUSE }
#define FS_USB .usb_request_us = 1000, .usb_us_per_packet = 50

/* erase_base_us, erase_us_per_kib, mass_erase_us, program_us_per_word (32 bits) */
/* F7 (DS11853/DS10916): the F4's figures, 16 KiB 250 ms .. 128 KiB 1 s. */
static const mpf_timing f7_timing = {143000, 6700, 8000000, 16, FS_USB};
/* H743 (DS12110, x32): 128 KiB sector 1.1 s, 256-bit word 130 us. */
static const mpf_timing h7_timing = {0, 8600, 8800000, 17, FS_USB};
/* H7A3/B3, U5: 8 KiB sector ~2.2 ms, 128-bit word ~70 us (estimate). */
static const mpf_timing h7ab_timing = {0, 275, 600000, 18, FS_USB};
static const mpf_timing u5_timing = {0, 190, 500000, 30, FS_USB};
/* L4 (DS10198) and G4 (DS12288): 2 KiB page 22 ms, double word 81.7 us. */
static const mpf_timing l4_timing = {0, 11010, 22130, 41, FS_USB};
/* G0 (DS12766): 2 KiB page 22 ms, double word 85 us. */
static const mpf_timing g0_timing = {0, 11000, 22100, 43, FS_USB};
/* WB (DS11929): 4 KiB page 22 ms, double word 81.7 us. */
static const mpf_timing wb_timing = {0, 5505, 22130, 41, FS_USB};
/* L4+ (DS12023 for L4R5/L4S5): a page erase takes 22 ms whatever the page
 * size (4 KiB dual bank, 8 KiB single bank), double word 81.7 us. */
static const mpf_timing l4p_timing = {22020, 0, 22130, 41, FS_USB};
/* H5: 8 KiB sector, 128-bit word (RM0481 7.3.7); figures of the H7A3's
 * class (estimate: DS14258's table not at hand): 2.2 ms, 70 us. */
static const mpf_timing h5_timing = {0, 275, 600000, 18, FS_USB};

/* The ST ROM bootloader's behaviour (AN3156), with the identity each
 * generation shows. F2/F4/F7/L4: "STM32  BOOTLOADER", bcdDevice 0x2200
 * (FACTS.md listings). The newer ROMs (H7, WB, U5, and as assumed H7A3/B3
 * and H5) show "DFU in FS Mode" and bcdDevice 0x0200: dfu-util -l of an
 * H750 ROM (plugdata's Daisy exporter: ver=0200, "@Internal Flash
 * /0x08000000/16*128Kg"), of U575/U585 ROMs (ver=0200, "@Option Bytes
 * /0x40022040/01*64 e"), STM32CubeProgrammer's log of a WB55 ROM ("Product
 * ID : DFU in FS Mode"), rusefi issue #5574 ("DFU in FS Mode is expected
 * for an H7"). */
#define ST_ROM_BEHAVIOUR                                                                       \
    .pid = ST_DFU_PID, .vid = ST_VID, .manufacturer = "STMicroelectronics",                    \
    .func = FUNC_2048, .reports_poll_timeout = 1, .checks_set_address = 1,                     \
    .has_read_unprotect = 1, .honours_read_protection = 1, .silent_wp_erase = 1,               \
    .sector_mass_erase = 0, .reset_after_option_write = 1, .status_clears_on_read = 0,         \
    .reports_program_mismatch = 1, .bad_address_status = MPF_DFU_STATUS_ERR_TARGET,            \
    .failure_status = MPF_DFU_STATUS_ERR_UNKNOWN, .wp_write_status = MPF_DFU_STATUS_ERR_WRITE, \
    .state_after_op = MPF_DFU_STATE_DNLOAD_SYNC, .jump_to_pointer = 1,                         \
    .app_address = 0x08000000u
#define ROM ST_ROM_BEHAVIOUR, .bcd_device = 0x2200, .product = "STM32  BOOTLOADER"
#define ROM_FS ST_ROM_BEHAVIOUR, .bcd_device = 0x0200, .product = "DFU in FS Mode"

/* mboot: as chips.c's mboot, its own region sized per family. */
#define MBOOT(size)                                                                            \
    .vid = ST_VID, .pid = ST_DFU_PID, .bcd_device = 0x0300, .manufacturer = "MicroPython",     \
    .product = "Pyboard DFU", .func = FUNC_2048, .num_alts = 1, .reports_poll_timeout = 0,     \
    .checks_set_address = 0, .has_read_unprotect = 0, .honours_read_protection = 0,            \
    .silent_wp_erase = 0, .sector_mass_erase = 1, .reset_after_option_write = 0,               \
    .status_clears_on_read = 1, .reports_program_mismatch = 0,                                 \
    .bad_address_status = MPF_DFU_STATUS_ERR_ADDRESS, .failure_status = MPF_DFU_STATUS_OK,    \
    .wp_write_status = MPF_DFU_STATUS_OK, .state_after_op = MPF_DFU_STATE_DNLOAD_IDLE,         \
    .bootloader_start = 0x08000000u, .bootloader_size = (size), .jump_to_pointer = 0,          \
    .app_address = 0x08000000u + (size)

/* Option bytes as shipped: RDP level 0 (0xAA) where each family keeps it. */
static const uint8_t ob_rdp_first[] = {0xAA, 0xF8, 0xFF, 0xFF};  /* L4, G0, G4, U5 (bits 7:0) */
static const uint8_t ob_rdp_second[] = {0xFD, 0xAA, 0xFF, 0xFF}; /* F7, H7 (bits 15:8) */
/* WB: FLASH_OPTR (RDP 0xAA) at 0, SFR at 0x70 with SFSA 0xCE: FUS and a BLE
 * stack from 0x080CE000, as after installing ST's full BLE stack. */
#define WB_SFSA_OFFSET 0x70
static const uint8_t ob_wb[0x80] = {[0] = 0xAA, [1] = 0xE1, [2] = 0xFF, [3] = 0x3D,
                                    [WB_SFSA_OFFSET] = 0xCE, [WB_SFSA_OFFSET + 1] = 0xEE,
                                    [WB_SFSA_OFFSET + 2] = 0xFF, [WB_SFSA_OFFSET + 3] = 0xFF};
#define OB(img) .option_image = img, .option_image_size = sizeof img

static const sim_chip families[] = {
    { .name = "f722", .description = "STM32F722xE system bootloader, 512 KiB", ROM,
      .serial = "2079346A5341", .num_alts = 3,
      .alts = { { "@Internal Flash  /0x08000000/04*016Kg,01*64Kg,03*128Kg", SIM_KIND_FLASH },
                { "@Option Bytes  /0x1FFF0000/01*032 e", SIM_KIND_OPTION },
                { "@OTP Memory /0x1FF07800/01*528e", SIM_KIND_OTP } },
      .flash_size = 512u * 1024u, .timing = &f7_timing, OB(ob_rdp_second) },
    { .name = "f767", .description = "STM32F767xI system bootloader, 2 MiB single bank", ROM,
      .serial = "2059376E4D30", .num_alts = 2,
      .alts = { { "@Internal Flash  /0x08000000/04*032Kg,01*128Kg,07*256Kg", SIM_KIND_FLASH },
                { "@Option Bytes  /0x1FFF0000/01*032 e", SIM_KIND_OPTION } },
      .flash_size = 2048u * 1024u, .timing = &f7_timing, OB(ob_rdp_second) },
    { .name = "h743", .description = "STM32H743xI system bootloader, 2 MiB, ECC 32-byte words",
      ROM_FS, .serial = "3473365B3336", .num_alts = 2,
      .alts = { { "@Internal Flash   /0x08000000/16*128Kg", SIM_KIND_FLASH },
                { "@Option Bytes   /0x5200201C/01*128 e", SIM_KIND_OPTION } },
      .flash_size = 2048u * 1024u, .timing = &h7_timing, .ecc_word = 32, OB(ob_rdp_second) },
    /* Assumed layout (AN2606 gives no string): 8 KiB sectors. */
    { .name = "h7b3", .description = "STM32H7B3xI system bootloader, 2 MiB, ECC 16-byte words",
      ROM_FS, .serial = "3471356A3037", .num_alts = 2,
      .alts = { { "@Internal Flash   /0x08000000/256*08Kg", SIM_KIND_FLASH },
                { "@Option Bytes   /0x5200201C/01*128 e", SIM_KIND_OPTION } },
      .flash_size = 2048u * 1024u, .timing = &h7ab_timing, .ecc_word = 16, OB(ob_rdp_second) },
    { .name = "l476", .description = "STM32L476xG system bootloader, 1 MiB, ECC double words",
      ROM, .serial = "2083397C4E4B", .num_alts = 2,
      .alts = { { "@Internal Flash  /0x08000000/0512*0002Kg", SIM_KIND_FLASH },
                { "@Option Bytes  /0x1FFF7800/01*040 e/0x1FFFF800/01*040 e", SIM_KIND_OPTION } },
      .flash_size = 1024u * 1024u, .timing = &l4_timing, .ecc_word = 8, OB(ob_rdp_first) },
    { .name = "g0b1", .description = "STM32G0B1xE system bootloader, 512 KiB, ECC double words",
      ROM, .serial = "2060356B5831", .num_alts = 2,
      .alts = { { "@Internal Flash   /0x08000000/256*02Kg", SIM_KIND_FLASH },
                { "@Option Bytes   /0x1FFF7800/01*128 e", SIM_KIND_OPTION } },
      .flash_size = 512u * 1024u, .timing = &g0_timing, .ecc_word = 8, OB(ob_rdp_first) },
    { .name = "g474", .description = "STM32G474xE system bootloader, 512 KiB, ECC double words",
      ROM, .serial = "2065335A4E31", .num_alts = 2,
      .alts = { { "@Internal Flash   /0x08000000/256*02Kg", SIM_KIND_FLASH },
                { "@Option Bytes   /0x1FFF7800/01*048 e/0x1FFFF800/01*048 e", SIM_KIND_OPTION } },
      .flash_size = 512u * 1024u, .timing = &l4_timing, .ecc_word = 8, OB(ob_rdp_first) },
    { .name = "wb55", .description = "STM32WB55xG system bootloader, 1 MiB, radio stack from "
                                     "0x080CE000 (SFSA)",
      ROM_FS, .serial = "2081375D3339", .num_alts = 2,
      .alts = { { "@Internal Flash   /0x08000000/256*04Kg", SIM_KIND_FLASH },
                { "@Option Bytes   /0x1FFF8000/01*128 e", SIM_KIND_OPTION } },
      .flash_size = 1024u * 1024u, .timing = &wb_timing, .ecc_word = 8, OB(ob_wb),
      .sfsa_offset = WB_SFSA_OFFSET, .sfsa_unit = 4096, .no_mass_erase = 1 },
    /* Layout and option alt as dfu-util lists U575/U585 ROMs (see ROM_FS). */
    { .name = "u575", .description = "STM32U575xI system bootloader, 2 MiB, ECC 16-byte words",
      ROM_FS, .serial = "2077345B4D50", .num_alts = 2,
      .alts = { { "@Internal Flash   /0x08000000/256*08Kg", SIM_KIND_FLASH },
                { "@Option Bytes   /0x40022040/01*64 e", SIM_KIND_OPTION } },
      .flash_size = 2048u * 1024u, .timing = &u5_timing, .ecc_word = 16, OB(ob_rdp_first) },
    /* NUCLEO_H563ZI: 2 MiB in two banks of 128 x 8 KiB, bank 2 from
     * 0x08100000 (RM0481 7.3.1), 128-bit words with ECC, programmed once
     * after an erase (RM0481 7.3.7). Alt 0 as dfu-util lists a 2 MiB H563
     * ROM ("@Internal Flash   /0x08000000/256*08Kg", ver=0200; benchpod-cli's
     * tests); the option alt is assumed: FLASH_OPTSR_CUR at 0x40022050
     * (RM0481 7.11), sized as ST's OpenBootloader for the C5 shows the same
     * register block ("@Option Bytes /0x40022050/01*432e"). The H5 has
     * product states instead of RDP levels. Unconfirmed on hardware. */
    { .name = "h563", .description = "STM32H563xI system bootloader, 2 MiB in two banks (bank 2 "
                                     "from 0x08100000), ECC 16-byte words",
      ROM_FS, .serial = "2065366E3133", .num_alts = 2,
      .alts = { { "@Internal Flash   /0x08000000/256*08Kg", SIM_KIND_FLASH },
                { "@Option Bytes   /0x40022050/01*432 e", SIM_KIND_OPTION } },
      .flash_size = 2048u * 1024u, .timing = &h5_timing, .ecc_word = 16 },
    /* STM32L4R5xI (RM0432 3.3.1): 2 MiB; with DBANK=1 (as shipped) two banks
     * of 256 x 4 KiB, bank 2 from 0x08100000; with DBANK=0 one bank of
     * 256 x 8 KiB. Double words with ECC (RM0432 3.3.7). Assumed: the ROM
     * counts pages in 4 digits as the L4 ROM does ("0128*0002Kg", FACTS.md),
     * and shows the L4's option alt. MicroPython ships no L4+ board. */
    { .name = "l4r5", .description = "STM32L4R5xI system bootloader, 2 MiB dual bank (DBANK=1, "
                                     "4 KiB pages), ECC double words",
      ROM, .serial = "2087356B4E52", .num_alts = 2,
      .alts = { { "@Internal Flash  /0x08000000/0512*0004Kg", SIM_KIND_FLASH },
                { "@Option Bytes  /0x1FFF7800/01*040 e/0x1FFFF800/01*040 e", SIM_KIND_OPTION } },
      .flash_size = 2048u * 1024u, .timing = &l4p_timing, .ecc_word = 8, OB(ob_rdp_first) },
    { .name = "l4r5-1bank", .description = "STM32L4R5xI system bootloader, 2 MiB single bank "
                                           "(DBANK=0, 8 KiB pages), ECC double words",
      ROM, .serial = "2087356B4E53", .num_alts = 2,
      .alts = { { "@Internal Flash  /0x08000000/0256*0008Kg", SIM_KIND_FLASH },
                { "@Option Bytes  /0x1FFF7800/01*040 e/0x1FFFF800/01*040 e", SIM_KIND_OPTION } },
      .flash_size = 2048u * 1024u, .timing = &l4p_timing, .ecc_word = 8, OB(ob_rdp_first) },
    { .name = "mboot-f767", .description = "MicroPython mboot on an STM32F767, 2 MiB",
      MBOOT(0x8000u), .serial = "3359306D3767",
      .alts = { { "@Internal Flash  /0x08000000/04*032Kg,01*128Kg,07*256Kg", SIM_KIND_FLASH } },
      .flash_size = 2048u * 1024u, .timing = &f7_timing },
    { .name = "mboot-h743", .description = "MicroPython mboot on an STM32H743 (first 128 KiB)",
      MBOOT(0x20000u), .serial = "3359306D3743",
      .alts = { { "@Internal Flash  /0x08000000/16*128Kg", SIM_KIND_FLASH } },
      .flash_size = 2048u * 1024u, .timing = &h7_timing, .ecc_word = 32 },
    { .name = "mboot-g0b1", .description = "MicroPython mboot on an STM32G0B1, 512 KiB",
      MBOOT(0x8000u), .serial = "3359306D30B1",
      .alts = { { "@Internal Flash  /0x08000000/256*02Kg", SIM_KIND_FLASH } },
      .flash_size = 512u * 1024u, .timing = &g0_timing, .ecc_word = 8 },
    /* main.c's H5 template "@Internal Flash  /0x08000000/???*08Kg", the
     * count filled in as FLASH_SIZE / 8 KiB; mboot keeps 32 KiB
     * (NUCLEO_H563ZI's mpconfigboard.mk: TEXT0_ADDR 0x08008000 with mboot). */
    { .name = "mboot-h563", .description = "MicroPython mboot on an STM32H563, 2 MiB in two banks",
      MBOOT(0x8000u), .serial = "3359306D3563",
      .alts = { { "@Internal Flash  /0x08000000/256*08Kg", SIM_KIND_FLASH } },
      .flash_size = 2048u * 1024u, .timing = &h5_timing, .ecc_word = 16 },
    { .name = "mboot-wb55", .description = "MicroPython mboot on an STM32WB55, radio stack from "
                                           "0x080CE000",
      MBOOT(0x8000u), .serial = "3359306D3B55",
      .alts = { { "@Internal Flash  /0x08000000/256*04Kg", SIM_KIND_FLASH } },
      .hidden_option_layout = "@Option Bytes   /0x1FFF8000/01*128 e",
      .flash_size = 1024u * 1024u, .timing = &wb_timing, .ecc_word = 8, OB(ob_wb),
      .sfsa_offset = WB_SFSA_OFFSET, .sfsa_unit = 4096 },
};

size_t sim_family_count(void)
{
    return sizeof families / sizeof families[0];
}

const sim_chip *sim_family_at(size_t i)
{
    return i < sim_family_count() ? &families[i] : NULL;
}

uint32_t sim_secure_start(const mpf_sim *sim)
{
    const sim_chip *c = sim->chip;
    if (!c->sfsa_offset)
        return 0;
    const sim_area *ob = sim_memory_first_of_kind(&sim->mem, SIM_KIND_OPTION);
    if (!ob || ob->backed <= c->sfsa_offset)
        return 0;
    return 0x08000000u + (uint32_t)ob->bytes[c->sfsa_offset] * c->sfsa_unit;
}

uint64_t sim_ecc_span(uint32_t address, size_t len, uint32_t word)
{
    uint64_t first = address / word * word;
    uint64_t end = ((uint64_t)address + len + word - 1) / word * word;
    return end - first;
}

int sim_ecc_program(sim_area *a, uint32_t address, const uint8_t *data, size_t len,
                    uint32_t word)
{
    uint8_t w[64];
    const uint64_t end = (uint64_t)address + len;
    for (uint64_t at = address / word * word; at < end; at += word) {
        for (uint32_t k = 0; k < word; k++) {
            const uint64_t b = at + k;
            w[k] = b >= address && b < end ? data[b - address] : 0xFF;
        }
        /* Padding may reach past what is backed only on a layout that is
         * not whole words: the chip's layouts all are. */
        if (!sim_area_is_backed(a, (uint32_t)at, word))
            return -1;
        uint8_t *p = a->bytes + ((uint32_t)at - a->start);
        for (uint32_t k = 0; k < word; k++)
            if (p[k] != 0xFF)
                return -1; /* PROGERR: the word is not erased */
        for (uint32_t k = 0; k < word; k++)
            p[k] = w[k];
    }
    return 0;
}
