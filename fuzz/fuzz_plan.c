/* Fuzz the plan: device layouts (one per alt setting) and an image, both
 * from the input, through mpf_plan_build. fuzz_layout plans one fixed image
 * on one layout; this one lets the image, the alt settings and the options
 * vary, and checks the promises that keep a chip safe:
 *  - a refusal is one of the documented codes with a one-line message;
 *  - an accepted plan writes exactly the image's bytes, in order, without
 *    overlap, each byte in a writable sector of its alt's layout;
 *  - every sector it erases is a whole sector of the layout, listed once,
 *    in order, and every written byte's sector is erased first (or mass
 *    erased, alt 0), so no write lands on old data;
 *  - option bytes and OTP only with force; RDP level 2 never: not at the
 *    RDP byte of the family the plan picked, nor at any family's when it
 *    picked none (the conservative profile), 0xCC at 0x1FFFC001 on an F4;
 *  - the leave address is the image's first alt-0 byte unless given.
 *
 * Input: byte 0 options, byte 1 alt count and wTransferSize, then one layout
 * string per alt ending in '\n', then segments of 1 (alt) + 4 (address, or
 * with bit 7 of the alt byte an offset from the alt's first sector) + 2
 * (size) header bytes and their data. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mpflash/chip.h"
#include "mpflash/layout.h"
#include "mpflash/plan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_ALTS 4
#define MAX_SEGMENTS 8
#define MAX_SEGMENT 4096u

static void check(int ok)
{
    if (!ok)
        abort();
}

typedef struct reader {
    const uint8_t *p;
    size_t len, pos;
} reader;

static int get(reader *r, uint8_t *out, size_t n)
{
    if (r->len - r->pos < n)
        return 0;
    memcpy(out, r->p + r->pos, n);
    r->pos += n;
    return 1;
}

static int guarded(const char *name)
{
    static const char *const prefixes[] = {"option bytes", "otp"};
    for (size_t i = 0; i < 2; i++) {
        size_t n = strlen(prefixes[i]), k = 0;
        while (k < n && name[k] && (name[k] | 0x20) == prefixes[i][k])
            k++;
        if (k == n)
            return 1;
    }
    return 0;
}

static int planned_erase(const mpf_plan *p, uint8_t alt, uint32_t start)
{
    for (size_t i = 0; i < p->erase_count; i++)
        if (p->erases[i].alt == alt && p->erases[i].address == start)
            return 1;
    return 0;
}

/* The segment sets chip's RDP byte to level 2. */
static int sets_rdp2(const mpf_segment *seg, const mpf_chip *chip)
{
    for (size_t i = 0; i < MPF_CHIP_MAX_RDP; i++) {
        uint32_t a = chip->rdp_address[i];
        if (a && a >= seg->address && a - seg->address < seg->size &&
            seg->data[a - seg->address] == chip->rdp_level2)
            return 1;
    }
    return 0;
}

static void check_no_rdp2(const mpf_segment *seg, const mpf_chip *picked)
{
    if (picked != mpf_chip_conservative()) {
        check(!sets_rdp2(seg, picked));
        return;
    }
    for (size_t i = 0; i < mpf_chip_count(); i++)
        check(!sets_rdp2(seg, mpf_chip_at(i)));
}

