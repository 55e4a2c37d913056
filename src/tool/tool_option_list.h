/* Every command-line option, described once. This list is included twice
 * (an "X macro"): tool_options_internal.h makes the OPT_<ID> enum from the
 * first argument of each row, and tool_option_effects.c makes the parser's
 * table from the rest. The parser, the check of which command an option goes
 * with, the conflicts, and the --help text are all read from these rows;
 * tests/test_tool_option_table.c checks docs/mpflash.1 names the same
 * options and that each row is one the parser can apply.
 *
 * TO ADD AN OPTION: add one OPT(ID, ...) row in the --help group and order it
 * should appear in, with
 *   .short_name / .long_name   'x' and/or "name" (either may be left out)
 *   .arg, .arg_name            TOOL_ARG_NONE / _REQUIRED / _OPTIONAL (given
 *                              as --name=V, or the next argument when
 *                              .shaped says it looks like one), and the
 *                              value's name in --help
 *   .commands                  CMD(TOOL_CMD_...) | ... that it applies to;
 *                              anything else is refused, never ignored
 *   .once, .no_stdin           refuse it given twice / refuse "-" as value
 *   its effect:                SETS(field) (an int set to 1), STRING(field),
 *                              NUMBER(field, min, max, why) ("MIN..MAX" in
 *                              why is replaced by the range), and/or
 *                              .apply = a function in tool_option_effects.c
 *                              for anything more
 *   .conflicts, .needs         options it cannot go with (and why) / needs
 *   .group, .help              where it goes in --help and its text
 *                              ('\n' starts a continuation line)
 *   .refusal                   for an option mpflash refuses by name
 *   .dfuse_only                for an option only ST DfuSe devices take: why
 *                              a plain DFU device refuses it (also list it in
 *                              docs/mpflash.1, PLAIN DFU DEVICES, and
 *                              docs/migrating.md; the table test checks)
 * then a field in tool_options (tool_options.h) if it has one, the command
 * that reads it, a .TP entry in docs/mpflash.1, and a row in
 * tests/test_tool_options.c. Rules that need the whole command line (values
 * spelled inside -s, counts of -S) stay in tool_options_decide.c. */

#define NO_SERIAL_ON_SIM "a virtual board has no USB serial port and is always in DFU mode"
#define MUST_LEAVE_FOR_APP "the board must leave DFU mode for its application to come back"
#define USB_ID_BAD "expected a USB ID such as 0x0483 (hexadecimal needs the 0x)"
#define SECONDS_BAD "expected a number of seconds, MIN..MAX"
#define DFU_CMDS_BUT_DETACH (CMD(TOOL_CMD_FLASH) | CMD(TOOL_CMD_READ) | CMD(TOOL_CMD_MASS_ERASE) | CMD(TOOL_CMD_LEAVE))

/* ---- Flashing ---------------------------------------------------------- */
OPT(UPLOAD_PYDFU, .short_name = 'u', .long_name = "upload", /* pydfu's name: it WRITES to the device */
    .arg = TOOL_ARG_REQUIRED, .arg_name = "FILE", .commands = CMD(TOOL_CMD_FLASH), .no_stdin = 1,
    .apply = effect_flash_file, .group = HELP_FLASHING,
    .help = "write FILE to the board (pydfu's name for it)")
OPT(DOWNLOAD, .short_name = 'D', .long_name = "download",
    .arg = TOOL_ARG_REQUIRED, .arg_name = "FILE", .commands = CMD(TOOL_CMD_FLASH), .no_stdin = 1,
    .apply = effect_flash_file, .group = HELP_FLASHING,
    .help = "write FILE to the board (dfu-util's name for it)")
OPT(MASS_ERASE, .short_name = 'm', .long_name = "mass-erase",
    .commands = CMD(TOOL_CMD_FLASH) | CMD(TOOL_CMD_MASS_ERASE), SETS(mass_erase), .group = HELP_FLASHING,
    .dfuse_only = "which has no mass erase command (it rewrites what it is sent, nothing else): drop it",
    .help = "erase all flash first (erases the filesystem too)")
