//! The `$MFT` with an `$ATTRIBUTE_LIST` of its own. On a large, fragmented volume the `$MFT`'s
//! `$DATA` runs do not fit in record 0: record 0 gets an `$ATTRIBUTE_LIST`, and later pieces of
//! `$DATA` (each with its first VCN) live in extension records. ntfs-3g never writes such a
//! `$MFT`, so this test builds one from the `basic` fixture: its one `$MFT` extent is split in two
//! pieces, the second moved to record 23 (a free slot inside the first piece), and record 0 gets
//! the attribute list that names both. The volume must read exactly as before — whose paths
//! tests/oracle.rs checks against fls — and without the extension record the `$MFT` must end
//! where record 0's piece ends, with a warning.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use ntfs_inspect::attribute::{self, Form};
use ntfs_inspect::container::{self, OpenOptions};
use ntfs_inspect::data_runs;
use ntfs_inspect::record::{FileRecord, FIXUP_STRIDE};
use ntfs_inspect::scan::Scan;
use ntfs_inspect::source::MemSource;
use ntfs_inspect::volume::Volume;
use std::collections::BTreeSet;
use std::sync::Arc;

const EXT: u64 = 23;

fn le16(b: &mut [u8], at: usize, v: u16) {
    b[at..at + 2].copy_from_slice(&v.to_le_bytes());
}
fn le32(b: &mut [u8], at: usize, v: u32) {
    b[at..at + 4].copy_from_slice(&v.to_le_bytes());
}
fn le64(b: &mut [u8], at: usize, v: u64) {
    b[at..at + 8].copy_from_slice(&v.to_le_bytes());
}

/// One data run: `length` clusters at `delta` clusters from the previous run's LCN.
fn run(length: u64, delta: i64) -> Vec<u8> {
    let len_bytes: Vec<u8> = length
        .to_le_bytes()
        .into_iter()
        .take(((64 - length.leading_zeros()) as usize).div_ceil(8).max(1))
        .collect();
    let mut n = 1;
    while n < 8 && !(-(1i64 << (8 * n - 1))..(1i64 << (8 * n - 1))).contains(&delta) {
        n += 1;
    }
    let off_bytes: Vec<u8> = delta.to_le_bytes().into_iter().take(n).collect();
    let mut v = vec![((off_bytes.len() as u8) << 4) | len_bytes.len() as u8];
    v.extend(len_bytes);
    v.extend(off_bytes);
    v
}

/// A non-resident unnamed `$DATA` attribute piece covering VCNs `first..=last`.
fn data_piece(
    template: &[u8],
    instance: u16,
    first: u64,
    last: u64,
    runs: &[u8],
    sizes: Option<[u64; 3]>,
) -> Vec<u8> {
    let mut a = template[..0x40].to_vec();
    a.extend_from_slice(runs);
    a.push(0);
    while a.len() % 8 != 0 {
        a.push(0);
    }
    let len = a.len() as u32;
    le32(&mut a, 4, len);
    le16(&mut a, 0x0E, instance);
    le64(&mut a, 0x10, first);
    le64(&mut a, 0x18, last);
    le16(&mut a, 0x20, 0x40);
    let [alloc, size, init] = sizes.unwrap_or([0; 3]);
    le64(&mut a, 0x28, alloc);
    le64(&mut a, 0x30, size);
    le64(&mut a, 0x38, init);
    a
}

/// Writes `attrs` into a record image whose header is `header` (first `first_attribute` bytes),
/// then puts the update sequence back (the inverse of the fixups).
fn build_record(header: &[u8], size: usize, attrs: &[Vec<u8>]) -> Vec<u8> {
    let mut b = vec![0u8; size];
    b[..header.len()].copy_from_slice(header);
    let mut at = header.len();
    for a in attrs {
        b[at..at + a.len()].copy_from_slice(a);
        at += a.len();
    }
    b[at..at + 4].copy_from_slice(&0xFFFF_FFFFu32.to_le_bytes());
    le32(&mut b, 0x18, (at + 8) as u32);
    let usa = u16::from_le_bytes([b[4], b[5]]) as usize;
    let usn = [b[usa], b[usa + 1]];
    for i in 0..size / FIXUP_STRIDE {
        let end = (i + 1) * FIXUP_STRIDE - 2;
        let (x, y) = (b[end], b[end + 1]);
        b[usa + 2 + 2 * i] = x;
        b[usa + 3 + 2 * i] = y;
        b[end] = usn[0];
        b[end + 1] = usn[1];
    }
    b
}

