#!/usr/bin/env python3
"""Builds a reproducible NTFS volume with many MFT records for the benchmark (docs/performance.md).

Usage: benches/make_volume.py FILES OUT.raw   (needs root, mkntfs and lowntfs-3g; ~4 min per 1M)

The tree is deterministic (seeded): about 1000 directories up to depth 6, FILES files spread over
them, 5 % with 2-4 hard links, 1 % symlinks (Windows-style reparse buffers, half of them to an
existing file), 10 % with an 8.3 name, and 1 % created and deleted again.
"""
import os, random, struct, subprocess, sys, tempfile

def symlink_buffer(target, relative):
    u = lambda s: s.encode("utf-16le")
    sub, pr = (target, target) if relative else ("\\??\\C:" + target, "C:" + target)
    body = struct.pack("<HHHHI", len(u(pr)), len(u(sub)), 0, len(u(pr)), 1 if relative else 0) + u(pr) + u(sub)
    return struct.pack("<IHH", 0xA000000C, len(body), 0) + body

def main():
    files, out = int(sys.argv[1]), sys.argv[2]
    rnd = random.Random(20261203)
    size = max(256 << 20, files * 2600)
    with open(out, "wb") as f:
        f.truncate(size)
    subprocess.run(["mkntfs", "-F", "-f", "-q", "-L", "bench", "-s", "512", "-c", "4096", out], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    mnt = tempfile.mkdtemp(prefix="ntfs-bench-")
    subprocess.run(["lowntfs-3g", "-o", "noatime,permissions", out, mnt], check=True)
    try:
        dirs = [mnt]
        while len(dirs) < 1000:
            parent = rnd.choice(dirs)
            if parent.count("/") - mnt.count("/") >= 6:
                continue
            d = os.path.join(parent, "dir%04d" % len(dirs))
            os.mkdir(d)
            dirs.append(d)
        made = []
        doomed = []
        for i in range(files):
            d = dirs[i % len(dirs)]
            p = os.path.join(d, "file-%07d-with-a-longer-name.txt" % i)
            os.close(os.open(p, os.O_CREAT | os.O_WRONLY, 0o644))
            made.append(p)
            r = rnd.random()
            if r < 0.05:
                for k in range(rnd.randint(1, 3)):
                    os.link(p, os.path.join(rnd.choice(dirs), "link-%07d-%d.txt" % (i, k)))
            elif r < 0.06:
                s = os.path.join(d, "sym-%07d" % i)
                os.close(os.open(s, os.O_CREAT | os.O_WRONLY, 0o644))
                target = made[rnd.randrange(len(made))][len(mnt):].replace("/", "\\") if rnd.random() < 0.5 else "\\missing\\x%d" % i
                os.setxattr(s, "system.ntfs_reparse_data", symlink_buffer(target, False), follow_symlinks=False)
            elif r < 0.16:
                os.setxattr(p, "system.ntfs_dos_name", ("F%06d.TXT" % (i % 1000000)).encode(), follow_symlinks=False)
            elif r < 0.17:
                doomed.append(p)
        # Deleted last, so that no later file reuses their records: they stay as deleted records.
        for p in doomed:
            os.unlink(p)
    finally:
        subprocess.run(["umount", mnt], check=True)
        os.rmdir(mnt)

if __name__ == "__main__":
    main()
