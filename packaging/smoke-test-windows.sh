#!/usr/bin/env bash
# Smoke test of the Windows zip under Wine: what is in it, that mpflash.exe
# needs no DLL but Windows' own (libusb is linked in), and that it flashes
# the virtual board from Windows paths (a drive letter, and ADDR:FILE with
# one).  usage: smoke-test-windows.sh ZIP SAMPLE_DIR
set -euo pipefail
zip=$(realpath "$1")
sample=$(realpath "$2")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
python3 -c 'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extractall(".")' "$zip"
exe=$(find . -name mpflash.exe)
dir=$(dirname "$exe")
for f in mpflash.exe README.md LICENSE; do
  [ -f "$dir/$f" ] || { echo "smoke-test-windows: $f missing from $zip"; exit 1; }
done
echo "-- $(basename "$zip"): $(cd "$dir" && ls | tr '\n' ' ')"
dlls=$(x86_64-w64-mingw32-objdump -p "$exe" | sed -n 's/^\tDLL Name: //p' | tr 'A-Z' 'a-z' | sort | tr '\n' ' ')
echo "-- mpflash.exe imports: $dlls"
for d in $dlls; do
  case $d in
    kernel32.dll|msvcrt.dll|advapi32.dll|setupapi.dll|cfgmgr32.dll|winmm.dll|user32.dll) ;;
    *) echo "smoke-test-windows: mpflash.exe needs $d, which Windows does not have"; exit 1 ;;
  esac
done
export WINEDEBUG=-all
wine "$exe" --version
# Z: is Wine's drive for /: a Windows path with a drive letter and backslashes.
winpath="Z:$(echo "$sample" | tr / '\\')"
wine "$exe" --sim f401 -q -u "$winpath\\firmware.dfu"
wine "$exe" --sim f401 "0x08000000:$winpath\\firmware0.bin" 2>/dev/null | tail -n 1
echo "smoke-test-windows: ok"
