/* Flash images for the end-to-end tests; see cli_helpers.h. */
#include "cli_helpers.h"
#include "test_os.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <errno.h>
#include <sys/stat.h>

void cli_assert_exit(const cli_result *r, int code)
{
    if (r->exit_code != code)
        print_error("%s", r->err);
    assert_int_equal(r->exit_code, code);
}

void cli_run_expect(const char *dir, const char *const *args, const char *const *env, int code)
{
    cli_result r;
    cli_run(dir, args, env, &r);
    cli_assert_exit(&r, code);
    cli_result_free(&r);
}

void cli_workdir_with_firmware(const char *name, char *path, size_t size)
{
    cli_workdir(name, path, size);
    cli_copy_sample(path, "firmware.dfu", "firmware.dfu");
}

void cli_fake_dev_with_bus(const char *dir, char *env_entry, size_t size)
{
    const char *const subs[] = {"dev", "dev/bus", "dev/bus/usb", "dev/bus/usb/001"};
    char node[600];
    for (size_t i = 0; i < sizeof subs / sizeof subs[0]; i++) {
        snprintf(node, sizeof node, "%s/%s", dir, subs[i]);
        if (tos_mkdir(node) != 0 && errno != EEXIST)
            fail_msg("cannot make %s", node);
    }
    cli_write(node, "001", "", 0);
    snprintf(env_entry, size, "MPFLASH_DEV_ROOT=%s/dev", dir);
}

/* ASan insists on being first in the library list; a preloaded fake comes
 * before it, harmlessly. */
void cli_env_asan(char *entry, size_t size)
{
    const char *asan = getenv("ASAN_OPTIONS");
    snprintf(entry, size, "ASAN_OPTIONS=%s%sverify_asan_link_order=0", asan ? asan : "",
             asan && *asan ? ":" : "");
}

uint8_t *cli_erased_flash(void)
{
    uint8_t *m = malloc(F401_FLASH);
    assert_non_null(m);
    memset(m, 0xFF, F401_FLASH);
    return m;
}

/* xorshift32: cheap, and no two seeds give the same flash. */
void cli_fill_pattern(uint8_t *p, size_t n, uint32_t seed)
{
    uint32_t x = seed;
    for (size_t i = 0; i < n; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        p[i] = (uint8_t)x;
    }
}

uint8_t *cli_pattern_flash(uint32_t seed)
{
    uint8_t *m = malloc(F401_FLASH);
    assert_non_null(m);
    cli_fill_pattern(m, F401_FLASH, seed);
    return m;
}

uint8_t *cli_sample_flashed_over(const uint8_t *before)
{
    uint8_t *m = cli_erased_flash();
    if (before) {
        memcpy(m, before, F401_FLASH);
        memset(m, 0xFF, 0x4000);
        memset(m + TEXT_START, 0xFF, F401_FLASH - TEXT_START);
    }
    size_t len0, len1;
    uint8_t *b0 = cli_read(MPFLASH_SAMPLE_DIR, "firmware0.bin", &len0);
    uint8_t *b1 = cli_read(MPFLASH_SAMPLE_DIR, "firmware1.bin", &len1);
    memcpy(m, b0, len0);
    memcpy(m + TEXT_START, b1, len1);
    free(b0);
    free(b1);
    return m;
}

void cli_assert_sim_flash(const char *dir, const char *state, const uint8_t *want)
{
    cli_assert_file_bytes(dir, state, want, F401_FLASH, FLASH_BASE);
}

