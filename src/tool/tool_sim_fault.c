/* MPFLASH_SIM_FAULT: a testing aid that makes the virtual board fail on
 * purpose, so the end-to-end tests can reach every exit code. Read only on
 * the --sim path; a real board never sees it. */
#include <stdio.h>
#include <string.h>

#include "mpflash/dfu.h"
#include "tool/tool_parse.h"
#include "tool/tool_sim.h"

static const struct {
    const char *name;
    mpf_sim_op op;
} op_names[] = {
    {"any", MPF_SIM_OP_ANY},
    {"getstatus", MPF_SIM_OP_GETSTATUS},
    {"getstate", MPF_SIM_OP_GETSTATE},
    {"clrstatus", MPF_SIM_OP_CLRSTATUS},
    {"abort", MPF_SIM_OP_ABORT},
    {"detach", MPF_SIM_OP_DETACH},
    {"set-address", MPF_SIM_OP_SET_ADDRESS},
    {"erase", MPF_SIM_OP_ERASE},
    {"mass-erase", MPF_SIM_OP_MASS_ERASE},
    {"unprotect", MPF_SIM_OP_UNPROTECT},
    {"write", MPF_SIM_OP_WRITE},
    {"leave", MPF_SIM_OP_LEAVE},
    {"upload", MPF_SIM_OP_UPLOAD},
};

static const struct {
    const char *name;
    mpf_sim_fault_kind kind;
} kind_names[] = {
    {"stall", MPF_SIM_FAULT_STALL},
    {"timeout", MPF_SIM_FAULT_TIMEOUT},
    {"disconnect", MPF_SIM_FAULT_DISCONNECT},
    {"status", MPF_SIM_FAULT_STATUS},
};

static int parse_status(const char *s, uint8_t *out)
{
    uint32_t v;
    if (tool_parse_u32(s, &v) == 0 && v <= 0xFF) {
        *out = (uint8_t)v;
        return 0;
    }
    for (unsigned i = 0; i <= MPF_DFU_STATUS_ERR_STALLEDPKT; i++)
        if (strcmp(s, mpf_dfu_status_name((uint8_t)i)) == 0) {
            *out = (uint8_t)i;
            return 0;
        }
    return -1;
}

static mpf_err bad(const char *item, const char *why, mpf_error *err)
{
    return mpf_error_set(err, MPF_ERR_USAGE, "MPFLASH_SIM_FAULT item \"%s\": %s", item, why);
}

/* sim NULL: only check the item (it is for another board). */
static mpf_err apply_item(mpf_sim *sim, char *item, tool_sim_extras *extras, mpf_error *err)
{
    char original[128];
    snprintf(original, sizeof original, "%s", item);
    char *field[5] = {NULL};
    size_t n = 0;
    for (char *p = item; p && n < 5; n++) {
        field[n] = p;
        p = strchr(p, ':');
        if (p)
            *p++ = '\0';
    }
    uint32_t address;
    if (strcmp(field[0], "rdp") == 0 && n == 1) {
        if (sim)
            mpf_sim_set_read_protection(sim, 1);
        return MPF_OK;
    }
    if (strcmp(field[0], "start-error") == 0 && n == 1) {
        if (sim)
            mpf_sim_start_in_error(sim);
        return MPF_OK;
    }
    if ((strcmp(field[0], "wp") == 0 || strcmp(field[0], "flip") == 0) && n == 2) {
        if (tool_parse_u32(field[1], &address) != 0)
            return bad(original, "expected an address such as 0x08020000", err);
        if (sim && field[0][0] == 'w') {
            mpf_sim_write_protect(sim, address);
        } else if (sim) {
            extras->flip_before_verify = 1;
            extras->flip_address = address;
        }
        return MPF_OK;
    }
    mpf_sim_fault f = {0};
    size_t k;
    for (k = 0; k < sizeof kind_names / sizeof kind_names[0]; k++)
        if (strcmp(field[0], kind_names[k].name) == 0)
            break;
    if (k == sizeof kind_names / sizeof kind_names[0])
        return bad(original, "unknown kind (stall, timeout, disconnect, status, wp, rdp, start-error, flip)", err);
    f.kind = kind_names[k].kind;
    if (n != (f.kind == MPF_SIM_FAULT_STATUS ? 4u : 3u))
        return bad(original, f.kind == MPF_SIM_FAULT_STATUS ? "expected status:OP:N:STATUS" : "expected KIND:OP:N", err);
    size_t o;
    for (o = 0; o < sizeof op_names / sizeof op_names[0]; o++)
        if (strcmp(field[1], op_names[o].name) == 0)
            break;
    if (o == sizeof op_names / sizeof op_names[0])
        return bad(original, "unknown operation", err);
    f.op = op_names[o].op;
    uint32_t nth;
    if (tool_parse_u32(field[2], &nth) != 0 || nth == 0)
        return bad(original, "N counts from 1", err);
    f.nth = nth;
    if (f.kind == MPF_SIM_FAULT_STATUS && parse_status(field[3], &f.status) != 0)
        return bad(original, "expected a DFU status such as errERASE or 4", err);
    return sim ? mpf_sim_add_fault(sim, &f, err) : MPF_OK;
}

/* "SIM2=stall:erase:1" is for the board with serial SIM2 only; *item is
 * moved past the prefix. 0 when the item is not for this board. */
static int for_this_board(char **item, const char *serial)
{
    char *eq = strchr(*item, '=');
    if (!eq)
        return 1;
    *eq = '\0';
    int mine = serial && strcmp(*item, serial) == 0;
    *item = eq + 1;
    return mine;
}

mpf_err tool_sim_apply_faults(mpf_sim *sim, const char *spec, const char *serial, tool_sim_extras *extras,
                              mpf_error *err)
{
    memset(extras, 0, sizeof *extras);
    if (!spec || !*spec)
        return MPF_OK;
    char text[512];
    if (strlen(spec) >= sizeof text)
        return mpf_error_set(err, MPF_ERR_USAGE, "MPFLASH_SIM_FAULT is too long");
    strcpy(text, spec);
    char *item = text;
    while (item) {
        char *next = strchr(item, ',');
        if (next)
            *next++ = '\0';
        /* Every item is checked, also those for other boards, so a typo
         * fails on every board rather than silently on none. */
        tool_sim_extras unused;
        int mine = for_this_board(&item, serial);
        mpf_err rc = apply_item(mine ? sim : NULL, item, mine ? extras : &unused, err);
        if (rc)
            return rc;
        item = next;
    }
    return MPF_OK;
}
