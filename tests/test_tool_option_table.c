/* The option table (src/tool/tool_option_list.h) against what is written
 * about it: docs/mpflash.1 must describe exactly the options the parser
 * takes (each under OPTIONS as a .TP entry, short and long name together)
 * and name exactly the ones it refuses; docs/mpflash.1 and docs/migrating.md
 * must list exactly the DfuSe-only ones; --help must show every option the
 * parser takes; and every row must be one the generic parser can apply. */
#include <ctype.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "test_os.h"
#include "mpflash/sim.h"
#include "tool/tool_help.h"
#include "tool/tool_options_internal.h"

#define MAN_PAGE MPFLASH_TEST_DIR "/../docs/mpflash.1"
#define MAX_NAMES 200

/* Option names as the man page spells them, "-u" or "--upload", with the
 * line they came from so a short and a long name can be paired. */
typedef struct man_names {
    char name[MAX_NAMES][40];
    int line[MAX_NAMES];
    size_t count;
} man_names;

static void add_name(man_names *m, const char *name, size_t len, int line)
{
    assert_true(m->count < MAX_NAMES);
    assert_true(len < sizeof m->name[0]);
    memcpy(m->name[m->count], name, len);
    m->name[m->count][len] = '\0';
    m->line[m->count++] = line;
}

static int is_name_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* Every option named in a line of roff: "\-u" and "\-\-dfuse\-address"
 * (an escaped hyphen that starts a word; "mass\-erase" names none). */
static void names_in(man_names *m, const char *text, int line)
{
    for (const char *p = text; *p; p++) {
        if (strncmp(p, "\\-", 2) != 0 || (p > text && p[-1] != ' ' && p[-1] != '"'))
            continue;
        char name[40] = "-";
        size_t n = 1;
        const char *q = p + 2;
        if (strncmp(q, "\\-", 2) == 0) {
            name[n++] = '-';
            q += 2;
            while (n < sizeof name - 1 && (is_name_char(*q) || strncmp(q, "\\-", 2) == 0)) {
                if (*q == '\\') {
                    name[n++] = '-';
                    q += 2;
                } else {
                    name[n++] = *q++;
                }
            }
            assert_true(n > 2);
        } else if (is_name_char(*q) && !is_name_char(q[1])) {
            name[n++] = *q++;
        } else {
            continue;
        }
        add_name(m, name, n, line);
        p = q - 1;
    }
}

/* The .TP tags under OPTIONS (not the nested .RS lists of -s modifiers),
 * and the ".BR \-c / \-\-cfg ," lines of "Refused dfu-util options". */
static void read_man_page(man_names *taken, man_names *refused)
{
    FILE *f = fopen(MAN_PAGE, "r");
    assert_non_null(f);
    char line[1024];
    int in_options = 0, in_refused = 0, nested = 0, tag_next = 0;
    for (int number = 1; fgets(line, sizeof line, f); number++) {
        if (strncmp(line, ".SH", 3) == 0) {
            in_options = strncmp(line, ".SH OPTIONS", 11) == 0;
            in_refused = 0;
        } else if (strncmp(line, ".SS", 3) == 0) {
            in_refused = in_options && strstr(line, "Refused") != NULL;
        } else if (strncmp(line, ".RS", 3) == 0) {
            nested++;
        } else if (strncmp(line, ".RE", 3) == 0) {
            nested--;
        } else if (tag_next) {
            names_in(taken, line, number);
        } else if (in_refused && strncmp(line, ".BR \\-", 6) == 0 && strstr(line, " / ")) {
            names_in(refused, line, number);
        }
        tag_next = in_options && !in_refused && !nested && strncmp(line, ".TP", 3) == 0;
    }
    fclose(f);
    assert_true(taken->count > 0);
    assert_true(refused->count > 0);
}

static int find_name(const man_names *m, const char *name)
{
    for (size_t i = 0; i < m->count; i++)
        if (strcmp(m->name[i], name) == 0)
            return (int)i;
    return -1;
}

