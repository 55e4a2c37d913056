/* mboot's packed firmware (firmware.pack.dfu) against the virtual packing
 * mboot: recognised from its content, sent as mboot expects (elements in
 * file order from their own addresses, nothing erased, read or skipped),
 * decoded by the device byte for byte, and stopped with mboot's own words
 * when a chunk's signature is wrong. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "engine_board.h"
#include "fixtures.h"
#include "mpflash/pack.h"
#include "pack_builder.h"

#define APP 0x08008000u /* mboot's APPLICATION_ADDR on an F4 */
#define SEED_OLD 0x0BADu

/* A MicroPython-shaped firmware for an mboot board: vectors at the
 * application address, text at 0x08020000. compressible: bytes from a
 * 16-symbol alphabet, so deflate has something to do. */
static void mboot_firmware(mpf_image *img, int compressible)
{
    mpf_image_init(img);
    assert_int_equal(fixture_micropython_image(img, 0, 23), 0);
    img->segments[0].address = APP;
    if (compressible)
        for (size_t i = 0; i < img->count; i++)
            for (size_t k = 8; k < img->segments[i].size; k++)
                img->segments[i].data[k] &= 0x0F;
}

typedef struct packed {
    mpf_image fw;   /* what the board must end up holding */
    mpf_image file; /* firmware.pack.dfu as loaded */
    mpf_pack pack;
    uint8_t *bytes;
    size_t len;
} packed;

static void make(packed *p, int gzip, int corrupt_chunk)
{
    memset(p, 0, sizeof *p);
    mboot_firmware(&p->fw, gzip);
    mpf_image chunks;
    assert_int_equal(pack_image(&p->fw, MPF_SIM_PACK_CHUNKSIZE, gzip, &chunks), 0);
    if (corrupt_chunk >= 0)
        chunks.segments[corrupt_chunk].data[MPF_PACK_HEADER_BYTES + 40] ^= 0x01;
    assert_int_equal(pack_file(&chunks, &p->bytes, &p->len), 0);
    mpf_image_free(&chunks);
    assert_int_equal(pack_load(p->bytes, p->len, &p->file), 0);
    mpf_error e;
    assert_int_equal(mpf_pack_detect(&p->file, &p->pack, &e), 1);
}

static void unmake(packed *p)
{
    mpf_pack_free(&p->pack);
    mpf_image_free(&p->file);
    mpf_image_free(&p->fw);
    free(p->bytes);
}

static mpf_err deploy(board *b, const packed *p)
{
    mpf_sim_transport(b->sim, &b->raw);
    spy_wrap(&b->spy, &b->raw, &b->t);
    mpf_err rc = mpf_dfu_open(&b->d, &b->t, &b->cb, &b->err);
    return rc == MPF_OK ? mpf_dfu_deploy_pack(&b->d, &p->file, &p->pack, 1, &b->err) : rc;
}

/* ---- recognising ---------------------------------------------------------- */

static void test_a_pack_is_recognised_from_its_chunks(void **state)
{
    (void)state;
    packed p;
    make(&p, 0, -1);
    /* 1088 bytes of vectors: 1 chunk; 298 KiB of text: 19 chunks of 16 KiB;
     * then the full signature, past the last chunk. */
    assert_int_equal(p.pack.count, 1 + 19 + 1);
    assert_int_equal(p.pack.firmware_chunks, 20);
    assert_false(p.pack.gzip);
    assert_int_equal(p.pack.regions, 2);
    assert_int_equal(p.pack.signed_bytes, mpf_image_total_size(&p.fw));
    assert_int_equal(p.pack.chunks[0].address, APP);
    assert_int_equal(p.pack.chunks[0].format, MPF_PACK_FW_RAW);
    assert_int_equal(p.pack.chunks[1].address, 0x08020000u);
    assert_int_equal(p.pack.chunks[2].address, 0x08020000u + MPF_SIM_PACK_CHUNKSIZE);
    const mpf_pack_chunk *last = &p.pack.chunks[p.pack.count - 1];
    assert_int_equal(last->format, MPF_PACK_FULL_SIG);
    assert_int_equal(last->address, p.pack.chunks[p.pack.count - 2].address + MPF_SIM_PACK_CHUNKSIZE);
    /* Consecutive elements overlap: why the image is never merged. */
    const mpf_segment *s1 = &p.file.segments[1], *s2 = &p.file.segments[2];
    assert_true(s1->address + s1->size > s2->address);
    mpf_error e;
    assert_int_not_equal(mpf_image_normalize(&p.file, &e), MPF_OK);
    unmake(&p);
}

