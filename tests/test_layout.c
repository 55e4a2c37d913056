/* DfuSe memory layout strings: real devices' strings field by field, every
 * malformed case with its position, and sector lookup at the edges. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "mpflash/layout.h"

typedef struct group_want {
    uint32_t start, sector_size, count;
    uint8_t type;
} group_want;

static void parse_ok(const char *s, const char *name, const group_want *want, size_t n)
{
    mpf_layout l;
    mpf_error err;
    mpf_error_clear(&err);
    assert_int_equal(mpf_layout_parse(s, &l, &err), MPF_OK);
    assert_string_equal(l.name, name);
    assert_int_equal(l.count, n);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(l.groups[i].start, want[i].start);
        assert_int_equal(l.groups[i].sector_size, want[i].sector_size);
        assert_int_equal(l.groups[i].count, want[i].count);
        assert_int_equal(l.groups[i].type, want[i].type);
    }
    mpf_layout_free(&l);
    assert_null(l.groups);
}

#define RWE (MPF_MEM_READABLE | MPF_MEM_ERASABLE | MPF_MEM_WRITABLE)
#define RW (MPF_MEM_READABLE | MPF_MEM_WRITABLE)

static void test_f401_flash(void **state)
{
    (void)state;
    const group_want g[] = {
        {0x08000000, 16384, 4, RWE}, {0x08010000, 65536, 1, RWE}, {0x08020000, 131072, 3, RWE}};
    parse_ok("@Internal Flash  /0x08000000/04*016Kg,01*064Kg,03*128Kg", "Internal Flash", g, 3);

    mpf_layout l;
    assert_int_equal(mpf_layout_parse("@Internal Flash  /0x08000000/04*016Kg,01*064Kg,03*128Kg",
                                      &l, NULL),
                     MPF_OK);
    assert_int_equal(mpf_layout_size(&l), 512u * 1024u);
    mpf_layout_free(&l);
}

static void test_f405_and_mboot_flash(void **state)
{
    (void)state;
    const group_want g[] = {
        {0x08000000, 16384, 4, RWE}, {0x08010000, 65536, 1, RWE}, {0x08020000, 131072, 7, RWE}};
    /* The F405/F407 ROM and MicroPython's mboot send the same string. */
    parse_ok("@Internal Flash  /0x08000000/04*016Kg,01*064Kg,07*128Kg", "Internal Flash", g, 3);
    mpf_layout l;
    assert_int_equal(mpf_layout_parse("@Internal Flash  /0x08000000/04*016Kg,01*064Kg,07*128Kg",
                                      &l, NULL),
                     MPF_OK);
    assert_int_equal(mpf_layout_size(&l), 1024u * 1024u);
    mpf_layout_free(&l);
}

static void test_option_bytes(void **state)
{
    (void)state;
    const group_want e[] = {{0x1FFFC000, 16, 1, RW}};
    parse_ok("@Option Bytes  /0x1FFFC000/01*016 e", "Option Bytes", e, 1);
    const group_want g[] = {{0x1FFFC000, 16, 1, RWE}};
    parse_ok("@Option Bytes  /0x1FFFC000/01*016 g", "Option Bytes", g, 1);
}

static void test_otp_and_device_feature(void **state)
{
    (void)state;
    const group_want otp[] = {{0x1FFF7800, 512, 1, RW}, {0x1FFF7A00, 16, 1, RW}};
    parse_ok("@OTP Memory /0x1FFF7800/01*512 e,01*016 e", "OTP Memory", otp, 2);
    const group_want otp_g[] = {{0x1FFF7800, 512, 1, RWE}, {0x1FFF7A00, 16, 1, RWE}};
    parse_ok("@OTP Memory /0x1FFF7800/01*512 g,01*016 g", "OTP Memory", otp_g, 2);
    /* The STM32F72x ROM gives its OTP size with no unit letter (bytes). */
    const group_want otp_f72x[] = {{0x1FF07800, 528, 1, RW}};
    parse_ok("@OTP Memory /0x1FF07800/01*528e", "OTP Memory", otp_f72x, 1);
    const group_want no_unit[] = {{0x0, 16, 2, RWE}, {0x20, 1024, 1, RW}};
    parse_ok("@T/0x0/2*16g,1*1Ke", "T", no_unit, 2);
    /* No space between the name and '/'. */
    const group_want feat[] = {{0xFFFF0000, 4, 1, RW}};
    parse_ok("@Device Feature/0xFFFF0000/01*004 e", "Device Feature", feat, 1);
}

