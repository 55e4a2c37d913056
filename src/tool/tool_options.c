/* Command-line parsing. One table holds every spelling; pydfu's, dfu-util's
 * and the new options share it because MicroPython's Makefile uses both
 * grammars and they do not collide except at --upload (see below). Our own
 * parser rather than getopt_long: no global state, no argv permutation, and
 * messages that name the option exactly as typed. */
#include "tool/tool_options.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "platform/serial_port.h"
#include "tool/tool_options_internal.h"
#include "tool/tool_parse.h"


/* An optional value is normally attached (--name=VALUE, -XVALUE). These
 * options also take the next argument when it cannot be a firmware file's
 * name in practice, so "--wait 5" and "-B /dev/ttyACM0" read naturally. */
static int is_number(const char *s)
{
    if (!*s)
        return 0;
    for (; *s; s++)
        if (*s < '0' || *s > '9')
            return 0;
    return 1;
}

static int is_device_node(const char *s)
{
    return mpf_port_name_is_port(s); /* /dev/ttyACM0; COM5 on Windows */
}

typedef struct opt_def {
    char short_name;       /* 0: long only */
    const char *long_name; /* NULL: short only */
    int takes_arg; /* 0 none, 1 required, 2 optional (attached, or the next argument if next_is_value) */
    tool_opt_id id;
    const char *refusal; /* OPT_REFUSED: why, and what to do instead */
} opt_def;

/* For takes_arg 2: whether s can be the option's value when not attached
 * with '=' (the next argument, or the rest of a short-option cluster). */
static int value_shaped(tool_opt_id id, const char *s)
{
    switch (id) {
    case OPT_WAIT:
    case OPT_WAIT_APP: return is_number(s);
    case OPT_BOOTLOADER: return is_device_node(s);
    default: return 0;
    }
}

static const opt_def options[] = {
    {'h', "help", 0, OPT_HELP, NULL},
    {'V', "version", 0, OPT_VERSION, NULL},
    {'v', "verbose", 0, OPT_VERBOSE, NULL},
    {'q', "quiet", 0, OPT_QUIET, NULL},
    {0, "no-progress", 0, OPT_NO_PROGRESS, NULL},
    {0, "json", 0, OPT_JSON, NULL},
    {'l', "list", 0, OPT_LIST, NULL},
    {'u', "upload", 1, OPT_UPLOAD_PYDFU, NULL},
    {'D', "download", 1, OPT_DOWNLOAD, NULL},
    {'U', "read", 1, OPT_READ, NULL},
    {'m', "mass-erase", 0, OPT_MASS_ERASE, NULL},
    {'x', "exit", 0, OPT_EXIT, NULL},
    {'R', "reset", 0, OPT_RESET, NULL},
    {'e', "detach", 0, OPT_DETACH, NULL},
    {0, "vid", 1, OPT_VID, NULL},
    {0, "pid", 1, OPT_PID, NULL},
    {'d', "device", 1, OPT_DEVICE, NULL},
    {'a', "alt", 1, OPT_ALT, NULL},
    {'S', "serial", 1, OPT_SERIAL, NULL},
    {'p', "path", 1, OPT_PATH, NULL},
    {'s', "dfuse-address", 1, OPT_ADDRESS, NULL},
    {'t', "transfer-size", 1, OPT_TRANSFER_SIZE, NULL},
    {'w', "wait", 2, OPT_WAIT, NULL},
    {0, "no-verify", 0, OPT_NO_VERIFY, NULL},
    {0, "dry-run", 0, OPT_DRY_RUN, NULL},
    {0, "stay", 0, OPT_STAY, NULL},
    {0, "force", 0, OPT_FORCE, NULL},
    {0, "unprotect", 0, OPT_UNPROTECT, NULL},
    {0, "leave-address", 1, OPT_LEAVE_ADDRESS, NULL},
    {0, "info", 0, OPT_INFO, NULL},
    {0, "convert", 1, OPT_CONVERT, NULL},
    {0, "gap-fill", 1, OPT_GAP_FILL, NULL},
    {0, "sim", 1, OPT_SIM, NULL},
    {0, "sim-state", 1, OPT_SIM_STATE, NULL},
    {0, "sim-boards", 1, OPT_SIM_BOARDS, NULL},
    {0, "all", 0, OPT_ALL, NULL},
    {'B', "bootloader", 2, OPT_BOOTLOADER, NULL},
    {0, "wait-app", 2, OPT_WAIT_APP, NULL},
    {0, "backup", 1, OPT_BACKUP, NULL},
    {0, "full", 0, OPT_FULL, NULL},
    /* dfu-util options MicroPython users do not pass; refused by name. */
    {'c', "cfg", 1, OPT_REFUSED,
     "selects a USB configuration; DFU boards have one, so mpflash does not take it"},
    {'i', "intf", 1, OPT_REFUSED,
     "selects the interface by number; mpflash finds the DFU interface itself (choose the memory with -a)"},
    {'n', "devnum", 1, OPT_REFUSED,
     "device numbers change on every replug; choose the board with -S SERIAL or -p BUS-PORT (see mpflash -l)"},
    {'E', "detach-delay", 1, OPT_REFUSED,
     "mpflash waits for a detached board by itself; use -w to wait longer for a board to appear"},
    {'Z', "upload-size", 1, OPT_REFUSED,
     "give the length to read in -s instead: -U FILE -s ADDR:LENGTH"},
    {'y', "yes", 0, OPT_REFUSED, "mpflash never asks questions, so there is nothing to answer"},
};

