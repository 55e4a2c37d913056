#include "mpflash/transport.h"

void mpf_transport_close(mpf_transport *t)
{
    if (!t)
        return;
    if (t->ops && t->ops->close)
        t->ops->close(t->ctx);
    t->ops = NULL;
    t->ctx = NULL;
}
