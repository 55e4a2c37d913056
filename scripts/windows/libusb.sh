#!/usr/bin/env bash
# Builds libusb-1.0 for Windows (x86_64, static) with MinGW-w64 from Debian's
# own libusb source package, into DIR (default build-win/libusb):
# DIR/include/libusb-1.0/libusb.h, DIR/lib/libusb-1.0.a and a pkg-config file.
# Needs a deb-src entry for the Debian archive the machine uses; one is added
# (for the suites of the first deb822 or one-line "deb" entry) when missing.
set -euo pipefail
dir=$(realpath -m "${1:-build-win/libusb}")
[ -f "$dir/lib/libusb-1.0.a" ] && { echo "libusb for Windows: $dir (already built)"; exit 0; }

if ! apt-get source --print-uris libusb-1.0 >/dev/null 2>&1; then
  list=/etc/apt/sources.list.d/mpflash-deb-src.sources
  if grep -qs '^Types: deb' /etc/apt/sources.list.d/debian.sources; then
    sed 's/^Types: deb$/Types: deb-src/' /etc/apt/sources.list.d/debian.sources > "$list"
  else
    grep -hs '^deb ' /etc/apt/sources.list | sed 's/^deb /deb-src /' > /etc/apt/sources.list.d/mpflash-deb-src.list
  fi
  apt-get update -qq
fi

src=$(mktemp -d)
trap 'rm -rf "$src"' EXIT
(cd "$src" && apt-get source -qq libusb-1.0 >/dev/null 2>&1)
cd "$src"/libusb-1.0-*/
./configure -q --host=x86_64-w64-mingw32 --prefix="$dir" --enable-static --disable-shared \
  --disable-examples-build --disable-tests-build CFLAGS="-O2 -g0" >/dev/null
make -s -j"$(nproc)" install > make.log 2>&1 || { tail -n 40 make.log; exit 1; }
echo "libusb for Windows: $dir ($(sed -n 's/^Version: //p' "$dir/lib/pkgconfig/libusb-1.0.pc"))"
