/* Threads on Windows: CreateThread and slim reader/writer locks (an
 * SRWLOCK is one pointer and needs no destruction). */
#include "platform/thread.h"

#include <stdlib.h>
#include <windows.h>

typedef struct start {
    void (*fn)(void *arg);
    void *arg;
} start;

static DWORD WINAPI trampoline(LPVOID p)
{
    start s = *(start *)p;
    free(p);
    s.fn(s.arg);
    return 0;
}

int mpf_thread_start(mpf_thread *t, void (*fn)(void *arg), void *arg)
{
    start *s = malloc(sizeof *s);
    if (!s)
        return -1;
    s->fn = fn;
    s->arg = arg;
    t->handle = CreateThread(NULL, 0, trampoline, s, 0, NULL);
    if (!t->handle) {
        free(s);
        return -1;
    }
    return 0;
}

void mpf_thread_join(mpf_thread *t)
{
    WaitForSingleObject(t->handle, INFINITE);
    CloseHandle(t->handle);
    t->handle = NULL;
}

_Static_assert(sizeof(SRWLOCK) == sizeof(void *), "mpf_mutex holds an SRWLOCK");

int mpf_mutex_init(mpf_mutex *m)
{
    InitializeSRWLock((PSRWLOCK)&m->srw);
    return 0;
}

void mpf_mutex_destroy(mpf_mutex *m)
{
    (void)m;
}

void mpf_mutex_lock(mpf_mutex *m)
{
    AcquireSRWLockExclusive((PSRWLOCK)&m->srw);
}

void mpf_mutex_unlock(mpf_mutex *m)
{
    ReleaseSRWLockExclusive((PSRWLOCK)&m->srw);
}
