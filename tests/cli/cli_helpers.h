/* What several end-to-end tests need besides running the binary: argument
 * lists written inline, and the F401's flash as a board should end up with
 * it, from a --sim-state file or from the fake libusb's state file. */
#ifndef MPFLASH_CLI_HELPERS_H
#define MPFLASH_CLI_HELPERS_H

#include <stddef.h>
#include <stdint.h>

#include "cli_run.h"

#define F401_FLASH (512u * 1024u)
#define FLASH_BASE 0x08000000u
#define TEXT_START 0x20000u /* sector 5: where the sample's text goes */

/* cli_run with the arguments (and one environment entry) written inline. */
#define RUN(dir, r, ...)                                                                           \
    do {                                                                                           \
        const char *const args_[] = {__VA_ARGS__, NULL};                                           \
        cli_run(dir, args_, NULL, r);                                                              \
    } while (0)

#define RUN_ENV(dir, env, r, ...)                                                                  \
    do {                                                                                           \
        const char *const args_[] = {__VA_ARGS__, NULL};                                           \
        const char *const env_[] = {env, NULL};                                                    \
        cli_run(dir, args_, env_, r);                                                              \
    } while (0)

/* The run's exit code must be code; stderr is printed when it is not, to say why. */
void cli_assert_exit(const cli_result *r, int code);

/* For a run whose output does not matter: only its exit code is checked. */
void cli_run_expect(const char *dir, const char *const *args, const char *const *env, int code);

#define RUN_EXPECT(dir, code, ...)                                                                 \
    do {                                                                                           \
        const char *const args_[] = {__VA_ARGS__, NULL};                                           \
        cli_run_expect(dir, args_, NULL, code);                                                    \
    } while (0)

/* cli_workdir, with the sample firmware in it as firmware.dfu. */
void cli_workdir_with_firmware(const char *name, char *path, size_t size);

/* dir/dev, a stand-in for /dev (MPFLASH_DEV_ROOT=dir/dev): a USB bus with
 * one device node, readable by root and by the test's user, so an empty USB
 * scan means "no board" rather than "no USB access" whatever the host has.
 * env_entry[size] gets the "MPFLASH_DEV_ROOT=..." entry. */
void cli_fake_dev_with_bus(const char *dir, char *env_entry, size_t size);

/* "ASAN_OPTIONS=...": what the environment had, and no complaint about the
 * link order, for runs with LD_PRELOAD. */
void cli_env_asan(char *entry, size_t size);

/* An F401's flash, every byte erased. */
uint8_t *cli_erased_flash(void);

/* An F401's flash that is erased nowhere, different per seed. */
uint8_t *cli_pattern_flash(uint32_t seed);
void cli_fill_pattern(uint8_t *p, size_t n, uint32_t seed);
/* The number after "key": in one line of --json output; fails the test
 * when the key is not there. */
uint64_t cli_json_number(const char *line, const char *key);

/* What flashing the sample firmware leaves over `before` (NULL: an erased
 * board): sector 0 and sectors 5..7 erased and written, the rest kept. */
uint8_t *cli_sample_flashed_over(const uint8_t *before);

/* A --sim-state file must hold exactly want. */
void cli_assert_sim_flash(const char *dir, const char *state, const uint8_t *want);

/* The fake libusb's state file for one board: records of address (u32 LE),
 * size (u32 LE), bytes; flash no record covers is erased. */
uint8_t *cli_fake_flash_read(const char *dir, const char *file);
void cli_fake_flash_write(const char *dir, const char *file, const uint8_t *flash);
void cli_assert_fake_flash(const char *dir, const char *file, const uint8_t *want);

/* Any board's memory in a fake libusb state file: len bytes at addr (0xFF
 * where the file holds nothing). */
void cli_fake_mem_read(const char *dir, const char *file, uint32_t addr, uint8_t *out, size_t len);
/* A state file holding len bytes at addr (for seeding a board). */
void cli_fake_mem_write(const char *dir, const char *file, uint32_t addr, const uint8_t *data, size_t len);

#ifdef MPFLASH_FAKE_LIBUSB
/* Run the binary on the fake libusb's boards: MPFLASH_FAKE_USB=boards, their
 * state files and log (usb.log) in dir, then extra_env (NULL-terminated, may
 * be NULL). Through the fake libusb, preloaded; or, in the real-libusb
 * tier's build of these helpers (USBFS_LAUNCH, tests/usbfs.cmake), on the
 * same boards on an emulated usbfs bus under the system's libusb, started by
 * usbfs-launch (which records the libusb it mapped in dir/libusb.maps). */
void cli_usb_run(const char *dir, const char *boards, const char *const *args,
                 const char *const *extra_env, cli_result *r);

#define RUN_USB(dir, boards, r, ...)                                                               \
    do {                                                                                           \
        const char *const args_[] = {__VA_ARGS__, NULL};                                           \
        cli_usb_run(dir, boards, args_, NULL, r);                                                  \
    } while (0)

#define RUN_USB_EXPECT(dir, boards, code, ...)                                                     \
    do {                                                                                           \
        cli_result r_;                                                                             \
        RUN_USB(dir, boards, &r_, __VA_ARGS__);                                                    \
        cli_assert_exit(&r_, code);                                                                \
        cli_result_free(&r_);                                                                      \
    } while (0)
#endif

#endif