static void check_plan(const mpf_plan *p, const mpf_image *img, const mpf_layout *layouts,
                       size_t alts, const mpf_plan_options *opt, uint16_t dev_ts)
{
    check(p->transfer_size == (opt->transfer_size ? opt->transfer_size : dev_ts));
    for (size_t i = 0; i < p->erase_count; i++) {
        const mpf_plan_erase *e = &p->erases[i];
        check(e->alt < alts);
        uint32_t start = 0, sz = 0;
        uint8_t type = 0;
        check(mpf_layout_find(&layouts[e->alt], e->address, &start, &sz, &type));
        check(start == e->address && sz == e->size && (type & MPF_MEM_ERASABLE));
        if (i > 0) {
            const mpf_plan_erase *q = &p->erases[i - 1];
            check(q->alt < e->alt || (q->alt == e->alt && q->address < e->address));
        }
    }
    uint64_t total = 0;
    for (size_t i = 0; i < p->write_count; i++) {
        const mpf_plan_write *w = &p->writes[i];
        check(w->alt < alts && w->size > 0 && w->data);
        check((uint64_t)w->address + w->size - 1 <= UINT32_MAX);
        if (i > 0) {
            const mpf_plan_write *q = &p->writes[i - 1];
            check(q->alt < w->alt ||
                  (q->alt == w->alt && (uint64_t)q->address + q->size <= w->address));
        }
        /* Each byte: writable, and its sector erased (or mass erased). */
        for (uint64_t a = w->address; a < (uint64_t)w->address + w->size;) {
            uint32_t start = 0, sz = 0;
            uint8_t type = 0;
            check(mpf_layout_find(&layouts[w->alt], (uint32_t)a, &start, &sz, &type));
            check(type & MPF_MEM_WRITABLE);
            if (type & MPF_MEM_ERASABLE)
                check(planned_erase(p, w->alt, start) || (p->mass_erase && w->alt == 0));
            a = (uint64_t)start + sz;
        }
        if (guarded(layouts[w->alt].name))
            check(opt->force);
        total += w->size;
    }
    /* Write-once profiles widen each write to whole flash words (0xFF); an
     * image with no data (a mass erase alone) writes nothing to widen. */
    const uint64_t image_total = mpf_image_total_size(img);
    check(total == p->write_bytes && total >= image_total);
    check(total == image_total || (p->chip->write_once &&
                                   total - image_total < 2u * p->chip->word_size * img->count));
    /* What the widening added is 0xFF, and nothing else. */
    for (size_t i = 0; p->chip->write_once && i < p->write_count; i++) {
        const mpf_plan_write *w = &p->writes[i];
        for (size_t k = 0; k < w->size; k++) {
            const uint32_t a = w->address + (uint32_t)k;
            int in_image = 0;
            for (size_t s = 0; s < img->count && !in_image; s++)
                in_image = img->segments[s].alt == w->alt && a >= img->segments[s].address &&
                           a - img->segments[s].address < img->segments[s].size;
            check(in_image || w->data[k] == 0xFF);
        }
    }
    /* The bytes are the image's, at the image's addresses. */
    for (size_t s = 0; s < img->count; s++) {
        const mpf_segment *seg = &img->segments[s];
        check_no_rdp2(seg, p->chip);
        for (size_t off = 0; off < seg->size;) {
            uint32_t a = seg->address + (uint32_t)off;
            const mpf_plan_write *hit = NULL;
            for (size_t i = 0; i < p->write_count && !hit; i++)
                if (p->writes[i].alt == seg->alt && a >= p->writes[i].address &&
                    a - p->writes[i].address < p->writes[i].size)
                    hit = &p->writes[i];
            check(hit != NULL);
            size_t n = hit->size - (a - hit->address);
            if (n > seg->size - off)
                n = seg->size - off;
            check(memcmp(hit->data + (a - hit->address), seg->data + off, n) == 0);
            off += n;
        }
    }
    if (p->leave && !opt->has_leave_address && p->leave_from == MPF_LEAVE_FROM_IMAGE) {
        uint32_t first = 0;
        int found = 0;
        for (size_t s = 0; s < img->count && !found; s++)
            if (img->segments[s].alt == 0) {
                first = img->segments[s].address;
                found = 1;
            }
        check(found && p->leave_address == first);
    }
    if (p->leave && opt->has_leave_address)
        check(p->leave_address == opt->leave_address);
}

