/* A test transport that replays a script: each step is the request the
 * engine must send next (request, wBlockNum, payload) and the reply or error
 * it gets. Anything else is recorded as the first problem and answered with
 * MPF_ERR_INTERNAL, so a test can assert an exact request sequence without
 * the virtual device. Time is virtual: sleep_ms advances the clock, and a
 * step may say the device held the request for a while. */
#ifndef MPFLASH_TEST_SCRIPTED_TRANSPORT_H
#define MPFLASH_TEST_SCRIPTED_TRANSPORT_H

#include <stddef.h>
#include <stdint.h>

#include "mpflash/transport.h"

typedef struct scripted scripted;

/* A DfuSe device (bcdDFUVersion 0x011A, canDnload|canUpload|willDetach) with
 * this wTransferSize on interface 0. Aborts the test program on no memory. */
scripted *scripted_new(uint16_t transfer_size);
void scripted_free(scripted *s);

/* The transport; its info may be edited before use. */
void scripted_transport(scripted *s, mpf_transport *out);

/* ---- the script, in order ------------------------------------------------ */
void scripted_expect_out(scripted *s, uint8_t request, uint16_t value, const uint8_t *data,
                         uint16_t length);
/* An IN request of exactly `length`; the device answers with reply_len bytes. */
void scripted_expect_in(scripted *s, uint8_t request, uint16_t value, uint16_t length,
                        const uint8_t *reply, size_t reply_len);
void scripted_expect_select_alt(scripted *s, uint8_t alt);

void scripted_expect_getstatus(scripted *s, uint8_t status, uint32_t poll_ms, uint8_t state);
void scripted_expect_clrstatus(scripted *s);
void scripted_expect_abort(scripted *s);
void scripted_expect_set_address(scripted *s, uint32_t address);
void scripted_expect_erase(scripted *s, uint32_t address);
void scripted_expect_mass_erase(scripted *s);
void scripted_expect_dnload(scripted *s, uint16_t block, const uint8_t *data, uint16_t length);
void scripted_expect_upload(scripted *s, uint16_t block, uint16_t length, const uint8_t *reply,
                            size_t reply_len);

/* A DfuSe command or data block as the ST bootloader answers it: the DNLOAD,
 * GETSTATUS (dfuDNBUSY, poll_ms), GETSTATUS (dfuDNLOAD-IDLE). */
void scripted_expect_busy_idle(scripted *s, uint32_t poll_ms);

/* Modify the step added last: it matches, but the transport returns `code`. */
void scripted_then_fail(scripted *s, mpf_err code);
/* Modify the step added last: the device holds the request this long. */
void scripted_then_take_ms(scripted *s, uint32_t ms);

/* ---- afterwards ----------------------------------------------------------- */
/* 1 when every request matched and every step was used. */
int scripted_ok(const scripted *s);
/* The first problem, or "" when scripted_ok. */
const char *scripted_problem(scripted *s);
size_t scripted_steps(const scripted *s);
size_t scripted_used(const scripted *s);
/* The timeout the engine gave the i-th step's request (0 for select_alt). */
unsigned scripted_timeout_at(const scripted *s, size_t i);
size_t scripted_sleep_count(const scripted *s);
uint32_t scripted_sleep_at(const scripted *s, size_t i);
uint64_t scripted_slept_ms(const scripted *s);
uint64_t scripted_clock_us(const scripted *s);

/* cmocka assertion that the script ran to its end with no problem. */
#define assert_script_complete(s)                                                                \
    do {                                                                                         \
        if (!scripted_ok(s))                                                                     \
            fail_msg("script: %s", scripted_problem(s));                                         \
    } while (0)

#endif
