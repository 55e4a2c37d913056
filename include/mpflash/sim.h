/* mpflash — a virtual STM32F4 DfuSe bootloader (the ST system bootloader at
 * 0483:df11, and MicroPython's mboot). It implements mpf_transport on a
 * virtual clock, with real layouts, the DFU 1.1 state machine, 0xFF-erased
 * flash that programming can only clear bits of, and fault injection.
 * Written from the specifications, not from the engine: it is the engine's
 * examiner.
 *
 * Behaviour in brief (docs in src/sim/README.md):
 * - A DNLOAD (command or data block) is only stored; the GETSTATUS that
 *   follows executes it and reports dfuDNBUSY with bwPollTimeout = the
 *   operation's modelled time, rounded up to whole ms (mboot: always 0). The
 *   device is busy for that time: a request that arrives earlier waits until
 *   the operation ends (the clock jumps there) or, when its timeout_ms is
 *   shorter than the wait, fails with MPF_ERR_USB_TIMEOUT and is lost. The
 *   next GETSTATUS reports dfuDNLOAD-IDLE, or dfuERROR with the status.
 * - A request the current state does not allow STALLs (MPF_ERR_USB_STALL)
 *   and the device enters dfuERROR with errSTALLEDPKT (a status already
 *   being reported in dfuERROR is kept). This is stricter than mboot, which
 *   accepts most requests in any state.
 * - Bad addresses: the ST ROM reports errTARGET (as AN2662/AN3156 describe),
 *   mboot errADDRESS. Erase or write in a region whose type letter lacks the
 *   erasable or writable bit counts as a bad address.
 * - The ST ROM reports an unknown DfuSe command or data block 1 with
 *   errUNKNOWN; mboot enters dfuERROR but leaves bStatus OK (as mboot does),
 *   and reports each error status once, then OK (state stays dfuERROR).
 * - mboot owns the first 32 KiB of flash (0x08000000..0x08007FFF): erasing or
 *   writing there fails with errADDRESS, a mass erase skips it, and leaving
 *   starts the application at 0x08008000 whatever the address pointer says.
 * - Leaving: the ROM jumps to the address of the last set-address command or
 *   of the last data block written, whichever came later.
 * - Writing the option bytes (alt 1 on the ROM) resets the device, as does
 *   0x92 after its mass erase: it disconnects until mpf_sim_replug.
 * - Timing is taken from mpf_timing_stm32f4(): a control transfer costs
 *   mpf_timing_usb_us(bytes of its data stage); a sector erase
 *   mpf_timing_erase_us(size); a data block mpf_timing_program_us(len); a
 *   ROM mass erase (and 0x92) mass_erase_us; an mboot mass erase the sum of
 *   its sector erases; set-address and reads take no device time.
 */
#ifndef MPFLASH_SIM_H
#define MPFLASH_SIM_H

#include <stddef.h>
#include <stdint.h>

#include "mpflash/error.h"
#include "mpflash/timing.h"
#include "mpflash/transport.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct mpf_sim mpf_sim;

/* Chips: "f401", "f405", "f407", "f411", "f446" (ST system bootloader),
 * "mboot" (MicroPython mboot on an F405) and "mboot-f401" (mboot on an F401:
 * its layout claims 1 MiB, only 512 KiB exist); plain DFU 1.1 boards
 * (src/sim/plain.c): "nano-esp32" and "portenta-c33" (Arduino's
 * bootloaders), "dfu11" (the specification's device, not
 * manifestation-tolerant). */
size_t mpf_sim_chip_count(void);
const char *mpf_sim_chip_name(size_t i);
const char *mpf_sim_chip_description(size_t i);

/* Quirks of real bootloaders, each switchable: as "+name" after a chip name
 * ("f411+pipe", "mboot+packing+slow-status") or with mpf_sim_set_quirks.
 * Sources are cited in src/sim/quirks.c and src/sim/README.md. */
