/* Descriptor parsing on real descriptor bytes (STM32F4 ROM bootloader,
 * MicroPython mboot, a TinyUSB-style composite with a DFU runtime
 * interface) and on hostile bytes; and the libusb-struct -> bytes path the
 * live scan takes, which must reproduce the device's bytes exactly. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../src/usb/usb_internal.h"
#include "mpflash/dfu.h"
#include "mpflash/usb.h"

/* STM32F405/F407 system bootloader (0483:df11, bcdDevice 0x2200): one
 * interface, alt settings 0..3 (flash, option bytes, OTP, device feature),
 * strings 4..7, the functional descriptor after the last alt setting. */
static const uint8_t rom_f4[] = {
    0x09, 0x02, 0x36, 0x00, 0x01, 0x01, 0x00, 0xC0, 0x32,
    0x09, 0x04, 0x00, 0x00, 0x00, 0xFE, 0x01, 0x02, 0x04,
    0x09, 0x04, 0x00, 0x01, 0x00, 0xFE, 0x01, 0x02, 0x05,
    0x09, 0x04, 0x00, 0x02, 0x00, 0xFE, 0x01, 0x02, 0x06,
    0x09, 0x04, 0x00, 0x03, 0x00, 0xFE, 0x01, 0x02, 0x07,
    0x09, 0x21, 0x0B, 0xFF, 0x00, 0x00, 0x08, 0x1A, 0x01,
};

/* MicroPython mboot: one alt setting, wTransferSize 2048. */
static const uint8_t mboot[] = {
    0x09, 0x02, 0x1B, 0x00, 0x01, 0x01, 0x00, 0x80, 0x32,
    0x09, 0x04, 0x00, 0x00, 0x00, 0xFE, 0x01, 0x02, 0x04,
    0x09, 0x21, 0x0B, 0xFF, 0x00, 0x00, 0x08, 0x1A, 0x01,
};

/* An application in runtime mode: CDC-ACM (with its IAD and functional
 * descriptors), a HID interface whose HID descriptor is also type 0x21,
 * then a DFU runtime interface (protocol 1) as TinyUSB builds it. */
static const uint8_t composite[] = {
    0x09, 0x02, 0x76, 0x00, 0x04, 0x01, 0x00, 0x80, 0x32,
    0x08, 0x0B, 0x00, 0x02, 0x02, 0x02, 0x00, 0x00,             /* IAD */
    0x09, 0x04, 0x00, 0x00, 0x01, 0x02, 0x02, 0x00, 0x04,       /* CDC comm */
    0x05, 0x24, 0x00, 0x20, 0x01,                               /* CDC header */
    0x05, 0x24, 0x01, 0x00, 0x01,                               /* call management */
    0x04, 0x24, 0x02, 0x02,                                     /* ACM */
    0x05, 0x24, 0x06, 0x00, 0x01,                               /* union */
    0x07, 0x05, 0x81, 0x03, 0x08, 0x00, 0x10,
    0x09, 0x04, 0x01, 0x00, 0x02, 0x0A, 0x00, 0x00, 0x00,       /* CDC data */
    0x07, 0x05, 0x02, 0x02, 0x40, 0x00, 0x00,
    0x07, 0x05, 0x82, 0x02, 0x40, 0x00, 0x00,
    0x09, 0x04, 0x02, 0x00, 0x01, 0x03, 0x00, 0x00, 0x00,       /* HID */
    0x09, 0x21, 0x11, 0x01, 0x00, 0x01, 0x22, 0x20, 0x00,       /* HID descriptor */
    0x07, 0x05, 0x83, 0x03, 0x40, 0x00, 0x0A,
    0x09, 0x04, 0x03, 0x00, 0x00, 0xFE, 0x01, 0x01, 0x05,       /* DFU runtime */
    0x09, 0x21, 0x0D, 0xE8, 0x03, 0x00, 0x10, 0x01, 0x01,
};

static uint8_t *copy_of(const uint8_t *src, size_t len)
{
    uint8_t *p = malloc(len);
    assert_non_null(p);
    memcpy(p, src, len);
    return p;
}

static void test_fixtures_are_self_consistent(void **state)
{
    (void)state;
    assert_int_equal(sizeof rom_f4, rom_f4[2]);
    assert_int_equal(sizeof mboot, mboot[2]);
    assert_int_equal(sizeof composite, composite[2]);
}

