#!/bin/sh
# `cmake --install` keeps every file under DESTDIR + prefix, the udev rule
# included, and says where a system rule must go when the prefix is not one
# udev reads. Usage: check_udev_prefix.sh BUILD_DIR WORK_DIR
set -eu
build=$1 work=$2
rm -rf "$work" && mkdir -p "$work"
fail() { echo "FAIL: $*" >&2; exit 1; }

# A private prefix: the rule lands under it, with advice, and every
# "Installing:" line names a path under it.
cmake --install "$build" --prefix "$work/prefix" > "$work/prefix.log"
[ -f "$work/prefix/lib/udev/rules.d/50-mpflash.rules" ] || fail "rule not under the prefix"
grep -q "sudo cp '$work/prefix/lib/udev/rules.d/50-mpflash.rules' /etc/udev/rules.d/" "$work/prefix.log" \
  || fail "no advice on where the system rule goes: $(cat "$work/prefix.log")"
if grep -E '(Installing|Up-to-date): ' "$work/prefix.log" | grep -v -F ": $work/prefix/"; then
  fail "files installed outside the prefix"
fi

# Packaging: DESTDIR staging with prefix /usr puts the rule where udev reads
# it, nothing lands outside DESTDIR, and there is nothing to advise.
DESTDIR="$work/root" cmake --install "$build" --prefix /usr > "$work/root.log"
[ -f "$work/root/usr/lib/udev/rules.d/50-mpflash.rules" ] || fail "rule not in DESTDIR/usr/lib/udev/rules.d"
if grep -E '(Installing|Up-to-date): ' "$work/root.log" | grep -v -F ": $work/root/usr/"; then
  fail "files installed outside DESTDIR/usr"
fi
if grep -q "udev reads" "$work/root.log"; then fail "advice printed for a /usr install"; fi
echo "udev rule: under the prefix, DESTDIR honoured"
