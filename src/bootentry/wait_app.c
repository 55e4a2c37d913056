/* Waiting, bounded, for the flashed application's serial port. */
#include "bootentry/serial_internal.h"

#include <string.h>

static int present(const mpf_serial_port *p)
{
    return mpf_port_node_ready(p->dev_path); /* sysfs is there before udev made the node */
}

/* The lowest interface of the device at usb_path whose ports pass want. */
static long lowest_on(const mpf_serial_port *ports, size_t n, const char *usb_path,
                      const char *serial)
{
    long best = -1;
    for (size_t i = 0; i < n; i++) {
        const mpf_serial_port *p = &ports[i];
        if (!present(p) || !mpf_serial_same_port(p->path, usb_path))
            continue;
        if (serial && !mpf_serial_ieq(serial, p->serial))
            continue;
        if (best < 0 || p->interface_number < ports[best].interface_number)
            best = (long)i;
    }
    return best;
}

/* Index of the board's port, -1 for none yet, -2 when two devices report
 * the serial number and the port path does not settle it. */
static long choose(const mpf_serial_port *ports, size_t n, const char *serial, const char *path)
{
    long first = -1;
    if (serial && *serial) {
        for (size_t i = 0; i < n; i++) {
            if (!present(&ports[i]) || !mpf_serial_ieq(serial, ports[i].serial))
                continue;
            if (first < 0)
                first = (long)i;
            else if (strcmp(ports[first].path, ports[i].path) != 0)
                return path && *path && lowest_on(ports, n, path, serial) >= 0
                           ? lowest_on(ports, n, path, serial)
                           : -2;
        }
        if (first >= 0)
            return lowest_on(ports, n, ports[first].path, serial);
    }
    if (path && *path)
        return lowest_on(ports, n, path, NULL);
    return -1;
}

mpf_err mpf_serial_wait_app(const mpf_serial_wait_options *o, const char *serial,
                            const char *path, mpf_serial_port *found, mpf_error *err)
{
    if ((!serial || !*serial) && (!path || !*path))
        return mpf_error_set(err, MPF_ERR_USAGE,
                             "waiting for the application needs the board's serial number or USB port path");
    if (!found)
        return mpf_error_set(err, MPF_ERR_USAGE, "mpf_serial_wait_app: found is required");
    const char *sys = o ? o->sysfs_root : NULL;
    const char *dev = o ? o->dev_root : NULL;
    unsigned timeout = o && o->timeout_ms ? o->timeout_ms : 10000u;
    unsigned poll = o && o->poll_ms ? o->poll_ms : 100u;
    mpf_serial_log_fn log = o ? o->log : NULL;
    void *user = o ? o->user : NULL;

    const char *s_show = serial && *serial ? serial : "none";
    const char *p_show = path && *path ? path : "none";
    mpf_serial_logf(log, user, MPF_LOG_INFO, "waiting up to %u ms for the application's serial port (serial %s, port %s)",
                    timeout, s_show, p_show);
    uint64_t deadline = mpf_clock_now_ms(NULL) + timeout;
    for (;;) {
        mpf_serial_port *ports = NULL;
        size_t n = 0;
        mpf_err rc = mpf_serial_list(sys, dev, &ports, &n, err);
        if (rc != MPF_OK)
            return rc;
        long i = choose(ports, n, serial, path);
        if (i == -2) {
            mpf_serial_list_free(ports);
            return mpf_error_set(err, MPF_ERR_AMBIGUOUS,
                                 "two USB devices report serial number %s and neither is on port %s; "
                                 "cannot tell which is the board", s_show, p_show);
        }
        if (i >= 0) {
            *found = ports[i];
            mpf_serial_list_free(ports);
            if (!mpf_serial_ieq(serial, found->serial))
                mpf_serial_logf(log, user, MPF_LOG_INFO,
                                "%s is on the board's port %s but reports serial %s (was %s)",
                                found->dev_path, found->path, found->serial[0] ? found->serial : "none", s_show);
            mpf_serial_logf(log, user, MPF_LOG_INFO, "application is back on %s", found->dev_path);
            return MPF_OK;
        }
        mpf_serial_list_free(ports);
        uint64_t now = mpf_clock_now_ms(NULL);
        if (now >= deadline)
            break;
        uint64_t left = deadline - now;
        mpf_clock_sleep_ms(NULL, left < poll ? (uint32_t)left : poll);
    }
    return mpf_error_set(err, MPF_ERR_APP_TIMEOUT,
                         "the application's serial port (serial %s, port %s) did not appear within %u ms; "
                         "the new firmware may not start, or may not enable USB serial",
                         s_show, p_show, timeout);
}
