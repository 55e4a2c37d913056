/* mpf_sleep_until (src/platform/sleep_until.c), the precise sleep under the
 * Windows host clock, with a fixed tail and with a learnt one
 * (mpf_sleep_tail), on a virtual clock: an OS timer that wakes late (or
 * early) by a set amount, and a pause that takes a set time. Checks where
 * the sleep ends, what the timer was asked, and how long it spun (the CPU
 * it burns). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "platform/clock.h"

#define TAIL_US 1200u
#define PAUSE_US 7u
#define MAX_TIMER_CALLS 4

typedef struct vclock {
    uint64_t now;
    int64_t late_us[MAX_TIMER_CALLS]; /* the nth timer wait's lateness (negative: early) */
    unsigned timer_calls, pauses;
    uint64_t asked[MAX_TIMER_CALLS];
} vclock;

static uint64_t v_now(void *ctx)
{
    return ((vclock *)ctx)->now;
}

static void v_timer(void *ctx, uint64_t us)
{
    vclock *c = ctx;
    assert_true(c->timer_calls < MAX_TIMER_CALLS);
    c->asked[c->timer_calls] = us;
    c->now += (uint64_t)((int64_t)us + c->late_us[c->timer_calls]);
    c->timer_calls++;
}

static void v_pause(void *ctx)
{
    vclock *c = ctx;
    c->now += PAUSE_US;
    c->pauses++;
}

static uint32_t sleep_on(vclock *c, uint64_t us)
{
    const mpf_sleep_parts parts = {v_now, v_timer, v_pause, c, TAIL_US};
    return mpf_sleep_until(&parts, NULL, c->now + us);
}

/* The timer takes all but the tail; the spin ends on the first clock
 * reading at or after the deadline. */
static void test_timer_then_spin(void **state)
{
    (void)state;
    vclock c = {.now = 1000000, .late_us = {600}};
    const uint32_t pauses = sleep_on(&c, 5000);
    assert_int_equal(c.timer_calls, 1);
    assert_int_equal(c.asked[0], 5000 - TAIL_US);
    /* 600 us of the tail were left after the timer: 86 pauses of 7 us. */
    assert_int_equal(pauses, 86);
    assert_int_equal(c.pauses, 86);
    assert_int_equal(c.now, 1000000 + 5000 + 2);
}

static void test_timer_as_late_as_the_tail_needs_no_spin(void **state)
{
    (void)state;
    vclock c = {.now = 50, .late_us = {TAIL_US}};
    assert_int_equal(sleep_on(&c, 10000), 0);
    assert_int_equal(c.timer_calls, 1);
    assert_int_equal(c.now, 50 + 10000);
}

/* A timer later than the tail makes the sleep late by the difference; it
 * does not spin. */
static void test_timer_later_than_the_tail(void **state)
{
    (void)state;
    vclock c = {.now = 0, .late_us = {TAIL_US + 300}};
    assert_int_equal(sleep_on(&c, 2000), 0);
    assert_int_equal(c.timer_calls, 1);
    assert_int_equal(c.asked[0], 2000 - TAIL_US);
    assert_int_equal(c.now, 2300);
}

/* A sleep no longer than the tail only spins: the timer could wake after
 * its deadline. */
static void test_short_sleep_only_spins(void **state)
{
    (void)state;
    vclock c = {.now = 7};
    assert_int_equal(sleep_on(&c, TAIL_US), (TAIL_US + PAUSE_US - 1) / PAUSE_US);
    assert_int_equal(c.timer_calls, 0);
    assert_true(c.now >= 7 + TAIL_US && c.now < 7 + TAIL_US + PAUSE_US);
}

/* A timer that wakes early is waited on again for what is left above the
 * tail, so the spin still takes no more than the tail. */
static void test_early_timer_is_waited_again(void **state)
{
    (void)state;
    vclock c = {.now = 0, .late_us = {-2000, 500}};
    const uint32_t pauses = sleep_on(&c, 8000);
    assert_int_equal(c.timer_calls, 2);
    assert_int_equal(c.asked[0], 8000 - TAIL_US);
    assert_int_equal(c.asked[1], 2000);
    assert_int_equal(pauses, (TAIL_US - 500 + PAUSE_US - 1) / PAUSE_US);
    assert_true(c.now >= 8000 && c.now < 8000 + PAUSE_US);
}

static void test_deadline_passed_does_nothing(void **state)
{
    (void)state;
    vclock c = {.now = 9000};
    const mpf_sleep_parts parts = {v_now, v_timer, v_pause, &c, TAIL_US};
    assert_int_equal(mpf_sleep_until(&parts, NULL, 9000), 0);
    assert_int_equal(mpf_sleep_until(&parts, NULL, 100), 0);
    assert_int_equal(c.timer_calls, 0);
    assert_int_equal(c.now, 9000);
}

/* Over the DFU poll lengths (1-25 ms, and odd microseconds) and a timer
 * anywhere from exact to as late as the tail: the sleep ends within one
 * pause of its deadline, and spins no longer than the tail less the timer's
 * lateness (the whole sleep when it is shorter than the tail). */
