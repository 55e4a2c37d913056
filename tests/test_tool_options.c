/* Option parsing for the three grammars (pydfu, dfu-util, esptool-style
 * positional files), table-driven: every row is a command line and what it
 * must mean, or the exact usage message it must be refused with. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

/* Serial ports as each system names them: the option parser takes a port
 * as -B's next argument only if it cannot be a firmware file. */
#ifdef _WIN32
#define PORT0 "COM5"
#define PORT1 "com12"
#else
#define PORT0 "/dev/ttyACM0"
#define PORT1 "/dev/ttyACM1"
#endif

#include "tool/tool_options.h"

#define MAX_ARGS 24

typedef void (*check_fn)(const tool_options *o);

typedef struct parse_case {
    const char *args;    /* after "mpflash", split at spaces */
    mpf_err rc;
    tool_command cmd;    /* when rc is MPF_OK */
    const char *message; /* when rc is not MPF_OK: the exact message */
    check_fn check;      /* more expectations, or NULL */
} parse_case;

/* ---- field checks ------------------------------------------------------ */

/* Both deploy lines name the same file and the same ST bootloader. */
static void makefile_target(const tool_options *o)
{
    assert_int_equal(o->file_count, 1);
    assert_string_equal(o->files[0], "build-PYBV11/firmware.dfu");
    assert_int_equal(o->filter.vid, 0x0483);
    assert_int_equal(o->filter.pid, 0xDF11);
    assert_int_equal(o->filter.dfu_vid, 0x0483);
    assert_int_equal(o->filter.dfu_pid, 0xDF11);
}

static void makefile_pydfu(const tool_options *o)
{
    makefile_target(o);
    assert_true(o->verify);
    assert_false(o->stay);
    assert_false(o->mass_erase);
}

static void makefile_dfu_util(const tool_options *o)
{
    makefile_target(o);
    assert_true(o->alt_set);
    assert_int_equal(o->alt_number, 0);
    assert_int_equal(o->filter.alt, 0);
    assert_true(o->leave);
    assert_false(o->has_address);
    assert_false(o->has_length);
}

static void two_positionals(const tool_options *o)
{
    assert_int_equal(o->file_count, 2);
    assert_string_equal(o->files[0], "0x08000000:boot.bin");
    assert_string_equal(o->files[1], "0x08020000:app.bin");
}

static void read_backup(const tool_options *o)
{
    assert_string_equal(o->read_file, "backup.bin");
    assert_true(o->has_address);
    assert_int_equal(o->address, 0x08000000);
    assert_true(o->has_length);
    assert_int_equal(o->length, 0x100000);
    assert_false(o->force);
}

static void read_decimal_length(const tool_options *o)
{
    assert_int_equal(o->address, 0x08004000);
    assert_int_equal(o->length, 114688);
    assert_true(o->leave);
    assert_true(o->force);
}

static void address_only(const tool_options *o)
{
    assert_true(o->has_address);
    assert_int_equal(o->address, 0x08020000);
    assert_false(o->has_length);
    assert_false(o->leave);
}

static void every_modifier(const tool_options *o)
{
    assert_false(o->has_address);
    assert_true(o->mass_erase);
    assert_true(o->mass_erase_from_s);
    assert_true(o->force);
    assert_true(o->will_reset);
    assert_true(o->leave);
}

static void unprotect_force(const tool_options *o)
{
    assert_true(o->unprotect);
    assert_true(o->force);
}

static void device_split(const tool_options *o)
{
    assert_int_equal(o->filter.vid, 0x1234);
    assert_int_equal(o->filter.pid, 0x5678);
    assert_int_equal(o->filter.dfu_vid, 0x0483);
    assert_int_equal(o->filter.dfu_pid, 0xDF11);
}

static void device_wildcard(const tool_options *o)
{
    assert_int_equal(o->filter.vid, MPF_USB_ANY_ID);
    assert_int_equal(o->filter.pid, 0xDF11);
}

static void serial_path(const tool_options *o)
{
    assert_string_equal(o->filter.serial, "3254335B3233");
    assert_string_equal(o->filter.dfu_serial, "3254335B3233");
    assert_string_equal(o->filter.path, "1-2.3");
}

static void serial_pair(const tool_options *o)
{
    assert_string_equal(o->filter.serial, "RT1");
    assert_string_equal(o->filter.dfu_serial, "DFU1");
}

