//! The compact scan for whole-volume exports: one pass over the `$MFT` keeps only what paths and
//! lookups need (per record slot: sequence number, flags and where its names are; the names'
//! text in one arena per chunk of records; every directory's path once), and
//! [`PathTable::render_entries`] decodes the records a second time, chunk by chunk on all cores,
//! straight into the output. A million records cost about 130 MiB in all, instead of the ~750
//! bytes per record a [`Scan`](crate::scan::Scan) holds.
//!
//! Every fact is the one a `Scan` gives: the same decoder ([`crate::scan`]'s `decode_record`),
//! the same merge of extension records, the same directory-path rules (tests/path_table.rs
//! compares both on every fixture).

use crate::attribute::{self, push_utf16, Form};
use crate::error::Error;
use crate::export::Selection;
use crate::file_name::{FileName, Namespace};
use crate::record::{self, u64_at, FileReference, RecordHeader};
use crate::scan::{
    build_dir_paths, decode_record, entry_from, entry_into, eq_ignore_case, extension_records,
    extension_refused, folded_hash, merge_extension, read_chunk, DirNode, Entry, Summary,
    CHUNK_RECORDS, ORPHAN_DIR, ROOT,
};
use crate::standard_information::StandardInformation;
use crate::tree::{render_in_order, Render, Tree};
use crate::volume::Volume;
use rayon::prelude::*;
use std::borrow::Cow;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::io::{self, Write};
use std::sync::OnceLock;

/// How many chunks ahead of the one being decoded the first pass asks the kernel to read.
const PREFETCH_CHUNKS: u64 = 8;
/// At most this many chunks (or two a worker, on a machine with more than four cores) are
/// rendered or waiting to be written: it bounds the output held, about 2 MiB of JSON a chunk.
const WINDOW_CHUNKS: usize = 8;

const VALID: u8 = 1;
const IN_USE: u8 = 2;
const DIRECTORY: u8 = 4;
const BASE: u8 = 8;
/// The record (or an extension record merged into it) has a `$REPARSE_POINT`.
const REPARSE: u8 = 16;

/// One record slot: 8 bytes.
#[derive(Debug, Clone, Copy, Default)]
struct Slot {
    /// First of this record's own names in its chunk's `Part::names`.
    first_name: u32,
    sequence: u16,
    flags: u8,
    /// How many of this record's own names follow `first_name` (a record holds at most a few
    /// dozen; names merged from extension records are in `PathTable::merged`).
    name_count: u8,
}

/// One `$FILE_NAME`, as far as paths need it: 16 bytes.
#[derive(Debug, Clone, Copy)]
struct NameRow {
    /// The on-disk parent reference (48-bit record, 16-bit sequence).
    parent: u64,
    /// Byte range of the name in `PathTable::text`.
    start: u32,
    len: u16,
    namespace: u8,
}

impl NameRow {
    fn parent(&self) -> FileReference {
        FileReference::from_u64(self.parent)
    }
    fn namespace(&self) -> Namespace {
        Namespace::from_u8(self.namespace).unwrap_or(Namespace::Posix)
    }
}

/// Where a name is: the chunk (high 32 bits) and the row in that chunk's `Part::names`.
type RowId = u64;

/// A name in a directory, for lookups: sorted by (directory, folded-name hash).
#[derive(Debug, Clone, Copy)]
struct Kid {
    folded: u64,
    row: RowId,
    /// Record numbers fit in 32 bits here: a `$MFT` with 2^32 records would be 4 TiB, and
    /// names of records beyond that are not indexed (24 bytes a name instead of 32).
    dir: u32,
    record: u32,
}

/// The name index: every [`Kid`], sorted by directory and folded name, and where each
/// directory's names start (a lookup searches only its directory's names: a search over all of
/// them missed the cache a dozen times).
#[derive(Default)]
struct NameIndex {
    kids: Vec<Kid>,
    /// `kids[starts[d]..starts[d + 1]]` are directory `d`'s names.
    starts: Vec<u32>,
}

/// What the first pass keeps of one chunk of `CHUNK_RECORDS` record slots. Kept per chunk, as
/// the workers made them, so that nothing is copied into one big table afterwards.
#[derive(Default)]
struct Part {
    slots: Vec<Slot>,
    names: Vec<NameRow>,
    /// The names' text (UTF-8), one after another.
    text: String,
}

