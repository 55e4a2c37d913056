/* See work_count.h. Only linked into a program when tests/work_count.cmake
 * wraps the allocation and copy functions for it (the __wrap_ functions
 * below are what pulls this object out of the support archive). Counting is
 * a plain global: these tests are single-threaded. */
#include "work_count.h"

#include <stdlib.h>
#include <string.h>

#ifdef MPF_TEST_WRAP_LINK

void *__real_malloc(size_t size);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t size);
void *__real_memcpy(void *dst, const void *src, size_t n);
void *__real_memmove(void *dst, const void *src, size_t n);
void *__wrap_malloc(size_t size);
void *__wrap_calloc(size_t n, size_t size);
void *__wrap_realloc(void *p, size_t size);
void *__wrap_memcpy(void *dst, const void *src, size_t n);
void *__wrap_memmove(void *dst, const void *src, size_t n);

static int counting;
static work_count counted;

static void count_allocation(size_t bytes)
{
    if (counting) {
        counted.calls++;
        counted.bytes_allocated += bytes;
    }
}

static void count_copy(size_t bytes)
{
    if (counting) {
        counted.calls++;
        counted.bytes_copied += bytes;
    }
}

void *__wrap_malloc(size_t size)
{
    count_allocation(size);
    return __real_malloc(size);
}

void *__wrap_calloc(size_t n, size_t size)
{
    count_allocation(n * size);
    return __real_calloc(n, size);
}

void *__wrap_realloc(void *p, size_t size)
{
    count_allocation(size);
    return __real_realloc(p, size);
}

void *__wrap_memcpy(void *dst, const void *src, size_t n)
{
    count_copy(n);
    return __real_memcpy(dst, src, n);
}

void *__wrap_memmove(void *dst, const void *src, size_t n)
{
    count_copy(n);
    return __real_memmove(dst, src, n);
}

int work_count_available(void)
{
    return 1;
}
#else
/* A linker without --wrap (Apple's, MSVC's): nothing is counted. */
static int counting;
static work_count counted;

int work_count_available(void)
{
    return 0;
}
#endif

void work_count_start(void)
{
    counted = (work_count){0};
    counting = 1;
}

work_count work_count_stop(void)
{
    counting = 0;
    return counted;
}

size_t work_count_bytes(const work_count *w)
{
    return w->bytes_allocated + w->bytes_copied;
}
