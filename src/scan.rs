//! The whole-volume scan: every record slot of the `$MFT` is read once, fixed up and decoded in
//! parallel; extension records are merged into their base records through the base's
//! `$ATTRIBUTE_LIST`; then every directory's path is built once, so that every hard link of every
//! file gets its full path from the volume root.
//!
//! Damage stays local: a record that cannot be decoded becomes an entry in [`Scan::errors`] that
//! names the record and byte offset, and the scan goes on.

use crate::attribute::{self, Form};
use crate::attribute_list::{self, AttributeListEntry};
use crate::data_runs;
use crate::error::Error;
use crate::file_name::{FileName, Namespace};
use crate::record::{self, FileReference, RecordHeader};
use crate::standard_information::StandardInformation;
use crate::volume::Volume;
use rayon::prelude::*;
use serde::Serialize;
use std::collections::HashMap;
use std::sync::OnceLock;

/// Record number of the root directory.
pub const ROOT: u64 = 5;
/// Largest reparse buffer NTFS allows (MS-FSCC 2.1.2.2: 16 KiB); anything larger is damage.
pub const MAX_REPARSE_SIZE: u64 = 16 * 1024;
/// Deepest directory nesting we follow before calling a parent chain broken.
const MAX_DEPTH: usize = 4096;
/// The virtual directory that holds files whose parents do not lead to the root (as TSK names it).
pub const ORPHAN_DIR: &str = "$OrphanFiles";

/// A named `$DATA` stream (alternate data stream).
#[derive(Debug, Clone, Serialize)]
pub struct Stream {
    pub name: String,
    pub size: u64,
    pub resident: bool,
}

/// One MFT record as the scan decoded it (extension records merged into their base).
#[derive(Debug, Clone, Serialize)]
pub struct Entry {
    pub record: u64,
    /// Byte offset of the record inside the volume.
    pub offset: u64,
    pub sequence: u16,
    pub in_use: bool,
    pub directory: bool,
    /// The hard link count in the record header. Windows counts a separate DOS 8.3 name here
    /// too, so this is not the number of hard links: see [`Entry::hard_links`].
    pub link_count: u16,
    /// For an extension record, the base record it belongs to.
    pub base: Option<FileReference>,
    pub lsn: u64,
    pub names: Vec<FileName>,
    pub standard_information: Option<StandardInformation>,
    /// Size of the unnamed `$DATA` stream.
    pub data_size: Option<u64>,
    pub allocated_size: Option<u64>,
    pub data_resident: bool,
    /// Named `$DATA` streams.
    pub streams: Vec<Stream>,
    /// The whole `$REPARSE_POINT` value, resident or not.
    pub reparse: Option<Vec<u8>>,
    pub reparse_resident: bool,
    /// The base record's `$ATTRIBUTE_LIST`, when it has one.
    pub attribute_list: Option<Vec<AttributeListEntry>>,
    /// Extension records merged into this entry.
    pub extensions: Vec<u64>,
    /// Problems inside this record that did not stop it being read (with byte offsets).
    pub problems: Vec<String>,
}

impl Entry {
    /// An entry for record `n` with nothing decoded yet.
    pub(crate) fn empty(n: u64) -> Entry {
        Entry {
            record: n,
            offset: 0,
            sequence: 0,
            in_use: false,
            directory: false,
            link_count: 0,
            base: None,
            lsn: 0,
            names: Vec::new(),
            standard_information: None,
            data_size: None,
            allocated_size: None,
            data_resident: false,
            streams: Vec::new(),
            reparse: None,
            reparse_resident: false,
            attribute_list: None,
            extensions: Vec::new(),
            problems: Vec::new(),
        }
    }
    /// The true number of hard links: every `$FILE_NAME` but DOS 8.3 names.
    pub fn hard_links(&self) -> usize {
        self.names.iter().filter(|n| n.namespace.is_link()).count()
    }
    /// The names that are hard links (not DOS 8.3 names).
    pub fn link_names(&self) -> impl Iterator<Item = &FileName> {
        self.names.iter().filter(|n| n.namespace.is_link())
    }
    /// The name Windows shows first: Win32 or Win32-and-DOS before POSIX, never DOS when
    /// another exists.
    pub fn primary_name(&self) -> Option<&FileName> {
        self.names
            .iter()
            .find(|n| matches!(n.namespace, Namespace::Win32 | Namespace::Win32AndDos))
            .or_else(|| self.names.iter().find(|n| n.namespace == Namespace::Posix))
            .or_else(|| self.names.first())
    }
    /// The DOS 8.3 name, when the file has a separate one.
    pub fn dos_name(&self) -> Option<&FileName> {
        self.names.iter().find(|n| n.namespace == Namespace::Dos)
    }
    /// True for base records (not extension records).
    pub fn is_base(&self) -> bool {
        self.base.is_none()
    }
    /// True for a base record not in use that still holds a file's attributes (a deleted
    /// file), as opposed to a slot that was formatted but never used.
    pub fn is_deleted_file(&self) -> bool {
        !self.in_use && self.is_base() && !self.names.is_empty()
    }
    /// The reparse tag, from the `$REPARSE_POINT` value.
    pub fn reparse_tag(&self) -> Option<u32> {
        let v = self.reparse.as_ref()?;
        Some(u32::from_le_bytes(v.get(0..4)?.try_into().ok()?))
    }
    /// Our own file reference.
    pub fn reference(&self) -> FileReference {
        FileReference {
            record: self.record,
            sequence: self.sequence,
        }
    }
}