static void test_every_type_letter_and_unit(void **state)
{
    (void)state;
    const group_want g[] = {
        {0x0, 1, 1, 1},      {0x1, 1, 1, 2},       {0x2, 1, 1, 3},        {0x3, 1, 1, 4},
        {0x4, 1024, 1, 5},   {0x404, 1048576, 1, 6}, {0x100404, 2, 1, 7}};
    parse_ok("@T/0x0/1*1 a,1*1Bb,1*1 c,1*1Bd,1*1Ke,1*1Mf,1*2Bg", "T", g, 7);
    assert_int_equal(mpf_layout_type_letter(7), 'g');
    assert_int_equal(mpf_layout_type_letter(1), 'a');
    assert_int_equal(mpf_layout_type_letter(0), '?');
    assert_int_equal(mpf_layout_type_letter(8), '?');
}

static void test_multi_block(void **state)
{
    (void)state;
    /* Two banks as two blocks, a gap between them; "0X" and upper-case hex. */
    const group_want g[] = {{0x08000000, 16384, 4, RWE},
                            {0x08010000, 65536, 1, RWE},
                            {0x08100000, 16384, 2, RW},
                            {0x08108000, 131072, 1, MPF_MEM_READABLE}};
    const char *s = "@Internal Flash  /0x08000000/04*016Kg,01*064Kg/0X081000A0/02*016Ke,1*128Ka";
    /* 0x081000A0 is not where the test wants it: check the parser reads the
     * start digit by digit, then use the aligned string. */
    mpf_layout l;
    assert_int_equal(mpf_layout_parse(s, &l, NULL), MPF_OK);
    assert_int_equal(l.count, 4);
    assert_int_equal(l.groups[2].start, 0x081000A0);
    mpf_layout_free(&l);
    parse_ok("@Internal Flash  /0x08000000/04*016Kg,01*064Kg/0X08100000/02*016Ke,1*128Ka",
             "Internal Flash", g, 4);
}

static void test_name_trimmed_and_cut(void **state)
{
    (void)state;
    const group_want g[] = {{0x20000000, 1024, 2, RWE}};
    parse_ok("@  SRAM   /0x20000000/2*1Kg", "SRAM", g, 1);

    char s[160];
    char name[100];
    memset(name, 'N', sizeof name - 1);
    name[sizeof name - 1] = '\0';
    snprintf(s, sizeof s, "@%s/0x20000000/2*1Kg", name);
    mpf_layout l;
    assert_int_equal(mpf_layout_parse(s, &l, NULL), MPF_OK);
    assert_int_equal(strlen(l.name), 63);
    assert_int_equal(l.name[62], 'N');
    mpf_layout_free(&l);
}

