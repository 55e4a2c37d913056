/* mpflash — a virtual STM32F4 DfuSe bootloader (the ST system bootloader at
 * 0483:df11, and MicroPython's mboot). It implements mpf_transport on a
 * virtual clock, with real layouts, the DFU 1.1 state machine, 0xFF-erased
 * flash that programming can only clear bits of, and fault injection.
 * Written from the specifications, not from the engine: it is the engine's
 * examiner.
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

/* Chips: "f401", "f405", "f407", "f411", "f446", "mboot" (F405 under mboot). */
size_t mpf_sim_chip_count(void);
const char *mpf_sim_chip_name(size_t i);
const char *mpf_sim_chip_description(size_t i);

mpf_err mpf_sim_new(const char *chip, mpf_sim **out, mpf_error *err);
void mpf_sim_free(mpf_sim *sim);

/* A transport onto the device (info filled in as enumeration would). Closing
 * it does not free the sim: the board outlives the connection. */
void mpf_sim_transport(mpf_sim *sim, mpf_transport *out);

/* Direct memory access, for setting up and checking tests; 0 on success,
 * -1 if the range is not backed by the chip. */
int mpf_sim_peek(const mpf_sim *sim, uint32_t address, uint8_t *buf, size_t len);
int mpf_sim_poke(mpf_sim *sim, uint32_t address, const uint8_t *buf, size_t len);

/* Virtual clock: modelled device + USB time so far. */
uint64_t mpf_sim_clock_us(const mpf_sim *sim);
void mpf_sim_set_timing(mpf_sim *sim, int enabled); /* on by default */

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
    MPF_SIM_OP_OTHER
} mpf_sim_op;

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
void mpf_sim_clear_log(mpf_sim *sim);

/* Sector erases actually performed, in order (start addresses). */
size_t mpf_sim_erase_count(const mpf_sim *sim);
uint32_t mpf_sim_erase_at(const mpf_sim *sim, size_t i);

/* 1 once the device has left DFU mode (manifested and "jumped"). */
int mpf_sim_has_left(const mpf_sim *sim, uint32_t *jump_address);
int mpf_sim_connected(const mpf_sim *sim);
uint8_t mpf_sim_state(const mpf_sim *sim);
uint8_t mpf_sim_status(const mpf_sim *sim);

/* ---- faults ------------------------------------------------------------- */

typedef enum mpf_sim_fault_kind {
    MPF_SIM_FAULT_STALL,      /* the matching request stalls (device enters dfuERROR, errSTALLEDPKT) */
    MPF_SIM_FAULT_TIMEOUT,    /* the matching request times out */
    MPF_SIM_FAULT_DISCONNECT, /* the device vanishes at the matching request */
    MPF_SIM_FAULT_STATUS      /* the matching operation fails with `status` (e.g. errERASE) */
} mpf_sim_fault_kind;

/* Fires on the nth (1-based) request matching `op` (MPF_SIM_OP_ANY counts
 * every request), once. */
typedef struct mpf_sim_fault {
    mpf_sim_fault_kind kind;
    mpf_sim_op op;
    unsigned nth;
    uint8_t status; /* for MPF_SIM_FAULT_STATUS */
} mpf_sim_fault;

mpf_err mpf_sim_add_fault(mpf_sim *sim, const mpf_sim_fault *f, mpf_error *err);

/* Start in dfuERROR with errFIRMWARE, as ROM bootloaders often do. */
void mpf_sim_start_in_error(mpf_sim *sim);
/* RDP level 1: reads and erases fail with errVENDOR until 0x92. */
void mpf_sim_set_read_protection(mpf_sim *sim, int enabled);
/* Write-protect the sector holding address: erases of it silently do nothing
 * (as ST's bootloader does) and writes fail. */
void mpf_sim_write_protect(mpf_sim *sim, uint32_t address);
/* Simulated replug: reconnect, back in dfuIDLE, memory kept, faults kept. */
void mpf_sim_replug(mpf_sim *sim);

#ifdef __cplusplus
}
#endif
#endif