fn list_entry(
    type_code: u32,
    first_vcn: u64,
    record: u64,
    sequence: u16,
    instance: u16,
) -> Vec<u8> {
    let mut e = vec![0u8; 0x20];
    le32(&mut e, 0, type_code);
    le16(&mut e, 4, 0x20);
    e[7] = 0x1A;
    le64(&mut e, 8, first_vcn);
    le64(&mut e, 0x10, record | (u64::from(sequence) << 48));
    le16(&mut e, 0x18, instance);
    e
}

fn paths(scan: &Scan) -> BTreeSet<String> {
    scan.files().flat_map(|e| scan.paths(e.record)).collect()
}

/// (original volume bytes, the same with the split $MFT, the byte offset of record EXT)
fn volumes() -> (Vec<u8>, Vec<u8>, usize) {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("images/basic-fixed.vhd");
    let o = container::open(&path, &OpenOptions::default()).unwrap();
    let mut orig = vec![0u8; o.volume.len() as usize];
    o.volume.read_at(0, &mut orig).unwrap();
    let vol = Volume::open(Arc::new(MemSource(orig.clone()))).unwrap();
    assert!(!vol.mft_has_attribute_list);
    let rs = vol.boot.file_record_size as usize;
    let rec0 = vol.read_record(0).unwrap().unwrap();
    let ext_seq = vol
        .read_record(EXT)
        .ok()
        .flatten()
        .map_or(1, |r| r.header.sequence);
    let attrs: Vec<_> = rec0.attributes().map(|a| a.unwrap()).collect();
    let data = attrs
        .iter()
        .find(|a| a.type_code == attribute::DATA)
        .unwrap();
    let Form::NonResident {
        runs,
        allocated_size,
        data_size,
        initialized_size,
        ..
    } = data.form
    else {
        panic!()
    };
    let runs = data_runs::decode(runs, 0, vol.total_clusters(), 0).unwrap();
    assert_eq!(runs.len(), 1, "the fixture's $MFT is one extent");
    let (lcn, len) = (runs[0].lcn.unwrap(), runs[0].length);
    let k = len / 2;
    let per_cluster = (vol.boot.cluster_size as usize / rs) as u64;
    assert!(
        EXT < k * per_cluster,
        "record {EXT} must lie in the first piece"
    );

    let raw =
        |a: &attribute::Attribute<'_>| rec0.bytes[a.offset..a.offset + a.length as usize].to_vec();
    let template = raw(data);
    let next_id = rec0.header.next_attribute_id;
    let first_piece = data_piece(
        &template,
        data.instance,
        0,
        k - 1,
        &run(k, lcn as i64),
        Some([allocated_size, data_size, initialized_size]),
    );
    let second_piece = data_piece(
        &template,
        0,
        k,
        len - 1,
        &run(len - k, (lcn + k) as i64),
        None,
    );

    // Record 0's attribute list: every attribute of record 0, plus the second $DATA piece.
    let seq0 = rec0.header.sequence;
    let mut list = Vec::new();
    for a in &attrs {
        list.extend(list_entry(a.type_code, 0, 0, seq0, a.instance));
        if a.type_code == attribute::DATA {
            list.extend(list_entry(attribute::DATA, k, EXT, ext_seq, 0));
        }
    }
    let mut al = vec![0u8; 0x18];
    le32(&mut al, 0, attribute::ATTRIBUTE_LIST);
    le16(&mut al, 0x0A, 0x18);
    le16(&mut al, 0x0E, next_id);
    le32(&mut al, 0x10, list.len() as u32);
    le16(&mut al, 0x14, 0x18);
    al.extend(list);
    while al.len() % 8 != 0 {
        al.push(0);
    }
    let al_len = al.len() as u32;
    le32(&mut al, 4, al_len);

    let first = rec0.header.first_attribute as usize;
    let mut header0 = rec0.bytes[..first].to_vec();
    le16(&mut header0, 0x28, next_id + 1);
    let mut new_attrs = Vec::new();
    for a in &attrs {
        match a.type_code {
            attribute::DATA => new_attrs.push(first_piece.clone()),
            attribute::FILE_NAME => {
                new_attrs.push(al.clone()); // type order: $STANDARD_INFORMATION, $ATTRIBUTE_LIST, $FILE_NAME
                new_attrs.push(raw(a));
            }
            _ => new_attrs.push(raw(a)),
        }
    }
    let new0 = build_record(&header0, rs, &new_attrs);

    let mut header_ext = header0.clone();
    le16(&mut header_ext, 0x10, ext_seq);
    le16(&mut header_ext, 0x12, 0);
    le16(&mut header_ext, 0x16, 1); // in use, not a directory
    le64(&mut header_ext, 0x20, u64::from(seq0) << 48); // base record 0
    le16(&mut header_ext, 0x28, 1);
    if first >= 0x30 {
        le32(&mut header_ext, 0x2C, EXT as u32);
    }
    let new_ext = build_record(&header_ext, rs, &[second_piece]);

    let mft = vol.boot.mft_offset().unwrap() as usize;
    let ext_at = mft + EXT as usize * rs;
    let mut split = orig.clone();
    split[mft..mft + rs].copy_from_slice(&new0);
    split[ext_at..ext_at + rs].copy_from_slice(&new_ext);
    // The records parse as built.
    assert!(FileRecord::parse(new0, 0, 0)
        .unwrap()
        .unwrap()
        .find(attribute::ATTRIBUTE_LIST, "")
        .is_some());
    (orig, split, ext_at)
}

