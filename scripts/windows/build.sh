#!/usr/bin/env bash
# Builds the ProcessPrng stand-in (bcryptprimitives.c) with mingw and copies it next to the
# Windows test executables, so they run under Wine 8. Usage: scripts/windows/build.sh [TARGET_DIR]
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
TARGET_DIR=${1:-${CARGO_TARGET_DIR:-$ROOT/target}}
OUT=$TARGET_DIR/x86_64-pc-windows-gnu/debug
mkdir -p "$OUT/deps"
DLL=$OUT/bcryptprimitives.dll
if [ ! -f "$DLL" ] || [ "$HERE/bcryptprimitives.c" -nt "$DLL" ]; then
    x86_64-w64-mingw32-gcc -O2 -shared -s -o "$DLL" "$HERE/bcryptprimitives.c" -ladvapi32
fi
# Test executables live in deps/; the CLI binary (spawned by some tests) one level up.
cp -f "$DLL" "$OUT/deps/bcryptprimitives.dll"
