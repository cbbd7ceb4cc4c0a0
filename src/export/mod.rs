//! Writers for pipelines: one JSON object per record ([`json`]), CSV rows per hard link
//! ([`csv`]), and TSK bodyfile lines ([`bodyfile`]). Every writer takes the same [`Record`] view,
//! so the formats cannot disagree about a fact.

pub mod bodyfile;
pub mod csv;
pub mod json;

use crate::file_name::Times;
use crate::reparse::{self, ReparsePoint};
use crate::resolve::{Resolution, Resolver};
use crate::scan::Entry;
use crate::tree::Tree;
use std::io::{self, Write};

/// Everything the exporters say about one record, computed once.
pub struct Record<'a> {
    pub entry: &'a Entry,
    /// One path per hard link.
    pub paths: Vec<String>,
    pub reparse: Option<ReparsePoint>,
    pub target: Option<Resolution>,
}

impl<'a> Record<'a> {
    /// Gathers paths, decoded reparse data and the link's resolution for `entry`.
    pub fn new(tree: &dyn Tree, resolver: &Resolver<'_>, entry: &'a Entry) -> Self {
        let mut r = Record::without_paths(resolver, entry);
        r.paths = tree.paths_of(entry);
        r
    }

    /// Everything but the paths (left empty), for writers that ask the tree for each path
    /// as they write it.
    fn without_paths(resolver: &Resolver<'_>, entry: &'a Entry) -> Self {
        let reparse = entry.reparse.as_deref().map(reparse::decode);
        let target = if reparse.is_some() {
            resolver.resolve_entry(entry)
        } else {
            None
        };
        Record {
            entry,
            paths: Vec::new(),
            reparse,
            target,
        }
    }
}

/// Calls `f` with the [`Record`] of `entry` without its `paths` (empty): the exporters write
/// each path straight from the tree ([`Tree::push_path`], [`Tree::push_json_path`]) instead of
/// building a string per path a million times.
pub(crate) fn with_record<R>(
    resolver: &Resolver<'_>,
    entry: &Entry,
    f: impl FnOnce(&Record<'_>) -> R,
) -> R {
    f(&Record::without_paths(resolver, entry))
}

/// Which records an export covers.
#[derive(Debug, Clone, Copy, Default)]
pub struct Selection {
    /// Include records not in use that still hold a valid record.
    pub deleted: bool,
}

impl Selection {
    /// True when `e` is exported: base records in use, plus deleted ones when asked.
    pub fn wants(&self, e: &Entry) -> bool {
        e.is_base() && (e.in_use || (self.deleted && e.is_deleted_file()))
    }
}

/// The last times a record's output holds and where their text is, so that equal times (a
/// name's four are often its `$STANDARD_INFORMATION`'s, and every hard link repeats them) are
/// copied rather than formatted again. Each writer brings its own format.
#[derive(Default)]
pub(crate) struct LastTimes {
    times: Option<Times>,
    at: std::ops::Range<usize>,
}

impl LastTimes {
    /// Appends `t` as `format` writes it, or a copy of the same text written last time.
    pub(crate) fn push(
        &mut self,
        out: &mut Vec<u8>,
        t: &Times,
        format: impl FnOnce(&mut Vec<u8>, &Times),
    ) {
        if self.times.as_ref() == Some(t) {
            out.extend_from_within(self.at.clone());
            return;
        }
        let start = out.len();
        format(out, t);
        *self = LastTimes {
            times: Some(*t),
            at: start..out.len(),
        };
    }
}

/// Skips the first `skip` bytes written through it (the separator before the first element
/// of a JSON array, which each record's rendering starts with).
pub(crate) struct SkipFirst<'w> {
    pub inner: &'w mut dyn Write,
    pub skip: usize,
}

impl Write for SkipFirst<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let drop = self.skip.min(buf.len());
        self.skip -= drop;
        self.inner.write_all(&buf[drop..])?;
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}
