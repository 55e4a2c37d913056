/* mpflash — the virtual bootloader's private types, shared by src/sim only. */
#ifndef MPFLASH_SIM_INTERNAL_H
#define MPFLASH_SIM_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "mpflash/dfu.h"
#include "mpflash/error.h"
#include "mpflash/sim.h"
#include "mpflash/timing.h"
#include "mpflash/transport.h"

/* Type-letter bits of a DfuSe layout (UM0424). */
#define SIM_MEM_READABLE 0x1
#define SIM_MEM_ERASABLE 0x2
#define SIM_MEM_WRITABLE 0x4

/* Largest wLength a control transfer can carry. */
#define SIM_MAX_TRANSFER 65535u

/* What a memory is physically, which decides how writing behaves. */
typedef enum sim_kind {
    SIM_KIND_FLASH,   /* sectors; programming clears bits; erase sets them */
    SIM_KIND_OPTION,  /* option bytes: rewritten whole, then the device resets */
    SIM_KIND_OTP,     /* programming clears bits; never erasable */
    SIM_KIND_FEATURE  /* plain register-like bytes */
} sim_kind;

/* An alt setting not exposed over USB (mboot hides the option bytes). */
#define SIM_ALT_HIDDEN 0xFF

typedef struct sim_alt_desc {
    const char *layout; /* the interface string, a DfuSe layout */
    sim_kind kind;
} sim_alt_desc;

#define SIM_MAX_ALTS 4

typedef struct sim_chip {
    const char *name;
    const char *description;
    uint16_t vid, pid, bcd_device;
    const char *manufacturer;
    const char *product;
    const char *serial;
    mpf_dfu_functional func;
    size_t num_alts;
    sim_alt_desc alts[SIM_MAX_ALTS];
    const char *hidden_option_layout; /* option bytes the bootloader does not expose, or NULL */
    uint32_t flash_size;              /* bytes that exist from 0x08000000 */

    /* Behaviour that differs between the ST ROM and mboot. */
    int reports_poll_timeout;   /* bwPollTimeout = operation time (else always 0) */
    int checks_set_address;     /* 0x21 to an address outside the alt's layout fails */
    int has_read_unprotect;     /* 0x92 exists */
    int honours_read_protection;/* RDP level 1 blocks flash access */
    int silent_wp_erase;        /* erasing a write-protected sector reports OK */
    int sector_mass_erase;      /* mass erase = erase each sector in turn */
    int reset_after_option_write;
    int status_clears_on_read;  /* an error status is reported once */
    int reports_program_mismatch; /* errPROG when a bit would need 0 -> 1 */
    uint8_t bad_address_status; /* outside the layout, wrong region type, not backed */
    uint8_t failure_status;     /* unknown command, block 1, refused flash operation */
    uint8_t wp_write_status;    /* data block into a write-protected sector */
    uint8_t state_after_op;     /* dfuDNLOAD-SYNC (DFU 1.1) or dfuDNLOAD-IDLE (mboot) */
    uint32_t bootloader_start;  /* flash the bootloader occupies itself (size 0 = none) */
    uint32_t bootloader_size;
    int jump_to_pointer;        /* leave jumps to the pointer, else to app_address */
    uint32_t app_address;
    int reason_strings;         /* names its errors with GETSTATUS iString (mboot) */

    /* Plain DFU 1.1 boards (plain.c); NULL for the DfuSe ones. */
    const struct sim_plain_model *plain;

    /* Flash rules of the other families (src/sim/families.c); zero = F4. */
    const mpf_timing *timing;     /* NULL = mpf_timing_stm32f4() */
    uint8_t ecc_word;             /* ECC flash: a word of this many bytes takes one program
                                   * after an erase (errPROG otherwise); partial words are
                                   * padded with 0xFF */
    const uint8_t *option_image;  /* the option bytes as the chip ships (NULL = F4's) */
    uint16_t option_image_size;
    uint16_t sfsa_offset;         /* offset of the secure-area start (SFSA) in the option
                                   * bytes; 0 = no secure area */
    uint32_t sfsa_unit;           /* bytes per SFSA step */
    int no_mass_erase;            /* the flash controller refuses a mass erase */
} sim_chip;

