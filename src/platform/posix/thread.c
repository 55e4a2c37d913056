/* Threads on POSIX: pthreads. The start routine's argument carries the
 * caller's function, so callers need no pthread signature. */
#include "platform/thread.h"

#include <stdlib.h>

typedef struct start {
    void (*fn)(void *arg);
    void *arg;
} start;

static void *trampoline(void *p)
{
    start s = *(start *)p;
    free(p);
    s.fn(s.arg);
    return NULL;
}

int mpf_thread_start(mpf_thread *t, void (*fn)(void *arg), void *arg)
{
    start *s = malloc(sizeof *s);
    if (!s)
        return -1;
    s->fn = fn;
    s->arg = arg;
    if (pthread_create(&t->id, NULL, trampoline, s) != 0) {
        free(s);
        return -1;
    }
    return 0;
}

void mpf_thread_join(mpf_thread *t)
{
    pthread_join(t->id, NULL);
}

int mpf_mutex_init(mpf_mutex *m)
{
    return pthread_mutex_init(&m->m, NULL) != 0;
}

void mpf_mutex_destroy(mpf_mutex *m)
{
    pthread_mutex_destroy(&m->m);
}

void mpf_mutex_lock(mpf_mutex *m)
{
    pthread_mutex_lock(&m->m);
}

void mpf_mutex_unlock(mpf_mutex *m)
{
    pthread_mutex_unlock(&m->m);
}
