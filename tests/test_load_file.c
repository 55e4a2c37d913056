/* Format detection, mpf_load_buffer dispatch, the "ADDR:FILE" spelling,
 * whole-file reads and atomic writes, on real files in a temporary
 * directory. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fixtures.h"
#include "test_os.h"
#include "mpflash/image.h"

typedef struct tmp_dir {
    char *path;
} tmp_dir;

static int make_dir(void **state)
{
    tmp_dir *d = calloc(1, sizeof *d);
    if (!d)
        return -1;
    d->path = tos_temp_dir("mpflash_load");
    if (!d->path) {
        free(d);
        return -1;
    }
    *state = d;
    return 0;
}

static int remove_dir(void **state)
{
    tmp_dir *d = *state;
    int rc = tos_remove_tree(d->path);
    free(d->path);
    free(d);
    return rc;
}

static void path_in(const tmp_dir *d, const char *name, char *out, size_t size)
{
    snprintf(out, size, "%s/%s", d->path, name);
}

static void put_file(const tmp_dir *d, const char *name, const void *data, size_t len)
{
    char p[512];
    path_in(d, name, p, sizeof p);
    FILE *f = fopen(p, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

static size_t count_entries(const tmp_dir *d)
{
    size_t n = 0;
    DIR *dir = opendir(d->path);
    assert_non_null(dir);
    struct dirent *e;
    while ((e = readdir(dir)) != NULL)
        n += e->d_name[0] != '.';
    closedir(dir);
    return n;
}

static void assert_message_has(const mpf_error *err, const char *part)
{
    if (!strstr(err->message, part))
        fail_msg("message \"%s\" lacks \"%s\"", err->message, part);
}

static const uint8_t small_dfuse_data[8] = {1, 2, 3, 4, 5, 6, 7, 8};

/* small_dfuse_data at 0x08000000. */
static uint8_t *small_dfuse(size_t *len)
{
    fixture_dfuse f;
    fixture_dfuse_init(&f);
    fixture_dfuse_add_element(fixture_dfuse_add_target(&f, 0, "ST..."), 0x08000000u, small_dfuse_data, 8);
    uint8_t *buf = fixture_dfuse_build(&f, len);
    assert_non_null(buf);
    return buf;
}

/* 11 22 33 44 at 0x08010000. */
static const char small_hex[] = ":020000040801F1\n:040000001122334452\n:00000001FF\n";
static const uint8_t small_hex_data[4] = {0x11, 0x22, 0x33, 0x44};

static const uint8_t raw5[5] = {9, 8, 7, 6, 5};

static void assert_segment_holds(const mpf_segment *s, uint32_t address, const uint8_t *data, size_t size)
{
    assert_int_equal(s->address, address);
    assert_int_equal(s->size, size);
    assert_memory_equal(s->data, data, size);
}

/* ---- detection ---------------------------------------------------------- */

static void detect_text(const char *text, mpf_format expected)
{
    mpf_format got = mpf_detect_format((const uint8_t *)text, strlen(text));
    if (got != expected)
        fail_msg("\"%s\": detected %s, expected %s", text, mpf_format_name(got), mpf_format_name(expected));
}

