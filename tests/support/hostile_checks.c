#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fixtures.h"
#include "hostile_checks.h"
#include "mpflash/layout.h"

int hostile_error_is_clean(const mpf_error *err, mpf_err rc, char *why, size_t why_size)
{
    const char *problem = NULL;
    size_t n = strnlen(err->message, sizeof err->message);
    if (err->code != rc)
        problem = "err->code differs from the returned code";
    else if (n == 0)
        problem = "the message is empty";
    else if (n >= sizeof err->message - 1 || (n >= 3 && memcmp(err->message + n - 3, "\xE2\x80\xA6", 3) == 0))
        problem = "the message was cut (it fills the buffer or ends with the cut mark)";
    else if (strpbrk(err->message, "\r\n"))
        problem = "the message has more than one line";
    if (!problem)
        return 1;
    snprintf(why, why_size, "%s (code %s, returned %s, message \"%s\")", problem,
             mpf_err_name(err->code), mpf_err_name(rc), err->message);
    return 0;
}

void hostile_assert_error(const char *context, const mpf_error *err, mpf_err rc, mpf_err want,
                          const char *const *needles)
{
    if (getenv("MPFLASH_TEST_VERBOSE"))
        printf("# %s: %s: %s\n", context, mpf_err_name(rc), rc ? err->message : "");
    if (rc != want)
        fail_msg("%s: got %s (%s), want %s", context, mpf_err_name(rc), err->message,
                 mpf_err_name(want));
    if (want == MPF_OK)
        return;
    char why[768];
    if (!hostile_error_is_clean(err, rc, why, sizeof why))
        fail_msg("%s: %s", context, why);
    for (size_t i = 0; needles && needles[i]; i++)
        if (!strstr(err->message, needles[i]))
            fail_msg("%s: message \"%s\" does not say \"%s\"", context, err->message, needles[i]);
}

size_t hostile_log_nth(const mpf_sim *sim, mpf_sim_op op, unsigned nth)
{
    const size_t n = mpf_sim_request_count(sim);
    unsigned seen = 0;
    for (size_t i = 0; i < n; i++)
        if ((op == MPF_SIM_OP_ANY || mpf_sim_request_at(sim, i)->op == op) && ++seen == nth)
            return i;
    return (size_t)-1;
}

size_t hostile_log_count(const mpf_sim *sim, mpf_sim_op op)
{
    const size_t n = mpf_sim_request_count(sim);
    size_t count = 0;
    for (size_t i = 0; i < n; i++)
        count += op == MPF_SIM_OP_ANY || mpf_sim_request_at(sim, i)->op == op;
    return count;
}

size_t hostile_log_changes_after(const mpf_sim *sim, size_t i)
{
    const size_t n = mpf_sim_request_count(sim);
    size_t changes = 0;
    for (size_t j = i + 1; j < n; j++) {
        switch (mpf_sim_request_at(sim, j)->op) {
        case MPF_SIM_OP_SET_ADDRESS:
        case MPF_SIM_OP_ERASE:
        case MPF_SIM_OP_MASS_ERASE:
        case MPF_SIM_OP_UNPROTECT:
        case MPF_SIM_OP_WRITE:
        case MPF_SIM_OP_LEAVE:
            changes++;
            break;
        default:
            break;
        }
    }
    return changes;
}

void hostile_snapshot(const mpf_sim *sim, uint32_t base, size_t size, hostile_flash *out)
{
    out->base = base;
    out->size = size;
    out->bytes = malloc(size);
    assert_non_null(out->bytes);
    assert_int_equal(mpf_sim_peek(sim, base, out->bytes, size), 0);
}

void hostile_snapshot_free(hostile_flash *f)
{
    free(f->bytes);
    f->bytes = NULL;
}

int hostile_unchanged_outside_erased(const mpf_sim *sim, const char *layout,
                                     const hostile_flash *before, uint32_t *where)
{
    return hostile_unchanged_outside_erased_or_image(sim, layout, before, NULL, where);
}

