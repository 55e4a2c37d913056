/* Several virtual boards in one run: --sim f401,f401,f405 or --sim f401
 * --sim-boards 4. Each gets a serial number and a port path of its own, as
 * boards on a hub would, so -S, -p and --all choose among them exactly as
 * they do among USB boards. */
#include <stdio.h>
#include <string.h>

#include "tool/tool_sim.h"

size_t tool_sim_board_count(const tool_options *o)
{
    if (!o->sim_chip)
        return 0;
    if (o->sim_chip_count == 1 && o->sim_boards > 1)
        return o->sim_boards;
    return o->sim_chip_count;
}

const char *tool_sim_board_chip(const tool_options *o, size_t index)
{
    if (o->sim_chip_count == 0)
        return o->sim_chip;
    return o->sim_chips[index < o->sim_chip_count ? index : 0];
}

void tool_sim_board_identity(mpf_sim *sim, const tool_options *o, size_t index)
{
    /* One board keeps the chip's own serial, as every earlier run saw it. */
    if (tool_sim_board_count(o) <= 1)
        return;
    char serial[16], path[16];
    snprintf(serial, sizeof serial, "SIM%zu", index + 1);
    snprintf(path, sizeof path, "1-%zu", index + 1);
    mpf_sim_set_serial(sim, serial);
    mpf_sim_set_path(sim, path);
}

void tool_board_file(const char *file, const char *board, char *out, size_t size)
{
    /* board.bin -> board.SIM2.bin; the extension stays, so the format shows. */
    const char *slash = strrchr(file, '/');
    const char *base = slash ? slash + 1 : file;
    const char *dot = strrchr(base, '.');
    if (!dot || dot == base)
        snprintf(out, size, "%s.%s", file, board);
    else
        snprintf(out, size, "%.*s.%s%s", (int)(dot - file), file, board, dot);
}
