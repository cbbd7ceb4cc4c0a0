//! The three places a reparse point is recorded (the `$REPARSE_POINT` attribute, the tag in each
//! `$FILE_NAME`, the `$Extend\$Reparse:$R` index) agree on the fixtures; change the tag in one
//! attribute and both other places must be reported as disagreeing, naming the record.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use ntfs_inspect::attribute::{self, Form};
use ntfs_inspect::container::{self, OpenOptions};
use ntfs_inspect::resolve::{LinkReport, Resolver};
use ntfs_inspect::scan::Scan;
use ntfs_inspect::source::MemSource;
use ntfs_inspect::volume::Volume;
use std::sync::Arc;

fn volume_bytes(file: &str) -> Vec<u8> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("images")
        .join(file);
    let o = container::open(&path, &OpenOptions::default()).unwrap();
    let mut v = vec![0u8; o.volume.len() as usize];
    o.volume.read_at(0, &mut v).unwrap();
    v
}

fn report(bytes: Vec<u8>) -> (Scan, LinkReport) {
    let vol = Volume::open(Arc::new(MemSource(bytes))).unwrap();
    let scan = Scan::new(&vol);
    let r = {
        let resolver = Resolver::new(&scan, 'C');
        LinkReport::new(&vol, &scan, &resolver)
    };
    (scan, r)
}

#[test]
fn fixtures_agree() {
    let (_, r) = report(volume_bytes("reparse-dynamic.vhd"));
    assert_eq!(r.reparse_index_entries, Some(29));
    assert!(r.disagreements.is_empty(), "{:?}", r.disagreements);
}

#[test]
fn a_changed_tag_is_reported_against_the_index_and_the_file_name() {
    let mut bytes = volume_bytes("reparse-dynamic.vhd");
    let (scan, _) = report(bytes.clone());
    let n = scan.lookup("\\links\\abs-file").unwrap();
    // Find the resident $REPARSE_POINT value of that record and make its tag LX_SYMLINK.
    let vol = Volume::open(Arc::new(MemSource(bytes.clone()))).unwrap();
    let rec = vol.read_record(n).unwrap().unwrap();
    let a = rec.find(attribute::REPARSE_POINT, "").unwrap();
    let Form::Resident { value_offset, .. } = a.form else {
        panic!("resident expected")
    };
    let at = (rec.offset + u64::from(value_offset)) as usize;
    assert_eq!(&bytes[at..at + 4], &0xA000_000Cu32.to_le_bytes());
    bytes[at..at + 4].copy_from_slice(&0xA000_001Du32.to_le_bytes());
    // ntfs-3g leaves the record's own $FILE_NAME without the reparse flag (the index copy has
    // it); set the flag there with yet another tag so that that check fires too.
    let f = rec.find(attribute::FILE_NAME, "").unwrap();
    let Form::Resident { value_offset, .. } = f.form else {
        panic!("resident expected")
    };
    let fat = (rec.offset + u64::from(value_offset)) as usize;
    let attrs = u32::from_le_bytes(bytes[fat + 0x38..fat + 0x3C].try_into().unwrap()) | 0x400;
    bytes[fat + 0x38..fat + 0x3C].copy_from_slice(&attrs.to_le_bytes());
    bytes[fat + 0x3C..fat + 0x40].copy_from_slice(&0xA000_0003u32.to_le_bytes());
    let (_, r) = report(bytes);
    let mine: Vec<&str> = r
        .disagreements
        .iter()
        .filter(|d| d.record == n)
        .map(|d| d.message.as_str())
        .collect();
    assert!(
        mine.iter().any(|m| m.contains(
            "$FILE_NAME \"abs-file\" carries tag 0xa0000003, $REPARSE_POINT has 0xa000001d"
        )),
        "{mine:?}"
    );
    assert!(
        mine.iter().any(|m| m.contains("$R lists tag 0xa000000c")),
        "{mine:?}"
    );
    assert!(
        r.disagreements.iter().all(|d| d.record == n),
        "{:?}",
        r.disagreements
    );
}
