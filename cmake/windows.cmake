# Windows specifics of the build (MinGW-w64; see cmake/mingw-w64-x86_64.cmake).
#
# libusb: the test build imports libusb-1.0.dll, so that the fake libusb (a
# DLL of the same name, tests/fake_libusb.cmake) can take its place; a
# release build (-DMPFLASH_LIBUSB_STATIC=ON) links libusb-1.0.a into
# mpflash.exe, one file to copy.
option(MPFLASH_LIBUSB_STATIC "Link libusb statically into mpflash.exe" OFF)
if(MPFLASH_LIBUSB_STATIC)
  find_library(MPFLASH_LIBUSB_ARCHIVE NAMES libusb-1.0.a PATHS ${LIBUSB_LIBRARY_DIRS} NO_DEFAULT_PATH REQUIRED)
  set_target_properties(PkgConfig::LIBUSB PROPERTIES INTERFACE_LINK_LIBRARIES "${MPFLASH_LIBUSB_ARCHIVE}")
endif()

# zlib (test support only) from Debian's libz-mingw-w64-dev: linked in, so
# test programs need no zlib1.dll.
set(ZLIB_USE_STATIC_LIBS ON)

# Tests run under Wine (the toolchain's CMAKE_CROSSCOMPILING_EMULATOR): each
# finds libusb-1.0.dll through WINEPATH, unless its own ENVIRONMENT names a
# WINEPATH (test_usb_fake names the fake's folder). Deferred to the end of
# each test folder (tests/, fuzz/), after every test is added there.
function(mpflash_wine_test_paths)
  if(NOT MPFLASH_WINDOWS_DEPS)
    return()
  endif()
  get_property(tests DIRECTORY PROPERTY TESTS)
  foreach(t ${tests})
    # Each mpflash.exe a CLI test starts costs Wine about 0.3 s: the fault
    # matrix starts hundreds.
    set_property(TEST ${t} PROPERTY TIMEOUT 900)
    get_property(env TEST ${t} PROPERTY ENVIRONMENT)
    if(NOT env MATCHES "WINEPATH=")
      set_property(TEST ${t} APPEND PROPERTY ENVIRONMENT "WINEPATH=${MPFLASH_WINDOWS_DEPS}/bin")
    endif()
  endforeach()
endfunction()
