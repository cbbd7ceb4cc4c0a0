//! Bodyfile export: The Sleuth Kit 3.x+ body format that `mactime` reads,
//! `MD5|name|inode|mode_as_string|UID|GID|size|atime|mtime|ctime|crtime`, laid out as
//! `fls -m / -r -p` prints NTFS: for every path (hard link) of a record one line with the
//! `$STANDARD_INFORMATION` times and one line named `<path> ($FILE_NAME)` with that link's own
//! `$FILE_NAME` times. Details and the differences from `fls` are in `docs/export.md`.

use super::json::push_int;
use super::{LastTimes, Selection};
use crate::file_name::{filetime_unix, FileName, Times};
use crate::resolve::Resolver;
use crate::scan::{Entry, ORPHAN_DIR, ROOT};
use crate::tree::Tree;
use std::cell::RefCell;
use std::io::{self, Write};

/// TSK's attribute type numbers, used in the inode field (`record-type`).
const TYPE_FILE_NAME: u32 = 0x30;
const TYPE_DATA: u32 = 0x80;
const TYPE_INDEX_ROOT: u32 = 0x90;

/// `FILE_ATTRIBUTE_READONLY` and `FILE_ATTRIBUTE_HIDDEN` (MS-FSCC 2.6).
const READONLY: u32 = 0x1;
const HIDDEN: u32 = 0x2;

/// Unix seconds of a FILETIME, 0 when the time is absent (zero).
fn unix(ft: u64) -> i64 {
    if ft == 0 {
        0
    } else {
        filetime_unix(ft)
    }
}

/// The mode string as TSK prints it for NTFS: name type / meta type and permissions. TSK starts
/// from `rwxrwxrwx`, clears the read bits for READONLY and the write bits for HIDDEN (sic: that
/// is what `fls` prints), and shows `-` as the name type of a deleted entry.
pub fn mode_string(e: &Entry) -> String {
    String::from_utf8_lossy(&mode_bytes(e)).into_owned()
}

/// [`mode_string`]'s twelve ASCII bytes, without a `String` per record.
fn mode_bytes(e: &Entry) -> [u8; 12] {
    let kind = if e.directory { b'd' } else { b'r' };
    let flags = e
        .standard_information
        .as_ref()
        .map_or(0, |s| s.file_attributes);
    let r = if flags & READONLY != 0 { b'-' } else { b'r' };
    let w = if flags & HIDDEN != 0 { b'-' } else { b'w' };
    let name_kind = if e.in_use { kind } else { b'-' };
    [name_kind, b'/', kind, r, w, b'x', r, w, b'x', r, w, b'x']
}

/// A path for the body file: `\` separators become `/`; `|`, CR and LF (which would break the
/// line) are written as `%7C`, `%0D`, `%0A`.
#[cfg(test)]
fn body_path(p: &str) -> String {
    let mut out = Vec::with_capacity(p.len() + 1);
    push_body_path(&mut out, p);
    String::from_utf8_lossy(&out).into_owned()
}

/// Appends [`body_path`]'s text. The bytes it replaces are ASCII, which never occur inside a
/// multi-byte UTF-8 character, so the path is copied whole and turned in place eight bytes at a
/// time (`\` to `/`), unless it holds one of the rare bytes that grow (`|`, CR, LF): then it is
/// written again byte by byte.
fn push_body_path(out: &mut Vec<u8>, p: &str) {
    let bytes = p.as_bytes();
    if bytes.is_empty() {
        out.push(b'/');
        return;
    }
    let start = out.len();
    out.extend_from_slice(bytes);
    let mut grows = false;
    let mut words = out[start..].chunks_exact_mut(8);
    for word in &mut words {
        let Ok(word) = <&mut [u8; 8]>::try_from(word) else {
            continue;
        };
        let w = u64::from_le_bytes(*word);
        if bytes_equal(w, b'|') | bytes_equal(w, b'\r') | bytes_equal(w, b'\n') != 0 {
            grows = true;
            break;
        }
        // 0x01 in each byte that is `\`, times `\` ^ `/`, turns exactly those bytes.
        *word = (w ^ ((bytes_equal(w, b'\\') >> 7) * u64::from(b'\\' ^ b'/'))).to_le_bytes();
    }
    if !grows {
        for b in words.into_remainder() {
            match *b {
                b'\\' => *b = b'/',
                b'|' | b'\r' | b'\n' => grows = true,
                _ => {}
            }
        }
    }
    if !grows {
        return;
    }
    out.truncate(start);
    for &b in bytes {
        match b {
            b'\\' => out.push(b'/'),
            b'|' => out.extend_from_slice(b"%7C"),
            b'\r' => out.extend_from_slice(b"%0D"),
            b'\n' => out.extend_from_slice(b"%0A"),
            b => out.push(b),
        }
    }
}