/// What the first pass keeps of the few records that need more than a slot: base records with
/// an `$ATTRIBUTE_LIST`, extension records, and records with problems.
#[derive(Debug, Default)]
struct Extra {
    /// For an extension record, the base record its header names.
    base: Option<FileReference>,
    /// Extension records named by this base record's `$ATTRIBUTE_LIST`.
    extensions: Option<Vec<u64>>,
    problems: Vec<String>,
}

/// A map keyed by record number. The export looks up a directory path per hard link and the
/// merged names per record, a million times each: std's SipHash (built against hash flooding,
/// which record numbers from the `$MFT` cannot aim at a map they never see) was a few percent
/// of the export.
type RecordMap<V> = HashMap<u64, V, BuildHasherDefault<RecordHasher>>;

/// Multiplicative hashing of one `u64` (Fibonacci hashing, high bits folded down).
#[derive(Default)]
struct RecordHasher(u64);

impl Hasher for RecordHasher {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(u64::from(b));
        }
    }
    fn write_u64(&mut self, v: u64) {
        self.0 = (self.0 ^ v).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
    fn finish(&self) -> u64 {
        self.0 ^ (self.0 >> 32)
    }
}

/// The compact result of a first pass over the `$MFT` (see the module documentation).
pub struct PathTable<'v> {
    vol: &'v Volume,
    parts: Vec<Part>,
    /// Names merged from extension records, per base record.
    merged: RecordMap<Vec<RowId>>,
    dir_paths: RecordMap<Box<str>>,
    /// The same paths escaped for JSON strings (the JSONL export writes one per hard link).
    dir_paths_json: RecordMap<Box<[u8]>>,
    kids: OnceLock<NameIndex>,
    /// Records that could not be decoded at all.
    pub errors: Vec<Error>,
    /// Problems inside records that were still read: (record, byte offset of the record,
    /// problem), in record order, as a [`Scan`](crate::scan::Scan)'s entries hold them after
    /// extension records are merged.
    pub problems: Vec<(u64, u64, String)>,
    /// Number of record slots scanned.
    pub record_slots: u64,
}

/// What one chunk of the first pass produces.
struct ChunkOut {
    /// First record of the chunk.
    first: u64,
    part: Part,
    extras: Vec<(u64, Extra)>,
    errors: Vec<Error>,
}

impl<'v> PathTable<'v> {
    /// Reads every record slot of the volume's `$MFT` once.
    pub fn new(vol: &'v Volume) -> Self {
        PathTable::with_progress(vol, |_| {})
    }

    /// Like [`PathTable::new`], calling `progress` with the number of records done after each
    /// chunk.
    pub fn with_progress(vol: &'v Volume, progress: impl Fn(u64) + Sync) -> Self {
        let rs = u64::from(vol.boot.file_record_size);
        let slots = vol.record_count();
        let chunks = slots.div_ceil(CHUNK_RECORDS);
        let done = std::sync::atomic::AtomicU64::new(0);
        let outs: Vec<ChunkOut> = (0..chunks)
            .into_par_iter()
            .map_init(Vec::new, |buf: &mut Vec<u8>, c| {
                let first = c * CHUNK_RECORDS;
                let count = CHUNK_RECORDS.min(slots - first);
                // Keep the disk reading ahead of the workers on a cold page cache.
                let ahead = (c + PREFETCH_CHUNKS) * CHUNK_RECORDS;
                if ahead < slots {
                    vol.will_need_mft_bytes(ahead * rs, CHUNK_RECORDS * rs);
                }
                let mut out = ChunkOut {
                    first,
                    part: Part {
                        slots: vec![Slot::default(); count as usize],
                        ..Part::default()
                    },
                    extras: Vec::new(),
                    errors: Vec::new(),
                };
                read_chunk(vol, buf, first, count, rs, |n, offset, rec| match rec {
                    Err(e) => out.errors.push(e),
                    Ok(rec) => out.record(vol, rec, n, offset),
                });
                let d = done.fetch_add(count, std::sync::atomic::Ordering::Relaxed) + count;
                progress(d);
                out.part.names.shrink_to_fit();
                out.part.text.shrink_to_fit();
                out
            })
            .collect();
        let mut t = PathTable {
            vol,
            parts: Vec::with_capacity(outs.len()),
            merged: RecordMap::default(),
            dir_paths: RecordMap::default(),
            dir_paths_json: RecordMap::default(),
            kids: OnceLock::new(),
            errors: Vec::new(),
            problems: Vec::new(),
            record_slots: slots,
        };
        let mut extras: Vec<(u64, Extra)> = Vec::new();
        for o in outs {
            t.parts.push(o.part);
            extras.extend(o.extras);
            t.errors.extend(o.errors);
        }
        t.merge_extensions(extras);
        t.build_dir_paths();
        t
    }

