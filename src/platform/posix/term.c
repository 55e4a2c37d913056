#include "platform/term.h"

#include <unistd.h>

int mpf_term_ansi(FILE *f)
{
    return isatty(fileno(f));
}

void mpf_term_setup_stdio(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
}