/* How a plain DFU 1.1 bootloader places and reads the stream. */
typedef enum sim_plain_upload {
    SIM_UPLOAD_NOTHING = 0,   /* answers every UPLOAD with 0 bytes */
    SIM_UPLOAD_FROM_ZERO,     /* block n = wLength bytes from address n * wLength */
    SIM_UPLOAD_STREAM         /* reads the stream back from its start, short at its end */
} sim_plain_upload;

typedef struct sim_plain_model {
    /* Where the stream goes when the alt strings are not layouts: a layout
     * of hidden storage (NULL = the alts' own layouts are the memory). */
    const char *storage_layout;
    uint32_t stream_base;     /* address of the stream's byte 0 */
    int by_block_number;      /* address from wBlockNum * wTransferSize, else
                               * sequential, block numbers ignored */
    uint32_t erase_span;      /* erased when the stream reaches a multiple of it */
    uint32_t poll_busy_ms;    /* bwPollTimeout after a data block */
    uint32_t poll_manifest_ms;/* bwPollTimeout entering dfuMANIFEST */
    sim_plain_upload upload;
    int first_byte;           /* the stream must start with this byte (else errWRITE), -1 any */
    int detach_in_dfu;        /* DETACH in DFU mode restarts the board (else it stalls) */
} sim_plain_model;

size_t sim_chip_table_count(void);
const sim_chip *sim_chip_at(size_t i);
const sim_chip *sim_chip_find(const char *name);

/* ---- memory ------------------------------------------------------------- */

typedef struct sim_sector {
    uint32_t start;
    uint32_t size;
    uint8_t type; /* SIM_MEM_* */
} sim_sector;

/* One contiguous /ADDR/ block of a layout. */
typedef struct sim_area {
    uint8_t alt;      /* SIM_ALT_HIDDEN when not exposed */
    sim_kind kind;
    uint32_t start;
    uint32_t size;    /* what the layout claims */
    uint32_t backed;  /* bytes from start that exist */
    uint8_t *bytes;   /* backed bytes */
    sim_sector *sectors;
    size_t sector_count;
} sim_area;

typedef struct sim_memory {
    sim_area *areas;
    size_t count;
} sim_memory;

/* Parse a layout string and append its blocks as areas of `alt`. A string
 * that does not parse is MPF_ERR_INTERNAL: the chip table is ours. */
mpf_err sim_layout_add(sim_memory *mem, const char *layout, uint8_t alt, sim_kind kind,
                       mpf_error *err);
/* Allocate backing for every area (flash backed up to flash_size), filled
 * with the erased value; option bytes get the F4 defaults. */
mpf_err sim_memory_back(sim_memory *mem, uint32_t flash_size, mpf_error *err);
void sim_memory_free(sim_memory *mem);

/* The area of `alt` (find_any: of any alt, hidden ones too) that holds the
 * whole range, or NULL. */
sim_area *sim_memory_find(const sim_memory *mem, uint8_t alt, uint32_t address, uint32_t len);
sim_area *sim_memory_find_any(const sim_memory *mem, uint32_t address, size_t len);
sim_area *sim_memory_first_of_kind(const sim_memory *mem, sim_kind kind);
/* Index of the sector holding address, or -1. */
long sim_area_sector_index(const sim_area *a, uint32_t address);
int sim_area_is_backed(const sim_area *a, uint32_t address, size_t len);
/* Bits common to every sector the range touches. */
uint8_t sim_area_range_type(const sim_area *a, uint32_t address, size_t len);
void sim_area_erase_sector(sim_area *a, size_t index);
/* AND the data in; returns 0, or -1 when some bit would have had to go from
 * 0 to 1 (the AND is applied anyway, as flash would be left). */
int sim_area_program(sim_area *a, uint32_t address, const uint8_t *data, size_t len);
void sim_area_store(sim_area *a, uint32_t address, const uint8_t *data, size_t len);

/* ---- option bytes: read and write protection ---------------------------- */

#define SIM_OPTION_ADDRESS 0x1FFFC000u
#define SIM_OPTION_SIZE 16u
#define SIM_RDP_LEVEL0 0xAA
#define SIM_RDP_LEVEL1 0x55

extern const uint8_t sim_option_defaults[SIM_OPTION_SIZE];