/// The result of a whole-volume scan.
pub struct Scan {
    entries: Vec<Entry>,
    /// Position in `entries` for each record number (`u32::MAX`: no entry).
    index: Vec<u32>,
    /// Records that could not be decoded at all.
    pub errors: Vec<Error>,
    /// Number of record slots scanned.
    pub record_slots: u64,
    dir_paths: Vec<Option<Box<str>>>,
    children: OnceLock<HashMap<u64, Vec<Kid>>>,
}

/// Decodes one fixed-up record into an entry. `bytes` is modified (fixups).
pub(crate) fn decode_record(
    vol: &Volume,
    bytes: &mut [u8],
    number: u64,
    offset: u64,
) -> Result<Option<Entry>, Error> {
    let Some(header) = record::parse_header(bytes, number, offset)? else {
        return Ok(None);
    };
    Ok(Some(entry_from(vol, bytes, &header, number, offset)))
}

pub(crate) fn entry_from(
    vol: &Volume,
    bytes: &[u8],
    h: &RecordHeader,
    number: u64,
    offset: u64,
) -> Entry {
    let mut e = Entry::empty(number);
    entry_into(vol, bytes, h, number, offset, &mut e, &mut Vec::new());
    e
}

/// Decodes a record into `e` (as [`entry_from`] does), reusing the room of its vectors: the
/// strings of the names `e` held go to `spare`, and new names are decoded into them. A
/// whole-volume export decodes a million records this way without allocating for each.
pub(crate) fn entry_into(
    vol: &Volume,
    bytes: &[u8],
    h: &RecordHeader,
    number: u64,
    offset: u64,
    e: &mut Entry,
    spare: &mut Vec<String>,
) {
    spare.extend(e.names.drain(..).map(|n| n.name));
    *e = Entry {
        offset,
        sequence: h.sequence,
        in_use: h.in_use(),
        directory: h.is_directory(),
        link_count: h.link_count,
        base: h.is_extension().then_some(h.base),
        lsn: h.lsn,
        names: std::mem::take(&mut e.names),
        streams: emptied(&mut e.streams),
        problems: emptied(&mut e.problems),
        extensions: emptied(&mut e.extensions),
        ..Entry::empty(number)
    };
    for a in attribute::Attributes::new(bytes, h, number, offset) {
        let a = match a {
            Ok(a) => a,
            Err(err) => {
                e.problems.push(err.to_string());
                break;
            }
        };
        let at = offset + a.offset as u64;
        let value_at = match &a.form {
            Form::Resident { value_offset, .. } => offset + u64::from(*value_offset),
            Form::NonResident { .. } => at,
        };
        match (a.type_code, &a.form) {
            (attribute::FILE_NAME, Form::Resident { value, .. }) => {
                match FileName::parse_into(value, value_at, spare.pop().unwrap_or_default()) {
                    Ok(n) => e.names.push(n),
                    Err(err) => e.problems.push(err.to_string()),
                }
            }
            (attribute::STANDARD_INFORMATION, Form::Resident { value, .. }) => {
                match StandardInformation::parse(value, value_at) {
                    Ok(si) => e.standard_information = Some(si),
                    Err(err) => e.problems.push(err.to_string()),
                }
            }
            (attribute::DATA, form) => {
                let (size, alloc, resident, first) = match form {
                    Form::Resident { value, .. } => {
                        (value.len() as u64, value.len() as u64, true, true)
                    }
                    Form::NonResident {
                        data_size,
                        allocated_size,
                        first_vcn,
                        ..
                    } => (*data_size, *allocated_size, false, *first_vcn == 0),
                };
                if a.name.is_empty() {
                    if first {
                        e.data_size = Some(size);
                        e.allocated_size = Some(alloc);
                        e.data_resident = resident;
                    }
                } else if first {
                    e.streams.push(Stream {
                        name: a.name.clone(),
                        size,
                        resident,
                    });
                }
            }
            (attribute::REPARSE_POINT, Form::Resident { value, .. }) => {
                e.reparse = Some(value.to_vec());
                e.reparse_resident = true;
            }
            (
                attribute::REPARSE_POINT,
                Form::NonResident {
                    runs,
                    first_vcn,
                    data_size,
                    ..
                },
            ) => {
                if *data_size > MAX_REPARSE_SIZE {
                    e.problems.push(format!(
                        "$REPARSE_POINT at byte offset {at:#x}: data size {data_size} is over the 16 KiB NTFS allows"
                    ));
                    continue;
                }
                let r = data_runs::decode(runs, *first_vcn, vol.total_clusters(), at)
                    .and_then(|runs| vol.read_nonresident(&runs, *data_size, "$REPARSE_POINT"));
                match r {
                    Ok(v) => e.reparse = Some(v),
                    Err(err) => e
                        .problems
                        .push(format!("$REPARSE_POINT at byte offset {at:#x}: {err}")),
                }
            }
            (attribute::ATTRIBUTE_LIST, form) => {
                let value = match form {
                    Form::Resident { value, .. } => Ok(value.to_vec()),
                    Form::NonResident {
                        runs,
                        first_vcn,
                        data_size,
                        ..
                    } => data_runs::decode(runs, *first_vcn, vol.total_clusters(), at).and_then(
                        |runs| vol.read_nonresident(&runs, *data_size, "$ATTRIBUTE_LIST"),
                    ),
                };
                match value {
                    Ok(v) => {
                        let (list, err) = attribute_list::parse(&v, value_at);
                        if let Some(err) = err {
                            e.problems.push(format!("record {number}: {err}"));
                        }
                        e.attribute_list = Some(list);
                    }
                    Err(err) => e
                        .problems
                        .push(format!("$ATTRIBUTE_LIST at byte offset {at:#x}: {err}")),
                }
            }
            _ => {}
        }
    }
}