static void test_stm32f4_rom_bootloader(void **state)
{
    (void)state;
    mpf_usb_dfu_config cfg;
    mpf_error err = {0};
    assert_int_equal(mpf_usb_parse_config(rom_f4, sizeof rom_f4, &cfg, &err), MPF_OK);
    assert_int_equal(cfg.configuration_value, 1);
    assert_int_equal(cfg.count, 1);
    const mpf_usb_dfu_interface *it = &cfg.interfaces[0];
    assert_int_equal(it->interface_number, 0);
    assert_int_equal(it->mode, MPF_MODE_DFU);
    assert_int_equal(it->num_alts, 4);
    for (size_t i = 0; i < 4; i++) {
        assert_int_equal(it->alts[i].alt, i);
        assert_int_equal(it->alts[i].string_index, 4 + i);
    }
    assert_true(it->has_functional);
    assert_int_equal(it->func.attributes, MPF_DFU_ATTR_CAN_DNLOAD | MPF_DFU_ATTR_CAN_UPLOAD |
                                              MPF_DFU_ATTR_WILL_DETACH);
    assert_int_equal(it->func.detach_timeout_ms, 255);
    assert_int_equal(it->func.transfer_size, 2048);
    assert_int_equal(it->func.dfu_version, MPF_DFU_VERSION_DFUSE);
}

static void test_mboot(void **state)
{
    (void)state;
    mpf_usb_dfu_config cfg;
    assert_int_equal(mpf_usb_parse_config(mboot, sizeof mboot, &cfg, NULL), MPF_OK);
    assert_int_equal(cfg.count, 1);
    assert_int_equal(cfg.interfaces[0].mode, MPF_MODE_DFU);
    assert_int_equal(cfg.interfaces[0].num_alts, 1);
    assert_int_equal(cfg.interfaces[0].alts[0].alt, 0);
    assert_int_equal(cfg.interfaces[0].alts[0].string_index, 4);
    assert_int_equal(cfg.interfaces[0].func.transfer_size, 2048);
    assert_int_equal(cfg.interfaces[0].func.detach_timeout_ms, 255);
    assert_int_equal(cfg.interfaces[0].func.dfu_version, 0x011A);
}

static void test_composite_runtime_interface(void **state)
{
    (void)state;
    mpf_usb_dfu_config cfg;
    assert_int_equal(mpf_usb_parse_config(composite, sizeof composite, &cfg, NULL), MPF_OK);
    assert_int_equal(cfg.count, 1);
    const mpf_usb_dfu_interface *it = &cfg.interfaces[0];
    assert_int_equal(it->interface_number, 3);
    assert_int_equal(it->mode, MPF_MODE_RUNTIME);
    assert_int_equal(it->num_alts, 1);
    assert_int_equal(it->alts[0].string_index, 5);
    /* Not the HID descriptor that precedes it (09 21 11 01 ...). */
    assert_true(it->has_functional);
    assert_int_equal(it->func.attributes, 0x0D);
    assert_int_equal(it->func.detach_timeout_ms, 1000);
    assert_int_equal(it->func.transfer_size, 4096);
    assert_int_equal(it->func.dfu_version, 0x0101);
}

static void test_no_dfu_interface_is_not_an_error(void **state)
{
    (void)state;
    /* The composite cut before its DFU interface, wTotalLength adjusted. */
    uint8_t *d = copy_of(composite, 100);
    d[2] = 100;
    mpf_usb_dfu_config cfg;
    assert_int_equal(mpf_usb_parse_config(d, 100, &cfg, NULL), MPF_OK);
    assert_int_equal(cfg.count, 0);
    free(d);
}

static void test_bytes_past_total_length_are_ignored(void **state)
{
    (void)state;
    uint8_t d[sizeof rom_f4 + 3];
    memcpy(d, rom_f4, sizeof rom_f4);
    d[sizeof rom_f4] = 0x00; /* bLength 0: would be an error if read */
    d[sizeof rom_f4 + 1] = 0x04;
    d[sizeof rom_f4 + 2] = 0x00;
    mpf_usb_dfu_config cfg;
    assert_int_equal(mpf_usb_parse_config(d, sizeof d, &cfg, NULL), MPF_OK);
    assert_int_equal(cfg.interfaces[0].num_alts, 4);
}

/* A hostile variant of rom_f4 must fail with exactly this message. */
static void expect_rom_variant_fails(size_t len, size_t at, uint8_t value, const char *message)
{
    uint8_t *d = copy_of(rom_f4, sizeof rom_f4);
    if (at < sizeof rom_f4)
        d[at] = value;
    mpf_usb_dfu_config cfg;
    mpf_error err = {0};
    assert_int_equal(mpf_usb_parse_config(d, len, &cfg, &err), MPF_ERR_PROTOCOL);
    assert_int_equal(err.code, MPF_ERR_PROTOCOL);
    assert_string_equal(err.message, message);
    free(d);
}