static void alt_by_name(const tool_options *o)
{
    assert_true(o->alt_set);
    assert_int_equal(o->alt_number, -1);
    assert_string_equal(o->filter.alt_name, "Internal Flash");
}

static void pydfu_decimal_ids(const tool_options *o)
{
    assert_int_equal(o->filter.vid, 1155);
    assert_int_equal(o->filter.pid, 57105);
}

static void new_options(const tool_options *o)
{
    assert_false(o->verify);
    assert_true(o->stay);
    assert_true(o->json);
    assert_true(o->no_progress);
    assert_true(o->has_leave_address);
    assert_int_equal(o->leave_address, 0x08020000);
    assert_int_equal(o->transfer_size, 1024);
    assert_string_equal(o->sim_chip, "f405");
    assert_string_equal(o->sim_state, "board.bin");
}

static void mass_then_flash(const tool_options *o)
{
    assert_true(o->mass_erase);
    assert_false(o->mass_erase_from_s);
    assert_true(o->exit_dfu);
    assert_true(o->leave);
}

static void cluster(const tool_options *o)
{
    assert_int_equal(o->verbose, 2);
    assert_true(o->alt_set);
    assert_int_equal(o->alt_number, 1);
}

static void wait_bounded(const tool_options *o)
{
    assert_true(o->wait);
    assert_int_equal(o->wait_seconds, 30);
}

static void wait_unbounded(const tool_options *o)
{
    assert_true(o->wait);
    assert_int_equal(o->wait_seconds, 0);
    assert_int_equal(o->file_count, 1);
}

static void convert_dfu(const tool_options *o)
{
    assert_string_equal(o->convert_out, "out.dfu");
    assert_int_equal(o->file_count, 2);
    assert_true(o->has_vid_override);
    assert_int_equal(o->vid_override, 0x1209);
}

static void convert_gap(const tool_options *o)
{
    assert_true(o->has_gap_fill);
    assert_int_equal(o->gap_fill, 0xFF);
}

static void info_files(const tool_options *o)
{
    assert_int_equal(o->file_count, 2);
    assert_true(o->json);
}

static void dash_dash(const tool_options *o)
{
    assert_int_equal(o->file_count, 1);
    assert_string_equal(o->files[0], "-odd-name.dfu");
}

static void long_equals(const tool_options *o)
{
    assert_int_equal(o->file_count, 1);
    assert_string_equal(o->files[0], "fw.dfu");
    assert_true(o->has_address);
    assert_int_equal(o->address, 0x08000000);
    assert_true(o->leave);
}

static void unattended(const tool_options *o)
{
    assert_true(o->bootloader);
    assert_int_equal(o->port_count, 0);
    assert_true(o->wait_app);
    assert_int_equal(o->wait_app_seconds, 20);
    assert_true(o->wait);
    assert_int_equal(o->wait_seconds, 5);
    assert_true(o->all);
    assert_int_equal(o->file_count, 1);
    assert_string_equal(o->files[0], "firmware.dfu");
}

static void two_ports(const tool_options *o)
{
    assert_true(o->bootloader);
    assert_int_equal(o->port_count, 2);
    assert_string_equal(o->ports[0], PORT0);
    assert_string_equal(o->ports[1], PORT1);
    assert_true(o->wait_app);
    assert_int_equal(o->wait_app_seconds, 0);
    assert_int_equal(o->file_count, 1);
}

static void port_attached(const tool_options *o)
{
    assert_int_equal(o->port_count, 1);
    assert_string_equal(o->ports[0], "ttyS9");
    assert_int_equal(o->file_count, 1);
}

static void not_a_port(const tool_options *o)
{
    /* "fw.dfu" after -B is the firmware: only /dev/... is taken as a port. */
    assert_true(o->bootloader);
    assert_int_equal(o->port_count, 0);
    assert_int_equal(o->file_count, 1);
    assert_string_equal(o->files[0], "fw.dfu");
}

static void dfu_util_choices(const tool_options *o)
{
    assert_int_equal(o->filter.devnum, 7);
    assert_int_equal(o->filter.configuration, 1);
    assert_int_equal(o->filter.interface, 0);
    assert_true(o->has_detach_delay);
    assert_int_equal(o->detach_delay, 3);
}