/// `v`, emptied, with its room; `v` is left without any.
fn emptied<T>(v: &mut Vec<T>) -> Vec<T> {
    let mut v = std::mem::take(v);
    v.clear();
    v
}

/// The extension records a base record's `$ATTRIBUTE_LIST` names (not the base itself), in
/// record order, each once.
pub(crate) fn extension_records(list: &[AttributeListEntry], base: u64) -> Vec<u64> {
    let mut records: Vec<u64> = list
        .iter()
        .map(|l| l.record.record)
        .filter(|&r| r != base)
        .collect();
    records.sort_unstable();
    records.dedup();
    records
}

/// Why extension record `r` may not be merged into the base record `base_ref`, or `None` when
/// it may. `ext` is the extension's byte offset and the base its header names, `None` when the
/// slot holds no record.
pub(crate) fn extension_refused(
    base_ref: FileReference,
    r: u64,
    ext: Option<(u64, Option<FileReference>)>,
) -> Option<String> {
    let Some((offset, ext_base)) = ext else {
        return Some(format!(
            "attribute list names extension record {r}, which holds no record"
        ));
    };
    (ext_base != Some(base_ref)).then(|| {
        format!(
            "attribute list names record {r} (byte offset {offset:#x}), whose header says it belongs to {}",
            ext_base.map_or("no base record (it is a base record itself)".to_string(), |b| format!("record {} sequence {}", b.record, b.sequence))
        )
    })
}

