# libmpflash: the core built once (position-independent objects) into
#  - mpflash_core: static, what the tool, tests, fuzzers and benchmarks link
#    (they may reach internal symbols) and what is installed as libmpflash.a;
#  - mpflash_shared: libmpflash.so with a soname, exporting exactly the
#    symbols listed in src/libmpflash.symbols (tests/abi checks that list
#    against the public headers and the built library, so an ABI change is
#    a visible edit of that file).
# Include after MPFLASH_CORE_SOURCES is set.

# 0.x releases break the ABI at will, so the minor number is part of the
# soname; from 1.0 on only the major number is.
if(PROJECT_VERSION_MAJOR EQUAL 0)
  set(MPFLASH_SOVERSION "0.${PROJECT_VERSION_MINOR}")
else()
  set(MPFLASH_SOVERSION "${PROJECT_VERSION_MAJOR}")
endif()
math(EXPR MPFLASH_VERSION_NUMBER
  "(${PROJECT_VERSION_MAJOR} << 16) | (${PROJECT_VERSION_MINOR} << 8) | ${PROJECT_VERSION_PATCH}"
  OUTPUT_FORMAT HEXADECIMAL)
configure_file(${PROJECT_SOURCE_DIR}/include/mpflash/version.h.in
               ${PROJECT_BINARY_DIR}/include/mpflash/version.h @ONLY)

set(MPFLASH_INCLUDE_DIRS
  $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/include>
  $<BUILD_INTERFACE:${PROJECT_BINARY_DIR}/include>
  $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)

add_library(mpflash_objects OBJECT ${MPFLASH_CORE_SOURCES})
set_target_properties(mpflash_objects PROPERTIES POSITION_INDEPENDENT_CODE ON)
target_include_directories(mpflash_objects PUBLIC ${MPFLASH_INCLUDE_DIRS}
                           PRIVATE ${PROJECT_SOURCE_DIR}/src)
target_link_libraries(mpflash_objects PRIVATE PkgConfig::LIBUSB ${MPFLASH_PLATFORM_LIBS})

add_library(mpflash_core STATIC $<TARGET_OBJECTS:mpflash_objects>)
# In-tree users also see src/ (internal headers such as engine/dfu_session.h);
# the installed package does not.
target_include_directories(mpflash_core PUBLIC ${MPFLASH_INCLUDE_DIRS}
                           $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/src>)
target_link_libraries(mpflash_core PUBLIC PkgConfig::LIBUSB ${MPFLASH_PLATFORM_LIBS})
set_target_properties(mpflash_core PROPERTIES OUTPUT_NAME mpflash EXPORT_NAME mpflash_static)

set(MPFLASH_SYMBOLS ${PROJECT_SOURCE_DIR}/src/libmpflash.symbols)
add_library(mpflash_shared SHARED $<TARGET_OBJECTS:mpflash_objects>)
target_include_directories(mpflash_shared PUBLIC ${MPFLASH_INCLUDE_DIRS})
target_link_libraries(mpflash_shared PRIVATE PkgConfig::LIBUSB ${MPFLASH_PLATFORM_LIBS})
set_target_properties(mpflash_shared PROPERTIES OUTPUT_NAME mpflash EXPORT_NAME mpflash
  VERSION ${PROJECT_VERSION} SOVERSION ${MPFLASH_SOVERSION})
if(CMAKE_C_COMPILER_ID MATCHES "GNU|Clang" AND NOT APPLE AND NOT WIN32)
  # The export map is made from the committed list: every other symbol,
  # internal mpf_ helpers included, stays inside the library.
  file(STRINGS ${MPFLASH_SYMBOLS} MPFLASH_EXPORTS REGEX "^mpf_")
  list(JOIN MPFLASH_EXPORTS ";\n    " MPFLASH_EXPORT_LINES)
  set(MPFLASH_VERSION_SCRIPT ${PROJECT_BINARY_DIR}/libmpflash.map)
  file(CONFIGURE OUTPUT ${MPFLASH_VERSION_SCRIPT}
       CONTENT "{\n  global:\n    ${MPFLASH_EXPORT_LINES};\n  local: *;\n};\n")
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${MPFLASH_SYMBOLS})
  target_link_options(mpflash_shared PRIVATE "LINKER:--version-script=${MPFLASH_VERSION_SCRIPT}")
  set_target_properties(mpflash_shared PROPERTIES LINK_DEPENDS ${MPFLASH_VERSION_SCRIPT})
  if(NOT MPFLASH_SANITIZE AND NOT MPFLASH_FUZZ)
    # Every symbol resolved at link time: libusb is a real dependency, not a
    # hope (sanitizer runtimes come from the program, so not then).
    target_link_options(mpflash_shared PRIVATE "LINKER:-z,defs")
  endif()
endif()