    /// Mirrors [`Scan`](crate::scan::Scan)'s merge for names and problems: each base record
    /// takes the names of the extension records its `$ATTRIBUTE_LIST` names, when their headers
    /// agree.
    fn merge_extensions(&mut self, extras: Vec<(u64, Extra)>) {
        let mut extras: HashMap<u64, Extra> = extras.into_iter().collect();
        let mut bases: Vec<u64> = extras
            .iter()
            .filter(|(_, x)| x.extensions.is_some() && x.base.is_none())
            .map(|(&n, _)| n)
            .collect();
        bases.sort_unstable();
        for b in bases {
            let base_ref = FileReference {
                record: b,
                sequence: self.slot(b).map_or(0, |s| s.sequence),
            };
            let list = extras
                .get_mut(&b)
                .and_then(|x| x.extensions.take())
                .unwrap_or_default();
            for r in list {
                // The same rule and message as `merge_extension` applies to entries.
                let ext = (self.flags(r) & VALID != 0).then(|| {
                    let offset = self.vol.record_offset(r).unwrap_or(0);
                    (offset, extras.get(&r).and_then(|x| x.base))
                });
                let refused = extension_refused(base_ref, r, ext);
                let moved = refused.is_none();
                let mut problems: Vec<String> = refused.into_iter().collect();
                if moved {
                    let rows: Vec<RowId> = self.own_rows(r).collect();
                    let reparse = self.flags(r) & REPARSE;
                    if let Some(s) = self.slot_mut(r) {
                        s.name_count = 0;
                    }
                    if let Some(s) = self.slot_mut(b) {
                        s.flags |= reparse;
                    }
                    self.merged.entry(b).or_default().extend(rows);
                    let ext_problems = extras
                        .get_mut(&r)
                        .map(|x| std::mem::take(&mut x.problems))
                        .unwrap_or_default();
                    problems.extend(
                        ext_problems
                            .into_iter()
                            .map(|p| format!("extension record {r}: {p}")),
                    );
                }
                let x = extras.entry(b).or_default();
                x.problems.extend(problems);
            }
        }
        let mut problems: Vec<(u64, u64, String)> = Vec::new();
        for (n, x) in extras {
            let offset = self.vol.record_offset(n).unwrap_or(0);
            problems.extend(x.problems.into_iter().map(|p| (n, offset, p)));
        }
        // Record order, and each record's problems in the order they arose.
        problems.sort_by_key(|p| p.0);
        self.problems = problems;
    }

    /// The same counts as [`Scan::summary`](crate::scan::Scan::summary), from the table.
    pub fn summary(&self) -> Summary {
        let mut s = Summary {
            record_slots: self.record_slots,
            damaged_records: self.errors.len() as u64,
            ..Summary::default()
        };
        for n in 0..self.record_slots {
            let f = self.flags(n);
            if f & VALID == 0 {
                continue;
            }
            s.valid_records += 1;
            match (f & IN_USE != 0, f & BASE != 0) {
                (true, true) => {
                    s.in_use += 1;
                    if f & DIRECTORY != 0 {
                        s.directories += 1;
                    } else {
                        s.files += 1;
                    }
                    let links = self
                        .rows(n)
                        .filter(|(_, r)| r.namespace().is_link())
                        .count();
                    if links > 1 {
                        s.hard_linked_files += 1;
                    }
                    if f & REPARSE != 0 {
                        s.reparse_points += 1;
                    }
                }
                (true, false) => s.extension_records += 1,
                (false, true) if self.rows(n).next().is_some() => s.deleted += 1,
                (false, _) => {}
            }
        }
        s
    }