/// Moves the attributes of extension record `r` (`ext`: its entry, `None` when the slot holds
/// no record) into `base`, after checking that the extension's header names `base_ref` as its
/// base; a mismatch or a missing record becomes one of the base's problems.
pub(crate) fn merge_extension(
    base: &mut Entry,
    base_ref: FileReference,
    r: u64,
    ext: Option<&mut Entry>,
) {
    if let Some(problem) = extension_refused(base_ref, r, ext.as_ref().map(|e| (e.offset, e.base)))
    {
        base.problems.push(problem);
        return;
    }
    let Some(ext) = ext else { return };
    let names = std::mem::take(&mut ext.names);
    let streams = std::mem::take(&mut ext.streams);
    let reparse = ext.reparse.take();
    let reparse_resident = ext.reparse_resident;
    let si = ext.standard_information.take();
    let data = ext
        .data_size
        .take()
        .map(|d| (d, ext.allocated_size.take(), ext.data_resident));
    let problems: Vec<String> = std::mem::take(&mut ext.problems);
    base.names.extend(names);
    base.streams.extend(streams);
    if base.reparse.is_none() && reparse.is_some() {
        base.reparse = reparse;
        base.reparse_resident = reparse_resident;
    }
    if base.standard_information.is_none() {
        base.standard_information = si;
    }
    if let (None, Some((d, a, res))) = (base.data_size, data) {
        base.data_size = Some(d);
        base.allocated_size = a;
        base.data_resident = res;
    }
    base.problems.extend(
        problems
            .into_iter()
            .map(|p| format!("extension record {r}: {p}")),
    );
    base.extensions.push(r);
}

/// What [`build_dir_paths`] needs to know of one entry.
pub(crate) enum DirNode<'a> {
    NotDirectory,
    Root,
    /// A directory without any `$FILE_NAME`: `\$OrphanFiles\#<record>`.
    Unnamed(u64),
    /// A directory's primary name and the position of its parent directory, when that parent
    /// is valid (see `parent_of`).
    Named {
        name: &'a str,
        parent: Option<usize>,
    },
}

/// Builds the path of every directory among `count` entries once ("" for the root), iteratively
/// so that deep trees do not recurse and parent cycles end as orphans instead of hanging.
pub(crate) fn build_dir_paths<'a>(
    count: usize,
    node: impl Fn(usize) -> DirNode<'a>,
) -> Vec<Option<Box<str>>> {
    #[derive(Clone, Copy, PartialEq)]
    enum State {
        Todo,
        Busy,
        Done,
    }
    let mut paths: Vec<Option<Box<str>>> = vec![None; count];
    let mut state = vec![State::Todo; count];
    let mut stack: Vec<usize> = Vec::new();
    for start in 0..count {
        if state[start] == State::Done || matches!(node(start), DirNode::NotDirectory) {
            continue;
        }
        stack.clear();
        stack.push(start);
        while let Some(&cur) = stack.last() {
            if state[cur] == State::Done {
                stack.pop();
                continue;
            }
            let path: Box<str> = match node(cur) {
                DirNode::NotDirectory | DirNode::Root => "".into(),
                DirNode::Unnamed(record) => format!("\\{ORPHAN_DIR}\\#{record}").into(),
                DirNode::Named { name, parent } => match parent {
                    Some(p) if state[p] == State::Done => {
                        let prefix = paths[p].as_deref().unwrap_or("");
                        format!("{prefix}\\{name}").into()
                    }
                    Some(p) if state[p] == State::Todo && stack.len() < MAX_DEPTH => {
                        state[cur] = State::Busy;
                        stack.push(p);
                        continue;
                    }
                    // No valid parent, a cycle (parent is Busy) or absurd depth: orphan.
                    _ => format!("\\{ORPHAN_DIR}\\{name}").into(),
                },
            };
            paths[cur] = Some(path);
            state[cur] = State::Done;
            stack.pop();
        }
    }
    paths
}

/// Records read and decoded per parallel task (here and in `PathTable`'s two passes).
pub(crate) const CHUNK_RECORDS: u64 = 2048;

/// Reads records `first..first + count` into `buf` and calls `each(record, byte offset, bytes)`
/// for every one; when the chunk cannot be read whole (truncated image, extent past the end),
/// record by record, so that one bad record costs only itself.
pub(crate) fn read_chunk(
    vol: &Volume,
    buf: &mut Vec<u8>,
    first: u64,
    count: u64,
    rs: u64,
    mut each: impl FnMut(u64, u64, Result<&mut [u8], Error>),
) {
    buf.resize((count * rs) as usize, 0);
    let whole = vol.read_mft_bytes(first * rs, buf).is_ok();
    // One extent lookup per chunk when the chunk lies in one extent (the common case).
    let contiguous = vol
        .mft_position(first * rs)
        .filter(|&(_, left)| left >= count * rs)
        .map(|(at, _)| at);
    for (i, rec) in buf.chunks_exact_mut(rs as usize).enumerate() {
        let n = first + i as u64;
        let offset = match contiguous {
            Some(at) => at + i as u64 * rs,
            None => vol.record_offset(n).unwrap_or(0),
        };
        if !whole {
            if let Err(e) = vol.read_mft_bytes(n * rs, rec) {
                each(n, offset, Err(Error::record(n, offset, e)));
                continue;
            }
        }
        each(n, offset, Ok(rec));
    }
}

