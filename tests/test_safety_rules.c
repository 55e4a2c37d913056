/* The safety rules about the caller's choices live in the plan, so every
 * front end gets them, for DfuSe and plain DFU devices alike:
 *  - a .dfu whose suffix names another board's USB ID is refused unless
 *    forced (MPF_REASON_NEEDS_FORCE);
 *  - with one alt setting chosen (dfu-util's -a), data for any other is
 *    refused rather than half the file flashed (MPF_REASON_OTHER_ALT).
 * Each refusal comes from mpf_plan_build, before a request could be sent;
 * and mpflash(1) still gives the advice in its own options. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fixtures.h"
#include "mpflash/image.h"
#include "mpflash/plan.h"
#include "mpflash/sim.h"
#include "test_os.h"
#include "tool/tool.h"
#include "tool/tool_exit.h"

/* What the named virtual board enumerates as. */
static mpf_device_info board_info(const char *chip)
{
    mpf_sim *sim = NULL;
    mpf_error err = {0};
    assert_int_equal(mpf_sim_new(chip, &sim, &err), MPF_OK);
    mpf_transport t;
    mpf_sim_transport(sim, &t);
    mpf_device_info info = t.info;
    mpf_transport_close(&t);
    mpf_sim_free(sim);
    return info;
}

/* For each alt setting listed: 1 KiB at address on alt 0 (plain DFU: 0),
 * or on the F4's alt 1 the option bytes as they come from the factory
 * (RDP 0xAA: level 0). */
static void image_on(mpf_image *img, const uint8_t *alts, size_t n, uint32_t address)
{
    mpf_image_init(img);
    uint8_t data[1024], option_bytes[16];
    fixture_fill_random(data, sizeof data, 7);
    memset(option_bytes, 0xAA, sizeof option_bytes);
    mpf_error err = {0};
    for (size_t i = 0; i < n; i++)
        assert_int_equal(alts[i] ? mpf_image_add(img, alts[i], 0x1FFFC000u, option_bytes, sizeof option_bytes,
                                                 "fw.dfu", &err)
                                 : mpf_image_add(img, 0, address, data, sizeof data, "fw.dfu", &err),
                         MPF_OK);
    assert_int_equal(mpf_image_normalize(img, &err), MPF_OK);
}

static mpf_err plan(const mpf_image *img, const mpf_device_info *dev, const mpf_plan_options *opt,
                    mpf_error *err)
{
    mpf_plan p;
    mpf_err rc = mpf_plan_build(img, dev, opt, &p, err);
    if (rc != MPF_OK)
        assert_int_equal(p.erase_count + p.write_count, 0); /* no half plan */
    mpf_plan_free(&p);
    return rc;
}

typedef struct suffix_case {
    uint16_t vid, pid;
    int force;
    mpf_err rc;
} suffix_case;

static void suffix_rule_on(const char *chip, uint32_t address)
{
    const mpf_device_info dev = board_info(chip);
    const suffix_case cases[] = {
        {0x1234, 0x5678, 0, MPF_ERR_REFUSED},      /* another board's file */
        {dev.vid, 0x5678, 0, MPF_ERR_REFUSED},     /* right vendor, other product */
        {0x1234, dev.pid, 0, MPF_ERR_REFUSED},
        {0x1234, 0x5678, 1, MPF_OK},               /* forced */
        {0xFFFF, 0xFFFF, 0, MPF_OK},               /* "any" */
        {dev.vid, dev.pid, 0, MPF_OK},
        {0xFFFF, dev.pid, 0, MPF_OK},
    };
    const uint8_t alt0 = 0;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const suffix_case *c = &cases[i];
        mpf_image img;
        image_on(&img, &alt0, 1, address);
        img.has_suffix = 1;
        img.vid = c->vid;
        img.pid = c->pid;
        mpf_plan_options opt;
        mpf_plan_options_default(&opt);
        opt.force = c->force;
        mpf_error err = {0};
        mpf_err rc = plan(&img, &dev, &opt, &err);
        if (rc != c->rc)
            fail_msg("%s, suffix %04x:%04x%s: %s (%s)", chip, c->vid, c->pid, c->force ? " forced" : "",
                     mpf_err_name(rc), err.message);
        if (rc != MPF_OK) {
            char ids[64];
            snprintf(ids, sizeof ids, "USB ID %04x:%04x, but the board is %04x:%04x", c->vid, c->pid,
                     dev.vid, dev.pid);
            assert_non_null(strstr(err.message, ids));
            assert_int_equal(err.reason, MPF_REASON_NEEDS_FORCE);
            assert_null(strstr(err.message, "--force")); /* the library's own terms */
        }
        /* The same image without a suffix is never refused for it. */
        img.has_suffix = 0;
        assert_int_equal(plan(&img, &dev, &opt, &err), MPF_OK);
        mpf_image_free(&img);
    }
}

static void test_suffix_rule_dfuse(void **state)
{
    (void)state;
    suffix_rule_on("f401", 0x08020000u);
}

static void test_suffix_rule_plain_dfu(void **state)
{
    (void)state;
    suffix_rule_on("dfu11", 0);
}

