/* The flash plan: image + device -> the exact erases and writes. A pure
 * function, so every refusal happens before a request reaches the device. */
#include <stdlib.h>
#include <string.h>

#include "plan/plan_internal.h"
#include "mpflash/dfu.h"

#define STM32_FLASH_START 0x08000000u

void mpf_plan_options_default(mpf_plan_options *o)
{
    memset(o, 0, sizeof *o);
    o->verify = 1;
    o->leave = 1;
}

void mpf_plan_free(mpf_plan *p)
{
    if (!p)
        return;
    free(p->erases);
    free(p->writes);
    free(p->padded);
    memset(p, 0, sizeof *p);
}

size_t mpf_plan_block_count(const mpf_plan *p)
{
    if (!p || p->transfer_size == 0)
        return 0;
    size_t blocks = 0;
    for (size_t i = 0; i < p->write_count; i++)
        blocks += (p->writes[i].size + p->transfer_size - 1) / p->transfer_size;
    return blocks;
}

/* The contract says normalized; a violation here would silently break the
 * erase de-duplication, so it is checked, not assumed. */
static mpf_err check_normalized(const mpf_image *img, mpf_error *err)
{
    for (size_t i = 0; i < img->count; i++) {
        const mpf_segment *s = &img->segments[i];
        if (s->size == 0 || (uint64_t)s->address + s->size > (uint64_t)UINT32_MAX + 1)
            return mpf_error_set(err, MPF_ERR_INTERNAL, "flash plan: %s has an invalid extent",
                                 s->source);
        if (i == 0)
            continue;
        const mpf_segment *prev = &img->segments[i - 1];
        if (prev->alt > s->alt ||
            (prev->alt == s->alt && (uint64_t)prev->address + prev->size > s->address))
            return mpf_error_set(err, MPF_ERR_INTERNAL,
                                 "flash plan: the image is not normalized (%s before %s); call "
                                 "mpf_image_normalize first",
                                 prev->source, s->source);
    }
    return MPF_OK;
}

static mpf_err plan_transfer_size(plan_ctx *c)
{
    uint16_t ts = c->opt->transfer_size ? c->opt->transfer_size : c->dev->func.transfer_size;
    if (ts == 0)
        return mpf_error_set(c->err, MPF_ERR_PROTOCOL,
                             "device reports wTransferSize 0, so no data can be sent; give a "
                             "transfer size explicitly (2048 for STM32 bootloaders)");
    /* The device stalls a block larger than its buffer, and the first block
     * is only sent after the erases: refuse now, while nothing is lost. */
    if (c->dev->func.transfer_size && ts > c->dev->func.transfer_size)
        return mpf_error_set(c->err, MPF_ERR_USAGE,
                             "a transfer size of %u bytes is more than the device takes per "
                             "request (wTransferSize %u): use %u or less, or leave the option out",
                             (unsigned)ts, (unsigned)c->dev->func.transfer_size,
                             (unsigned)c->dev->func.transfer_size);
    c->plan->transfer_size = ts;
    return MPF_OK;
}

/* A run of segments of one alt that share flash words once widened to
 * whole words: [first, end) of the image's segments, [start, stop) in flash. */
typedef struct word_group {
    size_t first, end;
    uint32_t start;
    uint64_t stop;
    int own; /* needs a padded copy: not already whole words of one segment */
} word_group;

static uint64_t round_up(uint64_t v, uint32_t w)
{
    return (v + w - 1) / w * w;
}

/* The plan erases the sector at start of alt's layout, alone or by the mass
 * erase (which covers alt 0). */
static int erased_first(const mpf_plan *p, uint8_t alt, uint32_t start)
{
    if (p->mass_erase && alt == 0)
        return 1;
    for (size_t i = 0; i < p->erase_count; i++)
        if (p->erases[i].alt == alt && p->erases[i].address == start)
            return 1;
    return 0;
}

/* [start, stop) lies in writable sectors of alt's layout, each erased first
 * where it can be: the widening writes 0xFF there, which must not land on
 * old data (a layout whose sectors are not whole words can put the padding
 * in a sector the image itself does not touch; found by fuzz_plan). */
static int writable_extent(plan_ctx *c, uint8_t alt, uint32_t start, uint64_t stop)
{
    const mpf_layout *l = NULL;
    if (plan_layout_for_alt(c, alt, "padding", NULL, &l) != MPF_OK)
        return 0;
    for (uint64_t at = start; at < stop;) {
        uint32_t sector = 0, size = 0;
        uint8_t type = 0;
        if (!mpf_layout_find(l, (uint32_t)at, &sector, &size, &type) ||
            !(type & MPF_MEM_WRITABLE) ||
            ((type & MPF_MEM_ERASABLE) && !erased_first(c->plan, alt, sector)))
            return 0;
        at = (uint64_t)sector + size;
    }
    return 1;
}

