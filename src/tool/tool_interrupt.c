/* The set of running sessions a Ctrl-C stops. It is process-wide by nature
 * (a Ctrl-C is), so it lives in the tool, never in the library. A spinlock
 * guards it: it needs no initialisation, and it is held only for a few
 * stores, by the flashing threads and the one thread that takes Ctrl-C. */
#include <stdatomic.h>
#include <stddef.h>

#include "tool/tool_interrupt.h"

/* --all flashes at most this many boards at once (tool_multi.c's limit is
 * lower); a session beyond it is still flashed, just not stoppable. */
#define MAX_SESSIONS 64

static atomic_flag lock = ATOMIC_FLAG_INIT;
static mpf_dfu *sessions[MAX_SESSIONS];
static atomic_int interrupted;

static void take(void)
{
    while (atomic_flag_test_and_set_explicit(&lock, memory_order_acquire)) {
    }
}

static void give(void)
{
    atomic_flag_clear_explicit(&lock, memory_order_release);
}

mpf_err tool_session_new(mpf_transport *t, const mpf_callbacks *cb, mpf_dfu **out, mpf_error *err)
{
    mpf_err rc = mpf_dfu_new(t, cb, out, err);
    if (rc)
        return rc;
    take();
    for (size_t i = 0; i < MAX_SESSIONS; i++)
        if (!sessions[i]) {
            sessions[i] = *out;
            break;
        }
    if (atomic_load(&interrupted))
        mpf_dfu_cancel(*out);
    give();
    return MPF_OK;
}

void tool_session_close(mpf_dfu *d)
{
    if (!d)
        return;
    take();
    for (size_t i = 0; i < MAX_SESSIONS; i++)
        if (sessions[i] == d)
            sessions[i] = NULL;
    give();
    mpf_dfu_close(d);
}

unsigned tool_interrupt_deliver(void)
{
    unsigned n = 0;
    take();
    atomic_store(&interrupted, 1);
    for (size_t i = 0; i < MAX_SESSIONS; i++)
        if (sessions[i]) {
            mpf_dfu_cancel(sessions[i]);
            n++;
        }
    give();
    return n;
}

int tool_interrupted(void)
{
    return atomic_load(&interrupted);
}

void tool_interrupt_reset(void)
{
    atomic_store(&interrupted, 0);
}
