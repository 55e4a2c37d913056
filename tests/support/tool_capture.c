/* See tool_capture.h. Links against the tool library (every test does). */
#include "tool_capture.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>

#include "test_os.h"
#include "tool/tool.h"

void tool_run_captured(captured *c, int tty, const char *sim_fault, int argc, char **argv)
{
    tos_capture out, err;
    assert_true(tos_capture_begin(&out) && tos_capture_begin(&err));
    tool_io io = {.out = out.f, .err = err.f, .err_is_tty = tty, .sim_fault = sim_fault};
    c->code = tool_main(argc, argv, &io);
    c->out = tos_capture_end(&out, &c->out_len);
    c->err = tos_capture_end(&err, &c->err_len);
    assert_true(c->out && c->err);
}

void captured_release(captured *c)
{
    free(c->out);
    free(c->err);
}
