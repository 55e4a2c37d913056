/* The fake libusb's model: a process-wide "bus" of virtual STM32 boards
 * (src/sim), described by MPFLASH_FAKE_USB. Test code, so global state is
 * fine here; nothing in src/ sees it. */
#ifndef MPFLASH_FAKE_INTERNAL_H
#define MPFLASH_FAKE_INTERNAL_H

#include <libusb.h>
#include <stddef.h>
#include <stdint.h>

#include "mpflash/sim.h"
#include "mpflash/transport.h"

#define FAKE_MAX_DEVICES 8
#define FAKE_DFU_INTERFACE 0     /* the bootloader's only interface */
#define FAKE_RUNTIME_INTERFACE 2 /* after the application's CDC pair */
#define FAKE_RUNTIME_VID 0xf055  /* MicroPython's */
#define FAKE_RUNTIME_PID 0x9800

struct libusb_device {
    int index;
    char chip[32];
    char serial[128];
    uint8_t bus, nports, ports[7];
    unsigned generation; /* bumped at each re-enumeration */
    int refs;
    int open_error, claim_error; /* injected libusb codes, 0 = none */
    int hide_functional;         /* leave the functional descriptor out of the config */
    char driver[32];             /* driver=NAME: a kernel driver bound to the DFU interface */
    int runtime_capable;         /* an application with a DFU runtime interface */
    int will_detach;
    int runtime;      /* presenting the application now */
    int detach_armed; /* DETACH received: the next reset enters the bootloader */
    int present;
    char appear_path[256];  /* appear=PATH: absent until PATH exists */
    char onleave_path[256]; /* onleave=PATH: created when the board leaves DFU mode */
    int leave_signalled;
    unsigned ctrl_c_at;     /* ctrl-c=N: the program gets Ctrl-C at this board's Nth DFU_DNLOAD
                             * (tests/usbfs, where the program is a child of the bus) */
    unsigned dnloads;       /* DFU_DNLOAD requests seen, for ctrl-c= */
    mpf_sim *sim;
    mpf_transport t; /* onto the sim; info is its enumeration snapshot */
    char device_string[256]; /* the last string the sim itself answered (iString reasons) */
};

struct libusb_device_handle {
    struct libusb_device *dev;
    unsigned generation;
    unsigned claimed; /* bit per interface */
    int auto_detach;  /* libusb_set_auto_detach_kernel_driver */
    int detached;     /* this handle took the interface from the kernel driver */
};

struct libusb_context {
    int unused;
};

typedef struct fake_world {
    int inits;
    size_t count;
    struct libusb_device devs[FAKE_MAX_DEVICES];
    struct libusb_context ctx;
    char state_dir[512];
    char log_path[512];
    int open_handles;
} fake_world;

extern fake_world fake;

/* Every entry point that touches the bus or a board holds this, so a
 * program flashing several boards from several threads sees one consistent
 * bus, as libusb promises. */
void fake_lock(void);
void fake_unlock(void);

/* fake_world.c */
int fake_world_start(void); /* parse the environment, build boards, load state */
void fake_world_stop(void); /* save state, report leaks, free */
void fake_world_refresh(void); /* boards that left DFU mode or reset re-enumerate */
void fake_world_save(struct libusb_device *d);
void fake_enter_dfu(struct libusb_device *d);
void fake_after_request(struct libusb_device *d); /* onleave= */
void fake_log(const struct libusb_device *d, const char *fmt, ...)
    MPF_PRINTF(2, 3)
    ;

/* fake_device.c: the board's answers, as libusb codes (bytes for a
 * control request); logged. The handle's staleness is the caller's. A
 * control request's timeout 0 is one the caller does not know (logged as
 * "-"). */
int fake_dev_claim(struct libusb_device *d, int interface);
int fake_dev_set_alt(struct libusb_device *d, unsigned claimed, int interface, int alt);
int fake_dev_reset(struct libusb_device *d);
int fake_dev_control(struct libusb_device *d, unsigned claimed, uint8_t type, uint8_t request,
                     uint16_t value, uint16_t index, unsigned char *data, uint16_t length,
                     unsigned int timeout);

/* fake_descriptors.c: bytes synthesised from the board's state. */
void fake_device_descriptor(const struct libusb_device *d, uint8_t out[18]);
size_t fake_config_bytes(const struct libusb_device *d, int with_functional, uint8_t *out,
                         size_t size);
void fake_functional(const struct libusb_device *d, uint8_t out[9]);
const char *fake_string(struct libusb_device *d, uint8_t index); /* NULL = none */
uint8_t fake_interface(const struct libusb_device *d);
size_t fake_alt_count(const struct libusb_device *d);

/* fake_config.c: raw bytes -> struct libusb_config_descriptor, libusb-style. */
struct libusb_config_descriptor *fake_config_struct(const uint8_t *bytes, size_t len);
void fake_config_struct_free(struct libusb_config_descriptor *c);

#endif
