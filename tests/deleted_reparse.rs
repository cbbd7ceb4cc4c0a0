//! A deleted reparse point keeps its reparse data in the export: clear the in-use flag of a
//! symlink's record (as deleting it would) and export with `--deleted`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use ntfs_inspect::container::{self, OpenOptions};
use ntfs_inspect::export::{Record, Selection};
use ntfs_inspect::resolve::Resolver;
use ntfs_inspect::scan::Scan;
use ntfs_inspect::source::MemSource;
use ntfs_inspect::volume::Volume;
use std::sync::Arc;

#[test]
fn deleted_symlink_keeps_its_reparse_data() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("images/reparse-dynamic.vhd");
    let o = container::open(&path, &OpenOptions::default()).unwrap();
    let mut bytes = vec![0u8; o.volume.len() as usize];
    o.volume.read_at(0, &mut bytes).unwrap();
    let vol = Volume::open(Arc::new(MemSource(bytes.clone()))).unwrap();
    let scan = Scan::new(&vol);
    let n = scan.lookup("\\links\\rel-file").unwrap();
    let before = scan.entry(n).unwrap().reparse.clone().unwrap();
    // Record header flags at 0x16: bit 0 is "in use".
    let at = scan.entry(n).unwrap().offset as usize + 0x16;
    bytes[at] &= !1;

    let vol = Volume::open(Arc::new(MemSource(bytes))).unwrap();
    let scan = Scan::new(&vol);
    let e = scan.entry(n).unwrap();
    assert!(!e.in_use);
    assert!(e.is_deleted_file());
    assert!(
        scan.lookup("\\links\\rel-file").is_none(),
        "a deleted file is not in its directory"
    );
    assert!(!Selection::default().wants(e));
    assert!(Selection { deleted: true }.wants(e));
    let resolver = Resolver::new(&scan, 'C');
    let rec = Record::new(&scan, &resolver, e);
    assert_eq!(e.reparse.as_ref(), Some(&before));
    let json = serde_json::to_value(&rec).unwrap();
    assert_eq!(json["in_use"], false);
    assert_eq!(json["paths"][0], "\\links\\rel-file");
    assert_eq!(json["reparse"]["kind"], "symlink");
    assert_eq!(json["reparse"]["substitute_name"], "..\\dir\\file.txt");
    assert_eq!(json["reparse"]["target"]["status"], "resolves");
}