static void final_detach(const tool_options *o)
{
    assert_true(o->final_detach);
    assert_true(o->leave);
    assert_int_equal(o->file_count, 1);
    assert_string_equal(o->files[0], "firmware.bin");
}

static void reset_bare(const tool_options *o)
{
    assert_true(o->reset);
    assert_int_equal(o->file_count, 1);
}

static void upload_size(const tool_options *o)
{
    assert_true(o->has_upload_size);
    assert_int_equal(o->upload_size, 5000);
}

static void several_serials(const tool_options *o)
{
    assert_int_equal(o->serial_count, 3);
    assert_string_equal(o->serials[0], "AAA");
    assert_string_equal(o->serials[2], "CCC");
    assert_string_equal(o->filter.serial, "AAA");
}

static void chip_list(const tool_options *o)
{
    assert_int_equal(o->sim_chip_count, 3);
    assert_string_equal(o->sim_chips[0], "f401");
    assert_string_equal(o->sim_chips[1], "f401");
    assert_string_equal(o->sim_chips[2], "mboot");
    assert_true(o->all);
}

static void sim_boards(const tool_options *o)
{
    assert_int_equal(o->sim_chip_count, 1);
    assert_int_equal(o->sim_boards, 4);
}

static void backup_full(const tool_options *o)
{
    assert_string_equal(o->backup_file, "old.dfu");
    assert_true(o->full);
}

static void chip_named(const tool_options *o)
{
    assert_string_equal(o->chip, "WB");
}

/* ---- the table --------------------------------------------------------- */

