//! Damaged images: every case takes the bytes of a committed fixture volume
//! (`images/basic-dynamic.vhd`, read through our own VHD reader into memory), breaks one thing
//! the way a failing disk or an attacker would, and checks two things:
//!
//! 1. the damage is reported, naming the MFT record and the byte offset (inside the volume) an
//!    examiner should look at with a hex editor; and
//! 2. everything that was not damaged is still reported: the same paths as the undamaged scan,
//!    minus the damaged record's own.
//!
//! No damaged image is committed: each is made in memory and read through `MemSource` (the CLI
//! cases write theirs to a temporary directory). Without the fixture (a checkout without
//! `images/`), every test says so and returns.
//!
//! Record numbers and attribute positions are never hard-coded: they are looked up in the
//! undamaged scan by path, so a rebuilt fixture keeps the tests meaningful.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use ntfs_inspect::attribute::{self, Form};
use ntfs_inspect::container::{self, OpenOptions};
use ntfs_inspect::file_name::FileName;
use ntfs_inspect::record::FileRecord;
use ntfs_inspect::reparse;
use ntfs_inspect::resolve::Resolver;
use ntfs_inspect::scan::{Scan, ORPHAN_DIR};
use ntfs_inspect::source::MemSource;
use ntfs_inspect::volume::Volume;
use ntfs_inspect::Error;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{mpsc, Arc, OnceLock};
use std::time::Duration;

const FIXTURE: &str = "images/basic-dynamic.vhd";

/// The raw bytes of the fixture's NTFS volume, read once.
fn fixture_volume() -> Option<&'static [u8]> {
    static BYTES: OnceLock<Option<Vec<u8>>> = OnceLock::new();
    BYTES
        .get_or_init(|| {
            let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(FIXTURE);
            if !path.exists() {
                eprintln!(
                    "SKIPPED: {} is missing; the damage tests mutate it",
                    path.display()
                );
                return None;
            }
            let opened = container::open(&path, &OpenOptions::default()).unwrap();
            let mut v = vec![0u8; opened.volume.len() as usize];
            opened.volume.read_at(0, &mut v).unwrap();
            Some(v)
        })
        .as_deref()
}

/// Opens and scans `bytes`, failing the test if the scan does not end within a minute (a parent
/// cycle or a looping attribute list must never hang the tool).
fn scan_of(bytes: Vec<u8>) -> (Volume, Scan) {
    let vol = Volume::open(Arc::new(MemSource(bytes))).unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let scan = Scan::new(&vol);
        let _ = tx.send((vol, scan));
    });
    let (vol, scan) = rx
        .recv_timeout(Duration::from_secs(60))
        .expect("the scan did not end within 60 s: it hangs on this damage");
    // The streaming export path must report this damage exactly as the scan does.
    common::agree::assert_path_table_agrees(&vol, &scan, "damaged volume");
    (vol, scan)
}

/// Every path of every file in use, by record number.
fn all_paths(scan: &Scan) -> BTreeMap<u64, BTreeSet<String>> {
    scan.files()
        .map(|e| (e.record, scan.paths(e.record).into_iter().collect()))
        .collect()
}

/// The undamaged fixture: its bytes, scan and paths.
struct Base {
    bytes: &'static [u8],
    scan: Scan,
    paths: BTreeMap<u64, BTreeSet<String>>,
    record_size: usize,
}

fn base() -> Option<&'static Base> {
    static BASE: OnceLock<Option<Base>> = OnceLock::new();
    BASE.get_or_init(|| {
        let bytes = fixture_volume()?;
        let (vol, scan) = scan_of(bytes.to_vec());
        assert!(
            scan.errors.is_empty(),
            "the undamaged fixture has errors: {:?}",
            scan.errors
        );
        let paths = all_paths(&scan);
        Some(Base {
            bytes,
            record_size: vol.boot.file_record_size as usize,
            scan,
            paths,
        })
    })
    .as_ref()
}

impl Base {
    /// Record number and volume byte offset of `path`.
    fn record(&self, path: &str) -> (u64, usize) {
        let n = self
            .scan
            .lookup(path)
            .unwrap_or_else(|| panic!("{path} is not on the fixture"));
        (n, self.scan.entry(n).unwrap().offset as usize)
    }

    /// Record `n` of `bytes` parsed (fixups applied), for finding attribute positions.
    fn parse(&self, bytes: &[u8], n: u64, offset: usize) -> FileRecord {
        FileRecord::parse(
            bytes[offset..offset + self.record_size].to_vec(),
            n,
            offset as u64,
        )
        .unwrap()
        .unwrap()
    }

