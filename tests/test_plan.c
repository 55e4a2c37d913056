/* The flash plan: exact erase lists and write runs for MicroPython images on
 * real F401/F405 layouts, every refusal with its code and message, and the
 * estimate against a hand-computed sum. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fixtures.h"
#include "mpflash/dfu.h"
#include "mpflash/plan.h"

#define K16 (16u * 1024u)
#define K64 (64u * 1024u)
#define K128 (128u * 1024u)

static const char *const f401_alts[] = {
    "@Internal Flash  /0x08000000/04*016Kg,01*064Kg,03*128Kg",
    "@Option Bytes  /0x1FFFC000/01*016 e",
    "@OTP Memory /0x1FFF7800/01*512 e,01*016 e",
    "@Device Feature/0xFFFF0000/01*004 e",
};

static const char *const f405_alts[] = {
    "@Internal Flash  /0x08000000/04*016Kg,01*064Kg,07*128Kg",
    "@Option Bytes  /0x1FFFC000/01*016 g",
    "@OTP Memory /0x1FFF7800/01*512 g,01*016 g",
    "@Device Feature/0xFFFF0000/01*004 g",
};

static void make_device(mpf_device_info *dev, const char *const *alts, size_t n)
{
    memset(dev, 0, sizeof *dev);
    dev->vid = 0x0483;
    dev->pid = 0xDF11;
    dev->mode = MPF_MODE_DFU;
    /* The ST ROM bootloader's descriptor: canDnload, canUpload, willDetach. */
    dev->func.attributes = MPF_DFU_ATTR_CAN_DNLOAD | MPF_DFU_ATTR_CAN_UPLOAD |
                           MPF_DFU_ATTR_WILL_DETACH;
    dev->func.transfer_size = 2048;
    dev->func.dfu_version = MPF_DFU_VERSION_DFUSE;
    dev->num_alts = n;
    for (size_t i = 0; i < n; i++) {
        dev->alts[i].alt = (uint8_t)i;
        snprintf(dev->alts[i].name, sizeof dev->alts[i].name, "%s", alts[i]);
    }
}

static void f401(mpf_device_info *dev)
{
    make_device(dev, f401_alts, 4);
}

static void f405(mpf_device_info *dev)
{
    make_device(dev, f405_alts, 4);
}

typedef struct erase_want {
    uint8_t alt;
    uint32_t address, size;
} erase_want;

static void assert_erases(const mpf_plan *p, const erase_want *want, size_t n)
{
    if (p->erase_count != n) {
        for (size_t i = 0; i < p->erase_count; i++)
            print_message("erase %zu: alt %u 0x%08X %u\n", i, p->erases[i].alt,
                          p->erases[i].address, p->erases[i].size);
        fail_msg("%zu erases, wanted %zu", p->erase_count, n);
    }
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(p->erases[i].alt, want[i].alt);
        assert_int_equal(p->erases[i].address, want[i].address);
        assert_int_equal(p->erases[i].size, want[i].size);
    }
}

/* Writes are checked against the image's own segments: same bytes, by pointer. */
static void assert_writes_are_segments(const mpf_plan *p, const mpf_image *img)
{
    assert_int_equal(p->write_count, img->count);
    uint64_t total = 0;
    for (size_t i = 0; i < img->count; i++) {
        assert_int_equal(p->writes[i].alt, img->segments[i].alt);
        assert_int_equal(p->writes[i].address, img->segments[i].address);
        assert_int_equal(p->writes[i].size, img->segments[i].size);
        assert_ptr_equal(p->writes[i].data, img->segments[i].data);
        total += img->segments[i].size;
    }
    assert_int_equal(p->write_bytes, total);
}

static void add(mpf_image *img, uint8_t alt, uint32_t address, size_t size, uint8_t fill,
                const char *source)
{
    uint8_t *buf = malloc(size);
    assert_non_null(buf);
    memset(buf, fill, size);
    assert_int_equal(mpf_image_add_owned(img, alt, address, buf, size, source, NULL), MPF_OK);
}

/* Builds and expects a refusal: code and a distinctive part of the message. */
static void expect_refusal(const mpf_image *img, const mpf_device_info *dev,
                           const mpf_plan_options *opt, mpf_err code, const char *fragment)
{
    mpf_plan p;
    mpf_error err;
    mpf_error_clear(&err);
    mpf_err rc = mpf_plan_build(img, dev, opt, &p, &err);
    if (rc != code || err.code != code || !strstr(err.message, fragment))
        fail_msg("rc %d, message \"%s\"; wanted %d and \"%s\"", rc, err.message, code, fragment);
    /* Nothing is left half-built. */
    assert_null(p.erases);
    assert_null(p.writes);
    assert_int_equal(p.erase_count, 0);
    assert_int_equal(p.write_count, 0);
}

