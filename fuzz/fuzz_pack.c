/* Fuzz mboot's packed firmware on both sides: the host's recognition of a
 * firmware.pack.dfu (mpf_pack_detect) and its deploy onto the virtual
 * packing mboot, which assembles whatever arrives into chunks (a device-side
 * parser of untrusted bytes), and the virtual mboot's raw-deflate decoder.
 * First byte 0: the rest is a deflate stream; else the rest is a file.
 * Invariants: detection agrees with the segments it describes; inflate never
 * claims more than its buffer; nothing crashes or leaks. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mpflash/engine.h"
#include "mpflash/pack.h"
#include "mpflash/sim.h"
#include "sim/sim_internal.h"

static void check(int ok)
{
    if (!ok)
        abort();
}

static void fuzz_inflate(const uint8_t *data, size_t size)
{
    static uint8_t out[4096];
    size_t n = 12345;
    int rc = sim_inflate(data, size, out, sizeof out, &n);
    check(rc == 0 ? n <= sizeof out : n == 0);
}

static void fuzz_file(const uint8_t *data, size_t size)
{
    mpf_image img;
    mpf_image_init(&img);
    mpf_load_options lo;
    memset(&lo, 0, sizeof lo);
    mpf_error err;
    mpf_format f;
    if (mpf_load_buffer(&img, data, size, "fuzz.pack.dfu", &lo, &f, &err) != MPF_OK) {
        mpf_image_free(&img);
        return;
    }
    mpf_pack p;
    int is = mpf_pack_detect(&img, &p, &err);
    check(is == 0 || is == 1);
    if (is == 1) {
        check(p.count == img.count && p.chunks[p.count - 1].format == MPF_PACK_FULL_SIG);
        for (size_t i = 0; i < p.count; i++)
            check(p.chunks[i].address == img.segments[p.chunks[i].segment].address);
        mpf_sim *sim = NULL;
        if (mpf_sim_new("mboot+packing", &sim, &err) == MPF_OK) {
            mpf_sim_set_timing(sim, 0);
            mpf_transport t;
            mpf_sim_transport(sim, &t);
            mpf_dfu *d = NULL;
            if (mpf_dfu_new(&t, NULL, &d, &err) == MPF_OK)
                (void)mpf_dfu_deploy_pack(d, &img, &p, 1, &err);
            mpf_dfu_close(d);
            mpf_sim_free(sim);
        }
        mpf_pack_free(&p);
    } else {
        check(p.count == 0 && p.chunks == NULL);
    }
    mpf_image_free(&img);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    if (data[0] == 0)
        fuzz_inflate(data + 1, size - 1);
    else
        fuzz_file(data + 1, size - 1);
    return 0;
}
