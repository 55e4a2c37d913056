/* mpflash — what the engine_*.c files share. Not installed, not API. */
#ifndef MPFLASH_ENGINE_INTERNAL_H
#define MPFLASH_ENGINE_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "engine/dfu_session.h"
#include "mpflash/engine.h"

#define ENG_PRINTF(f, a) MPF_PRINTF(f, a)

/* Room for "write of block 65535 at 0x08020000" and the like. */
#define ENG_WHAT_MAX 96

/* A device that says "busy, poll again in 0 ms" more than once is given a
 * growing pause instead of being hammered: 1, 2, 4 ... this many ms. */
#define ENG_ZERO_POLL_BACKOFF_MAX_MS 64u
/* Safety net for a clock that does not move: no operation polls more often. */
#define ENG_MAX_POLLS 10000u

/* ---- engine_log.c -------------------------------------------------------- */
void eng_log(mpf_dfu *d, mpf_log_level level, const char *fmt, ...) ENG_PRINTF(3, 4);
int eng_logging(const mpf_dfu *d);

/* Progress over a phase whose total is known up front. */
typedef struct eng_progress {
    mpf_phase phase;
    uint64_t done;
    uint64_t total;
} eng_progress;

void eng_progress_report(mpf_dfu *d, const eng_progress *p);
void eng_progress_step(mpf_dfu *d, eng_progress *p, uint64_t amount);

/* Append " (text)" style detail to an existing error message. */
void eng_error_append(mpf_error *err, const char *fmt, ...) ENG_PRINTF(2, 3);

/* ---- engine_requests.c: one request each, counted and traced -------------- */
/* Every request goes through these, and each first checks the cancel flag:
 * after mpf_dfu_cancel they fail with MPF_ERR_CANCELLED, sending nothing. */
mpf_err eng_dnload(mpf_dfu *d, uint16_t block, const uint8_t *data, uint16_t len,
                   mpf_error *err);
mpf_err eng_upload(mpf_dfu *d, uint16_t block, uint8_t *buf, uint16_t len, size_t *received,
                   mpf_error *err);
mpf_err eng_getstatus(mpf_dfu *d, unsigned timeout_ms, mpf_dfu_status_reply *out,
                      mpf_error *err);
mpf_err eng_clrstatus(mpf_dfu *d, mpf_error *err);
/* DFU_DETACH with wValue = timeout_ms (the device's wDetachTimeOut). */
mpf_err eng_detach(mpf_dfu *d, uint16_t timeout_ms, mpf_error *err);
/* USB port reset through the transport (not a DFU request: not counted). */
mpf_err eng_reset(mpf_dfu *d, mpf_error *err);
mpf_err eng_abort(mpf_dfu *d, mpf_error *err);
mpf_err eng_select_alt(mpf_dfu *d, uint8_t alt, mpf_error *err);
void eng_sleep(mpf_dfu *d, uint32_t ms);
uint64_t eng_now_us(mpf_dfu *d);

/* ---- engine_status.c: decoding, errors, the poll loop --------------------- */
void eng_decode_status(const uint8_t raw[6], mpf_dfu_status_reply *out);

/* The device reported a bad status: "<what> failed: errERASE (dfuERROR)...",
 * with the device's own words when its iString names some. */
mpf_err eng_status_error(mpf_dfu *d, mpf_error *err, const char *what,
                         const mpf_dfu_status_reply *st);

/* ---- engine_reason.c: what devices say, and the quirks of known ROMs ------ */
/* Append `; the device says "..."` from the string descriptor index (0 =
 * none; an unreadable one is left out). */
void eng_append_device_words(mpf_dfu *d, uint8_t index, mpf_error *err);
/* mboot only: why it refuses (its own region), as advice. */
void eng_append_mboot_advice(mpf_dfu *d, mpf_error *err);
/* MicroPython's mboot (mpf_chip_is_mboot: manufacturer or bcdDevice 0x0300). */
int eng_is_mboot(const mpf_dfu *d);
/* After a stalled request: advice where a known ROM quirk explains it. */
void eng_append_stall_advice(mpf_dfu *d, uint8_t request, const mpf_dfu_status_reply *st,
                             mpf_error *err);
/* Erase and wait, recovering a ROM that stays dfuDNBUSY after the erase's
 * worst-case time (STM32H743 rev V) with two CLRSTATUS. */
mpf_err eng_erase_command(mpf_dfu *d, const uint8_t *cmd, uint16_t len, const char *what,
                          uint32_t limit_ms, mpf_error *err);