static mpf_plan build_ok(const mpf_image *img, const mpf_device_info *dev,
                         const mpf_plan_options *opt)
{
    mpf_plan p;
    mpf_error err;
    mpf_error_clear(&err);
    if (mpf_plan_build(img, dev, opt, &p, &err) != MPF_OK)
        fail_msg("plan refused: %s", err.message);
    return p;
}

/* ---- MicroPython images ------------------------------------------------ */

/* 298 KiB from 0x08020000 ends at 0x0806A7FF: sectors 5, 6 and 7. Sectors
 * 1-4 (the filesystem) must never appear. */
static const erase_want mp_erases[] = {
    {0, 0x08000000, K16}, {0, 0x08020000, K128}, {0, 0x08040000, K128}, {0, 0x08060000, K128}};

static void check_micropython_on(void (*device)(mpf_device_info *))
{
    mpf_image img;
    mpf_image_init(&img);
    assert_int_equal(fixture_micropython_image(&img, 0, 7), 0);
    assert_int_equal(img.count, 2);
    mpf_device_info dev;
    device(&dev);
    mpf_plan_options opt;
    mpf_plan_options_default(&opt);
    mpf_plan p = build_ok(&img, &dev, &opt);

    assert_erases(&p, mp_erases, 4);
    assert_int_equal(p.erase_bytes, K16 + 3 * K128);
    assert_writes_are_segments(&p, &img);
    assert_int_equal(p.write_bytes, FIXTURE_MP_VECTOR_SIZE + FIXTURE_MP_TEXT_DEFAULT_SIZE);
    assert_int_equal(p.mass_erase, 0);
    assert_int_equal(p.transfer_size, 2048);
    assert_int_equal(p.verify, 1);
    assert_int_equal(p.verify_dropped, 0);
    assert_null(p.verify_note);
    assert_int_equal(p.leave, 1);
    assert_int_equal(p.leave_address, 0x08000000);
    assert_int_equal(p.leave_from, MPF_LEAVE_FROM_IMAGE);
    assert_non_null(strstr(p.leave_note, "image"));
    assert_int_equal(p.writes_option_bytes, 0);
    assert_int_equal(p.writes_otp, 0);
    /* 1,088 bytes: one block; 298 KiB: 149 blocks of 2 KiB. */
    assert_int_equal(mpf_plan_block_count(&p), 150);
    assert_true(p.estimated_us > 0);
    assert_int_equal(p.estimated_us, mpf_plan_estimate_us(&p, NULL));
    mpf_plan_free(&p);
    assert_null(p.erases);
    assert_null(p.writes);
    mpf_image_free(&img);
}

static void test_micropython_f401(void **state)
{
    (void)state;
    check_micropython_on(f401);
}

static void test_micropython_f405(void **state)
{
    (void)state;
    check_micropython_on(f405);
}

static void test_micropython_mboot(void **state)
{
    (void)state;
    /* mboot exposes only alt 0 and sends wTransferSize 2048. */
    mpf_device_info dev;
    make_device(&dev, f405_alts, 1);
    mpf_image img;
    mpf_image_init(&img);
    assert_int_equal(fixture_micropython_image(&img, 0, 3), 0);
    mpf_plan p = build_ok(&img, &dev, NULL);
    assert_erases(&p, mp_erases, 4);
    assert_writes_are_segments(&p, &img);
    /* NULL options are the defaults: verify and leave on. */
    assert_int_equal(p.verify, 1);
    assert_int_equal(p.leave, 1);
    mpf_plan_free(&p);
    mpf_image_free(&img);
}

/* ---- sector boundaries --------------------------------------------------- */

static void test_straddling_segment_erases_both(void **state)
{
    (void)state;
    mpf_image img;
    mpf_image_init(&img);
    /* 0x08003F00-0x080040FF crosses from sector 0 into sector 1. */
    add(&img, 0, 0x08003F00, 0x200, 0x11, "t: a");
    /* 0x0800FFFF-0x08010000: the last byte of sector 3 and the first of sector 4. */
    add(&img, 0, 0x0800FFFF, 2, 0x22, "t: b");
    assert_int_equal(mpf_image_normalize(&img, NULL), MPF_OK);
    mpf_device_info dev;
    f401(&dev);
    mpf_plan p = build_ok(&img, &dev, NULL);
    const erase_want want[] = {{0, 0x08000000, K16},
                               {0, 0x08004000, K16},
                               {0, 0x0800C000, K16},
                               {0, 0x08010000, K64}};
    assert_erases(&p, want, 4);
    assert_writes_are_segments(&p, &img);
    mpf_plan_free(&p);
    mpf_image_free(&img);
}

