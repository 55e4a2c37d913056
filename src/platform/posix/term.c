#include "platform/term.h"

#include <unistd.h>

int mpf_term_ansi(FILE *f)
{
    return isatty(fileno(f));
}
