# A real Cortex-M4 firmware, cross-built at build time, so the ELF and Intel
# HEX loaders are checked against what GNU ld and objcopy actually produce
# (tests/test_arm_crosscheck.c), not only against hand-made files.
option(MPFLASH_ARM_TESTS "Cross-build tests/arm and cross-check the loaders against binutils and dfu-suffix" ON)

if(NOT TARGET test_arm_crosscheck)
  return()
endif()
if(NOT MPFLASH_ARM_TESTS)
  set_tests_properties(test_arm_crosscheck PROPERTIES DISABLED TRUE)
  return()
endif()

find_program(MPFLASH_ARM_GCC arm-none-eabi-gcc)
find_program(MPFLASH_ARM_OBJCOPY arm-none-eabi-objcopy)
find_program(MPFLASH_ARM_READELF arm-none-eabi-readelf)
if(NOT MPFLASH_ARM_GCC OR NOT MPFLASH_ARM_OBJCOPY OR NOT MPFLASH_ARM_READELF)
  message(FATAL_ERROR
    "The ARM cross-check tests need arm-none-eabi-gcc, arm-none-eabi-objcopy and "
    "arm-none-eabi-readelf, which were not found. Install them with "
    "`apt-get install gcc-arm-none-eabi`, or configure with -DMPFLASH_ARM_TESTS=OFF to skip these tests.")
endif()
find_program(MPFLASH_DFU_SUFFIX dfu-suffix)
if(NOT MPFLASH_DFU_SUFFIX)
  message(FATAL_ERROR
    "The ARM cross-check tests check written .dfu files with dfu-suffix, which was not found. "
    "Install it with `apt-get install dfu-util`, or configure with -DMPFLASH_ARM_TESTS=OFF to skip these tests.")
endif()

set(MPFLASH_ARM_SRC ${CMAKE_CURRENT_SOURCE_DIR}/arm)
set(MPFLASH_ARM_OUT ${CMAKE_CURRENT_BINARY_DIR}/arm)
set(MPFLASH_ARM_ELF ${MPFLASH_ARM_OUT}/firmware.elf)
set(MPFLASH_ARM_HEX ${MPFLASH_ARM_OUT}/firmware.hex)
set(MPFLASH_ARM_WARN -Wall -Wextra)
if(MPFLASH_WERROR)
  list(APPEND MPFLASH_ARM_WARN -Werror)
endif()

# A small page size keeps the file (also a fuzz seed) a couple of KiB.
add_custom_command(
  OUTPUT ${MPFLASH_ARM_ELF}
  COMMAND ${CMAKE_COMMAND} -E make_directory ${MPFLASH_ARM_OUT}
  COMMAND ${MPFLASH_ARM_GCC} -std=gnu11 -mcpu=cortex-m4 -mthumb -Os -ffreestanding
          -nostdlib -nostartfiles ${MPFLASH_ARM_WARN}
          -T ${MPFLASH_ARM_SRC}/firmware.ld -Wl,--build-id=none -Wl,-z,max-page-size=0x100
          ${MPFLASH_ARM_SRC}/firmware.c -o ${MPFLASH_ARM_ELF}
  DEPENDS ${MPFLASH_ARM_SRC}/firmware.c ${MPFLASH_ARM_SRC}/firmware.ld
  COMMENT "Cross-building the Cortex-M4 test firmware"
  VERBATIM)
add_custom_command(
  OUTPUT ${MPFLASH_ARM_HEX}
  COMMAND ${MPFLASH_ARM_OBJCOPY} -O ihex ${MPFLASH_ARM_ELF} ${MPFLASH_ARM_HEX}
  DEPENDS ${MPFLASH_ARM_ELF}
  COMMENT "Converting the test firmware to Intel HEX with objcopy"
  VERBATIM)
add_custom_target(mpflash_arm_firmware ALL DEPENDS ${MPFLASH_ARM_ELF} ${MPFLASH_ARM_HEX})

add_dependencies(test_arm_crosscheck mpflash_arm_firmware)
target_compile_definitions(test_arm_crosscheck PRIVATE
  MPFLASH_ARM_FIRMWARE_ELF="${MPFLASH_ARM_ELF}"
  MPFLASH_ARM_FIRMWARE_HEX="${MPFLASH_ARM_HEX}"
  MPFLASH_ARM_OBJCOPY="${MPFLASH_ARM_OBJCOPY}"
  MPFLASH_ARM_READELF="${MPFLASH_ARM_READELF}"
  MPFLASH_DFU_SUFFIX="${MPFLASH_DFU_SUFFIX}")