static void test_detect_format(void **state)
{
    (void)state;
    size_t len = 0;
    uint8_t *dfuse = small_dfuse(&len);
    assert_int_equal(mpf_detect_format(dfuse, len), MPF_FORMAT_DFUSE);
    /* Only the content counts: "DfuSe" alone is enough to pick the loader,
     * whose messages then explain what is wrong. */
    assert_int_equal(mpf_detect_format((const uint8_t *)"DfuSe", 5), MPF_FORMAT_DFUSE);
    assert_int_equal(mpf_detect_format((const uint8_t *)"DfuS", 4), MPF_FORMAT_BIN);

    static const uint8_t elf[8] = {0x7F, 'E', 'L', 'F', 1, 1, 1, 0};
    assert_int_equal(mpf_detect_format(elf, sizeof elf), MPF_FORMAT_ELF);
    assert_int_equal(mpf_detect_format(elf, 3), MPF_FORMAT_BIN);

    detect_text(":020000040800F2\n:00000001FF\n", MPF_FORMAT_IHEX);
    detect_text("\r\n  \t:00000001FF", MPF_FORMAT_IHEX);
    detect_text("\xEF\xBB\xBF:00000001FF\r\n", MPF_FORMAT_IHEX);
    detect_text(":00000001FF  \r\n", MPF_FORMAT_IHEX);
    /* CR-only line endings, as old Mac tools write them. */
    detect_text(":020000040800F2\r:040000001122334452\r:00000001FF\r", MPF_FORMAT_IHEX);
    /* ':' and four hex digits are enough: damage further on is for the HEX
     * loader to report with its line number, not a reason to call it raw. */
    detect_text(":0000G001FF\n", MPF_FORMAT_IHEX);
    detect_text(":1000\x00\xFF", MPF_FORMAT_IHEX);
    detect_text(":", MPF_FORMAT_BIN);
    detect_text(":hello\n", MPF_FORMAT_BIN);
    detect_text(":100\n", MPF_FORMAT_BIN);
    detect_text(":100", MPF_FORMAT_BIN);
    detect_text(":10G0", MPF_FORMAT_BIN);
    detect_text("x:00000001FF\n", MPF_FORMAT_BIN);

    uint8_t raw[40];
    fixture_fill_random(raw, sizeof raw, 3);
    raw[0] = 0; /* not '\x7f', 'D', ':' or blank */
    assert_int_equal(mpf_detect_format(raw, sizeof raw), MPF_FORMAT_BIN);
    assert_int_equal(mpf_detect_format(raw, 0), MPF_FORMAT_BIN);
    assert_int_equal(mpf_detect_format(NULL, 0), MPF_FORMAT_BIN);

    size_t plain_len = 0;
    uint8_t *plain = fixture_dfu_plain_build(raw, sizeof raw, 0x0483, 0xDF11, 0, &plain_len);
    assert_int_equal(mpf_detect_format(plain, plain_len), MPF_FORMAT_DFU);
    plain[plain_len - 1] ^= 1; /* suffix CRC wrong: not recognised as DFU */
    assert_int_equal(mpf_detect_format(plain, plain_len), MPF_FORMAT_BIN);
    free(plain);
    /* A bare suffix over zero data bytes is still a DFU file. */
    plain = fixture_dfu_plain_build(NULL, 0, 0x0483, 0xDF11, 0, &plain_len);
    assert_int_equal(mpf_detect_format(plain, plain_len), MPF_FORMAT_DFU);
    free(plain);
    free(dfuse);
}

/* ---- mpf_load_buffer and mpf_load_buffer_owned ---------------------------- */

static uint8_t *dup_bytes(const void *data, size_t len)
{
    uint8_t *copy = malloc(len ? len : 1);
    assert_non_null(copy);
    memcpy(copy, data, len);
    return copy;
}

/* Through mpf_load_buffer, or mpf_load_buffer_owned with a malloc'd copy. */
static mpf_err load_via(int owned, mpf_image *img, const void *data, size_t len, const char *name,
                        const mpf_load_options *opt, mpf_format *detected, mpf_error *err)
{
    if (owned)
        return mpf_load_buffer_owned(img, dup_bytes(data, len), len, name, opt, detected, err);
    return mpf_load_buffer(img, data, len, name, opt, detected, err);
}

/* Start img and set opt to place raw bytes at 0x08004000, then load a raw
 * binary, a DfuSe and a HEX file in turn, each through its own loader: how
 * both dispatch tests begin. */
static void load_one_of_each(int owned, mpf_image *img, mpf_load_options *opt)
{
    mpf_image_init(img);
    *opt = (mpf_load_options){.has_address = 1, .address = 0x08004000u};
    mpf_error err = {0};
    mpf_format detected = MPF_FORMAT_UNKNOWN;
    assert_int_equal(load_via(owned, img, raw5, 5, "c.bin", opt, &detected, &err), MPF_OK);
    assert_int_equal(detected, MPF_FORMAT_BIN);
    assert_segment_holds(&img->segments[0], 0x08004000u, raw5, 5);
    assert_string_equal(img->segments[0].source, "c.bin");
    assert_int_equal(img->format, MPF_FORMAT_BIN);

    size_t len = 0;
    uint8_t *dfuse = small_dfuse(&len);
    /* The address is for files without one; a DfuSe file keeps its own. */
    assert_int_equal(load_via(owned, img, dfuse, len, "a.dfu", opt, &detected, &err), MPF_OK);
    free(dfuse);
    assert_int_equal(detected, MPF_FORMAT_DFUSE);
    assert_int_equal(img->count, 2);
    assert_segment_holds(&img->segments[1], 0x08000000u, small_dfuse_data, 8);
    assert_int_equal(img->format, MPF_FORMAT_BIN); /* still the first file's */

    assert_int_equal(load_via(owned, img, small_hex, strlen(small_hex), "b.hex", opt, &detected, &err), MPF_OK);
    assert_int_equal(detected, MPF_FORMAT_IHEX);
    assert_int_equal(img->count, 3);
    assert_segment_holds(&img->segments[2], 0x08010000u, small_hex_data, 4);
}