static void test_segment_ending_at_sector_end(void **state)
{
    (void)state;
    mpf_image img;
    mpf_image_init(&img);
    /* Exactly sector 5, and exactly the last 16 bytes of sector 0: the next
     * sectors are not touched and must not be erased. */
    add(&img, 0, 0x08003FF0, 16, 0x33, "t: tail of 0");
    add(&img, 0, 0x08020000, K128, 0x44, "t: sector 5");
    assert_int_equal(mpf_image_normalize(&img, NULL), MPF_OK);
    mpf_device_info dev;
    f401(&dev);
    mpf_plan p = build_ok(&img, &dev, NULL);
    const erase_want want[] = {{0, 0x08000000, K16}, {0, 0x08020000, K128}};
    assert_erases(&p, want, 2);
    assert_writes_are_segments(&p, &img);
    mpf_plan_free(&p);
    mpf_image_free(&img);
}

static void test_two_runs_in_one_sector_erase_it_once(void **state)
{
    (void)state;
    mpf_image img;
    mpf_image_init(&img);
    add(&img, 0, 0x08020000, 16, 0x55, "t: a");
    add(&img, 0, 0x08030000, 16, 0x66, "t: b");
    add(&img, 0, 0x0803FFF0, 16, 0x77, "t: c");
    assert_int_equal(mpf_image_normalize(&img, NULL), MPF_OK);
    assert_int_equal(img.count, 3);
    mpf_device_info dev;
    f401(&dev);
    mpf_plan p = build_ok(&img, &dev, NULL);
    const erase_want want[] = {{0, 0x08020000, K128}};
    assert_erases(&p, want, 1);
    assert_writes_are_segments(&p, &img);
    assert_int_equal(mpf_plan_block_count(&p), 3);
    mpf_plan_free(&p);
    mpf_image_free(&img);
}

static void test_image_filling_flash_to_the_last_byte(void **state)
{
    (void)state;
    mpf_image img;
    mpf_image_init(&img);
    add(&img, 0, 0x08060000, K128, 0x88, "t: last sector");
    assert_int_equal(mpf_image_normalize(&img, NULL), MPF_OK);
    mpf_device_info dev;
    f401(&dev);
    mpf_plan p = build_ok(&img, &dev, NULL);
    const erase_want want[] = {{0, 0x08060000, K128}};
    assert_erases(&p, want, 1);
    mpf_plan_free(&p);
    mpf_image_free(&img);
}

/* ---- refusals: fit ------------------------------------------------------- */

static void test_one_byte_past_flash(void **state)
{
    (void)state;
    mpf_image img;
    mpf_image_init(&img);
    add(&img, 0, 0x08060000, K128 + 1, 0x88, "fw.dfu: target 0 element 1");
    assert_int_equal(mpf_image_normalize(&img, NULL), MPF_OK);
    mpf_device_info dev;
    f401(&dev);
    expect_refusal(&img, &dev, NULL, MPF_ERR_IMAGE_FIT,
                   "fw.dfu: target 0 element 1: 0x08080000 is outside the device's Internal "
                   "Flash (0x08000000-0x0807FFFF); the image is for a larger chip?");
    mpf_image_free(&img);
}

static void test_f405_image_on_f401(void **state)
{
    (void)state;
    mpf_image img;
    mpf_image_init(&img);
    assert_int_equal(fixture_micropython_image(&img, 800u * 1024u, 5), 0);
    mpf_device_info dev;
    f401(&dev);
    expect_refusal(&img, &dev, NULL, MPF_ERR_IMAGE_FIT,
                   "fixture: text: 0x08080000 is outside the device's Internal Flash "
                   "(0x08000000-0x0807FFFF); the image is for a larger chip?");
    /* The same image fits the F405 and erases sectors 0 and 5-11. */
    f405(&dev);
    mpf_plan p = build_ok(&img, &dev, NULL);
    assert_int_equal(p.erase_count, 8);
    assert_int_equal(p.erases[0].address, 0x08000000);
    assert_int_equal(p.erases[1].address, 0x08020000);
    assert_int_equal(p.erases[7].address, 0x080E0000);
    mpf_plan_free(&p);
    mpf_image_free(&img);
}

static void test_image_below_flash(void **state)
{
    (void)state;
    mpf_image img;
    mpf_image_init(&img);
    /* A .bin loaded without an address lands at 0. */
    add(&img, 0, 0x00000000, 256, 0x99, "fw.bin");
    assert_int_equal(mpf_image_normalize(&img, NULL), MPF_OK);
    mpf_device_info dev;
    f401(&dev);
    expect_refusal(&img, &dev, NULL, MPF_ERR_IMAGE_FIT,
                   "fw.bin: 0x00000000 is outside the device's Internal Flash "
                   "(0x08000000-0x0807FFFF); the image is for another address or chip?");
    mpf_image_free(&img);
}