static void test_hostile_bytes(void **state)
{
    (void)state;
    expect_rom_variant_fails(40, SIZE_MAX, 0,
                             "configuration descriptor truncated: wTotalLength is 54 but only "
                             "40 bytes arrived");
    expect_rom_variant_fails(8, SIZE_MAX, 0,
                             "configuration descriptor is 8 bytes (needs at least 9)");
    expect_rom_variant_fails(sizeof rom_f4, 1, 0x01,
                             "expected a configuration descriptor (type 0x02), got type 0x01");
    expect_rom_variant_fails(sizeof rom_f4, 0, 4,
                             "configuration descriptor bLength is 4 (needs at least 9)");
    expect_rom_variant_fails(sizeof rom_f4, 2, 5,
                             "configuration wTotalLength 5 is shorter than its own header");
    expect_rom_variant_fails(sizeof rom_f4, 18, 0, "descriptor at offset 18 has bLength 0");
    expect_rom_variant_fails(sizeof rom_f4, 18, 1, "descriptor at offset 18 has bLength 1");
    expect_rom_variant_fails(sizeof rom_f4, 45, 0x20,
                             "descriptor at offset 45 (type 0x21, bLength 32) runs past the end "
                             "of the configuration (54 bytes)");
    expect_rom_variant_fails(sizeof rom_f4, 9, 7,
                             "interface descriptor at offset 9 is 7 bytes (needs 9)");
    expect_rom_variant_fails(sizeof rom_f4, 36, 5,
                             "interface descriptor at offset 36 is 5 bytes (needs 9)");
}

/* rom_f4 with its functional descriptor (the last 9 bytes, at 45) cut to
 * size bytes; d holds 45 + size. */
static void rom_with_functional_of(uint8_t *d, uint8_t size)
{
    memcpy(d, rom_f4, 45u + size);
    d[2] = (uint8_t)(45u + size);
    d[45] = size;
}

static void test_functional_too_short(void **state)
{
    (void)state;
    uint8_t d[45 + 5];
    rom_with_functional_of(d, 5);
    mpf_usb_dfu_config cfg;
    mpf_error err = {0};
    assert_int_equal(mpf_usb_parse_config(d, sizeof d, &cfg, &err), MPF_ERR_PROTOCOL);
    assert_string_equal(err.message,
                        "DFU functional descriptor at offset 45 is 5 bytes (needs 9)");
}

static void test_dfu_1_0_functional_descriptor(void **state)
{
    (void)state;
    /* DFU 1.0 had a 7-byte descriptor without bcdDFUVersion. */
    uint8_t d[45 + 7];
    rom_with_functional_of(d, 7);
    mpf_usb_dfu_config cfg;
    assert_int_equal(mpf_usb_parse_config(d, sizeof d, &cfg, NULL), MPF_OK);
    assert_int_equal(cfg.interfaces[0].func.transfer_size, 2048);
    assert_int_equal(cfg.interfaces[0].func.dfu_version, 0x0100);
}

static void test_trailing_single_byte(void **state)
{
    (void)state;
    uint8_t d[sizeof rom_f4 + 1];
    memcpy(d, rom_f4, sizeof rom_f4);
    d[2] = sizeof d;
    d[sizeof rom_f4] = 0x09;
    mpf_error err = {0};
    mpf_usb_dfu_config cfg;
    assert_int_equal(mpf_usb_parse_config(d, sizeof d, &cfg, &err), MPF_ERR_PROTOCOL);
    assert_string_equal(err.message, "descriptor at offset 54 is cut off after 1 byte");
}