static void test_load_buffer_dispatch(void **state)
{
    (void)state;
    mpf_image img;
    mpf_load_options opt;
    load_one_of_each(0, &img, &opt);
    mpf_error err = {0};
    mpf_format detected = MPF_FORMAT_UNKNOWN;

    size_t plain_len = 0;
    uint8_t *plain = fixture_dfu_plain_build(raw5, sizeof raw5, 0x0483, 0xDF11, 0, &plain_len);
    opt.address = 0x08008000u;
    assert_int_equal(mpf_load_buffer(&img, plain, plain_len, "d.dfu", &opt, &detected, &err), MPF_OK);
    assert_int_equal(detected, MPF_FORMAT_DFU);
    assert_int_equal(img.segments[3].address, 0x08008000u);
    assert_int_equal(img.segments[3].size, 5); /* the suffix is not data */
    assert_int_equal(img.format, MPF_FORMAT_BIN);

    /* A suffix with a bad CRC: reported as damage, not flashed as raw bytes. */
    plain[plain_len - 2] ^= 0x10;
    assert_int_equal(mpf_load_buffer(&img, plain, plain_len, "e.dfu", &opt, &detected, &err), MPF_ERR_INPUT);
    assert_int_equal(detected, MPF_FORMAT_DFU);
    assert_message_has(&err, "e.dfu: offset 17: CRC-32 is 0x");
    assert_message_has(&err, "; the file is damaged");
    assert_int_equal(img.count, 4);

    /* A truncated ELF goes to the ELF loader, not the raw one. */
    static const uint8_t elf[16] = {0x7F, 'E', 'L', 'F', 1, 1, 1};
    assert_int_equal(mpf_load_buffer(&img, elf, sizeof elf, "f.elf", &opt, &detected, &err), MPF_ERR_INPUT);
    assert_int_equal(detected, MPF_FORMAT_ELF);
    assert_message_has(&err, "f.elf");
    assert_null(strstr(err.message, "raw binary"));
    assert_int_equal(img.count, 4);

    free(plain);
    mpf_image_free(&img);
}

/* The HEX loader, not the raw one, speaks for a damaged HEX file. */
static void test_load_buffer_damaged_hex_gets_the_hex_error(void **state)
{
    (void)state;
    mpf_image img;
    mpf_image_init(&img);
    mpf_error err = {0};
    mpf_format detected = MPF_FORMAT_UNKNOWN;
    static const char bad_char[] = ":0400000011223G4452\n:00000001FF\n";
    assert_int_equal(mpf_load_buffer(&img, (const uint8_t *)bad_char, strlen(bad_char), "b.hex", NULL, &detected, &err),
                     MPF_ERR_INPUT);
    assert_int_equal(detected, MPF_FORMAT_IHEX);
    assert_string_equal(err.message, "b.hex line 1: character 0x47 at column 15 is not a hex digit");

    static const char cr_only_bad[] = ":020000040800F2\r:040000001122334453\r:00000001FF\r";
    assert_int_equal(mpf_load_buffer(&img, (const uint8_t *)cr_only_bad, strlen(cr_only_bad), "b.hex", NULL, &detected,
                                     &err),
                     MPF_ERR_INPUT);
    assert_int_equal(detected, MPF_FORMAT_IHEX);
    assert_string_equal(err.message, "b.hex line 2: checksum is 0x52, the record says 0x53");
    assert_int_equal(img.count, 0);

    static const char cr_only[] = ":020000040800F2\r:040000001122334452\r:00000001FF\r";
    assert_int_equal(mpf_load_buffer(&img, (const uint8_t *)cr_only, strlen(cr_only), "b.hex", NULL, &detected, &err),
                     MPF_OK);
    assert_int_equal(detected, MPF_FORMAT_IHEX);
    assert_int_equal(img.count, 1);
    assert_int_equal(img.segments[0].address, 0x08000000u);
    assert_memory_equal(img.segments[0].data, ((const uint8_t[]){0x11, 0x22, 0x33, 0x44}), 4);
    mpf_image_free(&img);
}

