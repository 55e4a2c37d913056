# The real-libusb tier: the boards of the fake libusb served to Debian's
# libusb-1.0 over umockdev's emulated sysfs and usbfs (tests/usbfs). Built
# when umockdev is found (the README's test command installs it, so CI
# always runs it).
#  - usbfs_bed: the emulated bus, linked into in-process tests of src/usb,
#    which also link umockdev's preload library (ahead of libc, so it
#    redirects their /sys and /dev; an LD_PRELOAD would trip ASan's
#    link-order check);
#  - usbfs-launch: runs the mpflash binary as a child on the bus;
#  - the tests: the fake tier's (test_usb_fake.c, tests/cli/test_cli_usb.c,
#    test_cli_micropython_lines.c, the fault matrix's USB rows) built again
#    on the bus as test_usbfs_*, and tests/usbfs/test_usbfs_cli.c.
pkg_check_modules(UMOCKDEV IMPORTED_TARGET umockdev-1.0)
find_library(UMOCKDEV_PRELOAD NAMES umockdev-preload HINTS ${UMOCKDEV_LIBDIR})
if(UMOCKDEV_FOUND AND UMOCKDEV_PRELOAD)
  get_filename_component(UMOCKDEV_PRELOAD_REAL ${UMOCKDEV_PRELOAD} REALPATH)
  add_library(usbfs_bed STATIC
    ${CMAKE_CURRENT_SOURCE_DIR}/usbfs/usbfs_bus.c
    ${CMAKE_CURRENT_SOURCE_DIR}/usbfs/usbfs_ioctl.c
    ${CMAKE_CURRENT_SOURCE_DIR}/fake_libusb/fake_world.c
    ${CMAKE_CURRENT_SOURCE_DIR}/fake_libusb/fake_device.c
    ${CMAKE_CURRENT_SOURCE_DIR}/fake_libusb/fake_descriptors.c)
  target_include_directories(usbfs_bed PUBLIC ${CMAKE_CURRENT_SOURCE_DIR}/usbfs
    ${CMAKE_CURRENT_SOURCE_DIR}/fake_libusb PRIVATE ${PROJECT_SOURCE_DIR}/src)
  # The bus's own process needs the preload too: umockdev sends uevents
  # through the testbed's /sys, which only the preload shows it.
  target_link_libraries(usbfs_bed PUBLIC ${UMOCKDEV_PRELOAD_REAL} mpflash_core PkgConfig::UMOCKDEV
    PkgConfig::LIBUSB Threads::Threads)

  add_executable(usbfs-launch ${CMAKE_CURRENT_SOURCE_DIR}/usbfs/usbfs_launch.c)
  target_link_libraries(usbfs-launch PRIVATE usbfs_bed)
  target_compile_definitions(usbfs-launch PRIVATE USBFS_PRELOAD="${UMOCKDEV_PRELOAD_REAL}")

  function(mpflash_add_usbfs_tests)
    if(TARGET mpflash_cli_run AND TARGET fakeusb)
      # tests/cli's helpers built again for this tier: RUN_USB starts the
      # binary through usbfs-launch, in work directories of their own.
      get_target_property(cli_sources mpflash_cli_run SOURCES)
      get_target_property(cli_includes mpflash_cli_run INTERFACE_INCLUDE_DIRECTORIES)
      get_target_property(cli_libs mpflash_cli_run INTERFACE_LINK_LIBRARIES)
      get_target_property(cli_defs mpflash_cli_run INTERFACE_COMPILE_DEFINITIONS)
      list(FILTER cli_defs EXCLUDE REGEX "^MPFLASH_CLI_WORK_DIR=")
      add_library(usbfs_cli STATIC ${cli_sources})
      target_include_directories(usbfs_cli PUBLIC ${cli_includes})
      target_link_libraries(usbfs_cli PUBLIC ${cli_libs})
      target_compile_definitions(usbfs_cli PUBLIC ${cli_defs}
        MPFLASH_CLI_WORK_DIR="${CMAKE_BINARY_DIR}/cli-work-usbfs"
        USBFS_LAUNCH="$<TARGET_FILE:usbfs-launch>"
        LIBUSB_LIBDIR="${LIBUSB_LIBDIR}")
      # The fake tier's end-to-end tests, the fault matrix (in three parts
      # that run side by side: stalls and disconnects, the timeouts at 5 s
      # each, the DFU statuses), every MicroPython command line, and this
      # tier's own.
      set(usbfs_cli_tests
        test_usbfs_cli_usb cli/test_cli_usb.c
        test_usbfs_cli_lines cli/test_cli_micropython_lines.c
        test_usbfs_cli_faults cli/test_cli_fault_matrix.c
        test_usbfs_cli_timeouts cli/test_cli_fault_matrix.c
        test_usbfs_cli_statuses cli/test_cli_fault_matrix.c
        test_usbfs_cli usbfs/test_usbfs_cli.c)
      while(usbfs_cli_tests)
        list(POP_FRONT usbfs_cli_tests name src)
        add_executable(${name} ${CMAKE_CURRENT_SOURCE_DIR}/${src})
        target_link_libraries(${name} PRIVATE usbfs_cli)
        add_dependencies(${name} mpflash sample_firmware usbfs-launch)
        add_test(NAME ${name} COMMAND ${name})
        set_tests_properties(${name} PROPERTIES TIMEOUT 300 SKIP_RETURN_CODE 77)
      endwhile()
      target_compile_definitions(test_usbfs_cli_timeouts PRIVATE USBFS_TIMEOUTS)
      target_compile_definitions(test_usbfs_cli_statuses PRIVATE USBFS_STATUSES)
    endif()
    # src/usb in-process on the bus: test_usb_fake.c built again.
    add_executable(test_usbfs_usb ${CMAKE_CURRENT_SOURCE_DIR}/test_usb_fake.c)
    target_compile_definitions(test_usbfs_usb PRIVATE USBFS_TIER)
    target_link_libraries(test_usbfs_usb PRIVATE usbfs_bed mpflash_test_support PkgConfig::CMOCKA)
    add_test(NAME test_usbfs_usb COMMAND test_usbfs_usb)
    set_tests_properties(test_usbfs_usb PROPERTIES TIMEOUT 300)
  endfunction()
  cmake_language(DEFER CALL mpflash_add_usbfs_tests)
else()
  message(STATUS "umockdev-1.0 not found: the real-libusb (usbfs) tests are not built")
endif()
