/* Process CPU time and peak working set on Windows (GetProcessTimes;
 * K32GetProcessMemoryInfo lives in kernel32 since Windows 7, no psapi.dll). */
#include <windows.h>
#include <psapi.h>

#include "platform/proc_usage.h"

static uint64_t filetime_100ns(FILETIME t)
{
    return (uint64_t)t.dwHighDateTime << 32 | t.dwLowDateTime;
}

uint64_t mpf_proc_cpu_us(void)
{
    FILETIME created, exited, kernel, user;
    if (!GetProcessTimes(GetCurrentProcess(), &created, &exited, &kernel, &user))
        return 0;
    return (filetime_100ns(kernel) + filetime_100ns(user)) / 10u;
}

uint64_t mpf_proc_peak_rss_bytes(void)
{
    PROCESS_MEMORY_COUNTERS pmc;
    if (!K32GetProcessMemoryInfo(GetCurrentProcess(), &pmc, sizeof pmc))
        return 0;
    return (uint64_t)pmc.PeakWorkingSetSize;
}
