/* mpflash — the DFU 1.1 + ST DfuSe protocol engine. It drives a transport
 * through a plan: erase, write, verify, leave. It never sleeps or reads a
 * clock except through the transport, never prints (log and progress go to
 * callbacks), and stops at the first error: no flash-changing request is sent
 * after one.
 */
#ifndef MPFLASH_ENGINE_H
#define MPFLASH_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#include "mpflash/dfu.h"
#include "mpflash/error.h"
#include "mpflash/plan.h"
#include "mpflash/transport.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum mpf_phase {
    MPF_PHASE_CONNECT = 0,
    MPF_PHASE_ERASE,
    MPF_PHASE_WRITE,
    MPF_PHASE_VERIFY,
    MPF_PHASE_READ,
    MPF_PHASE_LEAVE,
    MPF_PHASE__COUNT
} mpf_phase;

const char *mpf_phase_name(mpf_phase p); /* "connect", "erase", ... */

typedef enum mpf_log_level {
    MPF_LOG_ERROR = 0,
    MPF_LOG_WARN,
    MPF_LOG_INFO,
    MPF_LOG_DEBUG,
    MPF_LOG_TRACE /* every request, for -v */
} mpf_log_level;

typedef struct mpf_callbacks {
    /* done/total are bytes (write, verify, read) or sectors (erase). Each
     * phase's total is known before its first report; during a flash the
     * erase, write and verify totals leave out the sectors skip-unchanged
     * found already right (and the erase total the blank ones, the write
     * and verify totals their blocks already right), so they can be smaller
     * than the plan's. Blocks of 0xFF that need not be sent after an erase
     * still count as written. */
    void (*progress)(void *user, mpf_phase phase, uint64_t done, uint64_t total);
    void (*log)(void *user, mpf_log_level level, const char *message);
    void *user;
} mpf_callbacks;

typedef struct mpf_dfu_stats {
    uint32_t requests[7];   /* by DFU request code (MPF_DFU_DETACH..MPF_DFU_ABORT);
                             * SET_INTERFACE is not a DFU request and not counted */
    uint32_t set_address;   /* DfuSe 0x21 commands */
    uint32_t erase_sectors; /* DfuSe 0x41 + address */
    uint32_t mass_erases;   /* DfuSe 0x41 alone */
    uint32_t blocks_down;   /* data DNLOADs */
    uint32_t blocks_up;     /* data UPLOADs */
    uint64_t bytes_down;
    uint64_t bytes_up;
    uint64_t slept_ms;      /* sum of poll waits */
    /* Work a flash left out because the chip already held the result: */
    uint32_t sectors_unchanged; /* planned erases skipped (skip-unchanged) */
    uint32_t blocks_unchanged;  /* data blocks not sent: in such a sector */
    uint32_t blocks_blank;      /* data blocks not sent: all 0xFF, in a sector this
                                 * flash erased */
    uint32_t word_runs;         /* write-once flash: runs of flash words sent on their own
                                 * (with their own address) so that the programmed words
                                 * around them were not programmed again */
    uint32_t sectors_blank;     /* planned erases skipped: the sector was blank (0xFF)
                                 * wherever it had to change, so it was programmed
                                 * without one */
} mpf_dfu_stats;

/* Request timeouts. The GETSTATUS that follows a command waits as long as the
 * command can take, because mboot reports bwPollTimeout 0 and instead holds
 * that GETSTATUS until an erase has finished. Each bound is at least twice
 * the STM32F4 datasheet's worst case at x8 parallelism (16 KiB 0.8 s, 64 KiB
 * 2.4 s, 128 KiB 4 s, mass erase 32 s). A bwPollTimeout above an operation's
 * bound is capped at that bound (with a WARN once per mpf_dfu_open, later ones
 * at DEBUG), and an operation that keeps the device in dfuDNBUSY for twice its
 * bound is MPF_ERR_PROTOCOL. */
#define MPF_DFU_TIMEOUT_MS 5000u             /* ordinary requests, data blocks, set-address */
#define MPF_DFU_MASS_ERASE_TIMEOUT_MS 64000u /* mass erase and read-unprotect */
/* Sector erase: 1 s plus 64 ms per KiB (16 KiB: 2.0 s, 64 KiB: 5.1 s, 128 KiB: 9.2 s). */
uint32_t mpf_dfu_erase_timeout_ms(uint32_t sector_size);

