#!/usr/bin/env bash
# Builds a fully static Linux mpflash (x86_64) and packs it as a .tar.gz.
#
# glibc does not support static linking of programs that look up users or
# hosts, and a binary linked against Debian 12's glibc dynamically needs glibc
# >= 2.34 at run time. musl links statically, so the binary needs nothing from
# the distribution but the kernel. libusb is Debian's own source package,
# built for musl without libudev (what that drops: see README, "Static binary").
#
# usage: packaging/build-static.sh [BUILD_DIR]   (default: build-static)
# needs: musl-tools cmake make (and a deb-src entry, added if missing)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
out=$(mkdir -p "${1:-$top/build-static}" && cd "${1:-$top/build-static}" && pwd)
deps=$out/deps
mkdir -p "$deps"

# musl ships no kernel headers; libusb needs the usbdevfs/netlink ones.
kh=$deps/kernel-headers
mkdir -p "$kh"
ln -sfn /usr/include/linux "$kh/linux"
ln -sfn /usr/include/asm-generic "$kh/asm-generic"
ln -sfn "/usr/include/$(gcc -dumpmachine)/asm" "$kh/asm"

usb=$deps/libusb
if [ ! -f "$usb/lib/libusb-1.0.a" ]; then
  srcdir=$("$top/packaging/debian-source.sh" libusb-1.0 "$deps/src")
  (cd "$srcdir" &&
   CC=musl-gcc CPPFLAGS="-isystem $kh" CFLAGS="-O2" \
     ./configure --quiet --prefix="$usb" --disable-shared --enable-static --disable-udev &&
   make -s -j"$(nproc)" && make -s install) >"$deps/libusb-build.log" 2>&1 ||
    { tail -n 30 "$deps/libusb-build.log"; echo "build-static: libusb for musl failed" >&2; exit 1; }
fi

CC=musl-gcc CFLAGS="-isystem $kh" \
PKG_CONFIG_PATH="$usb/lib/pkgconfig" PKG_CONFIG_LIBDIR="$usb/lib/pkgconfig" \
  cmake -S "$top" -B "$out/cmake" -DCMAKE_BUILD_TYPE=Release -DMPFLASH_TESTS=OFF \
    -DMPFLASH_BENCH=OFF -DCMAKE_EXE_LINKER_FLAGS=-static >/dev/null
cmake --build "$out/cmake" --parallel "$(nproc)" --target mpflash sample_firmware >/dev/null

version=$(sed -n 's/^project(mpflash VERSION \([0-9.]*\).*/\1/p' "$top/CMakeLists.txt")
name=mpflash-$version-linux-$(uname -m)-static
stage=$out/$name
rm -rf "$stage" && mkdir -p "$stage"
install -m 755 "$out/cmake/mpflash" "$stage/mpflash"
strip "$stage/mpflash"
install -m 644 "$top/docs/mpflash.1" "$top/udev/50-mpflash.rules" "$top/README.md" "$top/LICENSE" "$stage/"
tar -C "$out" -czf "$out/$name.tar.gz" "$name"
echo "$out/$name.tar.gz"
