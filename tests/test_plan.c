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
#include "table_tests.h"

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

/* What every plan test starts from: an empty image, an F401 and the default
 * options; a test changes what it needs. The image is freed at teardown. */
typedef struct bench {
    mpf_image img;
    mpf_device_info dev;
    mpf_plan_options opt;
} bench;

static int bench_setup(void **state)
{
    bench *b = calloc(1, sizeof *b);
    if (!b)
        return -1;
    mpf_image_init(&b->img);
    f401(&b->dev);
    mpf_plan_options_default(&b->opt);
    *state = b;
    return 0;
}

static int bench_teardown(void **state)
{
    bench *b = *state;
    mpf_image_free(&b->img);
    free(b);
    return 0;
}

static void normalize(bench *b)
{
    assert_int_equal(mpf_image_normalize(&b->img, NULL), MPF_OK);
}

/* Starts over with an image holding one segment. */
static void only_segment(bench *b, uint8_t alt, uint32_t address, size_t size, uint8_t fill,
                         const char *source)
{
    mpf_image_free(&b->img);
    add(&b->img, alt, address, size, fill, source);
    normalize(b);
}

/* ---- MicroPython images ------------------------------------------------ */

/* 298 KiB from 0x08020000 ends at 0x0806A7FF: sectors 5, 6 and 7. Sectors
 * 1-4 (the filesystem) must never appear. */
static const erase_want mp_erases[] = {
    {0, 0x08000000, K16}, {0, 0x08020000, K128}, {0, 0x08040000, K128}, {0, 0x08060000, K128}};

static void check_micropython_on(bench *b, void (*device)(mpf_device_info *))
{
    assert_int_equal(fixture_micropython_image(&b->img, 0, 7), 0);
    assert_int_equal(b->img.count, 2);
    device(&b->dev);
    mpf_plan p = build_ok(&b->img, &b->dev, &b->opt);

    assert_erases(&p, mp_erases, 4);
    assert_int_equal(p.erase_bytes, K16 + 3 * K128);
    assert_writes_are_segments(&p, &b->img);
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
}

static void test_micropython_f401(void **state)
{
    check_micropython_on(*state, f401);
}

static void test_micropython_f405(void **state)
{
    check_micropython_on(*state, f405);
}

static void test_micropython_mboot(void **state)
{
    bench *b = *state;
    /* mboot exposes only alt 0 and sends wTransferSize 2048. */
    make_device(&b->dev, f405_alts, 1);
    assert_int_equal(fixture_micropython_image(&b->img, 0, 3), 0);
    mpf_plan p = build_ok(&b->img, &b->dev, NULL);
    assert_erases(&p, mp_erases, 4);
    assert_writes_are_segments(&p, &b->img);
    /* NULL options are the defaults: verify and leave on. */
    assert_int_equal(p.verify, 1);
    assert_int_equal(p.leave, 1);
    mpf_plan_free(&p);
}

/* ---- sector boundaries --------------------------------------------------- */

/* An image of up to three segments on the F401, and the exact erases it needs. */
typedef struct erase_case {
    const char *name;
    struct {
        uint32_t address, size;
        uint8_t fill;
        const char *source;
    } seg[3];
    size_t segs;
    erase_want want[4];
    size_t erases;
    size_t blocks; /* 0: not checked */
} erase_case;

static const erase_case erase_cases[] = {
    /* 0x08003F00-0x080040FF crosses from sector 0 into sector 1;
     * 0x0800FFFF-0x08010000 is the last byte of sector 3 and the first of sector 4. */
    {"straddling_segment_erases_both",
     {{0x08003F00, 0x200, 0x11, "t: a"}, {0x0800FFFF, 2, 0x22, "t: b"}}, 2,
     {{0, 0x08000000, K16}, {0, 0x08004000, K16}, {0, 0x0800C000, K16}, {0, 0x08010000, K64}}, 4, 0},
    /* Exactly sector 5, and exactly the last 16 bytes of sector 0: the next
     * sectors are not touched and must not be erased. */
    {"segment_ending_at_sector_end",
     {{0x08003FF0, 16, 0x33, "t: tail of 0"}, {0x08020000, K128, 0x44, "t: sector 5"}}, 2,
     {{0, 0x08000000, K16}, {0, 0x08020000, K128}}, 2, 0},
    {"two_runs_in_one_sector_erase_it_once",
     {{0x08020000, 16, 0x55, "t: a"}, {0x08030000, 16, 0x66, "t: b"}, {0x0803FFF0, 16, 0x77, "t: c"}}, 3,
     {{0, 0x08020000, K128}}, 1, 3},
    {"image_filling_flash_to_the_last_byte", {{0x08060000, K128, 0x88, "t: last sector"}}, 1,
     {{0, 0x08060000, K128}}, 1, 0},
};

