/* --convert OUT FILE...: the output format follows OUT's extension. Every
 * output goes through mpf_write_file_atomic, so a failure never leaves a
 * half-written file behind under the final name. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "tool/tool_commands.h"
#include "tool/tool_image.h"
#include "tool/tool_json.h"

/* Gap filling to a file larger than this is a mistake (segments in RAM and
 * flash, say), not a firmware image. */
#define GAP_FILL_MAX (64u * 1024u * 1024u)

typedef struct convert_output {
    char *file;
    const char *format;
    size_t bytes;
} convert_output;

typedef struct convert_result {
    convert_output *outputs;
    size_t count;
} convert_result;

static const char *extension(const char *path)
{
    const char *slash = strrchr(path, '/');
    const char *dot = strrchr(path, '.');
    if (!dot || (slash && dot < slash) || dot == path || (slash && dot == slash + 1))
        return "";
    return dot;
}

static mpf_err write_output(convert_result *res, const char *file, const char *format, const void *buf,
                            size_t len, mpf_error *err)
{
    mpf_err rc = mpf_write_file_atomic(file, buf, len, err);
    if (rc)
        return rc;
    convert_output *grown = realloc(res->outputs, (res->count + 1) * sizeof *grown);
    char *copy = strdup(file);
    if (!grown || !copy) {
        free(copy);
        if (grown)
            res->outputs = grown;
        return mpf_error_set(err, MPF_ERR_NOMEM, "out of memory");
    }
    res->outputs = grown;
    res->outputs[res->count++] = (convert_output){copy, format, len};
    return MPF_OK;
}

static mpf_err to_dfu(tool_ctx *ctx, const mpf_image *img, convert_result *res, mpf_error *err)
{
    mpf_dfuse_write_options wo;
    mpf_dfuse_write_options_default(&wo);
    /* Keep what the input said about itself, unless told otherwise. */
    if (img->has_suffix) {
        wo.vid = img->vid;
        wo.pid = img->pid;
        wo.bcd_device = img->bcd_device;
    }
    if (img->target_count > 0)
        wo.target_name = img->targets[0].name;
    if (ctx->opt.has_vid_override)
        wo.vid = ctx->opt.vid_override;
    if (ctx->opt.has_pid_override)
        wo.pid = ctx->opt.pid_override;
    uint8_t *out = NULL;
    size_t len = 0;
    mpf_err rc = mpf_write_dfuse(img, &wo, &out, &len, err);
    if (!rc)
        rc = write_output(res, ctx->opt.convert_out, "dfuse", out, len, err);
    free(out);
    return rc;
}

static mpf_err to_hex(tool_ctx *ctx, const mpf_image *img, convert_result *res, mpf_error *err)
{
    for (size_t i = 0; i < img->count; i++)
        if (img->segments[i].alt != img->segments[0].alt)
            return mpf_error_set(err, MPF_ERR_INPUT,
                                 "%s: Intel HEX has no alt settings, but the firmware has data for alt %u and alt %u; convert to .dfu instead",
                                 ctx->opt.convert_out, (unsigned)img->segments[0].alt,
                                 (unsigned)img->segments[i].alt);
    char *out = NULL;
    size_t len = 0;
    mpf_err rc = mpf_write_ihex(img, &out, &len, err);
    if (!rc)
        rc = write_output(res, ctx->opt.convert_out, "ihex", out, len, err);
    free(out);
    return rc;
}

static mpf_err to_gap_filled_bin(tool_ctx *ctx, const mpf_image *img, convert_result *res, mpf_error *err)
{
    const mpf_segment *first = &img->segments[0];
    const mpf_segment *last = &img->segments[img->count - 1];
    if (last->alt != first->alt)
        return mpf_error_set(err, MPF_ERR_INPUT,
                             "%s: one .bin cannot hold data for alt %u and alt %u; drop --gap-fill to get one file per segment",
                             ctx->opt.convert_out, (unsigned)first->alt, (unsigned)last->alt);
    uint64_t span = (uint64_t)last->address + last->size - first->address;
    if (span > GAP_FILL_MAX)
        return mpf_error_set(err, MPF_ERR_INPUT,
                             "%s: the segments span 0x%08X..0x%08X (%llu MiB); that is not one memory, drop --gap-fill",
                             ctx->opt.convert_out, (unsigned)first->address,
                             (unsigned)(last->address + (last->size - 1)), (unsigned long long)(span >> 20));
    uint8_t *buf = malloc((size_t)span);
    if (!buf)
        return mpf_error_set(err, MPF_ERR_NOMEM, "out of memory for %llu bytes", (unsigned long long)span);
    memset(buf, ctx->opt.gap_fill, (size_t)span);
    for (size_t i = 0; i < img->count; i++)
        memcpy(buf + (img->segments[i].address - first->address), img->segments[i].data, img->segments[i].size);
    mpf_err rc = write_output(res, ctx->opt.convert_out, "bin", buf, (size_t)span, err);
    free(buf);
    return rc;
}

