//! CSV export: one row per hard link (per `$FILE_NAME` that is not a DOS 8.3 name), with the
//! columns of MFTECmd's `$MFT` CSV an examiner already knows, then our own columns. A record
//! without any link name (an in-use record whose names are gone) gets one row with an empty name.
//! The columns are documented in `docs/export.md`.

use super::json::push_int;
use super::{with_record, Record, Selection};
use crate::file_name::{FileName, FileTimeIso, Namespace};
use crate::reparse::ReparseContent;
use crate::resolve::Resolver;
use crate::scan::ROOT;
use crate::tree::Tree;
use std::cell::RefCell;
use std::io::{self, Write};

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
    let mut out = Vec::new();
    push_si_flags(&mut out, bits);
    // Names and hex digits only: always ASCII.
    String::from_utf8_lossy(&out).into_owned()
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

/// Writes one CSV row, quoting a field exactly as the `csv` crate does by default (the
/// `QuoteStyle::Necessary` rules: a field holding `,`, `"`, `\r` or `\n` is quoted, its quotes
/// doubled; a test holds the two to each other). By hand: a `csv::Writer` and a `String` per
/// field made the CSV export three times the JSONL's cost.
struct RowWriter<'o> {
    out: &'o mut Vec<u8>,
    first: bool,
    /// The times this row holds so far and where their text is: a row's `$SI` and `$FN` times
    /// are often equal, and are then copied instead of formatted again.
    times: [(u64, std::ops::Range<usize>); 8],
    time_count: usize,
}

impl<'o> RowWriter<'o> {
    fn new(out: &'o mut Vec<u8>) -> Self {
        RowWriter {
            out,
            first: true,
            times: Default::default(),
            time_count: 0,
        }
    }

    fn sep(&mut self) {
        if !self.first {
            self.out.push(b',');
        }
        self.first = false;
    }

    /// A field that may need quoting.
    fn text(&mut self, s: &str) {
        self.sep();
        push_field(self.out, s);
    }

    /// A field that never needs quoting (numbers, fixed words, timestamps).
    fn plain(&mut self, s: &str) {
        self.sep();
        self.out.extend_from_slice(s.as_bytes());
    }

    fn num(&mut self, v: impl itoa::Integer) {
        self.sep();
        push_int(self.out, v);
    }

    fn time(&mut self, ft: Option<u64>) {
        self.sep();
        let Some(ft) = ft else { return };
        let seen = &self.times[..self.time_count];
        if let Some((_, at)) = seen.iter().find(|(v, _)| *v == ft) {
            self.out.extend_from_within(at.clone());
            return;
        }
        let start = self.out.len();
        let mut b = [0u8; 32];
        self.out.extend_from_slice(FileTimeIso(ft).write_to(&mut b));
        if let Some(slot) = self.times.get_mut(self.time_count) {
            *slot = (ft, start..self.out.len());
            self.time_count += 1;
        }
    }

    fn end(self) {
        self.out.push(b'\n');
    }
}

/// Appends `s` as one CSV field (see [`RowWriter`]).
fn push_field(out: &mut Vec<u8>, s: &str) {
    // A fold, not `any`: no early exit, so it runs on whole vectors.
    let needs = s.bytes().fold(false, |acc, b| {
        acc | matches!(b, b',' | b'"' | b'\r' | b'\n')
    });
    if !needs {
        out.extend_from_slice(s.as_bytes());
        return;
    }
    out.push(b'"');
    for b in s.bytes() {
        if b == b'"' {
            out.push(b'"');
        }
        out.push(b);
    }
    out.push(b'"');
}

/// Appends the `SiFlags` text ([`si_flags_text`]).
fn push_si_flags(out: &mut Vec<u8>, bits: u32) {
    if bits == 0 {
        out.extend_from_slice(b"None");
        return;
    }
    let mut first = true;
    for (b, n) in SI_FLAGS {
        if bits & b != 0 {
            if !first {
                out.push(b'|');
            }
            first = false;
            out.extend_from_slice(n.as_bytes());
        }
    }
    let known = SI_FLAGS.iter().fold(0u32, |acc, (b, _)| acc | b);
    if bits & !known != 0 {
        if !first {
            out.push(b'|');
        }
        out.extend_from_slice(format!("{:#x}", bits & !known).as_bytes());
    }
}

/// Writes one row for `name` (None: the record has no link name); `full` is scratch room for
/// the full path.
fn write_row(
    scan: &dyn Tree,
    rec: &Record<'_>,
    name: Option<&FileName>,
    full: &mut String,
    out: &mut Vec<u8>,
) {
    let e = rec.entry;
    let si = e.standard_information.as_ref();
    let si_t = si.map(|s| &s.times);
    let fn_t = name.map(|n| &n.times);
    full.clear();
    if let Some(n) = name {
        if e.record == ROOT {
            full.push('\\');
        } else {
            scan.push_path(n, full);
        }
    }
    let tag = rec
        .reparse
        .as_ref()
        .map(|r| r.tag)
        .or_else(|| e.reparse_tag().map(crate::reparse::ReparseTag));
    let dos = name.and_then(|n| {
        e.names
            .iter()
            .find(|d| d.namespace == Namespace::Dos && d.parent == n.parent)
    });
    let mut w = RowWriter::new(out);
    w.num(e.record);
    w.num(e.sequence);
    w.plain(bool_str(e.in_use));
    match name {
        Some(n) => {
            w.num(n.parent.record);
            w.num(n.parent.sequence);
            w.text(parent_path_of(full, e.record));
            w.text(&n.name);
            w.text(extension(&n.name));
        }
        None => (0..5).for_each(|_| w.plain("")),
    }
    w.num(e.data_size.unwrap_or(0));
    w.num(e.link_count);
    w.text(&reparse_target(rec));
    w.plain(bool_str(e.directory));
    w.plain(bool_str(!e.streams.is_empty()));
    w.plain(bool_str(false));
    w.sep();
    if let Some(s) = si {
        push_si_flags(w.out, s.file_attributes);
    }
    w.plain(name.map_or("", |n| name_type(n.namespace)));
    w.time(si_t.map(|t| t.created));
    w.time(fn_t.map(|t| t.created));
    w.time(si_t.map(|t| t.modified));
    w.time(fn_t.map(|t| t.modified));
    w.time(si_t.map(|t| t.mft_modified));
    w.time(fn_t.map(|t| t.mft_modified));
    w.time(si_t.map(|t| t.accessed));
    w.time(fn_t.map(|t| t.accessed));
    w.num(e.hard_links());
    w.text(full);
    w.plain(tag.and_then(|t| t.name()).unwrap_or(""));
    match tag {
        Some(t) => w.plain(&format!("{:#010X}", t.0)),
        None => w.plain(""),
    }
    w.plain(symlink_relative(rec));
    w.plain(rec.target.as_ref().map_or("", |t| t.status.as_str()));
    w.text(
        rec.target
            .as_ref()
            .and_then(|t| t.path.as_deref())
            .unwrap_or(""),
    );
    w.text(dos.map_or("", |d| d.name.as_str()));
    w.end();
}

