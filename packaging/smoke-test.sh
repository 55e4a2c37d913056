#!/usr/bin/env bash
# Smoke-tests the release packages the way a user meets them, each in a clean
# Debian root (debootstrap minbase: no compiler, no libusb) so a missing
# dependency or a file left out of a package shows:
#   - the static binary runs there with nothing installed;
#   - the .deb packages install there with apt, which pulls their declared
#     dependencies, and the installed tool flashes the virtual board;
#   - examples/flash_sim.c builds there against libmpflash-dev with
#     pkg-config alone, and flashes the virtual board through the shared library.
# usage: packaging/smoke-test.sh SAMPLE.dfu STATIC.tar.gz DEB...
set -euo pipefail
sample=$(realpath "${1:?usage: smoke-test.sh SAMPLE.dfu STATIC.tar.gz DEB...}")
static=$(realpath "${2:?missing static tarball}")
shift 2
[ $# -gt 0 ] || { echo "smoke-test: no .deb given" >&2; exit 2; }

. "$(dirname "$0")/debian-archive.sh"
root=$(mktemp -d /tmp/mpflash-smoke.XXXXXX)
trap 'rm -rf "$root"' EXIT
command -v debootstrap >/dev/null || apt-get install -y -qq debootstrap >/dev/null
debootstrap --variant=minbase "$(debian_suite)" "$root" "$(debian_archive_uri)" >"$root.log" 2>&1 ||
  { tail -n 20 "$root.log"; echo "smoke-test: debootstrap failed" >&2; exit 1; }
rm -f "$root.log"
cp /etc/resolv.conf "$root/etc/resolv.conf"
mkdir -p "$root/smoke"
cp "$sample" "$root/smoke/firmware.dfu"
tar -C "$root/smoke" -xzf "$static"
for deb in "$@"; do cp "$deb" "$root/smoke/"; done
cp "$(dirname "$0")/../examples/flash_sim.c" "$root/smoke/"

in_root() { chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root "$@"; }

echo "-- static binary, nothing installed"
static_bin=$(cd "$root" && ls smoke/mpflash-*-static/mpflash)
in_root sh -c '! ls /usr/lib/*/libusb-1.0.so* 2>/dev/null' ||
  { echo "smoke-test: the clean root already has libusb" >&2; exit 1; }
in_root "/$static_bin" --sim f401 -u /smoke/firmware.dfu

echo "-- .deb packages, installed with apt"
in_root apt-get -o APT::Sandbox::User=root update -qq
in_root sh -c 'DEBIAN_FRONTEND=noninteractive apt-get -o APT::Sandbox::User=root install -y -qq /smoke/*.deb >/dev/null'
in_root sh -c 'dpkg -l "mpflash*" "libmpflash*" 2>/dev/null | grep ^ii'
in_root mpflash --sim f401 -u /smoke/firmware.dfu
in_root test -f /usr/lib/udev/rules.d/50-mpflash.rules
in_root sh -c 'man -w mpflash >/dev/null 2>&1 || test -f /usr/share/man/man1/mpflash.1*'

echo "-- an embedder built against libmpflash-dev"
in_root sh -c 'DEBIAN_FRONTEND=noninteractive apt-get -o APT::Sandbox::User=root install -y -qq gcc pkg-config >/dev/null'
in_root sh -c 'cd /smoke && cc -Wall -Werror flash_sim.c $(pkg-config --cflags --libs mpflash) -o flash_sim'
in_root sh -c 'ldd /smoke/flash_sim | grep -q "libmpflash\.so\.[0-9.]* => /.*/libmpflash\.so"' ||
  { echo "smoke-test: flash_sim did not link the packaged libmpflash.so" >&2; exit 1; }
in_root /smoke/flash_sim /smoke/firmware.dfu
echo "smoke-test: packages OK"