OPT(NO_VERIFY, .long_name = "no-verify", .commands = CMD(TOOL_CMD_FLASH), .apply = effect_no_verify,
    .group = HELP_FLASHING, .help = "do not read back what was written")
OPT(STAY, .long_name = "stay", .commands = CMD(TOOL_CMD_FLASH), SETS(stay), .group = HELP_FLASHING,
    .help = "stay in DFU mode (default: start the new firmware)")
OPT(LEAVE_ADDRESS, .long_name = "leave-address", .arg = TOOL_ARG_REQUIRED, .arg_name = "ADDR",
    .commands = DFU_CMDS_BUT_DETACH, .once = 1, SETS(has_leave_address),
    NUMBER(leave_address, 0, UINT32_MAX, "expected an address such as 0x08000000"), .group = HELP_FLASHING,
    .dfuse_only = "which starts its firmware by itself after the USB reset: drop it",
    .help = "start the firmware at ADDR when leaving DFU mode")
OPT(DRY_RUN, .long_name = "dry-run", .commands = CMD(TOOL_CMD_FLASH), SETS(dry_run), .group = HELP_FLASHING,
    .help = "print sectors to erase, ranges to write and the\n"
            "estimated time; change nothing")
OPT(ADDRESS, .short_name = 's', .long_name = "dfuse-address", .arg = TOOL_ARG_REQUIRED,
    .arg_name = "[ADDR][:LEN][:MODIFIER]...",
    .commands = DFU_CMDS_BUT_DETACH | CMD(TOOL_CMD_UNPROTECT) | CMD(TOOL_CMD_INFO) | CMD(TOOL_CMD_CONVERT),
    .once = 1, .apply = effect_dfuse_address, .group = HELP_FLASHING,
    .help = "ADDR: where a raw binary goes, or where -U starts;\n"
            "LEN: bytes to read with -U; MODIFIER: leave, force,\n"
            "mass-erase (needs force), unprotect (needs force),\n"
            "will-reset")
OPT(TRANSFER_SIZE, .short_name = 't', .long_name = "transfer-size", .arg = TOOL_ARG_REQUIRED, .arg_name = "N",
    .commands = CMD(TOOL_CMD_FLASH) | CMD(TOOL_CMD_READ), .once = 1,
    NUMBER(transfer_size, 1, 0xFFFF, "the transfer size is MIN..MAX bytes (STM32 bootloaders use 2048)"),
    .group = HELP_FLASHING, .help = "bytes per USB request (default: the board's)")
OPT(CHIP, .long_name = "chip", .arg = TOOL_ARG_REQUIRED, .arg_name = "FAMILY",
    .commands = CMD(TOOL_CMD_FLASH), .once = 1, .apply = effect_chip, .group = HELP_FLASHING,
    .dfuse_only = "not an STM32 DfuSe bootloader, so no STM32 family rules apply: drop it",
    .help = "the board's STM32 family, for a board that shows\n"
            "too little: f4 f7 h7 h7ab h5 l4 g0 g4 wb u5 unknown\n"
            "(default: from its descriptors)")
OPT(FULL, .long_name = "full", .commands = CMD(TOOL_CMD_FLASH), SETS(full), .group = HELP_FLASHING,
    .dfuse_only = "which rewrites everything it is sent anyway (it has no sectors to skip): drop it",
    .help = "erase and write every sector the firmware\n"
            "touches (default: skip sectors that already\n"
            "hold it, write blank ones without erasing)")
OPT(BACKUP, .long_name = "backup", .arg = TOOL_ARG_REQUIRED, .arg_name = "FILE",
    .commands = CMD(TOOL_CMD_FLASH), .once = 1, .no_stdin = 1, STRING(backup_file), .group = HELP_FLASHING,
    .dfuse_only = "which has no sectors to keep (it erases as the stream arrives): read it first with -U "
                  "FILE where it can upload",
    .help = "first read the sectors about to be erased into\n"
            "FILE, a .dfu that -u FILE restores")