#[test]
fn mft_split_across_an_attribute_list_reads_as_before() {
    let (orig, split, _) = volumes();
    let before = Scan::new(&Volume::open(Arc::new(MemSource(orig))).unwrap());
    let vol = Volume::open(Arc::new(MemSource(split))).unwrap();
    assert!(vol.mft_has_attribute_list);
    assert_eq!(
        vol.mft_runs.len(),
        2,
        "{:?} {:?}",
        vol.mft_runs,
        vol.warnings
    );
    assert!(vol.warnings.is_empty(), "{:?}", vol.warnings);
    let scan = Scan::new(&vol);
    assert_eq!(scan.record_slots, before.record_slots);
    assert!(scan.errors.is_empty(), "{:?}", scan.errors);
    assert_eq!(paths(&scan), paths(&before));
    // Record EXT is the $MFT's extension record, merged into it.
    assert_eq!(scan.entry(0).unwrap().extensions, vec![EXT]);
    assert_eq!(scan.entry(EXT).unwrap().base.map(|b| b.record), Some(0));
    assert_eq!(scan.paths(0), vec!["\\$MFT".to_string()]);
}

#[test]
fn without_its_extension_record_the_mft_ends_early_and_says_so() {
    let (orig, mut split, ext_at) = volumes();
    let rs = 1024;
    split[ext_at..ext_at + rs].fill(0);
    let before = Scan::new(&Volume::open(Arc::new(MemSource(orig))).unwrap());
    let vol = Volume::open(Arc::new(MemSource(split))).unwrap();
    assert!(
        vol.warnings
            .iter()
            .any(|w| w.contains(&format!("extension record {EXT}"))),
        "{:?}",
        vol.warnings
    );
    assert!(
        vol.warnings
            .iter()
            .any(|w| w.contains("larger than its extents")),
        "{:?}",
        vol.warnings
    );
    let scan = Scan::new(&vol);
    assert!(scan.record_slots < before.record_slots);
    let lost: Vec<String> = paths(&before).difference(&paths(&scan)).cloned().collect();
    assert!(!lost.is_empty());
    assert!(paths(&scan).is_subset(&paths(&before)));
}
