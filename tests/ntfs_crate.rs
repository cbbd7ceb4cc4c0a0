//! The `ntfs` crate as a second, independent reader: for every in-use record of every fixture
//! and real Windows volume, its sequence number, header link count, directory flag and
//! `$FILE_NAME`s (name, namespace, parent) must equal our scan's; and for every directory, its
//! `$I30` index (read by the `ntfs` crate) must list exactly the names our scan puts in it.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use ntfs::structured_values::{NtfsFileName, NtfsFileNamespace};
use ntfs::{Ntfs, NtfsAttributeType};
use ntfs_inspect::container::{self, OpenOptions};
use ntfs_inspect::scan::Scan;
use ntfs_inspect::source::Cursor;
use ntfs_inspect::volume::Volume;
use std::collections::BTreeSet;
use std::path::Path;

type NameKey = (String, u8, u64, u16);

fn check(path: &Path) -> usize {
    let opened = container::open(path, &OpenOptions::default()).unwrap();
    let vol = Volume::open(opened.volume.clone()).unwrap();
    let scan = Scan::new(&vol);
    let mut fs = Cursor::new(opened.volume.clone());
    let ntfs = Ntfs::new(&mut fs).unwrap();
    let mut checked = 0;
    for e in scan.files() {
        let f = ntfs.file(&mut fs, e.record).unwrap_or_else(|err| {
            panic!(
                "{}: ntfs crate cannot read record {}: {err}",
                path.display(),
                e.record
            )
        });
        let what = format!("{} record {}", path.display(), e.record);
        assert_eq!(f.sequence_number(), e.sequence, "{what}: sequence");
        assert_eq!(
            f.hard_link_count(),
            e.link_count,
            "{what}: header link count"
        );
        assert_eq!(f.is_directory(), e.directory, "{what}: directory flag");
        let mut theirs: Vec<NameKey> = Vec::new();
        let mut attrs = f.attributes();
        while let Some(item) = attrs.next(&mut fs) {
            let item = item.unwrap();
            let a = item.to_attribute().unwrap();
            if a.ty().unwrap() == NtfsAttributeType::FileName {
                let n: NtfsFileName = a.structured_value(&mut fs).unwrap();
                let p = n.parent_directory_reference();
                theirs.push((
                    n.name().to_string_lossy(),
                    n.namespace() as u8,
                    p.file_record_number(),
                    p.sequence_number(),
                ));
            }
        }
        let ns = |n: ntfs_inspect::file_name::Namespace| match n {
            ntfs_inspect::file_name::Namespace::Posix => NtfsFileNamespace::Posix as u8,
            ntfs_inspect::file_name::Namespace::Win32 => NtfsFileNamespace::Win32 as u8,
            ntfs_inspect::file_name::Namespace::Dos => NtfsFileNamespace::Dos as u8,
            ntfs_inspect::file_name::Namespace::Win32AndDos => NtfsFileNamespace::Win32AndDos as u8,
        };
        let mut ours: Vec<NameKey> = e
            .names
            .iter()
            .map(|n| {
                (
                    n.name.clone(),
                    ns(n.namespace),
                    n.parent.record,
                    n.parent.sequence,
                )
            })
            .collect();
        theirs.sort();
        ours.sort();
        assert_eq!(ours, theirs, "{what}: $FILE_NAMEs");
        if e.directory {
            let index = f.directory_index(&mut fs).unwrap();
            let mut entries = index.entries();
            let mut listed: BTreeSet<(String, u64)> = BTreeSet::new();
            while let Some(entry) = entries.next(&mut fs) {
                let entry = entry.unwrap();
                let key = entry.key().unwrap().unwrap();
                let r = entry.file_reference().file_record_number();
                if r != e.record {
                    listed.insert((key.name().to_string_lossy(), r));
                }
            }
            let ours: BTreeSet<(String, u64)> = scan
                .list_dir(e.record)
                .iter()
                .map(|(c, n)| (n.name.clone(), c.record))
                .collect();
            assert_eq!(ours, listed, "{what}: directory listing vs $I30 index");
        }
        checked += 1;
    }
    checked
}

#[test]
fn committed_fixtures_agree_with_the_ntfs_crate() {
    let fixtures = common::fixtures::committed();
    assert!(!fixtures.is_empty(), "no fixtures under images/");
    for f in fixtures {
        let n = check(&f);
        assert!(n > 16, "{}: only {n} records checked", f.display());
    }
}

#[test]
fn windows_images_agree_with_the_ntfs_crate() {
    for w in common::fixtures::windows_images() {
        let n = check(&w.path);
        assert!(n > 16, "{}: only {n} records checked", w.path.display());
    }
}