    fn slot(&self, n: u64) -> Option<&Slot> {
        let part = self.parts.get(usize::try_from(n / CHUNK_RECORDS).ok()?)?;
        part.slots.get((n % CHUNK_RECORDS) as usize)
    }

    fn slot_mut(&mut self, n: u64) -> Option<&mut Slot> {
        let part = self
            .parts
            .get_mut(usize::try_from(n / CHUNK_RECORDS).ok()?)?;
        part.slots.get_mut((n % CHUNK_RECORDS) as usize)
    }

    fn flags(&self, n: u64) -> u8 {
        self.slot(n).map_or(0, |s| s.flags)
    }

    /// The names record `n` holds itself.
    fn own_rows(&self, n: u64) -> impl Iterator<Item = RowId> {
        let chunk = (n / CHUNK_RECORDS) << 32;
        let own = self.slot(n).map_or(0..0, |s| {
            s.first_name..s.first_name + u32::from(s.name_count)
        });
        own.map(move |i| chunk | u64::from(i))
    }

    fn row(&self, id: RowId) -> Option<&NameRow> {
        self.parts
            .get(usize::try_from(id >> 32).ok()?)?
            .names
            .get((id & 0xFFFF_FFFF) as usize)
    }

    /// Every name of record `n`: its own, then those merged from extension records.
    fn rows(&self, n: u64) -> impl Iterator<Item = (RowId, &NameRow)> + '_ {
        // Most volumes merge no names at all: skip the lookup then.
        let merged = match self.merged.is_empty() {
            true => &[],
            false => self.merged.get(&n).map(Vec::as_slice).unwrap_or(&[]),
        };
        self.own_rows(n)
            .chain(merged.iter().copied())
            .filter_map(|id| Some((id, self.row(id)?)))
    }

    fn text_of(&self, id: RowId) -> &str {
        let Some((part, row)) = self.parts.get((id >> 32) as usize).zip(self.row(id)) else {
            return "";
        };
        let start = row.start as usize;
        part.text
            .get(start..start + usize::from(row.len))
            .unwrap_or("")
    }

    /// The name Windows shows first, as [`Entry::primary_name`] picks it.
    fn primary_row(&self, n: u64) -> Option<(RowId, &NameRow)> {
        let rows = || self.rows(n);
        rows()
            .find(|(_, r)| matches!(r.namespace(), Namespace::Win32 | Namespace::Win32AndDos))
            .or_else(|| rows().find(|(_, r)| r.namespace() == Namespace::Posix))
            .or_else(|| rows().next())
    }

    /// The parent directory `parent` names, if it is still that directory (as
    /// [`Scan`](crate::scan::Scan) decides it).
    fn parent_of(&self, parent: FileReference) -> Option<u64> {
        let p = self.slot(parent.record)?;
        let same = p.sequence == parent.sequence
            || (p.flags & IN_USE == 0 && p.sequence == parent.sequence.wrapping_add(1));
        (p.flags & VALID != 0 && p.flags & DIRECTORY != 0 && p.flags & BASE != 0 && same)
            .then_some(parent.record)
    }

    fn build_dir_paths(&mut self) {
        let paths = build_dir_paths(self.record_slots as usize, |i| {
            let n = i as u64;
            let f = self.flags(n);
            if f & VALID == 0 || f & DIRECTORY == 0 {
                DirNode::NotDirectory
            } else if n == ROOT {
                DirNode::Root
            } else {
                match self.primary_row(n) {
                    None => DirNode::Unnamed(n),
                    Some((id, row)) => DirNode::Named {
                        name: self.text_of(id),
                        parent: self.parent_of(row.parent()).map(|p| p as usize),
                    },
                }
            }
        });
        self.dir_paths = paths
            .into_iter()
            .enumerate()
            .filter_map(|(i, p)| Some((i as u64, p?)))
            .collect();
        self.dir_paths_json = self
            .dir_paths
            .iter()
            .map(|(&d, p)| {
                let mut e = Vec::with_capacity(p.len() + 8);
                crate::export::json::push_escaped(&mut e, p);
                (d, e.into_boxed_slice())
            })
            .collect();
    }

    /// Every name of every file in use under its (valid) parent directory, sorted by
    /// directory and folded name; built on the first lookup, on all cores.
    fn kids(&self) -> &NameIndex {
        self.kids.get_or_init(|| {
            let per_chunk: Vec<Vec<Kid>> = self
                .parts
                .par_iter()
                .enumerate()
                .map(|(c, part)| self.chunk_kids(c as u64 * CHUNK_RECORDS, part))
                .collect();
            // Bucket by directory first (a counting sort: linear, and a volume has few
            // directories), then sort each directory's names on all cores: many small sorts
            // that stay in cache instead of one over every name. The order is the same.
            let Some(max_dir) = per_chunk.iter().flatten().map(|k| k.dir).max() else {
                return NameIndex::default();
            };
            let mut next = vec![0usize; max_dir as usize + 2];
            for k in per_chunk.iter().flatten() {
                next[k.dir as usize + 1] += 1;
            }
            for d in 1..next.len() {
                next[d] += next[d - 1];
            }
            // Fewer than 2^32 names: each takes a record slot's name, and records are u32 here.
            let starts: Vec<u32> = next.iter().map(|&i| i as u32).collect();
            let empty = Kid {
                folded: 0,
                row: 0,
                dir: 0,
                record: 0,
            };
            let mut kids = vec![empty; next[next.len() - 1]];
            for k in per_chunk.into_iter().flatten() {
                let at = &mut next[k.dir as usize];
                kids[*at] = k;
                *at += 1;
            }
            // Each directory's run, where `starts` says it is.
            let mut runs: Vec<&mut [Kid]> = Vec::new();
            let mut rest = kids.as_mut_slice();
            for w in starts.windows(2) {
                let (run, tail) = rest.split_at_mut((w[1] - w[0]) as usize);
                if !run.is_empty() {
                    runs.push(run);
                }
                rest = tail;
            }
            runs.into_par_iter()
                .for_each(|run| run.sort_unstable_by_key(|k| (k.folded, k.record)));
            NameIndex { kids, starts }
        })
    }

    /// The names of chunk `part` (whose first record is `first`) for the lookup index: every
    /// name of a base record in use under a valid directory.
    fn chunk_kids(&self, first: u64, part: &Part) -> Vec<Kid> {
        let mut v = Vec::with_capacity(part.names.len());
        let wanted = VALID | IN_USE | BASE;
        for (i, slot) in part.slots.iter().enumerate() {
            let n = first + i as u64;
            if slot.flags & wanted != wanted || n == ROOT {
                continue;
            }
            let Ok(record) = u32::try_from(n) else {
                continue;
            };
            for (row, r) in self.rows(n) {
                if let Some(Ok(dir)) = self.parent_of(r.parent()).map(u32::try_from) {
                    v.push(Kid {
                        folded: folded_hash(self.text_of(row)),
                        row,
                        dir,
                        record,
                    });
                }
            }
        }
        v
    }

    /// The full path of `name` in the directory `parent` names (under `\\$OrphanFiles` when
    /// that is not a valid directory), as [`Scan`](crate::scan::Scan) builds it.
    fn join_path(&self, parent: FileReference, name: &str) -> String {
        let mut p = String::new();
        self.push_joined(parent, name, &mut p);
        p
    }

    /// Appends [`PathTable::join_path`]'s path to `out`.
    fn push_joined(&self, parent: FileReference, name: &str, out: &mut String) {
        match self.parent_of(parent) {
            Some(d) => out.push_str(self.dir_paths.get(&d).map_or("", |s| s)),
            None => {
                out.push('\\');
                out.push_str(ORPHAN_DIR);
            }
        }
        out.push('\\');
        out.push_str(name);
    }

    /// Decodes record `n` again from the volume (no merge).
    fn decode(&self, n: u64) -> Option<Entry> {
        let rs = self.vol.boot.file_record_size as usize;
        let mut buf = vec![0u8; rs];
        self.vol
            .read_mft_bytes(n.checked_mul(rs as u64)?, &mut buf)
            .ok()?;
        let offset = self.vol.record_offset(n).unwrap_or(0);
        decode_record(self.vol, &mut buf, n, offset).ok()?
    }

    /// Merges the extension records `e`'s `$ATTRIBUTE_LIST` names into it.
    fn merge(&self, e: &mut Entry) {
        let Some(list) = e.attribute_list.as_ref() else {
            return;
        };
        if !e.is_base() {
            return;
        }
        let base_ref = e.reference();
        for r in extension_records(list, e.record) {
            let mut ext = self.decode(r);
            merge_extension(e, base_ref, r, ext.as_mut());
        }
    }
}

