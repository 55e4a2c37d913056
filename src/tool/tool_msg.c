/* Messages to the user. Only the tool prints; the library fills mpf_error. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "tool/tool_ctx.h"
#include "tool/tool_json.h"
#include "tool/tool_exit.h"

/* Text with the board's label in front of every line it starts. */
static void say_prefixed(tool_ctx *ctx, const char *text)
{
    while (*text) {
        if (!ctx->mid_line)
            fprintf(ctx->out, "%s: ", ctx->line_prefix);
        size_t n = strcspn(text, "\n");
        int ends = text[n] == '\n';
        fwrite(text, 1, n + (size_t)ends, ctx->out);
        ctx->mid_line = !ends;
        text += n + (size_t)ends;
    }
}

void tool_say(tool_ctx *ctx, const char *fmt, ...)
{
    if (ctx->opt.quiet || ctx->opt.json)
        return;
    va_list ap;
    va_start(ap, fmt);
    if (!ctx->line_prefix) {
        vfprintf(ctx->out, fmt, ap);
        va_end(ap);
        return;
    }
    char small[512];
    va_list again;
    va_copy(again, ap);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n >= 0 && (size_t)n < sizeof small) {
        say_prefixed(ctx, small);
    } else if (n >= 0) {
        char *big = malloc((size_t)n + 1);
        if (big) {
            vsnprintf(big, (size_t)n + 1, fmt, again);
            say_prefixed(ctx, big);
            free(big);
        }
    }
    va_end(again);
}

void tool_warn(tool_ctx *ctx, const char *fmt, ...)
{
    fputs("mpflash: warning: ", ctx->err);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(ctx->err, fmt, ap);
    va_end(ap);
    fputc('\n', ctx->err);
}

/* The library says what would lift a refusal in its own terms (a reason);
 * this is the same advice in this tool's options. */
static const char *hint_for_reason(mpf_reason reason)
{
    switch (reason) {
    case MPF_REASON_NEEDS_FORCE: return "if that is really what you want, add --force";
    case MPF_REASON_NEVER: return "--force does not change this";
    case MPF_REASON_AMBIGUOUS_DEVICE: return "choose one with -S SERIAL or -p PATH (mpflash -l shows both)";
    case MPF_REASON_AMBIGUOUS_PATH: return "choose one with -p PATH (mpflash -l shows it)";
    case MPF_REASON_PERMISSION:
#ifdef _WIN32
        return "close the program that holds the board, or give it the WinUSB driver with Zadig (README, Windows)";
#else
        return "install the udev rule: sudo cp udev/50-mpflash.rules /etc/udev/rules.d/ && sudo udevadm control "
               "--reload && sudo udevadm trigger, then replug the board (or run as root)";
#endif
    case MPF_REASON_READ_PROTECTED:
        return "run with --unprotect --force (or -s :unprotect:force) to remove it, then flash again";
    case MPF_REASON_NEEDS_ADDRESS: return "give one: 0x08000000:FILE or -s 0x08000000";
    case MPF_REASON_OTHER_ALT: return "drop -a to write every alt setting the file names";
    case MPF_REASON_ONE_ALT: return "flash one alt setting per run: -a N";
    case MPF_REASON_BAD_DESCRIPTOR: return "replug the board and check what mpflash -l shows";
    case MPF_REASON_DETACH_REFUSED: return "drop -Q/--final-detach to leave by USB reset";
    case MPF_REASON_DEVICE_FILE: return "a board's serial port goes after -B: -B PORT takes ports as /dev/... or COMn";
    case MPF_REASON_NONE:
    case MPF_REASON__COUNT: break;
    }
    return NULL;
}

/* What to do next, for the failures where the message cannot know. */
static const char *hint_for(mpf_err code)
{
    switch (code) {
    case MPF_ERR_USAGE: return "see mpflash --help";
    /* Permission, busy and driver problems come from the USB layer with
     * their advice already in the message. */
    case MPF_ERR_USB_DISCONNECTED:
    case MPF_ERR_USB_TIMEOUT:
    case MPF_ERR_USB_STALL:
    case MPF_ERR_USB:
        return "check the cable and the port, put the board back in DFU mode and run the same command again";
    case MPF_ERR_DEVICE_STATUS:
    case MPF_ERR_PROTOCOL:
        return "run the same command again (mpflash clears the error first); if it fails the same way, check that the firmware is built for this board, and add -v to see every request";
    case MPF_ERR_VERIFY:
        return "the flash does not hold what was written: a write-protected sector or failing flash; flash again, then check the option bytes";
    case MPF_ERR_NOMEM:
    case MPF_ERR_INTERNAL: return "please report this with the output of -v";
    default: return NULL;
    }
}

void tool_result_fail_begin(tool_ctx *ctx, tool_json *j, const char *command, const mpf_error *e)
{
    tj_begin(j, ctx->out);
    tj_str(j, "event", "result");
    tj_str(j, "command", command);
    tj_bool(j, "ok", 0);
    tj_int(j, "exit_code", tool_exit_code(e->code));
    tj_str(j, "error", mpf_err_name(e->code));
    if (e->reason != MPF_REASON_NONE)
        tj_str(j, "reason", mpf_reason_name(e->reason));
    tj_str(j, "message", e->message);
}

int tool_fail(tool_ctx *ctx, const char *command, const mpf_error *e)
{
    int code = tool_exit_code(e->code);
    fprintf(ctx->err, "mpflash: error: %s\n", e->message[0] ? e->message : mpf_err_name(e->code));
    const char *hint = hint_for_reason(e->reason);
    if (!hint)
        hint = hint_for(e->code);
    /* Usage messages often point at --help already. */
    if (hint && e->code == MPF_ERR_USAGE && strstr(e->message, "--help"))
        hint = NULL;
    if (hint)
        fprintf(ctx->err, "mpflash: hint: %s\n", hint);
    if (ctx->opt.json && !ctx->result_written) {
        tool_json j;
        tool_result_fail_begin(ctx, &j, command, e);
        if (ctx->boards) {
            tj_u64(&j, "boards", ctx->boards);
            tj_u64(&j, "failed", ctx->boards_failed);
        }
        tj_end(&j);
    }
    fflush(ctx->out);
    fflush(ctx->err);
    return code;
}

void tool_result_begin(tool_ctx *ctx, tool_json *j, const char *command)
{
    tj_begin(j, ctx->out);
    tj_str(j, "event", "result");
    tj_str(j, "command", command);
    tj_bool(j, "ok", 1);
    tj_int(j, "exit_code", 0);
}

void tool_format_size(char *buf, size_t n, uint64_t bytes)
{
    if (bytes >= 1024 * 1024 && bytes % (1024 * 1024) == 0)
        snprintf(buf, n, "%" PRIu64 " MiB", bytes >> 20);
    else if (bytes >= 1024 && bytes % 1024 == 0)
        snprintf(buf, n, "%" PRIu64 " KiB", bytes >> 10);
    else if (bytes >= 10 * 1024)
        snprintf(buf, n, "%.1f KiB", (double)bytes / 1024.0);
    else
        snprintf(buf, n, "%" PRIu64 " bytes", bytes);
}

void tool_format_duration(char *buf, size_t n, uint64_t us)
{
    if (us < 1000000)
        snprintf(buf, n, "%" PRIu64 " ms", (us + 500) / 1000);
    else if (us < 600000000)
        snprintf(buf, n, "%.1f s", (double)us / 1e6);
    else
        snprintf(buf, n, "%" PRIu64 " min %" PRIu64 " s", us / 60000000, (us / 1000000) % 60);
}
