#!/usr/bin/env python3
"""Overwrite bytes inside the resident $REPARSE_POINT value of one MFT record
of an (unmounted) NTFS volume image, keeping the update-sequence fixups valid.
Used by make-fixtures.sh for buffers ntfs-3g refuses to write (malformed ones).

usage: patch_reparse.py IMAGE RECORD VALUE_OFFSET HEXBYTES
"""
import struct, sys

def runlist(buf):
    runs, pos, lcn = [], 0, 0
    while buf[pos]:
        h = buf[pos]; ln, lo = h & 15, h >> 4; pos += 1
        n = int.from_bytes(buf[pos:pos + ln], "little"); pos += ln
        d = int.from_bytes(buf[pos:pos + lo], "little", signed=True) if lo else 0; pos += lo
        lcn += d
        runs.append((lcn, n))
    return runs

def unfix(rec, sector=512):
    usa_off, usa_cnt = struct.unpack_from("<HH", rec, 4)
    usn = rec[usa_off:usa_off + 2]
    for i in range(1, usa_cnt):
        end = i * sector - 2
        assert rec[end:end + 2] == usn, "fixup mismatch"
        rec[end:end + 2] = rec[usa_off + 2 * i:usa_off + 2 * i + 2]

def refix(rec, sector=512):
    usa_off, usa_cnt = struct.unpack_from("<HH", rec, 4)
    usn = rec[usa_off:usa_off + 2]
    for i in range(1, usa_cnt):
        end = i * sector - 2
        rec[usa_off + 2 * i:usa_off + 2 * i + 2] = rec[end:end + 2]
        rec[end:end + 2] = usn

def attrs(rec):
    off = struct.unpack_from("<H", rec, 0x14)[0]
    while True:
        t, ln = struct.unpack_from("<II", rec, off)
        if t == 0xFFFFFFFF:
            return
        yield t, off
        off += ln

def main(img, recno, voff, hexbytes):
    with open(img, "r+b") as f:
        boot = f.read(512)
        bps = struct.unpack_from("<H", boot, 0x0B)[0]
        spc = boot[0x0D]
        cluster = bps * spc
        mft_lcn = struct.unpack_from("<Q", boot, 0x30)[0]
        crs = struct.unpack_from("<b", boot, 0x40)[0]
        recsize = crs * cluster if crs > 0 else 1 << -crs
        f.seek(mft_lcn * cluster)
        rec0 = bytearray(f.read(recsize)); unfix(rec0, bps)
        runs = None
        for t, off in attrs(rec0):
            if t == 0x80:
                runs = runlist(rec0[off + struct.unpack_from("<H", rec0, off + 0x20)[0]:])
        # byte offset of record recno
        want = recno * recsize
        pos = None
        for lcn, n in runs:
            if want < n * cluster:
                pos = lcn * cluster + want; break
            want -= n * cluster
        f.seek(pos)
        rec = bytearray(f.read(recsize)); unfix(rec, bps)
        for t, off in attrs(rec):
            if t == 0xC0:
                assert rec[off + 8] == 0, "reparse point is not resident"
                vo = struct.unpack_from("<H", rec, off + 0x14)[0]
                start = off + vo + voff
                data = bytes.fromhex(hexbytes)
                rec[start:start + len(data)] = data
                break
        else:
            raise SystemExit("no $REPARSE_POINT in record %d" % recno)
        refix(rec, bps)
        f.seek(pos); f.write(rec)

if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3], 0), sys.argv[4])