static const parse_case cases[] = {
    /* MicroPython's two deploy command lines, exactly. */
    {"--vid 0x0483 --pid 0xDF11 -u build-PYBV11/firmware.dfu", MPF_OK, TOOL_CMD_FLASH, NULL, makefile_pydfu},
    {"-a 0 -d 0x0483:0xDF11 -D build-PYBV11/firmware.dfu -s :leave", MPF_OK, TOOL_CMD_FLASH, NULL,
     makefile_dfu_util},
    /* pydfu */
    {"-l", MPF_OK, TOOL_CMD_LIST, NULL, NULL},
    {"--list", MPF_OK, TOOL_CMD_LIST, NULL, NULL},
    {"--upload fw.dfu", MPF_OK, TOOL_CMD_FLASH, NULL, NULL},
    {"-m -x -u fw.dfu", MPF_OK, TOOL_CMD_FLASH, NULL, mass_then_flash},
    {"-m", MPF_OK, TOOL_CMD_MASS_ERASE, NULL, NULL},
    {"--mass-erase --exit", MPF_OK, TOOL_CMD_MASS_ERASE, NULL, NULL},
    {"-x", MPF_OK, TOOL_CMD_LEAVE, NULL, NULL},
    {"--exit --verbose", MPF_OK, TOOL_CMD_LEAVE, NULL, NULL},
    {"--vid 1155 --pid 57105 -l", MPF_OK, TOOL_CMD_LIST, NULL, pydfu_decimal_ids},
    {"--vid 0483 -l", MPF_ERR_USAGE, 0, "--vid 0483: expected a USB ID such as 0x0483 (hexadecimal needs the 0x)",
     NULL},
    {"--pid 0x10000 -l", MPF_ERR_USAGE, 0,
     "--pid 0x10000: expected a USB ID such as 0x0483 (hexadecimal needs the 0x)", NULL},
    {"--vid 1 --vid 2 -l", MPF_ERR_USAGE, 0, "--vid given twice; give it once", NULL},
    /* dfu-util */
    {"-D fw.dfu", MPF_OK, TOOL_CMD_FLASH, NULL, NULL},
    {"--download fw.dfu -R", MPF_OK, TOOL_CMD_FLASH, NULL, NULL},
    {"-U backup.bin -s 0x08000000:0x100000", MPF_OK, TOOL_CMD_READ, NULL, read_backup},
    {"--read backup.bin -s 0x08004000:114688:leave --force", MPF_OK, TOOL_CMD_READ, NULL, read_decimal_length},
    {"-U backup.bin", MPF_OK, TOOL_CMD_READ, NULL, NULL},
    {"-D app.bin -s 0x08020000", MPF_OK, TOOL_CMD_FLASH, NULL, address_only},
    {"-s :mass-erase:force:will-reset:leave", MPF_OK, TOOL_CMD_MASS_ERASE, NULL, every_modifier},
    {"-s :unprotect:force", MPF_OK, TOOL_CMD_UNPROTECT, NULL, unprotect_force},
    {"--unprotect --force", MPF_OK, TOOL_CMD_UNPROTECT, NULL, unprotect_force},
    {"-d 1234:5678,0483:df11 -D fw.dfu", MPF_OK, TOOL_CMD_FLASH, NULL, device_split},
    {"-d *:df11 -l", MPF_OK, TOOL_CMD_LIST, NULL, device_wildcard},
    {"-S 3254335B3233 -p 1-2.3 -D fw.dfu", MPF_OK, TOOL_CMD_FLASH, NULL, serial_path},
    {"-S RT1,DFU1 -l", MPF_OK, TOOL_CMD_LIST, NULL, serial_pair},
    {"-a Internal\\sFlash -D fw.dfu", MPF_OK, TOOL_CMD_FLASH, NULL, alt_by_name},
    {"-vva1 -D fw.dfu", MPF_OK, TOOL_CMD_FLASH, NULL, cluster},
    {"-e", MPF_OK, TOOL_CMD_DETACH, NULL, NULL},
    {"-e -D fw.dfu", MPF_OK, TOOL_CMD_FLASH, NULL, NULL},
    {"-R", MPF_OK, TOOL_CMD_LEAVE, NULL, NULL},
    {"-s 0x08000000:leave", MPF_OK, TOOL_CMD_LEAVE, NULL, NULL},
    {"-w -D fw.dfu", MPF_OK, TOOL_CMD_FLASH, NULL, wait_unbounded},
    {"--wait=30 -l", MPF_OK, TOOL_CMD_LIST, NULL, wait_bounded},
    {"-t 1024 -D fw.dfu --no-verify --stay --json --no-progress --leave-address 0x08020000 --sim f405 "
     "--sim-state board.bin",
     MPF_OK, TOOL_CMD_FLASH, NULL, new_options},
    {"--dfuse-address=0x08000000:leave --download=fw.dfu", MPF_OK, TOOL_CMD_FLASH, NULL, long_equals},
    /* esptool-style positional files */
    {"0x08000000:boot.bin 0x08020000:app.bin", MPF_OK, TOOL_CMD_FLASH, NULL, two_positionals},
    {"firmware.elf", MPF_OK, TOOL_CMD_FLASH, NULL, NULL},
    {"-- -odd-name.dfu", MPF_OK, TOOL_CMD_FLASH, NULL, dash_dash},
    /* the new commands */
    {"--help", MPF_OK, TOOL_CMD_HELP, NULL, NULL},
    {"-h -u fw.dfu -U x", MPF_OK, TOOL_CMD_HELP, NULL, NULL},
    {"--version", MPF_OK, TOOL_CMD_VERSION, NULL, NULL},
    {"-V", MPF_OK, TOOL_CMD_VERSION, NULL, NULL},
    {"--sim list", MPF_OK, TOOL_CMD_SIM_LIST, NULL, NULL},
    {"--sim f401 -l", MPF_OK, TOOL_CMD_LIST, NULL, NULL},
    {"--info a.dfu b.hex --json", MPF_OK, TOOL_CMD_INFO, NULL, info_files},
    {"--convert out.dfu --vid 0x1209 a.bin b.bin", MPF_OK, TOOL_CMD_CONVERT, NULL, convert_dfu},
    {"--convert out.bin --gap-fill 0xFF fw.dfu", MPF_OK, TOOL_CMD_CONVERT, NULL, convert_gap},
    {"--dry-run -u fw.dfu", MPF_OK, TOOL_CMD_FLASH, NULL, NULL},
    /* several boards, boards running MicroPython, keeping data */
    {"--all --bootloader --wait 5 -u firmware.dfu --wait-app 20", MPF_OK, TOOL_CMD_FLASH, NULL, unattended},
    {"-B " PORT0 " -B " PORT1 " --wait-app fw.dfu", MPF_OK, TOOL_CMD_FLASH, NULL, two_ports},
    {"--bootloader=ttyS9 fw.dfu", MPF_OK, TOOL_CMD_FLASH, NULL, port_attached},
    {"-B fw.dfu", MPF_OK, TOOL_CMD_FLASH, NULL, not_a_port},
    {"-S AAA -S BBB -S CCC -u fw.dfu", MPF_OK, TOOL_CMD_FLASH, NULL, several_serials},
    {"--sim f401,f401,mboot --all -u fw.dfu", MPF_OK, TOOL_CMD_FLASH, NULL, chip_list},
    {"--sim f401 --sim-boards 4 -l", MPF_OK, TOOL_CMD_LIST, NULL, sim_boards},
    {"--backup old.dfu --full -u fw.dfu", MPF_OK, TOOL_CMD_FLASH, NULL, backup_full},
    {"--backup old.dfu --dry-run -u fw.dfu", MPF_OK, TOOL_CMD_FLASH, NULL, NULL},
    {"--chip WB -u fw.dfu", MPF_OK, TOOL_CMD_FLASH, NULL, chip_named},
    {"--chip f9 -u fw.dfu", MPF_ERR_USAGE, 0,
     "--chip f9: not an STM32 family mpflash knows; use one of: f4 f7 h7 h7ab h5 l4 g0 g4 wb u5 unknown",
     NULL},

    /* refusals: unknown, malformed, conflicting */
    {"", MPF_ERR_USAGE, 0,
     "nothing to do: give a firmware file to flash (mpflash -u firmware.dfu), or -l to list devices; see mpflash --help",
     NULL},
    {"--frobnicate", MPF_ERR_USAGE, 0, "unknown option --frobnicate (see mpflash --help)", NULL},
    {"-k", MPF_ERR_USAGE, 0, "unknown option -k (see mpflash --help)", NULL},
    {"-u", MPF_ERR_USAGE, 0, "-u needs a value (see mpflash --help)", NULL},
    {"--sim", MPF_ERR_USAGE, 0, "--sim needs a value (see mpflash --help)", NULL},
    {"--list=yes", MPF_ERR_USAGE, 0, "--list takes no value", NULL},
    {"-y -D fw.dfu", MPF_ERR_USAGE, 0,
     "-y is not supported by mpflash: mpflash never asks questions, so there is nothing to answer", NULL},
    {"-c x -D fw.dfu", MPF_ERR_USAGE, 0, "-c x: expected a configuration value, 0..255", NULL},
    {"-n 300 -D fw.dfu", MPF_ERR_USAGE, 0, "-n 300: expected a USB device number, 0..255", NULL},
    {"-E 0 -D fw.dfu", MPF_ERR_USAGE, 0, "-E 0: expected a number of seconds, 1..3600", NULL},
    {"-Z 4096 -D fw.dfu", MPF_ERR_USAGE, 0, "-Z does not apply to -D", NULL},
    {"-Q --stay -D fw.dfu", MPF_ERR_USAGE, 0,
     "--stay and -Q cannot be used together: one keeps the board in DFU mode, the other leaves it", NULL},
    /* dfu-util's device choices and Arduino's -Q / -R VALUE */
    {"-n 7 -c 1 -i 0 -E 3 -D fw.dfu", MPF_OK, TOOL_CMD_FLASH, NULL, dfu_util_choices},
    {"-a 0 -d 2341:0368 -D firmware.bin -Q", MPF_OK, TOOL_CMD_FLASH, NULL, final_detach},
    {"-d 0x2341:0x0070 -R -D micropython.app-bin", MPF_OK, TOOL_CMD_FLASH, NULL, reset_bare},
    {"-R 1 -D fw.bin", MPF_OK, TOOL_CMD_FLASH, NULL, reset_bare},
    {"-U out.bin -Z 5000", MPF_OK, TOOL_CMD_READ, NULL, upload_size},
    {"-D -", MPF_ERR_USAGE, 0, "-D -: standard input/output is not supported; give a file name", NULL},
    {"-U - -s 0x08000000:16", MPF_ERR_USAGE, 0, "-U -: standard input/output is not supported; give a file name",
     NULL},
    {"-l -u fw.dfu", MPF_ERR_USAGE, 0, "-l and -u cannot be used together: give one command per run", NULL},
    {"-U out.bin -D fw.dfu", MPF_ERR_USAGE, 0, "-U and -D cannot be used together: give one command per run", NULL},
    {"--info fw.dfu --convert out.hex", MPF_ERR_USAGE, 0,
     "--info and --convert cannot be used together: give one command per run", NULL},
    {"--info", MPF_ERR_USAGE, 0, "--info needs at least one firmware file", NULL},
    {"--info -u fw.dfu", MPF_ERR_USAGE, 0, "--info and -u cannot be used together: give one command per run", NULL},
    {"-l fw.dfu", MPF_ERR_USAGE, 0, "-l takes no firmware file (\"fw.dfu\" was given)", NULL},
    {"--upload fw.dfu -s 0x08000000:1024", MPF_ERR_USAGE, 0,
     "--upload writes FILE to the device (pydfu's meaning), but -s gives a length to read: to read flash into a file use -U FILE -s ADDR:LEN",
     NULL},
    {"-D fw.dfu -s 0x08000000:1024", MPF_ERR_USAGE, 0, "-s: a length is only for reading with -U FILE", NULL},
    {"-s 0x8000000x", MPF_ERR_USAGE, 0,
     "-s 0x8000000x: \"0x8000000x\" is not an address; write it in hex, e.g. 0x08000000", NULL},
    {"-s 08000000 -D fw.bin", MPF_ERR_USAGE, 0,
     "-s 08000000: \"08000000\" is not an address; write it in hex, e.g. 0x08000000", NULL},
    {"-s 0x08000000:zap -D fw.bin", MPF_ERR_USAGE, 0,
     "-s 0x08000000:zap: unknown modifier \"zap\" (known: leave, mass-erase, force, unprotect, will-reset; a length only right after the address)",
     NULL},
    {"-U x -s 0x08000000:0", MPF_ERR_USAGE, 0,
     "-s 0x08000000:0: \"0\" is not a length; give a byte count such as 0x4000 or 16384", NULL},
    {"-s :mass-erase", MPF_ERR_USAGE, 0,
     "-s :mass-erase erases the whole chip, and MicroPython's filesystem with it; add :force as dfu-util requires (or use -m)",
     NULL},
    {"--unprotect", MPF_ERR_USAGE, 0,
     "--unprotect erases the whole chip, and MicroPython's filesystem with it; add --force (or -s :unprotect:force) if that is what you want",
     NULL},
    {"--unprotect --force -u fw.dfu", MPF_ERR_USAGE, 0,
     "--unprotect and -u cannot be used together: removing read protection erases the whole chip and resets it; run it on its own first",
     NULL},
    {"--unprotect --force -m", MPF_ERR_USAGE, 0, "-m does not apply to --unprotect", NULL},
    {"-s :unprotect:mass-erase:force", MPF_ERR_USAGE, 0,
     "-s :unprotect and -s :mass-erase cannot be used together: removing read protection already erases everything",
     NULL},
    {"--stay -x -u fw.dfu", MPF_ERR_USAGE, 0,
     "--stay and -x cannot be used together: one keeps the board in DFU mode, the other leaves it", NULL},
    {"--stay -D fw.dfu -s :leave", MPF_ERR_USAGE, 0,
     "--stay and -s :leave cannot be used together: one keeps the board in DFU mode, the other leaves it", NULL},
    {"--dry-run -l", MPF_ERR_USAGE, 0, "--dry-run does not apply to -l", NULL},
    {"--no-verify -U x", MPF_ERR_USAGE, 0, "--no-verify does not apply to -U", NULL},
    {"-m -U x", MPF_ERR_USAGE, 0, "-m does not apply to -U", NULL},
    {"--gap-fill 0 -u fw.dfu", MPF_ERR_USAGE, 0, "--gap-fill does not apply to -u", NULL},
    {"--gap-fill 256 --convert o.bin fw.dfu", MPF_ERR_USAGE, 0,
     "--gap-fill 256: expected a byte value 0..255, e.g. 0xFF", NULL},
    {"-d 0483:df11 --info fw.dfu", MPF_ERR_USAGE, 0, "-d does not apply to --info", NULL},
    {"--sim f401 --convert o.hex fw.dfu", MPF_ERR_USAGE, 0, "--sim does not apply to --convert", NULL},
    {"--sim-state s.bin -u fw.dfu", MPF_ERR_USAGE, 0, "--sim-state needs --sim CHIP", NULL},
    {"--sim list -u fw.dfu", MPF_ERR_USAGE, 0, "--sim list and -u cannot be used together: give one command per run",
     NULL},
    {"--sim list --sim-state s.bin", MPF_ERR_USAGE, 0, "--sim-state does not apply to --sim list", NULL},
    {"-s :leave --info fw.dfu", MPF_ERR_USAGE, 0, "-s :leave does not apply to --info", NULL},
    {"-d 0483:df11 --vid 0x0483 -D fw.dfu", MPF_ERR_USAGE, 0,
     "-d and --vid cannot be used together: give the IDs one way", NULL},
    {"-d 0483:dfxx -D fw.dfu", MPF_ERR_USAGE, 0,
     "-d 0483:dfxx: product ID 'dfxx' in '0483:dfxx' is not hexadecimal: expected e.g. 0483:df11", NULL},
    {"-p usb1 -D fw.dfu", MPF_ERR_USAGE, 0,
     "-p usb1: bad port path 'usb1': expected BUS-PORT[.PORT...] like 1-2 or 3-1.4 (see the list of devices)",
     NULL},
    {"-a 300 -D fw.dfu", MPF_ERR_USAGE, 0, "-a 300: alt setting 300 is out of range (0-255)", NULL},
    {"-t 0 -D fw.dfu", MPF_ERR_USAGE, 0,
     "-t 0: the transfer size is 1..65535 bytes (STM32 bootloaders use 2048)", NULL},
    {"-t 65536 -D fw.dfu", MPF_ERR_USAGE, 0,
     "-t 65536: the transfer size is 1..65535 bytes (STM32 bootloaders use 2048)", NULL},
    {"--leave-address 0x8000000000 -u fw.dfu", MPF_ERR_USAGE, 0,
     "--leave-address 0x8000000000: expected an address such as 0x08000000", NULL},
    {"--wait=0 -l", MPF_ERR_USAGE, 0, "--wait=0: expected a number of seconds, 1..3600", NULL},
    {"-q -v -u fw.dfu", MPF_ERR_USAGE, 0, "-q and -v cannot be used together: pick one", NULL},
    {"-U a.bin -U b.bin", MPF_ERR_USAGE, 0, "-U given twice; give it once", NULL},
    {"-S A -S B -l", MPF_ERR_USAGE, 0, "-S given 2 times: several boards at once are for flashing only; give it once",
     NULL},
    {"--all -S A -S B -u fw.dfu", MPF_ERR_USAGE, 0,
     "--all and -S cannot be used together: --all takes every matching board, several -S name the boards; use one "
     "way",
     NULL},
    {"--all -l", MPF_ERR_USAGE, 0, "--all does not apply to -l", NULL},
    {"-B -U x", MPF_ERR_USAGE, 0, "-B does not apply to -U", NULL},
    {"--wait-app -x", MPF_ERR_USAGE, 0, "--wait-app does not apply to -x", NULL},
    {"--backup b.dfu -m", MPF_ERR_USAGE, 0, "--backup does not apply to -m", NULL},
    {"--backup b.dfu -m -u fw.dfu", MPF_ERR_USAGE, 0,
     "--backup and -m cannot be used together: a mass erase clears the whole chip; read it all first with -U FILE",
     NULL},
    {"--backup b.dfu --backup c.dfu -u fw.dfu", MPF_ERR_USAGE, 0, "--backup given twice; give it once", NULL},
    {"--sim-boards 3 -u fw.dfu", MPF_ERR_USAGE, 0, "--sim-boards needs --sim CHIP", NULL},
    {"--sim f401 --sim-boards 0 -u fw.dfu", MPF_ERR_USAGE, 0, "--sim-boards 0: expected a number of boards, 1..16",
     NULL},
    {"--sim f401,f405 --sim-boards 2 -u fw.dfu", MPF_ERR_USAGE, 0,
     "--sim-boards and a list of chips in --sim cannot be used together: give the number of boards one way", NULL},
    {"--sim f401,,f405 -u fw.dfu", MPF_ERR_USAGE, 0, "--sim f401,,f405: an empty chip name; see --sim list", NULL},
    {"--sim f401 -B -u fw.dfu", MPF_ERR_USAGE, 0,
     "-B and --sim cannot be used together: a virtual board has no USB serial port and is always in DFU mode", NULL},
    {"--sim f401 --wait-app -u fw.dfu", MPF_ERR_USAGE, 0,
     "--wait-app and --sim cannot be used together: a virtual board has no USB serial port and is always in DFU "
     "mode",
     NULL},
    {"--all -B " PORT0 " -u fw.dfu", MPF_ERR_USAGE, 0,
     "--all and -B cannot be used together: --all finds every board, a PORT names one; use one way", NULL},
    {"-B " PORT0 " -S X -u fw.dfu", MPF_ERR_USAGE, 0,
     "-B and -S cannot be used together: the PORT names the board; -S and -p choose among the boards -B finds "
     "without one",
     NULL},
    {"-B " PORT0 " -B -u fw.dfu", MPF_ERR_USAGE, 0, "-B: give a PORT every time, or once without one", NULL},
    {"--bootloader= -u fw.dfu", MPF_ERR_USAGE, 0, "--bootloader=: give the board's serial port, e.g. " PORT0,
     NULL},
    {"-B --dry-run -u fw.dfu", MPF_ERR_USAGE, 0,
     "-B and --dry-run cannot be used together: a dry run changes nothing, but entering the bootloader stops the "
     "board's program",
     NULL},
    {"--wait-app --stay -u fw.dfu", MPF_ERR_USAGE, 0,
     "--wait-app and --stay cannot be used together: the board must leave DFU mode for its application to come "
     "back",
     NULL},
    {"--wait-app=0 -u fw.dfu", MPF_ERR_USAGE, 0, "--wait-app=0: expected a number of seconds, 1..3600", NULL},
};