OPT(FORCE, .long_name = "force", .commands = ALL_CMDS, SETS(force), .group = HELP_FLASHING,
    .help = "overwrite the -U or --backup file; flash a .dfu\n"
            "made for other USB IDs; write option bytes")

/* ---- Other board commands ---------------------------------------------- */
OPT(READ, .short_name = 'U', .long_name = "read", .arg = TOOL_ARG_REQUIRED, .arg_name = "FILE",
    .commands = CMD(TOOL_CMD_READ), .once = 1, .no_stdin = 1, STRING(read_file), .group = HELP_BOARD,
    .help = "read flash into FILE (-s ADDR:LEN picks the range;\n"
            "default: all of the memory); needs --force to\n"
            "replace an existing FILE")
OPT(LIST, .short_name = 'l', .long_name = "list", .commands = CMD(TOOL_CMD_LIST), .group = HELP_BOARD,
    .help = "list DFU devices with their memory layouts")
OPT(EXIT, .short_name = 'x', .long_name = "exit", .commands = DFU_CMDS_BUT_DETACH, SETS(exit_dfu),
    .apply = effect_leave, .group = HELP_BOARD, .help = "leave DFU mode and start the firmware (pydfu)")
/* Arduino's dfu-util fork reads -R with a value it ignores ("R:" in its
 * getopt string, bcmi-labs/dfu-util 52a4c86): -R=V, or a number after it. */
OPT(RESET, .short_name = 'R', .long_name = "reset", .arg = TOOL_ARG_OPTIONAL, .arg_name = "IGNORED",
    .shaped = tool_arg_is_number, .commands = DFU_CMDS_BUT_DETACH, SETS(reset), .apply = effect_leave,
    .group = HELP_BOARD,
    .help = "leave DFU mode when done (dfu-util); a plain DFU\n"
            "board gets a USB reset; a value (Arduino's\n"
            "dfu-util takes one) is ignored")
OPT(FINAL_DETACH, .short_name = 'Q', .long_name = "final-detach", .commands = DFU_CMDS_BUT_DETACH,
    SETS(final_detach), .apply = effect_leave,
    .conflicts = {{OPT_STAY, "one keeps the board in DFU mode, the other leaves it"}}, .group = HELP_BOARD,
    .help = "plain DFU: leave by DETACH instead of a USB\n"
            "reset (Arduino's dfu-util --final-detach)")
OPT(DETACH, .short_name = 'e', .long_name = "detach", .commands = DEVICE_CMDS, SETS(detach), .group = HELP_BOARD,
    .help = "switch a board in run-time mode to DFU mode")
OPT(DETACH_DELAY, .short_name = 'E', .long_name = "detach-delay", .arg = TOOL_ARG_REQUIRED, .arg_name = "SECONDS",
    .commands = DEVICE_CMDS, .once = 1, SETS(has_detach_delay), NUMBER(detach_delay, 1, 3600, SECONDS_BAD),
    .group = HELP_BOARD,
    .help = "after DETACH, wait up to SECONDS (default 10) for\n"
            "the board to come back in DFU mode")
OPT(UPLOAD_SIZE, .short_name = 'Z', .long_name = "upload-size", .arg = TOOL_ARG_REQUIRED, .arg_name = "N",
    .commands = CMD(TOOL_CMD_READ), .once = 1, SETS(has_upload_size),
    NUMBER(upload_size, 1, UINT32_MAX, "expected a number of bytes, MIN..MAX"), .group = HELP_BOARD,
    .help = "with -U: read at most N bytes (plain DFU boards:\n"
            "default until the board's short frame)")
