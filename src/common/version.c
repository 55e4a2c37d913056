#include "mpflash/version.h"

const char *mpf_version(void) { return MPFLASH_VERSION; }

unsigned long mpf_version_number(void) { return MPFLASH_VERSION_NUMBER; }
