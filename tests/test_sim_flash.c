/* The virtual bootloader's memories: erase, program, read back; bad
 * addresses; read and write protection; option bytes; OTP; mboot's limits. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "test_sim_helpers.h"

#define K 1024u
#define ST_DNBUSY MPF_DFU_STATE_DNBUSY

static int all_ff(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (p[i] != 0xFF)
            return 0;
    }
    return 1;
}

/* Read len bytes from address via DfuSe UPLOAD in transfer-size blocks. */
static void rom_read(simt *s, uint32_t address, uint8_t *buf, size_t len)
{
    rom_set_address(s, address);
    assert_int_equal(t_abort(s), MPF_OK);
    for (uint16_t block = 2; len > 0; block++) {
        uint16_t n = len > 2048 ? 2048 : (uint16_t)len;
        size_t got = 0;
        assert_int_equal(t_upload(s, block, buf, n, &got), MPF_OK);
        assert_int_equal(got, n);
        buf += n;
        len -= n;
    }
    assert_int_equal(t_abort(s), MPF_OK);
}

static void test_erase_write_read_back(void **state)
{
    (void)state;
    simt s;
    simt_open(&s, "f405");
    /* start from non-erased flash so the erase is visible */
    static uint8_t junk[128 * K];
    memset(junk, 0x00, sizeof junk);
    assert_int_equal(mpf_sim_poke(s.sim, 0x08020000, junk, sizeof junk), 0);

    rom_erase(&s, 0x08020000 + 5000, 128 * K); /* any address in the sector */
    assert_int_equal(mpf_sim_erase_count(s.sim), 1);
    assert_int_equal(mpf_sim_erase_at(s.sim, 0), 0x08020000);

    static uint8_t image[5000];
    fill_pattern(image, sizeof image, 42);
    rom_set_address(&s, 0x08020000);
    rom_write(&s, 2, image, 2048);
    rom_write(&s, 3, image + 2048, 2048);
    rom_write(&s, 4, image + 4096, 5000 - 4096);

    static uint8_t back[6000];
    rom_read(&s, 0x08020000, back, sizeof back);
    assert_memory_equal(back, image, sizeof image);
    assert_true(all_ff(back + 5000, 1000));

    static uint8_t peeked[128 * K];
    assert_int_equal(mpf_sim_peek(s.sim, 0x08020000, peeked, sizeof peeked), 0);
    assert_memory_equal(peeked, image, sizeof image);
    assert_true(all_ff(peeked + 5000, sizeof peeked - 5000));
    /* the sector before it was not touched */
    uint8_t before[16];
    assert_int_equal(mpf_sim_peek(s.sim, 0x0801FFF0, before, 16), 0);
    assert_true(all_ff(before, 16));
    simt_close(&s);
}

static void test_fresh_flash_is_erased(void **state)
{
    (void)state;
    simt s;
    simt_open(&s, "f401");
    static uint8_t all[512 * K];
    assert_int_equal(mpf_sim_peek(s.sim, 0x08000000, all, sizeof all), 0);
    assert_true(all_ff(all, sizeof all));
    assert_int_equal(mpf_sim_peek(s.sim, 0x08080000, all, 1), -1);
    assert_int_equal(mpf_sim_peek(s.sim, 0x0807FFFF, all, 2), -1);
    simt_close(&s);
}

static void test_program_zero_to_one_fails(void **state)
{
    (void)state;
    simt s;
    simt_open(&s, "f405");
    uint8_t old[4] = { 0x0F, 0xFF, 0x00, 0xAA };
    assert_int_equal(mpf_sim_poke(s.sim, 0x08010000, old, 4), 0);
    rom_set_address(&s, 0x08010000);
    uint8_t newer[4] = { 0xF0, 0x3C, 0x00, 0x0A };
    assert_int_equal(t_dnload(&s, 2, newer, 4), MPF_OK);
    finish_error(&s, MPF_DFU_STATUS_ERR_PROG);
    /* the AND was applied, as real flash would be left */
    uint8_t back[4];
    assert_int_equal(mpf_sim_peek(s.sim, 0x08010000, back, 4), 0);
    static const uint8_t anded[4] = { 0x00, 0x3C, 0x00, 0x0A };
    assert_memory_equal(back, anded, 4);
    simt_close(&s);
}

