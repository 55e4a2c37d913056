/* Arduino's 1200-baud touch: which boards get it, that the library opens the
 * port at the speed asked (through a port model, and through the host's
 * termios on a pseudo-terminal), and refuses what it cannot do. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>
#include <pty.h>

#include <cmocka.h>

#include "bootentry/serial_internal.h"
#include "mpflash/serial.h"
#include "repl_port.h"

static void test_which_boards(void **state)
{
    (void)state;
    assert_true(mpf_serial_enters_by_touch(0x2341, 0x0068));
    assert_true(mpf_serial_enters_by_touch(0x2341, 0x025e));
    assert_false(mpf_serial_enters_by_touch(0xf055, 0x9800));
    assert_false(mpf_serial_enters_by_touch(0x0483, 0x5740));
    /* and -B without a port finds them as boards to enter */
    const char *what = NULL;
    assert_true(mpf_serial_micropython_id(0x2341, 0x025e, &what));
    assert_non_null(strstr(what, "1200-baud touch"));
}

static void test_touch_through_port_model(void **state)
{
    (void)state;
    repl_port rp;
    fake_repl_config cfg;
    memset(&cfg, 0, sizeof cfg);
    repl_port_init(&rp, &cfg);
    mpf_error err;
    mpf_error_clear(&err);
    assert_int_equal(mpf_serial_touch_env(&rp.env, "/dev/ttyACM0", MPF_SERIAL_TOUCH_BAUD, &err), MPF_OK);
    assert_int_equal(rp.touches, 1);
    assert_int_equal(rp.touch_baud, 1200);
    assert_int_equal(rp.opens, 0); /* no REPL session: only the touch */
    /* Ports that cannot do it say so, once, and nothing is sent. */
    rp.ops.touch = NULL;
    assert_int_equal(mpf_serial_touch_env(&rp.env, "/dev/ttyACM0", 1200, &err), MPF_ERR_USAGE);
    assert_non_null(strstr(err.message, "1200 baud"));
    assert_int_equal(mpf_serial_touch_env(&rp.env, "", 1200, &err), MPF_ERR_USAGE);
}

/* The host's termios: the port is left at 1200 baud, with HUPCL so that
 * closing it drops DTR. */
static void test_touch_sets_the_line(void **state)
{
    (void)state;
    int master, slave;
    char name[128];
    assert_int_equal(openpty(&master, &slave, name, NULL, NULL), 0);
    mpf_error err;
    mpf_error_clear(&err);
    assert_int_equal(mpf_serial_touch(name, MPF_SERIAL_TOUCH_BAUD, &err), MPF_OK);
    struct termios tio;
    assert_int_equal(tcgetattr(slave, &tio), 0);
    assert_int_equal(cfgetospeed(&tio), B1200);
    assert_true(tio.c_cflag & HUPCL);
    close(slave);
    close(master);
    /* Not a port at all. */
    assert_int_equal(mpf_serial_touch("/dev/null", 1200, &err), MPF_ERR_USAGE);
    assert_int_equal(mpf_serial_touch("/nonexistent/ttyACM9", 1200, &err), MPF_ERR_NO_DEVICE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_which_boards),
        cmocka_unit_test(test_touch_through_port_model),
        cmocka_unit_test(test_touch_sets_the_line),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
