/* Flash a firmware file onto mpflash's virtual STM32F401 through the public
 * API of libmpflash, and check the result byte for byte: the shape of any
 * program that embeds the library (swap the virtual board for
 * mpf_usb_open_matching to reach a real one).
 *
 *   cc flash_sim.c $(pkg-config --cflags --libs mpflash) -o flash_sim
 *   ./flash_sim firmware.dfu
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mpflash/mpflash.h>

static void on_progress(void *user, mpf_phase phase, uint64_t done, uint64_t total)
{
    (void)user;
    if (done == total)
        printf("%s: %" PRIu64 "/%" PRIu64 "\n", mpf_phase_name(phase), done, total);
}

static void on_log(void *user, mpf_log_level level, const char *message)
{
    (void)user;
    if (level <= MPF_LOG_WARN)
        fprintf(stderr, "flash_sim: %s\n", message);
}

/* Every image byte must be on the board. */
static int check_board(const mpf_sim *sim, const mpf_image *img)
{
    for (size_t i = 0; i < img->count; i++) {
        const mpf_segment *s = &img->segments[i];
        uint8_t *got = malloc(s->size);
        int same = got && mpf_sim_peek(sim, s->address, got, s->size) == 0 &&
                   memcmp(got, s->data, s->size) == 0;
        free(got);
        if (!same) {
            fprintf(stderr, "flash_sim: 0x%08" PRIX32 ": board differs from the image\n", s->address);
            return 1;
        }
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: flash_sim FIRMWARE (.dfu, .hex, .elf, or ADDR:FILE.bin)\n");
        return 2;
    }
    printf("libmpflash %s (built with headers %s)\n", mpf_version(), MPFLASH_VERSION);

    mpf_error err = {0};
    mpf_image img;
    mpf_image_init(&img);
    mpf_sim *sim = NULL;
    mpf_transport t = {0};
    mpf_plan plan = {0};
    mpf_dfu *dfu = NULL;
    mpf_callbacks cb = {on_progress, on_log, NULL};
    int failed = 1;

    if (mpf_load_file(&img, argv[1], NULL, NULL, &err) || mpf_image_normalize(&img, &err))
        goto out;
    if (mpf_sim_new("f401", &sim, &err))
        goto out;
    mpf_sim_transport(sim, &t);
    /* Every check against the device's layout happens here, before any I/O. */
    if (mpf_plan_build(&img, &t.info, NULL, &plan, &err))
        goto out;
    printf("plan: %zu sectors to erase, %" PRIu64 " bytes to write\n", plan.erase_count,
           plan.write_bytes);
    /* The default flash options skip sectors that already hold the image. */
    if (mpf_dfu_new(&t, &cb, &dfu, &err) || mpf_dfu_flash_ex(dfu, &plan, NULL, &err))
        goto out;
    failed = check_board(sim, &img);
    if (!failed)
        printf("done: %zu bytes on the board, byte for byte\n", mpf_image_total_size(&img));
out:
    if (err.code != MPF_OK)
        fprintf(stderr, "flash_sim: %s (%s)\n", err.message, mpf_strerror(err.code));
    /* Each object is released by the one call named for it, NULL or not. */
    mpf_dfu_close(dfu);
    mpf_transport_close(&t);
    mpf_plan_free(&plan);
    mpf_sim_free(sim);
    mpf_image_free(&img);
    return failed;
}