static void test_one_alt_rule(void **state)
{
    (void)state;
    const mpf_device_info dev = board_info("f401");
    const uint8_t both[] = {0, 1}, first[] = {0};
    mpf_plan_options opt;
    mpf_plan_options_default(&opt);
    opt.force = 1; /* alt 1 is the option bytes: only the rule under test may refuse */
    mpf_error err = {0};
    mpf_image img;

    image_on(&img, both, 2, 0x08020000u);
    assert_int_equal(plan(&img, &dev, &opt, &err), MPF_OK); /* no alt chosen: both go */
    opt.one_alt = 1;
    opt.alt = 0;
    assert_int_equal(plan(&img, &dev, &opt, &err), MPF_ERR_REFUSED);
    assert_int_equal(err.reason, MPF_REASON_OTHER_ALT);
    assert_non_null(strstr(err.message, "fw.dfu has data for alt setting 1, but alt setting 0 was chosen"));
    assert_null(strstr(err.message, "-a"));
    mpf_image_free(&img);

    image_on(&img, first, 1, 0x08020000u);
    assert_int_equal(plan(&img, &dev, &opt, &err), MPF_OK); /* only the chosen one */
    opt.alt = 2;
    assert_int_equal(plan(&img, &dev, &opt, &err), MPF_ERR_REFUSED);
    assert_int_equal(err.reason, MPF_REASON_OTHER_ALT);
    mpf_image_free(&img);

    /* Plain DFU: the same rule. */
    const mpf_device_info plain = board_info("dfu11");
    image_on(&img, first, 1, 0);
    opt.alt = 1;
    assert_int_equal(plan(&img, &plain, &opt, &err), MPF_ERR_REFUSED);
    assert_int_equal(err.reason, MPF_REASON_OTHER_ALT);
    mpf_image_free(&img);
}

/* mpflash(1) turns the reasons into its own options: exit 2, the library's
 * message, and a hint naming the flag. */
static char *write_dfuse(const char *name, const uint8_t *alts, size_t n, uint16_t vid, uint16_t pid)
{
    mpf_image img;
    image_on(&img, alts, n, 0x08020000u);
    mpf_dfuse_write_options o;
    mpf_dfuse_write_options_default(&o);
    o.vid = vid;
    o.pid = pid;
    uint8_t *buf = NULL;
    size_t len = 0;
    mpf_error err = {0};
    assert_int_equal(mpf_write_dfuse(&img, &o, &buf, &len, &err), MPF_OK);
    char *path = malloc(512);
    assert_non_null(path);
    snprintf(path, 512, "%s/safety-%s", MPFLASH_BUILD_DIR, name);
    assert_int_equal(mpf_write_file_atomic(path, buf, len, &err), MPF_OK);
    free(buf);
    mpf_image_free(&img);
    return path;
}

static int run_tool(char **argv, char **err_text)
{
    int argc = 0;
    while (argv[argc])
        argc++;
    tos_capture out, err;
    assert_true(tos_capture_begin(&out) && tos_capture_begin(&err));
    tool_io io = {.out = out.f, .err = err.f};
    int code = tool_main(argc, argv, &io);
    free(tos_capture_end(&out, NULL));
    *err_text = tos_capture_end(&err, NULL);
    assert_non_null(*err_text);
    return code;
}

static void test_the_tool_gives_the_advice(void **state)
{
    (void)state;
    const uint8_t first[] = {0}, both[] = {0, 1};
    char *wrong = write_dfuse("wrong-id.dfu", first, 1, 0x1234, 0x5678);
    char *two = write_dfuse("two-alts.dfu", both, 2, 0x0483, 0xdf11);
    char *err = NULL;

    char *suffix_argv[] = {"mpflash", "--sim", "f401", "-u", wrong, NULL};
    assert_int_equal(run_tool(suffix_argv, &err), 2);
    assert_int_equal(tool_exit_code(MPF_ERR_REFUSED), 2);
    assert_non_null(strstr(err, "mpflash: error: the firmware's DFU suffix says it is for USB ID 1234:5678, but "
                                "the board is 0483:df11; check that this is the right file\n"
                                "mpflash: hint: if that is really what you want, add --force\n"));
    free(err);
    char *forced_argv[] = {"mpflash", "--sim", "f401", "--force", "-u", wrong, NULL};
    assert_int_equal(run_tool(forced_argv, &err), 0);
    free(err);

    char *alt_argv[] = {"mpflash", "--sim", "f401", "--force", "-a", "0", "-D", two, NULL};
    assert_int_equal(run_tool(alt_argv, &err), 2);
    assert_non_null(strstr(err, "has data for alt setting 1, but alt setting 0 was chosen; write every alt "
                                "setting the file names instead\n"
                                "mpflash: hint: drop -a to write every alt setting the file names\n"));
    free(err);
    free(wrong);
    free(two);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_suffix_rule_dfuse),
        cmocka_unit_test(test_suffix_rule_plain_dfu),
        cmocka_unit_test(test_one_alt_rule),
        cmocka_unit_test(test_the_tool_gives_the_advice),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
