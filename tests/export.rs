//! The CSV and bodyfile exports, run through the built binary on a fixture volume and checked
//! against the JSONL export, `mactime` and `fls` (The Sleuth Kit).
//!
//! Fixture: `images/basic-dynamic.vhd` (with `images/oracle/basic/fls.txt`) when it exists;
//! otherwise, when running as root with mkntfs and ntfs-3g, a small volume made here; otherwise
//! the tests print why and pass without checking.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

const BIN: &str = env!("CARGO_BIN_EXE_ntfs-inspect");

struct Fixture {
    image: PathBuf,
    /// `fls -r -p` output for the same volume, when we have it.
    fls: Option<String>,
}

fn have(tool: &str) -> bool {
    Command::new("sh")
        .arg("-c")
        .arg(format!("command -v {tool}"))
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

fn run(cmd: &mut Command) -> bool {
    cmd.output().map(|o| o.status.success()).unwrap_or(false)
}

/// Builds a small NTFS volume: hard links across directories, an ADS, a deleted file.
fn build_volume(dir: &Path) -> Option<PathBuf> {
    let img = dir.join("export.raw");
    let mnt = dir.join("mnt");
    std::fs::create_dir_all(&mnt).ok()?;
    std::fs::File::create(&img).ok()?.set_len(8 << 20).ok()?;
    if !run(Command::new("mkntfs").args(["-F", "-f", "-q"]).arg(&img)) {
        return None;
    }
    if !run(Command::new("ntfs-3g")
        .arg("-o")
        .arg("streams_interface=xattr")
        .arg(&img)
        .arg(&mnt))
    {
        return None;
    }
    let fill = || -> std::io::Result<()> {
        std::fs::write(mnt.join("readme.txt"), b"hello")?;
        std::fs::create_dir_all(mnt.join("docs/sub"))?;
        std::fs::write(mnt.join("docs/notes.txt"), b"notes")?;
        std::fs::hard_link(mnt.join("docs/notes.txt"), mnt.join("docs/notes-link.txt"))?;
        std::fs::hard_link(
            mnt.join("docs/notes.txt"),
            mnt.join("docs/sub/notes-deep.txt"),
        )?;
        std::fs::hard_link(mnt.join("docs/notes.txt"), mnt.join("notes-root.txt"))?;
        std::fs::write(mnt.join("ads.txt"), b"main")?;
        std::fs::write(mnt.join("deleted.txt"), vec![b'd'; 6000])?;
        Ok(())
    };
    let filled = fill();
    let _ = Command::new("setfattr")
        .args(["-n", "user.secret", "-v", "stream"])
        .arg(mnt.join("ads.txt"))
        .output();
    let _ = std::fs::remove_file(mnt.join("deleted.txt"));
    let _ = Command::new("sync").output();
    let unmounted = run(Command::new("umount").arg(&mnt));
    (filled.is_ok() && unmounted).then_some(img)
}

fn fixture() -> Option<&'static Fixture> {
    static F: OnceLock<Option<Fixture>> = OnceLock::new();
    F.get_or_init(|| {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let vhd = root.join("images/basic-dynamic.vhd");
        if vhd.exists() {
            let fls = std::fs::read_to_string(root.join("images/oracle/basic/fls.txt")).ok();
            return Some(Fixture { image: vhd, fls });
        }
        if !(is_root() && have("mkntfs") && have("ntfs-3g")) {
            eprintln!("skipped: no images/basic-dynamic.vhd, and cannot build a volume (needs root, mkntfs, ntfs-3g)");
            return None;
        }
        let dir = std::env::temp_dir().join(format!("ntfs-inspect-export-{}", std::process::id()));
        let Some(img) = build_volume(&dir) else {
            eprintln!("skipped: could not build an NTFS volume with mkntfs/ntfs-3g in {}", dir.display());
            return None;
        };
        let fls = if have("fls") {
            Command::new("fls").args(["-r", "-p"]).arg(&img).output().ok().filter(|o| o.status.success()).map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        } else {
            None
        };
        Some(Fixture { image: img, fls })
    })
    .as_ref()
}

