/* mpflash — the wrong-board guard: which board and MCU a MicroPython
 * firmware is built for, against the board it is about to go to.
 *
 * MicroPython's firmware carries MICROPY_HW_BOARD_NAME " with "
 * MICROPY_HW_MCU_NAME ("NUCLEO-F401RE with STM32F401xE"): as
 * sys.implementation._machine, and at the end of the REPL banner
 * ("MicroPython v1.24.0 on 2024-10-25; NUCLEO-F401RE with STM32F401xE").
 * A running board reports its own string over the REPL; a board already in
 * DFU mode shows only its chip family (mpf_chip_pick) and, on the ST ROM, its
 * flash size.
 */
#ifndef MPFLASH_MACHINE_H
#define MPFLASH_MACHINE_H

#include <stddef.h>
#include <stdint.h>

#include "mpflash/error.h"
#include "mpflash/image.h"
#include "mpflash/transport.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct mpf_machine {
    char board[96]; /* MICROPY_HW_BOARD_NAME, "NUCLEO-F401RE" */
    char mcu[48];   /* MICROPY_HW_MCU_NAME, "STM32F401xE" */
} mpf_machine;

/* "BOARD with MCU" (the last " with " splits; MCU is letters and digits in
 * one of the forms MicroPython's ports name their MCUs: "STM32F405RG",
 * "ESP32S3", "RA6M5", "RP2040", "NRF52840", "SAMD51J19A", "MIMXRT1062...").
 * 1 parsed, 0 not. Leading/trailing space and line ends are ignored. */
int mpf_machine_parse(const char *text, mpf_machine *out);

/* The machine string a MicroPython image carries, found in its bytes
 * (NUL-terminated ASCII "... with MCU"; a banner's leading
 * "MicroPython ...; " is dropped). 1 when exactly one machine is named, 0
 * when none is, or several different ones (then nothing can be said). */
int mpf_image_machine(const mpf_image *img, mpf_machine *out);

/* The board ran `reported` (sys.implementation._machine). MPF_OK when it
 * names the image's board and MCU (case-insensitive), or does not parse;
 * MPF_ERR_REFUSED naming both otherwise. */
mpf_err mpf_machine_check_board(const mpf_machine *image, const char *reported, mpf_error *err);

/* A board known only in DFU mode: MPF_ERR_REFUSED when the device's identity
 * names another MCU than the image (a DFU bootloader whose VID:PID belongs to
 * one board: Arduino's Nano ESP32, Portenta C33, and STM32H747 boards), when
 * it is an STM32 (mpf_chip_pick knows its family) and the image is for
 * another MCU or another STM32 family, or, on the ST ROM bootloader (whose
 * layout string tells the real flash size; mboot's does not), when the
 * MCU's flash-size letter says another size than alt 0's layout. MPF_OK when
 * they agree or nothing can be told (an image naming no MCU included). */
mpf_err mpf_machine_check_device(const mpf_machine *image, const mpf_device_info *dev,
                                 mpf_error *err);

#ifdef __cplusplus
}
#endif
#endif
