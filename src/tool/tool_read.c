/* -U FILE: read flash into a file. The file is written only once the whole
 * read has succeeded, and atomically, so a failed read never leaves a
 * truncated backup that looks complete. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "mpflash/engine.h"
#include "mpflash/layout.h"
#include "tool/tool_interrupt.h"
#include "tool/tool_commands.h"
#include "tool/tool_device.h"
#include "tool/tool_dfuse_only.h"
#include "tool/tool_progress.h"

#define READ_MAX (256u * 1024u * 1024u)

static const mpf_alt_setting *find_alt(const mpf_device_info *info, uint8_t alt)
{
    for (size_t i = 0; i < info->num_alts && i < MPF_MAX_ALTS; i++)
        if (info->alts[i].alt == alt)
            return &info->alts[i];
    return NULL;
}

/* The range -s asks for, checked sector by sector against the layout. */
static mpf_err read_range(tool_ctx *ctx, const mpf_alt_setting *as, uint32_t *start, uint32_t *len,
                          mpf_error *err)
{
    mpf_layout l;
    mpf_err rc = mpf_layout_parse(as->name, &l, err);
    if (rc) {
        mpf_error_prefix(err, "alt %u", (unsigned)as->alt);
        return rc;
    }
    uint64_t first = ctx->opt.has_address ? ctx->opt.address : (l.count ? l.groups[0].start : 0);
    /* -Z N is dfu-util's length when -s gives none. */
    uint64_t end = ctx->opt.has_length ? first + ctx->opt.length
                   : ctx->opt.has_upload_size ? first + ctx->opt.upload_size : UINT64_MAX;
    uint64_t at = first;
    while (at < end) {
        uint32_t sector_start, sector_size;
        uint8_t type;
        if (!mpf_layout_find(&l, (uint32_t)at, &sector_start, &sector_size, &type)) {
            if (!ctx->opt.has_length && at > first)
                break; /* no length: read to the end of this memory */
            rc = mpf_error_set(err, MPF_ERR_REFUSED,
                               "-s: 0x%08llX is outside alt %u's memory \"%s\"; see mpflash -l for the layout",
                               (unsigned long long)at, (unsigned)as->alt, l.name);
            break;
        }
        if (!(type & MPF_MEM_READABLE)) {
            rc = mpf_error_set(err, MPF_ERR_REFUSED,
                               "-s: the sector at 0x%08X of alt %u (\"%s\") is not readable (type '%c')",
                               (unsigned)sector_start, (unsigned)as->alt, l.name, mpf_layout_type_letter(type));
            break;
        }
        at = (uint64_t)sector_start + sector_size;
        if (at > 0xFFFFFFFFull)
            break;
    }
    if (!rc && end == UINT64_MAX)
        end = at;
    if (!rc && end - first > READ_MAX)
        rc = mpf_error_set(err, MPF_ERR_USAGE, "-s: %llu bytes is more than mpflash reads at once (%u MiB)",
                           (unsigned long long)(end - first), READ_MAX >> 20);
    mpf_layout_free(&l);
    if (!rc) {
        *start = (uint32_t)first;
        *len = (uint32_t)(end - first);
    }
    return rc;
}

static uint32_t default_leave_address(const mpf_device_info *info)
{
    mpf_layout l;
    uint32_t address = 0x08000000u;
    if (info->num_alts && mpf_layout_parse(info->alts[0].name, &l, NULL) == MPF_OK) {
        if (l.count)
            address = l.groups[0].start;
        mpf_layout_free(&l);
    }
    return address;
}

uint32_t tool_leave_address(const tool_ctx *ctx, const mpf_device_info *info)
{
    if (ctx->opt.has_leave_address)
        return ctx->opt.leave_address;
    if (ctx->opt.has_address && ctx->opt.command != TOOL_CMD_READ)
        return ctx->opt.address;
    return default_leave_address(info);
}

static void read_done(tool_ctx *ctx, const tool_device *dev, uint8_t alt, uint32_t start, size_t len,
                      uint64_t took)
{
    if (ctx->opt.json) {
        tool_json j;
        tool_result_begin(ctx, &j, "read");
        tj_str(&j, "file", ctx->opt.read_file);
        tj_u64(&j, "alt", alt);
        tj_u64(&j, "address", start);
        tj_u64(&j, "bytes_read", len);
        tj_bool(&j, "left", ctx->opt.leave);
        tj_u64(&j, "elapsed_ms", took / 1000u);
        tj_str(&j, "clock", dev->sim ? "modelled" : "wall");
        tj_end(&j);
    } else {
        char t[32];
        tool_format_duration(t, sizeof t, took);
        tool_say(ctx, "done: read %zu bytes from 0x%08X (alt %u) into %s in %s%s\n", len, (unsigned)start,
                 (unsigned)alt, ctx->opt.read_file, t, dev->sim ? " of modelled device time" : "");
    }
}