impl ChunkOut {
    fn set_slot(&mut self, n: u64, slot: Slot) {
        if let Some(s) = self.part.slots.get_mut((n - self.first) as usize) {
            *s = slot;
        }
    }

    /// Keeps what the table needs of one record slot.
    fn record(&mut self, vol: &Volume, bytes: &mut [u8], n: u64, offset: u64) {
        let h = match record::parse_header(bytes, n, offset) {
            Ok(Some(h)) => h,
            Ok(None) => return,
            Err(e) => return self.errors.push(e),
        };
        if !h.is_extension() && self.plain(bytes, &h, n, offset) {
            return;
        }
        self.keep(n, entry_from(vol, bytes, &h, n, offset));
    }

    /// The fast path for the common record: a base record whose attributes, `$FILE_NAME`s and
    /// `$STANDARD_INFORMATION` all parse, with no `$ATTRIBUTE_LIST` and no non-resident
    /// `$REPARSE_POINT`. Only its names are kept, straight into the arena (no `Entry`, no
    /// allocation per record). Anything else returns false, having kept nothing, and the record
    /// goes through the full decoder so that its problems are reported exactly as a `Scan`
    /// reports them.
    fn plain(&mut self, bytes: &[u8], h: &RecordHeader, n: u64, offset: u64) -> bool {
        let (rows, text) = (self.part.names.len(), self.part.text.len());
        let mut ok = true;
        let mut reparse = false;
        for a in attribute::Attributes::new(bytes, h, n, offset) {
            let Ok(a) = a else {
                ok = false;
                break;
            };
            ok = match (a.type_code, &a.form) {
                (attribute::FILE_NAME, Form::Resident { value, .. }) => {
                    self.part.names.len() - rows < usize::from(u8::MAX) && self.push_name(value)
                }
                (attribute::STANDARD_INFORMATION, Form::Resident { value, .. }) => {
                    StandardInformation::parse(value, 0).is_ok()
                }
                (attribute::REPARSE_POINT, Form::Resident { .. }) => {
                    reparse = true;
                    true
                }
                (attribute::ATTRIBUTE_LIST, _)
                | (attribute::REPARSE_POINT, Form::NonResident { .. }) => false,
                _ => true,
            };
            if !ok {
                break;
            }
        }
        if !ok {
            self.part.names.truncate(rows);
            self.part.text.truncate(text);
            return false;
        }
        let mut flags = VALID | BASE;
        if reparse {
            flags |= REPARSE;
        }
        if h.in_use() {
            flags |= IN_USE;
        }
        if h.is_directory() {
            flags |= DIRECTORY;
        }
        let name_count = (self.part.names.len() - rows) as u8;
        self.set_slot(
            n,
            Slot {
                first_name: rows as u32,
                sequence: h.sequence,
                flags,
                name_count,
            },
        );
        true
    }