static void test_edges_of_address_space(void **state)
{
    (void)state;
    /* A block may end exactly at 0xFFFFFFFF. */
    const group_want top[] = {{0xFFFFF000, 4096, 1, RWE}};
    parse_ok("@Top/0xFFFFF000/1*4Kg", "Top", top, 1);
    const group_want all[] = {{0x0, 65536, 65536, RW}};
    parse_ok("@All/0x0/65536*65536 e", "All", all, 1);
    const group_want max_count[] = {{0x0, 1, 4294967295u, MPF_MEM_READABLE}};
    parse_ok("@Bytes/0x0/4294967295*1 a", "Bytes", max_count, 1);

    mpf_layout l;
    assert_int_equal(mpf_layout_parse("@Top/0xFFFFF000/1*4Kg", &l, NULL), MPF_OK);
    uint32_t start = 0, size = 0;
    assert_int_equal(mpf_layout_find(&l, 0xFFFFFFFF, &start, &size, NULL), 1);
    assert_int_equal(start, 0xFFFFF000);
    assert_int_equal(size, 4096);
    assert_int_equal(mpf_layout_find(&l, 0xFFFFEFFF, NULL, NULL, NULL), 0);
    mpf_layout_free(&l);

    assert_int_equal(mpf_layout_parse("@Bytes/0x0/4294967295*1 a", &l, NULL), MPF_OK);
    assert_int_equal(mpf_layout_find(&l, 0xFFFFFFFE, &start, &size, NULL), 1);
    assert_int_equal(start, 0xFFFFFFFE);
    assert_int_equal(size, 1);
    assert_int_equal(mpf_layout_find(&l, 0xFFFFFFFF, NULL, NULL, NULL), 0);
    assert_int_equal(mpf_layout_size(&l), 4294967295u);
    mpf_layout_free(&l);
}

typedef struct bad_case {
    const char *s;
    const char *fragment; /* a distinctive part of the message, position included */
} bad_case;

static const bad_case bad[] = {
    {"", "character 1 (end of string): expected '@'"},
    {"Internal Flash /0x08000000/04*016Kg", "character 1 ('I'): expected '@'"},
    {"@Internal Flash 0x08000000", "character 27 (end of string): expected '/' after the region"},
    {"@   /0x0/1*1Kg", "character 5 ('/'): expected a region name"},
    {"@F/08000000/1*1Kg", "character 4 ('0'): expected a start address"},
    {"@F/x08000000/1*1Kg", "character 4 ('x'): expected a start address"},
    {"@F/0x/1*1Kg", "character 6 ('/'): expected a hexadecimal digit"},
    {"@F/0x0800G000/1*1Kg", "character 10 ('G'): expected '/' after the start address"},
    {"@F/0x123456789/1*1Kg", "character 6: the start address does not fit 32 bits"},
    {"@F/0x08000000/", "character 15 (end of string): expected a decimal sector count"},
    {"@F/0x08000000/0*16Kg", "character 15: the sector count is 0"},
    {"@F/0x08000000/00*16Kg", "character 15: the sector count is 0"},
    {"@F/0x08000000/1*0Kg", "character 17: the sector size is 0"},
    {"@F/0x08000000/1-16Kg", "character 16 ('-'): expected '*'"},
    {"@F/0x08000000/1*Kg", "character 17 ('K'): expected a decimal sector size"},
    {"@F/0x08000000/1*16Xg", "character 19 ('X'): expected a size unit"},
    {"@F/0x08000000/1*16kg", "character 19 ('k'): expected a size unit"},
    {"@F/0x08000000/1*16Kz", "character 20 ('z'): expected a sector type letter"},
    {"@F/0x08000000/1*16Kh", "character 20 ('h'): expected a sector type letter"},
    {"@F/0x08000000/1*16KG", "character 20 ('G'): expected a sector type letter"},
    {"@F/0x08000000/1*16K", "character 20 (end of string): expected a sector type letter"},
    {"@F/0x08000000/1*16 ", "character 20 (end of string): expected a sector type letter"},
    {"@F/0x08000000/1*16Kg;", "character 21 (';'): expected ',', '/' or the end"},
    {"@F/0x08000000/1*16Kg ", "character 21 (' '): expected ',', '/' or the end"},
    {"@F/0x08000000/1*16Kg,", "character 22 (end of string): expected a decimal sector count"},
    {"@F/0x08000000/1*16Kg/", "character 22 (end of string): expected a start address"},
    {"@F/0x08000000/1*16Kg\x01", "character 21 (byte 0x01): expected ','"},
    {"@F/0x08000000/1*1\x80g", "character 18 (byte 0x80): expected a size unit"},
    {"@F/0xFFFFF000/2*4Kg", "character 15: 2 sectors of 4096 bytes from 0xFFFFF000 run past "
                            "0xFFFFFFFF"},
    {"@F/0x0/65536*65537 e", "character 8: 65536 sectors of 65537 bytes from 0x00000000 run past"},
    {"@F/0xFFFFF000/1*4Kg,1*1 g", "character 21: this sector group starts past 0xFFFFFFFF"},
    {"@F/0x0/4294967296*1 g", "character 8: the sector count does not fit 32 bits"},
    {"@F/0x0/1*4294967296 g", "character 10: the sector size does not fit 32 bits"},
    {"@F/0x0/99999999999999999999999*1 g", "the sector count does not fit 32 bits"},
    {"@F/0x0/1*4096Mg", "character 14: a sector of 4096M is larger than 4 GiB"},
    {"@F/0x0/1*4194304Kg", "character 17: a sector of 4194304K is larger than 4 GiB"},
    {"@F/0x08000000/4*16Kg/0x08008000/1*16Kg", "character 33: sectors from 0x08008000 overlap "
                                               "those from 0x08000000"},
    {"@F/0x08008000/1*16Kg/0x08000000/4*16Kg", "sectors from 0x08000000 overlap those from "
                                               "0x08008000"},
};