/* Split the row's arguments; "\s" stands for a space inside one. */
static int split(const char *args, char *storage, size_t storage_len, char **argv)
{
    int argc = 0;
    argv[argc++] = "mpflash";
    snprintf(storage, storage_len, "%s", args);
    char *p = storage;
    while (*p) {
        while (*p == ' ')
            p++;
        if (!*p)
            break;
        argv[argc++] = p;
        while (*p && *p != ' ')
            p++;
        if (*p)
            *p++ = '\0';
    }
    for (int i = 1; i < argc; i++) {
        char *s;
        while ((s = strstr(argv[i], "\\s")) != NULL) {
            *s = ' ';
            memmove(s + 1, s + 2, strlen(s + 2) + 1);
        }
    }
    argv[argc] = NULL;
    return argc;
}

static void test_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const parse_case *c = &cases[i];
        char storage[512];
        char *argv[MAX_ARGS + 1];
        int argc = split(c->args, storage, sizeof storage, argv);
        tool_options o;
        mpf_error err = {0};
        mpf_err rc = tool_options_parse(&o, argc, argv, &err);
        if (rc != c->rc || (rc == MPF_OK && o.command != c->cmd) ||
            (rc != MPF_OK && strcmp(err.message, c->message) != 0)) {
            print_error("case %u \"%s\": rc %d command %d message \"%s\"\n", (unsigned)i, c->args, rc, o.command,
                        err.message);
            tool_options_free(&o);
            fail();
        }
        if (rc == MPF_OK && c->check)
            c->check(&o);
        tool_options_free(&o);
    }
}

