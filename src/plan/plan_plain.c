/* The plan for a plain DFU 1.1 device: no addresses and no erase commands,
 * so an image is one stream per alt setting, starting at the alt's first
 * byte. What cannot work is refused here, before the device is touched. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "mpflash/dfu.h"
#include "mpflash/layout.h"
#include "plan/plan_internal.h"

static const mpf_alt_setting *find_alt(const mpf_device_info *dev, uint8_t alt)
{
    for (size_t i = 0; i < dev->num_alts && i < MPF_MAX_ALTS; i++)
        if (dev->alts[i].alt == alt)
            return &dev->alts[i];
    return NULL;
}

/* Some plain bootloaders name their alts with DfuSe layouts (the Portenta
 * C33's "@CodeFlash /0x00000000/8*8Ka,63*32Kg"). The names are not
 * addresses the device takes, but they say two things: how much a stream
 * can hold (the writable sectors), and whether the download lands where an
 * UPLOAD starts reading: it cannot when the layout begins read-only. */
typedef struct alt_shape {
    int has_layout;
    uint64_t writable;  /* bytes of writable sectors */
    int starts_writable;
} alt_shape;

static void shape_of(const mpf_alt_setting *a, alt_shape *out)
{
    memset(out, 0, sizeof *out);
    mpf_layout l;
    if (a->name[0] != '@' || mpf_layout_parse(a->name, &l, NULL) != MPF_OK)
        return;
    out->has_layout = l.count > 0;
    for (size_t i = 0; i < l.count; i++)
        if (l.groups[i].type & MPF_MEM_WRITABLE)
            out->writable += (uint64_t)l.groups[i].sector_size * l.groups[i].count;
    out->starts_writable = l.count > 0 && (l.groups[0].type & MPF_MEM_WRITABLE);
    mpf_layout_free(&l);
}

static mpf_err check_segment(const mpf_plan_options *opt, const mpf_device_info *dev,
                             const mpf_segment *s, const mpf_segment *prev, mpf_error *err)
{
    (void)opt;
    if (s->address != 0)
        return mpf_error_set(err, MPF_ERR_IMAGE_FIT,
                             "%s: data at 0x%08" PRIX32 ", but %04x:%04x is a plain DFU %X.%02X device: "
                             "it takes one stream from its start and has no addresses; give it a raw "
                             ".bin (or a plain .dfu) with no address",
                             s->source, s->address, dev->vid, dev->pid,
                             (unsigned)(dev->func.dfu_version >> 8),
                             (unsigned)(dev->func.dfu_version & 0xFF));
    if (prev && prev->alt == s->alt)
        return mpf_error_set(err, MPF_ERR_IMAGE_FIT,
                             "%s and %s both go to alt setting %u: a plain DFU device takes one "
                             "stream per alt setting",
                             prev->source, s->source, (unsigned)s->alt);
    if (!find_alt(dev, s->alt))
        return mpf_error_set(err, MPF_ERR_IMAGE_FIT,
                             "%s: the device has no alt setting %u (it has %zu)", s->source,
                             (unsigned)s->alt, dev->num_alts);
    return MPF_OK;
}

static mpf_err check_fit(const mpf_device_info *dev, const mpf_segment *s, alt_shape *shape,
                         mpf_error *err)
{
    shape_of(find_alt(dev, s->alt), shape);
    if (shape->has_layout && s->size > shape->writable)
        return mpf_error_set(err, MPF_ERR_IMAGE_FIT,
                             "%s: %zu bytes, but alt setting %u (\"%s\") has room for %" PRIu64,
                             s->source, s->size, (unsigned)s->alt, find_alt(dev, s->alt)->name,
                             shape->writable);
    return MPF_OK;
}

static void decide_verify(mpf_plan *p, const mpf_device_info *dev, const alt_shape *shapes,
                          size_t count)
{
    if (!p->verify)
        return;
    const char *why = NULL;
    if (!(dev->func.attributes & MPF_DFU_ATTR_CAN_UPLOAD))
        why = "the device cannot upload (bitCanUpload is 0), so it could not be verified";
    else if (!(dev->func.attributes & MPF_DFU_ATTR_MANIFEST_TOLERANT))
        why = "the device is not manifestation-tolerant: after the download it waits for a "
              "reset and cannot be read back, so it could not be verified";
    for (size_t i = 0; !why && i < count; i++)
        if (shapes[i].has_layout && !shapes[i].starts_writable)
            why = "the alt setting's layout starts read-only, so UPLOAD reads from there and "
                  "not where the download went; it could not be verified";
    if (why) {
        p->verify = 0;
        p->verify_dropped = 1;
        p->verify_note = why;
    }
}

