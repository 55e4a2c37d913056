#include "usbfs_cli.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <cmocka.h>

void usbfs_run(const char *dir, const char *boards, const char *const *args,
               const char *const *extra_env, cli_result *r)
{
    char maps[600];
    snprintf(maps, sizeof maps, "MPFLASH_USBFS_MAPS=%s/libusb.maps", dir);
    cli_board_env e;
    cli_board_env_fill(&e, dir, boards);
    const char *env[16] = {e.boards, e.state, e.log, maps, e.asan};
    size_t n = 5;
    for (size_t i = 0; extra_env && extra_env[i] && n + 1 < sizeof env / sizeof env[0]; i++)
        env[n++] = extra_env[i];
    env[n] = NULL;
    cli_run_via(USBFS_LAUNCH, dir, args, env, r);
}

char *usbfs_take_log(const char *dir)
{
    char path[600];
    snprintf(path, sizeof path, "%s/usb.log", dir);
    size_t len;
    char *text = (char *)cli_read(NULL, path, &len);
    unlink(path);
    return text;
}