int hostile_unchanged_outside_erased_or_image(const mpf_sim *sim, const char *layout,
                                              const hostile_flash *before, const mpf_image *img,
                                              uint32_t *where)
{
    mpf_layout l;
    mpf_error err;
    if (mpf_layout_parse(layout, &l, &err) != MPF_OK)
        fail_msg("layout \"%s\": %s", layout, err.message);
    uint8_t *now = malloc(before->size);
    assert_non_null(now);
    assert_int_equal(mpf_sim_peek(sim, before->base, now, before->size), 0);
    /* Erased sectors may hold anything: make them agree, then compare all. */
    const uint64_t lo = before->base, hi = lo + before->size;
    for (size_t i = 0; i < mpf_sim_erase_count(sim); i++) {
        uint32_t start = 0, size = 0;
        if (!mpf_layout_find(&l, mpf_sim_erase_at(sim, i), &start, &size, NULL))
            continue;
        uint64_t s = start > lo ? start : lo, e = (uint64_t)start + size;
        if (e > hi)
            e = hi;
        if (s < e)
            memcpy(now + (s - lo), before->bytes + (s - lo), (size_t)(e - s));
    }
    for (size_t i = 0; img && i < img->count; i++) {
        const mpf_segment *seg = &img->segments[i];
        for (size_t k = 0; seg->alt == 0 && k < seg->size; k++) {
            uint64_t a = (uint64_t)seg->address + k;
            if (a >= lo && a < hi && now[a - lo] == seg->data[k])
                now[a - lo] = before->bytes[a - lo];
        }
    }
    int same = memcmp(now, before->bytes, before->size) == 0;
    if (!same) {
        size_t k = 0;
        while (now[k] == before->bytes[k])
            k++;
        *where = before->base + (uint32_t)k;
    }
    free(now);
    mpf_layout_free(&l);
    return same;
}

int hostile_erases_within_plan(const mpf_sim *sim, const mpf_plan *plan, int allow_repeats,
                               uint32_t *where)
{
    const size_t n = mpf_sim_erase_count(sim);
    for (size_t i = 0; i < n; i++) {
        uint32_t at = mpf_sim_erase_at(sim, i);
        int planned = plan->mass_erase;
        for (size_t k = 0; k < plan->erase_count && !planned; k++)
            planned = plan->erases[k].alt == 0 && plan->erases[k].address == at;
        for (size_t j = 0; j < i && planned && !plan->mass_erase && !allow_repeats; j++)
            planned = mpf_sim_erase_at(sim, j) != at;
        if (!planned) {
            *where = at;
            return 0;
        }
    }
    return 1;
}

void hostile_mark_flash(mpf_sim *sim, uint32_t base, size_t size, uint32_t seed)
{
    const size_t stretch = 16u * 1024u, mark = 256;
    uint8_t buf[256];
    for (size_t off = 0; off + stretch <= size; off += stretch) {
        fixture_fill_random(buf, mark, seed + (uint32_t)(off / stretch));
        assert_int_equal(mpf_sim_poke(sim, base + (uint32_t)off, buf, mark), 0);
        fixture_fill_random(buf, mark, ~seed - (uint32_t)(off / stretch));
        assert_int_equal(mpf_sim_poke(sim, base + (uint32_t)(off + stretch - mark), buf, mark), 0);
    }
}

size_t hostile_repeated_erases(const mpf_sim *sim)
{
    const size_t n = mpf_sim_erase_count(sim);
    size_t repeats = 0;
    for (size_t i = 0; i < n; i++) {
        int seen = 0;
        for (size_t j = 0; j < i && !seen; j++)
            seen = mpf_sim_erase_at(sim, j) == mpf_sim_erase_at(sim, i);
        repeats += seen;
    }
    return repeats;
}

void hostile_dump_log(const mpf_sim *sim)
{
    static const char *const names[] = {"any",        "GETSTATUS", "GETSTATE", "CLRSTATUS",
                                        "ABORT",      "DETACH",    "SET_ADDRESS", "ERASE",
                                        "MASS_ERASE", "UNPROTECT", "WRITE",    "LEAVE",
                                        "UPLOAD",     "OTHER",     "SELECT_ALT", "RESET"};
    for (size_t i = 0; i < mpf_sim_request_count(sim); i++) {
        const mpf_sim_request *r = mpf_sim_request_at(sim, i);
        printf("# %4zu %-11s wValue %-5u wLength %-5u 0x%08X %s\n", i,
               r->op <= MPF_SIM_OP_RESET ? names[r->op] : "?", (unsigned)r->value,
               (unsigned)r->length, (unsigned)r->address, mpf_err_name(r->result));
    }
    for (size_t i = 0; i < mpf_sim_erase_count(sim); i++)
        printf("# erased 0x%08X\n", (unsigned)mpf_sim_erase_at(sim, i));
}
