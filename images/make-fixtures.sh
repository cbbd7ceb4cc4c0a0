#!/usr/bin/env bash
# Rebuild the NTFS test fixtures of ntfs-inspect and record the independent
# oracles' answers (The Sleuth Kit, libfsntfs, ntfs-3g) beside them.
#
# Needs root (FUSE mount), mkntfs/ntfs-3g, sleuthkit, libfsntfs-utils, attr,
# sfdisk, mkfs.vfat, qemu-img, python3, faketime.  Idempotent: everything is
# rebuilt from scratch in images/work (git-ignored), then the committed
# containers and images/oracle/{basic,reparse,mbr-disk,gpt-disk}, containers.txt,
# tool-versions.txt, refused.txt are replaced (oracle/win-* belong to
# record-windows-oracles.sh).  KEEP_WORK=1 keeps the raw images in images/work.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
WORK=$HERE/work
ORACLE=$HERE/oracle
MNT=$WORK/mnt
RB="python3 $HERE/reparse_buf.py"
# Every timestamp the tools write is this frozen instant (libfaketime), so
# rebuilding gives the same bytes.
export FAKETIME_TIME="2024-01-02 03:04:05"
# (LD_PRELOAD instead of the faketime wrapper: the wrapper waits forever on the
# daemonised ntfs-3g.)  Monotonic clocks stay real.
FT=(env LD_PRELOAD=/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1
    FAKETIME="$FAKETIME_TIME" DONT_FAKE_MONOTONIC=1)
export TZ=UTC LC_ALL=C

cleanup() {
    if mountpoint -q "$MNT" 2>/dev/null; then umount "$MNT" || umount -l "$MNT" || true; fi
}
trap cleanup EXIT

[ "$(id -u)" = 0 ] || { echo "must run as root (FUSE mount)" >&2; exit 1; }
cleanup   # a mount left over by an interrupted run
rm -rf "$WORK"
mkdir -p "$WORK" "$MNT" "$ORACLE"

# mkntfs VOLUME_FILE SIZE_MIB LABEL SERIAL_HEX [PARTITION_START_SECTOR]
mkvol() {
    local img=$1 mib=$2 label=$3 serial=$4 start=${5:-0}
    rm -f "$img"
    truncate -s "${mib}M" "$img"
    "${FT[@]}" mkntfs -F -f -q -T -L "$label" -s 512 -c 4096 -p "$start" -H 16 -S 63 "$img" >/dev/null 2>&1
    # mkntfs has no option for the volume serial number: patch it (boot
    # sector offset 0x48, 8 bytes) in the boot sector and its backup (last sector).
    python3 - "$img" "$serial" <<'PY'
import sys, os
p, serial = sys.argv[1], bytes.fromhex(sys.argv[2])[::-1]
size = os.path.getsize(p)
with open(p, "r+b") as f:
    for off in (0, size - 512):
        f.seek(off); b = f.read(512)
        if b[3:11] == b"NTFS    ":
            f.seek(off + 0x48); f.write(serial)
PY
}

mnt() { "${FT[@]}" ntfs-3g -o "streams_interface=xattr${2:+,$2}" "$1" "$MNT"; }
umnt() { sync; umount "$MNT"; }

# set_rp PATH HEX  (records refusals in $WORK/refused.txt)
set_rp() {
    if ! setfattr -h -n system.ntfs_reparse_data -v "$2" "$1" 2>>"$WORK/refused.txt"; then
        echo "REFUSED: $1 ($(echo "$2" | cut -c1-40)...)" >>"$WORK/refused.txt"
        return 0
    fi
}
# dos NAME  PATH
dos() { setfattr -h -n system.ntfs_dos_name -v "$1" "$2"; }

# deterministic bytes
pattern() { python3 -c "import sys; n=int(sys.argv[1]); s=sys.argv[2].encode(); sys.stdout.buffer.write((s*(n//len(s)+1))[:n])" "$1" "$2"; }