static int is_taken(const tool_opt_def *d)
{
    return d->refusal == NULL;
}

static int is_refused(const tool_opt_def *d)
{
    return d->refusal != NULL;
}

static int is_dfuse_only(const tool_opt_def *d)
{
    return d->dfuse_only != NULL;
}

/* The names in m (read from doc) are those of the rows `selects` picks,
 * each once, a row's short and long name on the same line; `what` says in
 * a failure what the rows are. */
static void check_same_options(const man_names *m, const char *doc, int (*selects)(const tool_opt_def *),
                               const char *what)
{
    size_t expected = 0;
    for (int id = 1; id < OPT__COUNT; id++) {
        const tool_opt_def *d = &tool_opt_table[id];
        if (!selects(d))
            continue;
        int line = -1;
        if (d->short_name) {
            char s[3] = {'-', d->short_name, '\0'};
            int at = find_name(m, s);
            if (at < 0)
                fail_msg("%s does not name %s (%s)", doc, s, what);
            line = m->line[at];
            expected++;
        }
        if (d->long_name) {
            char l[40];
            snprintf(l, sizeof l, "--%s", d->long_name);
            int at = find_name(m, l);
            if (at < 0)
                fail_msg("%s does not name %s (%s)", doc, l, what);
            if (line >= 0 && m->line[at] != line)
                fail_msg("%s names %s apart from -%c", doc, l, d->short_name);
            expected++;
        }
    }
    for (size_t i = 0; i < m->count; i++) {
        const char *n = m->name[i];
        int known = 0;
        for (int id = 1; id < OPT__COUNT && !known; id++) {
            const tool_opt_def *d = &tool_opt_table[id];
            known = selects(d) && ((n[1] != '-' && n[1] == d->short_name && !n[2]) ||
                                   (n[1] == '-' && d->long_name && strcmp(n + 2, d->long_name) == 0));
        }
        if (!known)
            fail_msg("%s line %d names %s, which is not one of the option table's %s", doc, m->line[i], n, what);
    }
    assert_int_equal(m->count, expected); /* and each only once */
}

static void test_man_page_lists_the_options(void **state)
{
    (void)state;
    man_names *taken = calloc(1, sizeof *taken), *refused = calloc(1, sizeof *refused);
    assert_non_null(taken);
    assert_non_null(refused);
    read_man_page(taken, refused);
    check_same_options(taken, "docs/mpflash.1", is_taken, "options");
    check_same_options(refused, "docs/mpflash.1", is_refused, "refused options");
    free(taken);
    free(refused);
}

/* The option names between the lines holding `begin` and `end` in doc:
 * roff's "\-m" (names_in), or markdown's `-m` when markdown is set. */
static void read_marked_names(const char *doc, const char *begin, const char *end, int markdown, man_names *m)
{
    char path[512];
    snprintf(path, sizeof path, "%s/../%s", MPFLASH_TEST_DIR, doc);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char line[1024];
    int in = 0, seen_end = 0;
    for (int number = 1; fgets(line, sizeof line, f); number++) {
        if (strstr(line, begin)) {
            in = 1;
            continue;
        }
        if (strstr(line, end)) {
            seen_end = in;
            break;
        }
        if (!in)
            continue;
        if (!markdown) {
            names_in(m, line, number);
            continue;
        }
        for (const char *p = line; (p = strstr(p, "`-")) != NULL;) {
            const char *close = strchr(p + 1, '`');
            assert_non_null(close);
            add_name(m, p + 1, (size_t)(close - p - 1), number);
            p = close + 1;
        }
    }
    fclose(f);
    if (!seen_end)
        fail_msg("%s has no %s ... %s block", doc, begin, end);
}

/* Which options plain DFU boards refuse: the man page and the migration
 * guide list exactly the .dfuse_only rows. */
