# libfakeusb.so: the libusb-1.0 functions mpflash calls, answered by virtual
# STM32 boards (src/sim). LD_PRELOAD it in front of the real libusb to run the
# unchanged mpflash binary against boards described by MPFLASH_FAKE_USB; see
# tests/fake_libusb/fake_libusb.c for the environment it reads.
#
# The virtual device is compiled in again (position-independent, symbols
# hidden by the version script) rather than linked from mpflash_core, which
# is a static non-PIC library.
file(GLOB FAKEUSB_SOURCES CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/fake_libusb/*.c)
file(GLOB FAKEUSB_DEVICE_SOURCES CONFIGURE_DEPENDS
  ${PROJECT_SOURCE_DIR}/src/common/*.c ${PROJECT_SOURCE_DIR}/src/chips/*.c ${PROJECT_SOURCE_DIR}/src/image/*.c
  ${PROJECT_SOURCE_DIR}/src/plan/*.c ${PROJECT_SOURCE_DIR}/src/engine/*.c ${PROJECT_SOURCE_DIR}/src/sim/*.c)
add_library(fakeusb SHARED ${FAKEUSB_SOURCES} ${FAKEUSB_DEVICE_SOURCES} ${MPFLASH_PLATFORM_IO_SOURCES})
target_link_libraries(fakeusb PRIVATE ${MPFLASH_PLATFORM_LIBS})
target_include_directories(fakeusb PRIVATE
  ${PROJECT_SOURCE_DIR}/include ${PROJECT_BINARY_DIR}/include ${PROJECT_SOURCE_DIR}/src ${LIBUSB_INCLUDE_DIRS})
if(WIN32)
  # On Windows the fake is a libusb-1.0.dll in a folder of its own; a run
  # puts that folder first on PATH (tests/cli/cli_run.c, WINEPATH below), so
  # the mpflash.exe of the test build, which imports libusb-1.0.dll, gets it.
  set_target_properties(fakeusb PROPERTIES PREFIX "lib" OUTPUT_NAME "usb-1.0"
    RUNTIME_OUTPUT_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR}/fakeusb)
  target_compile_definitions(fakeusb PRIVATE MPFLASH_FAKEUSB_DLL)
else()
  set(FAKEUSB_MAP ${CMAKE_CURRENT_SOURCE_DIR}/fake_libusb/fakeusb.map)
  target_link_options(fakeusb PRIVATE -Wl,--version-script=${FAKEUSB_MAP})
  set_target_properties(fakeusb PROPERTIES LINK_DEPENDS ${FAKEUSB_MAP})
endif()
if(NOT MPFLASH_SANITIZE AND NOT WIN32)
  # Every symbol resolved at build time (sanitizer runtimes come from the
  # program the library is preloaded into, so not then).
  target_link_options(fakeusb PRIVATE -Wl,-z,defs)
endif()

# The in-process tests of src/usb against the fake: the test program links
# the real libusb, and the preload takes its place.
if(TARGET test_usb_fake)
  add_dependencies(test_usb_fake fakeusb)
  # gcc's ASan wants its runtime first in the library list; the preload
  # comes before it, which is harmless here.
  if(WIN32)
    set_tests_properties(test_usb_fake PROPERTIES ENVIRONMENT "WINEPATH=$<TARGET_FILE_DIR:fakeusb>")
  else()
    set_tests_properties(test_usb_fake PROPERTIES ENVIRONMENT
      "LD_PRELOAD=$<TARGET_FILE:fakeusb>;ASAN_OPTIONS=verify_asan_link_order=0")
  endif()
endif()

# Every libusb function the mpflash binary imports must be one the fake
# exports, or a preloaded run would silently reach the real library.
if(TARGET mpflash)
  add_test(NAME fakeusb_covers_mpflash
    COMMAND ${CMAKE_COMMAND} -DPROGRAM=$<TARGET_FILE:mpflash> -DFAKE=$<TARGET_FILE:fakeusb>
            -DOBJDUMP=${CMAKE_OBJDUMP}
            -P ${CMAKE_CURRENT_SOURCE_DIR}/fake_libusb/check_symbols.cmake)
endif()