static void test_duplicate_and_too_many_alts(void **state)
{
    (void)state;
    uint8_t *d = copy_of(rom_f4, sizeof rom_f4);
    d[21] = 0; /* alt 1 claims to be alt 0 again */
    mpf_usb_dfu_config cfg;
    mpf_error err = {0};
    assert_int_equal(mpf_usb_parse_config(d, sizeof rom_f4, &cfg, &err), MPF_ERR_PROTOCOL);
    assert_string_equal(err.message, "interface 0 alt setting 0 appears twice (offset 18)");
    free(d);

    /* 17 alt settings. */
    uint8_t big[9 + 17 * 9];
    memcpy(big, rom_f4, 9);
    big[2] = sizeof big;
    for (int i = 0; i < 17; i++) {
        const uint8_t alt[9] = {9, 4, 0, (uint8_t)i, 0, 0xFE, 1, 2, 4};
        memcpy(big + 9 + 9 * i, alt, 9);
    }
    assert_int_equal(mpf_usb_parse_config(big, sizeof big, &cfg, &err), MPF_ERR_PROTOCOL);
    assert_string_equal(err.message, "interface 0 has more than 16 alt settings (offset 153)");
    /* 16 are fine. */
    big[2] = sizeof big - 9;
    assert_int_equal(mpf_usb_parse_config(big, sizeof big - 9, &cfg, &err), MPF_OK);
    assert_int_equal(cfg.interfaces[0].num_alts, 16);
    assert_false(cfg.interfaces[0].has_functional);
}

static void test_protocol_zero_needs_dfuse(void **state)
{
    (void)state;
    uint8_t *d = copy_of(rom_f4, sizeof rom_f4);
    for (int i = 0; i < 4; i++)
        d[9 + 9 * i + 7] = 0; /* bInterfaceProtocol 0, as some DfuSe devices say */
    mpf_usb_dfu_config cfg;
    assert_int_equal(mpf_usb_parse_config(d, sizeof rom_f4, &cfg, NULL), MPF_OK);
    assert_int_equal(cfg.count, 1);
    assert_int_equal(cfg.interfaces[0].mode, MPF_MODE_DFU);
    d[sizeof rom_f4 - 1] = 0x01; /* bcdDFUVersion 0x0110: not DfuSe, so not DFU */
    d[sizeof rom_f4 - 2] = 0x10;
    assert_int_equal(mpf_usb_parse_config(d, sizeof rom_f4, &cfg, NULL), MPF_OK);
    assert_int_equal(cfg.count, 0);
    free(d);
}

static void test_functional_alone(void **state)
{
    (void)state;
    mpf_dfu_functional f;
    mpf_error err = {0};
    assert_int_equal(mpf_usb_parse_functional(rom_f4 + 45, 9, &f, &err), MPF_OK);
    assert_int_equal(f.attributes, 0x0B);
    assert_int_equal(f.detach_timeout_ms, 255);
    assert_int_equal(f.transfer_size, 2048);
    assert_int_equal(f.dfu_version, 0x011A);

    assert_int_equal(mpf_usb_parse_functional(rom_f4 + 45, 6, &f, &err), MPF_ERR_PROTOCOL);
    assert_string_equal(err.message,
                        "DFU functional descriptor claims 9 bytes but only 6 arrived");
    assert_int_equal(mpf_usb_parse_functional(rom_f4 + 36, 9, &f, &err), MPF_ERR_PROTOCOL);
    assert_string_equal(err.message,
                        "expected a DFU functional descriptor (type 0x21), got type 0x04");
    assert_int_equal(mpf_usb_parse_functional(rom_f4, 1, &f, &err), MPF_ERR_PROTOCOL);
    assert_string_equal(err.message, "DFU functional descriptor is 1 bytes (needs 9)");
    const uint8_t tiny[] = {0x03, 0x21, 0x0B};
    assert_int_equal(mpf_usb_parse_functional(tiny, sizeof tiny, &f, &err), MPF_ERR_PROTOCOL);
    assert_string_equal(err.message, "DFU functional descriptor at offset 0 is 3 bytes (needs 9)");
}

/* Mutated real descriptors: the parser must never read out of bounds
 * (ASan) and whatever it accepts must be within its own limits. */
static void test_mutations_stay_in_bounds(void **state)
{
    (void)state;
    uint32_t x = 0x12345678u;
    for (int round = 0; round < 20000; round++) {
        size_t len = sizeof composite;
        uint8_t *d = copy_of(composite, len);
        for (int k = 0; k < 3; k++) {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            d[x % len] = (uint8_t)(x >> 24);
        }
        size_t cut = (x >> 8) % 4 == 0 ? (x >> 12) % len : len;
        uint8_t *exact = copy_of(d, cut ? cut : 1);
        mpf_usb_dfu_config cfg;
        mpf_error err = {0};
        if (mpf_usb_parse_config(exact, cut, &cfg, &err) == MPF_OK) {
            assert_true(cfg.count <= MPF_USB_MAX_DFU_INTERFACES);
            for (size_t i = 0; i < cfg.count; i++)
                assert_true(cfg.interfaces[i].num_alts <= MPF_MAX_ALTS);
        } else {
            assert_int_equal(err.code, MPF_ERR_PROTOCOL);
            assert_true(strlen(err.message) > 0);
        }
        free(exact);
        free(d);
    }
}