typedef enum mpf_sim_quirk {
    /* "pipe", STM32F411 ROM: a few DNLOADs (commands and data) stall
     * (LIBUSB_ERROR_PIPE) as if refused; a pseudo-random 1 in 24, never two
     * in a row. The DNLOAD is dropped; dfuERROR, errSTALLEDPKT. */
    MPF_SIM_QUIRK_PIPE = 1u << 0,
    /* "stuck-erase", STM32H743 rev V ROM: after erasing a sector that starts
     * 1 MiB or more above the flash, every GETSTATUS reports dfuDNBUSY (and
     * the erase's bwPollTimeout) for good; a CLRSTATUS then gives dfuERROR
     * errUNKNOWN, a second one dfuIDLE. The erase itself was done. */
    MPF_SIM_QUIRK_STUCK_ERASE = 1u << 1,
    /* "slow-status", STM32F745 ROM: every GETSTATUS takes 2 s to answer; a
     * request timeout shorter than that loses it. */
    MPF_SIM_QUIRK_SLOW_STATUS = 1u << 2,
    /* "shared-serial", STM32F072 ROM: the serial number is FFFFFFFEFFFF
     * whatever mpf_sim_set_serial says. */
    MPF_SIM_QUIRK_SHARED_SERIAL = 1u << 3,
    /* "packing", mboot built with MBOOT_ENABLE_PACKING=1 (mboot chips only):
     * data blocks are assembled into signed, encrypted chunks (see
     * mpf_sim_pack_chunk), erase commands do nothing (it erases by itself),
     * UPLOAD reports errFILE "Read support disabled on encrypted bootloader". */
    MPF_SIM_QUIRK_PACKING = 1u << 4
} mpf_sim_quirk;

/* Chunks for the virtual packing mboot, laid out as mboot_pack_dfu.py lays
 * them out (header <BBBBII: version 1, format, 0, 0, address, length; the
 * payload; a 64-byte signature), but sealed and signed with the virtual
 * board's test keys instead of libhydrogen and a board's mboot_keys.h (see
 * src/sim/pack_keys.c for exactly what is and is not modelled). */
#define MPF_SIM_PACK_HEADER_BYTES 12u
#define MPF_SIM_PACK_SIG_BYTES 64u  /* hydro_sign_BYTES */
#define MPF_SIM_PACK_BOX_BYTES 36u  /* hydro_secretbox_HEADERBYTES */
#define MPF_SIM_PACK_CHUNKSIZE 16384u /* MBOOT_PACK_CHUNKSIZE, the default */

/* One chunk: FW_RAW (2) and FW_GZIP (3) seal body (the firmware bytes, or
 * their raw deflate stream) first; FULL_SIG (1) and META (0) take body as
 * it is. *out (malloc'd) gets header + payload + signature. MPF_ERR_USAGE for
 * another format or a payload mboot's chunk buffer cannot hold. */
mpf_err mpf_sim_pack_chunk(uint8_t format, uint32_t address, const uint8_t *body, size_t len,
                           uint8_t **out, size_t *out_len, mpf_error *err);
/* The full-firmware signature a FULL_SIG chunk ends with: over the
 * firmware's bytes in the order its regions list them. */
void mpf_sim_pack_sign_firmware(const uint8_t *firmware, size_t len,
                                uint8_t sig[MPF_SIM_PACK_SIG_BYTES]);

/* "pipe" etc., or NULL. */
const char *mpf_sim_quirk_name(mpf_sim_quirk q);

/* An unknown chip name (or quirk) is MPF_ERR_USAGE listing the known ones. */
mpf_err mpf_sim_new(const char *chip, mpf_sim **out, mpf_error *err);
/* Replace the quirks (mpf_sim_quirk bits). PACKING on a chip that is not
 * mboot is MPF_ERR_USAGE; MPF_ERR_NOMEM. */
mpf_err mpf_sim_set_quirks(mpf_sim *sim, unsigned quirks, mpf_error *err);
unsigned mpf_sim_quirks(const mpf_sim *sim);
/* STUCK_ERASE: the offset from the start of flash from which an erase
 * sticks; the H743's 1 MiB by default. Tests on smaller chips lower it. */
void mpf_sim_set_stuck_erase_above(mpf_sim *sim, uint32_t offset);
void mpf_sim_free(mpf_sim *sim);

/* A transport onto the device (info filled in as enumeration would). Closing
 * it does not free the sim: the board outlives the connection. The info is a
 * snapshot: call the setters below before taking the transport. */
void mpf_sim_transport(mpf_sim *sim, mpf_transport *out);

/* Enumeration details, for tests with several boards. The serial defaults to
 * one unique per chip kind, the path to "1-1". Strings are truncated to fit
 * mpf_device_info. */
void mpf_sim_set_serial(mpf_sim *sim, const char *serial);
void mpf_sim_set_path(mpf_sim *sim, const char *path);
/* Enumerate with other USB IDs (the same bootloader under a board maker's
 * IDs, as Arduino's and LEGO's boards do). */