static void test_load_buffer_owned_dispatch(void **state)
{
    (void)state;
    mpf_error err = {0};
    mpf_format detected = MPF_FORMAT_UNKNOWN;
    mpf_image img;
    mpf_load_options opt;
    load_one_of_each(1, &img, &opt);

    /* Every failure frees the buffer (ASan reports a leak otherwise) and adds nothing. */
    assert_int_equal(mpf_load_buffer_owned(&img, dup_bytes(raw5, 5), 5, "c.bin", NULL, &detected, &err), MPF_ERR_INPUT);
    assert_string_equal(err.message,
                        "c.bin: a raw binary file has no load address; give it one (STM32 flash starts at 0x08000000)");
    opt.address = 0xFFFFFFFEu;
    assert_int_equal(mpf_load_buffer_owned(&img, dup_bytes(raw5, 5), 5, "c.bin", &opt, &detected, &err), MPF_ERR_INPUT);
    assert_int_equal(mpf_load_buffer_owned(&img, NULL, 0, NULL, &opt, &detected, &err), MPF_ERR_INPUT);
    assert_string_equal(err.message, "(buffer): the file is empty (0 bytes): nothing to flash; check the file name, or "
                                     "that the build wrote it");
    assert_int_equal(mpf_load_buffer_owned(&img, NULL, 3, "x", &opt, &detected, &err), MPF_ERR_USAGE);
    assert_int_equal(img.count, 3);
    mpf_image_free(&img);
}

/* ---- mpf_read_file ------------------------------------------------------ */

static void test_read_file(void **state)
{
    tmp_dir *d = *state;
    uint8_t data[5000];
    fixture_fill_random(data, sizeof data, 8);
    put_file(d, "fw.bin", data, sizeof data);
    put_file(d, "empty.bin", "", 0);
    char p[512];
    uint8_t *buf = NULL;
    size_t len = 0;
    mpf_error err = {0};
    path_in(d, "fw.bin", p, sizeof p);
    assert_int_equal(mpf_read_file(p, &buf, &len, &err), MPF_OK);
    assert_int_equal(len, sizeof data);
    assert_memory_equal(buf, data, sizeof data);
    free(buf);

    path_in(d, "empty.bin", p, sizeof p);
    assert_int_equal(mpf_read_file(p, &buf, &len, &err), MPF_OK);
    assert_int_equal(len, 0);
    free(buf);

    path_in(d, "missing.bin", p, sizeof p);
    assert_int_equal(mpf_read_file(p, &buf, &len, &err), MPF_ERR_IO);
    assert_int_equal(err.code, MPF_ERR_IO);
    assert_message_has(&err, "cannot open ");
    assert_message_has(&err, "/missing.bin: No such file or directory");
    assert_null(buf);

    assert_int_equal(mpf_read_file(d->path, &buf, &len, &err), MPF_ERR_IO);
    assert_message_has(&err, " is a directory");
    assert_null(buf);
}

static void test_read_file_refuses_over_256_mib(void **state)
{
    tmp_dir *d = *state;
    char p[512];
    path_in(d, "huge.img", p, sizeof p);
    int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    assert_true(fd >= 0);
    assert_int_equal(ftruncate(fd, (off_t)256 * 1024 * 1024 + 1), 0); /* sparse: instant */
    close(fd);
    uint8_t *buf = NULL;
    size_t len = 0;
    mpf_error err = {0};
    assert_int_equal(mpf_read_file(p, &buf, &len, &err), MPF_ERR_INPUT);
    assert_message_has(&err, "huge.img: 268435457 bytes is larger than 256 MiB");
    assert_null(buf);
    unlink(p);
}

#ifndef _WIN32
/* Not regular files: refused by what the path is, before any open that
 * could wait (a FIFO without a writer) or read that would not end. */
static void test_read_file_refuses_non_regular(void **state)
{
    tmp_dir *d = *state;
    char p[512];
    uint8_t *buf = NULL;
    size_t len = 0;
    mpf_error err = {0};
    path_in(d, "fifo.dfu", p, sizeof p);
    assert_int_equal(mkfifo(p, 0600), 0);
    assert_int_equal(mpf_read_file(p, &buf, &len, &err), MPF_ERR_IO);
    assert_message_has(&err, "/fifo.dfu is not a regular file (a pipe or socket)");
    assert_null(buf);
    unlink(p);
    const char *devices[] = {"/dev/zero", "/dev/null"};
    for (size_t i = 0; i < 2; i++) {
        assert_int_equal(mpf_read_file(devices[i], &buf, &len, &err), MPF_ERR_IO);
        assert_message_has(&err, " is a device (a serial port?), not a regular file; give the firmware file");
        assert_int_equal(err.reason, MPF_REASON_DEVICE_FILE);
        assert_int_equal(strncmp(err.message, devices[i], strlen(devices[i])), 0);
        assert_null(buf);
        assert_int_equal(len, 0);
    }
}
#endif

