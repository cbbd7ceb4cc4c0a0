//! Bodyfile export: The Sleuth Kit 3.x+ body format that `mactime` reads,
//! `MD5|name|inode|mode_as_string|UID|GID|size|atime|mtime|ctime|crtime`, laid out as
//! `fls -m / -r -p` prints NTFS: for every path (hard link) of a record one line with the
//! `$STANDARD_INFORMATION` times and one line named `<path> ($FILE_NAME)` with that link's own
//! `$FILE_NAME` times. Details and the differences from `fls` are in `docs/export.md`.

use super::json::push_int;
use super::Selection;
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
    let kind = if e.directory { 'd' } else { 'r' };
    let flags = e
        .standard_information
        .as_ref()
        .map_or(0, |s| s.file_attributes);
    let r = if flags & READONLY != 0 { '-' } else { 'r' };
    let w = if flags & HIDDEN != 0 { '-' } else { 'w' };
    let name_kind = if e.in_use { kind } else { '-' };
    let perm: String = [r, w, 'x'].iter().collect();
    format!("{name_kind}/{kind}{perm}{perm}{perm}")
}

/// A path for the body file: `\\` separators become `/`; `|`, CR and LF (which would break the
/// line) are written as `%7C`, `%0D`, `%0A`.
#[cfg(test)]
fn body_path(p: &str) -> String {
    let mut out = Vec::with_capacity(p.len() + 1);
    push_body_path(&mut out, p);
    String::from_utf8_lossy(&out).into_owned()
}

/// Appends [`body_path`]'s text. Byte by byte is safe: the bytes it replaces are ASCII, which
/// never occur inside a multi-byte UTF-8 character.
fn push_body_path(out: &mut Vec<u8>, p: &str) {
    for &b in p.as_bytes() {
        match b {
            b'\\' => out.push(b'/'),
            b'|' => out.extend_from_slice(b"%7C"),
            b'\r' => out.extend_from_slice(b"%0D"),
            b'\n' => out.extend_from_slice(b"%0A"),
            b => out.push(b),
        }
    }
    if p.is_empty() {
        out.push(b'/');
    }
}

/// What every line of one record shares.
struct Lines<'a> {
    record: u64,
    mode: &'a str,
    uid: u32,
    deleted: &'a [u8],
}

impl Lines<'_> {
    /// One line: `0|<name><suffix><deleted>|<record>-<type>|<mode>|<uid>|0|<size>|a|m|c|cr`.
    /// Written straight into the output (a `format!` per field made the bodyfile cost twice
    /// the JSONL).
    fn line(
        &self,
        out: &mut Vec<u8>,
        name: &[u8],
        suffix: &[u8],
        kind: u32,
        size: u64,
        t: Option<&Times>,
    ) {
        let t = t.copied().unwrap_or_default();
        out.extend_from_slice(b"0|");
        out.extend_from_slice(name);
        out.extend_from_slice(suffix);
        out.extend_from_slice(self.deleted);
        out.push(b'|');
        push_int(out, self.record);
        out.push(b'-');
        push_int(out, kind);
        out.push(b'|');
        out.extend_from_slice(self.mode.as_bytes());
        out.push(b'|');
        push_int(out, self.uid);
        out.extend_from_slice(b"|0|");
        push_int(out, size);
        for ft in [t.accessed, t.modified, t.mft_modified, t.created] {
            out.push(b'|');
            push_int(out, unix(ft));
        }
        out.push(b'\n');
    }
}

/// Size of a `$FILE_NAME` value (what `fls` prints as the size of a `($FILE_NAME)` line).
fn file_name_size(n: &FileName) -> u64 {
    0x42 + 2 * n.name.encode_utf16().count() as u64
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
        let mode = mode_string(e);
        let lines = Lines {
            record: e.record,
            mode: &mode,
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
                lines.line(out, path, b"", main_type, size, si_times);
                let fn_size = file_name_size(n);
                let suffix = b" ($FILE_NAME)";
                lines.line(out, path, suffix, TYPE_FILE_NAME, fn_size, Some(&n.times));
            }
            if !any {
                // No name left: where TSK puts such records.
                let path = format!("/{ORPHAN_DIR}/OrphanFile-{}", e.record);
                lines.line(out, path.as_bytes(), b"", main_type, size, si_times);
            }
        });
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_and_times() {
        assert_eq!(body_path("\\d\\b.txt"), "/d/b.txt");
        assert_eq!(body_path("\\a|b\n"), "/a%7Cb%0A");
        assert_eq!(unix(0), 0);
        assert_eq!(unix(116_444_736_000_000_000), 0);
        assert_eq!(unix(116_444_736_010_000_000), 1);
    }
}