/* mboot programs without checking: only a read-back catches it. */
static void test_mboot_program_mismatch_is_silent(void **state)
{
    (void)state;
    simt s;
    simt_open(&s, "mboot");
    uint8_t old = 0x00;
    assert_int_equal(mpf_sim_poke(s.sim, 0x08020000, &old, 1), 0);
    assert_int_equal(t_set_address(&s, 0x08020000), MPF_OK);
    expect_status(&s, ST_DNBUSY, 0, 0);
    expect_status(&s, MPF_DFU_STATE_DNLOAD_IDLE, 0, 0);
    uint8_t v = 0xFF;
    assert_int_equal(t_dnload(&s, 2, &v, 1), MPF_OK);
    expect_status(&s, ST_DNBUSY, 0, 0);
    expect_status(&s, MPF_DFU_STATE_DNLOAD_IDLE, 0, 0);
    uint8_t back = 1;
    assert_int_equal(mpf_sim_peek(s.sim, 0x08020000, &back, 1), 0);
    assert_int_equal(back, 0x00);
    simt_close(&s);
}

static void test_mass_erase_rom(void **state)
{
    (void)state;
    simt s;
    simt_open(&s, "f405");
    static uint8_t zeros[1024 * K];
    assert_int_equal(mpf_sim_poke(s.sim, 0x08000000, zeros, sizeof zeros), 0);
    assert_int_equal(t_cmd1(&s, MPF_DFUSE_CMD_ERASE), MPF_OK);
    assert_int_equal(mpf_sim_request_at(s.sim, 0)->op, MPF_SIM_OP_MASS_ERASE);
    finish_ok(&s, poll_ms_for(tm()->mass_erase_us), MPF_DFU_STATE_DNLOAD_IDLE);
    static const uint32_t sectors[12] = { 0x08000000, 0x08004000, 0x08008000, 0x0800C000,
                                          0x08010000, 0x08020000, 0x08040000, 0x08060000,
                                          0x08080000, 0x080A0000, 0x080C0000, 0x080E0000 };
    assert_int_equal(mpf_sim_erase_count(s.sim), 12);
    for (size_t i = 0; i < 12; i++)
        assert_int_equal(mpf_sim_erase_at(s.sim, i), sectors[i]);
    static uint8_t back[1024 * K];
    assert_int_equal(mpf_sim_peek(s.sim, 0x08000000, back, sizeof back), 0);
    assert_true(all_ff(back, sizeof back));
    simt_close(&s);
}

static void test_rom_bad_addresses(void **state)
{
    (void)state;
    simt s;
    simt_open(&s, "f405");
    /* erase just past the end of flash */
    assert_int_equal(t_erase(&s, 0x08100000), MPF_OK);
    finish_error(&s, MPF_DFU_STATUS_ERR_TARGET);
    assert_int_equal(t_clrstatus(&s), MPF_OK);
    /* a block that runs past the end of flash */
    rom_set_address(&s, 0x080FFC00);
    static uint8_t data[2048];
    memset(data, 0, sizeof data);
    assert_int_equal(t_dnload(&s, 2, data, 2048), MPF_OK);
    finish_error(&s, MPF_DFU_STATUS_ERR_TARGET);
    uint8_t back[4];
    assert_int_equal(mpf_sim_peek(s.sim, 0x080FFC00, back, 4), 0);
    assert_true(all_ff(back, 4));
    assert_int_equal(t_clrstatus(&s), MPF_OK);
    /* OTP claims `g` but is not flash: no erase */
    assert_int_equal(t_select_alt(&s, 2), MPF_OK);
    assert_int_equal(t_erase(&s, 0x1FFF7800), MPF_OK);
    finish_error(&s, MPF_DFU_STATUS_ERR_TARGET);
    assert_int_equal(mpf_sim_erase_count(s.sim), 0);
    simt_close(&s);
}

/* F401's option bytes are type `e` (readable, writable): not erasable. */
static void test_region_type_letter_respected(void **state)
{
    (void)state;
    simt s;
    simt_open(&s, "f401");
    assert_int_equal(t_select_alt(&s, 1), MPF_OK);
    assert_int_equal(t_erase(&s, 0x1FFFC000), MPF_OK);
    finish_error(&s, MPF_DFU_STATUS_ERR_TARGET);
    simt_close(&s);
}