static void test_gap_between_blocks(void **state)
{
    (void)state;
    const char *alts[] = {"@Internal Flash  /0x08000000/2*16Kg/0x08100000/2*16Kg"};
    mpf_device_info dev;
    make_device(&dev, alts, 1);
    mpf_image img;
    mpf_image_init(&img);
    add(&img, 0, 0x08007F00, 0x200, 0x12, "fw.hex");
    assert_int_equal(mpf_image_normalize(&img, NULL), MPF_OK);
    expect_refusal(&img, &dev, NULL, MPF_ERR_IMAGE_FIT,
                   "fw.hex: 0x08008000 is outside the device's Internal Flash "
                   "(0x08000000-0x08007FFF, 0x08100000-0x08107FFF); the image is for another "
                   "chip?");
    mpf_image_free(&img);
}

static void test_not_writable(void **state)
{
    (void)state;
    /* 'a' = readable only, 'c' = readable + erasable: neither can be written. */
    const char *alts[] = {"@Internal Flash  /0x08000000/04*016Kg,01*064Kg,03*128Kg",
                          "@System Memory /0x1FFF0000/30*1Ka", "@Scratch /0x20000000/4*1Kc"};
    mpf_device_info dev;
    make_device(&dev, alts, 3);
    mpf_image img;
    mpf_image_init(&img);
    add(&img, 1, 0x1FFF0400, 16, 0x00, "fw.dfu: target 1 element 0");
    assert_int_equal(mpf_image_normalize(&img, NULL), MPF_OK);
    expect_refusal(&img, &dev, NULL, MPF_ERR_IMAGE_FIT,
                   "fw.dfu: target 1 element 0: 0x1FFF0400 is in a sector of the device's "
                   "System Memory that is not writable (0x1FFF0400, 1024 bytes, type 'a')");
    mpf_image_free(&img);

    mpf_image_init(&img);
    add(&img, 2, 0x20000010, 16, 0x00, "ram.bin");
    assert_int_equal(mpf_image_normalize(&img, NULL), MPF_OK);
    expect_refusal(&img, &dev, NULL, MPF_ERR_IMAGE_FIT,
                   "ram.bin: 0x20000010 is in a sector of the device's Scratch that is not "
                   "writable (0x20000000, 1024 bytes, type 'c')");
    mpf_image_free(&img);
}

static void test_missing_alt(void **state)
{
    (void)state;
    mpf_device_info dev;
    make_device(&dev, f401_alts, 2);
    mpf_image img;
    mpf_image_init(&img);
    add(&img, 2, 0x1FFF7800, 16, 0x00, "fw.dfu: target 2 element 0");
    assert_int_equal(mpf_image_normalize(&img, NULL), MPF_OK);
    expect_refusal(&img, &dev, NULL, MPF_ERR_IMAGE_FIT,
                   "fw.dfu: target 2 element 0: the image has data for alt setting 2 but the "
                   "device has alt settings 0-1; is the image for another device?");

    /* Non-contiguous alt numbers are listed as they are. */
    dev.alts[1].alt = 3;
    expect_refusal(&img, &dev, NULL, MPF_ERR_IMAGE_FIT, "but the device has alt settings 0, 3;");
    dev.num_alts = 0;
    expect_refusal(&img, &dev, NULL, MPF_ERR_IMAGE_FIT, "the device reports no alt settings");
    mpf_image_free(&img);
}

static void test_unparseable_device_layout(void **state)
{
    (void)state;
    const char *alts[] = {"Internal Flash"};
    mpf_device_info dev;
    make_device(&dev, alts, 1);
    mpf_image img;
    mpf_image_init(&img);
    add(&img, 0, 0x08000000, 16, 0x00, "fw.bin");
    assert_int_equal(mpf_image_normalize(&img, NULL), MPF_OK);
    expect_refusal(&img, &dev, NULL, MPF_ERR_PROTOCOL,
                   "device alt setting 0: memory layout, character 1 ('I'): expected '@'");
    mpf_image_free(&img);
}

/* ---- refusals: safety --------------------------------------------------- */

/* The STM32F4 option word at 0x1FFFC000: USER, RDP, nWRP low, nWRP high. */
static void add_option_bytes(mpf_image *img, uint8_t rdp)
{
    uint8_t ob[16] = {0xEF, rdp, 0xFF, 0x0F, 0xFF, 0xFF, 0xFF, 0xFF,
                      0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF};
    assert_int_equal(mpf_image_add(img, 1, 0x1FFFC000, ob, sizeof ob, "ob.dfu: target 1 element 0",
                                   NULL),
                     MPF_OK);
}

