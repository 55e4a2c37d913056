/* Checks shared by the "nothing lost, nothing bricked" tests (fault matrix,
 * soak, hostile files and devices, filesystem): what a clean error looks
 * like, where a fault landed in the virtual device's request log, and
 * whether flash outside what a plan may erase is still what it was. */
#ifndef MPFLASH_TEST_HOSTILE_CHECKS_H
#define MPFLASH_TEST_HOSTILE_CHECKS_H

#include <stddef.h>
#include <stdint.h>

#include "mpflash/error.h"
#include "mpflash/plan.h"
#include "mpflash/sim.h"

/* A clean error: err->code == rc, a non-empty message of one line (no CR or
 * LF), not cut (shorter than the buffer, no "…" cut mark at its end). Returns 1 when clean;
 * otherwise writes why into why[why_size]. */
int hostile_error_is_clean(const mpf_error *err, mpf_err rc, char *why, size_t why_size);

/* cmocka: fail with the context unless the error is clean and of code want
 * and its message contains every needle (NULL-terminated list). */
void hostile_assert_error(const char *context, const mpf_error *err, mpf_err rc, mpf_err want,
                          const char *const *needles);

/* Index in the request log of the nth (1-based) request a fault on op
 * counts (MPF_SIM_OP_ANY: every logged request), or (size_t)-1. */
size_t hostile_log_nth(const mpf_sim *sim, mpf_sim_op op, unsigned nth);
/* Requests of op in the log (MPF_SIM_OP_ANY: all). */
size_t hostile_log_count(const mpf_sim *sim, mpf_sim_op op);
/* Logged requests after index i that change flash or where it jumps to:
 * set-address, erase, mass erase, read-unprotect, write, leave. */
size_t hostile_log_changes_after(const mpf_sim *sim, size_t i);

/* Print the device's request log (and erase log) on stdout, "# " first:
 * for the message of a failing test. */
void hostile_dump_log(const mpf_sim *sim);

/* The whole of alt 0's flash: base address and size of the chip. */
typedef struct hostile_flash {
    uint32_t base;
    size_t size;
    uint8_t *bytes; /* malloc'd copy */
} hostile_flash;

/* Snapshot [base, base + size) of the device (aborts the test on failure). */
void hostile_snapshot(const mpf_sim *sim, uint32_t base, size_t size, hostile_flash *out);
void hostile_snapshot_free(hostile_flash *f);

/* Every byte of the snapshot's range outside the sectors the device has
 * erased (its erase log; sector sizes from the layout string) still holds
 * the snapshot's value: nothing was written where nothing was erased, and
 * no sector vanished without a trace. Returns 1 when so; else 0 and the
 * first changed address in *where. */
int hostile_unchanged_outside_erased(const mpf_sim *sim, const char *layout,
                                     const hostile_flash *before, uint32_t *where);
/* The same, but a byte that now holds what img (alt 0) puts there passes
 * too: for a session after a failed one, whose stored command may run
 * late (see test_filesystem_survives.c). */
int hostile_unchanged_outside_erased_or_image(const mpf_sim *sim, const char *layout,
                                              const hostile_flash *before, const mpf_image *img,
                                              uint32_t *where);

/* Sectors the device erased (its erase log) are all sectors of the plan
 * (alt 0), each at most once unless allow_repeats. Returns 1 when so; else
 * 0 and the stray sector in *where. */
int hostile_erases_within_plan(const mpf_sim *sim, const mpf_plan *plan, int allow_repeats,
                               uint32_t *where);
/* Erases the device performed that repeat an earlier one in its log. */
size_t hostile_repeated_erases(const mpf_sim *sim);

/* Fill alt 0 flash with a pattern that marks every sector: the first and
 * last 256 bytes of each 16 KiB stretch, from seed (the rest stays as it
 * is). Cheap enough for a soak, and any erase or stray write shows. */
void hostile_mark_flash(mpf_sim *sim, uint32_t base, size_t size, uint32_t seed);

#endif
