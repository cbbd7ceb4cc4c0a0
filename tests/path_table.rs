//! `PathTable` (the compact, streaming scan behind `mft`) against `Scan` (the in-memory one):
//! the same exports byte for byte, the same warnings and the same lookups, on every committed
//! fixture and on the real Windows volumes. The damaged-image suite (tests/damage.rs) makes the
//! same comparison on every damaged volume.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use ntfs_inspect::container::OpenOptions;
use ntfs_inspect::scan::Scan;
use ntfs_inspect::volume::Opened;

#[test]
fn path_table_agrees_with_scan_on_every_fixture() {
    let mut images: Vec<std::path::PathBuf> = common::fixtures::committed();
    images.extend(
        common::fixtures::windows_images()
            .into_iter()
            .map(|w| w.path),
    );
    assert!(images.len() >= 5, "fixtures missing: {images:?}");
    for image in images {
        let o = Opened::open(&image, &OpenOptions::default()).unwrap();
        let scan = Scan::new(&o.volume);
        common::agree::assert_path_table_agrees(&o.volume, &scan, &image.display().to_string());
    }
}

/// A writer that fails once `limit` bytes have been written, like a closed pipe.
struct Failing {
    written: usize,
    limit: usize,
}

impl std::io::Write for Failing {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.written + buf.len() > self.limit {
            return Err(std::io::Error::new(
                std::io::ErrorKind::BrokenPipe,
                "closed",
            ));
        }
        self.written += buf.len();
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The export renders on another thread while this one writes: a write error (a closed pipe)
/// must come back as an error at once, not hang the renderer or be lost.
#[test]
fn a_failing_writer_stops_the_export() {
    use ntfs_inspect::export::{json, Selection};
    use ntfs_inspect::path_table::PathTable;
    use ntfs_inspect::resolve::Resolver;
    let image = common::fixtures::root().join("images/reparse-dynamic.vhd");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let o = Opened::open(&image, &OpenOptions::default()).unwrap();
        let table = PathTable::new(&o.volume);
        let resolver = Resolver::new(&table, 'C');
        let results: Vec<std::io::Result<()>> = [0, 100, 5000]
            .into_iter()
            .map(|limit| {
                let mut w = Failing { written: 0, limit };
                json::write_jsonl(&mut w, &table, &resolver, Selection::default())
            })
            .collect();
        let _ = tx.send(results);
    });
    let results = rx
        .recv_timeout(std::time::Duration::from_secs(60))
        .expect("the export hung after a write error");
    for r in results {
        assert_eq!(r.unwrap_err().kind(), std::io::ErrorKind::BrokenPipe);
    }
}
