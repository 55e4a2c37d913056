/* See tool_capture.h. Links against the tool library (every test does). */
#include "tool_capture.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>

#include "tool/tool.h"

void tool_run_captured(captured *c, int tty, const char *sim_fault, int argc, char **argv)
{
    FILE *out = open_memstream(&c->out, &c->out_len);
    FILE *err = open_memstream(&c->err, &c->err_len);
    assert_true(out && err);
    tool_io io = {.out = out, .err = err, .err_is_tty = tty, .sim_fault = sim_fault};
    c->code = tool_main(argc, argv, &io);
    fclose(out);
    fclose(err);
}

void captured_release(captured *c)
{
    free(c->out);
    free(c->err);
}
