# The real-libusb tier: the boards of the fake libusb served to Debian's
# libusb-1.0 over umockdev's emulated sysfs and usbfs (tests/usbfs). Built
# when umockdev is found (the README's test command installs it, so CI
# always runs it).
#  - usbfs_bed: the emulated bus, linked into in-process tests of src/usb,
#    which also link umockdev's preload library (ahead of libc, so it
#    redirects their /sys and /dev; an LD_PRELOAD would trip ASan's
#    link-order check);
#  - usbfs-launch: runs the mpflash binary as a child on the bus;
#  - tests/usbfs/test_usbfs_*.c: the tests.
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
    if(TARGET mpflash_cli_run)
      add_library(usbfs_cli STATIC ${CMAKE_CURRENT_SOURCE_DIR}/usbfs/usbfs_cli.c)
      target_include_directories(usbfs_cli PUBLIC ${CMAKE_CURRENT_SOURCE_DIR}/usbfs)
      target_link_libraries(usbfs_cli PUBLIC mpflash_cli_run)
      target_compile_definitions(usbfs_cli PUBLIC USBFS_LAUNCH="$<TARGET_FILE:usbfs-launch>"
        LIBUSB_LIBDIR="${LIBUSB_LIBDIR}")
    endif()
    file(GLOB MPFLASH_USBFS_TEST_SOURCES CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/usbfs/test_usbfs_*.c)
    foreach(src ${MPFLASH_USBFS_TEST_SOURCES})
      get_filename_component(name ${src} NAME_WE)
      add_executable(${name} ${src})
      if(name MATCHES "^test_usbfs_cli")
        # The binary as a user runs it, on the bus.
        target_link_libraries(${name} PRIVATE usbfs_cli)
        add_dependencies(${name} mpflash sample_firmware usbfs-launch)
      else()
        # In-process: the library's own USB code on the bus. The preload
        # comes first among the shared libraries.
        target_link_libraries(${name} PRIVATE usbfs_bed mpflash_test_support PkgConfig::CMOCKA)
      endif()
      add_test(NAME ${name} COMMAND ${name})
      set_tests_properties(${name} PROPERTIES TIMEOUT 300 SKIP_RETURN_CODE 77)
    endforeach()
    # The fake libusb's tests, again on the real library: src/usb in-process,
    # and the binary end to end.
    add_executable(test_usbfs_usb ${CMAKE_CURRENT_SOURCE_DIR}/test_usb_fake.c)
    target_compile_definitions(test_usbfs_usb PRIVATE USBFS_TIER)
    target_link_libraries(test_usbfs_usb PRIVATE usbfs_bed mpflash_test_support PkgConfig::CMOCKA)
    add_test(NAME test_usbfs_usb COMMAND test_usbfs_usb)
    set_tests_properties(test_usbfs_usb PROPERTIES TIMEOUT 300)
    if(TARGET usbfs_cli)
      add_executable(test_usbfs_cli_usb ${CMAKE_CURRENT_SOURCE_DIR}/cli/test_cli_usb.c)
      target_link_libraries(test_usbfs_cli_usb PRIVATE usbfs_cli)
      add_dependencies(test_usbfs_cli_usb mpflash sample_firmware usbfs-launch)
      add_test(NAME test_usbfs_cli_usb COMMAND test_usbfs_cli_usb)
      set_tests_properties(test_usbfs_cli_usb PROPERTIES TIMEOUT 300 SKIP_RETURN_CODE 77)
      # The fault matrix's USB rows, on the real library: stalls and
      # disconnects, and (apart, to run side by side) the timeouts.
      foreach(part faults timeouts)
        add_executable(test_usbfs_cli_${part} ${CMAKE_CURRENT_SOURCE_DIR}/cli/test_cli_fault_matrix.c)
        target_link_libraries(test_usbfs_cli_${part} PRIVATE usbfs_cli)
        add_dependencies(test_usbfs_cli_${part} mpflash sample_firmware usbfs-launch)
        add_test(NAME test_usbfs_cli_${part} COMMAND test_usbfs_cli_${part})
        set_tests_properties(test_usbfs_cli_${part} PROPERTIES TIMEOUT 300)
      endforeach()
      target_compile_definitions(test_usbfs_cli_timeouts PRIVATE USBFS_TIMEOUTS)
    endif()
  endfunction()
  cmake_language(DEFER CALL mpflash_add_usbfs_tests)
else()
  message(STATUS "umockdev-1.0 not found: the real-libusb (usbfs) tests are not built")
endif()