    /// The paths of the undamaged scan without those of `records`.
    fn paths_without(&self, records: &[u64]) -> BTreeMap<u64, BTreeSet<String>> {
        let mut p = self.paths.clone();
        for r in records {
            p.remove(r);
        }
        p
    }
}

/// Writes `value` at volume byte offset `at`, refusing the two bytes at the end of each 512-byte
/// stride of a record (those hold the update sequence number, not data: writing there would
/// make a torn record instead of the damage the test means).
fn poke(bytes: &mut [u8], record_offset: usize, at: usize, value: &[u8]) {
    for i in at..at + value.len() {
        let rel = i - record_offset;
        assert!(rel % 512 < 510, "byte {i:#x} is an update sequence slot");
    }
    bytes[at..at + value.len()].copy_from_slice(value);
}

/// Volume byte offset of the first attribute of `type_code` (and `name`) in a record.
fn attr_offset(rec: &FileRecord, type_code: u32, name: &str) -> usize {
    let a = rec.find(type_code, name).unwrap_or_else(|| {
        panic!(
            "no {} {name:?} in record {}",
            attribute::type_name(type_code),
            rec.number
        )
    });
    rec.offset as usize + a.offset
}

/// Volume byte offset of the resident value of the first attribute of `type_code`.
fn value_offset(rec: &FileRecord, type_code: u32) -> usize {
    match rec.find(type_code, "").unwrap().form {
        Form::Resident { value_offset, .. } => rec.offset as usize + value_offset as usize,
        Form::NonResident { .. } => panic!("not resident"),
    }
}

fn hex(n: usize) -> String {
    format!("{n:#x}")
}

/// The problems the scan recorded for record `n`, joined.
fn problems(scan: &Scan, n: u64) -> String {
    scan.entry(n)
        .unwrap_or_else(|| panic!("record {n} is no longer listed"))
        .problems
        .join("\n")
}

// ------------------------------------------------------------------------------------------
// Damage inside one record
// ------------------------------------------------------------------------------------------

/// A torn write: the last two bytes of the second sector of `\readme.txt`'s record no longer
/// match the update sequence number (the record was half written when power went). The record
/// is unreadable; the scan names it and the byte of the mismatch, and lists every other file.
#[test]
fn torn_fixup_in_one_record() {
    let Some(b) = base() else { return };
    let (n, off) = b.record("\\readme.txt");
    let mut bytes = b.bytes.to_vec();
    let torn = off + 1022;
    bytes[torn] ^= 0xFF;
    let (_, scan) = scan_of(bytes);
    assert_eq!(scan.errors.len(), 1, "{:?}", scan.errors);
    let e = &scan.errors[0];
    assert!(
        matches!(e, Error::Record { record, offset, .. } if *record == n && *offset == torn as u64),
        "{e:?}"
    );
    let msg = e.to_string();
    assert!(
        msg.contains(&format!("MFT record {n}"))
            && msg.contains(&hex(torn))
            && msg.contains("torn write"),
        "{msg}"
    );
    assert!(scan.entry(n).is_none());
    assert_eq!(all_paths(&scan), b.paths_without(&[n]));
}

/// An attribute whose length field is 0 (`\readme.txt`'s `$DATA`): the walk over the record's
/// attributes cannot go on past it. The record is still listed with the name that came before
/// the damage; the problem names the record and the byte offset of the length field.
#[test]
fn attribute_of_length_zero() {
    let Some(b) = base() else { return };
    let (n, off) = b.record("\\readme.txt");
    let mut bytes = b.bytes.to_vec();
    let rec = b.parse(&bytes, n, off);
    let at = attr_offset(&rec, attribute::DATA, "") + 4;
    poke(&mut bytes, off, at, &0u32.to_le_bytes());
    let (_, scan) = scan_of(bytes);
    assert!(scan.errors.is_empty(), "{:?}", scan.errors);
    let p = problems(&scan, n);
    assert!(
        p.contains(&format!("MFT record {n} (byte offset {})", hex(at)))
            && p.contains("length 0x0"),
        "{p}"
    );
    assert_eq!(
        scan.entry(n).unwrap().data_size,
        None,
        "the damaged $DATA must not be read"
    );
    // Nothing else changed, and the damaged record keeps its name (it came first).
    assert_eq!(all_paths(&scan), b.paths);
}