/* ---- mpf_write_file_atomic ---------------------------------------------- */

static void test_write_file_atomic(void **state)
{
    tmp_dir *d = *state;
    size_t before = count_entries(d);
    char p[512];
    path_in(d, "out.dfu", p, sizeof p);
    mpf_error err = {0};
    assert_int_equal(mpf_write_file_atomic(p, "first version", 13, &err), MPF_OK);
    assert_int_equal(mpf_write_file_atomic(p, "second", 6, &err), MPF_OK);
    uint8_t *buf = NULL;
    size_t len = 0;
    assert_int_equal(mpf_read_file(p, &buf, &len, &err), MPF_OK);
    assert_int_equal(len, 6);
    assert_memory_equal(buf, "second", 6);
    free(buf);
    assert_int_equal(count_entries(d), before + 1); /* no temporary left behind */

    /* The rename fails (a directory sits at the name): the temporary goes. */
    char sub[512];
    path_in(d, "taken", sub, sizeof sub);
    assert_int_equal(tos_mkdir(sub), 0);
    size_t with_dir = count_entries(d);
    assert_int_equal(mpf_write_file_atomic(sub, "data", 4, &err), MPF_ERR_IO);
    assert_message_has(&err, "cannot rename ");
#ifdef _WIN32
    assert_message_has(&err, "/taken: Permission denied"); /* MoveFileExW onto a folder */
#else
    assert_message_has(&err, "/taken: Is a directory");
#endif
    assert_int_equal(count_entries(d), with_dir);
    rmdir(sub);

    path_in(d, "no/such/dir/out.bin", p, sizeof p);
    assert_int_equal(mpf_write_file_atomic(p, "data", 4, &err), MPF_ERR_IO);
    assert_message_has(&err, "cannot create a temporary file next to ");
    assert_message_has(&err, "no/such/dir/out.bin: No such file or directory");
}

/* ---- mpf_load_file ------------------------------------------------------ */

static mpf_err load_spec(const char *spec, const mpf_load_options *opt, mpf_image *img, mpf_format *f,
                         mpf_error *err)
{
    return mpf_load_file(img, spec, opt, f, err);
}

