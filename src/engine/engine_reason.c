/* What a device says when it fails, and the known quirks of ROM bootloaders
 * that turn a failure into something to recover from or to explain.
 *
 * - mboot names its reason with GETSTATUS's iString: a string descriptor
 *   index (0x10 "Can't overwrite mboot", 0x11 "Address out of range", 0x12
 *   "Invalid signature in file", 0x13 "Read support disabled on encrypted
 *   bootloader": micropython ports/stm32/mboot/dfu.h and the string switch
 *   in main.c's pyb_usbdd_StrDescriptor). It clears the index once it has
 *   been reported, so it is read from that very reply.
 * - STM32F411 ROM: a DNLOAD it should take is stalled (LIBUSB_ERROR_PIPE) at
 *   a random point of a download, erase or write (qmk_firmware issue #17890,
 *   dfu-util ticket 141; F401s on the same bench do not). The engine does not
 *   retry on its own (after an error nothing that changes flash is sent);
 *   the message says to run the command again, which resumes: what was
 *   written is kept by skip-unchanged.
 * - STM32H743 rev V ROM: after erasing a sector above the first 1 MiB it
 *   stays in dfuDNBUSY past the poll timeout it gave. STM32CubeProgrammer
 *   sends CLRSTATUS (the device answers errUNKNOWN, dfuERROR), CLRSTATUS again
 *   (OK, dfuIDLE) and counts the erase as done (betaflight-configurator PR
 *   #1861, issue #1972). The read-back after writing checks that erase.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "engine/engine_internal.h"
#include "mpflash/chip.h"

#define REASON_MAX 128
int eng_is_mboot(const mpf_dfu *d)
{
    return d && d->transport && mpf_chip_is_mboot(&d->transport->info);
}

void eng_append_device_words(mpf_dfu *d, uint8_t index, mpf_error *err)
{
    const mpf_transport *t = d ? d->transport : NULL;
    if (index == 0 || !t || !t->ops->get_string)
        return;
    char words[REASON_MAX];
    mpf_error ignored;
    if (t->ops->get_string(t->ctx, index, words, sizeof words, &ignored) != MPF_OK)
        return;
    /* Only printable text goes into a one-line message. */
    size_t n = 0;
    for (; words[n] && n < sizeof words - 1; n++)
        if ((unsigned char)words[n] < 0x20 || (unsigned char)words[n] > 0x7E)
            words[n] = '?';
    words[n] = '\0';
    if (n == 0)
        return;
    eng_log(d, MPF_LOG_DEBUG, "string descriptor %u (iString): \"%s\"", (unsigned)index, words);
    eng_error_append(err, "; the device says: \"%s\"", words);
}

/* mboot refuses writes into its own region at the start of the flash
 * (FLASH_BL, src/chips/profiles.c) and outside the application area; the
 * usual cause is firmware not built to run under mboot. Only for mboot: on
 * a ROM or a plain DFU device the same status means something else. */
void eng_append_mboot_advice(mpf_dfu *d, mpf_error *err)
{
    if (!eng_is_mboot(d))
        return;
    eng_error_append(err, "; mboot keeps the start of the flash for itself: check that the firmware "
                          "is built to run under mboot");
}

void eng_append_stall_advice(mpf_dfu *d, uint8_t request, const mpf_dfu_status_reply *st,
                             mpf_error *err)
{
    /* ST's ROM is a DfuSe device: the advice means nothing on a plain one. */
    if (!d->dfuse || request != MPF_DFU_DNLOAD || st->status != MPF_DFU_STATUS_ERR_STALLEDPKT)
        return;
    eng_error_append(err, "; an STM32F411 ROM stalls downloads like this at random points "
                          "(qmk_firmware #17890, dfu-util ticket 141): run the same command "
                          "again, it keeps what was written and resumes");
}

/* STM32CubeProgrammer's way out: CLRSTATUS (errUNKNOWN, dfuERROR), then
 * CLRSTATUS again (OK, dfuIDLE). 0 when the device is back in dfuIDLE. */
static int clear_twice(mpf_dfu *d, mpf_dfu_status_reply *st, mpf_error *why)
{
    for (int i = 0; i < 2; i++) {
        if (eng_clrstatus(d, why) != MPF_OK ||
            eng_getstatus(d, MPF_DFU_TIMEOUT_MS, st, why) != MPF_OK)
            return -1;
        if (st->state == MPF_DFU_STATE_IDLE && st->status == MPF_DFU_STATUS_OK)
            return 0;
    }
    mpf_error_set(why, MPF_ERR_PROTOCOL, "it is in %s (%s)", mpf_dfu_state_name(st->state),
                  mpf_dfu_status_name(st->status));
    return -1;
}

mpf_err eng_erase_command(mpf_dfu *d, const uint8_t *cmd, uint16_t len, const char *what,
                          uint32_t limit_ms, mpf_error *err)
{
    mpf_err rc = eng_dnload(d, 0, cmd, len, err);
    if (rc != MPF_OK)
        return eng_request_failed(d, rc, what, MPF_DFU_DNLOAD, err);
    mpf_dfu_status_reply last = {0};
    int stuck = 0;
    rc = eng_wait_stuck(d, what, limit_ms, limit_ms, NULL, &last, &stuck, err);
    if (rc == MPF_OK)
        return eng_require_dnload_idle(what, &last, err);
    if (!stuck)
        return rc;
    mpf_error why = {0};
    if (clear_twice(d, &last, &why) != 0) {
        eng_error_append(err, "; two CLRSTATUS (STM32CubeProgrammer's way out on the STM32H743 "
                              "rev V) did not bring it back (%s): replug it and try again",
                         why.message);
        return rc;
    }
    mpf_error_clear(err);
    eng_log(d, MPF_LOG_WARN,
            "%s: the device stayed in dfuDNBUSY past the %" PRIu32 " ms an erase can take; "
            "cleared it with two CLRSTATUS as STM32CubeProgrammer does on the STM32H743 rev V "
            "(betaflight-configurator #1861); the read-back checks the erase",
            what, limit_ms);
    return MPF_OK;
}
