//! What the CLI prints for the committed fixtures, as reviewed `insta` snapshots, plus the
//! facts in that output checked against the fixtures' manifest (images/MANIFEST.md) and the
//! oracles' recorded answers. Snapshots are the same on Linux and Windows: relative paths, `\n`
//! line endings, no colour when stdout is not a terminal.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Command;

/// Runs the CLI in the repository root and returns (exit code, stdout, stderr).
fn run(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_ntfs-inspect"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).replace("\r\n", "\n"),
        String::from_utf8_lossy(&out.stderr).replace("\r\n", "\n"),
    )
}

fn ok(args: &[&str]) -> String {
    let (code, out, err) = run(args);
    assert_eq!(code, 0, "{args:?} failed: {err}");
    assert!(!err.contains("panicked"), "{err}");
    out
}

const BASIC: &str = "images/basic-dynamic.vhd";
const REPARSE: &str = "images/reparse-dynamic.vhd";

#[test]
fn info_basic() {
    let out = ok(&["info", BASIC]);
    assert!(out.contains("Volume label:        BASIC"));
    assert!(out.contains("Serial number:       0123456789ABCDEF"));
    insta::assert_snapshot!(out);
}

#[test]
fn info_mbr_disk_picks_the_ntfs_partition() {
    let out = ok(&["info", "images/mbr-disk.vhd"]);
    assert!(out.contains("Volume offset:       2097152"), "{out}");
    insta::assert_snapshot!(out);
}

#[test]
fn info_gpt_vhdx() {
    let out = ok(&["info", "images/gpt-disk.vhdx"]);
    assert!(out.contains("Volume offset:       1048576"), "{out}");
    assert!(out.contains("Volume label:        GPTNTFS"), "{out}");
    insta::assert_snapshot!(out);
}

#[test]
fn ls_root_and_nested() {
    insta::assert_snapshot!("ls_basic_root", ok(&["ls", BASIC]));
    insta::assert_snapshot!("ls_basic_docs", ok(&["ls", BASIC, "/docs"]));
    insta::assert_snapshot!("ls_reparse_links", ok(&["ls", REPARSE, "\\links"]));
}

#[test]
fn stat_many_links_record() {
    let out = ok(&["stat", BASIC, "\\many\\target.txt"]);
    assert!(
        out.contains("Link count:        200 (record header)"),
        "{out}"
    );
    assert!(out.contains("Hard links:        200"), "{out}");
    assert!(out.contains("$ATTRIBUTE_LIST ("), "{out}");
    insta::assert_snapshot!(out);
}

#[test]
fn stat_dos_name_is_not_a_link() {
    let out = ok(&["stat", BASIC, "LongFileName.txt"]);
    assert!(
        out.contains("Link count:        2 (record header)"),
        "{out}"
    );
    assert!(out.contains("Hard links:        1 "), "{out}");
    // The 8.3 name finds the same record.
    let short = ok(&["stat", BASIC, "LONGFI~1.TXT"]);
    assert_eq!(out, short);
    insta::assert_snapshot!(out);
}

#[test]
fn links_report() {
    insta::assert_snapshot!("links_basic", ok(&["links", BASIC]));
    insta::assert_snapshot!("links_reparse", ok(&["links", REPARSE]));
}

#[test]
fn reparse_query_and_raw() {
    insta::assert_snapshot!(
        "reparse_rel_file",
        ok(&["reparse", REPARSE, "links/rel-file"])
    );
    insta::assert_snapshot!(
        "reparse_junction",
        ok(&["reparse", REPARSE, "links/junction"])
    );
    insta::assert_snapshot!(
        "reparse_app_exec_link",
        ok(&["reparse", REPARSE, "special/wt.exe"])
    );
    insta::assert_snapshot!(
        "reparse_malformed",
        ok(&["reparse", REPARSE, "links/malformed"])
    );
    // --raw writes the attribute value byte for byte.
    let out = Command::new(env!("CARGO_BIN_EXE_ntfs-inspect"))
        .args(["reparse", REPARSE, "links/long-target", "--raw"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(
        out.stdout.len(),
        12036,
        "the non-resident value is 12036 bytes (MANIFEST.md)"
    );
    assert_eq!(&out.stdout[..4], &0xA000_000Cu32.to_le_bytes());
}

#[test]
fn errors_name_what_is_wrong() {
    let (code, out, err) = run(&["stat", BASIC, "\\no\\such\\file"]);
    assert_eq!(code, 2);
    assert!(out.is_empty());
    assert!(err.contains("not found: \\no\\such\\file"), "{err}");
    let (code, _, err) = run(&["info", "Cargo.toml"]);
    assert_eq!(code, 4, "{err}");
    assert!(err.contains("no NTFS volume"), "{err}");
    assert!(!err.contains("panicked"));
    let (code, _, err) = run(&["info", "images/mbr-disk.vhd", "--partition", "9"]);
    assert_eq!(code, 2, "{err}");
    let (code, _, err) = run(&["reparse", BASIC, "readme.txt"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("has no $REPARSE_POINT"), "{err}");
}
