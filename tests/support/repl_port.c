#include "repl_port.h"

static uint64_t clock_now(void *ctx)
{
    const repl_port *rp = ctx;
    return rp->board.now_ms * 1000u;
}

static void clock_sleep(void *ctx, uint64_t us)
{
    repl_port *rp = ctx;
    repl_board_advance(&rp->board, rp->board.now_ms + (us + 999u) / 1000u);
}

static mpf_err port_open(void *ctx, const char *name, void **handle, mpf_error *err)
{
    (void)name;
    (void)err;
    repl_port *rp = ctx;
    rp->opens++;
    /* Like tcflush / PurgeComm: what the board printed before is gone. */
    rp->board.out_len = 0;
    *handle = rp;
    return MPF_OK;
}

static void port_close(void *ctx, void *handle)
{
    (void)ctx;
    (void)handle;
}

static long port_write(void *ctx, void *handle, const uint8_t *data, size_t len, uint32_t wait_ms,
                       mpf_error *err)
{
    (void)handle;
    (void)wait_ms;
    repl_port *rp = ctx;
    if (rp->board.dropped) {
        mpf_error_set(err, MPF_ERR_USB_DISCONNECTED, "the board went away while mpflash was writing to it");
        return MPF_PORT_HANGUP;
    }
    repl_board_receive(&rp->board, data, len);
    return (long)len;
}

static long port_read(void *ctx, void *handle, uint8_t *buf, size_t cap, uint32_t wait_ms)
{
    (void)handle;
    repl_port *rp = ctx;
    repl_board *b = &rp->board;
    uint64_t until = b->now_ms + wait_ms;
    for (;;) {
        size_t n = repl_board_take(b, buf, cap);
        if (n)
            return (long)n;
        if (b->dropped)
            return MPF_PORT_HANGUP;
        uint64_t next = repl_board_next_event(b);
        if (next > until) {
            repl_board_advance(b, until);
            return MPF_PORT_TIMEOUT;
        }
        repl_board_advance(b, next);
    }
}

/* The touch: the board records the speed it was opened at. */
static mpf_err port_touch(void *ctx, const char *name, uint32_t baud, mpf_error *err)
{
    (void)name;
    (void)err;
    repl_port *rp = ctx;
    rp->touches++;
    rp->touch_baud = baud;
    return MPF_OK;
}

void repl_port_init(repl_port *rp, const fake_repl_config *cfg)
{
    repl_board_init(&rp->board, cfg);
    rp->ops = (mpf_port_ops){port_open, port_close, port_write, port_read, rp, port_touch};
    rp->touches = 0;
    rp->touch_baud = 0;
    rp->clock = (mpf_clock){clock_now, clock_sleep, rp};
    rp->env = (mpf_serial_env){&rp->ops, &rp->clock};
    rp->opens = 0;
}