static void test_otp_programs_once(void **state)
{
    (void)state;
    simt s;
    simt_open(&s, "f405");
    assert_int_equal(t_select_alt(&s, 2), MPF_OK);
    rom_set_address(&s, 0x1FFF7800);
    uint8_t v[4] = { 0x12, 0x34, 0x56, 0x78 };
    rom_write(&s, 2, v, 4);
    uint8_t back[4];
    assert_int_equal(mpf_sim_peek(s.sim, 0x1FFF7800, back, 4), 0);
    assert_memory_equal(back, v, 4);
    uint8_t w[4] = { 0xFF, 0x34, 0x56, 0x78 };
    assert_int_equal(t_dnload(&s, 2, w, 4), MPF_OK);
    finish_error(&s, MPF_DFU_STATUS_ERR_PROG);
    assert_int_equal(mpf_sim_peek(s.sim, 0x1FFF7800, back, 4), 0);
    assert_memory_equal(back, v, 4);
    /* the lock bytes after the 512 data bytes are part of alt 2 too */
    assert_int_equal(mpf_sim_peek(s.sim, 0x1FFF7A0F, back, 1), 0);
    assert_int_equal(mpf_sim_peek(s.sim, 0x1FFF7A10, back, 1), -1);
    simt_close(&s);
}

static void test_option_byte_write_resets(void **state)
{
    (void)state;
    simt s;
    simt_open(&s, "f405");
    assert_int_equal(t_select_alt(&s, 1), MPF_OK);
    rom_set_address(&s, 0x1FFFC000);
    uint8_t ob[16];
    assert_int_equal(mpf_sim_peek(s.sim, 0x1FFFC000, ob, 16), 0);
    ob[0] = 0x0C; /* user bits may go 1 -> 0 -> 1: option bytes are rewritten whole */
    assert_int_equal(t_dnload(&s, 2, ob, 16), MPF_OK);
    mpf_dfu_status_reply r = { 0 };
    assert_int_equal(t_getstatus(&s, &r), MPF_OK);
    assert_int_equal(r.state, MPF_DFU_STATE_DNBUSY);
    t_sleep(&s, r.poll_timeout_ms);
    assert_int_equal(mpf_sim_connected(s.sim), 0);
    assert_int_equal(t_getstatus(&s, &r), MPF_ERR_USB_DISCONNECTED);
    uint8_t back[16];
    assert_int_equal(mpf_sim_peek(s.sim, 0x1FFFC000, back, 16), 0);
    assert_memory_equal(back, ob, 16);
    mpf_sim_replug(s.sim);
    expect_status(&s, MPF_DFU_STATE_IDLE, 0, 0);
    simt_close(&s);
}