/* ---- libusb structs back to bytes --------------------------------------- */

/* libusb's parsed configuration must come back as exactly the bytes it was
 * read from. */
static void assert_bytes_of(const struct libusb_config_descriptor *c, const uint8_t *want, size_t n)
{
    uint8_t *bytes = NULL;
    size_t len = 0;
    assert_int_equal(usb_config_to_bytes(c, &bytes, &len, NULL), MPF_OK);
    assert_int_equal(len, n);
    assert_memory_equal(bytes, want, n);
    free(bytes);
}

static void test_rom_struct_round_trip(void **state)
{
    (void)state;
    struct libusb_interface_descriptor alts[4];
    memset(alts, 0, sizeof alts);
    for (int i = 0; i < 4; i++) {
        alts[i].bLength = 9;
        alts[i].bDescriptorType = 4;
        alts[i].bAlternateSetting = (uint8_t)i;
        alts[i].bInterfaceClass = 0xFE;
        alts[i].bInterfaceSubClass = 1;
        alts[i].bInterfaceProtocol = 2;
        alts[i].iInterface = (uint8_t)(4 + i);
    }
    /* libusb keeps the functional descriptor in the extra bytes of the alt
     * setting it follows. */
    alts[3].extra = rom_f4 + 45;
    alts[3].extra_length = 9;
    struct libusb_interface itf = {.altsetting = alts, .num_altsetting = 4};
    struct libusb_config_descriptor c = {.bLength = 9,
                                         .bDescriptorType = 2,
                                         .wTotalLength = 54,
                                         .bNumInterfaces = 1,
                                         .bConfigurationValue = 1,
                                         .bmAttributes = 0xC0,
                                         .MaxPower = 0x32,
                                         .interface = &itf};
    assert_bytes_of(&c, rom_f4, sizeof rom_f4);
}

static void test_composite_struct_round_trip(void **state)
{
    (void)state;
    const uint8_t *p = composite;
    struct libusb_endpoint_descriptor ep0[1] = {{7, 5, 0x81, 3, 8, 0x10, 0, 0, NULL, 0}};
    struct libusb_endpoint_descriptor ep1[2] = {{7, 5, 0x02, 2, 64, 0, 0, 0, NULL, 0},
                                                {7, 5, 0x82, 2, 64, 0, 0, 0, NULL, 0}};
    struct libusb_endpoint_descriptor ep2[1] = {{7, 5, 0x83, 3, 64, 0x0A, 0, 0, NULL, 0}};
    struct libusb_interface_descriptor a[4] = {
        {9, 4, 0, 0, 1, 0x02, 0x02, 0x00, 4, ep0, p + 26, 19},
        {9, 4, 1, 0, 2, 0x0A, 0x00, 0x00, 0, ep1, NULL, 0},
        {9, 4, 2, 0, 1, 0x03, 0x00, 0x00, 0, ep2, p + 84, 9},
        {9, 4, 3, 0, 0, 0xFE, 0x01, 0x01, 5, NULL, p + 109, 9},
    };
    struct libusb_interface itf[4] = {{&a[0], 1}, {&a[1], 1}, {&a[2], 1}, {&a[3], 1}};
    struct libusb_config_descriptor c = {9, 2, 0x76, 4, 1, 0, 0x80, 0x32, itf, p + 9, 8};
    assert_bytes_of(&c, composite, sizeof composite);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fixtures_are_self_consistent),
        cmocka_unit_test(test_stm32f4_rom_bootloader),
        cmocka_unit_test(test_mboot),
        cmocka_unit_test(test_composite_runtime_interface),
        cmocka_unit_test(test_no_dfu_interface_is_not_an_error),
        cmocka_unit_test(test_bytes_past_total_length_are_ignored),
        cmocka_unit_test(test_hostile_bytes),
        cmocka_unit_test(test_functional_too_short),
        cmocka_unit_test(test_dfu_1_0_functional_descriptor),
        cmocka_unit_test(test_trailing_single_byte),
        cmocka_unit_test(test_duplicate_and_too_many_alts),
        cmocka_unit_test(test_protocol_zero_needs_dfuse),
        cmocka_unit_test(test_functional_alone),
        cmocka_unit_test(test_mutations_stay_in_bounds),
        cmocka_unit_test(test_rom_struct_round_trip),
        cmocka_unit_test(test_composite_struct_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
