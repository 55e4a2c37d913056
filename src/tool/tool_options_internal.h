/* Shared between parsing the command line (tool_options.c) and deciding
 * what it asks for (tool_options_decide.c). */
#ifndef MPFLASH_TOOL_OPTIONS_INTERNAL_H
#define MPFLASH_TOOL_OPTIONS_INTERNAL_H

#include "tool/tool_options.h"

typedef enum tool_opt_id {
    OPT_HELP,
    OPT_VERSION,
    OPT_VERBOSE,
    OPT_QUIET,
    OPT_NO_PROGRESS,
    OPT_JSON,
    OPT_LIST,
    OPT_UPLOAD_PYDFU, /* -u/--upload: pydfu's name, it WRITES to the device */
    OPT_DOWNLOAD,     /* -D */
    OPT_READ,         /* -U */
    OPT_MASS_ERASE,
    OPT_EXIT,
    OPT_RESET,
    OPT_DETACH,
    OPT_VID,
    OPT_PID,
    OPT_DEVICE,
    OPT_ALT,
    OPT_SERIAL,
    OPT_PATH,
    OPT_ADDRESS,
    OPT_TRANSFER_SIZE,
    OPT_WAIT,
    OPT_NO_VERIFY,
    OPT_DRY_RUN,
    OPT_STAY,
    OPT_FORCE,
    OPT_UNPROTECT,
    OPT_LEAVE_ADDRESS,
    OPT_INFO,
    OPT_CONVERT,
    OPT_GAP_FILL,
    OPT_SIM,
    OPT_SIM_STATE,
    OPT_SIM_BOARDS,
    OPT_ALL,
    OPT_BOOTLOADER,
    OPT_WAIT_APP,
    OPT_BACKUP,
    OPT_FULL,
    OPT_REFUSED,
    OPT__COUNT
} tool_opt_id;

/* Parser scratch: how each option was spelled, for messages. */
typedef struct tool_parse_state {
    char spelled[OPT__COUNT][40];
    int seen[OPT__COUNT];
    int positional_count;
    int upload_long; /* "--upload" was spelled out: pydfu meaning, but a dfu-util habit */
} tool_parse_state;

/* Choose the command and refuse options that do not go with it. */
mpf_err tool_options_decide(tool_options *o, tool_parse_state *st, mpf_error *err);

#endif
