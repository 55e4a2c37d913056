/* Tying a DFU device to the board whose serial port we just used.
 *
 * MicroPython's own STM32 USB stack (and mboot) report the 12 hex digits
 * that the ST ROM bootloader derives from the chip's 96-bit unique ID, so
 * application and DFU serials are normally equal. The TinyUSB builds report
 * the whole ID (24 digits), from which the ROM's string can be computed.
 * The USB port path is the other tie: the board re-enumerates on the port it
 * is plugged into (on Windows only its port chain is known: two devices on
 * different host controllers can share it, and then the path ties none of
 * them). When neither ties exactly one device, we refuse: flashing
 * the wrong board in a rack is worse than failing. */
#include "bootentry/serial_internal.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

static int hex_byte(const char *s, uint8_t *out)
{
    unsigned v = 0;
    for (int i = 0; i < 2; i++) {
        int c = (unsigned char)s[i];
        if (!isxdigit(c))
            return 0;
        v = v * 16u + (unsigned)(isdigit(c) ? c - '0' : tolower(c) - 'a' + 10);
    }
    *out = (uint8_t)v;
    return 1;
}

int mpf_serial_stm32_dfu_serials(const char *uid_hex, char *rom_out, char *mboot_out)
{
    uint8_t id[12];
    if (!uid_hex || strlen(uid_hex) != 24)
        return 0;
    for (int i = 0; i < 12; i++)
        if (!hex_byte(uid_hex + 2 * i, &id[i]))
            return 0;
    /* The ID registers are little-endian words UID0, UID1, UID2. */
    uint32_t w[3];
    for (int k = 0; k < 3; k++)
        w[k] = (uint32_t)id[4 * k] | (uint32_t)id[4 * k + 1] << 8 |
               (uint32_t)id[4 * k + 2] << 16 | (uint32_t)id[4 * k + 3] << 24;
    if (rom_out)
        snprintf(rom_out, 13, "%08X%04X", (unsigned)(w[0] + w[2]), (unsigned)(w[1] >> 16));
    if (mboot_out)
        snprintf(mboot_out, 13, "%02X%02X%02X%02X%02X%02X", id[11], (id[10] + id[2]) & 0xffu,
                 id[9], (id[8] + id[0]) & 0xffu, id[7], id[6]);
    return 1;
}

int mpf_serial_same_chip(const char *app_serial, const char *dfu_serial)
{
    if (mpf_serial_ieq(app_serial, dfu_serial))
        return 1;
    char rom[13], mboot[13];
    if (!dfu_serial || !mpf_serial_stm32_dfu_serials(app_serial, rom, mboot))
        return 0;
    return mpf_serial_ieq(rom, dfu_serial) || mpf_serial_ieq(mboot, dfu_serial);
}

/* "1-2.3" -> bus 1, chain "2.3"; 0 if not of that form. */
static int split_path(const char *path, unsigned *bus, const char **chain)
{
    const char *dash = path ? strchr(path, '-') : NULL;
    if (!dash || dash == path || !dash[1])
        return 0;
    unsigned b = 0;
    for (const char *c = path; c < dash; c++) {
        b = b * 10 + (unsigned)(*c - '0');
        if (!isdigit((unsigned char)*c) || b > 255)
            return 0;
    }
    *bus = b;
    *chain = dash + 1;
    return 1;
}

int mpf_serial_same_port(const char *a, const char *b)
{
    unsigned bus_a, bus_b;
    const char *chain_a, *chain_b;
    if (!split_path(a, &bus_a, &chain_a) || !split_path(b, &bus_b, &chain_b))
        return 0;
    return (bus_a == bus_b || bus_a == 0 || bus_b == 0) && strcmp(chain_a, chain_b) == 0;
}

static const char *or_none(const char *s)
{
    return s && *s ? s : "none";
}

mpf_err mpf_serial_match_dfu(const char *serial, const char *path,
                             const mpf_device_info *devs, size_t count,
                             size_t *index, unsigned *how, mpf_error *err)
{
    if (!index || (count && !devs))
        return mpf_error_set(err, MPF_ERR_USAGE, "mpf_serial_match_dfu: devs and index are required");
    if (how)
        *how = 0;
    int have_serial = serial && *serial, have_path = path && *path;

    size_t candidates = 0, sole = count;
    size_t n_s = 0, n_p = 0, n_both = 0, i_s = count, i_p = count, i_both = count;
    for (size_t i = 0; i < count; i++) {
        const mpf_device_info *d = &devs[i];
        if (d->mode == MPF_MODE_RUNTIME)
            continue;
        candidates++;
        sole = i;
        int s = have_serial && mpf_serial_same_chip(serial, d->serial);
        int p = have_path && mpf_serial_same_port(path, d->path);
        if (s) {
            n_s++;
            i_s = i;
        }
        if (p) {
            n_p++;
            i_p = i;
        }
        if (s && p) {
            n_both++;
            i_both = i;
        }
    }

    if (candidates == 0)
        return mpf_error_set(err, MPF_ERR_NO_DEVICE,
                             "no DFU device found for the board (serial %s, port %s); "
                             "it may still be re-enumerating or its bootloader lacks DFU",
                             or_none(serial), or_none(path));
    if (n_both == 1) {
        *index = i_both;
        if (how)
            *how = MPF_SERIAL_MATCH_SERIAL | MPF_SERIAL_MATCH_PATH;
        return MPF_OK;
    }
    if (n_both == 0 && n_s == 1 && n_p == 0) {
        *index = i_s;
        if (how)
            *how = MPF_SERIAL_MATCH_SERIAL;
        return MPF_OK;
    }
    if (n_both == 0 && n_p == 1 && n_s == 0) {
        *index = i_p;
        if (how)
            *how = MPF_SERIAL_MATCH_PATH;
        return MPF_OK;
    }
    if (n_both == 0 && n_s == 1 && n_p == 1)
        return mpf_error_set(err, MPF_ERR_AMBIGUOUS,
                             "the board's serial number %s points to the DFU device at %s but its port %s "
                             "holds another DFU device (serial %s); refusing to guess, unplug one of them",
                             serial, devs[i_s].path, path, or_none(devs[i_p].serial));
    if (n_s == 0 && n_p == 0) {
        /* Nothing ties a device; a lone one is only taken when nothing could tell it apart. */
        const mpf_device_info *d = &devs[sole];
        int path_differs = have_path && d->path[0];
        int serial_differs = have_serial && d->serial[0];
        if (candidates == 1 && !path_differs && !serial_differs) {
            *index = sole;
            if (how)
                *how = MPF_SERIAL_MATCH_SOLE;
            return MPF_OK;
        }
        if (candidates == 1)
            return mpf_error_set(err, MPF_ERR_NO_DEVICE,
                                 "the only DFU device (serial %s, port %s) is not the board "
                                 "(serial %s, port %s); refusing to flash another board",
                                 or_none(d->serial), or_none(d->path), or_none(serial), or_none(path));
        return mpf_error_set(err, MPF_ERR_AMBIGUOUS,
                             "%zu DFU devices and none has the board's serial number (%s) or port (%s); "
                             "refusing to guess which one it is: name the DFU device or unplug the others",
                             candidates, or_none(serial), or_none(path));
    }
    return mpf_error_set(err, MPF_ERR_AMBIGUOUS,
                         "%zu DFU devices match the board (serial %s, port %s); refusing to guess, "
                         "name the DFU device or unplug the others",
                         n_both > 1 ? n_both : (n_s > n_p ? n_s : n_p), or_none(serial), or_none(path));
}
