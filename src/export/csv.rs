//! CSV export: one row per hard link (per `$FILE_NAME` that is not a DOS 8.3 name), with the
//! columns of MFTECmd's `$MFT` CSV an examiner already knows, then our own columns. A record
//! without any link name (an in-use record whose names are gone) gets one row with an empty name.
//! The columns are documented in `docs/export.md`.

use super::{with_record, Record, Selection};
use crate::file_name::{filetime_iso, FileName, Namespace, Times};
use crate::reparse::ReparseContent;
use crate::resolve::Resolver;
use crate::scan::{Entry, ROOT};
use crate::tree::Tree;
use std::cell::RefCell;
use std::io::{self, Write};
use std::rc::Rc;

/// The header row, in order.
pub const COLUMNS: [&str; 32] = [
    // MFTECmd's names and meanings.
    "EntryNumber",
    "SequenceNumber",
    "InUse",
    "ParentEntryNumber",
    "ParentSequenceNumber",
    "ParentPath",
    "FileName",
    "Extension",
    "FileSize",
    "ReferenceCount",
    "ReparseTarget",
    "IsDirectory",
    "HasAds",
    "IsAds",
    "SiFlags",
    "NameType",
    "Created0x10",
    "Created0x30",
    "LastModified0x10",
    "LastModified0x30",
    "LastRecordChange0x10",
    "LastRecordChange0x30",
    "LastAccess0x10",
    "LastAccess0x30",
    // Ours.
    "HardLinkCount",
    "FullPath",
    "ReparseTag",
    "ReparseTagValue",
    "SymlinkRelative",
    "TargetStatus",
    "TargetPath",
    "DosName",
];

/// `$STANDARD_INFORMATION` flag names as MFTECmd's `StandardInfo.Flag` enum spells them, in bit
/// order; MFTECmd writes them joined with `|` (`Hidden|System|Archive`).
const SI_FLAGS: [(u32, &str); 21] = [
    (0x1, "ReadOnly"),
    (0x2, "Hidden"),
    (0x4, "System"),
    (0x8, "VolumeLabel"),
    (0x10, "Directory"),
    (0x20, "Archive"),
    (0x40, "Device"),
    (0x80, "Normal"),
    (0x100, "Temporary"),
    (0x200, "SparseFile"),
    (0x400, "ReparsePoint"),
    (0x800, "Compressed"),
    (0x1000, "Offline"),
    (0x2000, "NotContentIndexed"),
    (0x4000, "Encrypted"),
    (0x8000, "IntegrityStream"),
    (0x1_0000, "Virtual"),
    (0x2_0000, "NoScrubData"),
    (0x4_0000, "HasEa"),
    (0x1000_0000, "IsDirectory"),
    (0x2000_0000, "IsIndexView"),
];

/// The `SiFlags` text: known names joined with `|`, bits without a name as one hex number at the
/// end, `None` for zero.
pub fn si_flags_text(bits: u32) -> String {
    if bits == 0 {
        return "None".to_string();
    }
    let mut parts: Vec<String> = SI_FLAGS
        .iter()
        .filter(|(b, _)| bits & b != 0)
        .map(|(_, n)| (*n).to_string())
        .collect();
    let known = SI_FLAGS.iter().fold(0u32, |acc, (b, _)| acc | b);
    if bits & !known != 0 {
        parts.push(format!("{:#x}", bits & !known));
    }
    parts.join("|")
}

/// MFTECmd's `NameType` text for a namespace.
pub fn name_type(ns: Namespace) -> &'static str {
    match ns {
        Namespace::Posix => "Posix",
        Namespace::Win32 => "Windows",
        Namespace::Dos => "Dos",
        Namespace::Win32AndDos => "DosWindows",
    }
}

/// The extension as .NET's `Path.GetExtension` gives it (MFTECmd's `Extension`): from the last
/// dot, dot included; empty when there is no dot or the name ends with it.
pub fn extension(name: &str) -> &str {
    match name.rfind('.') {
        Some(i) if i + 1 < name.len() => &name[i..],
        _ => "",
    }
}

