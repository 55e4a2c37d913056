/* Serial numbers that name no chip in particular. The STM32F072 ROM shows
 * FFFFFFFEFFFF whatever the part (users report it; FACTS.md "ROM quirks"),
 * so two of them on one hub look alike but for their port paths. Data: add
 * others here as they are reported. */
#include <string.h>
#include <strings.h>

#include "mpflash/usb.h"

static const char *const shared[] = {"FFFFFFFEFFFF"};

int mpf_usb_serial_shared(const char *serial)
{
    for (size_t i = 0; serial && i < sizeof shared / sizeof shared[0]; i++)
        if (strcasecmp(serial, shared[i]) == 0)
            return 1;
    return 0;
}
