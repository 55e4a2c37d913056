/* The mpflash executable: everything lives in the tool library so the tests
 * can run the same code in-process. */
#include <stdio.h>
#include <stdlib.h>

#include "platform/term.h"
#include "tool/tool.h"
#include "tool/tool_interrupt.h"

int main(int argc, char **argv)
{
    /* Results go to stdout, progress and warnings to unbuffered stderr.
     * Piped, stdout would be fully buffered and its lines would all come
     * after the progress ("2>&1 | less", CI logs); a line at a time keeps
     * both in the order they happened (mpf_term_setup_stdio). */
    mpf_term_setup_stdio();
    tool_interrupt_install();
    tool_io io = {
        .out = stdout,
        .err = stderr,
        .err_is_tty = mpf_term_ansi(stderr),
        .sim_fault = getenv("MPFLASH_SIM_FAULT"),
        .sysfs_root = getenv("MPFLASH_SYSFS_ROOT"),
        .dev_root = getenv("MPFLASH_DEV_ROOT"),
    };
    int code = tool_main(argc, argv, &io);
    tool_interrupt_uninstall();
    return code;
}
