/* The engine against the virtual device, as the tool would drive it: build
 * the plan from the enumeration info (no request), open, flash. Plus the
 * checks the integration tests share: memory, the request log. */
#ifndef MPFLASH_TEST_ENGINE_BOARD_H
#define MPFLASH_TEST_ENGINE_BOARD_H

#include <stddef.h>
#include <stdint.h>

#include "engine/dfu_session.h"
#include "engine_capture.h"
#include "mpflash/engine.h"
#include "mpflash/image.h"
#include "mpflash/plan.h"
#include "mpflash/sim.h"
#include "spy_transport.h"

/* MicroPython's internal filesystem on an F4: sectors 1..4. */
#define BOARD_FS_ADDR 0x08004000u
#define BOARD_FS_SIZE (0x08020000u - 0x08004000u)

typedef struct board {
    mpf_sim *sim;
    mpf_transport raw;  /* the sim's transport */
    spy spy;
    mpf_transport t;    /* the spied one the engine uses */
    capture cap;
    mpf_callbacks cb;
    mpf_dfu d;
    mpf_error err;
    mpf_plan plan;
    int has_plan;
} board;

/* A new virtual chip; aborts the test on failure. */
void board_new(board *b, const char *chip);
void board_free(board *b);

/* One test's board, its image (empty) and plan options (the defaults). */
typedef struct board_case {
    board b;
    mpf_image img;
    mpf_plan_options opt;
} board_case;

void board_case_open(board_case *c, const char *chip);
void board_case_close(board_case *c);
/* cmocka setup and teardown, so that a board is freed even when an
 * assertion stops its test half-way: *state names the chip, and the test
 * gets its board_case there. */
int board_case_setup(void **state);
int board_case_teardown(void **state);
/* A test on a fresh board of chip; the cast because cmocka's initial state
 * is not const. */
#define BOARD_TEST(chip, test) \
    cmocka_unit_test_prestate_setup_teardown(test, board_case_setup, board_case_teardown, \
                                             (void *)(chip))

/* Fill flash (outside what tests check) with a pattern so a skipped erase
 * shows, and the filesystem sectors with their own pattern. */
void board_fill(board *b, uint32_t address, size_t len, uint32_t seed);
/* 1 when [address, address+len) still holds board_fill(.., seed). */
int board_holds_fill(const board *b, uint32_t address, size_t len, uint32_t seed);
/* 1 when every byte of [address, address+len) reads 0xFF (erased). */
int board_reads_blank(const board *b, uint32_t address, size_t len);

/* Plan from the enumeration info (before any request), then open, as the
 * flashes below do; for tests that drive the engine themselves from there.
 * opt NULL = defaults; attrs_off as for board_flash_ex. */
mpf_err board_open(board *b, const mpf_image *img, const mpf_plan_options *opt,
                   uint8_t attrs_off);

/* Plan (before any request), open, flash. opt NULL = defaults. The plan is
 * kept in b->plan until the next run or board_free. */
mpf_err board_flash(board *b, const mpf_image *img, const mpf_plan_options *opt);

/* The same through mpf_dfu_flash_ex: skip = skip_unchanged; attrs_off
 * clears bmAttributes bits in what the plan and the engine are told about
 * the device. */
mpf_err board_flash_ex(board *b, const mpf_image *img, const mpf_plan_options *opt, int skip,
                       uint8_t attrs_off);

/* The device erased exactly these n sectors, in this order (its erase log). */
void board_assert_erased(const board *b, const uint32_t *sectors, size_t n);

/* 1 when every segment of img is in the device's memory byte for byte. */
int board_has_image(const board *b, const mpf_image *img);

/* Request log analysis from entry `from`. */
typedef struct board_log {
    size_t dfu_requests; /* everything but SET_INTERFACE / port reset */
    size_t by_op[MPF_SIM_OP_RESET + 1];
    size_t runs;             /* SET_ADDRESS directly followed by data blocks */
    size_t bad_block_shape;  /* data blocks not followed by exactly 2 GETSTATUS */
    size_t bad_block_number; /* blocks not numbered 2, 3, ... from their pointer */
} board_log;

void board_log_summary(const mpf_sim *sim, size_t from, board_log *out);
/* Index of the nth (1-based) logged request of op, or (size_t)-1; the same
 * as hostile_log_nth, under the name the engine tests know. */
size_t board_log_find(const mpf_sim *sim, mpf_sim_op op, unsigned nth);
/* How many requests of op the log holds. */
size_t board_ops(const board *b, mpf_sim_op op);
/* The nth (1-based) logged request of op; fails the test if there is none. */
const mpf_sim_request *board_nth(const board *b, mpf_sim_op op, unsigned nth);
/* Logged requests after index i that change flash or the address pointer
 * (hostile_log_changes_after). */
size_t board_log_flash_changes_after(const mpf_sim *sim, size_t i);
/* The logged requests from `from` on as words, GETSTATUS left out:
 * "abort", "clr", "alt:N", "addr:HEX", "erase:HEX", "mass", "up:N" and
 * "wr:N" (wBlockNum), "leave", "reset", "op:N" for anything else. Always
 * NUL-terminated; cut short (ending in "...") when out does not hold it. */
void board_log_words(const mpf_sim *sim, size_t from, char *out, size_t size);

#endif
