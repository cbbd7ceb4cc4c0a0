//! The compact export path (`PathTable`) must say exactly what the in-memory `Scan` says.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use ntfs_inspect::export::{bodyfile, csv, json, Selection};
use ntfs_inspect::path_table::PathTable;
use ntfs_inspect::resolve::Resolver;
use ntfs_inspect::scan::Scan;
use ntfs_inspect::tree::Tree;
use ntfs_inspect::volume::Volume;

/// Every export format, with and without deleted records, as bytes.
fn exports(tree: &dyn Tree) -> Vec<(String, Vec<u8>)> {
    let resolver = Resolver::new(tree, 'C');
    let mut out = Vec::new();
    for deleted in [false, true] {
        let sel = Selection { deleted };
        for format in ["jsonl", "json", "csv", "bodyfile"] {
            let mut w = Vec::new();
            match format {
                "jsonl" => json::write_jsonl(&mut w, tree, &resolver, sel),
                "json" => json::write_json(&mut w, tree, &resolver, sel),
                "csv" => csv::write(&mut w, tree, &resolver, sel),
                _ => bodyfile::write(&mut w, tree, &resolver, sel),
            }
            .unwrap();
            out.push((format!("{format} deleted={deleted}"), w));
        }
    }
    out
}

/// Asserts that a `PathTable` of `vol` exports byte for byte what `scan` exports, counts the
/// same summary, reports the same undecodable records and the same problems, and looks up
/// every path to the same record.
pub fn assert_path_table_agrees(vol: &Volume, scan: &Scan, what: &str) {
    let table = PathTable::new(vol);
    for ((name, a), (_, b)) in exports(scan).into_iter().zip(exports(&table)) {
        if a != b {
            let a = String::from_utf8_lossy(&a);
            let b = String::from_utf8_lossy(&b);
            let first = a
                .lines()
                .zip(b.lines())
                .find(|(x, y)| x != y)
                .map(|(x, y)| format!("scan:       {x}\npath table: {y}"))
                .unwrap_or_else(|| "one output is a prefix of the other".into());
            panic!("{what}: the {name} export differs:\n{first}");
        }
    }
    assert_eq!(scan.summary(), table.summary(), "{what}: summary");
    let errors = |v: &[ntfs_inspect::Error]| v.iter().map(|e| e.to_string()).collect::<Vec<_>>();
    assert_eq!(
        errors(&scan.errors),
        errors(&table.errors),
        "{what}: errors"
    );
    let problems: Vec<(u64, u64, String)> = scan
        .entries()
        .iter()
        .flat_map(|e| e.problems.iter().map(|p| (e.record, e.offset, p.clone())))
        .collect();
    assert_eq!(problems, table.problems, "{what}: problems");
    for e in scan.files() {
        for p in scan.paths(e.record) {
            let walk = |t: &dyn Tree| {
                p.split('\\')
                    .filter(|c| !c.is_empty())
                    .try_fold(5u64, |cur, c| t.child(cur, c))
            };
            assert_eq!(walk(scan), walk(&table), "{what}: lookup of {p}");
        }
    }
}
