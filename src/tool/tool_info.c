/* --info: what is in a firmware file. A damaged suffix CRC is shown, not
 * refused, so a broken file can still be inspected; the run then fails with
 * exit code 2 like every other bad-file path (once every file is shown). */
#include "tool/tool_commands.h"
#include "tool/tool_image.h"
#include "tool/tool_json.h"

static void pack_json(tool_json *j, const mpf_pack *p)
{
    tj_bool(j, "packed", p != NULL);
    if (!p)
        return;
    tj_u64(j, "firmware_bytes", p->signed_bytes);
    tj_array(j, "chunks");
    for (size_t i = 0; i < p->count; i++) {
        tj_object(j, NULL);
        tj_u64(j, "address", p->chunks[i].address);
        tj_str(j, "format", mpf_pack_format_name(p->chunks[i].format));
        tj_u64(j, "payload", p->chunks[i].length);
        tj_close_object(j);
    }
    tj_close_array(j);
}

/* mboot's packed firmware: the chunks, and what they mean for flashing. */
static void pack_text(FILE *o, const mpf_pack *p)
{
    fprintf(o, "  mboot packed firmware (MBOOT_ENABLE_PACKING): %zu chunks, %zu of firmware (%s), "
               "a full signature over %zu region%s, %llu bytes of firmware\n",
            p->count, p->firmware_chunks, p->gzip ? "deflated" : "raw", p->regions,
            p->regions == 1 ? "" : "s", (unsigned long long)p->signed_bytes);
    fprintf(o, "  %-5s  %-10s  %-8s  %s\n", "chunk", "address", "format", "payload");
    for (size_t i = 0; i < p->count; i++)
        fprintf(o, "  %5zu  0x%08X  %-8s  %u\n", i + 1, (unsigned)p->chunks[i].address,
                mpf_pack_format_name(p->chunks[i].format), (unsigned)p->chunks[i].length);
    fprintf(o, "  the elements are encrypted chunks, not flash contents: mboot decodes, erases "
               "and checks them itself\n");
}

static void info_json(tool_ctx *ctx, const char *file, mpf_format f, int has_address,
                      const mpf_image *img, const mpf_pack *pack)
{
    tool_json j;
    tj_begin(&j, ctx->out);
    tj_str(&j, "file", file);
    tj_str(&j, "format", mpf_format_name(f));
    tj_bool(&j, "addresses_known", has_address);
    tj_u64(&j, "total_size", mpf_image_total_size(img));
    tj_array(&j, "segments");
    for (size_t i = 0; i < img->count; i++) {
        const mpf_segment *s = &img->segments[i];
        tj_object(&j, NULL);
        tj_u64(&j, "alt", s->alt);
        tj_u64(&j, "address", s->address);
        tj_u64(&j, "size", s->size);
        tj_hex32(&j, "crc32", mpf_crc32(s->data, s->size));
        tj_close_object(&j);
    }
    tj_close_array(&j);
    tj_array(&j, "targets");
    for (size_t i = 0; i < img->target_count; i++) {
        tj_object(&j, NULL);
        tj_u64(&j, "alt", img->targets[i].alt);
        tj_str(&j, "name", img->targets[i].name);
        tj_close_object(&j);
    }
    tj_close_array(&j);
    pack_json(&j, pack);
    if (img->has_entry)
        tj_u64(&j, "entry", img->entry);
    else
        tj_str(&j, "entry", NULL);
    tj_bool(&j, "suffix", img->has_suffix);
    if (img->has_suffix) {
        tj_u64(&j, "vid", img->vid);
        tj_u64(&j, "pid", img->pid);
        tj_u64(&j, "bcd_device", img->bcd_device);
        tj_u64(&j, "bcd_dfu", img->bcd_dfu);
        tj_bool(&j, "crc_ok", img->crc_ok);
        tj_hex32(&j, "crc_stored", img->crc_stored);
        tj_hex32(&j, "crc_computed", img->crc_computed);
    } else {
        const char *absent[] = {"vid", "pid", "bcd_device", "bcd_dfu", "crc_ok", "crc_stored", "crc_computed"};
        for (size_t i = 0; i < sizeof absent / sizeof absent[0]; i++)
            tj_str(&j, absent[i], NULL);
    }
    tj_end(&j);
}