void mpf_sim_set_ids(mpf_sim *sim, uint16_t vid, uint16_t pid);

/* A plain DFU board's storage, the memory its stream goes to (the part its
 * model backs): 1 and the range, or 0 for a DfuSe board. */
int mpf_sim_storage(const mpf_sim *sim, uint32_t *start, uint32_t *size);

/* Hostile-device knobs. wTransferSize (0 = the chip's, 2048) changes both the
 * functional descriptor and the DfuSe block-to-address mapping. A poll
 * timeout override (ms, clamped to 24 bits; negative = modelled) changes only
 * what GETSTATUS reports, not how long the device is busy. */
void mpf_sim_set_transfer_size(mpf_sim *sim, uint16_t size);
void mpf_sim_set_poll_timeout(mpf_sim *sim, int32_t ms);
/* bmAttributes of the functional descriptor (and what the device does with
 * them: canDnload, canUpload, manifestation tolerance). */
void mpf_sim_set_attributes(mpf_sim *sim, uint8_t attributes);

/* Direct memory access, for setting up and checking tests; 0 on success,
 * -1 if the range is not backed by the chip. Poke stores bytes as given
 * (no programming rules) and ignores protection. */
int mpf_sim_peek(const mpf_sim *sim, uint32_t address, uint8_t *buf, size_t len);
int mpf_sim_poke(mpf_sim *sim, uint32_t address, const uint8_t *buf, size_t len);

/* Virtual clock: modelled device + USB time so far, plus whatever the host
 * slept through the transport. */
uint64_t mpf_sim_clock_us(const mpf_sim *sim);
/* On by default. Off: requests and operations take no time, the device is
 * never busy and reports bwPollTimeout 0 (unless overridden); sleeps still
 * advance the clock. */
void mpf_sim_set_timing(mpf_sim *sim, int enabled);
/* Sum of the modelled durations of the operations the device performed
 * (erase, program): the physical floor under any host's flashing time. */
uint64_t mpf_sim_device_busy_us(const mpf_sim *sim);

/* ---- what happened ------------------------------------------------------ */

typedef enum mpf_sim_op {
    MPF_SIM_OP_ANY = 0,
    MPF_SIM_OP_GETSTATUS,
    MPF_SIM_OP_GETSTATE,
    MPF_SIM_OP_CLRSTATUS,
    MPF_SIM_OP_ABORT,
    MPF_SIM_OP_DETACH,
    MPF_SIM_OP_SET_ADDRESS, /* DNLOAD block 0, 0x21 */
    MPF_SIM_OP_ERASE,       /* DNLOAD block 0, 0x41 + address */
    MPF_SIM_OP_MASS_ERASE,  /* DNLOAD block 0, 0x41 alone */
    MPF_SIM_OP_UNPROTECT,   /* DNLOAD block 0, 0x92 */
    MPF_SIM_OP_WRITE,       /* DNLOAD block >= 2 */
    MPF_SIM_OP_LEAVE,       /* zero-length DNLOAD */
    MPF_SIM_OP_UPLOAD,      /* UPLOAD, any block */
    MPF_SIM_OP_OTHER,       /* any other control request: unknown command, block 1,
                               wrong direction */
    MPF_SIM_OP_SELECT_ALT,  /* SET_INTERFACE (logged with request 0x0B, value = alt) */
    MPF_SIM_OP_RESET        /* USB port reset (logged with request 0xFF) */
} mpf_sim_op;

#define MPF_SIM_REQUEST_SET_INTERFACE 0x0B
#define MPF_SIM_REQUEST_PORT_RESET 0xFF

typedef struct mpf_sim_request {
    mpf_sim_op op;
    uint8_t request;   /* bRequest */
    uint16_t value;    /* wBlockNum */
    uint16_t length;   /* wLength */
    uint32_t address;  /* SET_ADDRESS/ERASE argument, or the address a data block maps to */
    mpf_err result;    /* what the transport returned */
} mpf_sim_request;

size_t mpf_sim_request_count(const mpf_sim *sim);
const mpf_sim_request *mpf_sim_request_at(const mpf_sim *sim, size_t i);
/* Clears the request and erase logs and the early/blocked counters. */
void mpf_sim_clear_log(mpf_sim *sim);

/* Sector erases actually performed, in order (start addresses). A mass erase
 * logs every sector it erased; an erase the device ignored (write-protected
 * sector on the ROM) logs nothing. */