/* ---- the device --------------------------------------------------------- */

typedef struct sim_fault_slot {
    mpf_sim_fault fault;
    unsigned seen;
    int fired;
} sim_fault_slot;

/* A DNLOAD waiting for the GETSTATUS that executes it. */
typedef struct sim_pending {
    int active;
    mpf_sim_op op;
    uint16_t block;
    uint16_t length;
    int forced;           /* a STATUS fault: report forced_status instead */
    uint8_t forced_status;
    uint8_t *data;        /* SIM_MAX_TRANSFER bytes */
} sim_pending;

/* The outcome of an executed operation. */
typedef struct sim_outcome {
    int failed;
    uint8_t status;       /* what GETSTATUS reports (mboot may say OK while failed) */
    uint64_t us;          /* modelled device time */
    int resets;           /* the device resets when the operation ends */
    uint8_t busy_state;   /* reported while it runs; 0 = dfuDNBUSY */
    uint8_t after_state;  /* when it ends well; 0 = the chip's state_after_op */
    uint8_t istring;      /* mboot: the string descriptor naming the reason */
    int stuck;            /* H743 rev V: stays dfuDNBUSY after it (quirk) */
} sim_outcome;

/* An operation the device is performing (dfuDNBUSY). */
typedef struct sim_busy {
    int active;
    uint64_t until_us;
    sim_outcome outcome;
} sim_busy;

typedef struct sim_log {
    mpf_sim_request *requests;
    size_t request_count, request_cap;
    uint32_t *erases;
    size_t erase_count, erase_cap;
} sim_log;

struct mpf_sim {
    const sim_chip *chip;
    const mpf_timing *timing;
    sim_memory mem;
    char serial[128];
    char path[32];
    uint16_t vid, pid;     /* what it enumerates as: the chip's, or a test's */
    uint16_t transfer_size;
    uint8_t attributes;    /* bmAttributes: the chip's, or a test's override */
    int32_t poll_override; /* < 0: modelled */

    int connected;
    int left;
    uint32_t jump_address;
    uint8_t alt;

    uint8_t state;
    uint8_t status;
    uint8_t istring;       /* GETSTATUS iString: a reason string (mboot), 0 = none */
    unsigned quirks;       /* mpf_sim_quirk bits */
    int stuck;             /* dfuDNBUSY for good until CLRSTATUS (STUCK_ERASE quirk) */
    uint32_t stuck_poll_ms;
    uint32_t stuck_above;  /* offset into flash from which erases stick */
    uint32_t pipe_seed;    /* PIPE quirk: which DNLOADs stall */
    struct sim_pack *pack; /* PACKING quirk: mboot's chunk assembly */
    uint32_t pointer;      /* DfuSe address pointer */
    uint32_t stream_at;    /* plain DFU: bytes of the current download so far */
    int manifested;        /* plain DFU: a download was manifested since the last reset */
    uint32_t leave_target; /* last set-address or last data block */
    sim_pending pending;
    sim_busy busy;

    /* clock */
    int timing_enabled;
    uint64_t now_us;
    uint64_t poll_deadline_us; /* the reported bwPollTimeout ends here */
    uint64_t device_busy_us;
    size_t early;
    size_t blocked;

    sim_log log;
    sim_fault_slot *faults;
    size_t fault_count, fault_cap;
    size_t erase_reserve; /* most sectors one request can erase */
    uint8_t *reply;       /* SIM_MAX_TRANSFER bytes for IN replies */
};

/* clock.c */
uint64_t sim_usb_cost(const mpf_sim *sim, uint64_t bytes);
uint64_t sim_erase_cost(const mpf_sim *sim, uint32_t sector_size);
uint64_t sim_program_cost(const mpf_sim *sim, uint64_t bytes);
uint64_t sim_mass_erase_cost(const mpf_sim *sim);
/* A request arrives: count it early/blocked, wait for a running operation
 * (MPF_ERR_USB_TIMEOUT if timeout_ms runs out first), then finish it. */