/// A `$FILE_NAME` whose name length (0x40 of the value) says 255 UTF-16 units, running past the
/// value and the record. The name is refused with the byte offset of the length field; the
/// record is still listed (it has no name left, so it has no path); every other path stays.
#[test]
fn file_name_length_past_the_record() {
    let Some(b) = base() else { return };
    let (n, off) = b.record("\\readme.txt");
    let mut bytes = b.bytes.to_vec();
    let rec = b.parse(&bytes, n, off);
    let at = value_offset(&rec, attribute::FILE_NAME) + 0x40;
    poke(&mut bytes, off, at, &[255]);
    let (_, scan) = scan_of(bytes);
    assert!(scan.errors.is_empty(), "{:?}", scan.errors);
    let p = problems(&scan, n);
    assert!(
        p.contains("$FILE_NAME")
            && p.contains(&hex(at))
            && p.contains("255 UTF-16 units runs past"),
        "{p}"
    );
    let e = scan.entry(n).unwrap();
    assert!(e.in_use && e.names.is_empty() && e.standard_information.is_some());
    assert!(scan.paths(n).is_empty());
    assert_eq!(
        all_paths(&scan)
            .into_iter()
            .filter(|(r, _)| *r != n)
            .collect::<BTreeMap<_, _>>(),
        b.paths_without(&[n])
    );
}

/// An attribute name offset (0x0A of the header) pointing outside the attribute: the named
/// stream `secret` of `\ads.txt`. The problem names the record and the offset field; the file
/// and its path stay, with the streams that came before the damage.
#[test]
fn attribute_name_offset_outside_the_attribute() {
    let Some(b) = base() else { return };
    let (n, off) = b.record("\\ads.txt");
    let mut bytes = b.bytes.to_vec();
    let rec = b.parse(&bytes, n, off);
    let at = attr_offset(&rec, attribute::DATA, "secret") + 0x0A;
    poke(&mut bytes, off, at, &0xFFF0u16.to_le_bytes());
    let (_, scan) = scan_of(bytes);
    assert!(scan.errors.is_empty(), "{:?}", scan.errors);
    let p = problems(&scan, n);
    assert!(
        p.contains(&format!("MFT record {n} (byte offset {})", hex(at)))
            && p.contains("outside the attribute"),
        "{p}"
    );
    let e = scan.entry(n).unwrap();
    assert_eq!(
        e.data_size,
        Some(12),
        "the unnamed $DATA came before the damage"
    );
    assert!(
        e.streams.iter().all(|s| s.name != "secret"),
        "{:?}",
        e.streams
    );
    assert_eq!(all_paths(&scan), b.paths);
}

/// A `$REPARSE_POINT` whose ReparseDataLength (value offset 4) is 0xFFFF, far more than the
/// attribute holds (`\links\abs-symlink`). The decoder refuses it naming the field and its
/// offset; the record is still listed, resolving it does not panic, and all paths stay.
#[test]
fn reparse_data_length_larger_than_the_attribute() {
    let Some(b) = base() else { return };
    let (n, off) = b.record("\\links\\abs-symlink");
    let mut bytes = b.bytes.to_vec();
    let rec = b.parse(&bytes, n, off);
    let at = value_offset(&rec, attribute::REPARSE_POINT) + 4;
    poke(&mut bytes, off, at, &0xFFFFu16.to_le_bytes());
    let (_, scan) = scan_of(bytes);
    assert!(scan.errors.is_empty(), "{:?}", scan.errors);
    let e = scan.entry(n).unwrap();
    let rp = reparse::decode(e.reparse.as_deref().unwrap());
    let err = rp.content.as_ref().unwrap_err();
    assert_eq!((err.field, err.offset), ("ReparseDataLength", 4), "{err}");
    assert!(
        err.to_string()
            .contains("ReparseDataLength at byte offset 0x4"),
        "{err}"
    );
    assert_eq!(
        rp.kind(),
        "symlink",
        "the tag still says what it was meant to be"
    );
    let resolver = Resolver::new(&scan, 'C');
    let _ = resolver.resolve(n);
    assert_eq!(all_paths(&scan), b.paths);
}

