/* Counting the memory work of the library, deterministically, instead of
 * timing it: a test linked through tests/work_count.cmake has every call to
 * malloc, calloc, realloc, memcpy and memmove made by its own objects and by
 * the static library routed through work_count.c (GNU ld / lld --wrap), which
 * adds the bytes each call asks for or moves while counting is on. A merge
 * that regrows or shifts its data once per element shows up as work growing
 * with the square of the element count, whatever the machine's load.
 *
 * Under clang's AddressSanitizer, memcpy/memmove in instrumented code become
 * __asan_memcpy/__asan_memmove and are not seen; allocations still are. */
#ifndef MPFLASH_TEST_WORK_COUNT_H
#define MPFLASH_TEST_WORK_COUNT_H

#include <stddef.h>

typedef struct work_count {
    size_t calls;           /* allocation and copy calls */
    size_t bytes_allocated; /* sizes asked of malloc/calloc/realloc */
    size_t bytes_copied;    /* lengths given to memcpy/memmove */
} work_count;

/* 1 when this test program was linked with the wrappers (otherwise the
 * counts stay 0 and a test must skip). */
int work_count_available(void);
/* Zero the counts and start counting (nested starts are not supported). */
void work_count_start(void);
/* Stop counting and return what was counted since work_count_start. */
work_count work_count_stop(void);
/* bytes_allocated + bytes_copied: the figure a linearity check compares. */
size_t work_count_bytes(const work_count *w);

#endif
