#!/usr/bin/env bash
# Build the seed corpora of every fuzz target from the committed fixtures under images/.
# Output: fuzz/corpus/<target>/ (git-ignored; never commit corpora).
#
#   fuzz/seed.sh            # needs qemu-img and python3; builds the CLI (debug) if missing
#
# What goes where:
#   boot_sector     the primary and backup boot sector of every NTFS volume
#   record          every 1024-byte record that starts with "FILE" (prefixed by the size
#                   selector byte 0x00 the target expects)
#   data_runs       the mapping pairs of every non-resident attribute (8-byte prefix: first VCN,
#                   cluster count of the volume)
#   attribute_list  every resident $ATTRIBUTE_LIST value
#   reparse         every $REPARSE_POINT value, as `ntfs-inspect reparse SRC #N --raw` prints it
#   volume          the first 256 KiB of every volume (boot sector + whole $MFT on the fixtures),
#                   as is and with the sector count patched to fit
#   vhd / vhdx      the container headers: footer, dynamic header, BAT (VHD); file identifier,
#                   headers, region tables, log, metadata, BAT (VHDX); first/last 64 KiB
#   mbr_gpt         the first 64 KiB of every raw disk (MBR, GPT header and entries), plus the
#                   last 64 KiB (backup GPT) glued after it
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
CORPUS=$HERE/corpus
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
BIN=$ROOT/target/debug/ntfs-inspect
[ -x "$BIN" ] || (cd "$ROOT" && cargo build --quiet)

for t in boot_sector record data_runs attribute_list reparse volume vhd vhdx mbr_gpt; do
    mkdir -p "$CORPUS/$t"
done

shopt -s nullglob
for img in "$ROOT"/images/*.vhd "$ROOT"/images/*.vhdx; do
    name=$(basename "$img")
    case "$img" in
        *.vhdx) fmt=vhdx; ctarget=vhdx ;;
        *) fmt=vpc; ctarget=vhd ;;
    esac
    # Container seeds: the whole file when small, else its head and tail.
    size=$(stat -c %s "$img")
    if [ "$size" -le 262144 ]; then
        cp "$img" "$CORPUS/$ctarget/$name"
    else
        head -c 131072 "$img" >"$CORPUS/$ctarget/$name.head"
        { head -c 65536 "$img"; tail -c 65536 "$img"; } >"$CORPUS/$ctarget/$name.headtail"
    fi
    # The raw disk, then the volume inside it.
    raw=$TMP/$name.raw
    qemu-img convert -f "$fmt" -O raw "$img" "$raw"
    offset=$("$BIN" info "$img" 2>/dev/null | sed -n 's/^Volume offset: *\([0-9]*\) .*/\1/p')
    if [ "${offset:-0}" != 0 ]; then
        { head -c 65536 "$raw"; tail -c 65536 "$raw"; } >"$CORPUS/mbr_gpt/$name.disk"
        head -c 65536 "$raw" >"$CORPUS/mbr_gpt/$name.head"
    fi
    vol=$TMP/$name.vol
    tail -c +"$(( ${offset:-0} + 1 ))" "$raw" >"$vol"
    python3 - "$vol" "$CORPUS" "$name" <<'PY'
import hashlib, os, struct, sys
vol, corpus, name = sys.argv[1], sys.argv[2], sys.argv[3]
b = open(vol, "rb").read()
def put(target, data, tag):
    h = hashlib.sha1(data).hexdigest()[:16]
    with open(os.path.join(corpus, target, f"{name}-{tag}-{h}"), "wb") as f:
        f.write(data)
if b[3:11] != b"NTFS    ":
    sys.exit(0)
put("boot_sector", b[:512], "boot")
put("boot_sector", b + b"", "whole-tail") if len(b) <= 65536 else put("boot_sector", b[-512:], "backup")
clusters = struct.unpack_from("<Q", b, 0x28)[0] // b[13]
head = bytearray(b[:262144])
put("volume", bytes(head), "head")
struct.pack_into("<Q", head, 0x28, len(head) // 512 - 1)
put("volume", bytes(head), "head-fitted")
for off in range(0, len(b) - 1023, 1024):
    rec = b[off:off + 1024]
    if rec[:4] != b"FILE":
        continue
    put("record", b"\x00" + rec, f"rec{off:x}")
    # Undo the fixups to walk the attributes.
    r = bytearray(rec)
    usa, cnt = struct.unpack_from("<HH", r, 4)
    for i in range(1, cnt):
        end = i * 512 - 2
        if usa + 2 * i + 2 <= len(r) and end + 2 <= len(r):
            r[end:end + 2] = r[usa + 2 * i:usa + 2 * i + 2]
    pos = struct.unpack_from("<H", r, 0x14)[0]
    used = min(struct.unpack_from("<I", r, 0x18)[0], len(r))
    while pos + 8 <= used:
        t, ln = struct.unpack_from("<II", r, pos)
        if t == 0xFFFFFFFF or ln < 0x18 or pos + ln > used:
            break
        a = bytes(r[pos:pos + ln])
        if a[8] == 0:
            vlen, voff = struct.unpack_from("<IH", a, 0x10)
            value = a[voff:voff + vlen]
            if t == 0x20:
                put("attribute_list", value, "alist")
            if t == 0xC0:
                put("reparse", value, "rp")
        elif ln >= 0x40:
            vcn = struct.unpack_from("<Q", a, 0x10)[0]
            roff = struct.unpack_from("<H", a, 0x20)[0]
            put("data_runs", struct.pack("<II", vcn & 0xFFFFFFFF, clusters & 0xFFFFFFFF) + a[roff:], "runs")
            if t == 0x20:
                # A non-resident list: follow its runs (4096-byte clusters on the fixtures).
                cs = struct.unpack_from("<H", b, 11)[0] * b[13]
                size = struct.unpack_from("<Q", a, 0x30)[0]
                p, lcn, out = roff, 0, b""
                while p < len(a) and a[p] != 0:
                    h = a[p]; nl, no = h & 15, h >> 4
                    n = int.from_bytes(a[p + 1:p + 1 + nl], "little")
                    lcn += int.from_bytes(a[p + 1 + nl:p + 1 + nl + no], "little", signed=True)
                    out += b[lcn * cs:(lcn + n) * cs]
                    p += 1 + nl + no
                put("attribute_list", out[:size], "alist-nr")
        pos += ln
PY
    # Reparse values the way the CLI exports them.
    { "$BIN" links "$img" --format jsonl 2>/dev/null || true; } | { grep -v '"type":"hard_link"' || true; } |
        sed -n 's/.*"record":\([0-9]*\),"relative".*/\1/p' | sort -u | while read -r n; do
            "$BIN" reparse "$img" "#$n" --raw >"$TMP/rp" 2>/dev/null || continue
            cp "$TMP/rp" "$CORPUS/reparse/$name-cli-$n"
        done || true
done
for t in "$CORPUS"/*; do echo "$(basename "$t"): $(ls "$t" | wc -l) seeds"; done