/* A request of `what` failed with a transport error: keep the code, put the
 * operation in front. After a STALL of anything but GETSTATUS, one GETSTATUS
 * asks the device why, and the answer is added to the message. */
mpf_err eng_request_failed(mpf_dfu *d, mpf_err code, const char *what, uint8_t request,
                           mpf_error *err);
/* The same; *asked is 1 when that GETSTATUS was answered, and *st holds it. */
mpf_err eng_request_failed_status(mpf_dfu *d, mpf_err code, const char *what, uint8_t request,
                                  mpf_dfu_status_reply *st, int *asked, mpf_error *err);

/* GETSTATUS until the device is no longer busy (dfuDNBUSY / dfuDNLOAD-SYNC),
 * sleeping bwPollTimeout between polls. limit_ms is the request timeout of
 * each GETSTATUS and the cap on bwPollTimeout; 2 x limit_ms of busy time is
 * a protocol error. A bad status is MPF_ERR_DEVICE_STATUS. */
mpf_err eng_wait(mpf_dfu *d, const char *what, uint32_t limit_ms, mpf_dfu_status_reply *last,
                 mpf_error *err);
/* The same, taking `first` as the reply to the first poll (already sent). */
mpf_err eng_wait_from(mpf_dfu *d, const char *what, uint32_t limit_ms,
                      const mpf_dfu_status_reply *first, mpf_dfu_status_reply *last,
                      mpf_error *err);
/* The same loop for other waits: busy(state) says when to poll again. */
mpf_err eng_wait_while(mpf_dfu *d, const char *what, uint32_t limit_ms,
                       const mpf_dfu_status_reply *first, int (*still_busy)(uint8_t state),
                       mpf_dfu_status_reply *last, mpf_error *err);
/* eng_wait_from, and also: a device that still says busy after stuck_ms (0 =
 * never) although it named a bwPollTimeout is MPF_ERR_PROTOCOL at once, with
 * *stuck set (may be NULL): it is stuck, not slow (STM32H743 rev V). */
mpf_err eng_wait_stuck(mpf_dfu *d, const char *what, uint32_t limit_ms, uint32_t stuck_ms,
                       const mpf_dfu_status_reply *first, mpf_dfu_status_reply *last,
                       int *stuck, mpf_error *err);
mpf_err eng_require_dnload_idle(const char *what, const mpf_dfu_status_reply *st, mpf_error *err);
/* eng_wait, then require dfuDNLOAD-IDLE. */
mpf_err eng_wait_dnload_idle(mpf_dfu *d, const char *what, uint32_t limit_ms, mpf_error *err);

/* ---- engine_dfuse.c ---------------------------------------------------------- */
/* The device is open and has not left DFU mode (after a leave or a
 * read-unprotect it is gone: mpf_dfu_open it again). */
mpf_err eng_require_open(const mpf_dfu *d, const char *what, mpf_error *err);
mpf_err eng_require_dfuse(const mpf_dfu *d, const char *what, mpf_error *err);
mpf_err eng_use_alt(mpf_dfu *d, uint8_t alt, mpf_error *err);
mpf_err eng_set_address(mpf_dfu *d, uint32_t address, mpf_error *err);

/* ---- engine_map.c: what a flash does with each sector and block ---------- */
typedef struct eng_map {
    const mpf_plan *plan;
    const uint8_t *action; /* per plan erase: mpf_sector_action; NULL = erase them all */
    /* Per block the check read (wTransferSize from each sector's start,
     * sector i's first at first[i]): 1 = it already held its new bytes.
     * NULL = not known, every block of a blank sector is taken as 0xFF. */
    uint8_t *done;
    size_t *first;
    uint32_t chunk;
    /* Write-once (ECC) flash only: what the check read, chunk bytes per
     * block as done[] counts them, so the write knows which flash words are
     * programmed already and must not be sent again. NULL otherwise. */
    uint8_t *chip;
    /* Set by the check: some sectors could not be read (the device cannot
     * upload, or refused a read) and are MPF_SECTOR_ERASE unread. */
    int unread;
} eng_map;

/* The flash word of a write-once (ECC) profile, 0 when words may be
 * programmed again (F2/F4/F7) or the plan has no profile. */
uint32_t eng_write_once_word(const mpf_plan *p);

/* Room for done[] (chunk bytes per entry) over every planned sector. */
mpf_err eng_map_alloc_done(eng_map *m, uint32_t chunk, mpf_error *err);
void eng_map_free_done(eng_map *m);