    /// Appends a `$FILE_NAME` value's name, when it is one `FileName::parse` accepts.
    fn push_name(&mut self, v: &[u8]) -> bool {
        let (Some(&units), Some(&namespace)) = (v.get(0x40), v.get(0x41)) else {
            return false;
        };
        let Some(raw) = v.get(0x42..0x42 + usize::from(units) * 2) else {
            return false;
        };
        if namespace > 3 {
            return false;
        }
        let start = self.part.text.len();
        push_utf16(&mut self.part.text, raw);
        self.part.names.push(NameRow {
            parent: u64_at(v, 0).unwrap_or(0),
            start: start as u32,
            len: (self.part.text.len() - start) as u16,
            namespace,
        });
        true
    }

    fn keep(&mut self, n: u64, e: Entry) {
        let mut flags = VALID;
        if e.reparse.is_some() {
            flags |= REPARSE;
        }
        if e.in_use {
            flags |= IN_USE;
        }
        if e.directory {
            flags |= DIRECTORY;
        }
        if e.is_base() {
            flags |= BASE;
        }
        let first_name = self.part.names.len() as u32;
        let mut count = 0u8;
        for name in &e.names {
            // At most a few dozen names fit in one record; the guard is for the type.
            if count == u8::MAX || name.name.len() > usize::from(u16::MAX) {
                continue;
            }
            self.part.names.push(NameRow {
                parent: name.parent.record | (u64::from(name.parent.sequence) << 48),
                start: self.part.text.len() as u32,
                len: name.name.len() as u16,
                namespace: name.namespace as u8,
            });
            self.part.text.push_str(&name.name);
            count += 1;
        }
        self.set_slot(
            n,
            Slot {
                first_name,
                sequence: e.sequence,
                flags,
                name_count: count,
            },
        );
        let list = e
            .attribute_list
            .as_ref()
            .filter(|_| e.is_base())
            .map(|l| extension_records(l, n));
        if list.is_some() || !e.is_base() || !e.problems.is_empty() {
            self.extras.push((
                n,
                Extra {
                    base: e.base,
                    extensions: list,
                    problems: e.problems,
                },
            ));
        }
    }
}

