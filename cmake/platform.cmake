# src/platform: what differs between operating systems. The portable part
# is src/platform/*.c; each system adds its folder(s):
#   posix/  termios serial ports, clock_gettime, files   (Linux, macOS, BSD)
#   linux/  USB serial port discovery through sysfs
#   darwin/ the macOS discovery placeholder (compile-ready, untested)
#   win32/  comm API, SetupAPI/CfgMgr32 discovery, waitable timers, wide-char files
file(GLOB MPFLASH_PLATFORM_SOURCES CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/src/platform/*.c)
set(MPFLASH_PLATFORM_LIBS "")
if(WIN32)
  file(GLOB _os CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/src/platform/win32/*.c)
  # setupapi/cfgmgr32: port discovery; winmm: timeBeginPeriod fallback.
  set(MPFLASH_PLATFORM_LIBS setupapi cfgmgr32 winmm)
else()
  file(GLOB _os CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/src/platform/posix/*.c)
  if(APPLE)
    file(GLOB _disc CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/src/platform/darwin/*.c)
  else()
    file(GLOB _disc CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/src/platform/linux/*.c)
  endif()
  list(APPEND _os ${_disc})
endif()
list(APPEND MPFLASH_PLATFORM_SOURCES ${_os})
# Without port discovery (which needs src/bootentry): for code that only
# needs files, clocks and threads, such as the fake libusb.
set(MPFLASH_PLATFORM_IO_SOURCES ${MPFLASH_PLATFORM_SOURCES})
list(FILTER MPFLASH_PLATFORM_IO_SOURCES EXCLUDE REGEX "/(port_list[^/]*|win_device_id)\\.c$")