size_t mpf_sim_erase_count(const mpf_sim *sim);
uint32_t mpf_sim_erase_at(const mpf_sim *sim, size_t i);

/* Requests that arrived before the bwPollTimeout the device last reported
 * had elapsed (a host that does not wait as told). */
size_t mpf_sim_early_count(const mpf_sim *sim);
/* Requests that arrived while an operation was still running (they
 * completed late, or timed out). With mboot's bwPollTimeout of 0 these are
 * not early, but they are blocked. */
size_t mpf_sim_blocked_count(const mpf_sim *sim);

/* 1 once the device has left DFU mode (manifested and "jumped"); stays 1
 * after a replug, as a record. */
int mpf_sim_has_left(const mpf_sim *sim, uint32_t *jump_address);
int mpf_sim_connected(const mpf_sim *sim);
/* The state and status as a GETSTATUS now would find them (an operation
 * whose time has passed counts as finished). */
uint8_t mpf_sim_state(const mpf_sim *sim);
uint8_t mpf_sim_status(const mpf_sim *sim);
uint32_t mpf_sim_address_pointer(const mpf_sim *sim);
uint8_t mpf_sim_current_alt(const mpf_sim *sim);

/* ---- faults ------------------------------------------------------------- */

typedef enum mpf_sim_fault_kind {
    MPF_SIM_FAULT_STALL,      /* the matching request stalls (dfuERROR, errSTALLEDPKT) */
    MPF_SIM_FAULT_TIMEOUT,    /* the matching request times out */
    MPF_SIM_FAULT_DISCONNECT, /* the device vanishes at the matching request */
    MPF_SIM_FAULT_STATUS      /* the matching operation fails with `status` (e.g. errERASE) */
} mpf_sim_fault_kind;

/* Fires on the nth (1-based) request matching `op` (MPF_SIM_OP_ANY counts
 * every request), once. Counting starts when the fault is added and covers
 * requests that reach a connected device.
 * - STALL: MPF_ERR_USB_STALL; dfuERROR, errSTALLEDPKT; a stored DNLOAD is
 *   dropped.
 * - TIMEOUT: MPF_ERR_USB_TIMEOUT after the request's timeout_ms; the request
 *   is lost (no state change).
 * - DISCONNECT: this and every later request fail with
 *   MPF_ERR_USB_DISCONNECTED until mpf_sim_replug.
 * - STATUS: on a DNLOAD op, the DNLOAD is accepted and the GETSTATUS that
 *   would execute it reports dfuERROR with `status` without performing it;
 *   on GETSTATUS, that GETSTATUS reports dfuERROR with `status`; on any
 *   other request (UPLOAD included), a stall that leaves dfuERROR/`status`. */
typedef struct mpf_sim_fault {
    mpf_sim_fault_kind kind;
    mpf_sim_op op;
    unsigned nth;
    uint8_t status; /* for MPF_SIM_FAULT_STATUS */
} mpf_sim_fault;

/* MPF_ERR_USAGE for nth 0 or an unknown kind/op; MPF_ERR_NOMEM. */
mpf_err mpf_sim_add_fault(mpf_sim *sim, const mpf_sim_fault *f, mpf_error *err);

/* Start in dfuERROR with errFIRMWARE, as ROM bootloaders often do. */
void mpf_sim_start_in_error(mpf_sim *sim);
/* RDP level 1 (the RDP option byte becomes 0x55; 0 restores 0xAA): on the
 * ROM, UPLOAD of flash, erases and writes of flash and OTP fail with
 * errVENDOR until 0x92. mboot runs from flash and is not affected. */
void mpf_sim_set_read_protection(mpf_sim *sim, int enabled);
/* Write-protect the sector holding address (clears its nWRP option bit). On
 * the ROM, erasing it silently does nothing but reports OK (as ST's
 * bootloader does), a mass erase erases nothing and reports OK (the flash
 * controller refuses the whole operation), and a data block touching it
 * fails with errWRITE and changes nothing. On mboot both fail (dfuERROR). */
void mpf_sim_write_protect(mpf_sim *sim, uint32_t address);
/* Simulated replug: reconnect, back in dfuIDLE (status OK), alt 0, address
 * pointer 0x08000000, memory kept, faults kept, a stored or running
 * operation discarded (a running one has already changed memory). */
void mpf_sim_replug(mpf_sim *sim);

#ifdef __cplusplus
}
#endif
#endif