static void check_refusal(mpf_err rc, const mpf_error *err)
{
    check(rc == MPF_ERR_IMAGE_FIT || rc == MPF_ERR_REFUSED || rc == MPF_ERR_PROTOCOL ||
          rc == MPF_ERR_INPUT || rc == MPF_ERR_USAGE || rc == MPF_ERR_NOMEM);
    check(err->code == rc && err->message[0] != '\0' && !strchr(err->message, '\n'));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2 || size > 16384)
        return 0;
    static const uint16_t sizes[4] = {2048, 0, 64, 65535};
    reader r = {data, size, 2};
    mpf_plan_options opt;
    mpf_plan_options_default(&opt);
    opt.mass_erase = data[0] & 1;
    opt.verify = (data[0] >> 1) & 1;
    opt.leave = (data[0] >> 2) & 1;
    opt.force = (data[0] >> 3) & 1;
    opt.has_leave_address = (data[0] >> 4) & 1;
    opt.leave_address = 0x08000000u + (uint32_t)data[0];
    opt.transfer_size = (data[0] & 0x20) ? 1024 : 0;

    mpf_device_info dev;
    memset(&dev, 0, sizeof dev);
    dev.mode = MPF_MODE_DFU;
    dev.func.attributes = (data[0] & 0x40) ? 0x09 : 0x0B;
    dev.func.transfer_size = sizes[(data[1] >> 4) & 3];
    dev.func.dfu_version = 0x011A;
    dev.num_alts = 1 + (data[1] & 3);

    mpf_layout layouts[MAX_ALTS];
    memset(layouts, 0, sizeof layouts);
    for (size_t a = 0; a < dev.num_alts; a++) {
        dev.alts[a].alt = (uint8_t)a;
        size_t n = 0;
        while (r.pos < r.len && data[r.pos] != '\n' && n < MPF_ALT_NAME_MAX - 1)
            dev.alts[a].name[n++] = (char)data[r.pos++];
        dev.alts[a].name[n] = '\0';
        if (r.pos < r.len && data[r.pos] == '\n')
            r.pos++;
        /* an alt whose layout does not parse stays empty: the plan may not use it */
        mpf_error lerr;
        (void)mpf_layout_parse(dev.alts[a].name, &layouts[a], &lerr);
    }

    mpf_image img;
    mpf_image_init(&img);
    uint8_t hdr[7];
    for (size_t s = 0; s < MAX_SEGMENTS && get(&r, hdr, sizeof hdr); s++) {
        uint8_t alt = hdr[0] & 0x7F;
        uint32_t address = (uint32_t)hdr[1] | (uint32_t)hdr[2] << 8 | (uint32_t)hdr[3] << 16 |
                           (uint32_t)hdr[4] << 24;
        if ((hdr[0] & 0x80) && alt < dev.num_alts && layouts[alt].count)
            address += layouts[alt].groups[0].start;
        size_t n = ((size_t)hdr[5] | (size_t)hdr[6] << 8) % MAX_SEGMENT + 1;
        if (n > r.len - r.pos)
            n = r.len - r.pos;
        if (n == 0 || (uint64_t)address + n - 1 > UINT32_MAX)
            break;
        mpf_image_add(&img, alt, address, data + r.pos, n, "fuzz", NULL);
        r.pos += n;
    }
    mpf_error err;
    mpf_error_clear(&err);
    if (mpf_image_normalize(&img, &err) == MPF_OK) {
        mpf_plan p;
        mpf_err rc = mpf_plan_build(&img, &dev, &opt, &p, &err);
        if (getenv("MPFLASH_FUZZ_VERBOSE"))
            fprintf(stderr, "fuzz_plan: %zu segments: %s%s%s\n", img.count, mpf_err_name(rc),
                    rc ? ": " : "", rc ? err.message : "");
        if (rc == MPF_OK) {
            check_plan(&p, &img, layouts, dev.num_alts, &opt, dev.func.transfer_size);
            mpf_plan_free(&p);
        } else {
            check_refusal(rc, &err);
        }
    }
    mpf_image_free(&img);
    for (size_t a = 0; a < MAX_ALTS; a++)
        mpf_layout_free(&layouts[a]);
    return 0;
}