static void test_ordinary_and_damaged_files_are_not_packs(void **state)
{
    (void)state;
    mpf_image fw;
    mboot_firmware(&fw, 0);
    fw.format = MPF_FORMAT_DFUSE;
    mpf_pack pk;
    mpf_error e;
    assert_int_equal(mpf_pack_detect(&fw, &pk, &e), 0);
    assert_int_equal(pk.count, 0);
    mpf_image_free(&fw);

    packed p;
    make(&p, 0, -1);
    /* A header whose address disagrees with its element. */
    p.file.segments[3].data[4] ^= 0x10;
    assert_int_equal(mpf_pack_detect(&p.file, &pk, &e), 0);
    p.file.segments[3].data[4] ^= 0x10;
    /* No full signature last. */
    p.file.count--;
    assert_int_equal(mpf_pack_detect(&p.file, &pk, &e), 0);
    p.file.count++;
    assert_int_equal(mpf_pack_detect(&p.file, &pk, &e), 1);
    mpf_pack_free(&pk);
    unmake(&p);
}

/* ---- deploying ---------------------------------------------------------------- */

static void assert_deployed_as_mboot_expects(const board *b, const packed *p)
{
    /* The decoded firmware, byte for byte, and what was around it erased
     * only where mboot erased it itself. */
    assert_true(board_has_image(b, &p->fw));
    assert_int_equal(board_ops(b, MPF_SIM_OP_ERASE), 0);
    assert_int_equal(board_ops(b, MPF_SIM_OP_MASS_ERASE), 0);
    assert_int_equal(board_ops(b, MPF_SIM_OP_UPLOAD), 0);
    /* One pointer per element, in file order, then the leave's. */
    assert_int_equal(board_ops(b, MPF_SIM_OP_SET_ADDRESS), p->pack.count + 1);
    for (size_t i = 0; i < p->pack.count; i++)
        assert_int_equal(board_nth(b, MPF_SIM_OP_SET_ADDRESS, (unsigned)i + 1)->address,
                         p->pack.chunks[i].address);
    size_t blocks = 0;
    for (size_t i = 0; i < p->file.count; i++)
        blocks += (p->file.segments[i].size + 2047) / 2048;
    assert_int_equal(board_ops(b, MPF_SIM_OP_WRITE), blocks);
    board_log log;
    board_log_summary(b->sim, 0, &log);
    assert_int_equal(log.bad_block_number, 0);
    assert_int_equal(b->d.stats.bytes_down, p->pack.file_bytes);
    uint32_t jump = 0;
    assert_true(mpf_sim_has_left(b->sim, &jump));
}

static void test_raw_pack_deploys_byte_exact(void **state)
{
    board_case *c = *state;
    board *b = &c->b;
    board_fill(b, 0x08008000, 0x100000 - 0x8000, SEED_OLD);
    packed p;
    make(&p, 0, -1);
    assert_int_equal(deploy(b, &p), MPF_OK);
    assert_deployed_as_mboot_expects(b, &p);
    /* mboot erased the sectors it wrote, and only those: the filesystem's
     * 16 KiB sectors at 0x0800C000.. keep their bytes. */
    assert_true(board_holds_fill(b, 0x0800C000, 0x10000, SEED_OLD) ||
                mpf_sim_erase_at(b->sim, 0) == 0x08008000);
    assert_int_equal(mpf_sim_erase_at(b->sim, 0), 0x08008000u);
    assert_int_equal(mpf_sim_erase_count(b->sim), 1 + 3); /* 16 KiB; 128 KiB x 3 for 298 KiB */
    unmake(&p);
}

