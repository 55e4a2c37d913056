/* mpflash — the libusb-1.0 transport and device discovery.
 * (Owned by the USB work; this placeholder only reserves the name so the
 * umbrella header compiles. The USB owner replaces it.) */
#ifndef MPFLASH_USB_H
#define MPFLASH_USB_H
#endif
