/* mpflash — private helpers shared by src/usb only. */
#ifndef MPFLASH_USB_INTERNAL_H
#define MPFLASH_USB_INTERNAL_H

#include <libusb.h>
#include <stddef.h>
#include <stdint.h>

#include "mpflash/usb.h"

/* Write a parsed libusb configuration back out as the raw bytes a device
 * sends, so that one parser (mpf_usb_parse_config) serves every source.
 * *out is malloc'ed. */
mpf_err usb_config_to_bytes(const struct libusb_config_descriptor *c, uint8_t **out,
                            size_t *len, mpf_error *err);

#endif