mpf_err sim_clock_arrive(mpf_sim *sim, unsigned timeout_ms);
/* The device starts `outcome` now; returns the bwPollTimeout to report. */
void sim_clock_start_busy(mpf_sim *sim, const sim_outcome *outcome);
/* The bwPollTimeout to report for an operation of `us`. */
uint32_t sim_poll_report(const mpf_sim *sim, uint64_t us);
/* Apply a finished operation's outcome to the state. */
void sim_finish_busy(mpf_sim *sim);
void sim_note_poll_timeout(mpf_sim *sim, uint32_t poll_ms);

/* faults.c: the fault that fires on this request, or NULL. */
const mpf_sim_fault *sim_fault_check(mpf_sim *sim, mpf_sim_op op);

/* log.c */
mpf_err sim_log_reserve(mpf_sim *sim, size_t erases, mpf_error *err);
void sim_log_request(mpf_sim *sim, const mpf_sim_request *r);
void sim_log_erase(mpf_sim *sim, uint32_t sector_start);

/* protection.c */
int sim_read_protected(const mpf_sim *sim);
int sim_sector_write_protected(const mpf_sim *sim, const sim_area *flash, size_t index);
void sim_set_rdp(mpf_sim *sim, uint8_t rdp);
void sim_clear_nwrp_bit(mpf_sim *sim, size_t index);

/* commands.c: DfuSe commands and data blocks. */
mpf_sim_op sim_classify(uint8_t request, uint16_t value, const uint8_t *data, uint16_t length,
                        int dir_in);
uint32_t sim_block_address(const mpf_sim *sim, uint16_t block);
uint32_t sim_command_argument(const uint8_t *data); /* the LE32 after the command byte */
/* Execute the stored DNLOAD. */
sim_outcome sim_execute(mpf_sim *sim);
/* UPLOAD: fills data, *received; on refusal returns the status to stall with
 * (and 0 on success). */
int sim_upload(mpf_sim *sim, uint16_t block, uint8_t *data, uint16_t length, size_t *received,
               uint8_t *stall_status);

/* state.c: a DFU class request in the current state. */
typedef struct sim_call {
    int dir_in;
    uint8_t request;
    uint16_t value;
    const uint8_t *out;  /* OUT data */
    uint8_t *in;         /* IN buffer */
    uint16_t length;
    size_t received;
    mpf_sim_op op;
    uint32_t poll_ms;    /* set when a GETSTATUS started an operation */
    int starts_busy;
    int leaves;          /* the device leaves after this reply */
    sim_outcome outcome;
} sim_call;

mpf_err sim_state_handle(mpf_sim *sim, sim_call *call);
/* The stored command is taken; a status forced onto it (a fault) turns it
 * into that error instead of running it: then 1, dfuERROR. */
int sim_take_stored_or_fail(mpf_sim *sim);
/* The 6 bytes of a GETSTATUS reply reporting `reported`. */
void sim_status_reply(const mpf_sim *sim, sim_call *call, uint8_t reported);
/* Stall: dfuERROR with status (a status already in dfuERROR is kept). */
mpf_err sim_stall(mpf_sim *sim, uint8_t status);
void sim_reset_dfu(mpf_sim *sim);
uint8_t sim_state_after_busy(const mpf_sim *sim);

extern const sim_plain_model sim_plain_nano_esp32;
extern const sim_plain_model sim_plain_portenta_c33;
extern const sim_plain_model sim_plain_dfu11;

/* plain.c: the DFU 1.1 state machine of a plain (streamed) bootloader. */
mpf_sim_op sim_plain_classify(uint8_t request, uint16_t length, int dir_in);
mpf_err sim_plain_handle(mpf_sim *sim, sim_call *call);
/* A USB port reset: after a manifestation the board starts its firmware. */
void sim_plain_reset(mpf_sim *sim, sim_call *call);
uint32_t sim_plain_block_address(const mpf_sim *sim, uint16_t block);
/* strings.c: string descriptor `index` (manufacturer 1, product 2, serial
 * 3, alt names from 4, mboot's reasons 0x10..), or NULL (the device stalls). */
const char *sim_string(const mpf_sim *sim, uint8_t index);
#define SIM_MBOOT_STR_OVERWRITE_BOOTLOADER 0x10
#define SIM_MBOOT_STR_INVALID_ADDRESS 0x11
#define SIM_MBOOT_STR_INVALID_SIG 0x12
#define SIM_MBOOT_STR_INVALID_READ 0x13
/* The serial the device shows (the SHARED_SERIAL quirk overrides it). */
const char *sim_serial(const mpf_sim *sim);

