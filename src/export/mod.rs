//! Writers for pipelines: one JSON object per record ([`json`]), CSV rows per hard link
//! ([`csv`]), and TSK bodyfile lines ([`bodyfile`]). Every writer takes the same [`Record`] view,
//! so the formats cannot disagree about a fact.

pub mod bodyfile;
pub mod csv;
pub mod json;

use crate::reparse::{self, ReparsePoint};
use crate::resolve::{Resolution, Resolver};
use crate::scan::{Entry, Scan};
use rayon::prelude::*;
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
    pub fn new(scan: &'a Scan, resolver: &Resolver<'_>, entry: &'a Entry) -> Self {
        let reparse = entry.reparse.as_deref().map(reparse::decode);
        let target = if reparse.is_some() {
            resolver.resolve(entry.record)
        } else {
            None
        };
        Record {
            entry,
            paths: scan.paths(entry.record),
            reparse,
            target,
        }
    }
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

/// Records rendered per parallel task, and per batch held in memory at once.
const TASK: usize = 2048;
const BATCH: usize = 64 * 1024;

/// Renders every selected record with `render(index, entry, buffer)` on all cores and writes
/// the output in record order. Memory is bounded by one batch of rendered records.
pub(crate) fn write_parallel<F>(
    w: &mut impl Write,
    scan: &Scan,
    sel: Selection,
    render: F,
) -> io::Result<()>
where
    F: Fn(usize, &Entry, &mut Vec<u8>) -> io::Result<()> + Sync,
{
    let entries: Vec<&Entry> = scan.entries().iter().filter(|e| sel.wants(e)).collect();
    // One buffer per task, reused batch after batch: fresh buffers made the kernel zero new
    // pages for every batch.
    let mut buffers: Vec<Vec<u8>> = vec![Vec::new(); BATCH / TASK];
    for (b, batch) in entries.chunks(BATCH).enumerate() {
        let done: Vec<io::Result<()>> = batch
            .par_chunks(TASK)
            .zip(buffers.par_iter_mut())
            .enumerate()
            .map(|(t, (task, buf))| {
                buf.clear();
                for (k, e) in task.iter().enumerate() {
                    render(b * BATCH + t * TASK + k, e, buf)?;
                }
                Ok(())
            })
            .collect();
        for (r, buf) in done.into_iter().zip(&buffers) {
            r?;
            w.write_all(buf)?;
        }
    }
    Ok(())
}