static void test_write_protected_sector(void **state)
{
    (void)state;
    simt s;
    simt_open(&s, "f405");
    uint8_t content[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
    assert_int_equal(mpf_sim_poke(s.sim, 0x08020000, content, 8), 0);
    mpf_sim_write_protect(s.sim, 0x08030000); /* sector 5 */
    uint8_t ob[16];
    assert_int_equal(mpf_sim_peek(s.sim, 0x1FFFC000, ob, 16), 0);
    assert_int_equal(ob[8], 0xDF); /* nWRP bit 5 cleared */
    assert_int_equal(ob[9], 0x0F);

    /* the erase reports success, but nothing was erased */
    rom_erase(&s, 0x08020000, 128 * K);
    assert_int_equal(mpf_sim_erase_count(s.sim), 0);
    uint8_t back[8];
    assert_int_equal(mpf_sim_peek(s.sim, 0x08020000, back, 8), 0);
    assert_memory_equal(back, content, 8);

    /* a write into it fails and changes nothing */
    rom_set_address(&s, 0x08020000);
    uint8_t zeros[8] = { 0 };
    assert_int_equal(t_dnload(&s, 2, zeros, 8), MPF_OK);
    finish_error(&s, MPF_DFU_STATUS_ERR_WRITE);
    assert_int_equal(mpf_sim_peek(s.sim, 0x08020000, back, 8), 0);
    assert_memory_equal(back, content, 8);
    assert_int_equal(t_clrstatus(&s), MPF_OK);

    /* a mass erase is refused whole, silently */
    assert_int_equal(t_cmd1(&s, MPF_DFUSE_CMD_ERASE), MPF_OK);
    finish_ok(&s, 0, MPF_DFU_STATE_DNLOAD_IDLE);
    assert_int_equal(mpf_sim_erase_count(s.sim), 0);

    /* other sectors are fine */
    rom_erase(&s, 0x08040000, 128 * K);
    assert_int_equal(mpf_sim_erase_count(s.sim), 1);
    simt_close(&s);
}

static void test_write_protected_sector_mboot(void **state)
{
    (void)state;
    simt s;
    simt_open(&s, "mboot");
    mpf_sim_write_protect(s.sim, 0x08020000);
    assert_int_equal(t_erase(&s, 0x08020000), MPF_OK);
    expect_status(&s, ST_DNBUSY, 0, 0);
    expect_status(&s, MPF_DFU_STATE_ERROR, 0, 0);
    assert_int_equal(mpf_sim_erase_count(s.sim), 0);
    simt_close(&s);
}

static void test_read_protection_and_unprotect(void **state)
{
    (void)state;
    simt s;
    simt_open(&s, "f405");
    uint8_t secret[4] = { 0xDE, 0xAD, 0xBE, 0xEF };
    assert_int_equal(mpf_sim_poke(s.sim, 0x08000000, secret, 4), 0);
    mpf_sim_write_protect(s.sim, 0x08000000);
    mpf_sim_set_read_protection(s.sim, 1);

    /* reading flash stalls with errVENDOR */
    rom_set_address(&s, 0x08000000); /* allowed under RDP */
    assert_int_equal(t_abort(&s), MPF_OK);
    uint8_t buf[16];
    size_t got = 9;
    assert_int_equal(t_upload(&s, 2, buf, 16, &got), MPF_ERR_USB_STALL);
    assert_int_equal(got, 0);
    assert_int_equal(mpf_sim_status(s.sim), MPF_DFU_STATUS_ERR_VENDOR);
    assert_int_equal(t_clrstatus(&s), MPF_OK);

    /* erase and write fail with errVENDOR */
    assert_int_equal(t_erase(&s, 0x08020000), MPF_OK);
    finish_error(&s, MPF_DFU_STATUS_ERR_VENDOR);
    assert_int_equal(t_clrstatus(&s), MPF_OK);
    assert_int_equal(t_cmd1(&s, MPF_DFUSE_CMD_ERASE), MPF_OK);
    finish_error(&s, MPF_DFU_STATUS_ERR_VENDOR);
    assert_int_equal(t_clrstatus(&s), MPF_OK);
    rom_set_address(&s, 0x08020000);
    assert_int_equal(t_dnload(&s, 2, buf, 16), MPF_OK);
    finish_error(&s, MPF_DFU_STATUS_ERR_VENDOR);
    assert_int_equal(t_clrstatus(&s), MPF_OK);

    /* the option bytes stay readable and show RDP level 1 */
    assert_int_equal(t_select_alt(&s, 1), MPF_OK);
    rom_set_address(&s, 0x1FFFC000);
    assert_int_equal(t_abort(&s), MPF_OK);
    assert_int_equal(t_upload(&s, 2, buf, 16, &got), MPF_OK);
    assert_int_equal(buf[1], 0x55);
    assert_int_equal(t_abort(&s), MPF_OK);
    assert_int_equal(t_select_alt(&s, 0), MPF_OK);

    /* 0x92: mass erase (write protection does not stop it), then reset */
    mpf_sim_clear_log(s.sim);
    assert_int_equal(t_cmd1(&s, MPF_DFUSE_CMD_READ_UNPROTECT), MPF_OK);
    assert_int_equal(mpf_sim_request_at(s.sim, 0)->op, MPF_SIM_OP_UNPROTECT);
    expect_status(&s, MPF_DFU_STATE_DNBUSY, 0, poll_ms_for(tm()->mass_erase_us));
    mpf_dfu_status_reply r = { 0 };
    uint64_t before = mpf_sim_clock_us(s.sim);
    assert_int_equal(t_getstatus(&s, &r), MPF_ERR_USB_DISCONNECTED);
    assert_int_equal(mpf_sim_clock_us(s.sim) - before, tm()->mass_erase_us);
    assert_int_equal(mpf_sim_erase_count(s.sim), 12);
    mpf_sim_replug(s.sim);
    expect_status(&s, MPF_DFU_STATE_IDLE, 0, 0);
    uint8_t head[4];
    rom_read(&s, 0x08000000, head, 4);
    assert_true(all_ff(head, 4));
    uint8_t ob[16];
    assert_int_equal(mpf_sim_peek(s.sim, 0x1FFFC000, ob, 16), 0);
    assert_int_equal(ob[1], 0xAA);
    simt_close(&s);
}

/* Writing RDP back to 0xAA through the option bytes also wipes flash. */
static void test_rdp_regression_by_option_write(void **state)
{
    (void)state;
    simt s;
    simt_open(&s, "f405");
    uint8_t secret[4] = { 1, 2, 3, 4 };
    assert_int_equal(mpf_sim_poke(s.sim, 0x08060000, secret, 4), 0);
    mpf_sim_set_read_protection(s.sim, 1);
    assert_int_equal(t_select_alt(&s, 1), MPF_OK);
    rom_set_address(&s, 0x1FFFC000);
    uint8_t ob[16];
    assert_int_equal(mpf_sim_peek(s.sim, 0x1FFFC000, ob, 16), 0);
    ob[1] = 0xAA;
    assert_int_equal(t_dnload(&s, 2, ob, 16), MPF_OK);
    mpf_dfu_status_reply r = { 0 };
    assert_int_equal(t_getstatus(&s, &r), MPF_OK);
    t_sleep(&s, r.poll_timeout_ms);
    assert_int_equal(mpf_sim_connected(s.sim), 0);
    uint8_t back[4];
    assert_int_equal(mpf_sim_peek(s.sim, 0x08060000, back, 4), 0);
    assert_true(all_ff(back, 4));
    simt_close(&s);
}

static void test_mboot_ignores_read_protection(void **state)
{
    (void)state;
    simt s;
    simt_open(&s, "mboot");
    mpf_sim_set_read_protection(s.sim, 1);
    uint8_t ob[16];
    assert_int_equal(mpf_sim_peek(s.sim, 0x1FFFC000, ob, 16), 0); /* hidden, but there */
    assert_int_equal(ob[1], 0x55);
    uint8_t v[4] = { 9, 8, 7, 6 };
    assert_int_equal(mpf_sim_poke(s.sim, 0x08010000, v, 4), 0);
    assert_int_equal(t_set_address(&s, 0x08010000), MPF_OK);
    expect_status(&s, ST_DNBUSY, 0, 0);
    expect_status(&s, MPF_DFU_STATE_DNLOAD_IDLE, 0, 0);
    assert_int_equal(t_abort(&s), MPF_OK);
    uint8_t back[4];
    size_t got = 0;
    assert_int_equal(t_upload(&s, 2, back, 4, &got), MPF_OK);
    assert_memory_equal(back, v, 4);
    simt_close(&s);
}

static void test_mboot_f401_beyond_real_flash(void **state)
{
    (void)state;
    simt s;
    simt_open(&s, "mboot-f401");
    uint8_t b[8];
    assert_int_equal(mpf_sim_peek(s.sim, 0x08080000, b, 1), -1);
    assert_int_equal(mpf_sim_peek(s.sim, 0x0807FFF8, b, 8), 0);

    /* the last real sector works */
    assert_int_equal(t_erase(&s, 0x08060000), MPF_OK);
    expect_status(&s, ST_DNBUSY, 0, 0);
    expect_status(&s, MPF_DFU_STATE_DNLOAD_IDLE, 0, 0);
    assert_int_equal(mpf_sim_erase_count(s.sim), 1);

    /* the layout's sector 8 does not exist */
    assert_int_equal(t_erase(&s, 0x08080000), MPF_OK);
    expect_status(&s, ST_DNBUSY, 0, 0);
    expect_status(&s, MPF_DFU_STATE_ERROR, MPF_DFU_STATUS_ERR_ADDRESS, 0);
    assert_int_equal(t_clrstatus(&s), MPF_OK);

    assert_int_equal(t_set_address(&s, 0x08080000), MPF_OK);
    expect_status(&s, ST_DNBUSY, 0, 0);
    expect_status(&s, MPF_DFU_STATE_DNLOAD_IDLE, 0, 0);
    memset(b, 0, sizeof b);
    assert_int_equal(t_dnload(&s, 2, b, 8), MPF_OK);
    expect_status(&s, ST_DNBUSY, 0, 0);
    expect_status(&s, MPF_DFU_STATE_ERROR, MPF_DFU_STATUS_ERR_ADDRESS, 0);
    assert_int_equal(t_clrstatus(&s), MPF_OK);

    size_t got = 3;
    assert_int_equal(t_upload(&s, 2, b, 8, &got), MPF_ERR_USB_STALL);
    assert_int_equal(got, 0);
    assert_int_equal(mpf_sim_status(s.sim), MPF_DFU_STATUS_ERR_ADDRESS);
    assert_int_equal(t_clrstatus(&s), MPF_OK);

    /* a mass erase covers the real sectors only, and not mboot itself */
    mpf_sim_clear_log(s.sim);
    assert_int_equal(t_cmd1(&s, MPF_DFUSE_CMD_ERASE), MPF_OK);
    expect_status(&s, ST_DNBUSY, 0, 0);
    expect_status(&s, MPF_DFU_STATE_DNLOAD_IDLE, 0, 0);
    static const uint32_t want[] = { 0x08008000, 0x0800C000, 0x08010000,
                                     0x08020000, 0x08040000, 0x08060000 };
    assert_int_equal(mpf_sim_erase_count(s.sim), 6);
    for (size_t i = 0; i < 6; i++)
        assert_int_equal(mpf_sim_erase_at(s.sim, i), want[i]);
    simt_close(&s);
}

static void test_mboot_protects_itself(void **state)
{
    (void)state;
    simt s;
    simt_open(&s, "mboot");
    uint8_t boot[4] = { 0x00, 0x00, 0x02, 0x20 };
    assert_int_equal(mpf_sim_poke(s.sim, 0x08000000, boot, 4), 0);
    assert_int_equal(t_erase(&s, 0x08004000), MPF_OK);
    expect_status(&s, ST_DNBUSY, 0, 0);
    expect_status(&s, MPF_DFU_STATE_ERROR, MPF_DFU_STATUS_ERR_ADDRESS, 0);
    assert_int_equal(t_clrstatus(&s), MPF_OK);
    uint8_t zeros[4] = { 0 };
    assert_int_equal(t_set_address(&s, 0x08007FFE), MPF_OK);
    expect_status(&s, ST_DNBUSY, 0, 0);
    expect_status(&s, MPF_DFU_STATE_DNLOAD_IDLE, 0, 0);
    assert_int_equal(t_dnload(&s, 2, zeros, 4), MPF_OK); /* straddles 0x08008000 */
    expect_status(&s, ST_DNBUSY, 0, 0);
    expect_status(&s, MPF_DFU_STATE_ERROR, MPF_DFU_STATUS_ERR_ADDRESS, 0);
    uint8_t back[4];
    assert_int_equal(mpf_sim_peek(s.sim, 0x08000000, back, 4), 0);
    assert_memory_equal(back, boot, 4);
    assert_int_equal(mpf_sim_peek(s.sim, 0x08008000, back, 2), 0);
    assert_true(all_ff(back, 2));
    simt_close(&s);
}

static void test_peek_poke_bounds(void **state)
{
    (void)state;
    simt s;
    simt_open(&s, "f405");
    uint8_t b[4] = { 1, 2, 3, 4 };
    assert_int_equal(mpf_sim_poke(s.sim, 0x20000000, b, 4), -1);
    assert_int_equal(mpf_sim_poke(s.sim, 0xFFFF0000, b, 4), 0);
    assert_int_equal(mpf_sim_poke(s.sim, 0xFFFF0001, b, 4), -1);
    uint8_t back[4];
    assert_int_equal(mpf_sim_peek(s.sim, 0xFFFF0000, back, 4), 0);
    assert_memory_equal(back, b, 4);
    simt_close(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_erase_write_read_back),
        cmocka_unit_test(test_fresh_flash_is_erased),
        cmocka_unit_test(test_program_zero_to_one_fails),
        cmocka_unit_test(test_mboot_program_mismatch_is_silent),
        cmocka_unit_test(test_mass_erase_rom),
        cmocka_unit_test(test_rom_bad_addresses),
        cmocka_unit_test(test_region_type_letter_respected),
        cmocka_unit_test(test_otp_programs_once),
        cmocka_unit_test(test_option_byte_write_resets),
        cmocka_unit_test(test_write_protected_sector),
        cmocka_unit_test(test_write_protected_sector_mboot),
        cmocka_unit_test(test_read_protection_and_unprotect),
        cmocka_unit_test(test_rdp_regression_by_option_write),
        cmocka_unit_test(test_mboot_ignores_read_protection),
        cmocka_unit_test(test_mboot_f401_beyond_real_flash),
        cmocka_unit_test(test_mboot_protects_itself),
        cmocka_unit_test(test_peek_poke_bounds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