static void test_malformed(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        mpf_layout l;
        memset(&l, 0x5A, sizeof l);
        mpf_error err;
        mpf_error_clear(&err);
        mpf_err rc = mpf_layout_parse(bad[i].s, &l, &err);
        if (rc != MPF_ERR_INPUT || !strstr(err.message, bad[i].fragment))
            fail_msg("case %zu \"%s\": rc %d, message \"%s\", wanted \"%s\"", i, bad[i].s, rc,
                     err.message, bad[i].fragment);
        assert_int_equal(err.code, MPF_ERR_INPUT);
        assert_non_null(strstr(err.message, "memory layout, "));
        /* A refused string leaves nothing behind. */
        assert_null(l.groups);
        assert_int_equal(l.count, 0);
        assert_string_equal(l.name, "");
        mpf_layout_free(&l);
    }
}

/* A hostile device's string cannot make the parser keep unbounded groups. */
static void test_group_cap(void **state)
{
    (void)state;
    char s[1024];
    size_t used = (size_t)snprintf(s, sizeof s, "@Many/0x0/");
    for (int i = 0; i < MPF_LAYOUT_MAX_GROUPS; i++)
        used += (size_t)snprintf(s + used, sizeof s - used, "%s1*1 a", i ? "," : "");
    mpf_layout l;
    assert_int_equal(mpf_layout_parse(s, &l, NULL), MPF_OK);
    assert_int_equal(l.count, MPF_LAYOUT_MAX_GROUPS);
    assert_int_equal(l.groups[MPF_LAYOUT_MAX_GROUPS - 1].start, MPF_LAYOUT_MAX_GROUPS - 1);
    mpf_layout_free(&l);

    size_t before = used;
    snprintf(s + used, sizeof s - used, ",1*1 a");
    mpf_error err;
    mpf_error_clear(&err);
    assert_int_equal(mpf_layout_parse(s, &l, &err), MPF_ERR_INPUT);
    char want[64];
    snprintf(want, sizeof want, "character %zu: more than %d sector groups", before + 2,
             MPF_LAYOUT_MAX_GROUPS);
    assert_non_null(strstr(err.message, want));
}

static void test_bad_arguments(void **state)
{
    (void)state;
    mpf_layout l;
    mpf_error err;
    assert_int_equal(mpf_layout_parse(NULL, &l, &err), MPF_ERR_USAGE);
    assert_int_equal(mpf_layout_parse("@F/0x0/1*1 a", NULL, &err), MPF_ERR_USAGE);
    mpf_layout_free(NULL);
    assert_int_equal(mpf_layout_find(NULL, 0, NULL, NULL, NULL), 0);
    assert_int_equal(mpf_layout_size(NULL), 0);
}

typedef struct find_case {
    uint32_t addr;
    int found;
    uint32_t start, size;
} find_case;

