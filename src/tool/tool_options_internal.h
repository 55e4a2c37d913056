/* Shared between parsing the command line (tool_options.c), the option
 * table (tool_option_effects.c, rows in tool_option_list.h), deciding what
 * it asks for (tool_options_decide.c) and --help (tool_help.c). */
#ifndef MPFLASH_TOOL_OPTIONS_INTERNAL_H
#define MPFLASH_TOOL_OPTIONS_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "tool/tool_options.h"

/* OPT_<ID> for every row of tool_option_list.h, in its order. OPT_NONE (0)
 * is no option: the end of a row's conflict list, a row that needs nothing. */
typedef enum tool_opt_id {
    OPT_NONE,
#define OPT(id, ...) OPT_##id,
#include "tool/tool_option_list.h"
#undef OPT
    OPT__COUNT
} tool_opt_id;

typedef enum tool_opt_arg {
    TOOL_ARG_NONE,
    TOOL_ARG_REQUIRED, /* --name VALUE, --name=VALUE, -xVALUE, -x VALUE */
    TOOL_ARG_OPTIONAL  /* --name=VALUE, -xVALUE; or the next argument when .shaped accepts it */
} tool_opt_arg;

/* The groups of --help, in order (titles in tool_help.c). */
typedef enum tool_help_group {
    HELP_FLASHING,
    HELP_BOARD,
    HELP_CHOOSING,
    HELP_SEVERAL,
    HELP_FILES,
    HELP_OUTPUT,
    HELP__COUNT
} tool_help_group;

/* Parser scratch: how each option was spelled, for messages. */
typedef struct tool_parse_state {
    char spelled[OPT__COUNT][40];
    int seen[OPT__COUNT];
    int positional_count;
    int upload_long; /* "--upload" was spelled out: pydfu meaning, but a dfu-util habit */
} tool_parse_state;

/* A member of tool_options, by place and size, so rows can name where a
 * value goes without code. size 0: none. */
typedef struct tool_opt_field {
    size_t offset, size;
} tool_opt_field;

typedef struct tool_opt_conflict {
    tool_opt_id with; /* OPT_NONE ends the list */
    const char *why;
} tool_opt_conflict;

/* What an option does beyond what its row says, run after the row's
 * checks and stores. value is NULL for an optional value not given. */
typedef mpf_err (*tool_opt_effect)(tool_options *o, tool_parse_state *st, const char *spelled, const char *value,
                                   mpf_error *err);

#define TOOL_OPT_MAX_CONFLICTS 3

typedef struct tool_opt_def {
    tool_opt_id id;
    char short_name;       /* 0: long only */
    const char *long_name; /* NULL: short only */
    tool_opt_arg arg;
    const char *arg_name;  /* the value in --help ("FILE"); also shown for options followed by files */
    int (*shaped)(const char *s); /* TOOL_ARG_OPTIONAL: can s be the value when not attached with '='? */
    unsigned commands;     /* CMD(command) bits it applies to */
    int once;              /* refused when given twice */
    int no_stdin;          /* "-" as the value is refused: files only */
    tool_opt_field sets;   /* an int set to 1 when the option is given */
    tool_opt_field value;  /* where the value is stored: a const char *, or a number with .number */
    int number;            /* the value is a number (tool_parse_u32) in min..max */
    uint32_t min, max;
    const char *bad_value; /* why a number is refused; "MIN..MAX" in it becomes the range */
    tool_opt_effect apply;
    tool_opt_conflict conflicts[TOOL_OPT_MAX_CONFLICTS];
    tool_opt_id needs;     /* refused without this option */
    tool_help_group group;
    const char *help;      /* NULL: not in --help */
    const char *refusal;   /* refused by name: why, and what to do instead */
    const char *dfuse_only; /* refused on a plain DFU device (tool_dfuse_only.c): why it does not apply */
} tool_opt_def;

_Static_assert(OPT__COUNT <= TOOL_OPT_SLOTS, "tool_options.given needs a slot per option");

/* Indexed by tool_opt_id. */
extern const tool_opt_def tool_opt_table[OPT__COUNT];

/* Row building blocks for tool_option_list.h. */
#define CMD(c) (1u << (c))
#define ALL_CMDS 0xFFFFu
#define DEVICE_CMDS                                                                          \
    (CMD(TOOL_CMD_FLASH) | CMD(TOOL_CMD_READ) | CMD(TOOL_CMD_MASS_ERASE) | CMD(TOOL_CMD_UNPROTECT) | \
     CMD(TOOL_CMD_LEAVE) | CMD(TOOL_CMD_DETACH))
#define TOOL_OPT_FIELD(m) {offsetof(tool_options, m), sizeof(((tool_options *)0)->m)}
#define SETS(m) .sets = TOOL_OPT_FIELD(m)
#define STRING(m) .value = TOOL_OPT_FIELD(m)
#define NUMBER(m, lo, hi, bad) .value = TOOL_OPT_FIELD(m), .number = 1, .min = (lo), .max = (hi), .bad_value = (bad)

/* One more firmware file, in command-line order. */
mpf_err tool_options_add_file(tool_options *o, const char *file, mpf_error *err);

/* Value shapes for TOOL_ARG_OPTIONAL. */
int tool_arg_is_number(const char *s);
int tool_arg_is_device_node(const char *s);

/* Choose the command and refuse options that do not go with it. */
mpf_err tool_options_decide(tool_options *o, tool_parse_state *st, mpf_error *err);

#endif
