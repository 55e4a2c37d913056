/* Running the mpflash binary on the emulated usbfs bus (usbfs-launch), for
 * the end-to-end tests of this tier: boards as MPFLASH_FAKE_USB describes
 * them, their flash kept in the work directory between runs (the fake
 * libusb's state files, so tests/cli's helpers read them), and the libusb
 * the binary really mapped recorded in dir/libusb.maps. */
#ifndef MPFLASH_USBFS_CLI_H
#define MPFLASH_USBFS_CLI_H

#include "cli_helpers.h"

/* Extra environment entries (NULL-terminated, may be NULL) go after ours. */
void usbfs_run(const char *dir, const char *boards, const char *const *args,
               const char *const *extra_env, cli_result *r);

#define RUN_BUS(dir, boards, r, ...)                                                               \
    do {                                                                                           \
        const char *const args_[] = {__VA_ARGS__, NULL};                                           \
        usbfs_run(dir, boards, args_, NULL, r);                                                    \
    } while (0)

/* dir/usb.log (MPFLASH_FAKE_USB_LOG of every run), removed. */
char *usbfs_take_log(const char *dir);

#endif
