/* Fuzz the DfuSe layout parser (a device's interface string is untrusted)
 * and the plan built on whatever it accepts. Checks invariants, not just
 * crashes: accepted groups are non-empty, inside 32 bits and disjoint, and
 * every sector mpf_layout_find reports contains the address asked about. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mpflash/layout.h"
#include "mpflash/plan.h"

static void check(int ok)
{
    if (!ok)
        abort();
}

static void check_layout(const mpf_layout *l)
{
    check(l->count > 0 && l->count <= MPF_LAYOUT_MAX_GROUPS);
    check(strlen(l->name) > 0 && strlen(l->name) < sizeof l->name);
    for (size_t i = 0; i < l->count; i++) {
        const mpf_sector_group *g = &l->groups[i];
        check(g->count > 0 && g->sector_size > 0 && g->type >= 1 && g->type <= 7);
        uint64_t end = (uint64_t)g->start + (uint64_t)g->sector_size * g->count;
        check(end <= (uint64_t)UINT32_MAX + 1);
        const uint32_t probes[] = {g->start, (uint32_t)(end - 1),
                                   g->start + (uint32_t)((end - g->start) / 2)};
        for (size_t k = 0; k < sizeof probes / sizeof probes[0]; k++) {
            uint32_t start = 0, size = 0;
            uint8_t type = 0;
            check(mpf_layout_find(l, probes[k], &start, &size, &type));
            check(start <= probes[k] && (uint64_t)probes[k] < (uint64_t)start + size);
            check(size == g->sector_size && type == g->type);
        }
        for (size_t j = 0; j < i; j++) {
            const mpf_sector_group *h = &l->groups[j];
            uint64_t hend = (uint64_t)h->start + (uint64_t)h->sector_size * h->count;
            check(g->start >= hend || h->start >= end);
        }
    }
}

/* Plan a small image at the start of the first group: exercises the fit,
 * erase and refusal paths on arbitrary layouts. */
static void plan_on(const char *layout, const mpf_layout *l)
{
    mpf_device_info dev;
    memset(&dev, 0, sizeof dev);
    dev.func.transfer_size = 64;
    dev.func.attributes = 0x0B;
    dev.num_alts = 1;
    memcpy(dev.alts[0].name, layout, strlen(layout) + 1);

    uint8_t data[300];
    memset(data, 0xA5, sizeof data);
    uint32_t at = l->groups[0].start;
    size_t size = sizeof data;
    if ((uint64_t)at + size > (uint64_t)UINT32_MAX + 1)
        size = (size_t)((uint64_t)UINT32_MAX + 1 - at);
    mpf_image img;
    mpf_image_init(&img);
    if (mpf_image_add(&img, 0, at, data, size, "fuzz", NULL) == MPF_OK &&
        mpf_image_normalize(&img, NULL) == MPF_OK) {
        mpf_plan_options opt;
        mpf_plan_options_default(&opt);
        opt.force = 1;
        mpf_plan p;
        mpf_error err;
        if (mpf_plan_build(&img, &dev, &opt, &p, &err) == MPF_OK) {
            /* Write-once profiles widen the write to whole flash words. */
            check(p.write_bytes >= size && p.write_bytes < size + 2u * p.chip->word_size);
            for (size_t i = 1; i < p.erase_count; i++)
                check(p.erases[i].address > p.erases[i - 1].address);
            mpf_plan_free(&p);
        }
    }
    mpf_image_free(&img);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* Interface strings are at most 255 bytes; allow more to stress the
     * parser, but keep each run cheap. */
    if (size > 4096)
        return 0;
    char *s = malloc(size + 1);
    if (!s)
        return 0;
    memcpy(s, data, size);
    s[size] = '\0';

    mpf_layout l;
    mpf_error err;
    mpf_error_clear(&err);
    if (mpf_layout_parse(s, &l, &err) == MPF_OK) {
        check_layout(&l);
        if (strlen(s) < MPF_ALT_NAME_MAX)
            plan_on(s, &l);
    } else {
        check(err.code == MPF_ERR_INPUT && err.message[0] != '\0');
        check(l.groups == NULL && l.count == 0);
    }
    mpf_layout_free(&l);
    free(s);
    return 0;
}