static void run_erase_case(void **state)
{
    const erase_case *c = *state;
    mpf_image img;
    mpf_image_init(&img);
    for (size_t i = 0; i < c->segs; i++)
        add(&img, 0, c->seg[i].address, c->seg[i].size, c->seg[i].fill, c->seg[i].source);
    assert_int_equal(mpf_image_normalize(&img, NULL), MPF_OK);
    assert_int_equal(img.count, c->segs);
    mpf_device_info dev;
    f401(&dev);
    mpf_plan p = build_ok(&img, &dev, NULL);
    assert_erases(&p, c->want, c->erases);
    assert_writes_are_segments(&p, &img);
    if (c->blocks)
        assert_int_equal(mpf_plan_block_count(&p), c->blocks);
    mpf_plan_free(&p);
    mpf_image_free(&img);
}

/* ---- refusals: fit ------------------------------------------------------- */

/* One segment the device cannot take, with default (NULL) options. */
typedef struct refusal_case {
    const char *name;
    const char *alts[3]; /* the device's layouts; none: the F401 */
    size_t num_alts;
    uint8_t alt;
    uint32_t address, size;
    const char *source;
    mpf_err code;
    const char *message;
} refusal_case;

static const refusal_case refusal_cases[] = {
    {"one_byte_past_flash", {NULL}, 0, 0, 0x08060000, K128 + 1, "fw.dfu: target 0 element 1",
     MPF_ERR_IMAGE_FIT,
     "fw.dfu: target 0 element 1: 0x08080000 is outside the device's Internal "
     "Flash (0x08000000-0x0807FFFF); the image is for a larger chip?"},
    /* A .bin loaded without an address lands at 0. */
    {"image_below_flash", {NULL}, 0, 0, 0x00000000, 256, "fw.bin", MPF_ERR_IMAGE_FIT,
     "fw.bin: 0x00000000 is outside the device's Internal Flash "
     "(0x08000000-0x0807FFFF); the image is for another address or chip?"},
    {"gap_between_blocks", {"@Internal Flash  /0x08000000/2*16Kg/0x08100000/2*16Kg"}, 1, 0,
     0x08007F00, 0x200, "fw.hex", MPF_ERR_IMAGE_FIT,
     "fw.hex: 0x08008000 is outside the device's Internal Flash "
     "(0x08000000-0x08007FFF, 0x08100000-0x08107FFF); the image is for another "
     "chip?"},
    /* 'a' = readable only, 'c' = readable + erasable: neither can be written. */
    {"not_writable_read_only",
     {"@Internal Flash  /0x08000000/04*016Kg,01*064Kg,03*128Kg",
      "@System Memory /0x1FFF0000/30*1Ka", "@Scratch /0x20000000/4*1Kc"}, 3,
     1, 0x1FFF0400, 16, "fw.dfu: target 1 element 0", MPF_ERR_IMAGE_FIT,
     "fw.dfu: target 1 element 0: 0x1FFF0400 is in a sector of the device's "
     "System Memory that is not writable (0x1FFF0400, 1024 bytes, type 'a')"},
    {"not_writable_erasable",
     {"@Internal Flash  /0x08000000/04*016Kg,01*064Kg,03*128Kg",
      "@System Memory /0x1FFF0000/30*1Ka", "@Scratch /0x20000000/4*1Kc"}, 3,
     2, 0x20000010, 16, "ram.bin", MPF_ERR_IMAGE_FIT,
     "ram.bin: 0x20000010 is in a sector of the device's Scratch that is not "
     "writable (0x20000000, 1024 bytes, type 'c')"},
    {"unparseable_device_layout", {"Internal Flash"}, 1, 0, 0x08000000, 16, "fw.bin",
     MPF_ERR_PROTOCOL, "device alt setting 0: memory layout, character 1 ('I'): expected '@'"},
};

static void run_refusal_case(void **state)
{
    const refusal_case *c = *state;
    mpf_device_info dev;
    if (c->num_alts)
        make_device(&dev, c->alts, c->num_alts);
    else
        f401(&dev);
    mpf_image img;
    mpf_image_init(&img);
    /* The bytes do not matter to a fit refusal; only where they go does. */
    add(&img, c->alt, c->address, c->size, 0x5C, c->source);
    assert_int_equal(mpf_image_normalize(&img, NULL), MPF_OK);
    expect_refusal(&img, &dev, NULL, c->code, c->message);
    mpf_image_free(&img);
}