impl Scan {
    /// Scans every record slot of the volume's `$MFT`.
    pub fn new(vol: &Volume) -> Scan {
        Scan::with_progress(vol, |_| {})
    }

    /// Like [`Scan::new`], calling `progress` with the number of records done after each chunk.
    pub fn with_progress(vol: &Volume, progress: impl Fn(u64) + Sync) -> Scan {
        let rs = u64::from(vol.boot.file_record_size);
        let slots = vol.record_count();
        let chunks = slots.div_ceil(CHUNK_RECORDS);
        let done = std::sync::atomic::AtomicU64::new(0);
        let results: Vec<(Vec<Entry>, Vec<Error>)> = (0..chunks)
            .into_par_iter()
            // One chunk buffer per worker, reused: a fresh 2 MiB buffer per chunk made the kernel
            // zero a gigabyte of pages for a 1 GB $MFT.
            .map_init(Vec::new, |buf: &mut Vec<u8>, c| {
                let first = c * CHUNK_RECORDS;
                let count = CHUNK_RECORDS.min(slots - first);
                let mut entries = Vec::new();
                let mut errors = Vec::new();
                read_chunk(vol, buf, first, count, rs, |n, offset, rec| {
                    let rec = match rec {
                        Ok(rec) => rec,
                        Err(e) => return errors.push(e),
                    };
                    match decode_record(vol, rec, n, offset) {
                        Ok(Some(mut e)) => {
                            // A Vec grows to four elements on its first push; most records have
                            // one or two names, and a million records kept with room for four
                            // `FileName`s each cost hundreds of MiB. (A `PathTable` drops each
                            // entry at once, so only the scan that keeps them pays the realloc.)
                            e.names.shrink_to_fit();
                            entries.push(e)
                        }
                        Ok(None) => {}
                        Err(e) => errors.push(e),
                    }
                });
                let d = done.fetch_add(count, std::sync::atomic::Ordering::Relaxed) + count;
                progress(d);
                (entries, errors)
            })
            .collect();
        let mut entries = Vec::with_capacity(results.iter().map(|(e, _)| e.len()).sum());
        let mut errors = Vec::new();
        for (e, r) in results {
            entries.extend(e);
            errors.extend(r);
        }
        let mut index = vec![u32::MAX; slots as usize];
        for (i, e) in entries.iter().enumerate() {
            index[e.record as usize] = i as u32;
        }
        let mut scan = Scan {
            entries,
            index,
            errors,
            record_slots: slots,
            dir_paths: Vec::new(),
            children: OnceLock::new(),
        };
        scan.merge_extensions();
        scan.build_dir_paths();
        scan
    }

    /// Every decoded record (base and extension, in use or not), in record order.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// Base records in use: the files and directories of the volume.
    pub fn files(&self) -> impl Iterator<Item = &Entry> {
        self.entries.iter().filter(|e| e.in_use && e.is_base())
    }

    /// The entry for record `n`.
    pub fn entry(&self, n: u64) -> Option<&Entry> {
        let i = *self.index.get(usize::try_from(n).ok()?)?;
        self.entries.get(i as usize)
    }

    fn pos(&self, n: u64) -> Option<usize> {
        let i = *self.index.get(usize::try_from(n).ok()?)?;
        (i != u32::MAX).then_some(i as usize)
    }

    /// Moves the attributes of extension records into their base records, following each
    /// base's `$ATTRIBUTE_LIST` (see [`extension_records`] and [`merge_extension`]).
    fn merge_extensions(&mut self) {
        for b in 0..self.entries.len() {
            // Only base records take extension records: an extension record's own attribute
            // list (Windows never writes one) would make the result depend on record order.
            let Some(list) = self.entries[b].attribute_list.as_ref() else {
                continue;
            };
            if !self.entries[b].is_base() {
                continue;
            }
            let base_ref = self.entries[b].reference();
            let records = extension_records(list, base_ref.record);
            for r in records {
                let x = self.pos(r);
                let (base, ext) = match x {
                    Some(x) => {
                        let (lo, hi) = self.entries.split_at_mut(b.max(x));
                        if b < x {
                            (&mut lo[b], Some(&mut hi[0]))
                        } else {
                            (&mut hi[0], Some(&mut lo[x]))
                        }
                    }
                    None => (&mut self.entries[b], None),
                };
                merge_extension(base, base_ref, r, ext);
            }
        }
    }