/* Whatever the order, the defaults hold when nothing overrides them. */
static void test_defaults(void **state)
{
    (void)state;
    char *argv[] = {"mpflash", "fw.dfu", NULL};
    tool_options o;
    mpf_error err;
    assert_int_equal(tool_options_parse(&o, 2, argv, &err), MPF_OK);
    assert_true(o.verify);
    assert_false(o.stay);
    assert_false(o.leave);
    assert_false(o.dry_run);
    assert_false(o.json);
    assert_false(o.quiet);
    assert_int_equal(o.verbose, 0);
    assert_int_equal(o.transfer_size, 0);
    assert_false(o.alt_set);
    assert_int_equal(o.filter.vid, MPF_USB_ANY_ID);
    assert_int_equal(o.filter.alt, -1);
    assert_null(o.sim_chip);
    tool_options_free(&o);
}

/* argv is not reordered or modified: the parser only reads it. */
static void test_argv_untouched(void **state)
{
    (void)state;
    char a0[] = "mpflash", a1[] = "-vD", a2[] = "fw.dfu", a3[] = "-s", a4[] = ":leave";
    char *argv[] = {a0, a1, a2, a3, a4, NULL};
    tool_options o;
    mpf_error err;
    assert_int_equal(tool_options_parse(&o, 5, argv, &err), MPF_OK);
    assert_string_equal(argv[1], "-vD");
    assert_string_equal(argv[2], "fw.dfu");
    assert_string_equal(argv[4], ":leave");
    assert_ptr_equal(o.files[0], argv[2]);
    tool_options_free(&o);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_argv_untouched),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