static void test_option_bytes_need_force(void **state)
{
    (void)state;
    mpf_image img;
    mpf_image_init(&img);
    add_option_bytes(&img, 0xAA);
    assert_int_equal(mpf_image_normalize(&img, NULL), MPF_OK);
    mpf_device_info dev;
    f401(&dev);
    mpf_plan_options opt;
    mpf_plan_options_default(&opt);
    expect_refusal(&img, &dev, &opt, MPF_ERR_REFUSED,
                   "ob.dfu: target 1 element 0: the image writes the device's Option Bytes (alt "
                   "setting 1, 0x1FFFC000-0x1FFFC00F); a wrong value can write-protect or "
                   "read-protect the chip: check the image, then pass --force");

    /* With force, F401 (type 'e'): written without an erase. */
    opt.force = 1;
    mpf_plan p = build_ok(&img, &dev, &opt);
    assert_int_equal(p.erase_count, 0);
    assert_int_equal(p.erase_bytes, 0);
    assert_writes_are_segments(&p, &img);
    assert_int_equal(p.writes[0].alt, 1);
    assert_int_equal(p.writes_option_bytes, 1);
    assert_int_equal(p.writes_otp, 0);
    /* No alt 0 data: leave at the start of the device's alt 0 memory. */
    assert_int_equal(p.leave_address, 0x08000000);
    assert_int_equal(p.leave_from, MPF_LEAVE_FROM_LAYOUT);
    assert_non_null(strstr(p.leave_note, "no alt 0 data"));
    mpf_plan_free(&p);

    /* F405 (type 'g'): the option sector is erasable, so it is erased first. */
    f405(&dev);
    p = build_ok(&img, &dev, &opt);
    const erase_want want[] = {{1, 0x1FFFC000, 16}};
    assert_erases(&p, want, 1);
    assert_int_equal(p.writes_option_bytes, 1);
    mpf_plan_free(&p);
    mpf_image_free(&img);
}

static void test_rdp_level_2_refused_even_with_force(void **state)
{
    (void)state;
    mpf_image img;
    mpf_image_init(&img);
    add_option_bytes(&img, 0xCC);
    assert_int_equal(mpf_image_normalize(&img, NULL), MPF_OK);
    mpf_device_info dev;
    f401(&dev);
    mpf_plan_options opt;
    mpf_plan_options_default(&opt);
    const char *msg = "ob.dfu: target 1 element 0: the image sets the read-protection byte at "
                      "0x1FFFC001 to 0xCC (STM32F2/F4 RDP level 2)";
    expect_refusal(&img, &dev, &opt, MPF_ERR_REFUSED, msg);
    opt.force = 1;
    expect_refusal(&img, &dev, &opt, MPF_ERR_REFUSED, msg);
    expect_refusal(&img, &dev, &opt, MPF_ERR_REFUSED, "refused even with --force");
    mpf_image_free(&img);

    /* RDP level 1 (0x55) is recoverable: allowed with force. */
    mpf_image_init(&img);
    add_option_bytes(&img, 0x55);
    assert_int_equal(mpf_image_normalize(&img, NULL), MPF_OK);
    mpf_plan p = build_ok(&img, &dev, &opt);
    assert_int_equal(p.write_count, 1);
    mpf_plan_free(&p);
    mpf_image_free(&img);

    /* A segment whose only byte is the RDP byte is caught too. */
    mpf_image_init(&img);
    uint8_t cc = 0xCC;
    assert_int_equal(mpf_image_add(&img, 1, 0x1FFFC001, &cc, 1, "poke.hex", NULL), MPF_OK);
    assert_int_equal(mpf_image_normalize(&img, NULL), MPF_OK);
    expect_refusal(&img, &dev, &opt, MPF_ERR_REFUSED, "poke.hex: the image sets the "
                                                      "read-protection byte at 0x1FFFC001");
    mpf_image_free(&img);
}

static void test_otp_needs_force(void **state)
{
    (void)state;
    mpf_image img;
    mpf_image_init(&img);
    add(&img, 2, 0x1FFF7800, 32, 0x42, "otp.hex");
    assert_int_equal(mpf_image_normalize(&img, NULL), MPF_OK);
    mpf_device_info dev;
    f401(&dev);
    mpf_plan_options opt;
    mpf_plan_options_default(&opt);
    expect_refusal(&img, &dev, &opt, MPF_ERR_REFUSED,
                   "otp.hex: the image writes the device's OTP Memory (alt setting 2, "
                   "0x1FFF7800-0x1FFF781F); one-time-programmable bytes can never be changed");
    opt.force = 1;
    mpf_plan p = build_ok(&img, &dev, &opt);
    assert_int_equal(p.erase_count, 0);
    assert_int_equal(p.writes_otp, 1);
    assert_int_equal(p.writes_option_bytes, 0);
    mpf_plan_free(&p);
    mpf_image_free(&img);
}

/* ---- options ------------------------------------------------------------- */