static uint32_t le32_at(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

uint8_t *cli_fake_flash_read(const char *dir, const char *file)
{
    uint8_t *m = cli_erased_flash();
    if (!cli_exists(dir, file))
        return m;
    size_t len;
    uint8_t *s = cli_read(dir, file, &len);
    for (size_t at = 0; at + 8 <= len;) {
        uint32_t addr = le32_at(s + at);
        uint32_t size = le32_at(s + at + 4);
        assert_true(at + 8 + size <= len);
        if (addr >= FLASH_BASE && addr + (uint64_t)size <= FLASH_BASE + F401_FLASH)
            memcpy(m + (addr - FLASH_BASE), s + at + 8, size);
        at += 8 + (size_t)size;
    }
    free(s);
    return m;
}

void cli_fake_flash_write(const char *dir, const char *file, const uint8_t *flash)
{
    cli_fake_mem_write(dir, file, FLASH_BASE, flash, F401_FLASH);
}

void cli_fake_mem_write(const char *dir, const char *file, uint32_t addr, const uint8_t *data, size_t len)
{
    uint8_t *rec = malloc(len + 8);
    assert_non_null(rec);
    uint32_t size = (uint32_t)len;
    for (int i = 0; i < 4; i++) {
        rec[i] = (uint8_t)(addr >> (8 * i));
        rec[4 + i] = (uint8_t)(size >> (8 * i));
    }
    memcpy(rec + 8, data, len);
    cli_write(dir, file, rec, len + 8);
    free(rec);
}

void cli_fake_mem_read(const char *dir, const char *file, uint32_t addr, uint8_t *out, size_t len)
{
    memset(out, 0xFF, len);
    size_t flen;
    uint8_t *s = cli_read(dir, file, &flen);
    for (size_t at = 0; at + 8 <= flen;) {
        uint64_t start = le32_at(s + at), size = le32_at(s + at + 4);
        assert_true(at + 8 + size <= flen);
        for (uint64_t i = 0; i < size; i++)
            if (start + i >= addr && start + i < (uint64_t)addr + len)
                out[start + i - addr] = s[at + 8 + i];
        at += 8 + (size_t)size;
    }
    free(s);
}

void cli_assert_fake_flash(const char *dir, const char *file, const uint8_t *want)
{
    uint8_t *got = cli_fake_flash_read(dir, file);
    for (size_t i = 0; i < F401_FLASH; i++)
        if (got[i] != want[i]) {
            uint8_t seen = got[i];
            free(got);
            fail_msg("%s differs at 0x%08zX: 0x%02X, expected 0x%02X", file, FLASH_BASE + i, seen,
                     want[i]);
        }
    free(got);
}

#ifdef MPFLASH_FAKE_LIBUSB
void cli_usb_run(const char *dir, const char *boards, const char *const *args,
                 const char *const *extra_env, cli_result *r)
{
    char b[512], state[600], log[600], asan[512], tier[1024];
    snprintf(b, sizeof b, "MPFLASH_FAKE_USB=%s", boards);
    snprintf(state, sizeof state, "MPFLASH_FAKE_USB_STATE=%s", dir);
    snprintf(log, sizeof log, "MPFLASH_FAKE_USB_LOG=%s/usb.log", dir);
    cli_env_asan(asan, sizeof asan);
#ifdef USBFS_LAUNCH
    snprintf(tier, sizeof tier, "MPFLASH_USBFS_MAPS=%s/libusb.maps", dir);
#else
    snprintf(tier, sizeof tier, "LD_PRELOAD=%s", MPFLASH_FAKE_LIBUSB);
#endif
    const char *env[16] = {b, state, log, asan, tier};
    size_t n = 5;
    for (size_t i = 0; extra_env && extra_env[i] && n + 1 < sizeof env / sizeof env[0]; i++)
        env[n++] = extra_env[i];
    env[n] = NULL;
#ifdef USBFS_LAUNCH
    cli_run_via(USBFS_LAUNCH, dir, args, env, r);
#else
    cli_run(dir, args, env, r);
#endif
}
#endif

uint64_t cli_json_number(const char *line, const char *key)
{
    char k[64];
    snprintf(k, sizeof k, "\"%s\":", key);
    const char *at = strstr(line, k);
    if (!at)
        fail_msg("no %s in %s", key, line);
    return strtoull(at + strlen(k), NULL, 10);
}