/// An extension record whose header no longer says it belongs to the file whose attribute list
/// names it: once pointing at itself, once at another file (`\notes-root.txt`'s record). The
/// names it holds are not merged into the wrong file; the base record reports the mismatch
/// naming both records and the extension's byte offset; the file keeps the rest of its links.
#[test]
fn attribute_list_names_a_record_that_is_not_its_extension() {
    let Some(b) = base() else { return };
    let (n, _) = b.record("\\many\\target.txt");
    let (other, _) = b.record("\\notes-root.txt");
    let ext = *b
        .scan
        .entry(n)
        .unwrap()
        .extensions
        .first()
        .expect("the fixture's target.txt has extension records");
    let ext_off = b.scan.entry(ext).unwrap().offset as usize;
    // The names the extension holds (the undamaged scan moved them into the base entry).
    let ext_rec = b.parse(b.bytes, ext, ext_off);
    let lost: BTreeSet<String> = ext_rec
        .attributes()
        .filter_map(|a| a.ok())
        .filter(|a| a.type_code == attribute::FILE_NAME)
        .map(|a| {
            b.scan
                .path_of(&FileName::parse(a.resident_value().unwrap(), 0).unwrap())
        })
        .collect();
    assert!(!lost.is_empty());
    for (label, new_base) in [("itself", ext), ("another file", other)] {
        let mut bytes = b.bytes.to_vec();
        let seq = b.scan.entry(new_base).unwrap().sequence;
        let reference = new_base | (u64::from(seq) << 48);
        poke(
            &mut bytes,
            ext_off,
            ext_off + 0x20,
            &reference.to_le_bytes(),
        );
        let (_, scan) = scan_of(bytes);
        assert!(scan.errors.is_empty(), "{label}: {:?}", scan.errors);
        let p = problems(&scan, n);
        assert!(
            p.contains(&format!("names record {ext}"))
                && p.contains(&format!("record {new_base} sequence {seq}"))
                && p.contains(&hex(ext_off)),
            "{label}: {p}"
        );
        let paths: BTreeSet<String> = scan.paths(n).into_iter().collect();
        let expected: BTreeSet<String> = b.paths[&n].difference(&lost).cloned().collect();
        assert_eq!(paths, expected, "{label}");
        // Every other file is unchanged (the other file does not gain the stray names).
        assert_eq!(
            all_paths(&scan)
                .into_iter()
                .filter(|(r, _)| *r != n)
                .collect::<BTreeMap<_, _>>(),
            b.paths_without(&[n]),
            "{label}"
        );
    }
}

/// Data runs that point past the end of the volume (`\big.bin`'s `$DATA`, LCN field set to
/// 0x7FFF clusters on a 1023-cluster volume). Decoding its runs fails naming the record and the
/// attribute's byte offset; the scan (which does not read file data) lists everything as before.
#[test]
fn data_runs_past_the_end_of_the_volume() {
    let Some(b) = base() else { return };
    let (n, off) = b.record("\\big.bin");
    let mut bytes = b.bytes.to_vec();
    let rec = b.parse(&bytes, n, off);
    let a = rec.find(attribute::DATA, "").unwrap();
    let Form::NonResident {
        runs_offset, runs, ..
    } = a.form
    else {
        panic!("big.bin is resident")
    };
    let head = runs[0];
    let (len_size, off_size) = ((head & 0x0F) as usize, (head >> 4) as usize);
    assert!(off_size >= 2, "run header {head:#x}");
    let lcn_at = off + runs_offset as usize + 1 + len_size;
    let mut lcn = vec![0u8; off_size];
    lcn[0] = 0xFF;
    lcn[1] = 0x7F;
    poke(&mut bytes, off, lcn_at, &lcn);
    let (vol, scan) = scan_of(bytes);
    assert!(scan.errors.is_empty(), "{:?}", scan.errors);
    let rec = vol.read_record(n).unwrap().unwrap();
    let a = rec.find(attribute::DATA, "").unwrap();
    let err = vol.runs_of(&rec, &a).unwrap_err();
    let attr_at = off + a.offset;
    assert!(
        matches!(err, Error::Record { record, offset, .. } if record == n && offset == attr_at as u64),
        "{err:?}"
    );
    assert!(err.to_string().contains("outside the volume"), "{err}");
    assert!(vol.attribute_value(&rec, &a).is_err());
    assert_eq!(scan.entry(n).unwrap().data_size, Some(40000));
    assert_eq!(all_paths(&scan), b.paths);
}

