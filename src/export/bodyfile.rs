//! Bodyfile export: The Sleuth Kit 3.x+ body format that `mactime` reads,
//! `MD5|name|inode|mode_as_string|UID|GID|size|atime|mtime|ctime|crtime`, laid out as
//! `fls -m / -r -p` prints NTFS: for every path (hard link) of a record one line with the
//! `$STANDARD_INFORMATION` times and one line named `<path> ($FILE_NAME)` with that link's own
//! `$FILE_NAME` times. Details and the differences from `fls` are in `docs/export.md`.

use super::Selection;
use crate::file_name::{filetime_unix, FileName, Times};
use crate::resolve::Resolver;
use crate::scan::{Entry, ORPHAN_DIR, ROOT};
use crate::tree::Tree;
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

/// A path for the body file: `\` separators become `/`; `|`, CR and LF (which would break the
/// line) are written as `%7C`, `%0D`, `%0A`.
fn body_path(p: &str) -> String {
    let mut s = String::with_capacity(p.len() + 1);
    for c in p.chars() {
        match c {
            '\\' => s.push('/'),
            '|' => s.push_str("%7C"),
            '\r' => s.push_str("%0D"),
            '\n' => s.push_str("%0A"),
            c => s.push(c),
        }
    }
    if s.is_empty() {
        s.push('/');
    }
    s
}

fn line(
    w: &mut impl Write,
    name: &str,
    inode: &str,
    mode: &str,
    uid: u32,
    size: u64,
    t: Option<&Times>,
) -> io::Result<()> {
    let t = t.copied().unwrap_or_default();
    writeln!(
        w,
        "0|{name}|{inode}|{mode}|{uid}|0|{size}|{}|{}|{}|{}",
        unix(t.accessed),
        unix(t.modified),
        unix(t.mft_modified),
        unix(t.created)
    )
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
    scan.render_entries(sel, w, &|e, w| {
        let deleted = if e.in_use { "" } else { " (deleted)" };
        let mode = mode_string(e);
        let uid = e
            .standard_information
            .as_ref()
            .and_then(|s| s.owner_id)
            .unwrap_or(0);
        let si_times = e.standard_information.as_ref().map(|s| &s.times);
        let main_type = if e.directory {
            TYPE_INDEX_ROOT
        } else {
            TYPE_DATA
        };
        let inode = format!("{}-{main_type}", e.record);
        let fn_inode = format!("{}-{TYPE_FILE_NAME}", e.record);
        let size = e.data_size.unwrap_or(0);
        let mut any = false;
        for n in e.link_names() {
            any = true;
            let path = if e.record == ROOT {
                "/".to_string()
            } else {
                body_path(&scan.path_of(n))
            };
            line(
                w,
                &format!("{path}{deleted}"),
                &inode,
                &mode,
                uid,
                size,
                si_times,
            )?;
            line(
                w,
                &format!("{path} ($FILE_NAME){deleted}"),
                &fn_inode,
                &mode,
                uid,
                file_name_size(n),
                Some(&n.times),
            )?;
        }
        if !any {
            // No name left: where TSK puts such records.
            let path = format!("/{ORPHAN_DIR}/OrphanFile-{}", e.record);
            line(
                w,
                &format!("{path}{deleted}"),
                &inode,
                &mode,
                uid,
                size,
                si_times,
            )?;
        }
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
