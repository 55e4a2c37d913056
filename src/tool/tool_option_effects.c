/* The option table, made from the rows of tool_option_list.h, and the
 * effects of the options that do more than store a value or set a flag. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mpflash/chip.h"
#include "platform/file.h"
#include "platform/serial_port.h"
#include "tool/tool_options_internal.h"
#include "tool/tool_parse.h"

int tool_arg_is_number(const char *s)
{
    if (!*s)
        return 0;
    for (; *s; s++)
        if (*s < '0' || *s > '9')
            return 0;
    return 1;
}

/* /dev/ttyACM0, COM5 on Windows; or a character device wherever it is (a
 * link to the board's tty in the user's folder): read as a firmware file it
 * would be refused anyway. */
int tool_arg_is_device_node(const char *s)
{
    return mpf_port_name_is_port(s) || mpf_file_kind_of_path(s) == MPF_FILE_DEVICE;
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

mpf_err tool_options_add_file(tool_options *o, const char *file, mpf_error *err)
{
    return add_string(&o->files, &o->file_count, file, err);
}

/* -u, -D: one more file to flash, in order with the positional ones. */
static mpf_err effect_flash_file(tool_options *o, tool_parse_state *st, const char *spelled, const char *value,
                                 mpf_error *err)
{
    if (strcmp(spelled, "--upload") == 0)
        st->upload_long = 1;
    return tool_options_add_file(o, value, err);
}

static mpf_err effect_no_verify(tool_options *o, tool_parse_state *st, const char *spelled, const char *value,
                                mpf_error *err)
{
    (void)st, (void)spelled, (void)value, (void)err;
    o->verify = 0;
    return MPF_OK;
}

static mpf_err effect_verbose(tool_options *o, tool_parse_state *st, const char *spelled, const char *value,
                              mpf_error *err)
{
    (void)st, (void)spelled, (void)value, (void)err;
    o->verbose++;
    return MPF_OK;
}

static mpf_err effect_help(tool_options *o, tool_parse_state *st, const char *spelled, const char *value,
                           mpf_error *err)
{
    (void)st, (void)spelled, (void)value, (void)err;
    o->command = TOOL_CMD_HELP;
    return MPF_OK;
}

/* -x, -R: leaving DFU mode asked for explicitly (as -s :leave does). */
static mpf_err effect_leave(tool_options *o, tool_parse_state *st, const char *spelled, const char *value,
                            mpf_error *err)
{
    (void)st, (void)spelled, (void)value, (void)err;
    o->leave = 1;
    return MPF_OK;
}

/* -n, -c, -i: dfu-util's other ways of choosing the device. */
static mpf_err effect_devnum(tool_options *o, tool_parse_state *st, const char *spelled, const char *value,
                             mpf_error *err)
{
    (void)st, (void)spelled, (void)value, (void)err;
    o->filter.devnum = (int)o->devnum;
    return MPF_OK;
}

static mpf_err effect_cfg(tool_options *o, tool_parse_state *st, const char *spelled, const char *value,
                          mpf_error *err)
{
    (void)st, (void)spelled, (void)value, (void)err;
    o->filter.configuration = (int)o->cfg;
    return MPF_OK;
}

static mpf_err effect_intf(tool_options *o, tool_parse_state *st, const char *spelled, const char *value,
                           mpf_error *err)
{
    (void)st, (void)spelled, (void)value, (void)err;
    o->filter.interface = (int)o->intf;
    return MPF_OK;
}

static mpf_err effect_dfuse_address(tool_options *o, tool_parse_state *st, const char *spelled, const char *value,
                                    mpf_error *err)
{
    (void)st;
    return tool_parse_dfuse_address(value, spelled, o, err);
}

/* pydfu's --vid/--pid: the same device in either mode. */
static mpf_err effect_vid(tool_options *o, tool_parse_state *st, const char *spelled, const char *value,
                          mpf_error *err)
{
    (void)st, (void)spelled, (void)value, (void)err;
    o->filter.vid = o->filter.dfu_vid = o->vid_override;
    return MPF_OK;
}

static mpf_err effect_pid(tool_options *o, tool_parse_state *st, const char *spelled, const char *value,
                          mpf_error *err)
{
    (void)st, (void)spelled, (void)value, (void)err;
    o->filter.pid = o->filter.dfu_pid = o->pid_override;
    return MPF_OK;
}

/* A filter's refusal, with the option and value as typed in front. */
static mpf_err as_typed(mpf_err rc, const char *spelled, const char *value, mpf_error *err)
{
    if (rc)
        mpf_error_prefix(err, "%s %s", spelled, value);
    return rc;
}

static mpf_err effect_device(tool_options *o, tool_parse_state *st, const char *spelled, const char *value,
                             mpf_error *err)
{
    (void)st;
    return as_typed(mpf_usb_filter_set_ids(&o->filter, value, err), spelled, value, err);
}

static mpf_err effect_path(tool_options *o, tool_parse_state *st, const char *spelled, const char *value,
                           mpf_error *err)
{
    (void)st;
    return as_typed(mpf_usb_filter_set_path(&o->filter, value, err), spelled, value, err);
}

static mpf_err effect_alt(tool_options *o, tool_parse_state *st, const char *spelled, const char *value,
                          mpf_error *err)
{
    (void)st;
    mpf_err rc = as_typed(mpf_usb_filter_set_alt(&o->filter, value, err), spelled, value, err);
    if (rc)
        return rc;
    o->alt_set = 1;
    o->alt_number = o->filter.alt;
    return MPF_OK;
}

/* -S given again names another board: flashing several at once. Each value
 * is checked as it comes; the filter holds the first. */
static mpf_err effect_serial(tool_options *o, tool_parse_state *st, const char *spelled, const char *value,
                             mpf_error *err)
{
    (void)st;
    mpf_err rc = add_string(&o->serials, &o->serial_count, value, err);
    if (rc)
        return rc;
    if (o->serial_count == 1) {
        rc = mpf_usb_filter_set_serial(&o->filter, value, err);
    } else {
        mpf_usb_filter scratch;
        mpf_usb_filter_init(&scratch);
        rc = mpf_usb_filter_set_serial(&scratch, value, err);
    }
    return as_typed(rc, spelled, value, err);
}

/* --sim f401,f401,f405: one virtual board per name. Names are checked when
 * the boards are made, so "--sim list" keeps working here. */
static mpf_err effect_sim(tool_options *o, tool_parse_state *st, const char *spelled, const char *value,
                          mpf_error *err)
{
    (void)st;
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
    o->sim_chip = value;
    return MPF_OK;
}

/* --chip FAMILY: a profile name (src/chips). */
static mpf_err effect_chip(tool_options *o, tool_parse_state *st, const char *spelled, const char *value,
                           mpf_error *err)
{
    (void)st;
    if (mpf_chip_find(value)) {
        o->chip = value;
        return MPF_OK;
    }
    char names[256] = "";
    size_t used = 0;
    for (size_t i = 0; i < mpf_chip_count() && used < sizeof names; i++) {
        int n = snprintf(names + used, sizeof names - used, "%s ", mpf_chip_at(i)->name);
        used += n > 0 ? (size_t)n : 0;
    }
    return mpf_error_set(err, MPF_ERR_USAGE, "%s %s: not an STM32 family mpflash knows; use one of: "
                         "%sunknown", spelled, value, names);
}

/* -B [PORT]: a PORT each time names the boards; none finds them. */
static mpf_err effect_bootloader_port(tool_options *o, tool_parse_state *st, const char *spelled,
                                      const char *value, mpf_error *err)
{
    (void)st;
    if (!value)
        return MPF_OK;
    if (!*value)
        return mpf_error_set(err, MPF_ERR_USAGE, "%s=: give the board's serial port, e.g. " MPF_PORT_EXAMPLE, spelled);
    return add_string(&o->ports, &o->port_count, value, err);
}

const tool_opt_def tool_opt_table[OPT__COUNT] = {
#define OPT(name, ...) [OPT_##name] = {.id = OPT_##name, __VA_ARGS__},
#include "tool/tool_option_list.h"
#undef OPT
};