/* Sum of requests[] : every control request the engine sent. */
uint64_t mpf_dfu_stats_total(const mpf_dfu_stats *s);

/* A DFU session on a transport: opaque. Create it with mpf_dfu_new and
 * release it with mpf_dfu_close; it does not own the transport, which must
 * outlive it. Calls on one session are not reentrant, except
 * mpf_dfu_cancel. */
typedef struct mpf_dfu mpf_dfu;

/* Allocate a session and open it (mpf_dfu_open). On failure *out is NULL
 * and there is nothing to close. cb is copied; NULL = no callbacks. */
mpf_err mpf_dfu_new(mpf_transport *t, const mpf_callbacks *cb, mpf_dfu **out, mpf_error *err);

/* Release the session (NULL: nothing). Sends nothing: the device stays as
 * the last call left it (mpf_dfu_leave first to start the firmware), and
 * the transport stays open (mpf_transport_close). */
void mpf_dfu_close(mpf_dfu *d);

/* Bring the device to dfuIDLE (ABORT, GETSTATUS; CLRSTATUS out of dfuERROR;
 * ABORT out of upload/download idle), starting the session afresh: counters,
 * the left and cancelled flags, the alt setting. This is how a session is
 * used again after mpf_dfu_leave, mpf_dfu_read_unprotect, a cancel or an
 * error (t may be a new transport, after a replug). Does not take ownership
 * of t. */
mpf_err mpf_dfu_open(mpf_dfu *d, mpf_transport *t, const mpf_callbacks *cb, mpf_error *err);

/* Ask the session to stop. Safe from any thread and from the progress or
 * log callback; the flag is checked before every request, so the call in
 * progress returns MPF_ERR_CANCELLED before its next request reaches the
 * device and nothing is sent after it. The device is left as that last
 * completed request left it: any sector may be half written, and a command
 * may be stored but not yet run, which the next mpf_dfu_open drops (it
 * starts with ABORT). Running the same flash again (skip_unchanged) finishes
 * the job. Stays set until mpf_dfu_open. */
void mpf_dfu_cancel(mpf_dfu *d);

/* What the session has sent so far (since mpf_dfu_open). */
const mpf_dfu_stats *mpf_dfu_get_stats(const mpf_dfu *d);
/* The device's wTransferSize, as the session uses it. */
uint16_t mpf_dfu_transfer_size(const mpf_dfu *d);
/* 1 for a DfuSe device (bcdDFUVersion 0x011A). */
int mpf_dfu_is_dfuse(const mpf_dfu *d);
/* 1 once the device has left DFU mode (mpf_dfu_leave, mpf_dfu_read_unprotect):
 * then mpf_dfu_leave does nothing and every call that needs the device is
 * refused with MPF_ERR_USAGE until mpf_dfu_open. */
int mpf_dfu_has_left(const mpf_dfu *d);
/* Bytes per UPLOAD in mpf_dfu_read; 0 (the default) = wTransferSize. The
 * device numbers UPLOAD blocks in its own wTransferSize, so any other size
 * sets the pointer before every block. A size above wTransferSize is
 * refused by mpf_dfu_read. */
void mpf_dfu_set_read_size(mpf_dfu *d, uint16_t size);
/* After a flash that was to verify but could not (a plain DFU device that
 * answers UPLOAD with nothing, ...): why, as constant text; else NULL. */
const char *mpf_dfu_unverified(const mpf_dfu *d);

/* Run a plan: erase, write, verify, leave, as it says. The plan is executed
 * alt setting by alt setting (erase, write, verify each), the leave last.
 * Needs a DfuSe device (addressed memory).
 *
 * After an error nothing that changes flash is sent. The only request that
 * may follow a failed one is a single GETSTATUS after a STALL, to put the
 * device's status and state in the message; the device is left as it is
 * (often dfuERROR), and the next mpf_dfu_open clears it. */
mpf_err mpf_dfu_flash(mpf_dfu *d, const mpf_plan *plan, mpf_error *err);

/* What a flash with skip_unchanged does with a planned sector. Nonzero means
 * "not erased", so 0/1 flags from before MPF_SECTOR_BLANK keep their meaning. */
