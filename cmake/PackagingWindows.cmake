# The Windows package: mpflash-<version>-windows-x86_64.zip holding one
# folder with mpflash.exe (libusb linked in: configure with
# -DMPFLASH_LIBUSB_STATIC=ON), README.md and LICENSE. Nothing else to
# install: Windows finds no udev rule or man page useful, and the board's
# driver comes from Zadig (README, "Windows"). Included by
# cmake/Packaging.cmake before include(CPack).
if(TARGET mpflash)
  install(TARGETS mpflash RUNTIME DESTINATION . COMPONENT windows)
endif()
install(FILES ${PROJECT_SOURCE_DIR}/README.md ${PROJECT_SOURCE_DIR}/LICENSE DESTINATION . COMPONENT windows)

set(CPACK_GENERATOR ZIP)
set(CPACK_ARCHIVE_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_ALL windows)
set(CPACK_COMPONENTS_GROUPING ALL_COMPONENTS_IN_ONE)
set(CPACK_PACKAGE_FILE_NAME "mpflash-${PROJECT_VERSION}-windows-x86_64")
set(CPACK_ARCHIVE_FILE_NAME "${CPACK_PACKAGE_FILE_NAME}")
set(CPACK_INCLUDE_TOPLEVEL_DIRECTORY ON)
# CPack's strip is the host's; MinGW's strip knows PE files.
set(CPACK_STRIP_FILES OFF)
if(NOT MPFLASH_LIBUSB_STATIC)
  message(STATUS "mpflash: the Windows zip wants -DMPFLASH_LIBUSB_STATIC=ON (one file, no libusb-1.0.dll)")
endif()
