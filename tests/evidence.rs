//! Evidence handling: running the tool must never change the image it reads.
//!
//! Every committed fixture under `images/` (VHD and VHDX) is hashed with SHA-256 (and its size
//! and modification time noted) before and after every CLI command runs on it: `info`, `ls`,
//! `stat`, `mft` in every format, `links` in every format and `reparse --raw` on each reparse
//! point. The hashes must be equal. A second test opens a copy whose permission bits are 0444:
//! opening read-only must work there (as root the bits are not enforced, so this shows that no
//! write access is asked for only on non-root runs; the hash test is the check that counts).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use ntfs_inspect::container::{self, OpenOptions};
use ntfs_inspect::source::{FileSource, ReadAt};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::SystemTime;

/// The committed container fixtures.
fn fixtures() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("images");
    let mut v: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map(|rd| rd.filter_map(|e| e.ok()).map(|e| e.path()).collect())
        .unwrap_or_default();
    v.retain(|p| matches!(p.extension().and_then(|e| e.to_str()), Some("vhd" | "vhdx")));
    v.sort();
    v
}

/// SHA-256, size and modification time of a file.
fn fingerprint(p: &Path) -> (String, u64, SystemTime) {
    let bytes = std::fs::read(p).unwrap();
    let hash = Sha256::digest(&bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let meta = std::fs::metadata(p).unwrap();
    (hash, meta.len(), meta.modified().unwrap())
}

/// Runs the CLI; returns exit code and stdout. A panic message on stderr fails the test.
fn cli(args: &[&str]) -> (Option<i32>, Vec<u8>) {
    let out = Command::new(env!("CARGO_BIN_EXE_ntfs-inspect"))
        .args(args)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
    (out.status.code(), out.stdout)
}

/// Record numbers of every reparse point `links --format jsonl` reports.
fn reparse_records(img: &str) -> Vec<u64> {
    let (_, out) = cli(&["links", img, "--format", "jsonl"]);
    String::from_utf8_lossy(&out)
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|v| v["type"] != "hard_link")
        .filter_map(|v| v["link"]["record"].as_u64())
        .collect()
}

#[test]
fn no_command_changes_the_image() {
    let images = fixtures();
    if images.is_empty() {
        eprintln!("SKIPPED: no images/*.vhd or *.vhdx in this checkout");
        return;
    }
    for img in &images {
        let before = fingerprint(img);
        let p = img.to_str().unwrap();
        let mut commands: Vec<Vec<String>> = vec![
            vec!["info".into()],
            vec!["ls".into()],
            vec!["ls".into(), "\\".into()],
            vec!["stat".into(), "\\".into()],
            vec!["stat".into(), "#0".into()],
        ];
        for f in ["jsonl", "json", "csv", "bodyfile"] {
            commands.push(vec!["mft".into(), "--format".into(), f.into()]);
            commands.push(vec![
                "mft".into(),
                "--format".into(),
                f.into(),
                "--deleted".into(),
            ]);
        }
        for f in ["text", "json", "jsonl"] {
            commands.push(vec!["links".into(), "--format".into(), f.into()]);
        }
        let rps = reparse_records(p);
        for n in &rps {
            commands.push(vec!["reparse".into(), format!("#{n}"), "--raw".into()]);
            commands.push(vec!["reparse".into(), format!("#{n}")]);
            commands.push(vec!["stat".into(), format!("#{n}")]);
        }
        for c in &commands {
            let mut args: Vec<&str> = vec![c[0].as_str(), p];
            args.extend(c[1..].iter().map(String::as_str));
            let (code, _) = cli(&args);
            assert_eq!(code, Some(0), "{args:?}");
        }
        let after = fingerprint(img);
        assert_eq!(
            before,
            after,
            "{} changed after {} commands",
            img.display(),
            commands.len()
        );
        eprintln!(
            "{}: unchanged after {} commands ({} reparse points)",
            img.display(),
            commands.len(),
            rps.len()
        );
    }
}

#[test]
fn a_read_only_copy_opens() {
    let Some(img) = fixtures().into_iter().next() else {
        eprintln!("SKIPPED: no images/*.vhd or *.vhdx in this checkout");
        return;
    };
    let dir = std::env::temp_dir().join(format!("ntfs-inspect-evidence-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let copy = dir.join(img.file_name().unwrap());
    std::fs::copy(&img, &copy).unwrap();
    let mut perm = std::fs::metadata(&copy).unwrap().permissions();
    perm.set_readonly(true);
    std::fs::set_permissions(&copy, perm).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&copy, std::fs::Permissions::from_mode(0o444)).unwrap();
        assert_eq!(
            std::fs::metadata(&copy).unwrap().permissions().mode() & 0o777,
            0o444
        );
    }
    let before = fingerprint(&copy);
    let src = FileSource::open(&copy).unwrap();
    let mut head = [0u8; 512];
    src.read_at(0, &mut head).unwrap();
    assert_eq!(src.len(), before.1);
    drop(src);
    let opened = container::open(&copy, &OpenOptions::default()).unwrap();
    assert!(!opened.volume.is_empty());
    drop(opened);
    let (code, out) = cli(&["info", copy.to_str().unwrap()]);
    assert_eq!(code, Some(0));
    assert!(String::from_utf8_lossy(&out).contains("NTFS version"));
    assert_eq!(fingerprint(&copy), before);
    let mut perm = std::fs::metadata(&copy).unwrap().permissions();
    #[allow(clippy::permissions_set_readonly_false)]
    perm.set_readonly(false);
    let _ = std::fs::set_permissions(&copy, perm);
    let _ = std::fs::remove_dir_all(&dir);
}
