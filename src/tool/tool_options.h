/* The command line as data: one parser for the pydfu, dfu-util and esptool
 * spellings, producing a tool_options that the commands read. */
#ifndef MPFLASH_TOOL_OPTIONS_H
#define MPFLASH_TOOL_OPTIONS_H

#include <stddef.h>
#include <stdint.h>

#include "mpflash/error.h"
#include "mpflash/usb.h"

/* Boards one run flashes at most (threads, virtual boards, -S and -B). */
#define TOOL_MAX_BOARDS 16u

typedef enum tool_command {
    TOOL_CMD_NONE = 0,
    TOOL_CMD_HELP,
    TOOL_CMD_VERSION,
    TOOL_CMD_SIM_LIST,   /* --sim list */
    TOOL_CMD_LIST,       /* -l */
    TOOL_CMD_INFO,       /* --info FILE... */
    TOOL_CMD_CONVERT,    /* --convert OUT FILE... */
    TOOL_CMD_FLASH,      /* -u / -D / FILE / ADDR:FILE (with -m: mass erase first) */
    TOOL_CMD_READ,       /* -U FILE */
    TOOL_CMD_MASS_ERASE, /* -m or -s :mass-erase with nothing to write */
    TOOL_CMD_UNPROTECT,  /* --unprotect or -s :unprotect */
    TOOL_CMD_LEAVE,      /* -x or -R with nothing else to do */
    TOOL_CMD_DETACH      /* -e with nothing else to do */
} tool_command;

/* At least one per row of tool_option_list.h (checked where the rows are). */
#define TOOL_OPT_SLOTS 96u

typedef struct tool_options {
    tool_command command;
    unsigned char given[TOOL_OPT_SLOTS]; /* by tool_opt_id: the option was on the command line */

    /* Inputs: flash files (-u, -D, positional, in order), or --info/--convert inputs. */
    const char **files;
    size_t file_count;
    const char *read_file;   /* -U */
    const char *convert_out; /* --convert */

    /* Device selection (-d, --vid/--pid, -S, -p, -a), checked as it is
     * parsed so a typo fails before anything else happens. */
    mpf_usb_filter filter;
    int alt_set;
    int alt_number;         /* -1 when -a names the alt setting (filter.alt_name) */
    const char *chip;       /* --chip FAMILY: the STM32 family profile; NULL = from the board */
    const char *sim_chip;   /* --sim, as given ("f401" or "f401,f405") */
    char **sim_chips;       /* --sim split at commas, one virtual board each (owned) */
    size_t sim_chip_count;
    uint32_t sim_boards;    /* --sim-boards N: that many boards of the one chip; 0 = not given */
    const char *sim_state;  /* --sim-state */
    int wait;               /* -w */
    uint32_t wait_seconds;  /* --wait=SECONDS; 0 = no limit */

    /* Several boards in one run: --all, or -S given more than once. */
    int all;
    const char **serials;   /* every -S value, in order; filter.serial holds the first */
    size_t serial_count;

    /* Boards running MicroPython: -B [PORT]..., --wait-app [SECONDS]. */
    int bootloader;
    const char **ports;     /* the PORTs -B named; none = find the boards */
    size_t port_count;
    int wait_app;
    uint32_t wait_app_seconds; /* 0 = the default */

    const char *backup_file; /* --backup */
    int full;                /* --full: rewrite sectors that already hold the image */

    /* -s ADDR[:LEN][:modifiers] */
    int has_address;
    uint32_t address;
    int has_length;
    uint32_t length;

    int mass_erase;
    int mass_erase_from_s; /* spelled :mass-erase (dfu-util asks for :force with it) */
    int unprotect;
    int unprotect_from_s;  /* spelled -s :unprotect */
    int force;
    int will_reset;
    int leave;            /* -x, -R or :leave asked for leaving explicitly */
    int stay;             /* --stay */
    int detach;           /* -e */
    int reset;            /* -R */
    int exit_dfu;         /* -x */
    int final_detach;     /* -Q/--final-detach: plain DFU leaves by DETACH, not a USB reset */
    int has_upload_size;  /* -Z N: read at most N bytes */
    uint32_t upload_size;
    int has_detach_delay; /* -E SECONDS: wait for a detached board at least this long */
    uint32_t detach_delay;
    uint32_t devnum, cfg, intf; /* -n, -c, -i: stored here, applied to the filter */
    int verify;           /* on unless --no-verify */
    int dry_run;
    int has_leave_address;
    uint32_t leave_address;
    uint16_t transfer_size; /* -t; 0 = the device's */
    int has_gap_fill;
    uint8_t gap_fill;
    int has_vid_override, has_pid_override; /* --vid/--pid, also the suffix IDs of --convert */
    uint16_t vid_override, pid_override;

    /* Output */
    int verbose;      /* -v count */
    int quiet;        /* -q */
    int no_progress;
    int json;
} tool_options;

/* Parse argv into o. On a usage error returns MPF_ERR_USAGE with a message
 * naming the option as it was spelled; o must still be freed. */
mpf_err tool_options_parse(tool_options *o, int argc, char **argv, mpf_error *err);
void tool_options_free(tool_options *o);

#endif