#define OPTION_COUNT (sizeof options / sizeof options[0])


static const opt_def *find_short(char c)
{
    for (size_t i = 0; i < OPTION_COUNT; i++)
        if (options[i].short_name == c)
            return &options[i];
    return NULL;
}

static const opt_def *find_long(const char *name, size_t n)
{
    for (size_t i = 0; i < OPTION_COUNT; i++)
        if (options[i].long_name && strlen(options[i].long_name) == n &&
            strncmp(options[i].long_name, name, n) == 0)
            return &options[i];
    return NULL;
}

static mpf_err add_file(tool_options *o, const char *file, mpf_error *err)
{
    const char **grown = realloc(o->files, (o->file_count + 1) * sizeof *grown);
    if (!grown)
        return mpf_error_set(err, MPF_ERR_NOMEM, "out of memory");
    o->files = grown;
    o->files[o->file_count++] = file;
    return MPF_OK;
}

static mpf_err add_string(const char ***list, size_t *count, const char *value, mpf_error *err)
{
    const char **grown = realloc(*list, (*count + 1) * sizeof *grown);
    if (!grown)
        return mpf_error_set(err, MPF_ERR_NOMEM, "out of memory");
    *list = grown;
    grown[(*count)++] = value;
    return MPF_OK;
}

/* --sim f401,f401,f405: one virtual board per name. Names are checked when
 * the boards are made, so "--sim list" keeps working here. */
static mpf_err split_chips(tool_options *o, const char *value, const char *spelled, mpf_error *err)
{
    size_t n = 1;
    for (const char *p = value; *p; p++)
        n += *p == ',';
    if (n > TOOL_MAX_BOARDS)
        return mpf_error_set(err, MPF_ERR_USAGE, "%s %s: at most %u virtual boards", spelled, value,
                             TOOL_MAX_BOARDS);
    o->sim_chips = calloc(n, sizeof *o->sim_chips);
    if (!o->sim_chips)
        return mpf_error_set(err, MPF_ERR_NOMEM, "out of memory");
    const char *p = value;
    for (size_t i = 0; i < n; i++) {
        size_t len = strcspn(p, ",");
        if (len == 0)
            return mpf_error_set(err, MPF_ERR_USAGE, "%s %s: an empty chip name; see --sim list", spelled, value);
        o->sim_chips[i] = malloc(len + 1);
        if (!o->sim_chips[i])
            return mpf_error_set(err, MPF_ERR_NOMEM, "out of memory");
        memcpy(o->sim_chips[i], p, len);
        o->sim_chips[i][len] = '\0';
        o->sim_chip_count = i + 1;
        p += len + (p[len] == ',');
    }
    return MPF_OK;
}

static mpf_err once(tool_parse_state *st, tool_opt_id id, const char *spelled, mpf_error *err)
{
    if (st->seen[id] > 1)
        return mpf_error_set(err, MPF_ERR_USAGE, "%s given twice; give it once", spelled);
    return MPF_OK;
}