static void test_ends_on_deadline_and_spins_only_the_tail(void **state)
{
    (void)state;
    static const uint64_t asked[] = {1, 999, 1000, 1201, 2000, 4500, 5000, 9001, 10000, 25000};
    static const int64_t late[] = {0, 1, 300, 600, 999, TAIL_US};
    for (size_t i = 0; i < sizeof asked / sizeof *asked; i++) {
        for (size_t k = 0; k < sizeof late / sizeof *late; k++) {
            vclock c = {.now = 123456, .late_us = {late[k]}};
            const uint64_t deadline = c.now + asked[i];
            sleep_on(&c, asked[i]);
            assert_true(c.now >= deadline);
            assert_true(c.now < deadline + PAUSE_US);
            const uint64_t spun = (uint64_t)c.pauses * PAUSE_US;
            const uint64_t allowed = asked[i] <= TAIL_US ? asked[i] : TAIL_US - (uint64_t)late[k];
            assert_true(spun < allowed + PAUSE_US);
            assert_int_equal(c.timer_calls, asked[i] > TAIL_US ? 1 : 0);
        }
    }
}

/* ---- the learnt tail ------------------------------------------------------ */

/* A host whose timer always wakes late_us late, and whose spin loses the CPU
 * for preempt_us on its first pause (a contended machine). */
typedef struct vhost {
    uint64_t now, late_us, preempt_us;
    uint64_t last_asked; /* the last timer wait asked, this sleep */
    unsigned timer_calls, pauses; /* this sleep */
} vhost;

static uint64_t h_now(void *ctx)
{
    return ((vhost *)ctx)->now;
}

static void h_timer(void *ctx, uint64_t us)
{
    vhost *h = ctx;
    h->last_asked = us;
    h->now += us + h->late_us;
    h->timer_calls++;
}

static void h_pause(void *ctx)
{
    vhost *h = ctx;
    h->now += PAUSE_US + (h->pauses == 0 ? h->preempt_us : 0);
    h->pauses++;
}

/* One sleep of us through t; returns how late it ended. */
static uint64_t sleep_learnt(vhost *h, mpf_sleep_tail *t, uint64_t us)
{
    const mpf_sleep_parts parts = {h_now, h_timer, h_pause, h, TAIL_US};
    const uint64_t deadline = h->now + us;
    h->timer_calls = h->pauses = 0;
    h->last_asked = 0;
    const uint32_t pauses = mpf_sleep_until(&parts, t, deadline);
    assert_int_equal(pauses, h->pauses);
    assert_true(h->now >= deadline);
    return h->now - deadline;
}

/* Before it has seen the timer, the learnt tail is the fixed one. */
static void test_learnt_tail_starts_as_the_fixed_one(void **state)
{
    (void)state;
    vhost h = {.now = 1000, .late_us = 600};
    mpf_sleep_tail t;
    mpf_sleep_tail_init(&t);
    assert_true(sleep_learnt(&h, &t, 5000) < PAUSE_US);
    assert_int_equal(h.last_asked, 5000 - TAIL_US);
    assert_int_equal(h.pauses, (TAIL_US - 600 + PAUSE_US - 1) / PAUSE_US);
}

/* A timer 20 us late: the tail shrinks to the lateness and a small margin,
 * so the spin (the CPU burnt) falls from ~1.2 ms to a few tens of us, and
 * every sleep still ends on its deadline. */
static void test_precise_timer_shrinks_the_spin(void **state)
{
    (void)state;
    vhost h = {.now = 0, .late_us = 20};
    mpf_sleep_tail t;
    mpf_sleep_tail_init(&t);
    unsigned first = 0, last_total = 0;
    for (int i = 0; i < 400; i++) {
        assert_true(sleep_learnt(&h, &t, 5000) < PAUSE_US);
        assert_int_equal(h.timer_calls, 1);
        if (i == 0)
            first = h.pauses;
        if (i >= 300) {
            /* The estimate settles between 20 - 4 and 20 us. */
            assert_true(h.pauses * PAUSE_US <= 50 + PAUSE_US);
            last_total += h.pauses;
        }
    }
    assert_int_equal(first, (TAIL_US - 20 + PAUSE_US - 1) / PAUSE_US);
    assert_true(t.late_us >= 20 - 4 && t.late_us <= 20);
    /* Far below the fixed tail's 169 pauses a sleep. */
    assert_true(last_total <= 100 * 8);
}

/* The timer turns late (a loaded machine): the tail grows at once to cover
 * it, and stops at the cap, beyond which the sleep is late
 * by the difference rather than spinning longer. */