    /// The entry of the directory that `name` says is its parent, if that directory is still
    /// the same one (sequence numbers agree).
    ///
    /// Freeing a record increments its sequence number, so a deleted directory's sequence is one
    /// more than its (deleted) children remember; that parent still counts, as TSK counts it.
    fn parent_of(&self, name: &FileName) -> Option<usize> {
        let p = self.pos(name.parent.record)?;
        let pe = &self.entries[p];
        let same = pe.sequence == name.parent.sequence
            || (!pe.in_use && pe.sequence == name.parent.sequence.wrapping_add(1));
        (pe.directory && same && pe.is_base()).then_some(p)
    }

    /// Builds the path of every directory once (see [`build_dir_paths`]).
    fn build_dir_paths(&mut self) {
        let paths = build_dir_paths(self.entries.len(), |i| {
            let e = &self.entries[i];
            if !e.directory {
                DirNode::NotDirectory
            } else if e.record == ROOT {
                DirNode::Root
            } else {
                match e.primary_name() {
                    None => DirNode::Unnamed(e.record),
                    Some(name) => DirNode::Named {
                        name: &name.name,
                        parent: self.parent_of(name),
                    },
                }
            }
        });
        self.dir_paths = paths;
    }

    /// The path of the directory that holds `name` ("" for the root), or the orphan directory.
    fn parent_path(&self, name: &FileName) -> String {
        match self.parent_of(name) {
            Some(p) => self
                .dir_paths
                .get(p)
                .and_then(|d| d.as_deref())
                .unwrap_or("")
                .to_string(),
            None => format!("\\{ORPHAN_DIR}"),
        }
    }

    /// The full path of one name: `\dir\file`.
    pub fn path_of(&self, name: &FileName) -> String {
        let mut p = self.parent_path(name);
        p.push('\\');
        p.push_str(&name.name);
        p
    }

    /// The directory path of a directory entry ("\\" for the root).
    pub fn dir_path(&self, record: u64) -> Option<String> {
        let p = self.pos(record)?;
        let s = self.dir_paths.get(p)?.as_deref()?;
        Some(if s.is_empty() {
            "\\".to_string()
        } else {
            s.to_string()
        })
    }

    /// Every full path of record `n`, one per hard link (DOS names are not links), as
    /// `fsutil hardlink list` prints them: `\dir\file`.
    pub fn paths(&self, n: u64) -> Vec<String> {
        crate::tree::Tree::paths(self, n)
    }

    /// Children of each directory, including DOS names, sorted by name (then record).
    fn children(&self) -> &HashMap<u64, Vec<Kid>> {
        self.children.get_or_init(|| {
            let mut m: HashMap<u64, Vec<Kid>> = HashMap::new();
            for (i, e) in self.entries.iter().enumerate() {
                if !e.in_use || !e.is_base() || e.record == ROOT {
                    continue;
                }
                for (j, name) in e.names.iter().enumerate() {
                    if self.parent_of(name).is_some() {
                        m.entry(name.parent.record).or_default().push(Kid {
                            folded: folded_hash(&name.name),
                            entry: i as u32,
                            name: j as u16,
                        });
                    }
                }
            }
            // Sorted by name, so that `child` finds an exact name by binary search.
            for kids in m.values_mut() {
                kids.sort_unstable_by(|a, b| {
                    (self.name_at(a), a.entry).cmp(&(self.name_at(b), b.entry))
                });
            }
            m
        })
    }

    fn name_at(&self, k: &Kid) -> &str {
        &self.entries[k.entry as usize].names[k.name as usize].name
    }

    /// The in-use entries directly inside directory `dir`, one item per name (hard links and
    /// DOS names both), sorted by name.
    pub fn list_dir(&self, dir: u64) -> Vec<(&Entry, &FileName)> {
        let mut v: Vec<(&Entry, &FileName)> = self
            .children()
            .get(&dir)
            .map(|c| {
                c.iter()
                    .map(|k| {
                        let e = &self.entries[k.entry as usize];
                        (e, &e.names[k.name as usize])
                    })
                    .collect()
            })
            .unwrap_or_default();
        v.sort_by(|a, b| {
            a.1.name
                .to_uppercase()
                .cmp(&b.1.name.to_uppercase())
                .then(a.1.name.cmp(&b.1.name))
        });
        v
    }

