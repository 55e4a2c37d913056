/* How the plain DFU 1.1 boards of the chip table (chips.c) place, erase and
 * read back the stream: data only, each from the board's bootloader source.
 */
#include "sim/sim_internal.h"

/* Arduino Nano ESP32: the DFU interface every Arduino sketch carries
 * (espressif/arduino-esp32 variants/arduino_nano_nora/dfu_callbacks.cpp).
 * tud_dfu_get_timeout_cb: 10 ms after a block, 100 ms for the manifest.
 * tud_dfu_download_cb hands each block to Update.write, which appends to the
 * next OTA partition whatever wBlockNum says and refuses an image whose
 * first byte is not ESP-IDF's 0xE9 magic (errWRITE); the manifest is
 * Update.end(true). tud_dfu_upload_cb returns 0 bytes ("not implemented").
 * tud_dfu_detach_cb calls esp_restart().
 * Assumed, not in that source: the OTA slot is app0 of the board's default
 * partition table (3 MiB at 0x10000), erased 64 KiB at a time as the
 * stream reaches it. */
const sim_plain_model sim_plain_nano_esp32 = {
    .storage_layout = "@ota_0 /0x00010000/48*064Kg",
    .stream_base = 0x00010000u,
    .by_block_number = 0,
    .erase_span = 64u * 1024u,
    .poll_busy_ms = 10,
    .poll_manifest_ms = 100,
    .upload = SIM_UPLOAD_NOTHING,
    .first_byte = 0xE9,
    .detach_in_dfu = 1,
};

/* Arduino Portenta C33 (arduino/arduino-renesas-bootloader src/main.c, the
 * flash_hp build): the sketch lives at SKETCH_FLASH_OFFSET 0x10000; a block
 * goes to 0x10000 + wBlockNum * 64 (its 32 KiB buffer is written at the
 * address the block number gives), a 32 KiB PROGRAM_BLOCK_SIZE is erased
 * when a block starts on one; bwPollTimeout 0 on alt 0 (100 ms on alt 1,
 * whose blocks still go to code flash); the manifest writes the rest.
 * tud_dfu_upload_cb copies from address wBlockNum * wLength: UPLOAD reads
 * code flash from 0 (the bootloader itself), never a short frame.
 * tud_dfu_detach_cb resets the chip 100 ms later. */
const sim_plain_model sim_plain_portenta_c33 = {
    .storage_layout = NULL,
    .stream_base = 0x00010000u,
    .by_block_number = 1,
    .erase_span = 32u * 1024u,
    .poll_busy_ms = 0,
    .poll_manifest_ms = 0,
    .upload = SIM_UPLOAD_FROM_ZERO,
    .first_byte = -1,
    .detach_in_dfu = 1,
};

/* A DFU 1.1 device exactly as the specification describes one, for the
 * cases the Arduino boards do not show: not manifestation-tolerant (after
 * the manifest it waits for a USB reset), UPLOAD reads the stream back with
 * a short frame at the end of its memory, DETACH is refused in DFU mode,
 * blocks are placed by wBlockNum. */
const sim_plain_model sim_plain_dfu11 = {
    .storage_layout = "@Firmware /0x00000000/64*004Kg",
    .stream_base = 0,
    .by_block_number = 1,
    .erase_span = 4096u,
    .poll_busy_ms = 5,
    .poll_manifest_ms = 50,
    .upload = SIM_UPLOAD_STREAM,
    .first_byte = -1,
    .detach_in_dfu = 0,
};