############################################################ basic volume
build_basic() {
    local img=$WORK/basic.raw
    mkvol "$img" 4 BASIC 0123456789ABCDEF
    mnt "$img"
    (
    cd "$MNT"
    echo "hello, ntfs" > readme.txt                                # resident
    pattern 40000 "non-resident data 0123456789 " > big.bin         # non-resident
    mkdir -p docs/2024/reports/q1 empty-dir
    echo "notes" > docs/notes.txt
    echo "q1 summary" > docs/2024/reports/q1/summary.txt
    # hard links: same directory, nested directories, root
    ln docs/notes.txt docs/notes-link.txt
    ln docs/notes.txt docs/2024/reports/q1/notes-deep.txt
    ln docs/notes.txt notes-root.txt
    # one file with 200 long names -> $FILE_NAMEs spill through an $ATTRIBUTE_LIST
    mkdir many
    echo "so many names" > many/target.txt
    for i in $(seq -w 1 199); do
        ln many/target.txt "many/link-$i-this-is-a-deliberately-long-hard-link-name-to-fill-the-mft-record-quickly-abcdefghijklmnopqrstuvwxyz.txt"
    done
    # Win32 long name + DOS 8.3 name pairs
    echo "long" > LongFileName.txt;              dos "LONGFI~1.TXT" LongFileName.txt
    mkdir "Program Files Dir";                   dos "PROGRA~1" "Program Files Dir"
    echo "report" > "docs/Quarterly Report Final.docx"; dos "QUARTE~1.DOC" "docs/Quarterly Report Final.docx"
    echo "x" > "Program Files Dir/Application Settings.json"; dos "APPLIC~1.JSO" "Program Files Dir/Application Settings.json"
    # non-ASCII names (emoji needs a UTF-16 surrogate pair)
    mkdir -p unicode/Über
    echo c > unicode/café.txt
    echo g > unicode/Über/grüße.txt
    echo e > unicode/Ελληνικά.txt
    echo z > unicode/中文文件.txt
    echo s > "unicode/emoji-😀.txt"
    ln unicode/café.txt "unicode/Über/café-link-😀.txt"
    # alternate data streams (resident and non-resident)
    echo "main stream" > ads.txt
    setfattr -n user.secret -v "hidden stream data" ads.txt
    setfattr -n user.bigstream -v "0x$(pattern 3000 'ADS ' | xxd -p | tr -d '\n')" ads.txt
    # reparse points
    mkdir links
    touch links/abs-symlink links/rel-symlink; mkdir links/junction
    set_rp links/abs-symlink "$($RB symlink '\??\C:\readme.txt' 'C:\readme.txt' 0)"
    set_rp links/rel-symlink "$($RB symlink '..\docs\notes.txt' '..\docs\notes.txt' 1)"
    set_rp links/junction "$($RB junction '\??\C:\docs' 'C:\docs')"
    # to be deleted in the second mount
    pattern 6000 "deleted " > deleted.txt
    mkdir -p deleted-dir
    echo "inside a deleted directory" > deleted-dir/inner.txt
    )
    umnt
    mnt "$img"
    rm -f "$MNT/deleted.txt"
    rm -rf "$MNT/deleted-dir"
    umnt
    record_reparse basic "$img"
}