    /// Finds the record of `\`- or `/`-separated `path` from the root. Components match
    /// case-sensitively first, then case-insensitively (as Windows does for Win32 names), and DOS
    /// 8.3 names match too. `#123` names a record directly.
    pub fn lookup(&self, path: &str) -> Option<u64> {
        if let Some(n) = path.strip_prefix('#') {
            let n: u64 = n.parse().ok()?;
            return self.entry(n).map(|e| e.record);
        }
        let mut cur = ROOT;
        for comp in path
            .split(['\\', '/'])
            .filter(|c| !c.is_empty() && *c != ".")
        {
            cur = self.child(cur, comp)?;
        }
        Some(cur)
    }

    /// The record named `name` inside directory `dir`: the exact name by binary search, else
    /// a case-insensitive match, found by comparing folded-name hashes first (no pointer chasing
    /// through every child's name in large directories).
    pub fn child(&self, dir: u64, name: &str) -> Option<u64> {
        let kids = self.children().get(&dir)?;
        let record = |k: &Kid| self.entries[k.entry as usize].record;
        // The first exact match: of two records with the same name (a damaged volume), the
        // lower record number, as `PathTable` picks it.
        let at = kids.partition_point(|k| self.name_at(k) < name);
        if let Some(k) = kids.get(at).filter(|k| self.name_at(k) == name) {
            return Some(record(k));
        }
        let folded = folded_hash(name);
        kids.iter()
            .filter(|k| k.folded == folded)
            .find(|k| eq_ignore_case(self.name_at(k), name))
            .map(record)
    }
}

/// One name in a directory: which entry and which of its names, with the hash of the name
/// upper-cased for case-insensitive lookups.
#[derive(Debug, Clone, Copy)]
struct Kid {
    folded: u64,
    entry: u32,
    name: u16,
}

/// A hash of the Unicode upper case of `name`: equal for names that differ only in case. It
/// hashes the UTF-8 bytes of the upper-cased characters eight at a time (ASCII names, nearly all
/// of them, are upper-cased in place eight bytes at a time too): the name index of a
/// million-record volume hashes every name once.
pub(crate) fn folded_hash(name: &str) -> u64 {
    if name.is_ascii() {
        return hash_words(name.as_bytes(), upper_ascii8);
    }
    let upper: String = name.chars().flat_map(char::to_uppercase).collect();
    hash_words(upper.as_bytes(), |w| w)
}

/// Upper-cases the ASCII letters among eight ASCII bytes.
fn upper_ascii8(x: u64) -> u64 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    // Every byte is below 0x80, so these sums never carry into the next byte.
    let at_least_a = (x + (0x80 - u64::from(b'a')) * ONES) & HIGH;
    let above_z = (x + (0x80 - u64::from(b'z') - 1) * ONES) & HIGH;
    x - ((at_least_a & !above_z) >> 2)
}

/// Mixes `bytes` eight at a time (the last word zero-padded, the length mixed in), each word
/// passed through `word` first.
fn hash_words(bytes: &[u8], word: impl Fn(u64) -> u64) -> u64 {
    const K: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut h = (bytes.len() as u64).wrapping_mul(K);
    let mut chunks = bytes.chunks_exact(8);
    let mix = |h: u64, w: u64| (h ^ word(w)).wrapping_mul(K).rotate_left(29);
    for c in &mut chunks {
        let mut a = [0u8; 8];
        a.copy_from_slice(c);
        h = mix(h, u64::from_le_bytes(a));
    }
    let tail = chunks.remainder();
    if !tail.is_empty() {
        let mut a = [0u8; 8];
        a[..tail.len()].copy_from_slice(tail);
        h = mix(h, u64::from_le_bytes(a));
    }
    h ^ (h >> 32)
}