static void test_load_file_address_prefix(void **state)
{
    tmp_dir *d = *state;
    static const uint8_t data[6] = {0xA, 0xB, 0xC, 0xD, 0xE, 0xF};
    put_file(d, "fw.bin", data, sizeof data);
#ifdef _WIN32
    put_file(d, "a.bin", data, 2); /* a colon in a name is a drive or a stream here */
#else
    put_file(d, "a:b.bin", data, 2);
#endif
    char spec[600];
    mpf_image img;
    mpf_image_init(&img);
    mpf_error err = {0};
    mpf_format f = MPF_FORMAT_UNKNOWN;
    mpf_load_options opt = {.has_address = 1, .address = 0x08000000u, .alt = 2};

    /* The explicit address wins over opt->address; opt->alt still applies. */
    snprintf(spec, sizeof spec, "0x08020000:%s/fw.bin", d->path);
    assert_int_equal(load_spec(spec, &opt, &img, &f, &err), MPF_OK);
    assert_int_equal(f, MPF_FORMAT_BIN);
    assert_int_equal(img.segments[0].address, 0x08020000u);
    assert_int_equal(img.segments[0].alt, 2);
    assert_memory_equal(img.segments[0].data, data, 6);
    assert_non_null(strstr(img.segments[0].source, "/fw.bin"));
    assert_null(strstr(img.segments[0].source, "0x08020000"));

    /* Decimal works too. */
    snprintf(spec, sizeof spec, "134250496:%s/fw.bin", d->path);
    assert_int_equal(load_spec(spec, NULL, &img, &f, &err), MPF_OK);
    assert_int_equal(img.segments[1].address, 134250496u);

    /* No prefix: opt->address. */
    snprintf(spec, sizeof spec, "%s/fw.bin", d->path);
    assert_int_equal(load_spec(spec, &opt, &img, &f, &err), MPF_OK);
    assert_int_equal(img.segments[2].address, 0x08000000u);

    /* No prefix, no address. */
    assert_int_equal(load_spec(spec, NULL, &img, &f, &err), MPF_ERR_INPUT);
    assert_message_has(&err, "/fw.bin: a raw binary file has no load address; give it one");

    /* A prefix that is not a whole number is part of the file name. */
    char cwd[512];
    assert_non_null(getcwd(cwd, sizeof cwd));
    assert_int_equal(chdir(d->path), 0);
#ifdef _WIN32
    /* "a:b.bin" is b.bin on drive A: here; the folder is on a drive too, so
     * the specs above were "0x08020000:C:\...\fw.bin" and "C:\...\fw.bin". */
    assert_int_equal(d->path[1], ':');
    snprintf(spec, sizeof spec, "%c:a:b.bin", d->path[0]);
    assert_int_equal(load_spec(spec, &opt, &img, &f, &err), MPF_ERR_IO);
    assert_message_has(&err, "cannot open ");
    assert_int_equal(load_spec("a.bin", &opt, &img, &f, &err), MPF_OK);
#else
    assert_int_equal(load_spec("a:b.bin", &opt, &img, &f, &err), MPF_OK);
#endif
    assert_int_equal(img.segments[3].size, 2);
    assert_int_equal(img.segments[3].address, 0x08000000u);
    assert_int_equal(load_spec("C:\\fw.bin", &opt, &img, &f, &err), MPF_ERR_IO);
    assert_message_has(&err, "cannot open C:\\fw.bin: No such file or directory");
    assert_int_equal(load_spec("0x8000000z:fw.bin", &opt, &img, &f, &err), MPF_ERR_IO);
    assert_message_has(&err, "cannot open 0x8000000z:fw.bin");
    assert_int_equal(chdir(cwd), 0);

    snprintf(spec, sizeof spec, "0x100000000:%s/fw.bin", d->path);
    assert_int_equal(load_spec(spec, &opt, &img, &f, &err), MPF_ERR_USAGE);
    assert_message_has(&err, "the address 0x100000000 is past 0xFFFFFFFF");
    assert_int_equal(load_spec("0x08000000:", &opt, &img, &f, &err), MPF_ERR_USAGE);
    assert_message_has(&err, "no file name after the address");
    assert_int_equal(img.count, 4);
    mpf_image_free(&img);
}

static void test_load_file_refuses_address_for_files_with_their_own(void **state)
{
    tmp_dir *d = *state;
    size_t len = 0;
    uint8_t *dfuse = small_dfuse(&len);
    put_file(d, "fw.dfu", dfuse, len);
    static const char hex[] = ":040000001122334452\n:00000001FF\n";
    put_file(d, "fw.hex", hex, strlen(hex));
    static const uint8_t elf[52] = {0x7F, 'E', 'L', 'F', 1, 1, 1};
    put_file(d, "fw.elf", elf, sizeof elf);
    char spec[600];
    mpf_image img;
    mpf_image_init(&img);
    mpf_error err = {0};
    mpf_format f = MPF_FORMAT_UNKNOWN;

    snprintf(spec, sizeof spec, "0x08000000:%s/fw.dfu", d->path);
    assert_int_equal(load_spec(spec, NULL, &img, &f, &err), MPF_ERR_INPUT);
    assert_int_equal(f, MPF_FORMAT_DFUSE);
    assert_message_has(&err, "/fw.dfu is a DfuSe file, which carries its own addresses; drop the \"0x08000000:\" in front of it");
    snprintf(spec, sizeof spec, "0x08000000:%s/fw.hex", d->path);
    assert_int_equal(load_spec(spec, NULL, &img, &f, &err), MPF_ERR_INPUT);
    assert_message_has(&err, "/fw.hex is an Intel HEX file, which carries its own addresses");
    snprintf(spec, sizeof spec, "0x08000000:%s/fw.elf", d->path);
    assert_int_equal(load_spec(spec, NULL, &img, &f, &err), MPF_ERR_INPUT);
    assert_message_has(&err, "/fw.elf is an ELF file, which carries its own addresses");
    assert_int_equal(img.count, 0);

    /* Without the prefix the DfuSe file loads. */
    snprintf(spec, sizeof spec, "%s/fw.dfu", d->path);
    assert_int_equal(load_spec(spec, NULL, &img, &f, &err), MPF_OK);
    assert_int_equal(f, MPF_FORMAT_DFUSE);
    assert_int_equal(img.count, 1);
    assert_string_equal(img.segments[0].source + strlen(img.segments[0].source) - strlen("/fw.dfu: target 0 element 0"),
                        "/fw.dfu: target 0 element 0");
    mpf_image_free(&img);
    free(dfuse);
}

