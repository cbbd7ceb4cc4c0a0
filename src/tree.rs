//! What link resolution and the exporters need from a scanned volume, whichever way it was
//! scanned: [`Scan`](crate::scan::Scan) keeps every decoded record in memory (for the
//! interactive commands), [`PathTable`](crate::path_table::PathTable) keeps only a compact parent
//! table and decodes records again when asked (for whole-volume exports of millions of records).
//! Both give the same entries, paths and lookups.

use crate::export::Selection;
use crate::file_name::FileName;
use crate::scan::{Entry, ROOT};
use rayon::prelude::*;
use std::borrow::Cow;
use std::io::{self, Write};

/// Renders one entry into a buffer (one export format's writer).
pub type Render<'r> = dyn Fn(&Entry, &mut Vec<u8>) -> io::Result<()> + Sync + 'r;

/// A scanned volume's records, names and directory paths.
pub trait Tree: Sync {
    /// The entry of record `n`, extension records merged into it; `None` when the slot holds
    /// no record.
    fn entry(&self, n: u64) -> Option<Cow<'_, Entry>>;

    /// The full path of one name: `\dir\file` (under `\$OrphanFiles` when its parent is not
    /// the directory it names).
    fn path_of(&self, name: &FileName) -> String;

    /// The record named `name` inside directory `dir`: an exact match first, else a
    /// case-insensitive one (the smallest such name, byte-wise, when several differ only in
    /// case); DOS 8.3 names match too.
    fn child(&self, dir: u64, name: &str) -> Option<u64>;

    /// Renders every selected base record (extension records merged) with `render`, on all
    /// cores, and writes the output to `w` in record order.
    fn render_entries(
        &self,
        sel: Selection,
        w: &mut dyn Write,
        render: &Render<'_>,
    ) -> io::Result<()>;

    /// Builds now, on all cores, whatever [`Tree::child`] would build on its first call. An
    /// export calls this before rendering: built lazily, from inside the rendering workers,
    /// the index was made by one worker while the other waited for it.
    fn prepare_lookups(&self) {}

    /// False when record `n` certainly holds no `$REPARSE_POINT`, so that link resolution can
    /// skip decoding it (a `PathTable` decodes every record it is asked about again).
    fn may_be_reparse_point(&self, _n: u64) -> bool {
        true
    }

    /// Every full path of `e`, one per hard link (DOS names are not links), as `fsutil hardlink
    /// list` prints them; `\` for the root.
    fn paths_of(&self, e: &Entry) -> Vec<String> {
        if e.record == ROOT {
            return vec!["\\".to_string()];
        }
        let mut out: Vec<String> = e.link_names().map(|name| self.path_of(name)).collect();
        out.dedup();
        out
    }

    /// Appends the full path of one name (see [`Tree::path_of`]) to `out` as the inside of a
    /// JSON string (escaped, no quotes). A `PathTable` keeps every directory's path escaped
    /// once, so that only the name is escaped here.
    fn push_json_path(&self, name: &FileName, out: &mut Vec<u8>) {
        crate::export::json::push_escaped(out, &self.path_of(name));
    }

    /// Appends the full path of one name (see [`Tree::path_of`]) to `out`.
    fn push_path(&self, name: &FileName, out: &mut String) {
        out.push_str(&self.path_of(name));
    }

    /// True when record `n` holds a directory; `None` when the slot holds no record. A
    /// `PathTable` answers from its slot, without decoding the record again.
    fn is_directory(&self, n: u64) -> Option<bool> {
        self.entry(n).map(|e| e.directory)
    }

    /// The parent directory record that record `n`'s primary name (see
    /// [`Entry::primary_name`]) names.
    fn primary_parent(&self, n: u64) -> Option<u64> {
        Some(self.entry(n)?.primary_name()?.parent.record)
    }

    /// The full path of record `n`'s primary name.
    fn primary_path(&self, n: u64) -> Option<String> {
        Some(self.path_of(self.entry(n)?.primary_name()?))
    }

    /// The first of [`Tree::paths`]: the path of record `n`'s first hard link.
    fn first_path(&self, n: u64) -> Option<String> {
        if n == ROOT {
            return self.entry(n).map(|_| "\\".to_string());
        }
        Some(self.path_of(self.entry(n)?.link_names().next()?))
    }

    /// Every full path of record `n` (see [`Tree::paths_of`]).
    fn paths(&self, n: u64) -> Vec<String> {
        self.entry(n).map(|e| self.paths_of(&e)).unwrap_or_default()
    }
}

/// Renders one task of [`render_in_order`]: `(task, scratch buffer, output buffer)`.
pub(crate) type RenderTask<'r, T> =
    dyn Fn(&T, &mut Vec<u8>, &mut Vec<u8>) -> io::Result<()> + Sync + 'r;

/// Renders `tasks` on all cores, `batch` tasks at a time, and writes their output to `w` in task
/// order. `render(task, scratch, out)` gets a scratch buffer and an emptied output buffer, both
/// reused batch after batch (fresh buffers made the kernel zero new pages every time).
///
/// Batches render on the rayon pool from a thread of their own while this thread writes the
/// previous batch: writing a GB of output is not free, and the cores should not wait for it.
/// The channel is a rendezvous, so at most two batches are held. A write error stops the
/// renderer and is returned.
pub(crate) fn render_in_order<T: Sync>(
    tasks: &[T],
    batch: usize,
    w: &mut dyn Write,
    render: &RenderTask<'_, T>,
) -> io::Result<()> {
    type Batch = Vec<(Vec<u8>, Vec<u8>)>;
    let batch = batch.max(1);
    let (full_tx, full_rx) = std::sync::mpsc::sync_channel::<io::Result<Batch>>(0);
    let (empty_tx, empty_rx) = std::sync::mpsc::channel::<Batch>();
    std::thread::scope(|scope| {
        scope.spawn(move || {
            for tasks in tasks.chunks(batch) {
                let mut bufs = empty_rx.try_recv().unwrap_or_default();
                bufs.resize(batch, (Vec::new(), Vec::new()));
                let done: io::Result<()> = tasks
                    .par_iter()
                    .zip(bufs.par_iter_mut())
                    .map(|(task, (scratch, out))| {
                        out.clear();
                        render(task, scratch, out)
                    })
                    .collect();
                let sent = match done {
                    Ok(()) => full_tx.send(Ok(bufs.into_iter().take(tasks.len()).collect())),
                    Err(e) => full_tx.send(Err(e)),
                };
                if sent.is_err() {
                    return; // the writer stopped (write error)
                }
            }
        });
        for rendered in full_rx {
            let rendered = rendered?;
            for (_, out) in &rendered {
                w.write_all(out)?;
            }
            let _ = empty_tx.send(rendered);
        }
        Ok(())
    })
}