OPT(UNPROTECT, .long_name = "unprotect", .commands = CMD(TOOL_CMD_UNPROTECT), SETS(unprotect),
    .group = HELP_BOARD,
    .dfuse_only = "which has no read protection to remove (read unprotect is an ST DfuSe command): drop it",
    .help = "remove read protection; ERASES THE WHOLE CHIP\n"
            "(needs --force)")

/* ---- Choosing the board ------------------------------------------------ */
OPT(VID, .long_name = "vid", .arg = TOOL_ARG_REQUIRED, .arg_name = "ID",
    .commands = DEVICE_CMDS | CMD(TOOL_CMD_LIST) | CMD(TOOL_CMD_CONVERT), .once = 1, SETS(has_vid_override),
    NUMBER(vid_override, 0, 0xFFFF, USB_ID_BAD), .apply = effect_vid, .group = HELP_CHOOSING,
    .help = "USB vendor ID, e.g. 0x0483")
OPT(PID, .long_name = "pid", .arg = TOOL_ARG_REQUIRED, .arg_name = "ID",
    .commands = DEVICE_CMDS | CMD(TOOL_CMD_LIST) | CMD(TOOL_CMD_CONVERT), .once = 1, SETS(has_pid_override),
    NUMBER(pid_override, 0, 0xFFFF, USB_ID_BAD), .apply = effect_pid, .group = HELP_CHOOSING,
    .help = "USB product ID, e.g. 0xDF11")
OPT(DEVICE, .short_name = 'd', .long_name = "device", .arg = TOOL_ARG_REQUIRED,
    .arg_name = "[VID]:[PID][,[VID]:[PID]]", .commands = DEVICE_CMDS | CMD(TOOL_CMD_LIST), .once = 1,
    .apply = effect_device, .conflicts = {{OPT_VID, "give the IDs one way"}, {OPT_PID, "give the IDs one way"}},
    .group = HELP_CHOOSING, .help = "IDs in hex; a second pair is for DFU mode")
OPT(SERIAL, .short_name = 'S', .long_name = "serial", .arg = TOOL_ARG_REQUIRED, .arg_name = "SERIAL",
    .commands = DEVICE_CMDS | CMD(TOOL_CMD_LIST), .apply = effect_serial, .group = HELP_CHOOSING,
    .help = "serial number, as shown by -l")
OPT(PATH, .short_name = 'p', .long_name = "path", .arg = TOOL_ARG_REQUIRED, .arg_name = "BUS-PORT",
    .commands = DEVICE_CMDS | CMD(TOOL_CMD_LIST), .once = 1, .apply = effect_path, .group = HELP_CHOOSING,
    .help = "USB port path, as shown by -l (e.g. 1-2.3)")
OPT(ALT, .short_name = 'a', .long_name = "alt", .arg = TOOL_ARG_REQUIRED, .arg_name = "N|NAME",
    .commands = CMD(TOOL_CMD_FLASH) | CMD(TOOL_CMD_READ) | CMD(TOOL_CMD_MASS_ERASE) | CMD(TOOL_CMD_INFO) |
                CMD(TOOL_CMD_CONVERT),
    .once = 1, .apply = effect_alt, .group = HELP_CHOOSING,
    .help = "memory (alt setting) to use; default 0, the\n"
            "internal flash")
OPT(DEVNUM, .short_name = 'n', .long_name = "devnum", .arg = TOOL_ARG_REQUIRED, .arg_name = "N",
    .commands = DEVICE_CMDS | CMD(TOOL_CMD_LIST), .once = 1, NUMBER(devnum, 0, 255, "expected a USB device number, MIN..MAX"),
    .apply = effect_devnum, .group = HELP_CHOOSING,
    .help = "USB device number on its bus (changes at every\n"
            "replug; -S or -p are steadier)")