/// A parent cycle: `\docs` made the child of its own child `\docs\2024`. The scan ends; both
/// directories and everything below them end up under `\$OrphanFiles`; the rest of the volume
/// keeps its paths.
#[test]
fn parent_chain_that_cycles() {
    let Some(b) = base() else { return };
    let (docs, docs_off) = b.record("\\docs");
    let (y2024, _) = b.record("\\docs\\2024");
    let mut bytes = b.bytes.to_vec();
    let rec = b.parse(&bytes, docs, docs_off);
    let seq = b.scan.entry(y2024).unwrap().sequence;
    let at = value_offset(&rec, attribute::FILE_NAME);
    poke(
        &mut bytes,
        docs_off,
        at,
        &(y2024 | (u64::from(seq) << 48)).to_le_bytes(),
    );
    let (_, scan) = scan_of(bytes);
    assert!(scan.errors.is_empty(), "{:?}", scan.errors);
    let orphan = format!("\\{ORPHAN_DIR}\\");
    let got = all_paths(&scan);
    for (r, paths) in &b.paths {
        let before_under_docs: Vec<&String> =
            paths.iter().filter(|p| p.starts_with("\\docs")).collect();
        let now = &got[r];
        assert_eq!(now.len(), paths.len(), "record {r}: {now:?}");
        if before_under_docs.is_empty() {
            assert_eq!(
                now, paths,
                "record {r} is not under \\docs and must keep its paths"
            );
        } else {
            for p in now.iter().filter(|p| !paths.contains(*p)) {
                assert!(
                    p.starts_with(&orphan),
                    "record {r}: {p} should be an orphan"
                );
            }
        }
    }
    for r in [docs, y2024] {
        assert!(
            scan.paths(r).iter().all(|p| p.starts_with(&orphan)),
            "{:?}",
            scan.paths(r)
        );
        assert!(scan.dir_path(r).unwrap().starts_with(&orphan));
    }
}

// ------------------------------------------------------------------------------------------
// Damage to the volume as a whole
// ------------------------------------------------------------------------------------------

/// A truncated image: the copy stopped in the middle of the `$MFT`. Open warns that the image
/// is shorter than the boot sector says and that the `$MFT` is longer than the image; every
/// record from the cut to the end of the image is reported unreadable (record number and byte
/// offset); every record before it is listed as before.
#[test]
fn truncated_image() {
    let Some(b) = base() else { return };
    let vol = Volume::open(Arc::new(MemSource(b.bytes.to_vec()))).unwrap();
    let slots = vol.record_count();
    let cut_record = slots / 2;
    let cut_record_offset = vol.record_offset(cut_record).unwrap();
    let cut = cut_record_offset as usize + b.record_size / 2;
    let (vol, scan) = scan_of(b.bytes[..cut].to_vec());
    assert!(
        vol.warnings.iter().any(|w| w.contains("truncated")),
        "{:?}",
        vol.warnings
    );
    // The $MFT ran on past the end of the image: its size is capped to the image's length
    // (slots past it could never be read), with a warning.
    assert!(
        vol.warnings
            .iter()
            .any(|w| w.contains("larger than the source")),
        "{:?}",
        vol.warnings
    );
    let bad: Vec<u64> = scan
        .errors
        .iter()
        .map(|e| match e {
            Error::Record { record, offset, .. } => {
                assert_eq!(*offset, vol.record_offset(*record).unwrap(), "{e}");
                assert!(
                    e.to_string()
                        .contains(&format!("MFT record {record} (byte offset {offset:#x})")),
                    "{e}"
                );
                *record
            }
            e => panic!("not a record error: {e:?}"),
        })
        .collect();
    assert_eq!(bad.first(), Some(&cut_record), "{:?}", scan.errors);
    assert!(bad.iter().all(|&r| r >= cut_record));
    for e in b.scan.entries().iter().filter(|e| e.record < cut_record) {
        let now = scan
            .entry(e.record)
            .unwrap_or_else(|| panic!("record {} before the cut is lost", e.record));
        if !e.is_base() {
            // An extension record: its names were merged into its base, which may be lost.
            continue;
        }
        if e.extensions.iter().all(|&x| x < cut_record) {
            assert!(now.names == e.names, "record {}: names changed", e.record);
        } else {
            // Names held by extension records past the cut are gone; the rest stay, and the
            // base record says which extension it could not find.
            assert!(
                now.names.iter().all(|x| e.names.contains(x)),
                "record {}",
                e.record
            );
            assert!(
                now.names.len() < e.names.len() && !now.names.is_empty(),
                "record {}",
                e.record
            );
            let p = problems(&scan, e.record);
            assert!(
                p.contains("holds no record") || p.contains("$ATTRIBUTE_LIST at byte offset 0x"),
                "record {}: {p}",
                e.record
            );
        }
    }
    // Files before the cut whose directories are before the cut keep their paths.
    let got = all_paths(&scan);
    let mut kept = 0;
    for (r, paths) in b.paths.iter().filter(|(r, _)| **r < cut_record) {
        let dirs_before_cut = b
            .scan
            .entry(*r)
            .unwrap()
            .names
            .iter()
            .all(|x| x.parent.record < cut_record);
        let no_ext_past_cut = b
            .scan
            .entry(*r)
            .unwrap()
            .extensions
            .iter()
            .all(|&x| x < cut_record);
        if dirs_before_cut && no_ext_past_cut && *r != 5 {
            assert!(&got[r] == paths, "record {r}: {:?}", got[r]);
            kept += 1;
        }
    }
    assert!(kept > 10, "only {kept} records checked");
}

