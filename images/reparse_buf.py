#!/usr/bin/env python3
"""Build NTFS reparse buffers (MS-FSCC 2.1.2) as hex for
`setfattr -n system.ntfs_reparse_data -v 0x<hex>`.  Used by make-fixtures.sh.

usage: reparse_buf.py KIND ARGS...
  symlink SUBST PRINT FLAGS      Windows mklink layout: PRINT first, then SUBST, no NULs
  junction SUBST PRINT           mklink /J layout: SUBST\\0 then PRINT\\0 (NULs not in lengths)
  appexec PKG AUMID TARGET       tag 0x8000001B, version 3, four NUL-terminated strings, last "0"
  lx TARGET                      tag 0xA000001D, version 2, UTF-8 target
  empty TAG                      header only (ntfs-3g refuses AF_UNIX / LX_* this way)
  wof                            tag 0x80000017, WOF v1 provider 2 (file), FILE_PROVIDER v1 algo 1 (LZX)
  raw TAG HEXDATA                header + HEXDATA (Microsoft tags)
  guid TAG GUID HEXDATA          non-Microsoft tag: header + GUID (16 bytes) + HEXDATA
"""
import struct, sys, uuid

def u16(s):
    return s.encode("utf-16-le")

def hdr(tag, data):
    return struct.pack("<IHH", tag, len(data), 0) + data

def symlink(subst, prnt, flags):
    p, s = u16(prnt), u16(subst)
    # Windows CreateSymbolicLink: PrintName first, then SubstituteName
    return hdr(0xA000000C, struct.pack("<HHHHI", len(p), len(s), 0, len(p), flags) + p + s)

def junction(subst, prnt):
    s, p = u16(subst), u16(prnt)
    # mklink /J: SubstituteName\0 first, then PrintName\0
    body = struct.pack("<HHHH", 0, len(s), len(s) + 2, len(p)) + s + b"\0\0" + p + b"\0\0"
    return hdr(0xA0000003, body)

def main(a):
    k = a[0]
    if k == "symlink":
        b = symlink(a[1], a[2], int(a[3], 0))
    elif k == "junction":
        b = junction(a[1], a[2])
    elif k == "appexec":
        strs = [a[1], a[2], a[3], "0"]
        b = hdr(0x8000001B, struct.pack("<I", 3) + b"".join(u16(x) + b"\0\0" for x in strs))
    elif k == "lx":
        b = hdr(0xA000001D, struct.pack("<I", 2) + a[1].encode("utf-8"))
    elif k == "empty":
        b = hdr(int(a[1], 0), b"")
    elif k == "wof":
        # WOF_EXTERNAL_INFO {Version=1, Provider=2 (FILE)} + FILE_PROVIDER_EXTERNAL_INFO_V1 {Version=1, Algorithm=1 (LZX)}
        b = hdr(0x80000017, struct.pack("<IIII", 1, 2, 1, 1))
    elif k == "raw":
        b = hdr(int(a[1], 0), bytes.fromhex(a[2]))
    elif k == "guid":
        g = uuid.UUID(a[2]).bytes_le
        data = g + bytes.fromhex(a[3])
        b = struct.pack("<IHH", int(a[1], 0), len(data) - 16, 0) + data
    else:
        raise SystemExit("unknown kind " + k)
    sys.stdout.write("0x" + b.hex())

if __name__ == "__main__":
    main(sys.argv[1:])
