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
#else
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

static sigset_t taken;

static void *wait_for_signals(void *arg)
{
    (void)arg;
    for (;;) {
        int sig = 0;
        if (sigwait(&taken, &sig) != 0)
            continue;
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
    pthread_t id;
    if (pthread_create(&id, NULL, wait_for_signals, NULL) != 0) {
        pthread_sigmask(SIG_UNBLOCK, &taken, NULL); /* keep the default: Ctrl-C ends the run */
        return;
    }
    pthread_detach(id);
}
#endif