typedef enum eng_fate {
    ENG_SEND = 0,   /* the block goes to the device */
    ENG_SKIP_BLANK, /* nothing to program, and it reaches into a sector this flash
                     * erases, whose 0xFF the erase wrote: verified */
    ENG_SKIP_KEPT   /* only bytes the chip already held, in sectors not erased:
                     * nothing to do, nothing to verify */
} eng_fate;

eng_fate eng_block_fate(const eng_map *m, uint8_t alt, uint32_t address, const uint8_t *data,
                        size_t len);
/* Index of the planned erase of alt that holds address, or -1. */
long eng_plan_sector(const mpf_plan *p, uint8_t alt, uint32_t address);
/* What a full flash leaves in [address, address + len) of alt: the plan's
 * data where it writes, 0xFF elsewhere. */
void eng_expected_bytes(const mpf_plan *p, uint8_t alt, uint32_t address, uint8_t *out,
                        size_t len);
int eng_all_ff(const uint8_t *data, size_t len);
/* Programming want over now leaves want without an erase: every byte is
 * want already or still 0xFF (F4 programming only clears bits, and writing
 * a byte's own value again clears none). */
int eng_writable_over(const uint8_t *now, const uint8_t *want, size_t len);
/* The same on write-once flash (address is where now[0] sits): every flash
 * word is right already or still erased, since a programmed word takes no
 * second program. word 0 = eng_writable_over. */
int eng_writable_words(const uint8_t *now, const uint8_t *want, size_t len, uint32_t address,
                       uint32_t word);
/* Write-once flash: the next run of flash words from *off on (address is
 * where now[0] sits) whose bytes in now differ from want, up to the next
 * word that does not: [*off, *stop). 0 when no word from *off on changes.
 * Such a run goes to the device on its own, so the programmed words around
 * it are not programmed again. */
int eng_next_word_run(const uint8_t *now, const uint8_t *want, uint32_t n, uint32_t address,
                      uint32_t word, uint32_t *off, uint32_t *stop);
/* What [address, address + len) of alt holds once this flash has erased
 * what it erases: 0xFF in erased sectors, the new bytes in unchanged ones,
 * what the check read in the others (0xFF where it was not read). */
void eng_chip_now(const eng_map *m, uint8_t alt, uint32_t address, uint8_t *out, size_t len);

/* ---- engine_cost.c: blocks priced with the plan's cost model ---------------- */
/* want (n bytes) after its sector was erased: nothing when it is all 0xFF,
 * else one data block (and its read-back when the plan verifies). */
uint64_t eng_cost_erased_block_us(const mpf_plan *p, const uint8_t *want, uint32_t n);
/* want programmed over now (at address) without an erase, as the write
 * sends it: the whole block, or on write-once flash holding programmed
 * words there, each run of words that changes from its own address. now
 * must be writable into want (eng_writable_words) and differ from it. */
uint64_t eng_cost_unerased_block_us(const mpf_plan *p, const uint8_t *now, const uint8_t *want,
                                    uint32_t address, uint32_t n);

/* A flash's modelled time by phase. */
typedef struct eng_flash_cost {
    uint64_t erase_us, write_us, verify_us, leave_us;
} eng_flash_cost;

/* The flash m stands for, after its check: the erases its actions keep,
 * the blocks the write sends (word runs included), their read-back when
 * the plan verifies, the leave; the sum, and by phase in *parts (may be
 * NULL). now: room for block_size bytes. */
uint64_t eng_cost_flash_us(const eng_map *m, uint16_t block_size, uint8_t *now,
                           eng_flash_cost *parts);

/* A DfuSe flash under way, from its check's decision on: each phase's
 * modelled time and progress, for mpf_dfu_time_left_us (d->eta). */
typedef struct eng_eta {
    eng_flash_cost cost;
    const eng_progress *erase, *write, *verify;
    int leaves; /* the plan ends with a leave */
} eng_eta;

/* ---- engine_forecast.c: the skip check kept for a flash (mpf_flash_check) -- */
/* The check's decisions and record, lent to a flash of plan on d: m gets
 * the record (its buffers stay the check's), action the decisions. */
mpf_err eng_check_lend(const mpf_flash_check *c, const mpf_dfu *d, const mpf_plan *plan,
                       eng_map *m, uint8_t *action, mpf_error *err);