/* The next group from segment i; word 1 = every segment is its own group.
 * Where widening would reach outside the writable layout (a device whose
 * sectors are not whole words), the segment goes as it is. */
static word_group next_group(plan_ctx *c, size_t i, uint32_t word)
{
    const mpf_image *img = c->img;
    const mpf_segment *s = &img->segments[i];
    word_group g = {i, i + 1, s->address / word * word, round_up((uint64_t)s->address + s->size, word), 0};
    while (g.end < img->count) {
        const mpf_segment *n = &img->segments[g.end];
        if (n->alt != s->alt || n->address / word * word >= g.stop)
            break;
        g.stop = round_up((uint64_t)n->address + n->size, word);
        g.end++;
    }
    g.own = g.end - g.first > 1 || g.start != s->address || g.stop != (uint64_t)s->address + s->size;
    if (g.own && !writable_extent(c, s->alt, g.start, g.stop))
        return (word_group){i, i + 1, s->address, (uint64_t)s->address + s->size, 0};
    return g;
}

/* Append the runs of [data, data + size) at address, each at most max_run. */
static void append_runs(mpf_plan *p, uint8_t alt, uint32_t address, const uint8_t *data,
                        size_t size, size_t max_run)
{
    for (size_t done = 0; done < size; done += max_run) {
        size_t len = size - done < max_run ? size - done : max_run;
        p->writes[p->write_count++] =
            (mpf_plan_write){alt, address + (uint32_t)done, data + done, len};
        p->write_bytes += len;
    }
}

/* On write-once flash a word is programmed once, so a write that ends (or
 * starts) inside a word carries the rest of it as 0xFF, and two segments
 * sharing a word go out as one write (FACTS.md: ECC families). */
static mpf_err add_writes(plan_ctx *c)
{
    mpf_plan *p = c->plan;
    const uint32_t word = p->chip->write_once && p->chip->word_size ? p->chip->word_size : 1;
    size_t max_run = (size_t)MPF_PLAN_MAX_RUN_BLOCKS * p->transfer_size;
    size_t n = 0, pad_bytes = 0;
    for (size_t i = 0; i < c->img->count;) {
        word_group g = next_group(c, i, word);
        n += (size_t)((g.stop - g.start + max_run - 1) / max_run);
        if (g.own)
            pad_bytes += (size_t)(g.stop - g.start);
        i = g.end;
    }
    if (n == 0)
        return MPF_OK;
    p->writes = calloc(n, sizeof *p->writes);
    if (!p->writes)
        return mpf_error_set(c->err, MPF_ERR_NOMEM, "flash plan: out of memory for %zu writes", n);
    if (pad_bytes && !(p->padded = malloc(pad_bytes)))
        return mpf_error_set(c->err, MPF_ERR_NOMEM,
                             "flash plan: out of memory for %zu bytes of word-padded data",
                             pad_bytes);
    uint8_t *pad = p->padded;
    for (size_t i = 0; i < c->img->count;) {
        word_group g = next_group(c, i, word);
        const mpf_segment *s = &c->img->segments[i];
        const size_t size = (size_t)(g.stop - g.start);
        if (!g.own) {
            append_runs(p, s->alt, s->address, s->data, s->size, max_run);
        } else {
            memset(pad, 0xFF, size);
            for (size_t k = g.first; k < g.end; k++) {
                const mpf_segment *m = &c->img->segments[k];
                memcpy(pad + (m->address - g.start), m->data, m->size);
            }
            append_runs(p, s->alt, g.start, pad, size, max_run);
            pad += size;
        }
        i = g.end;
    }
    return MPF_OK;
}

static mpf_err plan_mass_erase(plan_ctx *c)
{
    const mpf_layout *l = NULL;
    const mpf_chip *chip = c->plan->chip;
    if (!chip->mass_erase)
        return mpf_error_set(c->err, MPF_ERR_REFUSED,
                             "mass erase refused on this %s device: %s; nothing was erased",
                             chip->title, chip->no_mass_erase_why);
    mpf_err e = plan_layout_for_alt(c, 0, "mass erase", "it erases", &l);
    if (e)
        return e;
    c->plan->mass_erase = 1;
    for (size_t i = 0; i < l->count; i++)
        if (l->groups[i].type & MPF_MEM_ERASABLE)
            c->plan->erase_bytes += (uint64_t)l->groups[i].sector_size * l->groups[i].count;
    return MPF_OK;
}

