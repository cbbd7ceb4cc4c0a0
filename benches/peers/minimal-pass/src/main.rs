//! Minimal pass over an extracted `$MFT`: fixups, `$FILE_NAME` (every namespace but DOS),
//! `$REPARSE_POINT` (tag, and the substitute name of symlinks and mount points), then one line
//! per hard link of every record in use: its full path, and ` -> TARGET` for a link.
//! Usage: minimal-pass [--read] MFT-FILE > paths.txt
//!
//! By default the file is mapped and each record copied out of the map for its fixups (no
//! kernel copy of the whole file); `--read` reads it in 2 MiB chunks instead. The benchmark
//! takes the faster of the two as the yardstick.
use std::io::{Read, Write};

const RECORD: usize = 1024;
const ROOT: u32 = 5;

struct Name {
    parent: u32,
    text: String,
}

fn u16le(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([b[at], b[at + 1]])
}
fn u32le(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

fn utf16(b: &[u8]) -> String {
    let units = b.chunks_exact(2).map(|c| u16::from_le_bytes([c[0], c[1]]));
    char::decode_utf16(units)
        .map(|c| c.unwrap_or('\u{FFFD}'))
        .collect()
}

/// Applies the update sequence array; false when the record is not a usable FILE record.
fn fixup(r: &mut [u8]) -> bool {
    if &r[0..4] != b"FILE" {
        return false;
    }
    let (off, count) = (u16le(r, 4) as usize, u16le(r, 6) as usize);
    if count == 0 || off + count * 2 > r.len() || (count - 1) * 512 > r.len() {
        return false;
    }
    let usn = [r[off], r[off + 1]];
    for i in 1..count {
        let end = i * 512 - 2;
        if r[end..end + 2] != usn {
            return false;
        }
        r[end] = r[off + i * 2];
        r[end + 1] = r[off + i * 2 + 1];
    }
    true
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let read_mode = args.iter().any(|a| a == "--read");
    let path = args
        .iter()
        .find(|a| *a != "--read")
        .expect("usage: minimal-pass [--read] MFT-FILE");
    let mut file = std::fs::File::open(path).expect("open");
    let mut names: Vec<Vec<Name>> = Vec::new();
    let mut is_dir: Vec<bool> = Vec::new();
    let mut targets: Vec<Option<String>> = Vec::new();
    // SAFETY: the file is a benchmark input nobody writes while this runs.
    let map = if read_mode {
        None
    } else {
        Some(unsafe { memmap2::Mmap::map(&file) }.expect("map"))
    };
    let mut chunk = vec![0u8; RECORD * 2048];
    let mut copy = [0u8; RECORD];
    let mut at_map = 0;
    loop {
        let mut got = 0;
        if let Some(map) = &map {
            got = chunk.len().min(map.len() - at_map);
        } else {
            while got < chunk.len() {
                match file.read(&mut chunk[got..]).expect("read") {
                    0 => break,
                    n => got += n,
                }
            }
        }
        for k in 0..got / RECORD {
            let r: &mut [u8] = match &map {
                Some(map) => {
                    copy.copy_from_slice(&map[at_map + k * RECORD..at_map + (k + 1) * RECORD]);
                    &mut copy
                }
                None => &mut chunk[k * RECORD..(k + 1) * RECORD],
            };
            let mut mine = Vec::new();
            let mut target = None;
            let flags = if fixup(r) { u16le(r, 0x16) } else { 0 };
            // In use, and a base record (extension records hold no names of their own here).
            if flags & 1 == 1 && r[0x20..0x28] == [0; 8] {
                let mut at = u16le(r, 0x14) as usize;
                while at + 16 <= RECORD {
                    let (kind, len) = (u32le(r, at), u32le(r, at + 4) as usize);
                    if kind == 0xFFFF_FFFF || len < 16 || at + len > RECORD {
                        break;
                    }
                    let a = &r[at..at + len];
                    if a[8] == 0 && len >= 24 {
                        let v = u16le(a, 0x14) as usize;
                        let v_len = u32le(a, 0x10) as usize;
                        if v + v_len <= len {
                            let value = &a[v..v + v_len];
                            if kind == 0x30 && value.len() >= 66 && value[65] != 2 {
                                let n = value[64] as usize;
                                if 66 + 2 * n <= value.len() {
                                    mine.push(Name {
                                        parent: u32le(value, 0),
                                        text: utf16(&value[66..66 + 2 * n]),
                                    });
                                }
                            } else if kind == 0xC0 && value.len() >= 16 {
                                let tag = u32le(value, 0);
                                let body = &value[8..];
                                let skip = if tag == 0xA000_000C { 12 } else { 8 };
                                if (tag == 0xA000_000C || tag == 0xA000_0003) && body.len() >= skip
                                {
                                    let (o, l) = (u16le(body, 0) as usize, u16le(body, 2) as usize);
                                    if skip + o + l <= body.len() {
                                        target = Some(utf16(&body[skip + o..skip + o + l]));
                                    }
                                } else {
                                    target = Some(format!("tag {tag:#010x}"));
                                }
                            }
                        }
                    }
                    at += len;
                }
            }
            is_dir.push(flags & 3 == 3);
            names.push(mine);
            targets.push(target);
        }
        at_map += got;
        if got < chunk.len() {
            break;
        }
    }
    // Directory paths, memoised: a directory's path is its first name's parent path + name.
    let mut dir_path: Vec<Option<String>> = vec![None; names.len()];
    fn path_of(i: u32, names: &[Vec<Name>], memo: &mut Vec<Option<String>>, depth: u32) -> String {
        if i == ROOT {
            return String::new();
        }
        if let Some(p) = memo.get(i as usize).and_then(|p| p.as_ref()) {
            return p.clone();
        }
        let p = match names.get(i as usize).and_then(|n| n.first()) {
            Some(n) if depth < 64 => {
                let mut p = path_of(n.parent, names, memo, depth + 1);
                p.push('/');
                p.push_str(&n.text);
                p
            }
            _ => format!("$OrphanFiles/{i}"),
        };
        if let Some(m) = memo.get_mut(i as usize) {
            *m = Some(p.clone());
        }
        p
    }
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::with_capacity(1 << 16, stdout.lock());
    for (i, list) in names.iter().enumerate() {
        for n in list {
            if n.parent == i as u32 {
                continue; // the root's own name
            }
            let parent = if n.parent == ROOT || is_dir.get(n.parent as usize) == Some(&true) {
                path_of(n.parent, &names, &mut dir_path, 0)
            } else {
                format!("$OrphanFiles/{}", n.parent)
            };
            let _ = out.write_all(parent.as_bytes());
            let _ = out.write_all(b"/");
            let _ = out.write_all(n.text.as_bytes());
            if let Some(t) = &targets[i] {
                let _ = out.write_all(b" -> ");
                let _ = out.write_all(t.as_bytes());
            }
            let _ = out.write_all(b"\n");
        }
    }
    let _ = out.flush();
}