static void test_mass_erase(void **state)
{
    (void)state;
    mpf_image img;
    mpf_image_init(&img);
    assert_int_equal(fixture_micropython_image(&img, 0, 9), 0);
    mpf_device_info dev;
    f401(&dev);
    mpf_plan_options opt;
    mpf_plan_options_default(&opt);
    opt.mass_erase = 1;
    mpf_plan p = build_ok(&img, &dev, &opt);
    assert_int_equal(p.mass_erase, 1);
    assert_int_equal(p.erase_count, 0);
    assert_int_equal(p.erase_bytes, 512u * 1024u);
    assert_writes_are_segments(&p, &img);
    mpf_plan_free(&p);
    mpf_image_free(&img);

    /* The layout checks still apply. */
    mpf_image_init(&img);
    add(&img, 0, 0x08070000, K128, 0x01, "big.bin");
    assert_int_equal(mpf_image_normalize(&img, NULL), MPF_OK);
    expect_refusal(&img, &dev, &opt, MPF_ERR_IMAGE_FIT, "big.bin: 0x08080000 is outside");
    mpf_image_free(&img);
}

static void test_mass_erase_keeps_other_alts_sector_erases(void **state)
{
    (void)state;
    mpf_image img;
    mpf_image_init(&img);
    add(&img, 0, 0x08000000, 64, 0x01, "fw: vectors");
    add_option_bytes(&img, 0xAA);
    assert_int_equal(mpf_image_normalize(&img, NULL), MPF_OK);
    mpf_device_info dev;
    f405(&dev);
    mpf_plan_options opt;
    mpf_plan_options_default(&opt);
    opt.force = 1;
    /* Without mass erase, sorted by (alt, address). */
    mpf_plan p = build_ok(&img, &dev, &opt);
    const erase_want both[] = {{0, 0x08000000, K16}, {1, 0x1FFFC000, 16}};
    assert_erases(&p, both, 2);
    assert_int_equal(p.leave_address, 0x08000000);
    assert_int_equal(p.leave_from, MPF_LEAVE_FROM_IMAGE);
    mpf_plan_free(&p);
    /* A mass erase covers alt 0 only; the option sector is still erased. */
    opt.mass_erase = 1;
    p = build_ok(&img, &dev, &opt);
    const erase_want ob_only[] = {{1, 0x1FFFC000, 16}};
    assert_erases(&p, ob_only, 1);
    assert_int_equal(p.mass_erase, 1);
    assert_int_equal(p.erase_bytes, 1024u * 1024u + 16u);
    mpf_plan_free(&p);
    mpf_image_free(&img);
}

static void test_empty_image(void **state)
{
    (void)state;
    mpf_image img;
    mpf_image_init(&img);
    mpf_device_info dev;
    f401(&dev);
    mpf_plan_options opt;
    mpf_plan_options_default(&opt);
    expect_refusal(&img, &dev, &opt, MPF_ERR_INPUT, "the image has no data");
    /* A mass erase alone (pydfu -m) is a plan without writes. */
    opt.mass_erase = 1;
    mpf_plan p = build_ok(&img, &dev, &opt);
    assert_int_equal(p.mass_erase, 1);
    assert_int_equal(p.erase_count, 0);
    assert_int_equal(p.write_count, 0);
    assert_int_equal(mpf_plan_block_count(&p), 0);
    assert_int_equal(p.leave_address, 0x08000000);
    assert_int_equal(p.leave_from, MPF_LEAVE_FROM_LAYOUT);
    mpf_plan_free(&p);
    /* ...which needs alt 0. */
    dev.alts[0].alt = 5;
    expect_refusal(&img, &dev, &opt, MPF_ERR_IMAGE_FIT,
                   "mass erase: it erases alt setting 0 but the device has alt settings 1-3, 5");
    mpf_image_free(&img);
}

static void test_transfer_size(void **state)
{
    (void)state;
    mpf_image img;
    mpf_image_init(&img);
    assert_int_equal(fixture_micropython_image(&img, 0, 1), 0);
    mpf_device_info dev;
    f401(&dev);
    mpf_plan_options opt;
    mpf_plan_options_default(&opt);
    opt.transfer_size = 1024;
    mpf_plan p = build_ok(&img, &dev, &opt);
    assert_int_equal(p.transfer_size, 1024);
    /* 1,088 bytes: 2 blocks; 298 KiB: 298 blocks. */
    assert_int_equal(mpf_plan_block_count(&p), 300);
    mpf_plan_free(&p);

    dev.func.transfer_size = 0;
    opt.transfer_size = 0;
    expect_refusal(&img, &dev, &opt, MPF_ERR_PROTOCOL, "device reports wTransferSize 0");
    opt.transfer_size = 2048;
    p = build_ok(&img, &dev, &opt);
    assert_int_equal(p.transfer_size, 2048);
    mpf_plan_free(&p);
    mpf_image_free(&img);
}

