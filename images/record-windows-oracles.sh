#!/usr/bin/env bash
# Records what The Sleuth Kit and libfsntfs say about the real Windows volumes in
# ../shared/windows-images/, so the tests can compare without running the oracles.
# The images themselves are never copied into the project (see DEVELOPERS.md); this script
# unpacks them to a temporary directory and writes only the oracle output under
# images/oracle/win-*/ (same file formats as make-fixtures.sh).
# Needs: sleuthkit, libfsntfs-utils, unzip, gzip, qemu-img.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
shared=$(cd "$here/../../shared/windows-images" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
unzip -q -o "$shared/test.vhdx.zip" -d "$tmp"
qemu-img convert -f vhdx -O raw "$tmp/test.vhdx" "$tmp/server2022.raw"
gunzip -c "$shared/ntfs-lastaccess.raw.gz" > "$tmp/win10.raw"
qemu-img convert -f qcow2 -O raw "$shared/vsstest.qcow2" "$tmp/win7.raw"

record() { # name raw-disk sector-offset
    local name=$1 raw=$2 sectors=$3 out="$here/oracle/win-$1"
    mkdir -p "$out"
    local vol="$tmp/$name.vol"
    dd if="$raw" of="$vol" bs=512 skip="$sectors" status=none
    fls -r -p "$vol" > "$out/fls.txt"
    fls -r -m / "$vol" > "$out/fls-m.txt"
    {
        for n in $( (seq 0 26; fls -r -p "$vol" | sed -n 's/^[^ ]* \**[ ]*\([0-9]*\)-.*/\1/p') | sort -n | uniq); do
            echo "==== $n"
            # The header, and the $STANDARD_INFORMATION and $FILE_NAME flags and times (with each name).
            istat "$vol" "$n" | sed -n '1,/^Attributes:/p' |
                grep -E '^(Entry|Links|Allocated (File|Directory)|Not Allocated|Flags:|\$STANDARD_INFORMATION|\$FILE_NAME|Name:|Created:|File Modified:|MFT Modified:|Accessed:)' || true
        done
    } > "$out/istat.txt"
    fsntfsinfo -E all "$vol" 2>/dev/null | grep -E '^(MFT entry:|	Is allocated|	File reference|	Base record|	Type|	Parent file reference|	Name space|	Name	)' > "$out/fsntfsinfo.txt"
    echo "$sectors" > "$out/partition-sector.txt"
    rm -f "$vol"
}
record server2022 "$tmp/server2022.raw" 128
record win10 "$tmp/win10.raw" 128
record win7 "$tmp/win7.raw" 0