############################################################ reparse volume
build_reparse() {
    local img=$WORK/reparse.raw
    mkvol "$img" 4 REPARSE 00C0FFEE12345678
    # special_files=wsl: mkfifo/mknod/bind create the WSL reparse points
    # (ntfs-3g refuses to set those tags through system.ntfs_reparse_data)
    mnt "$img" special_files=wsl
    (
    cd "$MNT"
    echo "target" > target.txt
    mkdir -p dir/sub a/b links special
    echo "file in dir" > dir/file.txt
    echo "deep" > dir/sub/deep.txt
    cd links
    touch abs-file rel-file root-rel broken other-drive unc chain-a chain-b loop1 loop2 long-target malformed
    mkdir abs-dir rel-dir junction mountpoint
    set_rp abs-file   "$($RB symlink '\??\C:\target.txt' 'C:\target.txt' 0)"
    set_rp rel-file   "$($RB symlink '..\dir\file.txt' '..\dir\file.txt' 1)"
    set_rp abs-dir    "$($RB symlink '\??\C:\dir' 'C:\dir' 0)"
    set_rp rel-dir    "$($RB symlink '..\dir\sub' '..\dir\sub' 1)"
    set_rp root-rel   "$($RB symlink '\dir\file.txt' '\dir\file.txt' 1)"
    set_rp junction   "$($RB junction '\??\C:\dir' 'C:\dir')"
    set_rp mountpoint "$($RB junction '\??\Volume{01234567-89ab-cdef-0123-456789abcdef}\' '')"
    set_rp broken     "$($RB symlink '\??\C:\missing\nothing.txt' 'C:\missing\nothing.txt' 0)"
    set_rp other-drive "$($RB symlink '\??\D:\x' 'D:\x' 0)"
    set_rp unc        "$($RB symlink '\??\UNC\server\share\x' '\\server\share\x' 0)"
    set_rp chain-a    "$($RB symlink 'chain-b' 'chain-b' 1)"
    set_rp chain-b    "$($RB symlink '..\target.txt' '..\target.txt' 1)"
    set_rp loop1      "$($RB symlink 'loop2' 'loop2' 1)"
    set_rp loop2      "$($RB symlink 'loop1' 'loop1' 1)"
    local long; long='C:\'$(python3 -c "print('\\\\'.join('made-up-directory-%03d' % i for i in range(136)))")'\end.txt'
    set_rp long-target "$($RB symlink "\\??\\$long" "$long" 0)"
    # ntfs-3g refuses a symlink whose name offset is out of bounds: write a
    # valid one and patch SubstituteNameOffset (value offset 8) to 0x1000
    # after unmounting.
    stat -c %i malformed >"$WORK/malformed.rec"   # inode number = MFT record number
    set_rp malformed  "$($RB symlink '\??\C:\malformed' 'C:\malformed' 0)"
    cd ../a/b
    mkdir loop
    set_rp loop "$($RB junction '\??\C:\a' 'C:\a')"
    cd ../../special
    touch wt.exe lx-rel lx-abs wof.dll dedup.dat cloud.txt third-party unknown-ms
    set_rp wt.exe  "$($RB appexec Microsoft.WindowsTerminal_8wekyb3d8bbwe 'Microsoft.WindowsTerminal_8wekyb3d8bbwe!App' 'C:\Program Files\WindowsApps\Microsoft.WindowsTerminal_1.18.3181.0_x64__8wekyb3d8bbwe\wt.exe')"
    set_rp lx-rel  "$($RB lx '../target.txt')"
    set_rp lx-abs  "$($RB lx '/mnt/c/x')"
    python3 -c "import socket; socket.socket(socket.AF_UNIX).bind('af-unix')"   # 0x80000023
    mkfifo lx-fifo                                                              # 0x80000024
    mknod lx-chr c 1 3                                                          # 0x80000025
    mknod lx-blk b 8 1                                                          # 0x80000026
    set_rp wof.dll "$($RB wof)"
    # made-up dedup (0x80000013) and cloud (0x9000001A) payloads
    set_rp dedup.dat "$($RB raw 0x80000013 0100000044454455505f4d4144455f55500000000102030405060708090a0b0c0d0e0f10)"
    set_rp cloud.txt "$($RB raw 0x9000001A 0100180046414b45434c4f554444415441000102030405060708)"
    set_rp third-party "$($RB guid 0x00000123 12345678-9abc-def0-1122-334455667788 7468697264207061727479206461746121)"
    set_rp unknown-ms "$($RB raw 0x8000FFFF deadbeefcafe)"
    )
    umnt
    python3 "$HERE/patch_reparse.py" "$img" "$(cat "$WORK/malformed.rec")" 8 0010
    record_reparse reparse "$img"
}

# record_reparse FIXTURE IMG: getfattr of every reparse point (read-only mount)
record_reparse() {
    local out=$ORACLE/$1/reparse.txt
    mkdir -p "$ORACLE/$1"
    ntfs-3g -o ro "$2" "$MNT"
    (cd "$MNT" && find . -mindepth 1 | LC_ALL=C sort | sed 's|^\./||' | while IFS= read -r p; do
        getfattr -h -e hex -n system.ntfs_reparse_data -- "$p" 2>/dev/null || true
    done) >"$out"
    umount "$MNT"
}

############################################################ partitioned disks
# small NTFS volume for a partition starting at sector START
build_part_volume() {
    local img=$1 label=$2 serial=$3 start=$4
    mkvol "$img" 2 "$label" "$serial" "$start"
    mnt "$img"
    (
    cd "$MNT"
    echo "on a partition" > hello.txt
    mkdir -p folder/inner
    pattern 9000 "partition data " > folder/inner/data.bin
    ln hello.txt folder/hello-link.txt
    )
    umnt
}