typedef enum mpf_sector_action {
    MPF_SECTOR_ERASE = 0,     /* erased and written (also: not checked) */
    MPF_SECTOR_UNCHANGED = 1, /* already holds its new contents: left alone */
    MPF_SECTOR_BLANK = 2      /* 0xFF wherever it changes: written without an erase */
} mpf_sector_action;

/* How mpf_dfu_flash_ex runs a plan. Whatever the options, the chip ends up
 * byte for byte as mpf_dfu_flash leaves it. */
typedef struct mpf_dfu_flash_options {
    /* Read every planned sector before erasing anything, block by block,
     * and erase only the sectors that need it. Each block read either
     * already holds what a full flash leaves there (the image bytes, 0xFF
     * where the image does not reach), or holds in each byte either that
     * or 0xFF (flash programming only clears bits, so it can take its new
     * bytes without an erase; a byte already right is written with its own
     * value, which clears no bit), or neither: then reading stops and the
     * sector is erased and written. A
     * sector of the first kind only is left alone (no erase, data or
     * verify: MPF_SECTOR_UNCHANGED); one with blocks of the second kind is
     * not erased, and only those blocks are sent and verified
     * (MPF_SECTOR_BLANK), unless erasing it and writing it whole costs less
     * by the chip profile's typical timing (on write-once flash such blocks
     * go word run by word run). A device that cannot upload, or refuses to (read
     * protection), gets a full flash and a log line. Alt 0 of a mass-erase
     * plan is not checked. */
    int skip_unchanged;
    /* With skip_unchanged: what mpf_dfu_check_unchanged found for this plan
     * on this device in this session (one mpf_sector_action per
     * plan->erases[i]), so the flash does not read the sectors again.
     * Trusted as given: a sector marked unchanged that differs is left
     * unflashed. Since the flags do not say which blocks of a blank sector
     * already held their bytes, such a sector gets every block whose new
     * bytes are not all 0xFF (programming a byte with what it holds clears
     * no bit). NULL = check now. */
    const uint8_t *unchanged;
    /* If not NULL: receives the mpf_sector_action taken for each
     * plan->erases[i] once it is decided (before the first erase), so a
     * caller that let the flash do the check (unchanged NULL, which also
     * remembers which blocks of a blank sector were already right) can
     * still report what happened. Left as it is when nothing was decided. */
    uint8_t *actions;
    /* With skip_unchanged: a check of this plan made on this session
     * (mpf_dfu_check_flash), with nothing erased or written since (reading,
     * e.g. a backup of the sectors it erases, is fine; a check older than
     * an erase or write of the session is refused). The
     * flash takes its decisions and its record of what the chip holds
     * instead of reading again, so it erases exactly the sectors the check
     * said and, on write-once flash, still leaves programmed words alone.
     * Used instead of unchanged (both set: MPF_ERR_USAGE). NULL = none. */
    const struct mpf_flash_check *check;
} mpf_dfu_flash_options;


/* skip_unchanged on, unchanged NULL. */
void mpf_dfu_flash_options_default(mpf_dfu_flash_options *o);

/* mpf_dfu_flash with options; opt NULL = mpf_dfu_flash_options_default.
 * mpf_dfu_flash(d, p, err) is this with skip_unchanged off: every planned
 * sector is erased (a "full" flash).
 *
 * Both leave out the data blocks that are all 0xFF in a sector this flash
 * erases (or alt 0 of a mass erase): the erase has already put those bytes
 * there. The rest of a run keeps its one set-address and skips ahead by
 * wBlockNum; verify still reads the skipped bytes back. */
mpf_err mpf_dfu_flash_ex(mpf_dfu *d, const mpf_plan *plan, const mpf_dfu_flash_options *opt,
                         mpf_error *err);

/* For a dry run: read the planned sectors as skip-unchanged would, and set
 * unchanged[i] (one entry per plan->erases[i]) to the mpf_sector_action a
 * flash given these flags (mpf_dfu_flash_options.unchanged) takes there. It
 * keeps no record of the words already programmed, so on write-once flash a
 * sector holding some that the flash's own check would write on without an
 * erase is MPF_SECTOR_ERASE here: mpf_dfu_check_flash and mpf_dfu_forecast
 * give the flash's own decisions. Sends only
 * set-address, ABORT and UPLOAD (and CLRSTATUS after a refused read): flash
 * is not changed, but the address pointer is. A device that cannot be read
 * gives all MPF_SECTOR_ERASE and a log line, as the flash would then do
 * everything. */
