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