static void test_long_run_split_at_block_number_limit(void **state)
{
    (void)state;
    /* wBlockNum is 16 bits and data starts at 2: one run holds at most
     * 65534 blocks. With 1-byte blocks a 65535-byte segment needs two runs. */
    mpf_image img;
    mpf_image_init(&img);
    add(&img, 0, 0x08020000, 65535, 0x5A, "t: long");
    assert_int_equal(mpf_image_normalize(&img, NULL), MPF_OK);
    mpf_device_info dev;
    f401(&dev);
    mpf_plan_options opt;
    mpf_plan_options_default(&opt);
    opt.transfer_size = 1;
    mpf_plan p = build_ok(&img, &dev, &opt);
    assert_int_equal(p.write_count, 2);
    assert_int_equal(p.writes[0].address, 0x08020000);
    assert_int_equal(p.writes[0].size, 65534);
    assert_ptr_equal(p.writes[0].data, img.segments[0].data);
    assert_int_equal(p.writes[1].address, 0x08020000 + 65534);
    assert_int_equal(p.writes[1].size, 1);
    assert_ptr_equal(p.writes[1].data, img.segments[0].data + 65534);
    assert_int_equal(p.write_bytes, 65535);
    assert_int_equal(mpf_plan_block_count(&p), 65535);
    mpf_plan_free(&p);
    mpf_image_free(&img);
}

static void test_verify_dropped_without_upload(void **state)
{
    (void)state;
    mpf_image img;
    mpf_image_init(&img);
    add(&img, 0, 0x08000000, 64, 0x01, "fw.bin");
    assert_int_equal(mpf_image_normalize(&img, NULL), MPF_OK);
    mpf_device_info dev;
    f401(&dev);
    dev.func.attributes = MPF_DFU_ATTR_CAN_DNLOAD | MPF_DFU_ATTR_WILL_DETACH;
    mpf_plan_options opt;
    mpf_plan_options_default(&opt);
    mpf_plan p = build_ok(&img, &dev, &opt);
    assert_int_equal(p.verify, 0);
    assert_int_equal(p.verify_dropped, 1);
    assert_non_null(strstr(p.verify_note, "canUpload"));
    mpf_plan_free(&p);
    /* Not asked for: nothing was dropped. */
    opt.verify = 0;
    p = build_ok(&img, &dev, &opt);
    assert_int_equal(p.verify, 0);
    assert_int_equal(p.verify_dropped, 0);
    assert_null(p.verify_note);
    mpf_plan_free(&p);
    mpf_image_free(&img);
}

static void test_leave_address(void **state)
{
    (void)state;
    mpf_image img;
    mpf_image_init(&img);
    add(&img, 0, 0x08020000, 64, 0x01, "fw.bin");
    assert_int_equal(mpf_image_normalize(&img, NULL), MPF_OK);
    mpf_device_info dev;
    f401(&dev);
    mpf_plan_options opt;
    mpf_plan_options_default(&opt);
    mpf_plan p = build_ok(&img, &dev, &opt);
    assert_int_equal(p.leave_address, 0x08020000);
    assert_int_equal(p.leave_from, MPF_LEAVE_FROM_IMAGE);
    mpf_plan_free(&p);

    opt.has_leave_address = 1;
    opt.leave_address = 0x08004000;
    p = build_ok(&img, &dev, &opt);
    assert_int_equal(p.leave, 1);
    assert_int_equal(p.leave_address, 0x08004000);
    assert_int_equal(p.leave_from, MPF_LEAVE_FROM_OPTION);
    mpf_plan_free(&p);

    opt.leave = 0;
    p = build_ok(&img, &dev, &opt);
    assert_int_equal(p.leave, 0);
    assert_int_equal(p.leave_from, MPF_LEAVE_FROM_NONE);
    assert_null(p.leave_note);
    mpf_plan_free(&p);
    mpf_image_free(&img);

    /* No alt 0 data and an alt 0 that does not start at 0x08000000. */
    const char *alts[] = {"@SRAM /0x20000000/64*1Kg", "@Option Bytes  /0x1FFFC000/01*016 e"};
    make_device(&dev, alts, 2);
    mpf_image_init(&img);
    add_option_bytes(&img, 0xAA);
    assert_int_equal(mpf_image_normalize(&img, NULL), MPF_OK);
    mpf_plan_options_default(&opt);
    opt.force = 1;
    expect_refusal(&img, &dev, &opt, MPF_ERR_USAGE,
                   "leave: the image has no data for alt setting 0 and the device's SRAM starts "
                   "at 0x20000000, not 0x08000000; give the address to start from");
    opt.leave = 0;
    p = build_ok(&img, &dev, &opt);
    assert_int_equal(p.write_count, 1);
    mpf_plan_free(&p);
    mpf_image_free(&img);
}