static void test_load_file_damaged_hex_is_never_raw(void **state)
{
    tmp_dir *d = *state;
    static const char hex[] = ":0400000011223G4452\r:00000001FF\r";
    put_file(d, "bad.hex", hex, strlen(hex));
    char spec[600], expected[700];
    mpf_image img;
    mpf_image_init(&img);
    mpf_error err = {0};
    mpf_format f = MPF_FORMAT_UNKNOWN;
    snprintf(spec, sizeof spec, "%s/bad.hex", d->path);
    assert_int_equal(load_spec(spec, NULL, &img, &f, &err), MPF_ERR_INPUT);
    assert_int_equal(f, MPF_FORMAT_IHEX);
    snprintf(expected, sizeof expected, "%s/bad.hex line 1: character 0x47 at column 15 is not a hex digit", d->path);
    assert_string_equal(err.message, expected);
    /* With an address in front it used to be flashed as raw text. */
    snprintf(spec, sizeof spec, "0x08000000:%s/bad.hex", d->path);
    assert_int_equal(load_spec(spec, NULL, &img, &f, &err), MPF_ERR_INPUT);
    assert_message_has(&err, "/bad.hex is an Intel HEX file, which carries its own addresses");
    assert_int_equal(img.count, 0);
    mpf_image_free(&img);
}

/* Loading d/name with prefix in front ("" or "ADDR:") must fail with
 * exactly "<path>: <says>" and add nothing. */
static void expect_file_refused(const tmp_dir *d, const char *prefix, const char *name, const char *says)
{
    char spec[600], expected[1200];
    snprintf(spec, sizeof spec, "%s%s/%s", prefix, d->path, name);
    snprintf(expected, sizeof expected, "%s/%s: %s", d->path, name, says);
    mpf_image img;
    mpf_image_init(&img);
    mpf_error err = {0};
    assert_int_equal(mpf_load_file(&img, spec, NULL, NULL, &err), MPF_ERR_INPUT);
    assert_string_equal(err.message, expected);
    assert_int_equal(img.count, 0);
    mpf_image_free(&img);
}

#define TOO_SHORT(n) \
    "the file is only " n ": too short to be a DfuSe, DFU, ELF or Intel HEX file, and as a raw binary it has " \
    "no load address; give it one (STM32 flash starts at 0x08000000)"
#define ONLY_WHITESPACE(n) \
    "the file holds only whitespace (" n "): no Intel HEX records and no firmware; check the file name, or " \
    "that the build wrote it"
#define EMPTY "the file is empty (0 bytes): nothing to flash; check the file name, or that the build wrote it"

/* Files too small to be firmware say what they are, not that a raw binary
 * lacks an address. */
