/* Firmware inputs that are not regular files: a FIFO, a directory, a
 * character device (/dev/zero, a tty reached through a link, COM7 on
 * Windows). Each used to hang the run (a FIFO's open waits for a writer, a
 * tty's read for bytes) or read until the size cap (/dev/zero). Each must be
 * refused at once with one line, exit 2, the virtual board untouched. A hang
 * shows as this test's ctest TIMEOUT (tests/cli.cmake), not as a clock here. */
#ifndef _WIN32
#define _XOPEN_SOURCE 700 /* posix_openpt */
#endif
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#ifndef _WIN32
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#endif

#include "cli_helpers.h"
#include "test_os.h"

#define SEED 7u

/* A fresh work folder dir with a board whose flash holds a pattern, so
 * that any erase or write shows. */
static uint8_t *seeded_board(const char *name, char *dir, size_t size)
{
    cli_workdir(name, dir, size);
    uint8_t *flash = cli_pattern_flash(SEED);
    cli_write(dir, "board.bin", flash, F401_FLASH);
    return flash;
}

#define PORT_HINT "mpflash: hint: a board's serial port goes after -B: -B PORT takes ports as /dev/... or COMn\n"

/* `mpflash --sim f401 OPTION INPUT`: exit 2, stderr the error line starting
 * with want, then hint (NULL: nothing more), the board as it was. */
static void assert_refused(const char *dir, const char *option, const char *input, const char *want,
                           const char *hint, const uint8_t *flash)
{
    cli_result r;
    RUN(dir, &r, "--sim", "f401", "--sim-state", "board.bin", option, input);
    cli_assert_exit(&r, 2);
    cli_assert_error_line(&r, want);
    const char *end = strchr(r.err, '\n');
    assert_non_null(end);
    assert_string_equal(end + 1, hint ? hint : "");
    assert_null(strstr(r.out, "rased")); /* no "Erased"/"erased" progress */
    cli_result_free(&r);
    cli_assert_sim_flash(dir, "board.bin", flash);
}

static void test_directory_refused(void **state)
{
    (void)state;
    char dir[512], sub[600], want[700];
    uint8_t *flash = seeded_board("inputs-dir", dir, sizeof dir);
    snprintf(sub, sizeof sub, "%s/build", dir);
    assert_int_equal(tos_mkdir(sub), 0);
    snprintf(want, sizeof want, "%s is a directory, not a regular file; give the firmware file inside it", sub);
    assert_refused(dir, "-u", sub, want, NULL, flash);
    assert_refused(dir, "-D", "build", "build is a directory, not a regular file", NULL, flash);
    free(flash);
}

#define DEVICE_LINE " is a device (a serial port?), not a regular file; give the firmware file\n"

#ifndef _WIN32
static void test_fifo_refused(void **state)
{
    (void)state;
    char dir[512], fifo[600];
    uint8_t *flash = seeded_board("inputs-fifo", dir, sizeof dir);
    snprintf(fifo, sizeof fifo, "%s/fw.dfu", dir);
    assert_int_equal(mkfifo(fifo, 0600), 0);
    /* No writer ever comes: opening it to read would wait forever. */
    assert_refused(dir, "-u", "fw.dfu", "fw.dfu is not a regular file (a pipe or socket); give the firmware file "
                                        "itself\n", NULL, flash);
    free(flash);
}

static void test_dev_zero_refused(void **state)
{
    (void)state;
    char dir[512];
    uint8_t *flash = seeded_board("inputs-zero", dir, sizeof dir);
    assert_refused(dir, "-u", "/dev/zero", "/dev/zero" DEVICE_LINE, PORT_HINT, flash);
    /* Through a link outside /dev, and with an address (a raw binary). */
    char link[600];
    snprintf(link, sizeof link, "%s/zero.bin", dir);
    assert_int_equal(symlink("/dev/zero", link), 0);
    assert_refused(dir, "-D", "0x08000000:zero.bin", "zero.bin" DEVICE_LINE, PORT_HINT, flash);
    free(flash);
}

/* The board's serial port given as the firmware (-B forgotten, or the port
 * spelled as a link in the user's folder): a tty nobody writes to. Nothing
 * is read from it or written to it. */
static void test_tty_refused(void **state)
{
    (void)state;
    char dir[512], link[600];
    uint8_t *flash = seeded_board("inputs-tty", dir, sizeof dir);
    int master = posix_openpt(O_RDWR | O_NOCTTY | O_NONBLOCK);
    assert_true(master >= 0);
    assert_int_equal(grantpt(master), 0);
    assert_int_equal(unlockpt(master), 0);
    const char *pts = ptsname(master);
    assert_non_null(pts);
    snprintf(link, sizeof link, "%s/board-tty", dir);
    assert_int_equal(symlink(pts, link), 0);
    assert_refused(dir, "-u", "board-tty", "board-tty" DEVICE_LINE, PORT_HINT, flash);
    char want[700];
    snprintf(want, sizeof want, "%s" DEVICE_LINE, pts);
    assert_refused(dir, "-u", pts, want, PORT_HINT, flash);
    char c;
    errno = 0;
    assert_int_equal(read(master, &c, 1), -1); /* nothing was sent to the port */
    assert_true(errno == EAGAIN || errno == EWOULDBLOCK || errno == EIO);
    close(master);
    free(flash);
}
#else
/* A COM port's name is never opened as a file (opening it would open the
 * port); NUL opens, and is refused before anything is read. */
static void test_windows_devices_refused(void **state)
{
    (void)state;
    char dir[512];
    uint8_t *flash = seeded_board("inputs-win", dir, sizeof dir);
    assert_refused(dir, "-u", "COM7", "COM7" DEVICE_LINE, PORT_HINT, flash);
    assert_refused(dir, "-u", "NUL", "NUL" DEVICE_LINE, PORT_HINT, flash);
    free(flash);
}
#endif

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_directory_refused),
#ifndef _WIN32
        cmocka_unit_test(test_fifo_refused),
        cmocka_unit_test(test_dev_zero_refused),
        cmocka_unit_test(test_tty_refused),
#else
        cmocka_unit_test(test_windows_devices_refused),
#endif
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