/// The directory part of a full path: `\` for files in the root, empty for the root itself.
fn parent_path_of(full: &str, record: u64) -> &str {
    if record == ROOT {
        return "";
    }
    match full.rfind('\\') {
        Some(0) => "\\",
        Some(i) => &full[..i],
        None => "",
    }
}

/// Writes the CSV: the header row, then one row per hard link of every selected record.
pub fn write(
    w: &mut impl Write,
    scan: &dyn Tree,
    resolver: &Resolver<'_>,
    sel: Selection,
) -> io::Result<()> {
    let mut header = Vec::new();
    let mut h = RowWriter::new(&mut header);
    COLUMNS.iter().for_each(|c| h.text(c));
    h.end();
    w.write_all(&header)?;
    thread_local! {
        static FULL_PATH: RefCell<String> = const { RefCell::new(String::new()) };
    }
    scan.prepare_lookups();
    scan.render_entries(sel, w, &|e, buf| {
        FULL_PATH.with_borrow_mut(|full| {
            with_record(resolver, e, |rec| {
                let mut any = false;
                for name in e.link_names() {
                    any = true;
                    write_row(scan, rec, Some(name), full, buf);
                }
                if !any {
                    write_row(scan, rec, None, full, buf);
                }
            })
        });
        Ok(())
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn repeated_times_are_copied_as_written() {
        let times = [
            Some(5),
            Some(133_000_000_000_000_000),
            None,
            Some(5),
            Some(0),
            Some(5),
        ];
        let mut out = Vec::new();
        let mut w = RowWriter::new(&mut out);
        for t in times.iter().chain(&times).chain(&times) {
            w.time(*t);
        }
        w.end();
        let mut expected = Vec::new();
        for t in times.iter().chain(&times).chain(&times) {
            let mut b = [0u8; 32];
            expected.extend_from_slice(t.map_or(&[][..], |t| FileTimeIso(t).write_to(&mut b)));
            expected.push(b',');
        }
        *expected.last_mut().unwrap() = b'\n';
        assert_eq!(
            String::from_utf8(out).unwrap(),
            String::from_utf8(expected).unwrap()
        );
    }

    #[test]
    fn flags_and_names() {
        assert_eq!(si_flags_text(0x26), "Hidden|System|Archive");
        assert_eq!(si_flags_text(0), "None");
        assert_eq!(si_flags_text(0x8000_0020), "Archive|0x80000000");
        assert_eq!(extension("a.tar.gz"), ".gz");
        assert_eq!(extension("README"), "");
        assert_eq!(extension("x."), "");
        assert_eq!(extension(".bashrc"), ".bashrc");
        assert_eq!(parent_path_of("\\a.txt", 64), "\\");
        assert_eq!(parent_path_of("\\d\\b.txt", 64), "\\d");
        assert_eq!(parent_path_of("\\", ROOT), "");
        assert_eq!(name_type(Namespace::Win32AndDos), "DosWindows");
        assert_eq!(si_flags_text(0x1000_0000), "IsDirectory");
        assert_eq!(
            si_flags_text(0xFFFF_FFFF),
            "ReadOnly|Hidden|System|VolumeLabel|Directory|Archive|Device|Normal|Temporary|\
             SparseFile|ReparsePoint|Compressed|Offline|NotContentIndexed|Encrypted|\
             IntegrityStream|Virtual|NoScrubData|HasEa|IsDirectory|IsIndexView|0xcff80000"
        );
    }

    /// The hand-written quoting against the `csv` crate's default writer, field by field and
    /// as whole rows.
    #[test]
    fn quotes_as_the_csv_crate_does() {
        let fields = [
            "",
            "plain",
            "a,b",
            "say \"hi\"",
            "\"",
            "line\nbreak",
            "cr\rhere",
            "tab\tok",
            "semi;colon",
            "'single'",
            " lead",
            "trail ",
            "\\dir\\file.txt",
            "日本,語",
            "\"\"",
        ];
        let mut ours = Vec::new();
        let mut w = RowWriter::new(&mut ours);
        fields.iter().for_each(|f| w.text(f));
        w.end();
        let mut theirs = ::csv::Writer::from_writer(Vec::new());
        theirs.write_record(fields).unwrap();
        assert_eq!(
            String::from_utf8(ours).unwrap(),
            String::from_utf8(theirs.into_inner().unwrap()).unwrap()
        );
    }
}
