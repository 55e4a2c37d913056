# Release packages: `cmake --build build --target package`.
#
# Linux: Debian packages split as Debian splits libraries: `mpflash` (the
# tool, its man page and udev rule), `libmpflash<SOVERSION>` (the shared
# library) and `libmpflash-dev` (headers, pkg-config and CMake files, the
# static library, section 3 man page). dpkg-shlibdeps works out the libusb
# and libc dependencies from the binaries, so they match what was linked.
# The static Linux binary is packaging/build-static.sh (musl, not CPack).
set(CPACK_PACKAGE_NAME mpflash)
set(CPACK_PACKAGE_VENDOR "mpflash developers")
set(CPACK_PACKAGE_CONTACT "mpflash developers <mpflash@users.noreply.invalid>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "${PROJECT_DESCRIPTION}")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_RESOURCE_FILE_LICENSE ${PROJECT_SOURCE_DIR}/LICENSE)
set(CPACK_RESOURCE_FILE_README ${PROJECT_SOURCE_DIR}/README.md)
set(CPACK_PACKAGE_DIRECTORY ${PROJECT_BINARY_DIR}/packages)

if(UNIX AND NOT APPLE)
  set(CPACK_GENERATOR DEB)
  set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
  set(CPACK_DEB_COMPONENT_INSTALL ON)
  set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
  set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
  set(CPACK_DEBIAN_PACKAGE_SECTION electronics)
  set(CPACK_DEBIAN_TOOL_PACKAGE_NAME mpflash)
  set(CPACK_STRIP_FILES ON)
  set(CPACK_DEBIAN_TOOL_DESCRIPTION
    "mpflash flashes .dfu, ELF, Intel HEX and raw binary firmware onto STM32 boards (ST system bootloader, MicroPython's mboot) and plain DFU 1.1 devices over USB, erasing only what the image touches.")
  set(CPACK_COMPONENTS_ALL tool)
endif()

include(CPack)