static mpf_err no_stdin(const char *value, const char *spelled, mpf_error *err)
{
    if (strcmp(value, "-") == 0)
        return mpf_error_set(err, MPF_ERR_USAGE,
                             "%s -: standard input/output is not supported; give a file name", spelled);
    return MPF_OK;
}

static mpf_err parse_id(const char *value, const char *spelled, uint16_t *out, mpf_error *err)
{
    /* pydfu reads these with Python's int(x, 0): 0x0483 or 1155. */
    uint32_t v;
    if (tool_parse_u32(value, &v) != 0 || v > 0xFFFF)
        return mpf_error_set(err, MPF_ERR_USAGE,
                             "%s %s: expected a USB ID such as 0x0483 (hexadecimal needs the 0x)", spelled, value);
    *out = (uint16_t)v;
    return MPF_OK;
}

static mpf_err apply(tool_options *o, tool_parse_state *st, const opt_def *d, const char *spelled,
                     const char *value, mpf_error *err)
{
    st->seen[d->id]++;
    snprintf(st->spelled[d->id], sizeof st->spelled[d->id], "%s", spelled);
    mpf_err rc = MPF_OK;
    uint32_t v;
    switch (d->id) {
    case OPT_HELP: o->command = TOOL_CMD_HELP; break;
    case OPT_VERSION: break;
    case OPT_VERBOSE: o->verbose++; break;
    case OPT_QUIET: o->quiet = 1; break;
    case OPT_NO_PROGRESS: o->no_progress = 1; break;
    case OPT_JSON: o->json = 1; break;
    case OPT_LIST: break;
    case OPT_UPLOAD_PYDFU:
    case OPT_DOWNLOAD:
        if (strcmp(spelled, "--upload") == 0)
            st->upload_long = 1;
        rc = no_stdin(value, spelled, err);
        if (!rc)
            rc = add_file(o, value, err);
        break;
    case OPT_READ:
        if (!(rc = once(st, d->id, spelled, err)) && !(rc = no_stdin(value, spelled, err)))
            o->read_file = value;
        break;
    case OPT_MASS_ERASE: o->mass_erase = 1; break;
    case OPT_EXIT: o->exit_dfu = 1; o->leave = 1; break;
    case OPT_RESET: o->reset = 1; o->leave = 1; break;
    case OPT_DETACH: o->detach = 1; break;
    case OPT_VID:
    case OPT_PID:
        if ((rc = once(st, d->id, spelled, err)))
            break;
        {
            uint16_t id = 0;
            if ((rc = parse_id(value, spelled, &id, err)))
                break;
            /* pydfu's IDs: the same device in either mode. */
            if (d->id == OPT_VID) {
                o->has_vid_override = 1;
                o->vid_override = id;
                o->filter.vid = o->filter.dfu_vid = id;
            } else {
                o->has_pid_override = 1;
                o->pid_override = id;
                o->filter.pid = o->filter.dfu_pid = id;
            }
        }
        break;
    case OPT_DEVICE:
        if (!(rc = once(st, d->id, spelled, err)) && (rc = mpf_usb_filter_set_ids(&o->filter, value, err)))
            mpf_error_prefix(err, "%s %s", spelled, value);
        break;
    case OPT_ALT:
        if ((rc = once(st, d->id, spelled, err)))
            break;
        if ((rc = mpf_usb_filter_set_alt(&o->filter, value, err))) {
            mpf_error_prefix(err, "%s %s", spelled, value);
            break;
        }
        o->alt_set = 1;
        o->alt_number = o->filter.alt;
        break;
    case OPT_SERIAL:
        /* Given again, it names another board: flashing several at once. */
        if ((rc = add_string(&o->serials, &o->serial_count, value, err)))
            break;
        if (o->serial_count == 1) {
            rc = mpf_usb_filter_set_serial(&o->filter, value, err);
        } else {
            mpf_usb_filter scratch;
            mpf_usb_filter_init(&scratch);
            rc = mpf_usb_filter_set_serial(&scratch, value, err);
        }
        if (rc)
            mpf_error_prefix(err, "%s %s", spelled, value);
        break;
    case OPT_PATH:
        if (!(rc = once(st, d->id, spelled, err)) && (rc = mpf_usb_filter_set_path(&o->filter, value, err)))
            mpf_error_prefix(err, "%s %s", spelled, value);
        break;
    case OPT_ADDRESS:
        if (!(rc = once(st, d->id, spelled, err)))
            rc = tool_parse_dfuse_address(value, spelled, o, err);
        break;
    case OPT_TRANSFER_SIZE:
        if ((rc = once(st, d->id, spelled, err)))
            break;
        if (tool_parse_u32(value, &v) != 0 || v == 0 || v > 0xFFFF)
            return mpf_error_set(err, MPF_ERR_USAGE,
                                 "%s %s: the transfer size is 1..65535 bytes (STM32 bootloaders use 2048)",
                                 spelled, value);
        o->transfer_size = (uint16_t)v;
        break;
    case OPT_WAIT:
        if ((rc = once(st, d->id, spelled, err)))
            break;
        o->wait = 1;
        /* -w waits as long as it takes (dfu-util); --wait=SECONDS puts a bound on it. */
        if (value) {
            if (tool_parse_u32(value, &v) != 0 || v == 0 || v > 3600)
                return mpf_error_set(err, MPF_ERR_USAGE, "%s=%s: expected a number of seconds, 1..3600",
                                     spelled, value);
            o->wait_seconds = v;
        }
        break;
    case OPT_NO_VERIFY: o->verify = 0; break;
    case OPT_DRY_RUN: o->dry_run = 1; break;
    case OPT_STAY: o->stay = 1; break;
    case OPT_FORCE: o->force = 1; break;
    case OPT_UNPROTECT: o->unprotect = 1; break;
    case OPT_LEAVE_ADDRESS:
        if ((rc = once(st, d->id, spelled, err)))
            break;
        if (tool_parse_u32(value, &o->leave_address) != 0)
            return mpf_error_set(err, MPF_ERR_USAGE, "%s %s: expected an address such as 0x08000000",
                                 spelled, value);
        o->has_leave_address = 1;
        break;
    case OPT_INFO: break;
    case OPT_CONVERT:
        if (!(rc = once(st, d->id, spelled, err)))
            o->convert_out = value;
        break;
    case OPT_GAP_FILL:
        if ((rc = once(st, d->id, spelled, err)))
            break;
        if (tool_parse_u32(value, &v) != 0 || v > 0xFF)
            return mpf_error_set(err, MPF_ERR_USAGE, "%s %s: expected a byte value 0..255, e.g. 0xFF",
                                 spelled, value);
        o->has_gap_fill = 1;
        o->gap_fill = (uint8_t)v;
        break;
    case OPT_SIM:
        if (!(rc = once(st, d->id, spelled, err)) && !(rc = split_chips(o, value, spelled, err)))
            o->sim_chip = value;
        break;
    case OPT_SIM_STATE:
        if (!(rc = once(st, d->id, spelled, err)))
            o->sim_state = value;
        break;
    case OPT_SIM_BOARDS:
        if ((rc = once(st, d->id, spelled, err)))
            break;
        if (tool_parse_u32(value, &v) != 0 || v == 0 || v > TOOL_MAX_BOARDS)
            return mpf_error_set(err, MPF_ERR_USAGE, "%s %s: expected a number of boards, 1..%u", spelled, value,
                                 TOOL_MAX_BOARDS);
        o->sim_boards = v;
        break;
    case OPT_ALL: o->all = 1; break;
    case OPT_BOOTLOADER:
        o->bootloader = 1;
        if (value) {
            if (!*value)
                return mpf_error_set(err, MPF_ERR_USAGE, "%s=: give the board's serial port, e.g. /dev/ttyACM0",
                                     spelled);
            rc = add_string(&o->ports, &o->port_count, value, err);
        }
        break;
    case OPT_WAIT_APP:
        if ((rc = once(st, d->id, spelled, err)))
            break;
        o->wait_app = 1;
        if (value) {
            if (tool_parse_u32(value, &v) != 0 || v == 0 || v > 3600)
                return mpf_error_set(err, MPF_ERR_USAGE, "%s=%s: expected a number of seconds, 1..3600",
                                     spelled, value);
            o->wait_app_seconds = v;
        }
        break;
    case OPT_BACKUP:
        if (!(rc = once(st, d->id, spelled, err)) && !(rc = no_stdin(value, spelled, err)))
            o->backup_file = value;
        break;
    case OPT_FULL: o->full = 1; break;
    case OPT_REFUSED:
        return mpf_error_set(err, MPF_ERR_USAGE, "%s is not supported by mpflash: %s", spelled, d->refusal);
    case OPT__COUNT: break;
    }
    return rc;
}