static void test_find_f401(void **state)
{
    (void)state;
    mpf_layout l;
    assert_int_equal(mpf_layout_parse("@Internal Flash  /0x08000000/04*016Kg,01*064Kg,03*128Kg",
                                      &l, NULL),
                     MPF_OK);
    const find_case cases[] = {
        {0x07FFFFFF, 0, 0, 0},
        {0x08000000, 1, 0x08000000, 16384},
        {0x08003FFF, 1, 0x08000000, 16384},
        {0x08004000, 1, 0x08004000, 16384},
        {0x0800BFFF, 1, 0x08008000, 16384},
        {0x0800C000, 1, 0x0800C000, 16384},
        {0x0800FFFF, 1, 0x0800C000, 16384},
        {0x08010000, 1, 0x08010000, 65536},
        {0x0801FFFF, 1, 0x08010000, 65536},
        {0x08020000, 1, 0x08020000, 131072},
        {0x0803FFFF, 1, 0x08020000, 131072},
        {0x08040000, 1, 0x08040000, 131072},
        {0x0806A7FF, 1, 0x08060000, 131072},
        {0x0807FFFF, 1, 0x08060000, 131072},
        {0x08080000, 0, 0, 0},
        {0x00000000, 0, 0, 0},
        {0xFFFFFFFF, 0, 0, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint32_t start = 0xDEADBEEF, size = 0xDEADBEEF;
        uint8_t type = 0xEE;
        int found = mpf_layout_find(&l, cases[i].addr, &start, &size, &type);
        if (found != cases[i].found)
            fail_msg("0x%08X: found %d", cases[i].addr, found);
        if (!found) {
            /* Out-parameters are untouched when nothing is found. */
            assert_int_equal(start, 0xDEADBEEF);
            assert_int_equal(type, 0xEE);
            continue;
        }
        assert_int_equal(start, cases[i].start);
        assert_int_equal(size, cases[i].size);
        assert_int_equal(type, RWE);
    }
    /* Any out-parameter may be NULL. */
    uint8_t type = 0;
    assert_int_equal(mpf_layout_find(&l, 0x08010000, NULL, NULL, &type), 1);
    assert_int_equal(type, RWE);
    mpf_layout_free(&l);
}

static void test_find_gap_between_blocks(void **state)
{
    (void)state;
    mpf_layout l;
    assert_int_equal(mpf_layout_parse("@Banks/0x08000000/2*16Kg/0x08100000/2*16Ke", &l, NULL),
                     MPF_OK);
    uint32_t start = 0;
    uint8_t type = 0;
    assert_int_equal(mpf_layout_find(&l, 0x08007FFF, &start, NULL, &type), 1);
    assert_int_equal(start, 0x08004000);
    assert_int_equal(type, RWE);
    assert_int_equal(mpf_layout_find(&l, 0x08008000, NULL, NULL, NULL), 0);
    assert_int_equal(mpf_layout_find(&l, 0x080FFFFF, NULL, NULL, NULL), 0);
    assert_int_equal(mpf_layout_find(&l, 0x08100000, &start, NULL, &type), 1);
    assert_int_equal(start, 0x08100000);
    assert_int_equal(type, RW);
    assert_int_equal(mpf_layout_find(&l, 0x08107FFF, &start, NULL, NULL), 1);
    assert_int_equal(start, 0x08104000);
    assert_int_equal(mpf_layout_find(&l, 0x08108000, NULL, NULL, NULL), 0);
    assert_int_equal(mpf_layout_size(&l), 65536);
    mpf_layout_free(&l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_f401_flash),
        cmocka_unit_test(test_f405_and_mboot_flash),
        cmocka_unit_test(test_option_bytes),
        cmocka_unit_test(test_otp_and_device_feature),
        cmocka_unit_test(test_every_type_letter_and_unit),
        cmocka_unit_test(test_multi_block),
        cmocka_unit_test(test_name_trimmed_and_cut),
        cmocka_unit_test(test_edges_of_address_space),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_group_cap),
        cmocka_unit_test(test_bad_arguments),
        cmocka_unit_test(test_find_f401),
        cmocka_unit_test(test_find_gap_between_blocks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
