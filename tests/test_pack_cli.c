/* firmware.pack.dfu through the command line, in-process: --info shows the
 * chunks, --dry-run changes nothing, a flash onto the virtual packing mboot
 * leaves the decoded firmware in its flash (--sim-state), a bad chunk stops
 * with mboot's words, and a board that is not mboot is refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fixtures.h"
#include "mpflash/pack.h"
#include "mpflash/sim.h"
#include "pack_builder.h"
#include "test_os.h"
#include "tool_capture.h"

#define APP 0x08008000u

typedef struct fx {
    char *dir;
    char pack[1024], bad[1024], state[1024];
    mpf_image fw;
} fx;

static void run(captured *c, char **argv)
{
    int argc = 0;
    while (argv[argc])
        argc++;
    tool_run_captured(c, 0, NULL, argc, argv);
}

static void write_file(const char *path, const uint8_t *buf, size_t len)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(buf, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

static int setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    assert_non_null(f);
    f->dir = tos_temp_dir("mpflash-pack");
    assert_non_null(f->dir);
    snprintf(f->pack, sizeof f->pack, "%s/firmware.pack.dfu", f->dir);
    snprintf(f->bad, sizeof f->bad, "%s/bad.pack.dfu", f->dir);
    snprintf(f->state, sizeof f->state, "%s/flash.bin", f->dir);
    mpf_image_init(&f->fw);
    assert_int_equal(fixture_micropython_image(&f->fw, 0, 31), 0);
    f->fw.segments[0].address = APP;
    for (int bad = 0; bad < 2; bad++) {
        mpf_image chunks;
        assert_int_equal(pack_image(&f->fw, MPF_SIM_PACK_CHUNKSIZE, 0, &chunks), 0);
        if (bad) /* the last firmware chunk's ciphertext */
            chunks.segments[chunks.count - 2].data[MPF_PACK_HEADER_BYTES + 100] ^= 0x80;
        uint8_t *bytes;
        size_t len;
        assert_int_equal(pack_file(&chunks, &bytes, &len), 0);
        write_file(bad ? f->bad : f->pack, bytes, len);
        free(bytes);
        mpf_image_free(&chunks);
    }
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    tos_remove_tree(f->dir);
    free(f->dir);
    mpf_image_free(&f->fw);
    free(f);
    return 0;
}

static void test_info_shows_the_chunks(void **state)
{
    fx *f = *state;
    char *argv[] = {"mpflash", "--info", f->pack, NULL};
    captured c;
    run(&c, argv);
    assert_int_equal(c.code, 0);
    assert_non_null(strstr(c.out, "mboot packed firmware (MBOOT_ENABLE_PACKING): 21 chunks, 20 of "
                                  "firmware (raw), a full signature over 2 regions"));
    assert_non_null(strstr(c.out, "      1  0x08008000  fw-raw    1124\n"));
    assert_non_null(strstr(c.out, "     21  0x0806C000  full-sig  80\n"));
    captured_release(&c);
}

static void test_dry_run_changes_nothing(void **state)
{
    fx *f = *state;
    char *argv[] = {"mpflash", "--sim", "mboot+packing", "--dry-run", "-u", f->pack, NULL};
    captured c;
    run(&c, argv);
    assert_int_equal(c.code, 0);
    assert_non_null(strstr(c.out, "packed firmware for mboot: 21 chunks"));
    assert_non_null(strstr(c.out, "mpflash erases, reads back and skips nothing"));
    assert_non_null(strstr(c.out, "chunk  21  0x0806C000  full-sig"));
    assert_non_null(strstr(c.out, "nothing was changed (--dry-run)"));
    captured_release(&c);
}

static void test_flash_leaves_the_decoded_firmware(void **state)
{
    fx *f = *state;
    char *argv[] = {"mpflash", "--sim", "mboot+packing", "--sim-state", f->state, "-u", f->pack,
                    NULL};
    captured c;
    run(&c, argv);
    assert_int_equal(c.code, 0);
    assert_non_null(strstr(c.out, "verified by mboot's signature check"));
    assert_non_null(strstr(c.out, "the board is starting the new firmware"));
    captured_release(&c);
    /* The virtual flash from 0x08000000, saved by --sim-state. */
    FILE *fp = fopen(f->state, "rb");
    assert_non_null(fp);
    for (size_t i = 0; i < f->fw.count; i++) {
        const mpf_segment *s = &f->fw.segments[i];
        uint8_t *got = malloc(s->size);
        assert_non_null(got);
        assert_int_equal(fseek(fp, (long)(s->address - 0x08000000u), SEEK_SET), 0);
        assert_int_equal(fread(got, 1, s->size, fp), s->size);
        assert_memory_equal(got, s->data, s->size);
        free(got);
    }
    fclose(fp);
}

static void test_bad_chunk_stops_with_mboots_words(void **state)
{
    fx *f = *state;
    char *argv[] = {"mpflash", "--sim", "mboot+packing", "-u", f->bad, NULL};
    captured c;
    run(&c, argv);
    assert_int_equal(c.code, 5); /* the device reported an error */
    assert_non_null(strstr(c.err, "chunk 20 of 21"));
    assert_non_null(strstr(c.err, "the device says: \"Invalid signature in file\""));
    captured_release(&c);
}

static void test_not_mboot_is_refused_before_anything(void **state)
{
    fx *f = *state;
    char *argv[] = {"mpflash", "--sim", "f405", "-u", f->pack, NULL};
    captured c;
    run(&c, argv);
    assert_int_equal(c.code, 2);
    assert_non_null(strstr(c.err, "packed firmware for MicroPython's mboot"));
    assert_non_null(strstr(c.err, "STM32  BOOTLOADER"));
    captured_release(&c);
    char *mass[] = {"mpflash", "--sim", "mboot+packing", "-m", "-u", f->pack, NULL};
    run(&c, mass);
    assert_int_equal(c.code, 1);
    assert_non_null(strstr(c.err, "cannot take a mass erase"));
    captured_release(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_info_shows_the_chunks),
        cmocka_unit_test(test_dry_run_changes_nothing),
        cmocka_unit_test(test_flash_leaves_the_decoded_firmware),
        cmocka_unit_test(test_bad_chunk_stops_with_mboots_words),
        cmocka_unit_test(test_not_mboot_is_refused_before_anything),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