build_mbr() {
    local disk=$WORK/mbr-disk.raw
    build_part_volume "$WORK/mbr-part.raw" MBRNTFS 1111222233334444 4096
    rm -f "$disk"; truncate -s 4M "$disk"
    # FAT partition (type 0x0c) at 1 MiB, 1 MiB long; NTFS (0x07) at 2 MiB, 2 MiB long
    sfdisk -q "$disk" <<SF
label: dos
label-id: 0x4e544653
start=2048, size=2048, type=c
start=4096, size=4096, type=7
SF
    truncate -s 1M "$WORK/fat.raw"
    "${FT[@]}" mkfs.vfat -i 12345678 -n FATPART "$WORK/fat.raw" >/dev/null
    dd if="$WORK/fat.raw" of="$disk" bs=512 seek=2048 conv=notrunc status=none
    dd if="$WORK/mbr-part.raw" of="$disk" bs=512 seek=4096 conv=notrunc status=none
}

build_gpt() {
    local disk=$WORK/gpt-disk.raw
    build_part_volume "$WORK/gpt-part.raw" GPTNTFS 5555666677778888 2048
    # 1 MiB + 2 MiB NTFS + 64 KiB for the backup GPT
    rm -f "$disk"; truncate -s $(( (3 << 20) + (64 << 10) )) "$disk"
    sfdisk -q "$disk" <<SF
label: gpt
label-id: 01234567-0123-4567-89AB-0123456789AB
first-lba: 34
start=2048, size=4096, type=EBD0A0A2-B9E5-4433-87C0-68B6B72699C7, uuid=89ABCDEF-0123-4567-89AB-CDEF01234567, name="ntfs data"
SF
    dd if="$WORK/gpt-part.raw" of="$disk" bs=512 seek=2048 conv=notrunc status=none
}

############################################################ oracles
# oracles FIXTURE RAW SECTOR_OFFSET
oracles() {
    local fx=$1 raw=$2 so=$3 dir=$ORACLE/$1
    mkdir -p "$dir"
    fls -r -p -o "$so" "$raw" >"$dir/fls.txt"
    # The Sleuth Kit's own body file (times, sizes, modes) for our bodyfile export to match.
    fls -r -m / -o "$so" "$raw" >"$dir/fls-m.txt"
    # every MFT record: size of $MFT's $DATA / 1024
    local nrec
    nrec=$(istat -o "$so" "$raw" 0 | sed -n 's/^Type: \$DATA (128-[0-9]*)   Name: N\/A   Non-Resident   size: \([0-9]*\).*/\1/p' | head -1)
    nrec=$((nrec / 1024))
    {
        for r in $(seq 0 $((nrec - 1))); do
            echo "==== $r"
            istat -o "$so" "$raw" "$r" 2>&1 || true
        done
    } >"$dir/istat.txt"
    # fsntfsinfo -E all stops at the first entry it cannot print (the malformed reparse
    # point): then go on entry by entry.  stderr goes to fsntfsinfo-errors.txt, as
    # "==== <entry>" + the messages.
    local err=$WORK/fsntfsinfo.err k
    : >"$dir/fsntfsinfo-errors.txt"
    fsntfsinfo -o $((so * 512)) -E all "$raw" >"$dir/fsntfsinfo.txt" 2>"$err" || true
    k=$(sed -n 's/.*unable to print MFT entry: \([0-9]*\)\./\1/p' "$err" | head -1)
    if [ -n "$k" ]; then
        { echo "==== $k"; cat "$err"; } >>"$dir/fsntfsinfo-errors.txt"
        for k in $(seq $((k + 1)) $((nrec - 1))); do
            fsntfsinfo -o $((so * 512)) -E "$k" "$raw" 2>"$err" | tail -n +3 >>"$dir/fsntfsinfo.txt" || true
            if [ -s "$err" ]; then { echo "==== $k"; cat "$err"; } >>"$dir/fsntfsinfo-errors.txt"; fi
        done
    elif [ -s "$err" ]; then
        { echo "==== all"; cat "$err"; } >>"$dir/fsntfsinfo-errors.txt"
    fi
    echo "$nrec" >"$dir/mft-records.txt"
}

############################################################ containers
to_vhd()  { qemu-img convert -f raw -O vpc  -o subformat="$2",force_size=on "$1" "$3"; }
# 1 MiB blocks (the minimum).  qemu lays the file out as 1 MiB header, 1 MiB
# log, 1 MiB BAT, 1 MiB metadata, then payload, so even a 3 MiB disk gives a
# 12 MiB file (mostly sparse zeros).
to_vhdx() { qemu-img convert -f raw -O vhdx -o subformat=dynamic,block_size=1M "$1" "$2"; }