mpf_err mpf_dfu_check_unchanged(mpf_dfu *d, const mpf_plan *plan, uint8_t *unchanged,
                                mpf_error *err);

/* What a flash with skip_unchanged would do and cost, for a dry run. */
typedef struct mpf_flash_forecast {
    int checked;           /* 1: the sectors were read (a plain DFU plan has none) and
                            * the figures below are the flash's; 0: the device cannot
                            * or will not be read, every sector is MPF_SECTOR_ERASE and
                            * estimated_us is the plan's, an upper bound */
    uint64_t read_us;      /* the reading the check takes (also part of estimated_us) */
    uint64_t estimated_us; /* the whole flash with these decisions: the reading, the
                            * erases kept, the blocks sent (on write-once flash, runs of
                            * words each from its own address), verify, leave; priced
                            * with the plan's chip profile's typical timing, the same
                            * model as plan->estimated_us */
} mpf_flash_forecast;

/* For a dry run: read the planned sectors exactly as mpf_dfu_flash_ex with
 * skip_unchanged (and unchanged NULL) would, set actions[i] (one per
 * plan->erases[i]) to the mpf_sector_action that flash would take, and
 * price that flash in *out. Unlike mpf_dfu_check_unchanged, a sector that
 * the flash would write without an erase around programmed words (which
 * only a flash that read them itself can do) is reported as such. Sends
 * only set-address, ABORT and UPLOAD (and CLRSTATUS after a refused read):
 * flash is not changed, the address pointer is. */
mpf_err mpf_dfu_forecast(mpf_dfu *d, const mpf_plan *plan, uint8_t *actions,
                         mpf_flash_forecast *out, mpf_error *err);

/* The flash's own skip check, kept: what mpf_dfu_flash_ex with
 * skip_unchanged would decide for each planned sector, together with what
 * it read of the chip, so that the decision can be shown or acted on (a
 * backup of exactly the sectors to be erased) before the flash takes it
 * (mpf_dfu_flash_options.check). Opaque; it refers to the plan and the
 * session, which must outlive it. */
typedef struct mpf_flash_check mpf_flash_check;

/* Read the planned sectors exactly as mpf_dfu_flash_ex with skip_unchanged
 * (and unchanged NULL) would, and keep the result in *out (free it with
 * mpf_flash_check_free; NULL on failure). Sends only set-address, ABORT and
 * UPLOAD (and CLRSTATUS after a refused read). A device that cannot or will
 * not be read gives every sector MPF_SECTOR_ERASE and a log line. */
mpf_err mpf_dfu_check_flash(mpf_dfu *d, const mpf_plan *plan, mpf_flash_check **out,
                            mpf_error *err);
/* One mpf_sector_action per plan->erases[i]; valid as long as the check. */
const uint8_t *mpf_flash_check_actions(const mpf_flash_check *c);
/* The flash these decisions make, priced (as mpf_dfu_forecast reports it). */
const mpf_flash_forecast *mpf_flash_check_forecast(const mpf_flash_check *c);
void mpf_flash_check_free(mpf_flash_check *c);

/* From the progress callback of a flash (mpf_dfu_flash_ex, DfuSe), once its
 * check has decided what to do with each sector: the time the rest of the
 * flash takes, its erases, writes, read-back and leave priced as the
 * decisions make them with the plan's chip profile's typical timing (the
 * model of plan->estimated_us and mpf_flash_forecast), less the part of
 * each phase already done. Returns 1 and sets *us then; 0 outside a flash,
 * before the decision and for plain DFU devices. */
int mpf_dfu_time_left_us(const mpf_dfu *d, uint64_t *us);

/* Read len bytes from address on an alt setting (DfuSe UPLOAD): set the
 * pointer, ABORT to dfuIDLE, UPLOAD blocks 2, 3, ... of the device's
 * wTransferSize, ABORT. Progress is reported as MPF_PHASE_READ. */
mpf_err mpf_dfu_read(mpf_dfu *d, uint8_t alt, uint32_t address, uint8_t *buf, size_t len,
                     mpf_error *err);