/// Case-insensitive comparison by Unicode upper case, without allocating (the volume's own
/// `$UpCase` table is not consulted; see docs/reparse.md).
pub(crate) fn eq_ignore_case(a: &str, b: &str) -> bool {
    if a.is_ascii() && b.is_ascii() {
        return a.eq_ignore_ascii_case(b); // compares lengths first: the common, fast case
    }
    a.chars()
        .flat_map(char::to_uppercase)
        .eq(b.chars().flat_map(char::to_uppercase))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folding() {
        assert_eq!(
            folded_hash("LongFileName.txt"),
            folded_hash("LONGFILENAME.TXT")
        );
        assert_eq!(folded_hash("café"), folded_hash("CAFÉ"));
        assert_ne!(folded_hash("a"), folded_hash("b"));
        // Every ASCII byte: only the 26 letters change (the SWAR upper-casing against the
        // table), at every position of a word and in the tail.
        let all: String = (0u8..0x80).map(char::from).collect();
        assert_eq!(folded_hash(&all), folded_hash(&all.to_ascii_uppercase()));
        for b in 0u8..0x80 {
            let c = char::from(b);
            let up = c.to_ascii_uppercase();
            for pad in 0..9 {
                let lower = format!("{}{c}", "x".repeat(pad));
                let upper = format!("{}{up}", "X".repeat(pad));
                assert_eq!(folded_hash(&lower), folded_hash(&upper), "{b:#x} at {pad}");
                if c != up {
                    continue;
                }
                // Not a letter: differs from every other byte there.
                let other = format!("{}{}", "x".repeat(pad), char::from(b ^ 1));
                assert_ne!(folded_hash(&lower), folded_hash(&other), "{b:#x} at {pad}");
            }
        }
        // A non-ASCII name can fold to an ASCII one (the long s upper-cases to S).
        assert_eq!(folded_hash("\u{17f}ub"), folded_hash("SUB"));
        // Zero padding does not make a name equal to itself with a NUL appended.
        assert_ne!(folded_hash("ab"), folded_hash("ab\0"));
        assert!(eq_ignore_case("Über", "über"));
        assert!(!eq_ignore_case("abc", "abd"));
    }
}

/// Counts over a scan, for `info`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// Record slots in the `$MFT`.
    pub record_slots: u64,
    /// Slots holding a valid FILE record (in use or not).
    pub valid_records: u64,
    /// Base records in use.
    pub in_use: u64,
    pub files: u64,
    pub directories: u64,
    /// Extension records (in use).
    pub extension_records: u64,
    /// Base records not in use that still hold a record.
    pub deleted: u64,
    /// Files with more than one hard link.
    pub hard_linked_files: u64,
    pub reparse_points: u64,
    /// Records that could not be decoded.
    pub damaged_records: u64,
}

impl Scan {
    /// Counts files, directories, links and reparse points.
    pub fn summary(&self) -> Summary {
        let mut s = Summary {
            record_slots: self.record_slots,
            valid_records: self.entries.len() as u64,
            damaged_records: self.errors.len() as u64,
            ..Summary::default()
        };
        for e in &self.entries {
            match (e.in_use, e.is_base()) {
                (true, true) => {
                    s.in_use += 1;
                    if e.directory {
                        s.directories += 1;
                    } else {
                        s.files += 1;
                    }
                    if e.hard_links() > 1 {
                        s.hard_linked_files += 1;
                    }
                    if e.reparse.is_some() {
                        s.reparse_points += 1;
                    }
                }
                (true, false) => s.extension_records += 1,
                (false, true) if e.is_deleted_file() => s.deleted += 1,
                (false, _) => {}
            }
        }
        s
    }
}

/// Base records rendered per parallel task, and how many records' output may be held at once.
const RENDER_TASK: usize = 2048;
const RENDER_WINDOW: usize = 64 * 1024;

impl crate::tree::Tree for Scan {
    fn entry(&self, n: u64) -> Option<std::borrow::Cow<'_, Entry>> {
        Scan::entry(self, n).map(std::borrow::Cow::Borrowed)
    }

    fn path_of(&self, name: &FileName) -> String {
        Scan::path_of(self, name)
    }

    fn child(&self, dir: u64, name: &str) -> Option<u64> {
        Scan::child(self, dir, name)
    }

    fn render_entries(
        &self,
        sel: crate::export::Selection,
        w: &mut dyn std::io::Write,
        render: &crate::tree::Render<'_>,
    ) -> std::io::Result<()> {
        let entries: Vec<&Entry> = self.entries.iter().filter(|e| sel.wants(e)).collect();
        let tasks: Vec<&[&Entry]> = entries.chunks(RENDER_TASK).collect();
        crate::tree::render_in_order(&tasks, RENDER_WINDOW / RENDER_TASK, w, &|task, _, out| {
            task.iter().try_for_each(|e| render(e, out))
        })
    }
}