/* quirks.c */
/* "f411+pipe": the chip name alone in chip[size], quirk bits in *quirks;
 * MPF_ERR_USAGE naming an unknown quirk. */
mpf_err sim_split_name(const char *name, char *chip, size_t size, unsigned *quirks,
                       mpf_error *err);
/* PIPE quirk: does this DNLOAD stall? Advances the pattern. */
int sim_pipe_stalls(mpf_sim *sim);
/* STUCK_ERASE quirk: does erasing the sector at start leave the ROM stuck? */
int sim_erase_sticks(const mpf_sim *sim, const sim_area *flash, uint32_t start);
/* SLOW_STATUS quirk: the time a GETSTATUS takes to be answered. */
uint64_t sim_status_delay_us(const mpf_sim *sim);

/* pack_keys.c: the virtual packing mboot's stand-in for libhydrogen. */
#define SIM_PACK_HEADER_BYTES MPF_SIM_PACK_HEADER_BYTES
#define SIM_PACK_SIG_BYTES MPF_SIM_PACK_SIG_BYTES
#define SIM_PACK_BOX_HEADER MPF_SIM_PACK_BOX_BYTES
#define SIM_PACK_CHUNKSIZE MPF_SIM_PACK_CHUNKSIZE
#define SIM_PACK_INFLATE_MAX 65536u

typedef struct sim_sip {
    uint64_t v[4];
    uint8_t buf[8];
    size_t fill;
    uint64_t total;
} sim_sip;

void sim_sip_init(sim_sip *s, const uint8_t key[16]);
void sim_sip_update(sim_sip *s, const uint8_t *data, size_t len);
uint64_t sim_sip_final(sim_sip *s);
/* Signatures, whole or in pieces. */
void sim_sign(const uint8_t *msg, size_t len, uint8_t sig[SIM_PACK_SIG_BYTES]);
void sim_sign_init(sim_sip *s);
void sim_sign_final(sim_sip *s, uint8_t sig[SIM_PACK_SIG_BYTES]);
int sim_sign_verify(const uint8_t *msg, size_t len, const uint8_t sig[SIM_PACK_SIG_BYTES]);
/* out gets SIM_PACK_BOX_HEADER + len bytes. */
void sim_box_seal(const uint8_t *plain, size_t len, uint8_t *out);
/* plain gets len - SIM_PACK_BOX_HEADER bytes; -1 when the MAC fails. */
int sim_box_open(const uint8_t *boxed, size_t len, uint8_t *plain);

/* inflate.c: raw DEFLATE; 0, or -1 for a bad stream or more than out_cap. */
int sim_inflate(const uint8_t *in, size_t in_len, uint8_t *out, size_t out_cap, size_t *out_len);

/* pack.c: mboot with MBOOT_ENABLE_PACKING (PACKING quirk). */
struct sim_pack;
mpf_err sim_pack_new(mpf_sim *sim, mpf_error *err);
void sim_pack_free(mpf_sim *sim);
/* A data block at address: assembled into chunks, checked, decoded, written. */
sim_outcome sim_pack_write(mpf_sim *sim, uint32_t address, const uint8_t *data, uint16_t len);

/* request.c: the path every transport operation takes. */
mpf_err sim_dispatch(mpf_sim *sim, sim_call *call, unsigned timeout_ms, mpf_error *err);

/* families.c */
/* The family chips' table, chained after chips.c's. */
size_t sim_family_count(void);
const sim_chip *sim_family_at(size_t i);
/* First byte of the secure area (WB radio stack), or 0 when there is none. */
uint32_t sim_secure_start(const mpf_sim *sim);
/* ECC programming: word by word, each word padded with 0xFF where data
 * does not cover it; stops at the first word that is not erased (-1). */
int sim_ecc_program(sim_area *a, uint32_t address, const uint8_t *data, size_t len,
                    uint32_t word);
/* Bytes an ECC chip programs for len bytes at address (whole words). */
uint64_t sim_ecc_span(uint32_t address, size_t len, uint32_t word);


#endif
