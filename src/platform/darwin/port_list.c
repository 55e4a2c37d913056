/* macOS: USB serial port discovery through IOKit is not written yet. This
 * placeholder keeps the POSIX build complete (ports named with -B
 * /dev/cu.usbmodemXXXX still work through termios); -B without a port and
 * --wait-app say what to do instead. Compile-ready, untested on macOS. */
#include <stdlib.h>

#include "bootentry/serial_internal.h"

mpf_err mpf_serial_list(const char *sysfs_root, const char *dev_root, mpf_serial_port **ports, size_t *count,
                        mpf_error *err)
{
    (void)sysfs_root;
    (void)dev_root;
    if (!ports || !count)
        return mpf_error_set(err, MPF_ERR_USAGE, "mpf_serial_list: ports and count are required");
    *ports = NULL;
    *count = 0;
    return mpf_error_set(err, MPF_ERR_USAGE,
                         "finding USB serial ports is not supported on macOS yet; name the board's port, "
                         "e.g. /dev/cu.usbmodem1101");
}

void mpf_serial_list_free(mpf_serial_port *ports)
{
    free(ports);
}