/* A plain DFU board has no addresses: UPLOAD from its first byte until the
 * short frame that ends it, or -Z bytes. */
static mpf_err read_plain(tool_ctx *ctx, tool_device *dev, uint8_t alt, mpf_error *err)
{
    const mpf_device_info *info = &dev->transport.info;
    if (ctx->opt.has_address)
        return mpf_error_set(err, MPF_ERR_USAGE,
                             "-s: %04x:%04x is a plain DFU device, which has no addresses: it is read from its "
                             "first byte; bound the size with -Z N",
                             info->vid, info->pid);
    tool_progress prog;
    tool_progress_init(&prog, ctx, dev);
    mpf_callbacks cb;
    tool_progress_callbacks(&prog, &cb);
    uint64_t t0 = tool_device_now_us(dev);
    mpf_dfu *d = NULL;
    uint8_t *buf = NULL;
    size_t len = 0;
    mpf_err rc = tool_session_new(&dev->transport, &cb, &d, err);
    if (!rc)
        rc = mpf_dfu_upload(d, alt, ctx->opt.has_upload_size ? ctx->opt.upload_size : READ_MAX, &buf, &len, err);
    uint64_t took = tool_device_now_us(dev) - t0;
    if (!rc && ctx->opt.leave)
        rc = ctx->opt.final_detach ? mpf_dfu_detach(d, err) : mpf_dfu_reset(d, err);
    tool_session_close(d);
    tool_progress_end_line(&prog);
    if (!rc && len == 0)
        tool_warn(ctx, "the board sent 0 bytes: it does not read back what it holds (%s is empty)",
                  ctx->opt.read_file);
    if (!rc)
        rc = mpf_write_file_atomic(ctx->opt.read_file, buf ? buf : (const uint8_t *)"", len, err);
    free(buf);
    if (!rc)
        read_done(ctx, dev, alt, 0, len, took);
    return rc;
}

static mpf_err read_on_device(tool_ctx *ctx, tool_device *dev, mpf_error *err)
{
    tool_device_announce(ctx, dev);
    uint8_t alt;
    mpf_err rc = tool_device_alt(ctx, dev, &alt, err);
    if (rc)
        return rc;
    if (!tool_device_is_dfuse(&dev->transport.info)) {
        rc = tool_refuse_dfuse_only(ctx, &dev->transport.info, err);
        return rc ? rc : read_plain(ctx, dev, alt, err);
    }
    if (ctx->opt.has_upload_size && ctx->opt.has_length)
        return mpf_error_set(err, MPF_ERR_USAGE, "-Z and a length in -s: give the length one way");
    const mpf_alt_setting *as = find_alt(&dev->transport.info, alt);
    if (!as)
        return mpf_error_set(err, MPF_ERR_NO_DEVICE, "the board has no alt setting %u", (unsigned)alt);
    uint32_t start, len;
    if ((rc = read_range(ctx, as, &start, &len, err)))
        return rc;
    uint8_t *buf = malloc(len ? len : 1);
    if (!buf)
        return mpf_error_set(err, MPF_ERR_NOMEM, "out of memory for %u bytes", (unsigned)len);

    tool_progress prog;
    tool_progress_init(&prog, ctx, dev);
    mpf_callbacks cb;
    tool_progress_callbacks(&prog, &cb);
    uint64_t t0 = tool_device_now_us(dev);
    mpf_dfu *d = NULL;
    rc = tool_session_new(&dev->transport, &cb, &d, err);
    if (!rc && ctx->opt.transfer_size)
        mpf_dfu_set_read_size(d, ctx->opt.transfer_size); /* -t: reads use it as writes do */
    if (!rc)
        rc = mpf_dfu_read(d, alt, start, buf, len, err);
    uint64_t took = tool_device_now_us(dev) - t0;
    if (!rc && ctx->opt.leave)
        rc = mpf_dfu_leave(d, tool_leave_address(ctx, &dev->transport.info), err);
    tool_session_close(d);
    tool_progress_end_line(&prog);
    if (!rc)
        rc = mpf_write_file_atomic(ctx->opt.read_file, buf, len, err);
    free(buf);
    if (!rc)
        read_done(ctx, dev, alt, start, len, took);
    return rc;
}

mpf_err tool_cmd_read(tool_ctx *ctx, mpf_error *err)
{
    struct stat sb;
    if (!ctx->opt.force && stat(ctx->opt.read_file, &sb) == 0)
        return mpf_error_set(err, MPF_ERR_REFUSED,
                             "%s already exists; mpflash does not overwrite it with a read: choose another name, or add --force",
                             ctx->opt.read_file);
    tool_device dev;
    mpf_err rc = tool_device_open(ctx, &dev, err);
    if (!rc)
        rc = read_on_device(ctx, &dev, err);
    mpf_error close_err = {0};
    mpf_err close_rc = tool_device_close(ctx, &dev, &close_err);
    if (!rc && close_rc) {
        rc = close_rc;
        *err = close_err;
    }
    return rc;
}
