/* The default mpf_usb_io: straight onto libusb. Kept apart from the
 * transport so that the transport's request encoding can be tested against
 * a recording fake with no USB device. */
#include <libusb.h>

#include "mpflash/usb.h"

static int io_control(void *h, uint8_t request_type, uint8_t request, uint16_t value,
                      uint16_t index, unsigned char *data, uint16_t length, unsigned timeout_ms)
{
    return libusb_control_transfer(h, request_type, request, value, index, data, length,
                                   timeout_ms);
}

static int io_claim(void *h, int interface)
{
    return libusb_claim_interface(h, interface);
}

static int io_release(void *h, int interface)
{
    return libusb_release_interface(h, interface);
}

static int io_alt(void *h, int interface, int alt)
{
    return libusb_set_interface_alt_setting(h, interface, alt);
}

static int io_reset(void *h)
{
    return libusb_reset_device(h);
}

static int io_auto_detach(void *h, int enable)
{
    return libusb_set_auto_detach_kernel_driver(h, enable);
}

static void io_close(void *h)
{
    libusb_close(h);
}

static int io_string(void *h, uint8_t index, unsigned char *data, int length)
{
    return libusb_get_string_descriptor_ascii(h, index, data, length);
}

static const mpf_usb_io libusb_io = {
    .control_transfer = io_control,
    .claim_interface = io_claim,
    .release_interface = io_release,
    .set_interface_alt_setting = io_alt,
    .reset_device = io_reset,
    .set_auto_detach_kernel_driver = io_auto_detach,
    .close = io_close,
    .get_string_ascii = io_string,
};

const mpf_usb_io *mpf_usb_io_libusb(void)
{
    return &libusb_io;
}