static void test_f405_image_on_f401(void **state)
{
    bench *b = *state;
    assert_int_equal(fixture_micropython_image(&b->img, 800u * 1024u, 5), 0);
    expect_refusal(&b->img, &b->dev, NULL, MPF_ERR_IMAGE_FIT,
                   "fixture: text: 0x08080000 is outside the device's Internal Flash "
                   "(0x08000000-0x0807FFFF); the image is for a larger chip?");
    /* The same image fits the F405 and erases sectors 0 and 5-11. */
    f405(&b->dev);
    mpf_plan p = build_ok(&b->img, &b->dev, NULL);
    assert_int_equal(p.erase_count, 8);
    assert_int_equal(p.erases[0].address, 0x08000000);
    assert_int_equal(p.erases[1].address, 0x08020000);
    assert_int_equal(p.erases[7].address, 0x080E0000);
    mpf_plan_free(&p);
}

static void test_missing_alt(void **state)
{
    bench *b = *state;
    make_device(&b->dev, f401_alts, 2);
    only_segment(b, 2, 0x1FFF7800, 16, 0x00, "fw.dfu: target 2 element 0");
    expect_refusal(&b->img, &b->dev, NULL, MPF_ERR_IMAGE_FIT,
                   "fw.dfu: target 2 element 0: the image has data for alt setting 2 but the "
                   "device has alt settings 0-1; is the image for another device?");

    /* Non-contiguous alt numbers are listed as they are. */
    b->dev.alts[1].alt = 3;
    expect_refusal(&b->img, &b->dev, NULL, MPF_ERR_IMAGE_FIT, "but the device has alt settings 0, 3;");
    b->dev.num_alts = 0;
    expect_refusal(&b->img, &b->dev, NULL, MPF_ERR_IMAGE_FIT, "the device reports no alt settings");
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

/* Starts over with an image holding only the option bytes. */
static void only_option_bytes(bench *b, uint8_t rdp)
{
    mpf_image_free(&b->img);
    add_option_bytes(&b->img, rdp);
    normalize(b);
}

static void test_option_bytes_need_force(void **state)
{
    bench *b = *state;
    only_option_bytes(b, 0xAA);
    expect_refusal(&b->img, &b->dev, &b->opt, MPF_ERR_REFUSED,
                   "ob.dfu: target 1 element 0: the image writes the device's Option Bytes (alt "
                   "setting 1, 0x1FFFC000-0x1FFFC00F); a wrong value can write-protect or "
                   "read-protect the chip: check the image, then force it");

    /* With force, F401 (type 'e'): written without an erase. */
    b->opt.force = 1;
    mpf_plan p = build_ok(&b->img, &b->dev, &b->opt);
    assert_int_equal(p.erase_count, 0);
    assert_int_equal(p.erase_bytes, 0);
    assert_writes_are_segments(&p, &b->img);
    assert_int_equal(p.writes[0].alt, 1);
    assert_int_equal(p.writes_option_bytes, 1);
    assert_int_equal(p.writes_otp, 0);
    /* No alt 0 data: leave at the start of the device's alt 0 memory. */
    assert_int_equal(p.leave_address, 0x08000000);
    assert_int_equal(p.leave_from, MPF_LEAVE_FROM_LAYOUT);
    assert_non_null(strstr(p.leave_note, "no alt 0 data"));
    mpf_plan_free(&p);

    /* F405 (type 'g'): the option sector is erasable, so it is erased first. */
    f405(&b->dev);
    p = build_ok(&b->img, &b->dev, &b->opt);
    const erase_want want[] = {{1, 0x1FFFC000, 16}};
    assert_erases(&p, want, 1);
    assert_int_equal(p.writes_option_bytes, 1);
    mpf_plan_free(&p);
}

static void test_rdp_level_2_refused_even_with_force(void **state)
{
    bench *b = *state;
    only_option_bytes(b, 0xCC);
    const char *msg = "ob.dfu: target 1 element 0: the image sets the read-protection byte at "
                      "0x1FFFC001 to 0xCC (STM32F2/F4 RDP level 2)";
    expect_refusal(&b->img, &b->dev, &b->opt, MPF_ERR_REFUSED, msg);
    b->opt.force = 1;
    expect_refusal(&b->img, &b->dev, &b->opt, MPF_ERR_REFUSED, msg);
    expect_refusal(&b->img, &b->dev, &b->opt, MPF_ERR_REFUSED, "refused even when forced");

    /* RDP level 1 (0x55) is recoverable: allowed with force. */
    only_option_bytes(b, 0x55);
    mpf_plan p = build_ok(&b->img, &b->dev, &b->opt);
    assert_int_equal(p.write_count, 1);
    mpf_plan_free(&p);

    /* A segment whose only byte is the RDP byte is caught too. */
    mpf_image_free(&b->img);
    uint8_t cc = 0xCC;
    assert_int_equal(mpf_image_add(&b->img, 1, 0x1FFFC001, &cc, 1, "poke.hex", NULL), MPF_OK);
    normalize(b);
    expect_refusal(&b->img, &b->dev, &b->opt, MPF_ERR_REFUSED, "poke.hex: the image sets the "
                                                               "read-protection byte at 0x1FFFC001");
}

static void test_otp_needs_force(void **state)
{
    bench *b = *state;
    only_segment(b, 2, 0x1FFF7800, 32, 0x42, "otp.hex");
    expect_refusal(&b->img, &b->dev, &b->opt, MPF_ERR_REFUSED,
                   "otp.hex: the image writes the device's OTP Memory (alt setting 2, "
                   "0x1FFF7800-0x1FFF781F); one-time-programmable bytes can never be changed");
    b->opt.force = 1;
    mpf_plan p = build_ok(&b->img, &b->dev, &b->opt);
    assert_int_equal(p.erase_count, 0);
    assert_int_equal(p.writes_otp, 1);
    assert_int_equal(p.writes_option_bytes, 0);
    mpf_plan_free(&p);
}

/* ---- options ------------------------------------------------------------- */

static void test_mass_erase(void **state)
{
    bench *b = *state;
    assert_int_equal(fixture_micropython_image(&b->img, 0, 9), 0);
    b->opt.mass_erase = 1;
    mpf_plan p = build_ok(&b->img, &b->dev, &b->opt);
    assert_int_equal(p.mass_erase, 1);
    assert_int_equal(p.erase_count, 0);
    assert_int_equal(p.erase_bytes, 512u * 1024u);
    assert_writes_are_segments(&p, &b->img);
    mpf_plan_free(&p);

    /* The layout checks still apply. */
    only_segment(b, 0, 0x08070000, K128, 0x01, "big.bin");
    expect_refusal(&b->img, &b->dev, &b->opt, MPF_ERR_IMAGE_FIT, "big.bin: 0x08080000 is outside");
}

static void test_mass_erase_keeps_other_alts_sector_erases(void **state)
{
    bench *b = *state;
    add(&b->img, 0, 0x08000000, 64, 0x01, "fw: vectors");
    add_option_bytes(&b->img, 0xAA);
    normalize(b);
    f405(&b->dev);
    b->opt.force = 1;
    /* Without mass erase, sorted by (alt, address). */
    mpf_plan p = build_ok(&b->img, &b->dev, &b->opt);
    const erase_want both[] = {{0, 0x08000000, K16}, {1, 0x1FFFC000, 16}};
    assert_erases(&p, both, 2);
    assert_int_equal(p.leave_address, 0x08000000);
    assert_int_equal(p.leave_from, MPF_LEAVE_FROM_IMAGE);
    mpf_plan_free(&p);
    /* A mass erase covers alt 0 only; the option sector is still erased. */
    b->opt.mass_erase = 1;
    p = build_ok(&b->img, &b->dev, &b->opt);
    const erase_want ob_only[] = {{1, 0x1FFFC000, 16}};
    assert_erases(&p, ob_only, 1);
    assert_int_equal(p.mass_erase, 1);
    assert_int_equal(p.erase_bytes, 1024u * 1024u + 16u);
    mpf_plan_free(&p);
}

static void test_empty_image(void **state)
{
    bench *b = *state;
    expect_refusal(&b->img, &b->dev, &b->opt, MPF_ERR_INPUT, "the image has no data");
    /* A mass erase alone (pydfu -m) is a plan without writes. */
    b->opt.mass_erase = 1;
    mpf_plan p = build_ok(&b->img, &b->dev, &b->opt);
    assert_int_equal(p.mass_erase, 1);
    assert_int_equal(p.erase_count, 0);
    assert_int_equal(p.write_count, 0);
    assert_int_equal(mpf_plan_block_count(&p), 0);
    assert_int_equal(p.leave_address, 0x08000000);
    assert_int_equal(p.leave_from, MPF_LEAVE_FROM_LAYOUT);
    mpf_plan_free(&p);
    /* ...which needs alt 0. */
    b->dev.alts[0].alt = 5;
    expect_refusal(&b->img, &b->dev, &b->opt, MPF_ERR_IMAGE_FIT,
                   "mass erase: it erases alt setting 0 but the device has alt settings 1-3, 5");
}

static void test_transfer_size(void **state)
{
    bench *b = *state;
    assert_int_equal(fixture_micropython_image(&b->img, 0, 1), 0);
    b->opt.transfer_size = 1024;
    mpf_plan p = build_ok(&b->img, &b->dev, &b->opt);
    assert_int_equal(p.transfer_size, 1024);
    /* 1,088 bytes: 2 blocks; 298 KiB: 298 blocks. */
    assert_int_equal(mpf_plan_block_count(&p), 300);
    mpf_plan_free(&p);

    /* More than the device takes would only fail after the erases. */
    b->opt.transfer_size = 4096;
    expect_refusal(&b->img, &b->dev, &b->opt, MPF_ERR_USAGE,
                   "a transfer size of 4096 bytes is more than the device takes per request "
                   "(wTransferSize 2048): use 2048 or less, or leave the option out");

    b->dev.func.transfer_size = 0;
    b->opt.transfer_size = 0;
    expect_refusal(&b->img, &b->dev, &b->opt, MPF_ERR_PROTOCOL, "device reports wTransferSize 0");
    b->opt.transfer_size = 2048;
    p = build_ok(&b->img, &b->dev, &b->opt);
    assert_int_equal(p.transfer_size, 2048);
    mpf_plan_free(&p);
}

static void test_long_run_split_at_block_number_limit(void **state)
{
    bench *b = *state;
    /* wBlockNum is 16 bits and data starts at 2: one run holds at most
     * 65534 blocks. With 1-byte blocks a 65535-byte segment needs two runs. */
    only_segment(b, 0, 0x08020000, 65535, 0x5A, "t: long");
    b->opt.transfer_size = 1;
    mpf_plan p = build_ok(&b->img, &b->dev, &b->opt);
    assert_int_equal(p.write_count, 2);
    assert_int_equal(p.writes[0].address, 0x08020000);
    assert_int_equal(p.writes[0].size, 65534);
    assert_ptr_equal(p.writes[0].data, b->img.segments[0].data);
    assert_int_equal(p.writes[1].address, 0x08020000 + 65534);
    assert_int_equal(p.writes[1].size, 1);
    assert_ptr_equal(p.writes[1].data, b->img.segments[0].data + 65534);
    assert_int_equal(p.write_bytes, 65535);
    assert_int_equal(mpf_plan_block_count(&p), 65535);
    mpf_plan_free(&p);
}

static void test_verify_dropped_without_upload(void **state)
{
    bench *b = *state;
    only_segment(b, 0, 0x08000000, 64, 0x01, "fw.bin");
    b->dev.func.attributes = MPF_DFU_ATTR_CAN_DNLOAD | MPF_DFU_ATTR_WILL_DETACH;
    mpf_plan p = build_ok(&b->img, &b->dev, &b->opt);
    assert_int_equal(p.verify, 0);
    assert_int_equal(p.verify_dropped, 1);
    assert_non_null(strstr(p.verify_note, "canUpload"));
    mpf_plan_free(&p);
    /* Not asked for: nothing was dropped. */
    b->opt.verify = 0;
    p = build_ok(&b->img, &b->dev, &b->opt);
    assert_int_equal(p.verify, 0);
    assert_int_equal(p.verify_dropped, 0);
    assert_null(p.verify_note);
    mpf_plan_free(&p);
}

static void test_leave_address(void **state)
{
    bench *b = *state;
    only_segment(b, 0, 0x08020000, 64, 0x01, "fw.bin");
    mpf_plan p = build_ok(&b->img, &b->dev, &b->opt);
    assert_int_equal(p.leave_address, 0x08020000);
    assert_int_equal(p.leave_from, MPF_LEAVE_FROM_IMAGE);
    mpf_plan_free(&p);

    b->opt.has_leave_address = 1;
    b->opt.leave_address = 0x08004000;
    p = build_ok(&b->img, &b->dev, &b->opt);
    assert_int_equal(p.leave, 1);
    assert_int_equal(p.leave_address, 0x08004000);
    assert_int_equal(p.leave_from, MPF_LEAVE_FROM_OPTION);
    mpf_plan_free(&p);

    b->opt.leave = 0;
    p = build_ok(&b->img, &b->dev, &b->opt);
    assert_int_equal(p.leave, 0);
    assert_int_equal(p.leave_from, MPF_LEAVE_FROM_NONE);
    assert_null(p.leave_note);
    mpf_plan_free(&p);

    /* No alt 0 data and an alt 0 that does not start at 0x08000000. */
    const char *alts[] = {"@SRAM /0x20000000/64*1Kg", "@Option Bytes  /0x1FFFC000/01*016 e"};
    make_device(&b->dev, alts, 2);
    only_option_bytes(b, 0xAA);
    mpf_plan_options_default(&b->opt);
    b->opt.force = 1;
    expect_refusal(&b->img, &b->dev, &b->opt, MPF_ERR_USAGE,
                   "leave: the image has no data for alt setting 0 and the device's SRAM starts "
                   "at 0x20000000, not 0x08000000; give the address to start from");
    b->opt.leave = 0;
    p = build_ok(&b->img, &b->dev, &b->opt);
    assert_int_equal(p.write_count, 1);
    mpf_plan_free(&p);
}

static void test_not_normalized_is_a_bug(void **state)
{
    bench *b = *state;
    add(&b->img, 0, 0x08020000, 16, 0x01, "t: second");
    add(&b->img, 0, 0x08000000, 16, 0x02, "t: first");
    expect_refusal(&b->img, &b->dev, NULL, MPF_ERR_INTERNAL,
                   "the image is not normalized (t: second before t: first)");
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
    bench *b = *state;
    only_segment(b, 0, 0x08000000, 3000, 0x01, "fw.bin");
    b->opt.timing = &round_numbers;
    mpf_plan p = build_ok(&b->img, &b->dev, &b->opt);
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
    b->opt.mass_erase = 1;
    b->opt.verify = 0;
    b->opt.leave = 0;
    p = build_ok(&b->img, &b->dev, &b->opt);
    assert_int_equal(p.estimated_us, 5330 + 2940);
    assert_int_equal(mpf_plan_estimate_us(&p, &round_numbers), 5330 + 2940);
    mpf_plan_free(&p);
}

static void test_bad_arguments(void **state)
{
    bench *b = *state;
    mpf_plan p;
    mpf_error err;
    assert_int_equal(mpf_plan_build(NULL, &b->dev, NULL, &p, &err), MPF_ERR_USAGE);
    assert_int_equal(mpf_plan_build(&b->img, NULL, NULL, &p, &err), MPF_ERR_USAGE);
    assert_int_equal(mpf_plan_build(&b->img, &b->dev, NULL, NULL, &err), MPF_ERR_USAGE);
    assert_int_equal(mpf_plan_block_count(NULL), 0);
    assert_int_equal(mpf_plan_estimate_us(NULL, NULL), 0);
    mpf_plan_free(NULL);
}

#define BENCH_TEST(f) cmocka_unit_test_setup_teardown(f, bench_setup, bench_teardown)

int main(void)
{
    static const struct CMUnitTest fixed[] = {
        BENCH_TEST(test_micropython_f401),
        BENCH_TEST(test_micropython_f405),
        BENCH_TEST(test_micropython_mboot),
        BENCH_TEST(test_f405_image_on_f401),
        BENCH_TEST(test_missing_alt),
        BENCH_TEST(test_option_bytes_need_force),
        BENCH_TEST(test_rdp_level_2_refused_even_with_force),
        BENCH_TEST(test_otp_needs_force),
        BENCH_TEST(test_mass_erase),
        BENCH_TEST(test_mass_erase_keeps_other_alts_sector_erases),
        BENCH_TEST(test_empty_image),
        BENCH_TEST(test_transfer_size),
        BENCH_TEST(test_long_run_split_at_block_number_limit),
        BENCH_TEST(test_verify_dropped_without_upload),
        BENCH_TEST(test_leave_address),
        BENCH_TEST(test_not_normalized_is_a_bug),
        BENCH_TEST(test_estimate_hand_computed),
        BENCH_TEST(test_bad_arguments),
    };
    const test_table tables[] = {TEST_TABLE(erase_cases, run_erase_case),
                                 TEST_TABLE(refusal_cases, run_refusal_case)};
    return run_tests_and_tables("plan", fixed, TABLE_LEN(fixed), tables, TABLE_LEN(tables));
}
