#include "tool/tool_exit.h"
#include "tool/tool_interrupt.h"

int tool_exit_code(mpf_err code)
{
    switch (code) {
    case MPF_OK: return 0;
    case MPF_ERR_USAGE: return 1;
    case MPF_ERR_INPUT:
    case MPF_ERR_IO:
    case MPF_ERR_IMAGE_FIT:
    case MPF_ERR_REFUSED: return 2;
    case MPF_ERR_NO_DEVICE:
    case MPF_ERR_AMBIGUOUS: return 3;
    case MPF_ERR_USB:
    case MPF_ERR_USB_STALL:
    case MPF_ERR_USB_TIMEOUT:
    case MPF_ERR_USB_DISCONNECTED:
    case MPF_ERR_USB_ACCESS:
    case MPF_ERR_USB_BUSY:
    case MPF_ERR_USB_NOT_SUPPORTED: return 4;
    case MPF_ERR_DEVICE_STATUS:
    case MPF_ERR_PROTOCOL: return 5;
    case MPF_ERR_VERIFY: return 6;
    case MPF_ERR_APP_TIMEOUT: return 7;
    /* Only Ctrl-C cancels a session in the tool. */
    case MPF_ERR_CANCELLED: return TOOL_EXIT_INTERRUPTED;
    case MPF_ERR_NOMEM:
    case MPF_ERR_INTERNAL:
    case MPF_ERR__COUNT: break;
    }
    return 8;
}