/// What a link points at as the reparse buffer says it (MFTECmd's `ReparseTarget`): the print
/// name, else the substitute name without its `\??\` prefix; the LX symlink target; an app
/// execution alias's executable.
fn reparse_target(rec: &Record<'_>) -> String {
    let Some(Ok(content)) = rec.reparse.as_ref().map(|r| r.content.as_ref()) else {
        return String::new();
    };
    let pick = |print: &str, sub: &str| -> String {
        if print.is_empty() {
            sub.strip_prefix("\\??\\").unwrap_or(sub).to_string()
        } else {
            print.to_string()
        }
    };
    match content {
        ReparseContent::MountPoint(m) => pick(&m.print_name, &m.substitute_name),
        ReparseContent::Symlink(s) => pick(&s.print_name, &s.substitute_name),
        ReparseContent::LxSymlink(l) => l.target.clone(),
        ReparseContent::AppExecLink(a) => a.exe_path.clone(),
        _ => String::new(),
    }
}

/// `true`/`false` for symlinks (the `SYMLINK_FLAG_RELATIVE` bit) and LX symlinks (target not
/// starting with `/`); empty for everything else.
fn symlink_relative(rec: &Record<'_>) -> &'static str {
    match rec.reparse.as_ref().map(|r| r.content.as_ref()) {
        Some(Ok(ReparseContent::Symlink(s))) => bool_str(s.is_relative()),
        Some(Ok(ReparseContent::LxSymlink(l))) => bool_str(!l.target.starts_with('/')),
        _ => "",
    }
}

fn bool_str(b: bool) -> &'static str {
    if b {
        "True"
    } else {
        "False"
    }
}

/// The full path of one link name (`\` for the root directory).
fn full_path(scan: &dyn Tree, e: &Entry, name: &FileName) -> String {
    if e.record == ROOT {
        "\\".to_string()
    } else {
        scan.path_of(name)
    }
}

/// The directory part of a full path: `\` for files in the root, empty for the root itself.
fn parent_path(full: &str, record: u64) -> String {
    if record == ROOT {
        return String::new();
    }
    match full.rfind('\\') {
        Some(0) => "\\".to_string(),
        Some(i) => full[..i].to_string(),
        None => String::new(),
    }
}

fn times_iso(t: Option<&Times>, f: fn(&Times) -> u64) -> String {
    t.map(|t| filetime_iso(f(t))).unwrap_or_default()
}

/// One row's fields for `name` (None: the record has no link name).
fn row(scan: &dyn Tree, rec: &Record<'_>, name: Option<&FileName>) -> Vec<String> {
    let e = rec.entry;
    let si = e.standard_information.as_ref();
    let si_t = si.map(|s| &s.times);
    let fn_t = name.map(|n| &n.times);
    let full = name.map(|n| full_path(scan, e, n)).unwrap_or_default();
    let tag = rec
        .reparse
        .as_ref()
        .map(|r| r.tag)
        .or_else(|| e.reparse_tag().map(crate::reparse::ReparseTag));
    let dos = name
        .and_then(|n| {
            e.names
                .iter()
                .find(|d| d.namespace == Namespace::Dos && d.parent == n.parent)
        })
        .map(|d| d.name.clone())
        .unwrap_or_default();
    vec![
        e.record.to_string(),
        e.sequence.to_string(),
        bool_str(e.in_use).to_string(),
        name.map(|n| n.parent.record.to_string())
            .unwrap_or_default(),
        name.map(|n| n.parent.sequence.to_string())
            .unwrap_or_default(),
        if name.is_some() {
            parent_path(&full, e.record)
        } else {
            String::new()
        },
        name.map(|n| n.name.clone()).unwrap_or_default(),
        name.map(|n| extension(&n.name).to_string())
            .unwrap_or_default(),
        e.data_size.unwrap_or(0).to_string(),
        e.link_count.to_string(),
        reparse_target(rec),
        bool_str(e.directory).to_string(),
        bool_str(!e.streams.is_empty()).to_string(),
        bool_str(false).to_string(),
        si.map(|s| si_flags_text(s.file_attributes))
            .unwrap_or_default(),
        name.map(|n| name_type(n.namespace).to_string())
            .unwrap_or_default(),
        times_iso(si_t, |t| t.created),
        times_iso(fn_t, |t| t.created),
        times_iso(si_t, |t| t.modified),
        times_iso(fn_t, |t| t.modified),
        times_iso(si_t, |t| t.mft_modified),
        times_iso(fn_t, |t| t.mft_modified),
        times_iso(si_t, |t| t.accessed),
        times_iso(fn_t, |t| t.accessed),
        e.hard_links().to_string(),
        full,
        tag.and_then(|t| t.name()).unwrap_or("").to_string(),
        tag.map(|t| format!("{:#010X}", t.0)).unwrap_or_default(),
        symlink_relative(rec).to_string(),
        rec.target
            .as_ref()
            .map(|t| t.status.as_str().to_string())
            .unwrap_or_default(),
        rec.target
            .as_ref()
            .and_then(|t| t.path.clone())
            .unwrap_or_default(),
        dos,
    ]
}

