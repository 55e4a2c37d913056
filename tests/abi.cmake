# The exported-symbol check (tests/abi/check_symbols.cmake): the committed
# list, the public headers and the built libmpflash.so agree.
if(TARGET mpflash_shared AND NOT WIN32 AND NOT APPLE)
  find_program(MPFLASH_NM NAMES nm REQUIRED)
  add_test(NAME abi_exported_symbols
    COMMAND ${CMAKE_COMMAND} -DLIB=$<TARGET_FILE:mpflash_shared>
            -DLIST=${PROJECT_SOURCE_DIR}/src/libmpflash.symbols
            -DCC=${CMAKE_C_COMPILER} -DNM=${MPFLASH_NM}
            -DHEADER_DIR=${PROJECT_SOURCE_DIR}/include/mpflash
            -DGENERATED_INCLUDE=${PROJECT_BINARY_DIR}/include
            -P ${CMAKE_CURRENT_SOURCE_DIR}/abi/check_symbols.cmake)
endif()

# Library messages name no command-line option (tests/lint/check_library_terms.py).
find_program(MPFLASH_PYTHON3 NAMES python3 REQUIRED)
add_test(NAME library_speaks_its_own_terms
  COMMAND ${MPFLASH_PYTHON3} ${CMAKE_CURRENT_SOURCE_DIR}/lint/check_library_terms.py ${PROJECT_SOURCE_DIR}/src)