/// 0x80 in each byte of `w` that equals `b`, 0 elsewhere (exact: no carry crosses a byte,
/// since `(x & 0x7F) + 0x7F` is at most 0xFE).
fn bytes_equal(w: u64, b: u8) -> u64 {
    const LOW7: u64 = 0x7F7F_7F7F_7F7F_7F7F;
    let x = w ^ (0x0101_0101_0101_0101 * u64::from(b));
    !(((x & LOW7) + LOW7) | x) & !LOW7
}

/// What every line of one record shares.
struct Lines<'a> {
    record: u64,
    mode: [u8; 12],
    uid: u32,
    deleted: &'a [u8],
}

/// `|atime|mtime|ctime|crtime` in Unix seconds, each distinct value formatted once.
fn push_unix_times(out: &mut Vec<u8>, t: &Times) {
    let mut last: Option<(u64, std::ops::Range<usize>)> = None;
    for ft in [t.accessed, t.modified, t.mft_modified, t.created] {
        out.push(b'|');
        let at = out.len();
        match &last {
            Some((v, r)) if *v == ft => out.extend_from_within(r.clone()),
            _ => push_int(out, unix(ft)),
        }
        last = Some((ft, at..out.len()));
    }
}

impl Lines<'_> {
    /// One line: `0|<name><suffix><deleted>|<record>-<type>|<mode>|<uid>|0|<size>|a|m|c|cr`.
    /// Written straight into the output (a `format!` per field made the bodyfile cost twice
    /// the JSONL).
    #[allow(clippy::too_many_arguments)]
    fn line(
        &self,
        out: &mut Vec<u8>,
        name: &[u8],
        suffix: &[u8],
        kind: u32,
        size: u64,
        t: Option<&Times>,
        last: &mut LastTimes,
    ) {
        out.extend_from_slice(b"0|");
        out.extend_from_slice(name);
        out.extend_from_slice(suffix);
        out.extend_from_slice(self.deleted);
        out.push(b'|');
        push_int(out, self.record);
        out.push(b'-');
        push_int(out, kind);
        out.push(b'|');
        out.extend_from_slice(&self.mode);
        out.push(b'|');
        push_int(out, self.uid);
        out.extend_from_slice(b"|0|");
        push_int(out, size);
        last.push(out, &t.copied().unwrap_or_default(), push_unix_times);
        out.push(b'\n');
    }
}

/// Size of a `$FILE_NAME` value (what `fls` prints as the size of a `($FILE_NAME)` line).
fn file_name_size(n: &FileName) -> u64 {
    0x42 + 2 * utf16_units(&n.name)
}

/// `s.encode_utf16().count()`, from the UTF-8 bytes: one unit per character (per byte that is
/// not a continuation byte), two for a four-byte character (lead byte 0xF0 or above).
fn utf16_units(s: &str) -> u64 {
    if s.is_ascii() {
        return s.len() as u64;
    }
    s.bytes()
        .map(|b| u64::from(b & 0xC0 != 0x80) + u64::from(b >= 0xF0))
        .sum()
}

