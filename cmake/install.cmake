# What `cmake --install` puts under the prefix (DESTDIR honoured for all of
# it): the tool, libmpflash (shared and static), its headers, mpflash.pc, a
# CMake package (find_package(mpflash) -> mpflash::mpflash and
# mpflash::mpflash_static), the man pages and the udev rule.
# Each file belongs to the package component it ships in (cmake/Packaging.cmake):
# tool (the program, mpflash(1), the udev rule), lib (the shared library) and
# dev (headers, static library, .so link, pkg-config and CMake files, man 3).
include(CMakePackageConfigHelpers)

install(TARGETS mpflash_shared mpflash_core EXPORT mpflashTargets
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT lib NAMELINK_COMPONENT dev
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT dev
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT lib
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
file(GLOB MPFLASH_PUBLIC_HEADERS ${PROJECT_SOURCE_DIR}/include/mpflash/*.h)
install(FILES ${MPFLASH_PUBLIC_HEADERS} ${PROJECT_BINARY_DIR}/include/mpflash/version.h
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/mpflash COMPONENT dev)

set(MPFLASH_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/mpflash)
install(EXPORT mpflashTargets NAMESPACE mpflash:: DESTINATION ${MPFLASH_CMAKE_DIR} COMPONENT dev)
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/mpflashConfig.cmake.in
  ${PROJECT_BINARY_DIR}/mpflashConfig.cmake INSTALL_DESTINATION ${MPFLASH_CMAKE_DIR})
# 0.x: only the same minor is compatible (the soname says so too).
if(PROJECT_VERSION_MAJOR EQUAL 0)
  set(MPFLASH_COMPAT SameMinorVersion)
else()
  set(MPFLASH_COMPAT SameMajorVersion)
endif()
write_basic_package_version_file(${PROJECT_BINARY_DIR}/mpflashConfigVersion.cmake
  COMPATIBILITY ${MPFLASH_COMPAT})
install(FILES ${PROJECT_BINARY_DIR}/mpflashConfig.cmake ${PROJECT_BINARY_DIR}/mpflashConfigVersion.cmake
        DESTINATION ${MPFLASH_CMAKE_DIR} COMPONENT dev)

# pkg-config: the prefix is found from the .pc file's own place, so
# `cmake --install --prefix DIR` (chosen after configuring) and DESTDIR
# staging both give a file that points at where the library really is.
file(RELATIVE_PATH MPFLASH_PC_TO_PREFIX
  /prefix/${CMAKE_INSTALL_LIBDIR}/pkgconfig /prefix)
configure_file(${PROJECT_SOURCE_DIR}/cmake/mpflash.pc.in ${PROJECT_BINARY_DIR}/mpflash.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/mpflash.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig COMPONENT dev)

# Man pages carry the project version, filled in here.
foreach(page mpflash.1:tool libmpflash.3:dev)
  string(REPLACE ":" ";" page ${page})
  list(GET page 1 component)
  list(GET page 0 page)
  configure_file(${PROJECT_SOURCE_DIR}/docs/${page} ${PROJECT_BINARY_DIR}/docs/${page} @ONLY)
  string(REGEX MATCH "[0-9]$" section ${page})
  install(FILES ${PROJECT_BINARY_DIR}/docs/${page} DESTINATION ${CMAKE_INSTALL_MANDIR}/man${section}
          COMPONENT ${component})
endforeach()

# The package each component becomes (cmake/Packaging.cmake); Debian wants the
# licence as each package's copyright file.
set(MPFLASH_PACKAGE_tool mpflash)
set(MPFLASH_PACKAGE_lib libmpflash${MPFLASH_SOVERSION})
set(MPFLASH_PACKAGE_dev libmpflash-dev)
foreach(component tool lib dev)
  install(FILES LICENSE DESTINATION ${CMAKE_INSTALL_DATAROOTDIR}/doc/${MPFLASH_PACKAGE_${component}}
          RENAME copyright COMPONENT ${component})
endforeach()

# The udev rule goes under the prefix like everything else: prefix /usr puts
# it where udev reads it (/usr/lib/udev/rules.d); any other prefix gets the
# file and, at install time, a note saying where a system rule must go.
set(MPFLASH_INSTALL_UDEVRULESDIR "lib/udev/rules.d" CACHE PATH
    "Where to install the udev rule (relative: under the install prefix)")
install(FILES udev/50-mpflash.rules DESTINATION ${MPFLASH_INSTALL_UDEVRULESDIR} COMPONENT tool)
install(CODE "
  set(_rule \"\${CMAKE_INSTALL_PREFIX}/${MPFLASH_INSTALL_UDEVRULESDIR}/50-mpflash.rules\")
  if(IS_ABSOLUTE \"${MPFLASH_INSTALL_UDEVRULESDIR}\")
    set(_rule \"${MPFLASH_INSTALL_UDEVRULESDIR}/50-mpflash.rules\")
  endif()
  if(NOT _rule MATCHES \"^/(usr/)?lib/udev/rules.d/|^/etc/udev/rules.d/\")
    message(STATUS \"udev reads rules only from /etc/udev/rules.d and /usr/lib/udev/rules.d; for USB access without root: sudo cp '\${_rule}' /etc/udev/rules.d/ && sudo udevadm control --reload && sudo udevadm trigger\")
  endif()" COMPONENT tool)