OPT(CFG, .short_name = 'c', .long_name = "cfg", .arg = TOOL_ARG_REQUIRED, .arg_name = "N",
    .commands = DEVICE_CMDS | CMD(TOOL_CMD_LIST), .once = 1, NUMBER(cfg, 0, 255, "expected a configuration value, MIN..MAX"),
    .apply = effect_cfg, .group = HELP_CHOOSING,
    .help = "USB configuration holding the DFU interface (0:\n"
            "any; DFU boards have one)")
OPT(INTF, .short_name = 'i', .long_name = "intf", .arg = TOOL_ARG_REQUIRED, .arg_name = "N",
    .commands = DEVICE_CMDS | CMD(TOOL_CMD_LIST), .once = 1, NUMBER(intf, 0, 255, "expected an interface number, MIN..MAX"),
    .apply = effect_intf, .group = HELP_CHOOSING, .help = "DFU interface number (default: the board's)")
/* -w waits as long as it takes (dfu-util); --wait=SECONDS puts a bound on it. */
OPT(WAIT, .short_name = 'w', .long_name = "wait", .arg = TOOL_ARG_OPTIONAL, .arg_name = "SECONDS",
    .shaped = tool_arg_is_number, .commands = DEVICE_CMDS | CMD(TOOL_CMD_LIST), .once = 1, SETS(wait),
    NUMBER(wait_seconds, 1, 3600, SECONDS_BAD), .group = HELP_CHOOSING, .help = "wait for the board to appear")
OPT(SIM, .long_name = "sim", .arg = TOOL_ARG_REQUIRED, .arg_name = "CHIP",
    .commands = DEVICE_CMDS | CMD(TOOL_CMD_LIST) | CMD(TOOL_CMD_SIM_LIST), .once = 1, .apply = effect_sim,
    .group = HELP_CHOOSING,
    .help = "use a built-in virtual board instead of USB: the ST\n"
            "ROM or mboot of each STM32 family (f405, h743, h563,\n"
            "l4r5, wb55, ...) or an Arduino plain DFU board;\n"
            "--sim list names the chips; CHIP+QUIRK adds a real\n"
            "bootloader's quirk: +pipe, +stuck-erase, +slow-status,\n"
            "+shared-serial, +packing (mboot only)")
OPT(SIM_STATE, .long_name = "sim-state", .arg = TOOL_ARG_REQUIRED, .arg_name = "FILE", .commands = DEVICE_CMDS,
    .once = 1, STRING(sim_state), .needs = OPT_SIM, .group = HELP_CHOOSING,
    .help = "keep the virtual board's flash in FILE between runs")

/* ---- Several boards, boards running MicroPython ------------------------ */
OPT(ALL, .long_name = "all", .commands = CMD(TOOL_CMD_FLASH), SETS(all), .group = HELP_SEVERAL,
    .help = "flash every matching board at once, with a\n"
            "table at the end; -S given more than once\n"
            "flashes the boards it names")
OPT(BOOTLOADER, .short_name = 'B', .long_name = "bootloader", .arg = TOOL_ARG_OPTIONAL, .arg_name = "PORT",
    .shaped = tool_arg_is_device_node, .commands = CMD(TOOL_CMD_FLASH), SETS(bootloader),
    .apply = effect_bootloader_port,
    .conflicts = {{OPT_SIM, NO_SERIAL_ON_SIM},
                  {OPT_DRY_RUN, "a dry run changes nothing, but entering the bootloader stops the board's program"}},
    .group = HELP_SEVERAL,
    .help = "have boards running MicroPython enter their\n"
            "bootloader (raw REPL on PORT, e.g.\n"
            "/dev/ttyACM0; Arduino boards: the 1200-baud\n"
            "touch; DFU_DETACH where the firmware has it);\n"
            "without PORT the boards are found; the\n"
            "DFU device is awaited --wait=SECONDS (10)")
