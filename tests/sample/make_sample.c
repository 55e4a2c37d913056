/* Writes the sample firmware the README flashes onto the virtual board:
 * a deterministic MicroPython-shaped image as OUTDIR/firmware.dfu (through
 * the library's DfuSe writer), plus its two pieces as raw binaries, named
 * as MicroPython's stm32 build names them (firmware0.bin at 0x08000000,
 * firmware1.bin at 0x08020000). Usage: make_sample OUTDIR */
#include <stdio.h>
#include <stdlib.h>

#include "fixtures.h"
#include "mpflash/image.h"

static int write_or_report(const char *dir, const char *name, const void *buf, size_t len)
{
    char path[4096];
    if (snprintf(path, sizeof path, "%s/%s", dir, name) >= (int)sizeof path) {
        fprintf(stderr, "make_sample: output path too long: %s/%s\n", dir, name);
        return 1;
    }
    mpf_error err = {0};
    if (mpf_write_file_atomic(path, buf, len, &err) != MPF_OK) {
        fprintf(stderr, "make_sample: %s\n", err.message);
        return 1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: make_sample OUTDIR\n");
        return 1;
    }
    mpf_image img;
    mpf_image_init(&img);
    if (fixture_micropython_image(&img, 0, FIXTURE_SAMPLE_SEED) != 0 || img.count != 2) {
        fprintf(stderr, "make_sample: could not build the fixture image\n");
        mpf_image_free(&img);
        return 1;
    }
    mpf_error err = {0};
    uint8_t *dfu = NULL;
    size_t dfu_len = 0;
    if (mpf_write_dfuse(&img, NULL, &dfu, &dfu_len, &err) != MPF_OK) {
        fprintf(stderr, "make_sample: %s\n", err.message);
        mpf_image_free(&img);
        return 1;
    }
    int failed = write_or_report(argv[1], "firmware.dfu", dfu, dfu_len);
    failed |= write_or_report(argv[1], "firmware0.bin", img.segments[0].data, img.segments[0].size);
    failed |= write_or_report(argv[1], "firmware1.bin", img.segments[1].data, img.segments[1].size);
    free(dfu);
    mpf_image_free(&img);
    return failed;
}
