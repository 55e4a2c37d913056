/* Port names, spelled the same on every system so both spellings can be
 * tested everywhere; serial_port.c of each system picks its own. */
#include "platform/serial_port.h"

#include <ctype.h>
#include <string.h>

int mpf_port_name_is_com(const char *name)
{
    if (!name)
        return 0;
    if (strncmp(name, "\\\\.\\", 4) == 0)
        name += 4;
    if (toupper((unsigned char)name[0]) != 'C' || toupper((unsigned char)name[1]) != 'O' ||
        toupper((unsigned char)name[2]) != 'M' || !name[3] || name[3] == '0')
        return 0;
    for (const char *d = name + 3; *d; d++)
        if (!isdigit((unsigned char)*d))
            return 0;
    return strlen(name + 3) <= 3; /* COM1 - COM255 */
}

int mpf_port_name_is_dev(const char *name)
{
    return name && strncmp(name, "/dev/", 5) == 0 && name[5];
}