static void test_not_normalized_is_a_bug(void **state)
{
    (void)state;
    mpf_image img;
    mpf_image_init(&img);
    add(&img, 0, 0x08020000, 16, 0x01, "t: second");
    add(&img, 0, 0x08000000, 16, 0x02, "t: first");
    mpf_device_info dev;
    f401(&dev);
    expect_refusal(&img, &dev, NULL, MPF_ERR_INTERNAL,
                   "the image is not normalized (t: second before t: first)");
    mpf_image_free(&img);
}

/* ---- estimate ----------------------------------------------------------- */

static const mpf_timing round_numbers = {
    .erase_base_us = 1000,
    .erase_us_per_kib = 10,
    .mass_erase_us = 5000,
    .program_us_per_word = 2,
    .usb_request_us = 100,
    .usb_us_per_packet = 10,
};

static void test_estimate_hand_computed(void **state)
{
    (void)state;
    mpf_image img;
    mpf_image_init(&img);
    add(&img, 0, 0x08000000, 3000, 0x01, "fw.bin");
    assert_int_equal(mpf_image_normalize(&img, NULL), MPF_OK);
    mpf_device_info dev;
    f401(&dev);
    mpf_plan_options opt;
    mpf_plan_options_default(&opt);
    opt.timing = &round_numbers;
    mpf_plan p = build_ok(&img, &dev, &opt);
    /* A DNLOAD of n bytes + 2 GETSTATUS (6 bytes) = (100 + 10*ceil(n/64)) + 2*110.
     * Erase 16K: command 5 B (330) + 1000 + 10*16 = 1490.
     * Write: set-address 330; block 2048 B: 420 + 220 = 640; block 952 B:
     *   250 + 220 = 470; program 750 words * 2 = 1500. Sum 2940.
     * Verify: set-address 330, ABORT 100, UPLOAD 2048 B 420, 952 B 250 = 1100.
     * Leave: set-address 330, zero DNLOAD 100, GETSTATUS 110 = 540. */
    assert_int_equal(p.estimated_us, 1490 + 2940 + 1100 + 540);
    mpf_plan_free(&p);

    /* Mass erase instead of the sector, no verify, no leave:
     * 0x41 alone (1 B): 110 + 220 + 5000 = 5330; write 2940. */
    opt.mass_erase = 1;
    opt.verify = 0;
    opt.leave = 0;
    p = build_ok(&img, &dev, &opt);
    assert_int_equal(p.estimated_us, 5330 + 2940);
    assert_int_equal(mpf_plan_estimate_us(&p, &round_numbers), 5330 + 2940);
    mpf_plan_free(&p);
    mpf_image_free(&img);
}

static void test_bad_arguments(void **state)
{
    (void)state;
    mpf_image img;
    mpf_image_init(&img);
    mpf_device_info dev;
    f401(&dev);
    mpf_plan p;
    mpf_error err;
    assert_int_equal(mpf_plan_build(NULL, &dev, NULL, &p, &err), MPF_ERR_USAGE);
    assert_int_equal(mpf_plan_build(&img, NULL, NULL, &p, &err), MPF_ERR_USAGE);
    assert_int_equal(mpf_plan_build(&img, &dev, NULL, NULL, &err), MPF_ERR_USAGE);
    assert_int_equal(mpf_plan_block_count(NULL), 0);
    assert_int_equal(mpf_plan_estimate_us(NULL, NULL), 0);
    mpf_plan_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_micropython_f401),
        cmocka_unit_test(test_micropython_f405),
        cmocka_unit_test(test_micropython_mboot),
        cmocka_unit_test(test_straddling_segment_erases_both),
        cmocka_unit_test(test_segment_ending_at_sector_end),
        cmocka_unit_test(test_two_runs_in_one_sector_erase_it_once),
        cmocka_unit_test(test_image_filling_flash_to_the_last_byte),
        cmocka_unit_test(test_one_byte_past_flash),
        cmocka_unit_test(test_f405_image_on_f401),
        cmocka_unit_test(test_image_below_flash),
        cmocka_unit_test(test_gap_between_blocks),
        cmocka_unit_test(test_not_writable),
        cmocka_unit_test(test_missing_alt),
        cmocka_unit_test(test_unparseable_device_layout),
        cmocka_unit_test(test_option_bytes_need_force),
        cmocka_unit_test(test_rdp_level_2_refused_even_with_force),
        cmocka_unit_test(test_otp_needs_force),
        cmocka_unit_test(test_mass_erase),
        cmocka_unit_test(test_mass_erase_keeps_other_alts_sector_erases),
        cmocka_unit_test(test_empty_image),
        cmocka_unit_test(test_transfer_size),
        cmocka_unit_test(test_long_run_split_at_block_number_limit),
        cmocka_unit_test(test_verify_dropped_without_upload),
        cmocka_unit_test(test_leave_address),
        cmocka_unit_test(test_not_normalized_is_a_bug),
        cmocka_unit_test(test_estimate_hand_computed),
        cmocka_unit_test(test_bad_arguments),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