/// Cuts the image in half (the `$MFT` of the fixture lies in the first half): open warns, and
/// every record is still read; a file whose non-resident `$ATTRIBUTE_LIST` lay in the lost half
/// keeps the links its base record holds and reports the unreadable list.
#[test]
fn image_cut_in_half() {
    let Some(b) = base() else { return };
    let (vol, scan) = scan_of(b.bytes[..b.bytes.len() / 2].to_vec());
    assert!(
        vol.warnings.iter().any(|w| w.contains("truncated")),
        "{:?}",
        vol.warnings
    );
    assert!(scan.errors.is_empty(), "{:?}", scan.errors);
    let got = all_paths(&scan);
    assert_eq!(
        got.keys().collect::<Vec<_>>(),
        b.paths.keys().collect::<Vec<_>>()
    );
    let mut changed = 0;
    for (r, paths) in &b.paths {
        if &got[r] != paths {
            // Only a file whose non-resident $ATTRIBUTE_LIST lies past the cut loses links, and
            // it says so, naming the attribute's byte offset.
            changed += 1;
            assert!(got[r].is_subset(paths) && !got[r].is_empty(), "record {r}");
            let p = problems(&scan, *r);
            assert!(
                p.contains("$ATTRIBUTE_LIST at byte offset 0x") && p.contains("past the end"),
                "record {r}: {p}"
            );
        }
    }
    assert!(changed <= 1, "{changed} records changed");
}

/// A primary boot sector with 0 bytes per sector: the backup in the last sector is used, with a
/// warning that names the field's byte offset; the scan is complete.
#[test]
fn boot_sector_zero_bytes_per_sector_uses_backup() {
    let Some(b) = base() else { return };
    let mut bytes = b.bytes.to_vec();
    bytes[11..13].copy_from_slice(&[0, 0]);
    let (vol, scan) = scan_of(bytes);
    assert_eq!(vol.boot.offset, b.bytes.len() as u64 - 512);
    let w = vol.warnings.join("\n");
    assert!(
        w.contains("primary boot sector unusable")
            && w.contains("byte offset 0xb")
            && w.contains("bytes per sector is 0"),
        "{w}"
    );
    assert_eq!(all_paths(&scan), b.paths);
}

/// A primary boot sector with nonsense sectors per cluster (3, not a power of two): the backup
/// is used with a warning.
#[test]
fn boot_sector_nonsense_sectors_per_cluster_uses_backup() {
    let Some(b) = base() else { return };
    let mut bytes = b.bytes.to_vec();
    bytes[13] = 3;
    let (vol, scan) = scan_of(bytes);
    let w = vol.warnings.join("\n");
    assert!(
        w.contains("byte offset 0xd") && w.contains("sectors per cluster 3"),
        "{w}"
    );
    assert_eq!(all_paths(&scan), b.paths);
}

/// Both boot sectors damaged (primary: 0 bytes per sector; backup: sectors per cluster 0):
/// `Error::NotNtfs`, with a message that says what is wrong with the primary and that the
/// backup did not help.
#[test]
fn both_boot_sectors_damaged_is_not_ntfs() {
    let Some(b) = base() else { return };
    let mut bytes = b.bytes.to_vec();
    let back = bytes.len() - 512;
    bytes[11..13].copy_from_slice(&[0, 0]);
    bytes[back + 13] = 0;
    let err = Volume::open(Arc::new(MemSource(bytes)))
        .err()
        .expect("opened a volume with no valid boot sector");
    let msg = err.to_string();
    assert!(matches!(err, Error::NotNtfs(_)), "{err:?}");
    assert!(
        msg.contains("bytes per sector is 0") && msg.contains("no valid backup boot sector"),
        "{msg}"
    );
    assert_eq!(err.exit_code(), 4);
}

