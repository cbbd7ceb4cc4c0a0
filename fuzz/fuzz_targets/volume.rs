//! A whole volume from the fuzz bytes: open, scan, every path, every reparse point resolved,
//! the summary and the link report; then the streaming export path (`PathTable`), whose JSONL,
//! CSV and bodyfile exports must equal the `Scan`'s byte for byte (a differential check: any
//! difference is a crash). Run with -max_len=131072 or 262144.
#![no_main]
use libfuzzer_sys::fuzz_target;
use ntfs_inspect::export::{bodyfile, csv, json, Selection};
use ntfs_inspect::path_table::PathTable;
use ntfs_inspect::resolve::{LinkReport, Resolver};
use ntfs_inspect::scan::Scan;
use ntfs_inspect::source::MemSource;
use ntfs_inspect::volume::Volume;
use std::sync::Arc;

fuzz_target!(|data: &[u8]| {
    let Ok(vol) = Volume::open(Arc::new(MemSource(data.to_vec()))) else {
        return;
    };
    let _ = vol.label_and_version();
    let scan = Scan::new(&vol);
    let _ = scan.summary();
    let resolver = Resolver::new(&scan, 'C');
    let records: Vec<u64> = scan.entries().iter().map(|e| e.record).collect();
    for n in records {
        let _ = scan.paths(n);
        let _ = scan.dir_path(n);
        if scan.entry(n).is_some_and(|e| e.reparse.is_some()) {
            let _ = resolver.resolve(n);
        }
    }
    let _ = scan.list_dir(ntfs_inspect::scan::ROOT);
    let _ = scan.lookup("\\a\\b");
    let _ = LinkReport::new(&vol, &scan, &resolver);
    for e in &scan.errors {
        let _ = e.to_string();
    }

    let table = PathTable::new(&vol);
    let by_table = Resolver::new(&table, 'C');
    let sel = Selection { deleted: true };
    let (mut a, mut b) = (Vec::new(), Vec::new());
    let _ = json::write_jsonl(&mut a, &scan, &resolver, sel);
    let _ = json::write_jsonl(&mut b, &table, &by_table, sel);
    assert!(a == b, "PathTable and Scan export JSONL differently");
    let (mut a, mut b) = (Vec::new(), Vec::new());
    let _ = csv::write(&mut a, &scan, &resolver, sel);
    let _ = csv::write(&mut b, &table, &by_table, sel);
    assert!(a == b, "PathTable and Scan export CSV differently");
    let (mut a, mut b) = (Vec::new(), Vec::new());
    let _ = bodyfile::write(&mut a, &scan, &resolver, sel);
    let _ = bodyfile::write(&mut b, &table, &by_table, sel);
    assert!(a == b, "PathTable and Scan export bodyfiles differently");
});
