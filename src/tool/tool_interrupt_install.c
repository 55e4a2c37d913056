/* Taking Ctrl-C. On POSIX a thread of its own waits for SIGINT/SIGTERM
 * (blocked everywhere else), so the code that cancels sessions runs as an
 * ordinary thread and may take locks; Windows runs console control
 * handlers on a new thread anyway. */
#include <stdio.h>
#include <stdlib.h>

#include "tool/tool_interrupt.h"

static const char stopping[] =
    "\nmpflash: interrupted: stopping after the request in progress (Ctrl-C again to quit at once)\n";

#ifdef _WIN32
#include <windows.h>

static BOOL WINAPI on_console_event(DWORD event)
{
    if (event != CTRL_C_EVENT && event != CTRL_BREAK_EVENT)
        return FALSE;
    if (tool_interrupted() || tool_interrupt_deliver() == 0)
        ExitProcess(TOOL_EXIT_INTERRUPTED);
    fputs(stopping, stderr);
    return TRUE;
}

void tool_interrupt_install(void)
{
    SetConsoleCtrlHandler(on_console_event, TRUE);
}

void tool_interrupt_uninstall(void)
{
    SetConsoleCtrlHandler(on_console_event, FALSE);
}
#else
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <stdatomic.h>

static sigset_t taken;
static pthread_t waiter;
static int have_waiter;
static atomic_int quitting;

static void *wait_for_signals(void *arg)
{
    (void)arg;
    for (;;) {
        int sig = 0;
        if (sigwait(&taken, &sig) != 0)
            continue;
        if (atomic_load(&quitting))
            return NULL;
        if (tool_interrupted() || tool_interrupt_deliver() == 0)
            _exit(TOOL_EXIT_INTERRUPTED);
        /* stderr is unbuffered; one write keeps the line whole. */
        ssize_t w = write(STDERR_FILENO, stopping, sizeof stopping - 1);
        (void)w;
    }
    return NULL;
}

void tool_interrupt_install(void)
{
    sigemptyset(&taken);
    sigaddset(&taken, SIGINT);
    sigaddset(&taken, SIGTERM);
    /* Threads made later inherit the mask, so only the waiter sees them. */
    if (pthread_sigmask(SIG_BLOCK, &taken, NULL) != 0)
        return;
    if (pthread_create(&waiter, NULL, wait_for_signals, NULL) != 0) {
        pthread_sigmask(SIG_UNBLOCK, &taken, NULL); /* keep the default: Ctrl-C ends the run */
        return;
    }
    have_waiter = 1;
}

/* The waiter is joined, not left running: a thread alive at exit is a leak
 * to valgrind and a race with exit() to everyone. */
void tool_interrupt_uninstall(void)
{
    if (!have_waiter)
        return;
    atomic_store(&quitting, 1);
    pthread_kill(waiter, SIGINT);
    pthread_join(waiter, NULL);
    have_waiter = 0;
}
#endif
