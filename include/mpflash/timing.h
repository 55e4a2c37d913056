/* mpflash — device timing figures, one table used by the flash plan's
 * estimate, the virtual device's clock and the benchmark's physical limit. */
#ifndef MPFLASH_TIMING_H
#define MPFLASH_TIMING_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct mpf_timing {
    uint32_t erase_base_us;       /* fixed part of one sector erase */
    uint32_t erase_us_per_kib;    /* plus this per KiB of sector */
    uint32_t mass_erase_us;       /* whole bank */
    uint32_t program_us_per_word; /* one 32-bit word (x32 parallelism) */
    uint32_t usb_request_us;      /* one control transfer round trip, no data */
    uint32_t usb_us_per_packet;   /* each 64-byte full-speed data packet */
} mpf_timing;

/* STM32F4 at 2.7-3.6 V, x32, datasheet-typical: 16 KiB sector ~250 ms,
 * 64 KiB ~550 ms, 128 KiB ~1 s, word program 16 us; USB full speed. */
const mpf_timing *mpf_timing_stm32f4(void);

uint64_t mpf_timing_erase_us(const mpf_timing *t, uint32_t sector_size);
uint64_t mpf_timing_program_us(const mpf_timing *t, uint64_t bytes);
/* One control transfer carrying `bytes` of data (either direction). */
uint64_t mpf_timing_usb_us(const mpf_timing *t, uint64_t bytes);

#ifdef __cplusplus
}
#endif
#endif