/// `$MFT` record 0 zeroed: there is no way to find the other records, so open fails cleanly
/// (no panic) saying which record, at which byte offset, and why. Garbage instead of zeros
/// fails the same way.
#[test]
fn mft_record_zero_destroyed() {
    let Some(b) = base() else { return };
    let (_, off) = b.record("#0");
    let mut bytes = b.bytes.to_vec();
    bytes[off..off + b.record_size].fill(0);
    let err = Volume::open(Arc::new(MemSource(bytes)))
        .err()
        .expect("opened a volume without $MFT record 0");
    let msg = err.to_string();
    assert!(matches!(err, Error::NotNtfs(_)), "{err:?}");
    assert!(
        msg.contains("$MFT record 0") && msg.contains(&hex(off)) && msg.contains("all zeros"),
        "{msg}"
    );

    let mut bytes = b.bytes.to_vec();
    bytes[off..off + 4].copy_from_slice(b"JUNK");
    let err = Volume::open(Arc::new(MemSource(bytes)))
        .err()
        .expect("opened a volume with a garbage record 0");
    let msg = err.to_string();
    assert!(
        matches!(err, Error::NotNtfs(_))
            && msg.contains("$MFT record 0 is unreadable")
            && msg.contains(&hex(off)),
        "{msg}"
    );
}

/// `$MFT` record 0 claiming a 1 TiB `$MFT` (data size, and one run of 2^28 clusters, with the
/// boot sector's sector count raised to match) in a 4 MiB image. The size is capped to what the
/// source can hold, with a warning, so the scan stays bounded by the image's size instead of
/// allocating for 2^30 record slots and reporting each one unreadable.
#[test]
fn mft_size_larger_than_the_image() {
    let Some(b) = base() else { return };
    let (_, off) = b.record("#0");
    let mut bytes = b.bytes.to_vec();
    let rec = b.parse(&bytes, 0, off);
    let a = rec.find(attribute::DATA, "").unwrap();
    let Form::NonResident { runs_offset, .. } = a.form else {
        panic!("$MFT $DATA is resident")
    };
    let claim: u64 = 1 << 40;
    let cs = 4096u64;
    for field in [0x28, 0x30, 0x38] {
        poke(
            &mut bytes,
            off,
            off + a.offset + field,
            &claim.to_le_bytes(),
        );
    }
    // VCNs 0..2^28-1 (last VCN at 0x18), one run: header 0x14, length 2^28, LCN +4 (the same
    // first cluster as before), end.
    poke(
        &mut bytes,
        off,
        off + a.offset + 0x18,
        &((claim / cs) - 1).to_le_bytes(),
    );
    let mft_lcn = b.bytes[0x30];
    let run = [0x14, 0, 0, 0, 0x10, mft_lcn, 0];
    poke(&mut bytes, off, off + runs_offset as usize, &run);
    bytes[0x28..0x30].copy_from_slice(&(claim * 2 / 512).to_le_bytes());
    let len = bytes.len() as u64;
    let (vol, scan) = scan_of(bytes);
    assert!(
        vol.mft_size <= len,
        "$MFT size {} for a {len}-byte image",
        vol.mft_size
    );
    let w = vol.warnings.join("\n");
    assert!(w.contains(&claim.to_string()), "{w}");
    assert!(scan.record_slots <= len / b.record_size as u64);
    // The records that are there are still read.
    let got = all_paths(&scan);
    assert_eq!(got.get(&5), b.paths.get(&5));
    assert!(scan.lookup("\\docs\\notes.txt").is_some());
}

// ------------------------------------------------------------------------------------------
// The command line on damaged images
// ------------------------------------------------------------------------------------------