main() {
    : >"$WORK/refused.txt"
    rm -rf "$ORACLE/basic" "$ORACLE/reparse" "$ORACLE/mbr-disk" "$ORACLE/gpt-disk"
    build_basic
    build_reparse
    build_mbr
    build_gpt

    oracles basic   "$WORK/basic.raw"    0
    oracles reparse "$WORK/reparse.raw"  0
    oracles mbr-disk "$WORK/mbr-disk.raw" 4096
    oracles gpt-disk "$WORK/gpt-disk.raw" 2048

    rm -f "$HERE"/basic-fixed.vhd "$HERE"/basic-dynamic.vhd "$HERE"/reparse-dynamic.vhd \
          "$HERE"/mbr-disk.vhd "$HERE"/gpt-disk.vhdx
    to_vhd  "$WORK/basic.raw"   fixed   "$HERE/basic-fixed.vhd"
    to_vhd  "$WORK/basic.raw"   dynamic "$HERE/basic-dynamic.vhd"
    to_vhd  "$WORK/reparse.raw" dynamic "$HERE/reparse-dynamic.vhd"
    to_vhd  "$WORK/mbr-disk.raw" dynamic "$HERE/mbr-disk.vhd"
    to_vhdx "$WORK/gpt-disk.raw" "$HERE/gpt-disk.vhdx"

    # containers.txt: what each container must decode to
    {
        echo "# file virtual_size sha256(raw disk) [ntfs_offset ntfs_size sha256(ntfs volume)]"
        c() { # c FILE FMT OFFSET SIZE
            local f=$1 fmt=$2 off=$3 size=$4 tmp=$WORK/check.raw
            qemu-img convert -f "$fmt" -O raw "$HERE/$f" "$tmp"
            local vs sha vsha
            vs=$(stat -c %s "$tmp"); sha=$(sha256sum "$tmp" | cut -d' ' -f1)
            vsha=$(dd if="$tmp" bs=512 skip=$((off / 512)) count=$((size / 512)) status=none | sha256sum | cut -d' ' -f1)
            echo "$f virtual_size=$vs sha256=$sha ntfs_offset=$off ntfs_size=$size ntfs_sha256=$vsha"
            rm -f "$tmp"
        }
        c basic-fixed.vhd     vpc  0       $((4 << 20))
        c basic-dynamic.vhd   vpc  0       $((4 << 20))
        c reparse-dynamic.vhd vpc  0       $((4 << 20))
        c mbr-disk.vhd        vpc  $((4096 * 512)) $((4096 * 512))
        c gpt-disk.vhdx       vhdx $((2048 * 512)) $((4096 * 512))
    } >"$ORACLE/containers.txt"
    cp "$WORK/refused.txt" "$ORACLE/refused.txt"
    {
        echo "mkntfs: $(mkntfs --version 2>&1 | grep -m1 mkntfs)"
        echo "ntfs-3g: $(ntfs-3g --version 2>&1 | head -1)"
        echo "sleuthkit: $(fls -V)"
        echo "fsntfsinfo: $(fsntfsinfo -V 2>&1 | head -1)"
        echo "qemu-img: $(qemu-img --version | head -1)"
        echo "sfdisk: $(sfdisk --version)"
        echo "mkfs.vfat: dosfstools $(dpkg-query -W -f='${Version}' dosfstools 2>/dev/null || echo '?')"
        echo "getfattr: $(getfattr --version | head -1)"
        echo "faketime: $(dpkg-query -W -f='${Version}' faketime 2>/dev/null || echo '?')"
        echo "python3: $(python3 --version)"
    } >"$ORACLE/tool-versions.txt"
    # the raw images are ~25 MiB: keep them only when asked (images/work is git-ignored)
    if [ "${KEEP_WORK:-0}" != 1 ]; then rm -rf "$WORK"; fi
    ls -l "$HERE"/basic-fixed.vhd "$HERE"/basic-dynamic.vhd "$HERE"/reparse-dynamic.vhd \
          "$HERE"/mbr-disk.vhd "$HERE"/gpt-disk.vhdx
}

main "$@"
