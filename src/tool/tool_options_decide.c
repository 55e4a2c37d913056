/* Deciding what a parsed command line asks for: one command per run, and
 * every option checked against it, so nothing given is silently ignored. */
#include <string.h>

#include "tool/tool_options_internal.h"

static mpf_err conflict(const char *a, const char *b, const char *why, mpf_error *err)
{
    return mpf_error_set(err, MPF_ERR_USAGE, "%s and %s cannot be used together: %s", a, b, why);
}

/* What the rows of tool_option_list.h say an option cannot go with or
 * needs, for every option given. */
static mpf_err check_table_rules(const tool_parse_state *st, mpf_error *err)
{
    for (int id = 1; id < OPT__COUNT; id++) {
        if (!st->seen[id])
            continue;
        const tool_opt_def *d = &tool_opt_table[id];
        for (size_t k = 0; k < TOOL_OPT_MAX_CONFLICTS && d->conflicts[k].with; k++)
            if (st->seen[d->conflicts[k].with])
                return conflict(st->spelled[id], st->spelled[d->conflicts[k].with], d->conflicts[k].why, err);
        if (d->needs && !st->seen[d->needs])
            return mpf_error_set(err, MPF_ERR_USAGE, "%s needs --%s %s", st->spelled[id],
                                 tool_opt_table[d->needs].long_name, tool_opt_table[d->needs].arg_name);
    }
    return MPF_OK;
}

static int allows(tool_opt_id id, tool_command cmd)
{
    return (tool_opt_table[id].commands & CMD(cmd)) != 0;
}

/* The options about several boards and boards running MicroPython, checked
 * once the command is known. */
static mpf_err decide_boards(tool_options *o, tool_parse_state *st, mpf_error *err)
{
    const char *serial = st->spelled[OPT_SERIAL];
    if (o->serial_count > 1 && o->command != TOOL_CMD_FLASH)
        return mpf_error_set(err, MPF_ERR_USAGE,
                             "%s given %zu times: several boards at once are for flashing only; give it once",
                             serial, o->serial_count);
    if (o->all && o->serial_count > 1)
        return conflict(st->spelled[OPT_ALL], serial,
                        "--all takes every matching board, several -S name the boards; use one way", err);
    if (o->sim_boards && o->sim_chip_count > 1)
        return conflict(st->spelled[OPT_SIM_BOARDS], "a list of chips in --sim",
                        "give the number of boards one way", err);
    const char *boot = st->spelled[OPT_BOOTLOADER];
    if (o->port_count && o->all)
        return conflict(st->spelled[OPT_ALL], boot, "--all finds every board, a PORT names one; use one way", err);
    if (o->port_count && (st->seen[OPT_SERIAL] || st->seen[OPT_PATH]))
        return conflict(boot, st->seen[OPT_SERIAL] ? serial : st->spelled[OPT_PATH],
                        "the PORT names the board; -S and -p choose among the boards -B finds without one", err);
    if (o->port_count && o->port_count < (size_t)st->seen[OPT_BOOTLOADER])
        return mpf_error_set(err, MPF_ERR_USAGE, "%s: give a PORT every time, or once without one", boot);
    if (o->port_count > TOOL_MAX_BOARDS || o->serial_count > TOOL_MAX_BOARDS)
        return mpf_error_set(err, MPF_ERR_USAGE, "at most %u boards in one run", TOOL_MAX_BOARDS);
    if (o->backup_file && o->mass_erase)
        return conflict(st->spelled[OPT_BACKUP], o->mass_erase_from_s ? "-s :mass-erase" : st->spelled[OPT_MASS_ERASE],
                        "a mass erase clears the whole chip; read it all first with -U FILE", err);
    return MPF_OK;
}

/* The option that asked to leave DFU mode, as typed. */
static const char *leave_spelled(const tool_parse_state *st)
{
    return st->seen[OPT_EXIT] ? st->spelled[OPT_EXIT]
           : st->seen[OPT_RESET] ? st->spelled[OPT_RESET]
           : st->seen[OPT_FINAL_DETACH] ? st->spelled[OPT_FINAL_DETACH] : "-s :leave";
}

typedef struct command_request {
    tool_command cmd;
    const char *by; /* the option that asked for it, as typed */
} command_request;