impl Tree for PathTable<'_> {
    /// The name index serves link resolution only: build it when some record has a
    /// `$REPARSE_POINT`.
    fn prepare_lookups(&self) {
        if self
            .parts
            .iter()
            .flat_map(|p| &p.slots)
            .any(|s| s.flags & REPARSE != 0)
        {
            self.kids();
        }
    }

    fn may_be_reparse_point(&self, n: u64) -> bool {
        self.flags(n) & REPARSE != 0
    }

    fn entry(&self, n: u64) -> Option<Cow<'_, Entry>> {
        if self.flags(n) & VALID == 0 {
            return None;
        }
        let mut e = self.decode(n)?;
        self.merge(&mut e);
        Some(Cow::Owned(e))
    }

    fn path_of(&self, name: &FileName) -> String {
        self.join_path(name.parent, &name.name)
    }

    fn push_path(&self, name: &FileName, out: &mut String) {
        self.push_joined(name.parent, &name.name, out);
    }

    fn push_json_path(&self, name: &FileName, out: &mut Vec<u8>) {
        use crate::export::json::push_escaped;
        match self.parent_of(name.parent) {
            Some(d) => out.extend_from_slice(self.dir_paths_json.get(&d).map_or(&[], |p| p)),
            None => {
                out.extend_from_slice(b"\\\\");
                push_escaped(out, ORPHAN_DIR);
            }
        }
        out.extend_from_slice(b"\\\\");
        push_escaped(out, &name.name);
    }

    fn is_directory(&self, n: u64) -> Option<bool> {
        let f = self.flags(n);
        (f & VALID != 0).then_some(f & DIRECTORY != 0)
    }

    fn primary_parent(&self, n: u64) -> Option<u64> {
        if self.flags(n) & VALID == 0 {
            return None;
        }
        Some(self.primary_row(n)?.1.parent().record)
    }

    fn primary_path(&self, n: u64) -> Option<String> {
        if self.flags(n) & VALID == 0 {
            return None;
        }
        let (id, row) = self.primary_row(n)?;
        Some(self.join_path(row.parent(), self.text_of(id)))
    }

    fn first_path(&self, n: u64) -> Option<String> {
        if self.flags(n) & VALID == 0 {
            return None;
        }
        if n == ROOT {
            return Some("\\".to_string());
        }
        let (id, row) = self.rows(n).find(|(_, r)| r.namespace().is_link())?;
        Some(self.join_path(row.parent(), self.text_of(id)))
    }

    fn child(&self, dir: u64, name: &str) -> Option<u64> {
        let index = self.kids();
        let folded = folded_hash(name);
        let d = usize::try_from(dir).ok()?;
        let (Some(&start), Some(&end)) = (index.starts.get(d), index.starts.get(d + 1)) else {
            return None;
        };
        let kids = index.kids.get(start as usize..end as usize)?;
        let lo = first_not_below(kids, folded);
        let same = kids[lo..].iter().take_while(|k| k.folded == folded);
        let mut best: Option<(&str, u64)> = None;
        for k in same {
            let text = self.text_of(k.row);
            if text == name {
                return Some(u64::from(k.record));
            }
            if eq_ignore_case(text, name) && best.map_or(true, |(b, _)| text < b) {
                best = Some((text, u64::from(k.record)));
            }
        }
        best.map(|(_, r)| r)
    }

    fn render_entries(
        &self,
        sel: Selection,
        w: &mut dyn Write,
        render: &Render<'_>,
    ) -> io::Result<()> {
        let vol = self.vol;
        let rs = u64::from(vol.boot.file_record_size);
        let slots = self.record_slots;
        let chunks: Vec<u64> = (0..slots.div_ceil(CHUNK_RECORDS)).collect();
        // Renders one chunk into `out`, reading its records into `buf`.
        let chunk = |&c: &u64, buf: &mut Vec<u8>, out: &mut Vec<u8>| -> io::Result<()> {
            let first = c * CHUNK_RECORDS;
            let count = CHUNK_RECORDS.min(slots - first);
            let mut result = Ok(());
            // One entry for the whole chunk, its names' room reused record after record.
            let (mut e, mut spare) = (Entry::empty(first), Vec::new());
            read_chunk(vol, buf, first, count, rs, |n, offset, rec| {
                // Damaged records were reported by the first pass.
                let Ok(rec) = rec else { return };
                if result.is_err() || self.flags(n) & (VALID | BASE) != VALID | BASE {
                    return;
                }
                let Ok(Some(h)) = record::parse_header(rec, n, offset) else {
                    return;
                };
                entry_into(vol, rec, &h, n, offset, &mut e, &mut spare);
                self.merge(&mut e);
                if sel.wants(&e) {
                    result = render(&e, out);
                }
            });
            result
        };
        render_in_order(&chunks, WINDOW_CHUNKS, w, &chunk)
    }
}