/* Per block: the DNLOAD, two GETSTATUS (busy, then idle) and the poll wait;
 * then the zero-length DNLOAD and its GETSTATUS. */
static uint64_t estimate(const mpf_plan *p, const mpf_timing *t)
{
    uint64_t us = 0;
    for (size_t i = 0; i < p->write_count; i++) {
        size_t size = p->writes[i].size;
        size_t blocks = (size + p->transfer_size - 1) / p->transfer_size;
        us += mpf_timing_usb_us(t, size) + blocks * (mpf_timing_usb_us(t, 0) + 2 * mpf_timing_usb_us(t, 6) +
                                                      (uint64_t)p->poll_ms * 1000u);
        us += mpf_timing_usb_us(t, 0) + 2 * mpf_timing_usb_us(t, 6);
        if (p->verify)
            us += mpf_timing_usb_us(t, size) + (blocks + 1) * mpf_timing_usb_us(t, 0);
    }
    return us;
}

mpf_err plan_plain_build(const mpf_image *img, const mpf_device_info *dev, const mpf_plan_options *opt,
                         mpf_plan *p, mpf_error *err)
{
    p->plain = 1;
    if (opt->mass_erase)
        return mpf_error_set(err, MPF_ERR_USAGE,
                             "a plain DFU device has no erase command (it erases as the data arrives); "
                             "drop the mass erase");
    if (img->count == 0)
        return mpf_error_set(err, MPF_ERR_INPUT, "the image is empty: nothing to send");
    uint16_t ts = opt->transfer_size ? opt->transfer_size : dev->func.transfer_size;
    if (ts == 0)
        return mpf_error_set(err, MPF_ERR_PROTOCOL,
                             "device reports wTransferSize 0, so no data can be sent; give a transfer size");
    if (dev->func.transfer_size && ts > dev->func.transfer_size)
        return mpf_error_set(err, MPF_ERR_USAGE,
                             "a transfer size of %u bytes is more than the device takes per request "
                             "(wTransferSize %u): use %u or less, or leave the option out",
                             (unsigned)ts, (unsigned)dev->func.transfer_size, (unsigned)dev->func.transfer_size);
    if (img->count > 1 && !(dev->func.attributes & MPF_DFU_ATTR_MANIFEST_TOLERANT))
        return mpf_error_refuse(err, MPF_ERR_IMAGE_FIT, MPF_REASON_ONE_ALT,
                             "the image has data for %zu alt settings, but the device is not "
                             "manifestation-tolerant: after one download it needs a reset; flash one "
                             "alt setting per session",
                             img->count);
    alt_shape *shapes = calloc(img->count, sizeof *shapes);
    p->writes = calloc(img->count, sizeof *p->writes);
    if (!shapes || !p->writes) {
        free(shapes);
        return mpf_error_set(err, MPF_ERR_NOMEM, "flash plan: out of memory");
    }
    mpf_err rc = MPF_OK;
    for (size_t i = 0; i < img->count && !rc; i++) {
        const mpf_segment *s = &img->segments[i];
        rc = check_segment(opt, dev, s, i ? &img->segments[i - 1] : NULL, err);
        if (!rc)
            rc = check_fit(dev, s, &shapes[i], err);
        if (!rc) {
            p->writes[i] = (mpf_plan_write){s->alt, 0, s->data, s->size};
            p->write_count++;
            p->write_bytes += s->size;
        }
    }
    if (!rc) {
        p->transfer_size = ts;
        p->verify = opt->verify;
        decide_verify(p, dev, shapes, img->count);
        p->leave = opt->leave;
        p->final_detach = opt->leave && opt->final_detach;
        p->leave_from = opt->leave ? MPF_LEAVE_FROM_OPTION : MPF_LEAVE_FROM_NONE;
        p->leave_note = !opt->leave ? NULL : p->final_detach ? "DETACH after the manifestation (final detach)"
                                                             : "USB reset after the manifestation";
        p->poll_ms = opt->poll_ms;
        p->estimated_us = estimate(p, opt->timing ? opt->timing : mpf_timing_stm32f4());
    }
    free(shapes);
    return rc;
}