static void test_late_timer_grows_the_tail_up_to_the_cap(void **state)
{
    (void)state;
    vhost h = {.now = 0, .late_us = 10};
    mpf_sleep_tail t;
    mpf_sleep_tail_init(&t);
    for (int i = 0; i < 300; i++)
        sleep_learnt(&h, &t, 9000);
    assert_true(t.late_us < 200);

    h.late_us = 900;
    /* The first late wake finds the short tail; the estimate then jumps to
     * it, and the next sleeps end on their deadline, spinning only the
     * margin above the 900 us. */
    assert_true(sleep_learnt(&h, &t, 9000) > 900 - 200 - 50);
    assert_int_equal(h.pauses, 0);
    assert_int_equal(t.late_us, 900);
    for (int i = 0; i < 12; i++) {
        assert_true(sleep_learnt(&h, &t, 9000) < PAUSE_US);
        assert_true(h.pauses > 0);
        assert_true(h.pauses * PAUSE_US <= 50 + PAUSE_US);
    }

    h.late_us = 2000;
    for (int i = 0; i < 10; i++)
        sleep_learnt(&h, &t, 9000);
    assert_int_equal(t.late_us, TAIL_US);
    assert_int_equal(sleep_learnt(&h, &t, 9000), 2000 - TAIL_US);
    assert_int_equal(h.pauses, 0);
    assert_int_equal(h.last_asked, 9000 - TAIL_US);
}

/* A timer more than twice the longest tail late means the thread waited
 * for a CPU: the sleeper holds off spinning for 8 sleeps, as after a
 * preempted spin, and comes back when the timer is on time again. */
static void test_very_late_timer_holds_off_spinning(void **state)
{
    (void)state;
    vhost h = {.now = 0, .late_us = 300};
    mpf_sleep_tail t;
    mpf_sleep_tail_init(&t);
    assert_true(sleep_learnt(&h, &t, 5000) < PAUSE_US);
    assert_true(h.pauses > 0);
    h.late_us = 2 * TAIL_US + 1;
    assert_int_equal(sleep_learnt(&h, &t, 5000), 2 * TAIL_US + 1 - TAIL_US);
    h.late_us = 300;
    for (int i = 0; i < 8; i++) {
        assert_int_equal(sleep_learnt(&h, &t, 5000), 300);
        assert_int_equal(h.pauses, 0);
        assert_int_equal(h.last_asked, 5000);
    }
    assert_true(sleep_learnt(&h, &t, 5000) < PAUSE_US);
    assert_true(h.pauses > 0);
    /* Exactly twice the tail is not yet contention. */
    h.late_us = 2 * TAIL_US;
    sleep_learnt(&h, &t, 5000);
    h.late_us = 300;
    sleep_learnt(&h, &t, 5000);
    assert_true(h.pauses > 0);
}

/* Spins that lose the CPU (the CPU is gone 4 ms in the middle of a spin) make
 * the sleeper timer-only for 8 sleeps, then 16 after the next preempted
 * try; clean spins come back when the CPU is free again. */
static void test_preempted_spins_fall_back_to_the_timer(void **state)
{
    (void)state;
    vhost h = {.now = 0, .late_us = 300, .preempt_us = 4000};
    mpf_sleep_tail t;
    mpf_sleep_tail_init(&t);
    assert_true(sleep_learnt(&h, &t, 5000) > 2000);
    assert_true(h.pauses > 0);
    for (int i = 0; i < 8; i++) {
        /* The timer alone, asked the whole sleep: late by its lateness. */
        assert_int_equal(sleep_learnt(&h, &t, 5000), 300);
        assert_int_equal(h.pauses, 0);
        assert_int_equal(h.last_asked, 5000);
    }
    assert_true(sleep_learnt(&h, &t, 5000) > 2000); /* tried again: preempted */
    for (int i = 0; i < 16; i++) {
        assert_int_equal(sleep_learnt(&h, &t, 5000), 300);
        assert_int_equal(h.pauses, 0);
    }
    h.preempt_us = 0;
    assert_true(sleep_learnt(&h, &t, 5000) < PAUSE_US); /* a clean spin */
    assert_true(h.pauses > 0);
    for (int i = 0; i < 50; i++)
        assert_true(sleep_learnt(&h, &t, 5000) < PAUSE_US);
    /* After clean spins the next preemption holds off for 8 sleeps again. */
    h.preempt_us = 4000;
    sleep_learnt(&h, &t, 5000);
    for (int i = 0; i < 8; i++) {
        sleep_learnt(&h, &t, 5000);
        assert_int_equal(h.pauses, 0);
    }
    sleep_learnt(&h, &t, 5000);
    assert_true(h.pauses > 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_timer_then_spin),
        cmocka_unit_test(test_timer_as_late_as_the_tail_needs_no_spin),
        cmocka_unit_test(test_timer_later_than_the_tail),
        cmocka_unit_test(test_short_sleep_only_spins),
        cmocka_unit_test(test_early_timer_is_waited_again),
        cmocka_unit_test(test_deadline_passed_does_nothing),
        cmocka_unit_test(test_ends_on_deadline_and_spins_only_the_tail),
        cmocka_unit_test(test_learnt_tail_starts_as_the_fixed_one),
        cmocka_unit_test(test_precise_timer_shrinks_the_spin),
        cmocka_unit_test(test_late_timer_grows_the_tail_up_to_the_cap),
        cmocka_unit_test(test_preempted_spins_fall_back_to_the_timer),
        cmocka_unit_test(test_very_late_timer_holds_off_spinning),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