/* Read what chip's rules need from the device before a plan is built: the
 * STM32WB SFSA option byte (start of the radio stack) from the alt setting
 * showing the option bytes. Only reads. A device that cannot give it leaves
 * out->sfsa_known 0 and is not an error (logged; the plan then refuses the
 * profile's fallback area). */
mpf_err mpf_dfu_read_chip_facts(mpf_dfu *d, const mpf_chip *chip, mpf_chip_facts *out,
                                mpf_error *err);

/* Select alt 0 (the flash), set the address pointer explicitly, send the
 * zero-length DNLOAD and read the status (dfuMANIFEST). The device vanishing
 * is success: a STALL, I/O or no-device error on that GETSTATUS, or an I/O
 * or no-device error on the DNLOAD itself. A STALL of the DNLOAD is success
 * only if the GETSTATUS after it also fails that way or says dfuMANIFEST; a
 * device that answers dfuERROR refused to leave, and that is an error.
 * When the device has already left (mpf_dfu_has_left), it sends nothing and succeeds. */
mpf_err mpf_dfu_leave(mpf_dfu *d, uint32_t address, mpf_error *err);

/* ---- plain DFU 1.1 (bcdDFUVersion 0x0100/0x0101/0x0110) ----------------------
 * No addresses: a download is one stream from the device's first byte, sent
 * in wTransferSize DNLOADs numbered from 0 (wrapping at 65536), each followed
 * by GETSTATUS polls that wait bwPollTimeout; a zero-length DNLOAD then starts
 * manifestation. mpf_dfu_flash_ex runs a plan built for such a device (one
 * stream per alt setting, no erases: the device erases by itself) as: the
 * stream, its manifestation, a read-back when the plan verifies, and, when it
 * leaves, the USB reset (or DETACH, plan->final_detach). A device that
 * disappears during manifestation, reset or detach has done what was asked.
 * Verify needs bitCanUpload and a manifestation-tolerant device (the plan
 * drops it otherwise); a device that then returns 0 bytes could not be
 * verified: d->unverified says so, the flash still succeeds. */

/* UPLOAD blocks 0, 1, ... of wTransferSize on alt until a short frame, or
 * max bytes (0 = until the short frame). *out is malloc'd (free it), *len the
 * bytes read. Progress as MPF_PHASE_READ (total = max, or 0 when unbounded). */
mpf_err mpf_dfu_upload(mpf_dfu *d, uint8_t alt, size_t max, uint8_t **out, size_t *len,
                       mpf_error *err);

/* USB port reset: after a manifestation the device starts the new firmware
 * (DFU 1.1), and a device that vanishes during it is success; d->left is set
 * then. Without a manifestation the device stays in DFU mode. */
mpf_err mpf_dfu_reset(mpf_dfu *d, mpf_error *err);

/* DFU_DETACH to a device in DFU mode: Arduino's bootloaders restart on it
 * (dfu-util -Q/--final-detach of Arduino's fork). A device that vanishes is
 * success and d->left is set; one that stalls it does not take DETACH in DFU
 * mode (DFU 1.1 defines it for run-time mode only): MPF_ERR_USB_STALL. */
mpf_err mpf_dfu_detach(mpf_dfu *d, mpf_error *err);

/* DfuSe 0x41 alone: erase every sector of the alt setting's memory. */
mpf_err mpf_dfu_mass_erase(mpf_dfu *d, uint8_t alt, mpf_error *err);

/* DfuSe 0x41 + address: erase the sector holding address; sector_size only
 * chooses the timeout (0 = the largest STM32F4 sector, 128 KiB). */
mpf_err mpf_dfu_erase_sector(mpf_dfu *d, uint8_t alt, uint32_t address, uint32_t sector_size,
                             mpf_error *err);

/* DfuSe 0x92: erases all flash and resets the device. Only on explicit
 * request, never implied by another operation. The device vanishing while
 * it erases is success; mpf_dfu_has_left is then 1 and the device must be
 * opened again. */
mpf_err mpf_dfu_read_unprotect(mpf_dfu *d, mpf_error *err);

/* One GETSTATUS, decoded; no polling, no interpretation. */
mpf_err mpf_dfu_get_status(mpf_dfu *d, mpf_dfu_status_reply *out, mpf_error *err);

#ifdef __cplusplus
}
#endif
#endif