/// `kids.partition_point(|k| k.folded < folded)` for kids sorted by their folded hash, which
/// is spread evenly over the `u64` range: the first probe goes where the hash would sit in an
/// even spread, and a binary search of the few dozen names around it finishes. (A plain binary
/// search of a directory of a thousand names missed the cache about ten times a lookup.)
fn first_not_below(kids: &[Kid], folded: u64) -> usize {
    let is_below = |k: &Kid| k.folded < folded;
    let below = |i: usize| is_below(&kids[i]);
    let n = kids.len();
    if n < 64 {
        return kids.partition_point(is_below);
    }
    // Where an even spread would put it, and steps of 32 (then doubling) outwards until the
    // answer is bracketed: `lo` is known below, `hi` known not below (or the end).
    let guess = ((u128::from(folded) * n as u128) >> 64) as usize;
    let (mut lo, mut hi);
    if below(guess) {
        lo = guess + 1;
        let mut step = 32;
        hi = (guess + step).min(n);
        while hi < n && below(hi) {
            lo = hi + 1;
            step *= 2;
            hi = (hi + step).min(n);
        }
    } else {
        hi = guess;
        let mut step = 32;
        lo = guess.saturating_sub(step);
        while lo > 0 && !below(lo) {
            hi = lo;
            step *= 2;
            lo = lo.saturating_sub(step);
        }
        if below(lo) {
            lo += 1;
        }
    }
    lo + kids[lo..hi].partition_point(is_below)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_not_below_is_the_partition_point() {
        // Even and uneven spreads of hashes, with runs of equal ones, at every size up to a
        // few thousand, probed below, at, between and above the hashes held.
        let mut x: u64 = 0x2545_F491_4F6C_DD1D;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        for n in [0usize, 1, 2, 63, 64, 65, 100, 1000, 5000] {
            for spread in 0..4 {
                let mut kids: Vec<Kid> = (0..n)
                    .map(|i| Kid {
                        folded: match spread {
                            0 => next(),
                            1 => next() >> 40, // all in the lowest part
                            2 => u64::MAX - (next() >> 40), // all in the highest part
                            _ => next() % 7,   // runs of equal hashes
                        },
                        row: RowId::default(),
                        dir: 0,
                        record: i as u32,
                    })
                    .collect();
                kids.sort_unstable_by_key(|k| k.folded);
                let mut probes: Vec<u64> = vec![0, 1, u64::MAX, u64::MAX - 1, 3, 6, 7];
                for k in kids.iter().step_by(7) {
                    probes.extend([k.folded, k.folded.wrapping_add(1), k.folded.wrapping_sub(1)]);
                }
                probes.extend((0..200).map(|_| next()));
                for f in probes {
                    assert_eq!(
                        first_not_below(&kids, f),
                        kids.partition_point(|k| k.folded < f),
                        "n {n}, spread {spread}, hash {f:#x}"
                    );
                }
            }
        }
    }
}
