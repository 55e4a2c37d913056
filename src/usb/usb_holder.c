/* Who holds a busy device: on Linux, a process with its device node
 * (/dev/bus/usb/BBB/DDD) open. Naming it turns "device busy" into
 * something the user can act on. */
#include <stdio.h>
#include <string.h>

#include "usb/usb_list.h"

#ifdef __linux__
#include <dirent.h>
#include <unistd.h>

static int holds(const char *pid, const char *node)
{
    char dir[280];
    snprintf(dir, sizeof dir, "/proc/%s/fd", pid);
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    int found = 0;
    struct dirent *e;
    while (!found && (e = readdir(d)) != NULL) {
        char link[sizeof dir + 260], target[64];
        snprintf(link, sizeof link, "%s/%s", dir, e->d_name);
        ssize_t n = readlink(link, target, sizeof target - 1);
        if (n > 0) {
            target[n] = '\0';
            found = strcmp(target, node) == 0;
        }
    }
    closedir(d);
    return found;
}

int usb_find_holder(uint8_t bus, uint8_t address, char *out, size_t size)
{
    char node[32], self[24];
    snprintf(node, sizeof node, "/dev/bus/usb/%03u/%03u", (unsigned)bus, (unsigned)address);
    snprintf(self, sizeof self, "%ld", (long)getpid());
    DIR *proc = opendir("/proc");
    if (!proc)
        return 0;
    int found = 0;
    struct dirent *e;
    while (!found && (e = readdir(proc)) != NULL) {
        if (e->d_name[0] < '1' || e->d_name[0] > '9' || strcmp(e->d_name, self) == 0 ||
            !holds(e->d_name, node))
            continue;
        char path[300], comm[64] = "";
        snprintf(path, sizeof path, "/proc/%s/comm", e->d_name);
        FILE *f = fopen(path, "r");
        if (f) {
            if (!fgets(comm, sizeof comm, f))
                comm[0] = '\0';
            fclose(f);
        }
        comm[strcspn(comm, "\n")] = '\0';
        snprintf(out, size, "%s (PID %s)", comm[0] ? comm : "a process", e->d_name);
        found = 1;
    }
    closedir(proc);
    return found;
}
#else
int usb_find_holder(uint8_t bus, uint8_t address, char *out, size_t size)
{
    (void)bus;
    (void)address;
    (void)out;
    (void)size;
    return 0;
}
#endif
