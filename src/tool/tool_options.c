/* Command-line parsing, driven by the option table (tool_option_list.h).
 * pydfu's, dfu-util's and the new options share it because MicroPython's
 * Makefile uses both grammars and they do not collide except at --upload.
 * Our own parser rather than getopt_long: no global state, no argv
 * permutation, and messages that name the option exactly as typed. */
#include "tool/tool_options.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tool/tool_options_internal.h"
#include "tool/tool_parse.h"

static const tool_opt_def *find_short(char c)
{
    for (size_t i = 1; i < OPT__COUNT; i++)
        if (tool_opt_table[i].short_name == c)
            return &tool_opt_table[i];
    return NULL;
}

static const tool_opt_def *find_long(const char *name, size_t n)
{
    for (size_t i = 1; i < OPT__COUNT; i++) {
        const char *l = tool_opt_table[i].long_name;
        if (l && strlen(l) == n && strncmp(l, name, n) == 0)
            return &tool_opt_table[i];
    }
    return NULL;
}

static mpf_err no_stdin(const char *value, const char *spelled, mpf_error *err)
{
    if (strcmp(value, "-") == 0)
        return mpf_error_set(err, MPF_ERR_USAGE,
                             "%s -: standard input/output is not supported; give a file name", spelled);
    return MPF_OK;
}

static void *field_at(tool_options *o, tool_opt_field f)
{
    return (char *)o + f.offset;
}

/* A number into a member of the width the row names. */
static void store_number(tool_options *o, tool_opt_field f, uint32_t v)
{
    void *at = field_at(o, f);
    if (f.size == sizeof(uint8_t)) {
        uint8_t b = (uint8_t)v;
        memcpy(at, &b, sizeof b);
    } else if (f.size == sizeof(uint16_t)) {
        uint16_t h = (uint16_t)v;
        memcpy(at, &h, sizeof h);
    } else {
        memcpy(at, &v, sizeof v);
    }
}

static mpf_err bad_number(const tool_opt_def *d, const char *spelled, const char *value, mpf_error *err)
{
    /* "MIN..MAX" in the row's reason becomes the range checked, so the
     * message cannot drift from the check. */
    char why[200];
    const char *mark = strstr(d->bad_value, "MIN..MAX");
    if (mark)
        snprintf(why, sizeof why, "%.*s%u..%u%s", (int)(mark - d->bad_value), d->bad_value, (unsigned)d->min,
                 (unsigned)d->max, mark + strlen("MIN..MAX"));
    else
        snprintf(why, sizeof why, "%s", d->bad_value);
    /* An optional value is attached with '=' (or looked like one). */
    return mpf_error_set(err, MPF_ERR_USAGE, d->arg == TOOL_ARG_OPTIONAL ? "%s=%s: %s" : "%s %s: %s", spelled,
                         value, why);
}

/* What a row says the option does, then its own effect. */
static mpf_err apply(tool_options *o, tool_parse_state *st, const tool_opt_def *d, const char *spelled,
                     const char *value, mpf_error *err)
{
    st->seen[d->id]++;
    o->given[d->id] = 1;
    snprintf(st->spelled[d->id], sizeof st->spelled[d->id], "%s", spelled);
    if (d->refusal)
        return mpf_error_set(err, MPF_ERR_USAGE, "%s is not supported by mpflash: %s", spelled, d->refusal);
    if (d->once && st->seen[d->id] > 1)
        return mpf_error_set(err, MPF_ERR_USAGE, "%s given twice; give it once", spelled);
    mpf_err rc;
    if (value && d->no_stdin && (rc = no_stdin(value, spelled, err)))
        return rc;
    if (value && d->value.size) {
        if (d->number) {
            uint32_t v;
            if (tool_parse_u32(value, &v) != 0 || v < d->min || v > d->max)
                return bad_number(d, spelled, value, err);
            store_number(o, d->value, v);
        } else {
            memcpy(field_at(o, d->value), &value, sizeof value);
        }
    }
    if (d->sets.size) {
        int one = 1;
        memcpy(field_at(o, d->sets), &one, sizeof one);
    }
    return d->apply ? d->apply(o, st, spelled, value, err) : MPF_OK;
}

static mpf_err parse_long(tool_options *o, tool_parse_state *st, int argc, char **argv, int *i, mpf_error *err)
{
    const char *name = argv[*i] + 2;
    const char *eq = strchr(name, '=');
    size_t n = eq ? (size_t)(eq - name) : strlen(name);
    const tool_opt_def *d = find_long(name, n);
    char spelled[40];
    snprintf(spelled, sizeof spelled, "--%.*s", (int)(n < 30 ? n : 30), name);
    if (!d)
        return mpf_error_set(err, MPF_ERR_USAGE, "unknown option %s (see mpflash --help)", spelled);
    const char *value = NULL;
    if (d->arg == TOOL_ARG_OPTIONAL) {
        value = eq ? eq + 1 : NULL;
        if (!eq && *i + 1 < argc && d->shaped(argv[*i + 1]))
            value = argv[++*i];
    } else if (d->arg == TOOL_ARG_REQUIRED) {
        if (eq)
            value = eq + 1;
        else if (*i + 1 < argc)
            value = argv[++*i];
        else
            return mpf_error_set(err, MPF_ERR_USAGE, "%s needs a value (see mpflash --help)", spelled);
    } else if (eq) {
        return mpf_error_set(err, MPF_ERR_USAGE, "%s takes no value", spelled);
    }
    return apply(o, st, d, spelled, value, err);
}

/* A cluster of short options: "-lv", "-a0", "-a 0". */
static mpf_err parse_short(tool_options *o, tool_parse_state *st, int argc, char **argv, int *i, mpf_error *err)
{
    const char *a = argv[*i];
    for (size_t j = 1; a[j]; j++) {
        const tool_opt_def *d = find_short(a[j]);
        char spelled[4] = {'-', a[j], '\0', '\0'};
        if (!d)
            return mpf_error_set(err, MPF_ERR_USAGE, "unknown option %s (see mpflash --help)", spelled);
        const char *value = NULL;
        if (d->arg == TOOL_ARG_REQUIRED) {
            if (a[j + 1])
                value = a + j + 1;
            else if (*i + 1 < argc)
                value = argv[++*i];
            else
                return mpf_error_set(err, MPF_ERR_USAGE, "%s needs a value (see mpflash --help)", spelled);
        } else if (d->arg == TOOL_ARG_OPTIONAL) {
            /* "-B/dev/ttyACM0", "-B /dev/ttyACM0"; "-wv" is still -w -v. */
            if (a[j + 1] && d->shaped(a + j + 1))
                value = a + j + 1;
            else if (!a[j + 1] && *i + 1 < argc && d->shaped(argv[*i + 1]))
                value = argv[++*i];
        }
        mpf_err rc = apply(o, st, d, spelled, value, err);
        if (rc || value)
            return rc;
    }
    return MPF_OK;
}

static mpf_err parse_argv(tool_options *o, tool_parse_state *st, int argc, char **argv, mpf_error *err)
{
    int options_done = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        mpf_err rc;
        if (options_done || a[0] != '-' || a[1] == '\0') {
            st->positional_count++;
            rc = no_stdin(a, "a file named", err);
            if (!rc)
                rc = tool_options_add_file(o, a, err);
        } else if (strcmp(a, "--") == 0) {
            options_done = 1;
            rc = MPF_OK;
        } else if (a[1] == '-') {
            rc = parse_long(o, st, argc, argv, &i, err);
        } else {
            rc = parse_short(o, st, argc, argv, &i, err);
        }
        if (rc)
            return rc;
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
