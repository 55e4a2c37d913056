/* Table-driven cmocka tests: each row of a table becomes a test of its own,
 * named after the row, so a failure says which case broke and one bad row
 * does not hide the rest. Include after <cmocka.h>. */
#ifndef MPFLASH_TABLE_TESTS_H
#define MPFLASH_TABLE_TESTS_H

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

/* Rows whose first member is the row's name (const char *); fn finds its
 * row in *state. */
typedef struct test_table {
    const void *rows;
    size_t stride, count;
    CMUnitTestFunction fn;
} test_table;

#define TABLE_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define TEST_TABLE(rows, fn) ((test_table){(rows), sizeof((rows)[0]), TABLE_LEN(rows), (fn)})

/* Runs the fixed tests, then every row of every table, as one group. */
static inline int run_tests_and_tables(const char *group, const struct CMUnitTest *fixed,
                                       size_t n_fixed, const test_table *tables, size_t n_tables)
{
    size_t n = n_fixed;
    for (size_t t = 0; t < n_tables; t++)
        n += tables[t].count;
    struct CMUnitTest *tests = calloc(n, sizeof *tests);
    if (!tests)
        return 1;
    memcpy(tests, fixed, n_fixed * sizeof *tests);
    n = n_fixed;
    for (size_t t = 0; t < n_tables; t++)
        for (size_t i = 0; i < tables[t].count; i++) {
            const char *row = (const char *)tables[t].rows + i * tables[t].stride;
            const char *name;
            memcpy(&name, row, sizeof name);
            tests[n++] = (struct CMUnitTest){name, tables[t].fn, NULL, NULL, (void *)row};
        }
    int failed = _cmocka_run_group_tests(group, tests, n, NULL, NULL);
    free(tests);
    return failed;
}

#endif
