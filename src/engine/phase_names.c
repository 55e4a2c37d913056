#include "mpflash/engine.h"

static const char *const phase_names[MPF_PHASE__COUNT] = {
    [MPF_PHASE_CONNECT] = "connect", [MPF_PHASE_ERASE] = "erase", [MPF_PHASE_WRITE] = "write",
    [MPF_PHASE_VERIFY] = "verify",   [MPF_PHASE_READ] = "read",   [MPF_PHASE_LEAVE] = "leave",
};

const char *mpf_phase_name(mpf_phase p)
{
    if ((int)p < 0 || p >= MPF_PHASE__COUNT)
        return "phase?";
    return phase_names[p];
}
