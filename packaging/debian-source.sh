#!/usr/bin/env bash
# Fetches a Debian source package (default: libusb-1.0) into DIR and prints
# the unpacked tree's path. The deb-src entry it adds points at the same
# archive and suite this machine already installs binaries from, so what we
# build matches what Debian ships and nothing comes from outside Debian.
set -euo pipefail
pkg=${1:?usage: debian-source.sh PACKAGE DIR}
dir=${2:?usage: debian-source.sh PACKAGE DIR}

list=/etc/apt/sources.list.d/mpflash-src.sources
if ! apt-get source --print-uris -qq "$pkg" >/dev/null 2>&1; then
  . "$(dirname "$0")/debian-archive.sh"
  uri=$(debian_archive_uri)
  suite=$(debian_suite)
  printf 'Types: deb-src\nURIs: %s\nSuites: %s\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
    "$uri" "$suite" > "$list"
  apt-get update -qq >&2
fi

mkdir -p "$dir"
cd "$dir"
# The _apt sandbox user cannot write into a root-only temp dir; as root that
# is only a warning, so keep it quiet.
apt-get source -qq "$pkg" >&2 2>/dev/null || apt-get source -q "$pkg" >&2
find "$dir" -mindepth 1 -maxdepth 1 -type d -name "${pkg}-*" | sort | tail -n 1
