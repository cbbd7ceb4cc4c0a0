#!/usr/bin/env python3
"""Compares ntfs-inspect's bodyfile with The Sleuth Kit's own (`fls -r -m /`) on a large volume.

    benches/body_vs_fls.py OURS.body TSK.body

The same rules as tests/oracle.rs (`check_bodyfile`), which holds them on the committed
fixtures: every record and name line fls writes must be in ours under the same name, a record
line with the same record, attribute type, mode and times (and size, for files), a name line
with the size and times of one of the record's names in ours (fls gives every name its record's
first $FILE_NAME's). Left out: named streams (we write no stream lines), fls's volume line and
$OrphanFiles, names whose record was taken again, UID and GID. fls writes a FILETIME of 0 as
3373865674; we write 0. Prints one Markdown table row; exits 1 on any difference.
"""
import sys
from collections import defaultdict

TSK_FILETIME_ZERO = "3373865674"


def lines(path):
    with open(path, encoding="utf-8", errors="surrogateescape") as f:
        for line in f:
            fields = line.rstrip("\n").split("|")
            if len(fields) == 11:
                yield fields


def main(ours_path, tsk_path):
    ours = {}
    name_lines = defaultdict(set)  # record -> {(size, times)} of its $FILE_NAME lines
    for f in lines(ours_path):
        ours[f[1]] = f
        if " ($FILE_NAME)" in f[1]:
            name_lines[f[2].split("-")[0]].add((f[6], tuple(f[7:11])))
    compared = differ = 0
    for f in lines(tsk_path):
        name, inode, mode = f[1], f[2], f[3]
        path = name.split(" (")[0]
        if (":" in path.rsplit("/", 1)[-1] or mode.startswith("V/V")
                or name.startswith("/$OrphanFiles") or "realloc" in name):
            continue
        times = tuple("0" if t == TSK_FILETIME_ZERO else t for t in f[7:11])
        o = ours.get(name)
        record = inode.split("-")[0]
        if o is None:
            ok = False
        elif " ($FILE_NAME)" in name:
            ok = (f[6], times) in name_lines[record]
        else:
            is_dir = "d" in mode[:3]
            ok = (o[2] == "-".join(inode.split("-")[:2]) and o[3] == mode
                  and tuple(o[7:11]) == times and (is_dir or o[6] == f[6]))
        compared += 1
        if not ok:
            differ += 1
            if differ <= 5:
                print(f"fls:  {'|'.join(f)}\nours: {'|'.join(o) if o else '(none)'}",
                      file=sys.stderr)
    print(f"| bodyfile against `fls -r -m /` | {compared} | {compared - differ} | {differ} |")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:3]))
