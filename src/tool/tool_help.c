/* The help text teaches by example first: most people arrive with a board
 * and a firmware.dfu, or with a Makefile line that used pydfu or dfu-util. */
#include "tool/tool_help.h"

#include <string.h>

#include "mpflash/version.h"
#include "tool/tool_options_internal.h"

static const char help_text[] =
    "Usage: mpflash [OPTIONS] [ADDR:]FILE...\n"
    "Flash firmware onto STM32 boards over USB DFU (ST system bootloader or\n"
    "MicroPython's mboot). Only the sectors the firmware needs are erased, so\n"
    "MicroPython's filesystem survives; the result is verified and the board\n"
    "restarted into the new firmware.\n"
    "\n"
    "Examples:\n"
    "  mpflash -u build-PYBV11/firmware.dfu      flash a board in DFU mode\n"
    "  mpflash firmware.elf                      the format is read from the content\n"
    "  mpflash 0x08000000:a.bin 0x08020000:b.bin  raw binaries at addresses\n"
    "  mpflash --vid 0x0483 --pid 0xDF11 -u build-PYBV11/firmware.dfu\n"
    "                                            what make deploy runs (pydfu)\n"
    "  mpflash -a 0 -d 0x0483:0xDF11 -D build-PYBV11/firmware.dfu -s :leave\n"
    "                                 make deploy USE_PYDFU=0 DFU_UTIL=mpflash\n"
    "  mpflash -U backup.bin -s 0x08000000:0x100000\n"
    "                                            back up 1 MiB of flash to a file\n"
    "  mpflash --dry-run -u firmware.dfu         show the plan, change nothing\n"
    "  mpflash --sim f401 -u firmware.dfu        try it on a built-in virtual board\n"
    "  mpflash --all --bootloader -u firmware.dfu --wait-app\n"
    "                                            every MicroPython board: into the\n"
    "                                            bootloader, flashed, and back\n"
    "\n";

/* The options, from their table rows. */
static const struct {
    const char *title;
    const char *first; /* a line before the options, or NULL */
} groups[HELP__COUNT] = {
    [HELP_FLASHING] = {"Flashing:", "FILE, ADDR:FILE          firmware to write (raw binaries need ADDR)"},
    [HELP_BOARD] = {"Other board commands:", NULL},
    [HELP_CHOOSING] = {"Choosing the board (needed only when more than one is connected):", NULL},
    [HELP_SEVERAL] = {"Several boards, boards running MicroPython:", NULL},
    [HELP_FILES] = {"Firmware files:", NULL},
    [HELP_OUTPUT] = {"Output:", NULL},
};

static const char help_tail[] =
    "Exit codes: 0 success, 1 usage error, 2 bad firmware file or image does not\n"
    "fit, 3 no board or more than one, 4 USB or permission error, 5 the board\n"
    "reported an error, 6 verify mismatch, 7 the application did not come back\n"
    "(--wait-app), 8 internal error. With several boards: the code of the first\n"
    "board in the table that failed.\n"
    "See mpflash(1) for details.\n";

/* Where the descriptions start; a longer option name gets a line of its own. */
#define HELP_COLUMN 27

static void option_line(FILE *out, const tool_opt_def *d)
{
    /* "-u, --upload FILE", "--wait-app[=SECONDS]", "-l, --list" */
    char left[96];
    size_t n = 0;
    if (d->short_name)
        n += (size_t)snprintf(left + n, sizeof left - n, "-%c%s", d->short_name, d->long_name ? ", " : "");
    if (d->long_name)
        n += (size_t)snprintf(left + n, sizeof left - n, "--%s", d->long_name);
    if (d->arg_name)
        snprintf(left + n, sizeof left - n, d->arg == TOOL_ARG_OPTIONAL ? "[=%s]" : " %s", d->arg_name);
    fprintf(out, "  %s", left);
    int width = 2 + (int)strlen(left);
    if (width >= HELP_COLUMN - 1) {
        fputc('\n', out);
        width = 0;
    }
    for (const char *line = d->help; *line;) {
        size_t len = strcspn(line, "\n");
        fprintf(out, "%*s%.*s\n", HELP_COLUMN - width, "", (int)len, line);
        width = 0;
        line += len + (line[len] == '\n');
    }
}

void tool_help(FILE *out)
{
    fputs(help_text, out);
    for (int g = 0; g < HELP__COUNT; g++) {
        fprintf(out, "%s\n", groups[g].title);
        if (groups[g].first)
            fprintf(out, "  %s\n", groups[g].first);
        for (int id = 1; id < OPT__COUNT; id++)
            if (tool_opt_table[id].help && tool_opt_table[id].group == (tool_help_group)g)
                option_line(out, &tool_opt_table[id]);
        fputc('\n', out);
    }
    fputs(help_tail, out);
}

void tool_version(FILE *out)
{
    fputs("mpflash " MPFLASH_VERSION "\n", out);
}
