#!/usr/bin/env bash
# Builds what the Windows build links, for x86_64 Windows with MinGW-w64,
# from Debian's own source packages, into one prefix DIR (default
# build-win/deps): libusb-1.0 (static for the released mpflash.exe, and a DLL
# the test build links, so the fake libusb can stand in for it) and cmocka
# (static, for the test programs). Each has a pkg-config file in
# DIR/lib/pkgconfig, which cmake/mingw-w64-x86_64.cmake points pkg-config at
# (-DMPFLASH_WINDOWS_DEPS=DIR).
# apt-get source needs a deb-src entry for the Debian archive the machine
# uses; one is added (the same URIs and suites as its deb entries) if missing.
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
dir=$(realpath -m "${1:-build-win/deps}")
mkdir -p "$dir"

add_deb_src() {
  apt-get source --print-uris libusb-1.0 >/dev/null 2>&1 && return
  if grep -qs '^Types: deb$' /etc/apt/sources.list.d/*.sources; then
    for f in /etc/apt/sources.list.d/*.sources; do
      grep -q '^Types: deb$' "$f" || continue
      sed 's/^Types: deb$/Types: deb-src/' "$f" > "/etc/apt/sources.list.d/mpflash-src-$(basename "$f")"
    done
  else
    grep -hs '^deb ' /etc/apt/sources.list | sed 's/^deb /deb-src /' > /etc/apt/sources.list.d/mpflash-src.list
  fi
  apt-get update -qq
}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fetch() { (cd "$work" && apt-get source -qq "$1" >/dev/null 2>&1) || { echo "apt-get source $1 failed" >&2; exit 1; }; }

if [ ! -f "$dir/bin/libusb-1.0.dll" ]; then
  add_deb_src
  fetch libusb-1.0
  (cd "$work"/libusb-1.0-*/ &&
   ./configure -q --host=x86_64-w64-mingw32 --prefix="$dir" --enable-static --enable-shared \
     --disable-examples-build --disable-tests-build CFLAGS="-O2 -g0" >/dev/null &&
   { make -s -j"$(nproc)" install > make.log 2>&1 || { tail -n 40 make.log; exit 1; }; })
fi

if [ ! -f "$dir/lib/libcmocka.a" ]; then
  add_deb_src
  fetch cmocka
  src=$(echo "$work"/cmocka-*/)
  cmake -S "$src" -B "$work/cmocka-build" -DCMAKE_TOOLCHAIN_FILE="$here/cmake/mingw-w64-x86_64.cmake" \
    -DCMAKE_INSTALL_PREFIX="$dir" -DCMAKE_BUILD_TYPE=Release -DWITH_STATIC_LIB=ON -DWITH_EXAMPLES=OFF \
    -DCMAKE_C_FLAGS="-D__USE_MINGW_ANSI_STDIO=1" \
    -DUNIT_TESTING=OFF > "$work/cmocka.log" 2>&1 &&
  cmake --build "$work/cmocka-build" -j"$(nproc)" >> "$work/cmocka.log" 2>&1 &&
  cmake --install "$work/cmocka-build" >> "$work/cmocka.log" 2>&1 || { tail -n 40 "$work/cmocka.log"; exit 1; }
  # Static only: test programs then need no cmocka.dll beside them.
  mv "$dir/lib/libcmocka-static.a" "$dir/lib/libcmocka.a"
  rm -f "$dir/lib/libcmocka.dll.a" "$dir/bin/cmocka.dll"
  # Built on MinGW's C99 printf (above), as mpflash is: its messages take
  # %zu, so the header's format checks follow gnu_printf, not msvcrt's.
  sed -i 's/__format__ (__printf__,/__format__ (__gnu_printf__,/' "$dir/include/cmocka.h"
fi
echo "Windows dependencies in $dir: libusb $(sed -n 's/^Version: //p' "$dir/lib/pkgconfig/libusb-1.0.pc"), cmocka $(sed -n 's/^Version: //p' "$dir/lib/pkgconfig/cmocka.pc")"