static mpf_err parse_argv(tool_options *o, tool_parse_state *st, int argc, char **argv, mpf_error *err)
{
    int options_done = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (options_done || a[0] != '-' || a[1] == '\0') {
            st->positional_count++;
            mpf_err rc = no_stdin(a, "a file named", err);
            if (!rc)
                rc = add_file(o, a, err);
            if (rc)
                return rc;
            continue;
        }
        if (strcmp(a, "--") == 0) {
            options_done = 1;
            continue;
        }
        if (a[1] == '-') {
            const char *name = a + 2;
            const char *eq = strchr(name, '=');
            size_t n = eq ? (size_t)(eq - name) : strlen(name);
            const opt_def *d = find_long(name, n);
            char spelled[40];
            snprintf(spelled, sizeof spelled, "--%.*s", (int)(n < 30 ? n : 30), name);
            if (!d)
                return mpf_error_set(err, MPF_ERR_USAGE, "unknown option %s (see mpflash --help)", spelled);
            const char *value = NULL;
            if (d->takes_arg == 2) {
                value = eq ? eq + 1 : NULL;
                if (!eq && i + 1 < argc && value_shaped(d->id, argv[i + 1]))
                    value = argv[++i];
            } else if (d->takes_arg) {
                if (eq)
                    value = eq + 1;
                else if (i + 1 < argc)
                    value = argv[++i];
                else
                    return mpf_error_set(err, MPF_ERR_USAGE, "%s needs a value (see mpflash --help)", spelled);
            } else if (eq) {
                return mpf_error_set(err, MPF_ERR_USAGE, "%s takes no value", spelled);
            }
            mpf_err rc = apply(o, st, d, spelled, value, err);
            if (rc)
                return rc;
            continue;
        }
        /* A cluster of short options: "-lv", "-a0", "-a 0". */
        for (size_t j = 1; a[j]; j++) {
            const opt_def *d = find_short(a[j]);
            char spelled[4] = {'-', a[j], '\0', '\0'};
            if (!d)
                return mpf_error_set(err, MPF_ERR_USAGE, "unknown option %s (see mpflash --help)", spelled);
            const char *value = NULL;
            if (d->takes_arg == 1) {
                if (a[j + 1])
                    value = a + j + 1;
                else if (i + 1 < argc)
                    value = argv[++i];
                else
                    return mpf_error_set(err, MPF_ERR_USAGE, "%s needs a value (see mpflash --help)", spelled);
            } else if (d->takes_arg == 2) {
                /* "-B/dev/ttyACM0", "-B /dev/ttyACM0"; "-wv" is still -w -v. */
                if (a[j + 1] && value_shaped(d->id, a + j + 1))
                    value = a + j + 1;
                else if (!a[j + 1] && i + 1 < argc && value_shaped(d->id, argv[i + 1]))
                    value = argv[++i];
            }
            mpf_err rc = apply(o, st, d, spelled, value, err);
            if (rc)
                return rc;
            if (value)
                break;
        }
    }
    return MPF_OK;
}

mpf_err tool_options_parse(tool_options *o, int argc, char **argv, mpf_error *err)
{
    memset(o, 0, sizeof *o);
    o->verify = 1;
    mpf_usb_filter_init(&o->filter);
    tool_parse_state *st = calloc(1, sizeof *st);
    if (!st)
        return mpf_error_set(err, MPF_ERR_NOMEM, "out of memory");
    mpf_err rc = parse_argv(o, st, argc, argv, err);
    if (!rc)
        rc = tool_options_decide(o, st, err);
    free(st);
    return rc;
}

void tool_options_free(tool_options *o)
{
    free(o->files);
    o->files = NULL;
    o->file_count = 0;
    free(o->serials);
    o->serials = NULL;
    o->serial_count = 0;
    free(o->ports);
    o->ports = NULL;
    o->port_count = 0;
    for (size_t i = 0; o->sim_chips && i < o->sim_chip_count; i++)
        free(o->sim_chips[i]);
    free(o->sim_chips);
    o->sim_chips = NULL;
    o->sim_chip_count = 0;
}
