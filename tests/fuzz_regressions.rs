//! Inputs the fuzzers (fuzz/, see docs/robustness.md) found crashing, kept as regression tests.
//! Each is the crasher's bytes inline as hex, run through the same calls as its fuzz target.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

fn unhex(s: &str) -> Vec<u8> {
    let s: String = s.split_whitespace().collect();
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

/// The `reparse` target's calls: decode, describe, Display, JSON, link target.
fn reparse_target(data: &[u8]) {
    let rp = ntfs_inspect::reparse::decode(data);
    let _ = rp.kind();
    let _ = rp.describe();
    let _ = rp.to_string();
    serde_json::to_string(&rp).unwrap();
    if let Ok(c) = &rp.content {
        let _ = ntfs_inspect::resolve::link_target(c, 'C');
    }
}

/// fuzz/reparse: a symlink whose substitute name decodes (from odd-aligned UTF-16) to CJK
/// characters: `resolve::nt_target` sliced `rest[..4]` to look for `UNC\`, a byte index inside
/// a 3-byte character ("end byte index 4 is not a char boundary").
#[test]
fn reparse_symlink_target_sliced_inside_a_character() {
    reparse_target(&unhex(
        "0c0000a0480000001a00220000001a000000000043003a005c007200650061002c64006d0065002e0074
         00780074005c003f003f005c0043003a005c0072006500610064006d0065002e00740078007400",
    ));
}

/// The `volume` target's calls: open, scan, every path, every link resolved, the link report,
/// and the streaming export path, which must agree with the scan.
fn volume_target(data: &[u8]) {
    use ntfs_inspect::resolve::{LinkReport, Resolver};
    use ntfs_inspect::scan::Scan;
    use ntfs_inspect::source::MemSource;
    use ntfs_inspect::volume::Volume;
    use std::sync::Arc;
    let Ok(vol) = Volume::open(Arc::new(MemSource(data.to_vec()))) else {
        return;
    };
    let _ = vol.label_and_version();
    let scan = Scan::new(&vol);
    let _ = scan.summary();
    let resolver = Resolver::new(&scan, 'C');
    for e in scan.entries() {
        let _ = scan.paths(e.record);
        if e.reparse.is_some() {
            let _ = resolver.resolve(e.record);
        }
    }
    let _ = LinkReport::new(&vol, &scan, &resolver);
    common::agree::assert_path_table_agrees(&vol, &scan, "fuzz input");
}

/// fuzz/volume (debug assertions on): a non-resident attribute whose first VCN is so large that
/// `first_vcn * cluster_size` overflows u64 ("attempt to multiply with overflow" in
/// `Volume::read_nonresident`); without overflow checks the position wrapped and the wrong
/// bytes were read. The crasher (minimized by `cargo fuzz tmin`, 39 KiB, mostly zeros) is kept
/// as a file.
#[test]
fn volume_nonresident_first_vcn_overflows() {
    let data = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/fuzz/volume-first-vcn-overflow.bin"
    ))
    .unwrap();
    volume_target(&data);
}
