/* ST DfuSe commands: DNLOAD wBlockNum 0 carrying a command byte and maybe an
 * address, acted on by the GETSTATUS that follows. */
#include <inttypes.h>
#include <stdio.h>

#include "engine/engine_internal.h"
#include "mpflash/chip.h"

uint32_t mpf_dfu_erase_timeout_ms(uint32_t sector_size)
{
    uint64_t ms = 1000 + 64 * (((uint64_t)sector_size + 1023) / 1024);
    return ms > MPF_DFU_MASS_ERASE_TIMEOUT_MS ? MPF_DFU_MASS_ERASE_TIMEOUT_MS : (uint32_t)ms;
}

mpf_err eng_require_open(const mpf_dfu *d, const char *what, mpf_error *err)
{
    if (!d || !d->transport)
        return mpf_error_set(err, MPF_ERR_USAGE, "%s: the device is not open", what);
    if (d->left)
        return mpf_error_set(err, MPF_ERR_USAGE,
                             "%s: the device has left DFU mode; open it again first", what);
    return MPF_OK;
}

static mpf_err require_dfuse_version(const mpf_dfu *d, const char *what, mpf_error *err)
{
    if (d->dfuse)
        return MPF_OK;
    return mpf_error_set(err, MPF_ERR_REFUSED,
                         "%s needs an ST DfuSe device (bcdDFUVersion 0x011A); this one "
                         "reports 0x%04X, plain DFU 1.1, which has no addresses",
                         what, (unsigned)d->transport->info.func.dfu_version);
}

/* Set-address and sector erase are 5 bytes (command + address), and a
 * device takes no more per DNLOAD than its wTransferSize: below that it
 * cannot be pointed anywhere, so it is refused before the first command
 * rather than after an erase. 0 is not refused here: it means the
 * descriptor gives nothing to go by, and the plan's size stands in. */
#define ADDRESSED_COMMAND_BYTES 5u

mpf_err eng_require_dfuse(const mpf_dfu *d, const char *what, mpf_error *err)
{
    mpf_err rc = require_dfuse_version(d, what, err);
    if (rc != MPF_OK || d->transfer_size == 0 || d->transfer_size >= ADDRESSED_COMMAND_BYTES)
        return rc;
    return mpf_error_refuse(err, MPF_ERR_PROTOCOL, MPF_REASON_BAD_DESCRIPTOR,
                         "%s: the device reports wTransferSize %u, less than the %u bytes of a "
                         "DfuSe set-address or erase command, so it cannot be given an "
                         "address; its USB descriptor is wrong or it is not an ST DfuSe "
                         "bootloader (those report 2048): replug it and check the "
                         "descriptors it reports",
                         what, (unsigned)d->transfer_size, ADDRESSED_COMMAND_BYTES);
}

mpf_err eng_use_alt(mpf_dfu *d, uint8_t alt, mpf_error *err)
{
    if (d->current_alt == (int)alt)
        return MPF_OK;
    mpf_err rc = eng_select_alt(d, alt, err);
    if (rc != MPF_OK) {
        mpf_error_prefix(err, "selecting alt setting %u", (unsigned)alt);
        if (err)
            err->code = rc;
        return rc;
    }
    d->current_alt = alt;
    return MPF_OK;
}

static void put_le32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

static mpf_err command(mpf_dfu *d, const uint8_t *cmd, uint16_t len, const char *what,
                       uint32_t limit_ms, mpf_error *err)
{
    mpf_err rc = eng_dnload(d, 0, cmd, len, err);
    if (rc != MPF_OK)
        return eng_request_failed(d, rc, what, MPF_DFU_DNLOAD, err);
    return eng_wait_dnload_idle(d, what, limit_ms, err);
}