/* ---- engine_write.c ---------------------------------------------------------- */
/* One contiguous run, block_size bytes per DNLOAD, the blocks m does not send
 * left out (wBlockNum skips ahead over them). When block_size is not the
 * device's wTransferSize the device would place wBlockNum n at the wrong
 * address, so every block then gets its own set-address and wBlockNum 2. */
mpf_err eng_write_run(mpf_dfu *d, const eng_map *m, const mpf_plan_write *w, uint16_t block_size,
                      eng_progress *progress, mpf_error *err);

/* One data block: DNLOAD, then GETSTATUS until dfuDNLOAD-IDLE; progress. */
mpf_err eng_send_block(mpf_dfu *d, const char *what, uint16_t block, const uint8_t *data, uint16_t n,
                       eng_progress *progress, mpf_error *err);

/* ---- engine_read.c ----------------------------------------------------------- */
/* Reads wTransferSize-sized pieces through one address pointer for as long
 * as the addresses line up with it: any block from the pointer on is one
 * UPLOAD with its own wBlockNum, in any order. */
typedef struct eng_reader {
    mpf_dfu *d;
    uint8_t *buf;
    uint32_t pointer;
    uint16_t stride; /* the device's bytes per UPLOAD block; 0 = point at every block */
    int pointed;   /* the pointer is ours: blocks can be addressed from it */
    int uploading; /* in dfuUPLOAD-IDLE: ABORT before the next DNLOAD */
    int refused;   /* an UPLOAD was refused: dfuERROR with refused_status */
    int asked;     /* mboot: the status after the first UPLOAD has been read */
    uint8_t refused_status;
} eng_reader;

/* Checks the device can upload, selects alt, allocates. */
mpf_err eng_reader_open(eng_reader *r, mpf_dfu *d, uint8_t alt, mpf_error *err);
/* len <= wTransferSize bytes at address; *data is valid until the next call. */
mpf_err eng_reader_get(eng_reader *r, uint32_t address, uint16_t len, const uint8_t **data,
                       mpf_error *err);
/* Back to dfuIDLE with no pointer: the next read sets its own. */
mpf_err eng_reader_rewind(eng_reader *r, mpf_error *err);
/* Rewind and free. */
mpf_err eng_reader_close(eng_reader *r, mpf_error *err);
/* Free only (after an error: nothing more is sent). */
void eng_reader_free(eng_reader *r);

/* Receives each uploaded block in order; an error stops the read. */
typedef mpf_err (*eng_sink)(void *ctx, uint32_t address, const uint8_t *data, size_t len,
                            mpf_error *err);
mpf_err eng_read_range(mpf_dfu *d, uint8_t alt, uint32_t address, size_t len, eng_sink sink,
                       void *ctx, eng_progress *progress, mpf_error *err);
/* Read back what a run left on the device, but the blocks m leaves alone;
 * the run gets its own pointer. */
mpf_err eng_verify_run(eng_reader *r, const eng_map *m, const mpf_plan_write *w,
                       eng_progress *progress, mpf_error *err);

/* ---- engine_plain.c: plain DFU 1.1 ------------------------------------------ */
/* Run a plan built for a plain device (plan->plain). */
mpf_err eng_plain_flash(mpf_dfu *d, const mpf_plan *plan, mpf_error *err);
/* engine_plain_upload.c: UPLOAD from block 0 of alt (selected) until a short
 * frame or max bytes (0 = unbounded), into *buf (grown with realloc, *cap its
 * size); ABORTs an unfinished upload. */
mpf_err eng_plain_upload(mpf_dfu *d, size_t max, uint8_t **buf, size_t *cap, size_t *len,
                         eng_progress *progress, mpf_error *err);
/* Read back what a stream wrote and compare; a device that returns nothing
 * sets d->unverified. */
mpf_err eng_plain_verify(mpf_dfu *d, const mpf_plan_write *w, eng_progress *progress, mpf_error *err);

/* ---- engine_skip.c: skip-unchanged ------------------------------------------- */
/* action[i] = what a flash must do with plan->erases[i] (mpf_sector_action).
 * Reads every checkable sector up to its first block that is neither right
 * already nor all 0xFF; a device that cannot or will not be read leaves the
 * rest at MPF_SECTOR_ERASE (logged). With found non-NULL (and its done[]
 * allocated), the blocks that were right already are marked there. */
mpf_err eng_check_sectors(mpf_dfu *d, const mpf_plan *p, uint8_t *action, eng_map *found,
                          mpf_error *err);

#endif
