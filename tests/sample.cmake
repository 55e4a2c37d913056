# The sample firmware the README's first command flashes onto the virtual
# board: written at build time, deterministic, so a fresh checkout can try
# the tool with no board and no MicroPython build. Needs only the core
# library (no cmocka), so it can be built with MPFLASH_TESTS=OFF too: the
# top-level CMakeLists.txt may include this file directly, and
# tests/CMakeLists.txt picks it up as a fragment; the guard keeps one copy.
include_guard(GLOBAL)

add_executable(make_sample
  ${CMAKE_CURRENT_LIST_DIR}/sample/make_sample.c
  ${CMAKE_CURRENT_LIST_DIR}/support/images.c
  ${CMAKE_CURRENT_LIST_DIR}/support/dfuse_builder.c)
target_include_directories(make_sample PRIVATE ${CMAKE_CURRENT_LIST_DIR}/support)
target_link_libraries(make_sample PRIVATE mpflash_core)

set(MPFLASH_SAMPLE_DIR ${CMAKE_BINARY_DIR}/sample)
set(MPFLASH_SAMPLE_FILES
  ${MPFLASH_SAMPLE_DIR}/firmware.dfu ${MPFLASH_SAMPLE_DIR}/firmware0.bin ${MPFLASH_SAMPLE_DIR}/firmware1.bin)
add_custom_command(
  OUTPUT ${MPFLASH_SAMPLE_FILES}
  COMMAND ${CMAKE_COMMAND} -E make_directory ${MPFLASH_SAMPLE_DIR}
  COMMAND make_sample ${MPFLASH_SAMPLE_DIR}
  DEPENDS make_sample
  COMMENT "Writing the sample firmware to ${MPFLASH_SAMPLE_DIR}"
  VERBATIM)
add_custom_target(sample_firmware ALL DEPENDS ${MPFLASH_SAMPLE_FILES})

# test_dfuse_write compares the sample with the writer's output; when this
# file is read before the tests exist, building ALL still makes the sample.
if(TARGET test_dfuse_write)
  add_dependencies(test_dfuse_write sample_firmware)
endif()
