/* Threads and a mutex, the same on every system (pthreads on POSIX, the
 * Win32 API on Windows, so the Windows build needs no winpthread DLL).
 * Internal (src/platform). */
#ifndef MPFLASH_PLATFORM_THREAD_H
#define MPFLASH_PLATFORM_THREAD_H

#ifdef _WIN32
typedef struct mpf_thread {
    void *handle;
} mpf_thread;
typedef struct mpf_mutex {
    void *srw; /* an SRWLOCK: one pointer, zero when unlocked */
} mpf_mutex;
#define MPF_MUTEX_INITIALIZER {0}
#else
#include <pthread.h>
typedef struct mpf_thread {
    pthread_t id;
} mpf_thread;
typedef struct mpf_mutex {
    pthread_mutex_t m;
} mpf_mutex;
#define MPF_MUTEX_INITIALIZER {PTHREAD_MUTEX_INITIALIZER}
#endif

/* Runs fn(arg) on a new thread; 0 on success, nonzero if none could be made. */
int mpf_thread_start(mpf_thread *t, void (*fn)(void *arg), void *arg);
void mpf_thread_join(mpf_thread *t);

/* 0 on success; a static mutex may be set to MPF_MUTEX_INITIALIZER instead. */
int mpf_mutex_init(mpf_mutex *m);
void mpf_mutex_destroy(mpf_mutex *m);
void mpf_mutex_lock(mpf_mutex *m);
void mpf_mutex_unlock(mpf_mutex *m);

#endif