fn tmpdir(name: &str) -> PathBuf {
    static N: AtomicU32 = AtomicU32::new(0);
    let d = std::env::temp_dir().join(format!(
        "ntfs-inspect-damage-{}-{}-{name}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    ));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

fn cli(args: &[&str]) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_ntfs-inspect"))
        .args(args)
        .output()
        .unwrap();
    let r = Run {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    };
    assert!(
        !r.stderr.contains("panicked"),
        "{args:?} panicked:\n{}",
        r.stderr
    );
    r
}

/// The CLI on a raw image with one torn record (`\big.bin`): every listing command succeeds (exit 0), warns
/// on stderr naming the record and byte offset, and still prints the other files.
#[test]
fn cli_on_a_torn_record() {
    let Some(b) = base() else { return };
    let (n, off) = b.record("\\big.bin");
    let mut bytes = b.bytes.to_vec();
    bytes[off + 510] ^= 0x55;
    let dir = tmpdir("torn");
    let img = dir.join("torn.raw");
    std::fs::write(&img, &bytes).unwrap();
    let img = img.to_str().unwrap();
    let warning = format!("MFT record {n} (byte offset {})", hex(off + 510));
    for args in [
        vec!["mft", img, "--format", "jsonl"],
        vec!["mft", img, "--format", "csv"],
        vec!["ls", img],
        vec!["links", img],
        vec!["info", img],
    ] {
        let r = cli(&args);
        assert_eq!(r.code, Some(0), "{args:?}: {}", r.stderr);
        assert!(
            r.stderr.contains(&warning),
            "{args:?} stderr does not name the record: {}",
            r.stderr
        );
        assert!(!r.stdout.contains("big.bin"), "{args:?}");
        match args[0] {
            "mft" => assert!(
                r.stdout.contains("readme.txt") && r.stdout.contains("notes-deep.txt"),
                "{args:?}"
            ),
            "ls" => assert!(
                r.stdout.contains("readme.txt") && r.stdout.contains("docs"),
                "{}",
                r.stdout
            ),
            "links" => assert!(
                r.stdout.contains("notes-deep.txt") && r.stdout.contains("abs-symlink"),
                "{}",
                r.stdout
            ),
            _ => assert!(r.stdout.contains("Damaged records:     1"), "{}", r.stdout),
        }
    }
    // Asking for the damaged file itself is a clean "not found".
    let r = cli(&["stat", img, "\\big.bin"]);
    assert_eq!(r.code, Some(2), "{}", r.stderr);
    assert!(r.stderr.contains(&warning));
    let _ = std::fs::remove_dir_all(&dir);
}

/// The CLI on an image whose two boot sectors are both broken: exit code 4 (`Error::NotNtfs`)
/// and one line saying why; on one with `$MFT` record 0 zeroed, the same; on an empty file and
/// a missing file, 4 and 3.
#[test]
fn cli_on_unreadable_volumes() {
    let Some(b) = base() else { return };
    let dir = tmpdir("unreadable");
    let mut both = b.bytes.to_vec();
    let back = both.len() - 512;
    both[11..13].copy_from_slice(&[0, 0]);
    both[back + 13] = 0;
    let mut rec0 = b.bytes.to_vec();
    let (_, off) = b.record("#0");
    rec0[off..off + b.record_size].fill(0);
    let cases: [(&str, Vec<u8>, i32, &str); 3] = [
        ("both-boot.raw", both, 4, "no valid backup boot sector"),
        ("rec0.raw", rec0, 4, "$MFT record 0"),
        ("empty.raw", Vec::new(), 4, "no NTFS volume"),
    ];
    for (name, bytes, code, says) in cases {
        let img = dir.join(name);
        std::fs::write(&img, &bytes).unwrap();
        for cmd in ["info", "ls", "mft"] {
            let r = cli(&[cmd, img.to_str().unwrap()]);
            assert_eq!(r.code, Some(code), "{name} {cmd}: {}", r.stderr);
            assert!(r.stderr.contains(says), "{name} {cmd}: {}", r.stderr);
            assert!(r.stdout.is_empty(), "{name} {cmd}: {}", r.stdout);
        }
    }
    let r = cli(&["info", dir.join("missing.raw").to_str().unwrap()]);
    assert_eq!(r.code, Some(3), "{}", r.stderr);
    let _ = std::fs::remove_dir_all(&dir);
}

/// The CLI on an image whose `\links\abs-symlink` has ReparseDataLength 0xFFFF: `reparse`
/// shows the error naming the field and its offset and still dumps the bytes (exit 0);
/// `reparse --raw` gives back the exact damaged value; `ls` marks the link malformed and lists
/// its siblings.
#[test]
fn cli_on_a_malformed_reparse_point() {
    let Some(b) = base() else { return };
    let (n, off) = b.record("\\links\\abs-symlink");
    let mut bytes = b.bytes.to_vec();
    let rec = b.parse(&bytes, n, off);
    let value_at = value_offset(&rec, attribute::REPARSE_POINT);
    let value_len = rec
        .find(attribute::REPARSE_POINT, "")
        .unwrap()
        .resident_value()
        .unwrap()
        .len();
    poke(&mut bytes, off, value_at + 4, &0xFFFFu16.to_le_bytes());
    let damaged_value = bytes[value_at..value_at + value_len].to_vec();
    let dir = tmpdir("reparse");
    let img = dir.join("reparse.raw");
    std::fs::write(&img, &bytes).unwrap();
    let img = img.to_str().unwrap();

    let r = cli(&["reparse", img, "\\links\\abs-symlink"]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert!(
        r.stdout.contains("ReparseDataLength at byte offset 0x4"),
        "{}",
        r.stdout
    );

    let out = Command::new(env!("CARGO_BIN_EXE_ntfs-inspect"))
        .args(["reparse", img, &format!("#{n}"), "--raw"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(out.stdout, damaged_value);

    let r = cli(&["ls", img, "\\links"]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert!(
        r.stdout.contains("malformed: ReparseDataLength"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("junction") && r.stdout.contains("rel-symlink"),
        "{}",
        r.stdout
    );
    let _ = std::fs::remove_dir_all(&dir);
}