static mpf_err plan_leave(plan_ctx *c)
{
    mpf_plan *p = c->plan;
    if (!c->opt->leave)
        return MPF_OK;
    p->leave = 1;
    if (c->opt->has_leave_address) {
        p->leave_address = c->opt->leave_address;
        p->leave_from = MPF_LEAVE_FROM_OPTION;
        p->leave_note = "the leave address given";
        return MPF_OK;
    }
    /* Segments are sorted by alt, so the first alt 0 segment, if any, is first. */
    if (c->img->count > 0 && c->img->segments[0].alt == 0) {
        p->leave_address = c->img->segments[0].address;
        p->leave_from = MPF_LEAVE_FROM_IMAGE;
        p->leave_note = "the first address of the image's alt 0 data";
        return MPF_OK;
    }
    const mpf_layout *l = NULL;
    mpf_err e = plan_layout_for_alt(c, 0, "leave", "finding the start address needs", &l);
    if (e)
        return e;
    uint32_t lowest = UINT32_MAX;
    for (size_t i = 0; i < l->count; i++)
        if (l->groups[i].start < lowest)
            lowest = l->groups[i].start;
    if (lowest != STM32_FLASH_START)
        return mpf_error_set(c->err, MPF_ERR_USAGE,
                             "leave: the image has no data for alt setting 0 and the device's %s "
                             "starts at 0x%08X, not 0x%08X; give the address to start from",
                             l->name, lowest, STM32_FLASH_START);
    p->leave_address = STM32_FLASH_START;
    p->leave_from = MPF_LEAVE_FROM_LAYOUT;
    p->leave_note = "the start of the device's alt 0 memory (0x08000000): the image has no alt 0 data";
    return MPF_OK;
}

static mpf_err build(plan_ctx *c)
{
    if (c->opt->chip) {
        c->plan->chip = c->opt->chip;
        c->plan->chip_why = "named by the caller";
    } else {
        c->plan->chip = mpf_chip_pick(c->dev, &c->plan->chip_why);
    }
    mpf_err e = check_normalized(c->img, c->err);
    if (!e)
        e = plan_transfer_size(c);
    if (e)
        return e;
    if (c->img->count == 0 && !c->opt->mass_erase)
        return mpf_error_set(c->err, MPF_ERR_INPUT,
                             "flash plan: the image has no data; nothing to write");
    for (size_t i = 0; i < c->img->count; i++) {
        const mpf_segment *seg = &c->img->segments[i];
        const mpf_layout *l = NULL;
        e = plan_layout_for_alt(c, seg->alt, seg->source, NULL, &l);
        if (!e)
            e = plan_fit_segment(c, seg, l);
        if (e)
            return e;
    }
    if (c->opt->mass_erase && (e = plan_mass_erase(c)) != MPF_OK)
        return e;
    if ((e = plan_check_safety(c)) != MPF_OK || (e = add_writes(c)) != MPF_OK)
        return e;
    if (c->opt->verify) {
        if (c->dev->func.attributes & MPF_DFU_ATTR_CAN_UPLOAD) {
            c->plan->verify = 1;
        } else {
            c->plan->verify_dropped = 1;
            c->plan->verify_note = "the device cannot upload (bmAttributes bit 1, canUpload, is "
                                   "0), so the written data cannot be read back";
        }
    }
    if ((e = plan_leave(c)) != MPF_OK)
        return e;
    c->plan->estimated_us =
        mpf_plan_estimate_us(c->plan, c->opt->timing ? c->opt->timing : &c->plan->chip->typical);
    return MPF_OK;
}

mpf_err mpf_plan_build(const mpf_image *img, const mpf_device_info *dev,
                       const mpf_plan_options *opt, mpf_plan *out, mpf_error *err)
{
    if (!out)
        return mpf_error_set(err, MPF_ERR_USAGE, "mpf_plan_build: out is NULL");
    memset(out, 0, sizeof *out);
    if (!img || !dev)
        return mpf_error_set(err, MPF_ERR_USAGE, "mpf_plan_build: no image or no device");
    mpf_plan_options defaults;
    if (!opt) {
        mpf_plan_options_default(&defaults);
        opt = &defaults;
    }
    mpf_err choice = plan_check_choices(img, dev, opt, err);
    if (choice != MPF_OK)
        return choice;
    if (dev->func.dfu_version != MPF_DFU_VERSION_DFUSE && dev->func.dfu_version != 0) {
        mpf_err rc = plan_plain_build(img, dev, opt, out, err);
        if (rc)
            mpf_plan_free(out);
        return rc;
    }
    plan_ctx *c = calloc(1, sizeof *c);
    if (!c)
        return mpf_error_set(err, MPF_ERR_NOMEM, "flash plan: out of memory");
    c->img = img;
    c->dev = dev;
    c->opt = opt;
    c->plan = out;
    c->err = err;
    mpf_err e = build(c);
    for (size_t i = 0; i < MPF_MAX_ALTS; i++)
        mpf_layout_free(&c->layouts[i]);
    free(c);
    if (e)
        mpf_plan_free(out);
    return e;
}
