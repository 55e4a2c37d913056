/* Choosing the board for an unattended run when no port is named: exactly
 * one MicroPython USB device, or a refusal that says what was seen. */
#include "bootentry/serial_internal.h"

#include <stdio.h>
#include <string.h>

/* The port CI would talk to on a device: its lowest interface. */
static int is_better(const mpf_serial_port *a, const mpf_serial_port *b)
{
    if (a->interface_number >= 0 && b->interface_number >= 0 &&
        a->interface_number != b->interface_number)
        return a->interface_number < b->interface_number;
    return mpf_serial_name_cmp(a->name, b->name) < 0;
}

/* "…, /dev/ttyACM0 (f055:9800 at 1-2)"; cut when the buffer is full. */
static void append(char *buf, size_t size, const mpf_serial_port *p)
{
    char item[sizeof p->dev_path + sizeof p->path + 32];
    size_t used = strlen(buf);
    int n = snprintf(item, sizeof item, "%s%s (%04x:%04x at %s)", used ? ", " : "",
                     p->dev_path, p->vid, p->pid, p->path);
    size_t len = n < 0 ? 0 : (size_t)n;
    if (len > size - 1 - used)
        len = size - 1 - used;
    memcpy(buf + used, item, len);
    buf[used + len] = '\0';
}

mpf_err mpf_serial_pick_board(const mpf_serial_port *ports, size_t count, size_t *index,
                              mpf_error *err)
{
    if (!index || (count && !ports))
        return mpf_error_set(err, MPF_ERR_USAGE, "mpf_serial_pick_board: ports and index are required");

    size_t chosen = count, boards = 0, others = 0;
    char seen[256] = "", other[256] = "";
    for (size_t i = 0; i < count; i++) {
        const mpf_serial_port *p = &ports[i];
        if (!p->is_micropython) {
            append(other, sizeof other, p);
            others++;
            continue;
        }
        /* Ports of one USB device are one board. */
        size_t first = count;
        for (size_t j = 0; j < i; j++)
            if (ports[j].is_micropython && strcmp(ports[j].path, p->path) == 0) {
                first = j;
                break;
            }
        if (first == count) {
            append(seen, sizeof seen, p);
            boards++;
            if (boards == 1)
                chosen = i;
        } else if (chosen < count && strcmp(ports[chosen].path, p->path) == 0 && is_better(p, &ports[chosen])) {
            chosen = i;
        }
    }

    if (boards == 0) {
        if (others)
            return mpf_error_set(err, MPF_ERR_NO_DEVICE,
                                 "no MicroPython board on a USB serial port; left alone: %s; "
                                 "name the board's port if it uses another USB ID", other);
        return mpf_error_set(err, MPF_ERR_NO_DEVICE,
                             "no USB serial port found; is the board plugged in and running MicroPython?");
    }
    if (boards > 1)
        return mpf_error_set(err, MPF_ERR_AMBIGUOUS,
                             "%zu MicroPython boards found: %s; name the port of the one to flash",
                             boards, seen);
    *index = chosen;
    return MPF_OK;
}
