# Installing: the udev rule stays under DESTDIR + prefix (check_udev_prefix.sh).
if(TARGET mpflash AND NOT WIN32)
  add_test(NAME install_udev_prefix
    COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/install/check_udev_prefix.sh
            ${CMAKE_BINARY_DIR} ${CMAKE_BINARY_DIR}/install-udev)
  # Installs the whole build tree: alone, so no other test is writing it.
  set_tests_properties(install_udev_prefix PROPERTIES RUN_SERIAL ON TIMEOUT 120)
endif()

# examples/ built against the installed library and run (check_examples.sh).
# Not in sanitizer or fuzzing builds: the installed library would need
# their runtimes in every program (python3 included) that loads it.
if(TARGET mpflash AND TARGET sample_firmware AND NOT WIN32 AND NOT MPFLASH_SANITIZE AND NOT MPFLASH_FUZZ)
  add_test(NAME install_examples
    COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/install/check_examples.sh
            ${CMAKE_BINARY_DIR} ${PROJECT_SOURCE_DIR} ${CMAKE_BINARY_DIR}/install-examples
            ${CMAKE_BINARY_DIR}/sample/firmware.dfu)
  set_tests_properties(install_examples PROPERTIES RUN_SERIAL ON TIMEOUT 300)
endif()
