/* What this process has used so far, for the benchmarks' reports: CPU time
 * and peak memory. Internal (src/platform). */
#ifndef MPFLASH_PLATFORM_PROC_USAGE_H
#define MPFLASH_PLATFORM_PROC_USAGE_H

#include <stdint.h>

/* CPU time of every thread of the process (user + kernel), microseconds;
 * 0 if the system does not say. */
uint64_t mpf_proc_cpu_us(void);

/* The largest resident set (Windows: working set) the process has had,
 * bytes; 0 if the system does not say. */
uint64_t mpf_proc_peak_rss_bytes(void);

#endif