OPT(WAIT_APP, .long_name = "wait-app", .arg = TOOL_ARG_OPTIONAL, .arg_name = "SECONDS",
    .shaped = tool_arg_is_number, .commands = CMD(TOOL_CMD_FLASH), .once = 1, SETS(wait_app),
    NUMBER(wait_app_seconds, 1, 3600, SECONDS_BAD),
    .conflicts = {{OPT_SIM, NO_SERIAL_ON_SIM}, {OPT_STAY, MUST_LEAVE_FOR_APP}, {OPT_DRY_RUN, MUST_LEAVE_FOR_APP}},
    .group = HELP_SEVERAL,
    .help = "after leaving DFU mode, wait (10 s) for the\n"
            "board's serial port and print it")
OPT(SIM_BOARDS, .long_name = "sim-boards", .arg = TOOL_ARG_REQUIRED, .arg_name = "N",
    .commands = DEVICE_CMDS | CMD(TOOL_CMD_LIST), .once = 1,
    NUMBER(sim_boards, 1, TOOL_MAX_BOARDS, "expected a number of boards, MIN..MAX"), .needs = OPT_SIM,
    .group = HELP_SEVERAL,
    .help = "with --sim CHIP: N virtual boards, SIM1..SIMn;\n"
            "--sim CHIP,CHIP,... makes one per chip")

/* ---- Firmware files ---------------------------------------------------- */
OPT(INFO, .long_name = "info", .arg_name = "FILE...", .commands = CMD(TOOL_CMD_INFO), .group = HELP_FILES,
    .help = "format, segments (address, size, CRC-32), suffix")
OPT(CONVERT, .long_name = "convert", .arg = TOOL_ARG_REQUIRED, .arg_name = "OUT FILE...",
    .commands = CMD(TOOL_CMD_CONVERT), .once = 1, STRING(convert_out), .group = HELP_FILES,
    .help = "write the firmware as OUT.dfu, OUT.hex or OUT.bin\n"
            "(.bin: one OUT.N.0xADDR.bin per segment)")
OPT(GAP_FILL, .long_name = "gap-fill", .arg = TOOL_ARG_REQUIRED, .arg_name = "BYTE",
    .commands = CMD(TOOL_CMD_CONVERT), .once = 1, SETS(has_gap_fill),
    NUMBER(gap_fill, 0, 0xFF, "expected a byte value MIN..MAX, e.g. 0xFF"), .group = HELP_FILES,
    .help = "with --convert to .bin: one file, gaps filled")

/* ---- Output ------------------------------------------------------------ */
OPT(VERBOSE, .short_name = 'v', .long_name = "verbose", .commands = ALL_CMDS, .apply = effect_verbose,
    .group = HELP_OUTPUT, .help = "show every USB request")
OPT(QUIET, .short_name = 'q', .long_name = "quiet", .commands = ALL_CMDS, SETS(quiet),
    .conflicts = {{OPT_VERBOSE, "pick one"}}, .group = HELP_OUTPUT, .help = "print errors only")
OPT(NO_PROGRESS, .long_name = "no-progress", .commands = ALL_CMDS, SETS(no_progress), .group = HELP_OUTPUT,
    .help = "no progress lines")
OPT(JSON, .long_name = "json", .commands = ALL_CMDS, SETS(json), .group = HELP_OUTPUT,
    .help = "one JSON object per line on stdout (docs/json.md)")
OPT(HELP, .short_name = 'h', .long_name = "help", .commands = ALL_CMDS, .apply = effect_help,
    .group = HELP_OUTPUT, .help = "this help")
OPT(VERSION, .short_name = 'V', .long_name = "version", .commands = ALL_CMDS, .group = HELP_OUTPUT,
    .help = "the version")

/* ---- dfu-util options MicroPython users do not pass; refused by name --- */
OPT(YES, .short_name = 'y', .long_name = "yes",
    .refusal = "mpflash never asks questions, so there is nothing to answer")

#undef NO_SERIAL_ON_SIM
#undef MUST_LEAVE_FOR_APP
#undef USB_ID_BAD
#undef SECONDS_BAD
#undef DFU_CMDS_BUT_DETACH