static void test_dfuse_only_options_are_documented(void **state)
{
    (void)state;
    man_names *man = calloc(1, sizeof *man), *md = calloc(1, sizeof *md);
    assert_non_null(man);
    assert_non_null(md);
    read_marked_names("docs/mpflash.1", ".\\\" dfuse-only-begin", ".\\\" dfuse-only-end", 0, man);
    check_same_options(man, "docs/mpflash.1", is_dfuse_only, "DfuSe-only options (.dfuse_only)");
    read_marked_names("docs/migrating.md", "<!-- dfuse-only-begin -->", "<!-- dfuse-only-end -->", 1, md);
    check_same_options(md, "docs/migrating.md", is_dfuse_only, "DfuSe-only options (.dfuse_only)");
    free(man);
    free(md);
}

/* The roff reader itself: what it must find and what it must not. */
static void test_man_names_reader(void **state)
{
    (void)state;
    man_names m = {0};
    names_in(&m, ".BI \\-u \" FILE\" \"\\fR, \\fP\" \\-\\-upload \" FILE\"", 7);
    names_in(&m, ".BR \\-w \", \" \\-\\-wait [ =\\fISECONDS\\fP ]", 8);
    names_in(&m, ".B mass\\-erase", 9);
    names_in(&m, ".BI \\-\\-leave\\-address \" ADDR\"", 10);
    assert_int_equal(m.count, 5);
    assert_string_equal(m.name[0], "-u");
    assert_string_equal(m.name[1], "--upload");
    assert_string_equal(m.name[2], "-w");
    assert_string_equal(m.name[3], "--wait");
    assert_string_equal(m.name[4], "--leave-address");
    assert_int_equal(m.line[4], 10);
}

static void test_help_shows_every_option(void **state)
{
    (void)state;
    tos_capture out;
    assert_non_null(tos_capture_begin(&out));
    tool_help(out.f);
    char *text = tos_capture_end(&out, NULL);
    assert_non_null(text);
    for (int id = 1; id < OPT__COUNT; id++) {
        const tool_opt_def *d = &tool_opt_table[id];
        char name[48];
        if (d->short_name && d->long_name)
            snprintf(name, sizeof name, "  -%c, --%s", d->short_name, d->long_name);
        else if (d->short_name)
            snprintf(name, sizeof name, "  -%c", d->short_name);
        else
            snprintf(name, sizeof name, "  --%s", d->long_name);
        if (d->refusal)
            assert_null(strstr(text, name));
        else if (!strstr(text, name))
            fail_msg("--help does not show %s", name + 2);
    }
    free(text);
}

/* The CHIP+QUIRK form of --sim is discoverable: --help names it and the man
 * page names every quirk (hyphens as the man page writes them, "\-"). */
static const char *man_page(void)
{
    static char man[1 << 18];
    FILE *f = fopen(MAN_PAGE, "r");
    assert_non_null(f);
    size_t n = fread(man, 1, sizeof man - 1, f);
    fclose(f);
    man[n] = '\0';
    return man;
}

/* word appears in text on its own: not inside a longer chip name. */
static int names_word(const char *text, const char *word)
{
    const size_t len = strlen(word);
    for (const char *p = strstr(text, word); p; p = strstr(p + 1, word)) {
        const char before = p == text ? ' ' : p[-1], after = p[len];
        if (!isalnum((unsigned char)before) && before != '-' && !isalnum((unsigned char)after) &&
            after != '-')
            return 1;
    }
    return 0;
}

/* --sim list's chips all appear in the man page's --sim entry. */
static void test_sim_chips_are_documented(void **state)
{
    (void)state;
    const char *man = man_page();
    const char *sim = strstr(man, "names the chips:");
    assert_non_null(sim);
    for (size_t i = 0; i < mpf_sim_chip_count(); i++)
        if (!names_word(sim, mpf_sim_chip_name(i)))
            fail_msg("the man page's --sim entry does not name the chip %s", mpf_sim_chip_name(i));
}