fn mft(f: &Fixture, format: &str, deleted: bool) -> String {
    let mut c = Command::new(BIN);
    c.arg("mft").arg(&f.image).args(["--format", format]);
    if deleted {
        c.arg("--deleted");
    }
    let o = c.output().unwrap();
    assert!(
        o.status.success(),
        "mft --format {format} failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout).unwrap()
}

fn jsonl(f: &Fixture, deleted: bool) -> Vec<Value> {
    mft(f, "jsonl", deleted)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// The CSV as header + rows of column name → value.
fn csv_rows(text: &str) -> (Vec<String>, Vec<BTreeMap<String, String>>) {
    let mut r = csv::Reader::from_reader(text.as_bytes());
    let header: Vec<String> = r.headers().unwrap().iter().map(str::to_string).collect();
    let rows = r
        .records()
        .map(|rec| {
            header
                .iter()
                .cloned()
                .zip(rec.unwrap().iter().map(str::to_string))
                .collect()
        })
        .collect();
    (header, rows)
}

const EXPECTED_COLUMNS: [&str; 32] = [
    "EntryNumber",
    "SequenceNumber",
    "InUse",
    "ParentEntryNumber",
    "ParentSequenceNumber",
    "ParentPath",
    "FileName",
    "Extension",
    "FileSize",
    "ReferenceCount",
    "ReparseTarget",
    "IsDirectory",
    "HasAds",
    "IsAds",
    "SiFlags",
    "NameType",
    "Created0x10",
    "Created0x30",
    "LastModified0x10",
    "LastModified0x30",
    "LastRecordChange0x10",
    "LastRecordChange0x30",
    "LastAccess0x10",
    "LastAccess0x30",
    "HardLinkCount",
    "FullPath",
    "ReparseTag",
    "ReparseTagValue",
    "SymlinkRelative",
    "TargetStatus",
    "TargetPath",
    "DosName",
];

#[test]
fn csv_has_one_row_per_hard_link_and_agrees_with_jsonl() {
    let Some(f) = fixture() else { return };
    let (header, rows) = csv_rows(&mft(f, "csv", false));
    assert_eq!(header, EXPECTED_COLUMNS);
    let json = jsonl(f, false);
    let mut by_record: BTreeMap<u64, Vec<&BTreeMap<String, String>>> = BTreeMap::new();
    for r in &rows {
        by_record
            .entry(r["EntryNumber"].parse().unwrap())
            .or_default()
            .push(r);
        assert_eq!(r["IsAds"], "False");
        assert_eq!(
            r["InUse"], "True",
            "a row of a deleted record without --deleted: {r:?}"
        );
    }
    assert_eq!(
        by_record.len(),
        json.len(),
        "one record in the CSV per JSONL object"
    );
    let mut multi = 0;
    for o in &json {
        let rec = o["record"].as_u64().unwrap();
        let mine = &by_record[&rec];
        let links = o["hard_links"].as_u64().unwrap() as usize;
        assert_eq!(mine.len(), links.max(1), "record {rec}: rows per hard link");
        for r in mine {
            assert_eq!(
                r["ReferenceCount"],
                o["link_count"].to_string(),
                "record {rec}: header link count"
            );
            assert_eq!(
                r["HardLinkCount"],
                links.to_string(),
                "record {rec}: true link count"
            );
            assert_eq!(r["SequenceNumber"], o["sequence"].to_string());
            assert_eq!(
                r["IsDirectory"],
                if o["directory"].as_bool().unwrap() {
                    "True"
                } else {
                    "False"
                }
            );
        }
        let csv_paths: BTreeSet<&str> = mine
            .iter()
            .map(|r| r["FullPath"].as_str())
            .filter(|p| !p.is_empty())
            .collect();
        let json_paths: BTreeSet<&str> = o["paths"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p.as_str().unwrap())
            .collect();
        assert_eq!(
            csv_paths, json_paths,
            "record {rec}: FullPath vs JSONL paths"
        );
        // Each row's $FN times and name type are those of its own $FILE_NAME.
        for r in mine.iter().filter(|r| !r["FileName"].is_empty()) {
            let n = o["names"]
                .as_array()
                .unwrap()
                .iter()
                .find(|n| {
                    n["name"] == r["FileName"].as_str()
                        && n["parent"].as_u64() == r["ParentEntryNumber"].parse().ok()
                        && n["namespace"] != "dos"
                })
                .unwrap_or_else(|| panic!("record {rec}: no $FILE_NAME for row {r:?}"));
            assert_eq!(r["Created0x30"], n["times"]["created"].as_str().unwrap());
            assert_eq!(
                r["LastRecordChange0x30"],
                n["times"]["mft_modified"].as_str().unwrap()
            );
            if rec != 5 {
                let parent = r["FullPath"]
                    .rsplit_once('\\')
                    .map(|(p, _)| if p.is_empty() { "\\" } else { p })
                    .unwrap();
                assert_eq!(r["ParentPath"], parent);
            }
        }
        if let Some(si) = o["si_times"].as_object() {
            for r in mine {
                assert_eq!(r["Created0x10"], si["created"].as_str().unwrap());
                assert_eq!(r["LastAccess0x10"], si["accessed"].as_str().unwrap());
            }
        }
        if links > 1 && !o["directory"].as_bool().unwrap() {
            multi += 1;
            let names: BTreeSet<&str> = mine.iter().map(|r| r["FileName"].as_str()).collect();
            assert!(
                names.len() > 1
                    || mine
                        .iter()
                        .map(|r| &r["ParentEntryNumber"])
                        .collect::<BTreeSet<_>>()
                        .len()
                        > 1
            );
        }
    }
    assert!(multi > 0, "the fixture has no multiply-linked file");
    // A Win32 name with a DOS name: the header counts both, HardLinkCount only the link.
    for o in &json {
        let names = o["names"].as_array().unwrap();
        if let Some(dos) = names.iter().find(|n| n["namespace"] == "dos") {
            let rec = o["record"].as_u64().unwrap();
            let r = by_record[&rec][0];
            assert_eq!(r["DosName"], dos["name"].as_str().unwrap(), "record {rec}");
            assert_eq!(
                r["HardLinkCount"],
                (names.len() - 1).to_string(),
                "record {rec}"
            );
        }
    }
}

/// The bodyfile's lines: (name, inode, mode, size, times).
fn body_lines(text: &str) -> Vec<Vec<String>> {
    text.lines()
        .map(|l| {
            let f: Vec<String> = l.split('|').map(str::to_string).collect();
            assert_eq!(f.len(), 11, "bodyfile line has 11 fields: {l}");
            assert_eq!(f[0], "0");
            for t in &f[7..11] {
                t.parse::<i64>()
                    .unwrap_or_else(|_| panic!("time is not integer seconds: {l}"));
            }
            f
        })
        .collect()
}

#[test]
fn bodyfile_has_si_and_fn_lines_per_path_and_mactime_reads_it() {
    let Some(f) = fixture() else { return };
    let body = mft(f, "bodyfile", false);
    let lines = body_lines(&body);
    let json = jsonl(f, false);
    let names: BTreeSet<&str> = lines.iter().map(|l| l[1].as_str()).collect();
    for o in &json {
        let rec = o["record"].as_u64().unwrap();
        for p in o["paths"].as_array().unwrap() {
            let p = p.as_str().unwrap().replace('\\', "/");
            assert!(
                names.contains(p.as_str()),
                "record {rec}: no $STANDARD_INFORMATION line for {p}"
            );
            let fnl = if p == "/" {
                "/ ($FILE_NAME)".to_string()
            } else {
                format!("{p} ($FILE_NAME)")
            };
            assert!(
                names.contains(fnl.as_str()),
                "record {rec}: no $FILE_NAME line for {p}"
            );
        }
    }
    for l in &lines {
        let rec: u64 = l[2].split('-').next().unwrap().parse().unwrap();
        assert!(
            l[3].starts_with("r/r") || l[3].starts_with("d/d"),
            "mode {}",
            l[3]
        );
        assert_eq!(l[3].len(), 12);
        assert!(
            json.iter().any(|o| o["record"] == rec),
            "line for a record not exported: {l:?}"
        );
    }
    if !have("mactime") {
        eprintln!("skipped the mactime check: mactime (sleuthkit) is not installed");
        return;
    }
    let dir = std::env::temp_dir().join(format!("ntfs-inspect-body-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("body.txt");
    std::fs::write(&file, &body).unwrap();
    let o = Command::new("mactime")
        .arg("-b")
        .arg(&file)
        .arg("-d")
        .env("TZ", "UTC")
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "mactime failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.starts_with("Date,Size,Type,Mode,UID,GID,Meta,File Name"),
        "{out}"
    );
    // Every multiply-linked file's paths show up in the timeline.
    let mut checked = 0;
    for o in json
        .iter()
        .filter(|o| o["hard_links"].as_u64().unwrap() > 1)
    {
        for p in o["paths"].as_array().unwrap() {
            let p = p.as_str().unwrap().replace('\\', "/");
            assert!(
                out.contains(&format!("\"{p}\"")),
                "mactime output lacks {p}"
            );
            checked += 1;
        }
    }
    assert!(checked > 0);
    let _ = std::fs::remove_dir_all(&dir);
}

/// (record, path) of the named entries `fls -r -p` lists, allocated ones or (`deleted`) the
/// deleted ones (`*`), leaving out names whose record was taken again (`realloc`), the
/// volume's own line (`V/V`), its `$OrphanFiles` (records it could not place) and streams.
fn fls_entries(fls: &str, deleted: bool) -> BTreeSet<(u64, String)> {
    fls.lines()
        .filter_map(common::oracle::parse_fls_line)
        .filter(|e| e.deleted == deleted && !e.realloc && !e.is_virtual() && e.stream.is_none())
        .map(|e| (e.record, format!("/{}", e.path)))
        .collect()
}

#[test]
fn bodyfile_names_and_inodes_match_fls() {
    let Some(f) = fixture() else { return };
    let Some(fls) = &f.fls else {
        eprintln!(
            "skipped: no fls output for {} (no images/oracle/basic/fls.txt, fls not installed)",
            f.image.display()
        );
        return;
    };
    let theirs = fls_entries(fls, false);
    assert!(!theirs.is_empty());
    let lines = body_lines(&mft(f, "bodyfile", false));
    let ours: BTreeSet<(u64, String)> = lines
        .iter()
        .filter(|l| !l[1].ends_with(" ($FILE_NAME)"))
        .map(|l| {
            (
                l[2].split('-').next().unwrap().parse().unwrap(),
                l[1].clone(),
            )
        })
        .collect();
    // Everything fls lists (but streams) is in the bodyfile, with the same record number.
    let missing: Vec<_> = theirs.difference(&ours).collect();
    assert!(
        missing.is_empty(),
        "fls lists what the bodyfile lacks: {missing:?}"
    );
    // Every user file in the bodyfile is in fls (system files differ: fls lists some only by
    // their streams, and lists no record without a name).
    let extra: Vec<_> = ours
        .iter()
        .filter(|(rec, p)| *rec >= 16 && p != "/" && !p.starts_with("/$"))
        .filter(|e| !theirs.contains(*e))
        .collect();
    assert!(
        extra.is_empty(),
        "the bodyfile has what fls does not list: {extra:?}"
    );
    // The $FILE_NAME lines carry the same record numbers.
    for l in lines.iter().filter(|l| l[1].ends_with(" ($FILE_NAME)")) {
        assert!(l[2].ends_with("-48"), "{l:?}");
    }
}

#[test]
fn deleted_paths_match_fls() {
    let Some(f) = fixture() else { return };
    let Some(fls) = &f.fls else {
        eprintln!("skipped: no fls output for {}", f.image.display());
        return;
    };
    let theirs = fls_entries(fls, true);
    if theirs.is_empty() {
        eprintln!(
            "skipped: fls lists no deleted name in {}",
            f.image.display()
        );
        return;
    }
    // Our bodyfile with --deleted: the record's own lines (not its $FILE_NAME lines) that are
    // marked deleted, with the mark taken off.
    let ours: BTreeSet<(u64, String)> = body_lines(&mft(f, "bodyfile", true))
        .iter()
        .filter(|l| !l[1].contains(" ($FILE_NAME)"))
        .filter_map(|l| {
            let path = l[1].strip_suffix(" (deleted)")?;
            Some((l[2].split('-').next()?.parse().ok()?, path.to_string()))
        })
        .collect();
    // The same deleted records under the same paths: fls finds them through their parent
    // directory (its index's slack, or the records naming it), we from the records.
    assert_eq!(ours, theirs);
}

#[test]
fn deleted_records_are_marked() {
    let Some(f) = fixture() else { return };
    let json = jsonl(f, true);
    let deleted: Vec<&Value> = json.iter().filter(|o| o["in_use"] == false).collect();
    if deleted.is_empty() {
        eprintln!("skipped: {} holds no deleted record", f.image.display());
        return;
    }
    let (_, rows) = csv_rows(&mft(f, "csv", true));
    let (_, plain) = csv_rows(&mft(f, "csv", false));
    assert!(plain.iter().all(|r| r["InUse"] == "True"));
    let body = mft(f, "bodyfile", true);
    let lines = body_lines(&body);
    for o in &deleted {
        let rec = o["record"].as_u64().unwrap();
        let mine: Vec<_> = rows
            .iter()
            .filter(|r| r["EntryNumber"] == rec.to_string())
            .collect();
        assert!(!mine.is_empty(), "deleted record {rec} has no CSV row");
        assert!(mine.iter().all(|r| r["InUse"] == "False"), "record {rec}");
        let bl: Vec<_> = lines
            .iter()
            .filter(|l| l[2].split('-').next() == Some(&rec.to_string()))
            .collect();
        assert!(!bl.is_empty(), "deleted record {rec} has no bodyfile line");
        for l in bl {
            assert!(l[1].ends_with(" (deleted)"), "{l:?}");
            assert!(l[3].starts_with("-/"), "{l:?}");
        }
    }
    // In-use rows are the same with and without --deleted.
    assert_eq!(
        rows.iter().filter(|r| r["InUse"] == "True").count(),
        plain.len()
    );
}