mpf_err eng_set_address(mpf_dfu *d, uint32_t address, mpf_error *err)
{
    uint8_t cmd[5] = {MPF_DFUSE_CMD_SET_ADDRESS};
    put_le32(cmd + 1, address);
    char what[ENG_WHAT_MAX];
    snprintf(what, sizeof what, "set address 0x%08" PRIX32, address);
    d->stats.set_address++;
    return command(d, cmd, sizeof cmd, what, MPF_DFU_TIMEOUT_MS, err);
}

mpf_err mpf_dfu_erase_sector(mpf_dfu *d, uint8_t alt, uint32_t address, uint32_t sector_size,
                             mpf_error *err)
{
    char what[ENG_WHAT_MAX];
    snprintf(what, sizeof what, "erase of sector at 0x%08" PRIX32, address);
    mpf_err rc = eng_require_open(d, what, err);
    if (rc == MPF_OK)
        rc = eng_require_dfuse(d, what, err);
    if (rc == MPF_OK)
        rc = eng_use_alt(d, alt, err);
    if (rc != MPF_OK)
        return rc;
    uint8_t cmd[5] = {MPF_DFUSE_CMD_ERASE};
    put_le32(cmd + 1, address);
    d->stats.erase_sectors++;
    return eng_erase_command(d, cmd, sizeof cmd, what,
                             mpf_chip_erase_timeout_ms(d->chip,
                                                       sector_size ? sector_size : 128u * 1024u),
                             err);
}

mpf_err mpf_dfu_mass_erase(mpf_dfu *d, uint8_t alt, mpf_error *err)
{
    const char *what = "mass erase";
    mpf_err rc = eng_require_open(d, what, err);
    if (rc == MPF_OK)
        rc = require_dfuse_version(d, what, err); /* a 1-byte command: any size will do */
    if (rc == MPF_OK)
        rc = eng_use_alt(d, alt, err);
    if (rc != MPF_OK)
        return rc;
    const uint8_t cmd[1] = {MPF_DFUSE_CMD_ERASE};
    d->stats.mass_erases++;
    return command(d, cmd, sizeof cmd, what, MPF_DFU_MASS_ERASE_TIMEOUT_MS, err);
}

static int vanished(mpf_err rc)
{
    return rc == MPF_ERR_USB_DISCONNECTED || rc == MPF_ERR_USB || rc == MPF_ERR_USB_STALL;
}

mpf_err mpf_dfu_read_unprotect(mpf_dfu *d, mpf_error *err)
{
    const char *what = "read unprotect";
    mpf_err rc = eng_require_open(d, what, err);
    if (rc == MPF_OK)
        rc = require_dfuse_version(d, what, err); /* a 1-byte command: any size will do */
    if (rc == MPF_OK)
        rc = eng_use_alt(d, d->current_alt >= 0 ? (uint8_t)d->current_alt : 0, err);
    if (rc != MPF_OK)
        return rc;
    const uint8_t cmd[1] = {MPF_DFUSE_CMD_READ_UNPROTECT};
    eng_log(d, MPF_LOG_WARN, "removing read protection: the device erases all of its flash");
    rc = eng_dnload(d, 0, cmd, sizeof cmd, err);
    if (rc != MPF_OK)
        return eng_request_failed(d, rc, what, MPF_DFU_DNLOAD, err);

    /* The chip erases everything and then resets itself, so the device
     * dropping off the bus while we poll is the expected ending. */
    mpf_error poll_err;
    mpf_error_clear(&poll_err);
    rc = eng_wait(d, what, MPF_DFU_MASS_ERASE_TIMEOUT_MS, NULL, &poll_err);
    if (rc != MPF_OK && vanished(rc)) {
        eng_log(d, MPF_LOG_INFO, "device reset after removing read protection (%s)",
                mpf_err_name(rc));
        d->left = 1;
        return MPF_OK;
    }
    if (rc != MPF_OK) {
        if (err)
            *err = poll_err;
        return rc;
    }
    eng_log(d, MPF_LOG_INFO, "read protection removed; the device resets to apply it");
    return MPF_OK;
}
