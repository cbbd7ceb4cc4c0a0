//! What link resolution and the exporters need from a scanned volume, whichever way it was
//! scanned: [`Scan`](crate::scan::Scan) keeps every decoded record in memory (for the
//! interactive commands), [`PathTable`](crate::path_table::PathTable) keeps only a compact parent
//! table and decodes records again when asked (for whole-volume exports of millions of records).
//! Both give the same entries, paths and lookups.

use crate::export::Selection;
use crate::file_name::FileName;
use crate::scan::{Entry, ROOT};
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

/// Renders `tasks` on all cores and writes their output to `w` in task order, holding at most
/// `window` rendered or rendering tasks at a time (or two a worker, if more).
/// `render(task, scratch, out)` gets a scratch buffer (one per worker) and an emptied output
/// buffer; both are reused (fresh buffers made the kernel zero new pages every time).
///
/// One worker on each rayon thread takes the next task as soon as it is free, while this thread
/// writes each task's output as soon as it and all before it are done: writing a GB of output
/// is not free, and the cores should not wait for it, nor for the slowest task of a batch
/// (batches of four tasks with a barrier between them, rendered by rayon, cost a fifth of the
/// export's time to `/dev/null`). Having this thread render too while the output it must write
/// next is not ready, with one worker fewer, was no faster and varied more.
///
/// A render error is returned once every task before it is written; a write error stops the
/// workers and is returned; a panicking render is passed on, not waited for.
pub(crate) fn render_in_order<T: Sync>(
    tasks: &[T],
    window: usize,
    w: &mut dyn Write,
    render: &RenderTask<'_, T>,
) -> io::Result<()> {
    use std::sync::{Condvar, Mutex, PoisonError};
    struct Shared {
        /// The next task a worker takes.
        next: usize,
        /// How many tasks are written; workers stay below `written + window`.
        written: usize,
        /// Task `i`'s result, at `i % window`, until it is written.
        done: Vec<Option<io::Result<Vec<u8>>>>,
        /// Output buffers given back by the writer.
        free: Vec<Vec<u8>>,
        stop: bool,
    }
    // Two tasks a worker at least, so that a machine with more cores than the window is used.
    let window = window.max(2 * rayon::current_num_threads());
    let shared = Mutex::new(Shared {
        next: 0,
        written: 0,
        done: (0..window).map(|_| None).collect(),
        free: Vec::new(),
        stop: false,
    });
    // `ready`: a task's result was stored; `room`: the writer moved on (or stopped).
    let (ready, room) = (Condvar::new(), Condvar::new());
    let lock = || shared.lock().unwrap_or_else(PoisonError::into_inner);
    let stop = || {
        lock().stop = true;
        room.notify_all();
        ready.notify_all();
    };
    // Should a render panic, the writer must not wait for its task forever: the scope then
    // ends and passes the panic on.
    struct OnPanic<F: Fn()>(F);
    impl<F: Fn()> Drop for OnPanic<F> {
        fn drop(&mut self) {
            if std::thread::panicking() {
                (self.0)();
            }
        }
    }
    let worker = || {
        let _guard = OnPanic(stop);
        let mut scratch = Vec::new();
        loop {
            // The next task, once it is within the window.
            let (i, mut out) = {
                let mut s = lock();
                while !s.stop && s.next < tasks.len() && s.next >= s.written + window {
                    s = room.wait(s).unwrap_or_else(PoisonError::into_inner);
                }
                if s.stop || s.next >= tasks.len() {
                    return;
                }
                s.next += 1;
                (s.next - 1, s.free.pop().unwrap_or_default())
            };
            out.clear();
            let result = render(&tasks[i], &mut scratch, &mut out).map(|()| out);
            let mut s = lock();
            s.done[i % window] = Some(result);
            if i == s.written {
                ready.notify_one();
            }
        }
    };
    std::thread::scope(|scope| {
        // The workers run on the rayon pool's threads, whose allocator arenas still hold what
        // the first pass freed: fresh threads made the export's peak heap ~15 MiB larger.
        // Called from a pool thread (a library user's parallel job), a broadcast would wait
        // for that very thread, so the workers are threads of their own then.
        if rayon::current_thread_index().is_some() {
            for _ in 0..rayon::current_num_threads() {
                scope.spawn(worker);
            }
        } else {
            scope.spawn(|| rayon::broadcast(|_| worker()));
        }
        let _guard = OnPanic(stop);
        for i in 0..tasks.len() {
            let result = {
                let mut s = lock();
                loop {
                    if let Some(r) = s.done[i % window].take() {
                        break r;
                    }
                    if s.stop {
                        return Err(io::Error::other("a renderer stopped"));
                    }
                    s = ready.wait(s).unwrap_or_else(PoisonError::into_inner);
                }
            };
            let out = match result.and_then(|out| w.write_all(&out).map(|()| out)) {
                Ok(out) => out,
                Err(e) => {
                    stop();
                    return Err(e);
                }
            };
            let mut s = lock();
            s.free.push(out);
            s.written = i + 1;
            room.notify_all();
        }
        Ok(())
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    /// Renders task `i` as its decimal number and a newline, later tasks often finishing first.
    fn numbered(i: &usize, _: &mut Vec<u8>, out: &mut Vec<u8>) -> io::Result<()> {
        // Uneven work, so that workers finish out of order.
        let spin = (i * 7919) % 5000;
        let mut x = 0u64;
        for k in 0..spin {
            x = std::hint::black_box(x.wrapping_add(k as u64));
        }
        out.extend_from_slice(format!("{i}\n").as_bytes());
        Ok(())
    }

    fn expected(n: usize) -> Vec<u8> {
        (0..n).flat_map(|i| format!("{i}\n").into_bytes()).collect()
    }

    #[test]
    fn output_is_in_task_order_for_every_window() {
        let tasks: Vec<usize> = (0..2000).collect();
        for window in [0, 1, 2, 3, 8, 64, 5000] {
            let mut out = Vec::new();
            render_in_order(&tasks, window, &mut out, &numbered).unwrap();
            assert_eq!(out, expected(tasks.len()), "window {window}");
        }
        let mut out = Vec::new();
        render_in_order(&[] as &[usize], 4, &mut out, &numbered).unwrap();
        assert!(out.is_empty());
    }

    #[test]
    fn a_render_error_comes_after_every_earlier_task_is_written() {
        let tasks: Vec<usize> = (0..500).collect();
        for bad in [0, 1, 7, 499] {
            let mut out = Vec::new();
            let err = render_in_order(&tasks, 4, &mut out, &|&i, s, o| {
                if i == bad {
                    return Err(io::Error::new(io::ErrorKind::InvalidData, "bad task"));
                }
                numbered(&i, s, o)
            })
            .unwrap_err();
            assert_eq!(err.kind(), io::ErrorKind::InvalidData);
            assert_eq!(out, expected(bad), "error at task {bad}");
        }
    }

    /// Accepts `limit` bytes, then fails.
    struct Failing {
        written: usize,
        limit: usize,
    }
    impl Write for Failing {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            if self.written + buf.len() > self.limit {
                return Err(io::ErrorKind::BrokenPipe.into());
            }
            self.written += buf.len();
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_write_error_stops_the_workers_and_is_returned() {
        let tasks: Vec<usize> = (0..5000).collect();
        for limit in [0, 10, 1000] {
            let mut w = Failing { written: 0, limit };
            let err = render_in_order(&tasks, 3, &mut w, &numbered).unwrap_err();
            assert_eq!(err.kind(), io::ErrorKind::BrokenPipe);
        }
    }

    #[test]
    fn called_from_a_pool_thread_it_does_not_wait_for_itself() {
        let (tx, rx) = std::sync::mpsc::channel();
        rayon::spawn(move || {
            let tasks: Vec<usize> = (0..300).collect();
            let mut out = Vec::new();
            let r = render_in_order(&tasks, 4, &mut out, &numbered);
            let _ = tx.send((r.is_ok(), out));
        });
        let (ok, out) = rx
            .recv_timeout(std::time::Duration::from_secs(60))
            .expect("render_in_order from a rayon thread hung");
        assert!(ok);
        assert_eq!(out, expected(300));
    }

    #[test]
    #[should_panic(expected = "panicked")]
    fn a_panicking_render_is_passed_on_not_waited_for() {
        let tasks: Vec<usize> = (0..100).collect();
        let _ = render_in_order(&tasks, 2, &mut Vec::new(), &|&i, s, o| {
            if i == 5 {
                panic!("render panicked");
            }
            numbered(&i, s, o)
        });
    }
}