/// Writes the bodyfile.
pub fn write(
    w: &mut impl Write,
    scan: &dyn Tree,
    _resolver: &Resolver<'_>,
    sel: Selection,
) -> io::Result<()> {
    thread_local! {
        static SCRATCH: RefCell<(String, Vec<u8>)> = const { RefCell::new((String::new(), Vec::new())) };
    }
    scan.render_entries(sel, w, &|e, out| {
        let lines = Lines {
            record: e.record,
            mode: mode_bytes(e),
            uid: e
                .standard_information
                .as_ref()
                .and_then(|s| s.owner_id)
                .unwrap_or(0),
            deleted: if e.in_use { b"" } else { b" (deleted)" },
        };
        let si_times = e.standard_information.as_ref().map(|s| &s.times);
        let main_type = if e.directory {
            TYPE_INDEX_ROOT
        } else {
            TYPE_DATA
        };
        let size = e.data_size.unwrap_or(0);
        SCRATCH.with_borrow_mut(|(full, path)| {
            let mut last = LastTimes::default();
            let mut any = false;
            for n in e.link_names() {
                any = true;
                path.clear();
                if e.record == ROOT {
                    path.push(b'/');
                } else {
                    full.clear();
                    scan.push_path(n, full);
                    push_body_path(path, full);
                }
                lines.line(out, path, b"", main_type, size, si_times, &mut last);
                let fn_size = file_name_size(n);
                let suffix = b" ($FILE_NAME)";
                let fn_times = Some(&n.times);
                lines.line(
                    out,
                    path,
                    suffix,
                    TYPE_FILE_NAME,
                    fn_size,
                    fn_times,
                    &mut last,
                );
            }
            if !any {
                // No name left: where TSK puts such records.
                let path = format!("/{ORPHAN_DIR}/OrphanFile-{}", e.record);
                lines.line(
                    out,
                    path.as_bytes(),
                    b"",
                    main_type,
                    size,
                    si_times,
                    &mut last,
                );
            }
        });
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf16_units_count_as_encode_utf16_does() {
        for s in [
            "",
            "a.txt",
            "caf\u{e9}",
            "\u{65e5}\u{672c}",
            "\u{1F600}x",
            "a\u{10FFFF}\u{7f}\u{80}",
        ] {
            assert_eq!(utf16_units(s), s.encode_utf16().count() as u64, "{s:?}");
        }
    }

    #[test]
    fn times_are_formatted_as_unix_seconds_whether_copied_or_not() {
        let t = Times {
            created: 116_444_736_010_000_000,
            modified: 0,
            mft_modified: 116_444_736_010_000_000,
            accessed: 116_444_736_020_000_000,
        };
        let u = Times { created: 0, ..t };
        let mut last = LastTimes::default();
        let mut out = Vec::new();
        for x in [t, t, u, t] {
            last.push(&mut out, &x, push_unix_times);
        }
        assert_eq!(out, b"|2|0|1|1|2|0|1|1|2|0|1|0|2|0|1|1".to_vec());
    }

    #[test]
    fn paths_and_times() {
        assert_eq!(body_path("\\d\\b.txt"), "/d/b.txt");
        assert_eq!(body_path("\\a|b\n"), "/a%7Cb%0A");
        assert_eq!(body_path("\\a\rb"), "/a%0Db");
        assert_eq!(body_path(""), "/");
        assert_eq!(body_path("\\caf\u{e9}\\\u{65e5}"), "/caf\u{e9}/\u{65e5}");
        // Every position of a word and of the tail, against the byte-by-byte rule.
        let reference = |p: &str| -> String {
            let mut s = String::new();
            for c in p.chars() {
                match c {
                    '\\' => s.push('/'),
                    '|' => s.push_str("%7C"),
                    '\r' => s.push_str("%0D"),
                    '\n' => s.push_str("%0A"),
                    c => s.push(c),
                }
            }
            if p.is_empty() {
                s.push('/');
            }
            s
        };
        for len in 0..20 {
            for at in 0..len {
                for c in ['\\', '|', '\r', '\n', '/', '\u{5c}', '\u{e9}', '\u{dc}'] {
                    let p: String = (0..len)
                        .map(|i| {
                            if i == at {
                                c
                            } else if i % 3 == 0 {
                                '\\'
                            } else {
                                'a'
                            }
                        })
                        .collect();
                    assert_eq!(body_path(&p), reference(&p), "{p:?}");
                }
            }
        }
        assert_eq!(unix(0), 0);
        assert_eq!(unix(116_444_736_000_000_000), 0);
        assert_eq!(unix(116_444_736_010_000_000), 1);
    }
}
