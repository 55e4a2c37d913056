/* Messages longer than the error buffer (MPF_ERROR_MESSAGE_MAX) are cut at
 * the end and the cut is marked with "…" (U+2026), on a whole UTF-8
 * character, as over-long segment sources already are at their start: a
 * reader can tell a cut message from a whole one. Through mpf_error_set,
 * mpf_error_prefix, and a message built up in parts (the USB device list). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "mpflash/error.h"
#include "mpflash/usb.h"

#define MARK "\xE2\x80\xA6"
#define MARK_LEN 3

/* 1 when s is well-formed UTF-8 (no sequence cut in two). */
static int valid_utf8(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        size_t follow = *p < 0x80 ? 0 : (*p & 0xE0) == 0xC0 ? 1 : (*p & 0xF0) == 0xE0 ? 2 : (*p & 0xF8) == 0xF0 ? 3 : 9;
        if (follow == 9)
            return 0;
        p++;
        for (size_t i = 0; i < follow; i++, p++)
            if ((*p & 0xC0) != 0x80)
                return 0;
    }
    return 1;
}

static int ends_marked(const char *s)
{
    size_t n = strlen(s);
    return n >= MARK_LEN && memcmp(s + n - MARK_LEN, MARK, MARK_LEN) == 0;
}

/* A message of len bytes: 'a'..'z' repeated. */
static void letters(char *buf, size_t len)
{
    for (size_t i = 0; i < len; i++)
        buf[i] = (char)('a' + i % 26);
    buf[len] = '\0';
}

static void test_a_message_that_fits_is_whole(void **state)
{
    (void)state;
    char text[MPF_ERROR_MESSAGE_MAX];
    letters(text, MPF_ERROR_MESSAGE_MAX - 1); /* exactly what fits */
    mpf_error err;
    assert_int_equal(mpf_error_set(&err, MPF_ERR_INPUT, "%s", text), MPF_ERR_INPUT);
    assert_string_equal(err.message, text);
    assert_false(ends_marked(err.message));
}

static void test_a_long_message_is_cut_with_a_mark(void **state)
{
    (void)state;
    char text[700];
    letters(text, sizeof text - 1);
    mpf_error err;
    mpf_error_refuse(&err, MPF_ERR_REFUSED, MPF_REASON_NEVER, "%s", text);
    assert_int_equal(err.code, MPF_ERR_REFUSED);
    assert_int_equal(err.reason, MPF_REASON_NEVER);
    const size_t n = strlen(err.message);
    assert_int_equal(n, MPF_ERROR_MESSAGE_MAX - 1);
    assert_true(ends_marked(err.message));
    /* Everything before the mark is the message's start, unchanged. */
    assert_memory_equal(err.message, text, n - MARK_LEN);
    /* One byte longer than fits is cut too. */
    text[MPF_ERROR_MESSAGE_MAX] = '\0';
    mpf_error_set(&err, MPF_ERR_INPUT, "%s", text);
    assert_true(ends_marked(err.message));
}

/* "x" then two-byte characters: the cut falls inside one, and the mark
 * takes its place whole rather than leave half of it. */
static void test_the_cut_falls_on_a_whole_character(void **state)
{
    (void)state;
    char text[1 + 2 * 300 + 1] = "x";
    for (size_t i = 0; i < 300; i++)
        memcpy(text + 1 + 2 * i, "\xC3\xA9", 3); /* é, and a NUL the next one overwrites */
    mpf_error err;
    mpf_error_set(&err, MPF_ERR_INPUT, "%s", text);
    assert_true(valid_utf8(err.message));
    assert_true(ends_marked(err.message));
    const size_t n = strlen(err.message);
    assert_true(n <= MPF_ERROR_MESSAGE_MAX - 1 && n >= MPF_ERROR_MESSAGE_MAX - 1 - 3);
    assert_memory_equal(err.message, text, n - MARK_LEN);
}

static void test_a_prefix_that_overflows_is_marked(void **state)
{
    (void)state;
    char text[MPF_ERROR_MESSAGE_MAX];
    letters(text, 500);
    mpf_error err;
    mpf_error_set(&err, MPF_ERR_INPUT, "%s", text);
    assert_false(ends_marked(err.message));
    mpf_error_prefix(&err, "%s", "firmware.dfu");
    assert_int_equal(err.code, MPF_ERR_INPUT);
    assert_true(ends_marked(err.message));
    assert_int_equal(strncmp(err.message, "firmware.dfu: abc", 17), 0);
    /* A prefix alone longer than the buffer: cut and marked as well. */
    char long_prefix[600];
    letters(long_prefix, sizeof long_prefix - 1);
    mpf_error_set(&err, MPF_ERR_INPUT, "short");
    mpf_error_prefix(&err, "%s", long_prefix);
    assert_true(ends_marked(err.message));
    assert_true(valid_utf8(err.message));
    /* A prefix that leaves no room for ": " and the message. */
    letters(long_prefix, MPF_ERROR_MESSAGE_MAX - 2);
    mpf_error_set(&err, MPF_ERR_INPUT, "short");
    mpf_error_prefix(&err, "%s", long_prefix);
    assert_true(ends_marked(err.message));
    /* One that fits stays whole. */
    mpf_error_set(&err, MPF_ERR_INPUT, "short");
    mpf_error_prefix(&err, "at 0x%08X", 0x08000000u);
    assert_string_equal(err.message, "at 0x08000000: short");
}

/* The list of devices seen when none matches, built up part by part: with
 * more boards than the message holds, it ends with the mark. */
static void test_a_long_device_list_is_marked(void **state)
{
    (void)state;
    enum { N = 40 };
    mpf_device_info devs[N];
    memset(devs, 0, sizeof devs);
    for (size_t i = 0; i < N; i++) {
        devs[i].vid = 0x0483;
        devs[i].pid = 0xdf11;
        devs[i].mode = MPF_MODE_DFU;
        devs[i].num_alts = 1;
        snprintf(devs[i].serial, sizeof devs[i].serial, "SERIAL%02zu", i);
        snprintf(devs[i].path, sizeof devs[i].path, "1-%zu", i + 1);
    }
    mpf_usb_filter f;
    mpf_usb_filter_init(&f);
    assert_int_equal(mpf_usb_filter_set_serial(&f, "NOT-THERE", NULL), MPF_OK);
    size_t index = 99;
    mpf_error err;
    assert_int_equal(mpf_usb_select(&f, devs, NULL, N, &index, &err), MPF_ERR_NO_DEVICE);
    assert_int_equal(index, 99);
    assert_non_null(strstr(err.message, "no DFU device matches serial NOT-THERE; seen: "));
    assert_true(ends_marked(err.message));
    assert_true(valid_utf8(err.message));
    /* Two boards fit: the list is whole. */
    assert_int_equal(mpf_usb_select(&f, devs, NULL, 2, &index, &err), MPF_ERR_NO_DEVICE);
    assert_false(ends_marked(err.message));
    assert_non_null(strstr(err.message, "serial SERIAL01 at 1-2 (DFU mode)"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_message_that_fits_is_whole),
        cmocka_unit_test(test_a_long_message_is_cut_with_a_mark),
        cmocka_unit_test(test_the_cut_falls_on_a_whole_character),
        cmocka_unit_test(test_a_prefix_that_overflows_is_marked),
        cmocka_unit_test(test_a_long_device_list_is_marked),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
