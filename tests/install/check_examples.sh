#!/bin/sh
# The embedder's path, end to end: install into a fresh root (DESTDIR,
# prefix /usr), build examples/ against the *installed* library only
# (pkg-config, and CMake's find_package), and run each against the virtual
# board: the C program and the Python (ctypes) one. Usage:
#   check_examples.sh BUILD_DIR SOURCE_DIR WORK_DIR FIRMWARE
set -eu
build=$1 src=$2 work=$3 firmware=$4
rm -rf "$work" && mkdir -p "$work"
fail() { echo "FAIL: $*" >&2; exit 1; }

root="$work/root"
DESTDIR="$root" cmake --install "$build" --prefix /usr > "$work/install.log"
pc=$(find "$root/usr" -name mpflash.pc -path '*/pkgconfig/*')
[ -n "$pc" ] || fail "no mpflash.pc installed"
export PKG_CONFIG_PATH="${pc%/mpflash.pc}"
[ "$(pkg-config --modversion mpflash)" = "$(sed -n 's/^#define MPFLASH_VERSION "\(.*\)"$/\1/p' "$root/usr/include/mpflash/version.h")" ] \
  || fail "mpflash.pc and version.h disagree on the version"
libdir=$(pkg-config --variable=libdir mpflash)
same_dir() { [ "$(cd "$1" && pwd -P)" = "$(cd "$2" && pwd -P)" ]; }
same_dir "$(pkg-config --variable=includedir mpflash)" "$root/usr/include" \
  || fail "pkg-config's includedir is not the installed one: $(pkg-config --variable=includedir mpflash)"
libdir=$(cd "$libdir" && pwd -P)
case "$libdir" in "$(cd "$root" && pwd -P)"/usr/*) ;; *) fail "pkg-config's libdir $libdir is outside the install" ;; esac

# The man pages, with the project's version filled in.
for page in man1/mpflash.1 man3/libmpflash.3; do
  grep -q "^\.TH .* \"mpflash $(pkg-config --modversion mpflash)\"" "$root/usr/share/man/$page" \
    || fail "$page not installed with the version"
done

# C, through pkg-config, warning-free.
cc -std=c11 -Wall -Wextra -Werror "$src/examples/flash_sim.c" $(pkg-config --cflags --libs mpflash) \
   -o "$work/flash_sim"
export LD_LIBRARY_PATH="$libdir"
ldd "$work/flash_sim" | grep -F "libmpflash.so" | grep -q -F "$libdir/" \
  || fail "flash_sim does not load the installed libmpflash: $(ldd "$work/flash_sim")"
"$work/flash_sim" "$firmware" > "$work/c.out" || fail "flash_sim failed: $(cat "$work/c.out")"
grep -q '^done: .* byte for byte$' "$work/c.out" || fail "flash_sim: $(cat "$work/c.out")"
echo "C example (pkg-config): ok"

# CMake's package: the shared and the static target.
cmake -S "$src/examples" -B "$work/cmake" -DCMAKE_PREFIX_PATH="$root/usr" > "$work/cmake.log" \
  || fail "configuring examples/ with find_package(mpflash): $(cat "$work/cmake.log")"
cmake --build "$work/cmake" > "$work/cmake-build.log" 2>&1 || fail "$(cat "$work/cmake-build.log")"
for prog in flash_sim flash_sim_static; do
  "$work/cmake/$prog" "$firmware" > "$work/$prog.out" || fail "$prog failed: $(cat "$work/$prog.out")"
  grep -q '^done: ' "$work/$prog.out" || fail "$prog: $(cat "$work/$prog.out")"
done
if ldd "$work/cmake/flash_sim_static" | grep -q libmpflash; then fail "the static example loads libmpflash.so"; fi
echo "C example (CMake package, shared and static): ok"

# Python, through ctypes, on the installed shared library; it cancels its
# first flash halfway and finishes with a second.
python3 "$src/examples/flash_sim.py" "$firmware" "$libdir/libmpflash.so" > "$work/py.out" 2>&1 \
  || fail "flash_sim.py failed: $(cat "$work/py.out")"
grep -q '^cancelled: ' "$work/py.out" || fail "flash_sim.py did not cancel: $(cat "$work/py.out")"
grep -q '^done: .* byte for byte$' "$work/py.out" || fail "flash_sim.py: $(cat "$work/py.out")"
echo "Python example (ctypes): ok"