static void test_sim_quirks_are_documented(void **state)
{
    (void)state;
    tos_capture out;
    assert_non_null(tos_capture_begin(&out));
    tool_help(out.f);
    char *help = tos_capture_end(&out, NULL);
    assert_non_null(help);
    assert_non_null(strstr(help, "CHIP+QUIRK"));
    const char *man = man_page();
    for (unsigned bit = 1; bit <= MPF_SIM_QUIRK_PACKING; bit <<= 1) {
        const char *name = mpf_sim_quirk_name((mpf_sim_quirk)bit);
        assert_non_null(name);
        char in_help[40], in_man[48];
        snprintf(in_help, sizeof in_help, "+%s", name);
        size_t k = 0;
        in_man[k++] = '+';
        for (const char *c = name; *c && k + 3 < sizeof in_man; c++) {
            if (*c == '-')
                in_man[k++] = '\\';
            in_man[k++] = *c;
        }
        in_man[k] = '\0';
        if (!strstr(help, in_help))
            fail_msg("--help does not name the quirk %s", in_help);
        if (!strstr(man, in_man))
            fail_msg("the man page does not name the quirk %s", in_man);
    }
    free(help);
}

/* What the generic parser assumes of a row. */
static void test_rows_are_well_formed(void **state)
{
    (void)state;
    for (int id = 1; id < OPT__COUNT; id++) {
        const tool_opt_def *d = &tool_opt_table[id];
        const char *name = d->long_name ? d->long_name : "(short only)";
        if ((int)d->id != id || (!d->short_name && !d->long_name))
            fail_msg("row %d: wrong id or no name", id);
        for (int other = 1; other < id; other++) {
            const tool_opt_def *e = &tool_opt_table[other];
            if ((d->short_name && d->short_name == e->short_name) ||
                (d->long_name && e->long_name && strcmp(d->long_name, e->long_name) == 0))
                fail_msg("%s: a name given twice in the table", name);
        }
        if (d->refusal) {
            if (d->help || d->commands)
                fail_msg("%s: a refused option has no help and no command", name);
            continue;
        }
        if (!d->help || !d->commands)
            fail_msg("%s: no help line or no command it applies to", name);
        if (d->arg == TOOL_ARG_NONE && d->value.size)
            fail_msg("%s: a value stored for an option that takes none", name);
        if (d->arg != TOOL_ARG_NONE && !d->arg_name)
            fail_msg("%s: takes a value but --help has no name for it", name);
        if ((d->arg == TOOL_ARG_OPTIONAL) != (d->shaped != NULL))
            fail_msg("%s: .shaped is for optional values only, and they need it", name);
        if (d->sets.size && d->sets.size != sizeof(int))
            fail_msg("%s: SETS needs an int member", name);
        if (d->value.size && !d->number && d->value.size != sizeof(const char *))
            fail_msg("%s: STRING needs a const char * member", name);
        if (d->number) {
            if (d->value.size != 1 && d->value.size != 2 && d->value.size != 4)
                fail_msg("%s: NUMBER needs a uint8/16/32 member", name);
            if (d->min > d->max || (d->value.size < 4 && d->max >> (8 * d->value.size)) || !d->bad_value)
                fail_msg("%s: NUMBER's range does not fit its member, or no reason to refuse", name);
        }
        for (size_t k = 0; k < TOOL_OPT_MAX_CONFLICTS && d->conflicts[k].with; k++)
            if (!d->conflicts[k].why || (int)d->conflicts[k].with == id)
                fail_msg("%s: a conflict needs another option and why", name);
        if (d->needs && (!tool_opt_table[d->needs].long_name || !tool_opt_table[d->needs].arg_name))
            fail_msg("%s: what it needs is named by long name and value", name);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_man_names_reader),
        cmocka_unit_test(test_man_page_lists_the_options),
        cmocka_unit_test(test_dfuse_only_options_are_documented),
        cmocka_unit_test(test_help_shows_every_option),
        cmocka_unit_test(test_sim_quirks_are_documented),
        cmocka_unit_test(test_sim_chips_are_documented),
        cmocka_unit_test(test_rows_are_well_formed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