/// Writes the CSV: the header row, then one row per hard link of every selected record.
pub fn write(
    w: &mut impl Write,
    scan: &dyn Tree,
    resolver: &Resolver<'_>,
    sel: Selection,
) -> io::Result<()> {
    let mut out = ::csv::Writer::from_writer(&mut *w);
    out.write_record(COLUMNS).map_err(io::Error::other)?;
    out.flush()?;
    drop(out);
    // One CSV writer per thread, writing into a vector it shares with this function: a writer
    // per record allocated (and zeroed) its 8 KiB buffer a million times.
    thread_local! {
        static ROWS: (RefCell<::csv::Writer<Shared>>, Rc<RefCell<Vec<u8>>>) = {
            let text = Rc::new(RefCell::new(Vec::new()));
            let w = ::csv::WriterBuilder::new()
                .has_headers(false)
                .from_writer(Shared(Rc::clone(&text)));
            (RefCell::new(w), text)
        };
    }
    scan.render_entries(sel, w, &|e, buf| {
        ROWS.with(|(out, text)| {
            let mut out = out.borrow_mut();
            with_record(scan, resolver, e, |rec| {
                let mut any = false;
                for name in e.link_names() {
                    any = true;
                    out.write_record(row(scan, rec, Some(name)))
                        .map_err(io::Error::other)?;
                }
                if !any {
                    out.write_record(row(scan, rec, None))
                        .map_err(io::Error::other)?;
                }
                out.flush()
            })?;
            let mut text = text.borrow_mut();
            buf.extend_from_slice(&text);
            text.clear();
            Ok(())
        })
    })
}

/// A writer appending to a vector that its owner reads too.
struct Shared(Rc<RefCell<Vec<u8>>>);

impl Write for Shared {
    fn write(&mut self, b: &[u8]) -> io::Result<usize> {
        self.0.borrow_mut().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_and_names() {
        assert_eq!(si_flags_text(0x26), "Hidden|System|Archive");
        assert_eq!(si_flags_text(0), "None");
        assert_eq!(si_flags_text(0x8000_0020), "Archive|0x80000000");
        assert_eq!(extension("a.tar.gz"), ".gz");
        assert_eq!(extension("README"), "");
        assert_eq!(extension("x."), "");
        assert_eq!(extension(".bashrc"), ".bashrc");
        assert_eq!(parent_path("\\a.txt", 64), "\\");
        assert_eq!(parent_path("\\d\\b.txt", 64), "\\d");
        assert_eq!(name_type(Namespace::Win32AndDos), "DosWindows");
    }
}