/* What the command line asks for, and the checks that need all of it. */
mpf_err tool_options_decide(tool_options *o, tool_parse_state *st, mpf_error *err)
{
    if (st->seen[OPT_HELP]) {
        o->command = TOOL_CMD_HELP;
        return MPF_OK;
    }
    if (st->seen[OPT_VERSION]) {
        o->command = TOOL_CMD_VERSION;
        return MPF_OK;
    }

    command_request asked[6];
    size_t n = 0;
    int sim_list = o->sim_chip && strcmp(o->sim_chip, "list") == 0;
    if (sim_list)
        asked[n++] = (command_request){TOOL_CMD_SIM_LIST, "--sim list"};
    if (st->seen[OPT_LIST])
        asked[n++] = (command_request){TOOL_CMD_LIST, st->spelled[OPT_LIST]};
    if (st->seen[OPT_INFO])
        asked[n++] = (command_request){TOOL_CMD_INFO, st->spelled[OPT_INFO]};
    if (st->seen[OPT_CONVERT])
        asked[n++] = (command_request){TOOL_CMD_CONVERT, st->spelled[OPT_CONVERT]};
    if (o->read_file)
        asked[n++] = (command_request){TOOL_CMD_READ, st->spelled[OPT_READ]};
    /* Plain file arguments are firmware to flash unless another command
     * takes them (--info, --convert) or refuses them (below). */
    if (st->seen[OPT_UPLOAD_PYDFU] || st->seen[OPT_DOWNLOAD] || (st->positional_count && n == 0)) {
        const char *by = st->seen[OPT_UPLOAD_PYDFU] ? st->spelled[OPT_UPLOAD_PYDFU]
                         : st->seen[OPT_DOWNLOAD]   ? st->spelled[OPT_DOWNLOAD]
                                                    : "a firmware file argument";
        asked[n++] = (command_request){TOOL_CMD_FLASH, by};
    }
    if (n > 1)
        return conflict(asked[0].by, asked[1].by, "give one command per run", err);

    if (n == 1) {
        o->command = asked[0].cmd;
        if ((o->command == TOOL_CMD_LIST || o->command == TOOL_CMD_SIM_LIST || o->command == TOOL_CMD_READ) &&
            o->file_count)
            return mpf_error_set(err, MPF_ERR_USAGE, "%s takes no firmware file (\"%s\" was given)",
                                 asked[0].by, o->files[0]);
    } else if (o->unprotect) {
        o->command = TOOL_CMD_UNPROTECT;
        asked[0] = (command_request){o->command, st->seen[OPT_UNPROTECT] ? st->spelled[OPT_UNPROTECT] : "-s :unprotect"};
    } else if (o->mass_erase) {
        o->command = TOOL_CMD_MASS_ERASE;
        asked[0] = (command_request){o->command, o->mass_erase_from_s ? "-s :mass-erase" : st->spelled[OPT_MASS_ERASE]};
    } else if (o->leave) {
        o->command = TOOL_CMD_LEAVE;
        asked[0] = (command_request){o->command, leave_spelled(st)};
    } else if (o->detach) {
        o->command = TOOL_CMD_DETACH;
        asked[0] = (command_request){o->command, st->spelled[OPT_DETACH]};
    } else {
        return mpf_error_set(err, MPF_ERR_USAGE,
                             "nothing to do: give a firmware file to flash (mpflash -u firmware.dfu), or -l to list devices; see mpflash --help");
    }
    const char *cmd_by = asked[0].by;

    if (o->unprotect && o->command != TOOL_CMD_UNPROTECT)
        return conflict(st->seen[OPT_UNPROTECT] ? st->spelled[OPT_UNPROTECT] : "-s :unprotect", cmd_by,
                        "removing read protection erases the whole chip and resets it; run it on its own first",
                        err);
    for (int id = 1; id < OPT__COUNT; id++)
        if (st->seen[id] && !allows((tool_opt_id)id, o->command))
            return mpf_error_set(err, MPF_ERR_USAGE, "%s does not apply to %s", st->spelled[id], cmd_by);
    /* The same rule for what -s spelled as modifiers. */
    if (o->leave && !st->seen[OPT_EXIT] && !st->seen[OPT_RESET] && !st->seen[OPT_FINAL_DETACH] &&
        !allows(OPT_EXIT, o->command))
        return mpf_error_set(err, MPF_ERR_USAGE, "-s :leave does not apply to %s", cmd_by);
    if (o->mass_erase_from_s && o->command != TOOL_CMD_UNPROTECT && !allows(OPT_MASS_ERASE, o->command))
        return conflict("-s :mass-erase", cmd_by, "a mass erase goes with flashing or alone", err);

    switch (o->command) {
    case TOOL_CMD_INFO:
    case TOOL_CMD_CONVERT:
        if (!o->file_count)
            return mpf_error_set(err, MPF_ERR_USAGE, "%s needs at least one firmware file", cmd_by);
        if (o->leave || o->mass_erase || o->unprotect || o->has_length)
            return mpf_error_set(err, MPF_ERR_USAGE, "%s: only an address applies to %s",
                                 st->spelled[OPT_ADDRESS], cmd_by);
        break;
    case TOOL_CMD_FLASH:
        if (st->upload_long && o->has_length)
            return mpf_error_set(err, MPF_ERR_USAGE,
                                 "--upload writes FILE to the device (pydfu's meaning), but -s gives a length to read: to read flash into a file use -U FILE -s ADDR:LEN");
        break;
    case TOOL_CMD_UNPROTECT:
        if (o->mass_erase)
            return conflict(cmd_by, o->mass_erase_from_s ? "-s :mass-erase" : st->spelled[OPT_MASS_ERASE],
                            "removing read protection already erases everything", err);
        if (o->leave)
            return mpf_error_set(err, MPF_ERR_USAGE, "%s resets the chip by itself; drop the leave request", cmd_by);
        break;
    default: break;
    }
    if (o->has_length && o->command != TOOL_CMD_READ)
        return mpf_error_set(err, MPF_ERR_USAGE, "%s: a length is only for reading with -U FILE",
                             st->spelled[OPT_ADDRESS]);
    if (o->unprotect && !o->force)
        return mpf_error_set(err, MPF_ERR_USAGE,
                             "%s erases the whole chip, and MicroPython's filesystem with it; add --force (or -s :unprotect:force) if that is what you want",
                             cmd_by);
    if (o->mass_erase_from_s && !o->force)
        return mpf_error_set(err, MPF_ERR_USAGE,
                             "-s :mass-erase erases the whole chip, and MicroPython's filesystem with it; add :force as dfu-util requires (or use -m)");
    if (o->stay && o->leave)
        return conflict(st->spelled[OPT_STAY], leave_spelled(st), "one keeps the board in DFU mode, the other leaves it", err);
    mpf_err rc = check_table_rules(st, err);
    return rc ? rc : decide_boards(o, st, err);
}

