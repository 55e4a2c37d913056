# Cross-compiling mpflash for 64-bit Windows on Debian with MinGW-w64
# (gcc-mingw-w64-x86-64). libusb and cmocka come from -DMPFLASH_WINDOWS_DEPS=DIR (built
# by scripts/windows/deps.sh), found through its pkg-config file; tests
# run through Wine (CMAKE_CROSSCOMPILING_EMULATOR).
set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_PROCESSOR x86_64)
set(CMAKE_C_COMPILER x86_64-w64-mingw32-gcc)
set(CMAKE_RC_COMPILER x86_64-w64-mingw32-windres)
set(CMAKE_FIND_ROOT_PATH /usr/x86_64-w64-mingw32)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

# Read again inside each try_compile, where the cache variable is unset:
# the environment set by the first reading then stays.
if(MPFLASH_WINDOWS_DEPS)
  get_filename_component(_libusb "${MPFLASH_WINDOWS_DEPS}" ABSOLUTE BASE_DIR "${CMAKE_BINARY_DIR}")
  list(APPEND CMAKE_FIND_ROOT_PATH "${_libusb}")
  # pkg-config must read the Windows builds' .pc files, never the host's.
  set(ENV{PKG_CONFIG_LIBDIR} "${_libusb}/lib/pkgconfig")
  set(ENV{PKG_CONFIG_PATH} "")
endif()

find_program(MPFLASH_WINE NAMES wine wine64)
if(MPFLASH_WINE)
  set(CMAKE_CROSSCOMPILING_EMULATOR "${MPFLASH_WINE}")
endif()
# One file to copy: no libgcc/libwinpthread DLLs beside mpflash.exe.
set(CMAKE_EXE_LINKER_FLAGS_INIT "-static -static-libgcc")
