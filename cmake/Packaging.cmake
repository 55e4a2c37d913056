# Release packages: `cmake --build build --target package`.
#
# Linux: Debian packages split as Debian splits libraries, one per install
# component (cmake/install.cmake names them): mpflash (the tool, mpflash(1),
# the udev rule), libmpflash<SOVERSION> (the shared library) and
# libmpflash-dev (headers, static library, pkg-config and CMake files,
# libmpflash(3)). dpkg-shlibdeps works out the libusb and libc dependencies
# from the binaries, so they match what was linked.
# The static Linux binary is packaging/build-static.sh (musl, not CPack).
# Windows: a zip (cmake/PackagingWindows.cmake).
set(CPACK_PACKAGE_NAME mpflash)
set(CPACK_PACKAGE_VENDOR "mpflash developers")
set(CPACK_PACKAGE_CONTACT "mpflash developers <mpflash@users.noreply.invalid>")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_RESOURCE_FILE_LICENSE ${PROJECT_SOURCE_DIR}/LICENSE)
set(CPACK_RESOURCE_FILE_README ${PROJECT_SOURCE_DIR}/README.md)
set(CPACK_PACKAGE_DIRECTORY ${PROJECT_BINARY_DIR}/packages)
set(CPACK_STRIP_FILES ON)

if(UNIX AND NOT APPLE)
  set(CPACK_GENERATOR DEB)
  set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
  set(CPACK_DEB_COMPONENT_INSTALL ON)
  set(CPACK_COMPONENTS_ALL tool lib dev)
  set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
  set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
  # Each package's first description line is its own synopsis; CPackDeb would
  # otherwise put the project's summary above all three.
  set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "")

  set(CPACK_DEBIAN_TOOL_PACKAGE_NAME ${MPFLASH_PACKAGE_tool})
  set(CPACK_DEBIAN_TOOL_PACKAGE_SECTION electronics)
  set(CPACK_DEBIAN_TOOL_DESCRIPTION
    "DFU/DfuSe firmware flasher for MicroPython boards\n mpflash flashes .dfu, ELF, Intel HEX and raw binary firmware onto STM32 boards (ST system bootloader, MicroPython's mboot) and plain DFU 1.1 devices over USB, erasing only what the image touches.")

  set(CPACK_DEBIAN_LIB_PACKAGE_NAME ${MPFLASH_PACKAGE_lib})
  set(CPACK_DEBIAN_LIB_PACKAGE_SECTION libs)
  set(CPACK_DEBIAN_LIB_PACKAGE_GENERATE_SHLIBS ON)
  set(CPACK_DEBIAN_LIB_DESCRIPTION
    "DFU/DfuSe firmware flashing library (mpflash)\n libmpflash is the library behind the mpflash tool: firmware file loaders, the flash plan, the DFU/DfuSe engine and the virtual boards, for programs that flash MicroPython boards.")

  set(CPACK_DEBIAN_DEV_PACKAGE_NAME ${MPFLASH_PACKAGE_dev})
  set(CPACK_DEBIAN_DEV_PACKAGE_SECTION libdevel)
  set(CPACK_DEBIAN_DEV_PACKAGE_DEPENDS
    "${MPFLASH_PACKAGE_lib} (= ${PROJECT_VERSION}), libusb-1.0-0-dev")
  set(CPACK_DEBIAN_DEV_DESCRIPTION
    "DFU/DfuSe firmware flashing library (mpflash), development files\n Headers, static library, pkg-config and CMake package files and the libmpflash(3) manual page.")
endif()

if(WIN32)
  include(${PROJECT_SOURCE_DIR}/cmake/PackagingWindows.cmake)
endif()

include(CPack)
