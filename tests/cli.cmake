# End-to-end tests of the built mpflash binary: tests/cli/test_cli_*.c each
# become a program that runs it as a user would (argv, environment, exit
# code, stdout, stderr, files) and compares with tests/cli/golden/.
# MPFLASH_UPDATE_GOLDEN=1 ctest ... rewrites the golden files for review.
# Fragments are included in name order, so the sample and the fake libusb
# targets appear after this one: set up at the end of the directory.
function(mpflash_add_cli_tests)
if(TARGET mpflash AND TARGET sample_firmware)
  add_library(mpflash_cli_run STATIC ${CMAKE_CURRENT_SOURCE_DIR}/cli/cli_run.c
              ${CMAKE_CURRENT_SOURCE_DIR}/cli/cli_helpers.c ${CMAKE_CURRENT_SOURCE_DIR}/support/test_os.c)
  # support/ for the header-only table_tests.h; the CLI tests that need more link it below.
  target_include_directories(mpflash_cli_run PUBLIC ${CMAKE_CURRENT_SOURCE_DIR}/cli
                             ${CMAKE_CURRENT_SOURCE_DIR}/support)
  target_link_libraries(mpflash_cli_run PUBLIC PkgConfig::CMOCKA)
  target_compile_definitions(mpflash_cli_run PUBLIC
    MPFLASH_BIN="$<TARGET_FILE:mpflash>"
    MPFLASH_PROJECT_VERSION="${PROJECT_VERSION}"
    MPFLASH_GOLDEN_DIR="${CMAKE_CURRENT_SOURCE_DIR}/cli/golden"
    MPFLASH_SAMPLE_DIR="${CMAKE_BINARY_DIR}/sample"
    MPFLASH_CLI_WORK_DIR="${CMAKE_BINARY_DIR}/cli-work")
  if(TARGET fakeusb)
    target_compile_definitions(mpflash_cli_run PUBLIC MPFLASH_FAKE_LIBUSB="$<TARGET_FILE:fakeusb>")
  endif()

  file(GLOB MPFLASH_CLI_TEST_SOURCES CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/cli/test_cli_*.c)
  if(WIN32)
    # Boards on a pseudo-terminal listed in a fake sysfs: Linux only (README).
    list(FILTER MPFLASH_CLI_TEST_SOURCES EXCLUDE REGEX "/test_cli_bootloader\\.c$")
  endif()
  foreach(src ${MPFLASH_CLI_TEST_SOURCES})
    get_filename_component(name ${src} NAME_WE)
    add_executable(${name} ${src})
    target_link_libraries(${name} PRIVATE mpflash_cli_run)
    add_dependencies(${name} mpflash sample_firmware)
    if(TARGET fakeusb)
      add_dependencies(${name} fakeusb)
    endif()
    add_test(NAME ${name} COMMAND ${name})
    set_tests_properties(${name} PROPERTIES TIMEOUT 120 SKIP_RETURN_CODE 77)
  endforeach()
  # Inputs that once hung the run (a FIFO, a tty): a hang fails here in
  # seconds instead of after two minutes; the runs take well under one.
  if(TARGET test_cli_inputs)
    set_tests_properties(test_cli_inputs PROPERTIES TIMEOUT 30)
  endif()
  # The bootloader cycle plays MicroPython boards: a REPL on a pseudo-terminal
  # and a sysfs tree (tests/support); --convert's expected file comes from
  # the DfuSe builder there.
  foreach(name test_cli_bootloader test_cli_convert)
    if(TARGET ${name})
      target_link_libraries(${name} PRIVATE mpflash_test_support)
    endif()
  endforeach()
endif()
# In-process tool tests read the sample too.
if(TARGET test_tool_run AND TARGET sample_firmware)
  add_dependencies(test_tool_run sample_firmware)
endif()
endfunction()
cmake_language(DEFER CALL mpflash_add_cli_tests)