static void info_text(tool_ctx *ctx, const char *file, mpf_format f, int has_address,
                      const mpf_image *img, const mpf_pack *pack)
{
    FILE *o = ctx->out;
    size_t total = mpf_image_total_size(img);
    fprintf(o, "%s: %s (%s)\n", file, tool_format_description(f), mpf_format_name(f));
    for (size_t i = 0; i < img->target_count; i++)
        fprintf(o, "  target: alt %u, name \"%s\"\n", (unsigned)img->targets[i].alt, img->targets[i].name);
    fprintf(o, "  %zu segment%s, %zu byte%s%s\n", img->count, img->count == 1 ? "" : "s", total,
            total == 1 ? "" : "s", has_address ? "" : " (a raw binary has no address: offsets from 0; flash it as ADDR:FILE)");
    fprintf(o, "  %-3s  %-10s  %-10s  %8s  %s\n", "alt", "start", "end", "size", "CRC-32");
    for (size_t i = 0; i < img->count; i++) {
        const mpf_segment *s = &img->segments[i];
        fprintf(o, "  %-3u  0x%08X  0x%08X  %8zu  0x%08X\n", (unsigned)s->alt, (unsigned)s->address,
                (unsigned)(s->address + (s->size - 1)), s->size, (unsigned)mpf_crc32(s->data, s->size));
    }
    if (pack)
        pack_text(o, pack);
    if (img->has_entry)
        fprintf(o, "  entry point: 0x%08X\n", (unsigned)img->entry);
    if (img->has_suffix) {
        fprintf(o, "  DFU suffix: VID 0x%04X, PID 0x%04X, bcdDevice 0x%04X, bcdDFU 0x%04X\n", img->vid, img->pid,
                img->bcd_device, img->bcd_dfu);
        if (img->crc_ok)
            fprintf(o, "  suffix CRC: 0x%08X, OK\n", (unsigned)img->crc_stored);
        else
            fprintf(o, "  suffix CRC: 0x%08X, BAD (the content gives 0x%08X): the file is damaged\n",
                    (unsigned)img->crc_stored, (unsigned)img->crc_computed);
    } else {
        fprintf(o, "  no DFU suffix\n");
    }
}

/* damaged is set (if not already) when the file's suffix CRC is wrong. */
static mpf_err info_one(tool_ctx *ctx, const char *spec, mpf_error *damaged, mpf_error *err)
{
    mpf_load_options lo;
    tool_load_options(ctx, ctx->opt.alt_set && ctx->opt.alt_number >= 0 ? (uint8_t)ctx->opt.alt_number : 0,
                      &lo);
    lo.accept_bad_crc = 1;

    mpf_image img;
    mpf_image_init(&img);
    mpf_format f = MPF_FORMAT_UNKNOWN;
    mpf_err rc = mpf_load_file(&img, spec, &lo, &f, err);
    int has_address = 1;
    if (rc == MPF_ERR_INPUT && !lo.has_address && (f == MPF_FORMAT_BIN || f == MPF_FORMAT_DFU)) {
        /* Inspecting a raw binary needs no address: show offsets. Only the
         * missing-address refusal is retried; any other damage is reported. */
        mpf_image_free(&img);
        mpf_image_init(&img);
        lo.has_address = 1;
        lo.address = 0;
        has_address = 0;
        rc = mpf_load_file(&img, spec, &lo, &f, err);
    }
    mpf_pack pack;
    int packed = !rc && tool_pack_of(&img, &pack);
    if (!rc) {
        if (ctx->opt.json)
            info_json(ctx, spec, f, has_address, &img, packed ? &pack : NULL);
        else
            info_text(ctx, spec, f, has_address, &img, packed ? &pack : NULL);
        if (img.has_suffix && !img.crc_ok && damaged->code == MPF_OK)
            mpf_error_set(damaged, MPF_ERR_INPUT,
                          "%s: the DFU suffix CRC is 0x%08X, but the content gives 0x%08X: the file is damaged "
                          "(shown, but it will not be flashed); get or build it again",
                          spec, (unsigned)img.crc_stored, (unsigned)img.crc_computed);
    }
    if (packed)
        mpf_pack_free(&pack);
    mpf_image_free(&img);
    return rc;
}

mpf_err tool_cmd_info(tool_ctx *ctx, mpf_error *err)
{
    if (ctx->opt.alt_set && ctx->opt.alt_number < 0)
        return mpf_error_set(err, MPF_ERR_USAGE,
                             "-a %s: with --info the alt setting must be a number (names come from a device)",
                             ctx->opt.filter.alt_name);
    mpf_error damaged;
    mpf_error_clear(&damaged);
    for (size_t i = 0; i < ctx->opt.file_count; i++) {
        if (i > 0 && !ctx->opt.json)
            fputc('\n', ctx->out);
        mpf_err rc = info_one(ctx, ctx->opt.files[i], &damaged, err);
        if (rc)
            return rc;
    }
    if (damaged.code != MPF_OK)
        *err = damaged;
    return damaged.code;
}