static void test_gzip_pack_deploys_byte_exact(void **state)
{
    board_case *c = *state;
    board *b = &c->b;
    board_fill(b, 0x08008000, 0x100000 - 0x8000, SEED_OLD);
    packed p;
    make(&p, 1, -1);
    assert_true(p.pack.gzip);
    assert_true(p.pack.file_bytes < mpf_image_total_size(&p.fw)); /* it did compress */
    assert_int_equal(deploy(b, &p), MPF_OK);
    assert_deployed_as_mboot_expects(b, &p);
    unmake(&p);
}

static void test_bad_signature_stops_with_mboots_words(void **state)
{
    board_case *c = *state;
    board *b = &c->b;
    packed p;
    make(&p, 0, 3);
    assert_int_equal(deploy(b, &p), MPF_ERR_DEVICE_STATUS);
    assert_non_null(strstr(b->err.message, "chunk 4 of 21"));
    assert_non_null(strstr(b->err.message, "errVERIFY"));
    assert_non_null(strstr(b->err.message, "the device says: \"Invalid signature in file\""));
    /* Nothing after the refused chunk; the firmware cannot start: mboot
     * holds back its first 8 bytes until the whole firmware checks out. */
    size_t last = mpf_sim_request_count(b->sim) - 1;
    const mpf_sim_request *r = mpf_sim_request_at(b->sim, last);
    assert_int_equal(r->op, MPF_SIM_OP_GETSTATUS);
    assert_int_equal(board_ops(b, MPF_SIM_OP_SET_ADDRESS), 4);
    uint8_t head[8], blank[8];
    memset(blank, 0xFF, sizeof blank);
    assert_int_equal(mpf_sim_peek(b->sim, APP, head, sizeof head), 0);
    assert_memory_equal(head, blank, sizeof head);
    assert_false(mpf_sim_has_left(b->sim, NULL));
    unmake(&p);
}

static void test_packing_mboot_refuses_reads_and_plain_firmware(void **state)
{
    board_case *c = *state;
    board *b = &c->b;
    mpf_sim_transport(b->sim, &b->raw);
    spy_wrap(&b->spy, &b->raw, &b->t);
    assert_int_equal(mpf_dfu_open(&b->d, &b->t, &b->cb, &b->err), MPF_OK);
    uint8_t buf[64];
    assert_int_equal(mpf_dfu_read(&b->d, 0, APP, buf, sizeof buf, &b->err), MPF_ERR_DEVICE_STATUS);
    assert_non_null(strstr(b->err.message, "errFILE"));
    assert_non_null(strstr(b->err.message, "Read support disabled on encrypted bootloader"));
    /* An ordinary firmware.dfu is not a chunk: its first word is a stack
     * pointer, not header version 1. */
    mpf_image fw;
    mboot_firmware(&fw, 0);
    mpf_plan_options po;
    mpf_plan_options_default(&po);
    po.verify = 0;
    assert_int_equal(board_flash(b, &fw, &po), MPF_ERR_DEVICE_STATUS);
    assert_non_null(strstr(b->err.message, "errFILE"));
    assert_non_null(strstr(b->err.message, "Invalid signature in file"));
    mpf_image_free(&fw);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_pack_is_recognised_from_its_chunks),
        cmocka_unit_test(test_ordinary_and_damaged_files_are_not_packs),
        BOARD_TEST("mboot+packing", test_raw_pack_deploys_byte_exact),
        BOARD_TEST("mboot+packing", test_gzip_pack_deploys_byte_exact),
        BOARD_TEST("mboot+packing", test_bad_signature_stops_with_mboots_words),
        BOARD_TEST("mboot+packing", test_packing_mboot_refuses_reads_and_plain_firmware),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