static mpf_err to_split_bin(tool_ctx *ctx, const mpf_image *img, convert_result *res, mpf_error *err)
{
    const char *out = ctx->opt.convert_out;
    size_t base_len = strlen(out) - strlen(extension(out));
    size_t name_len = base_len + 64;
    char *name = malloc(name_len);
    if (!name)
        return mpf_error_set(err, MPF_ERR_NOMEM, "out of memory");
    mpf_err rc = MPF_OK;
    for (size_t i = 0; i < img->count && !rc; i++) {
        const mpf_segment *s = &img->segments[i];
        snprintf(name, name_len, "%.*s.%zu.0x%08X.bin", (int)base_len, out, i, (unsigned)s->address);
        rc = write_output(res, name, "bin", s->data, s->size, err);
    }
    free(name);
    return rc;
}

static void report(tool_ctx *ctx, const convert_result *res)
{
    if (ctx->opt.json) {
        tool_json j;
        tool_result_begin(ctx, &j, "convert");
        tj_array(&j, "outputs");
        for (size_t i = 0; i < res->count; i++) {
            tj_object(&j, NULL);
            tj_str(&j, "file", res->outputs[i].file);
            tj_str(&j, "format", res->outputs[i].format);
            tj_u64(&j, "size", res->outputs[i].bytes);
            tj_close_object(&j);
        }
        tj_close_array(&j);
        tj_end(&j);
        return;
    }
    for (size_t i = 0; i < res->count; i++)
        tool_say(ctx, "wrote %s (%s, %zu bytes)\n", res->outputs[i].file, res->outputs[i].format,
                 res->outputs[i].bytes);
}

mpf_err tool_cmd_convert(tool_ctx *ctx, mpf_error *err)
{
    const char *ext = extension(ctx->opt.convert_out);
    int dfu = strcasecmp(ext, ".dfu") == 0;
    int hex = strcasecmp(ext, ".hex") == 0 || strcasecmp(ext, ".ihex") == 0;
    int bin = strcasecmp(ext, ".bin") == 0;
    if (!dfu && !hex && !bin)
        return mpf_error_set(err, MPF_ERR_USAGE,
                             "--convert %s: the output format comes from the name; end it in .dfu, .hex or .bin",
                             ctx->opt.convert_out);
    if (ctx->opt.has_gap_fill && !bin)
        return mpf_error_set(err, MPF_ERR_USAGE, "--gap-fill only applies to a .bin output");
    if ((ctx->opt.has_vid_override || ctx->opt.has_pid_override) && !dfu)
        return mpf_error_set(err, MPF_ERR_USAGE,
                             "--vid/--pid set the IDs in a .dfu file's suffix; %s has no suffix",
                             ctx->opt.convert_out);
    for (size_t i = 0; i < ctx->opt.file_count; i++)
        if (strcmp(ctx->opt.files[i], ctx->opt.convert_out) == 0)
            return mpf_error_set(err, MPF_ERR_USAGE, "--convert %s would overwrite its own input",
                                 ctx->opt.convert_out);

    mpf_image img;
    mpf_image_init(&img);
    uint8_t alt = ctx->opt.alt_set && ctx->opt.alt_number >= 0 ? (uint8_t)ctx->opt.alt_number : 0;
    if (ctx->opt.alt_set && ctx->opt.alt_number < 0) {
        mpf_image_free(&img);
        return mpf_error_set(err, MPF_ERR_USAGE,
                             "-a %s: with --convert the alt setting must be a number (names come from a device)",
                             ctx->opt.filter.alt_name);
    }
    convert_result res = {NULL, 0};
    mpf_err rc = tool_load_inputs(ctx, alt, &img, err);
    if (!rc && img.count == 0)
        rc = mpf_error_set(err, MPF_ERR_INPUT, "the input holds no data; nothing to convert");
    mpf_pack pack;
    if (!rc && tool_pack_of(&img, &pack)) {
        mpf_pack_free(&pack);
        rc = mpf_error_set(err, MPF_ERR_INPUT,
                           "the input is mboot's packed firmware: encrypted, signed chunks, not "
                           "flash contents, so it cannot be converted; convert firmware.dfu instead");
    }
    if (!rc) {
        if (dfu)
            rc = to_dfu(ctx, &img, &res, err);
        else if (hex)
            rc = to_hex(ctx, &img, &res, err);
        else if (ctx->opt.has_gap_fill)
            rc = to_gap_filled_bin(ctx, &img, &res, err);
        else
            rc = to_split_bin(ctx, &img, &res, err);
    }
    if (!rc)
        report(ctx, &res);
    for (size_t i = 0; i < res.count; i++)
        free(res.outputs[i].file);
    free(res.outputs);
    mpf_image_free(&img);
    return rc;
}