static void test_load_file_empty_and_tiny_files(void **state)
{
    tmp_dir *d = *state;
    static const struct {
        const char *name, *content, *prefix, *says;
    } cases[] = {
        {"empty.bin", "", "", EMPTY},
        /* An address says "raw binary", but there is still nothing to flash. */
        {"empty.bin", "", "0x08000000:", EMPTY},
        {"one.bin", "\x01", "", TOO_SHORT("1 byte")},
        {"three.hex", ":00", "", TOO_SHORT("3 bytes")},
        {"blank.hex", " \r\n\t\r\n", "", ONLY_WHITESPACE("6 bytes")},
        {"newline.hex", "\n", "", ONLY_WHITESPACE("1 byte")},
        /* Four bytes could be a word of firmware: the raw binary's own message. */
        {"four.bin", "DfuS", "",
         "a raw binary file has no load address; give it one (STM32 flash starts at 0x08000000)"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        put_file(d, cases[i].name, cases[i].content, strlen(cases[i].content));
        expect_file_refused(d, cases[i].prefix, cases[i].name, cases[i].says);
    }

    /* Given an address, a tiny file is the raw binary it is said to be. */
    char spec[600];
    snprintf(spec, sizeof spec, "0x08000000:%s/one.bin", d->path);
    mpf_image img;
    mpf_image_init(&img);
    mpf_error err = {0};
    mpf_format f = MPF_FORMAT_UNKNOWN;
    assert_int_equal(mpf_load_file(&img, spec, NULL, &f, &err), MPF_OK);
    assert_int_equal(f, MPF_FORMAT_BIN);
    assert_segment_holds(&img.segments[0], 0x08000000u, (const uint8_t *)"\x01", 1);
    mpf_image_free(&img);
}

#define MISNAMED(what, looks)                                                                                  \
    "not " what " (" looks "); check that it was downloaded or built whole (a saved web page?), or give an "  \
    "address (0x08000000:FILE) to flash it as a raw binary"

/* A name that promises a format, content that is none: refused, never taken
 * as a raw binary. Content of another known format is loaded as what it is,
 * and an address in front says "raw binary" as always. */
static void test_load_file_misnamed(void **state)
{
    tmp_dir *d = *state;
    static const struct {
        const char *name, *content, *says;
        size_t len; /* 0: strlen(content) */
    } cases[] = {
        {"page.dfu", "<!DOCTYPE html>\n<html><body>404 Not Found</body></html>\n",
         MISNAMED("a DFU file", "looks like HTML"), 0},
        {"PAGE.DFU", "\xEF\xBB\xBF\n  <html lang=\"en\">\n", MISNAMED("a DFU file", "looks like HTML"), 0},
        {"notes.dfu", "firmware goes here\n", MISNAMED("a DFU file", "looks like text"), 0},
        {"notes.hex", "hello, world\r\n", MISNAMED("an Intel HEX file", "looks like text"), 0},
        {"data.elf", "\x00\x10\x00\x20\x01\x02\x00\x08", MISNAMED("an ELF file", "binary data of no known format"), 8},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        put_file(d, cases[i].name, cases[i].content, cases[i].len ? cases[i].len : strlen(cases[i].content));
        expect_file_refused(d, "", cases[i].name, cases[i].says);
    }

    char spec[600];
    mpf_image img;
    mpf_image_init(&img);
    mpf_error err = {0};
    mpf_format f = MPF_FORMAT_UNKNOWN;
    /* The refusal does not depend on -s giving an address (that is for raw binaries). */
    mpf_load_options lo = {0};
    lo.has_address = 1;
    lo.address = 0x08000000u;
    snprintf(spec, sizeof spec, "%s/page.dfu", d->path);
    assert_int_equal(mpf_load_file(&img, spec, &lo, &f, &err), MPF_ERR_INPUT);
    assert_int_equal(f, MPF_FORMAT_BIN);
    assert_int_equal(img.count, 0);
    /* ADDR:FILE: the user says it is a raw binary. */
    snprintf(spec, sizeof spec, "0x08000000:%s/data.elf", d->path);
    assert_int_equal(mpf_load_file(&img, spec, NULL, &f, &err), MPF_OK);
    assert_segment_holds(&img.segments[0], 0x08000000u, (const uint8_t *)"\x00\x10\x00\x20\x01\x02\x00\x08", 8);
    mpf_image_free(&img);
    /* A .dfu holding Intel HEX is loaded as HEX: the content decides. */
    mpf_image_init(&img);
    static const char hex[] = ":040000001122334452\n:00000001FF\n";
    put_file(d, "really-hex.dfu", hex, strlen(hex));
    snprintf(spec, sizeof spec, "%s/really-hex.dfu", d->path);
    assert_int_equal(mpf_load_file(&img, spec, NULL, &f, &err), MPF_OK);
    assert_int_equal(f, MPF_FORMAT_IHEX);
    mpf_image_free(&img);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_detect_format),
        cmocka_unit_test(test_load_buffer_dispatch),
        cmocka_unit_test(test_load_buffer_damaged_hex_gets_the_hex_error),
        cmocka_unit_test(test_load_buffer_owned_dispatch),
        cmocka_unit_test(test_read_file),
        cmocka_unit_test(test_read_file_refuses_over_256_mib),
#ifndef _WIN32
        cmocka_unit_test(test_read_file_refuses_non_regular),
#endif
        cmocka_unit_test(test_write_file_atomic),
        cmocka_unit_test(test_load_file_address_prefix),
        cmocka_unit_test(test_load_file_refuses_address_for_files_with_their_own),
        cmocka_unit_test(test_load_file_damaged_hex_is_never_raw),
        cmocka_unit_test(test_load_file_empty_and_tiny_files),
        cmocka_unit_test(test_load_file_misnamed),
    };
    return cmocka_run_group_tests(tests, make_dir, remove_dir);
}
