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

/// The JSON-lines schema the issue asks for (docs/export.md), on real records.
#[test]
fn mft_jsonl_schema() {
    let out = ok(&["mft", REPARSE, "--format", "jsonl"]);
    let records: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let by_path = |p: &str| {
        records
            .iter()
            .find(|r| r["paths"].as_array().unwrap().iter().any(|x| x == p))
            .unwrap_or_else(|| panic!("{p} not exported"))
    };
    for r in &records {
        for key in [
            "record",
            "sequence",
            "in_use",
            "directory",
            "link_count",
            "hard_links",
            "names",
            "paths",
            "reparse",
        ] {
            assert!(r.get(key).is_some(), "{key} missing in {r}");
        }
    }
    let rel = by_path("\\links\\rel-file");
    let rp = &rel["reparse"];
    assert_eq!(rp["tag"], 0xA000_000Cu32);
    assert_eq!(rp["tag_name"], "IO_REPARSE_TAG_SYMLINK");
    assert_eq!(rp["microsoft"], true);
    assert_eq!(rp["name_surrogate"], true);
    assert_eq!(rp["directory"], false);
    assert_eq!(rp["kind"], "symlink");
    assert_eq!(rp["substitute_name"], "..\\dir\\file.txt");
    assert_eq!(rp["print_name"], "..\\dir\\file.txt");
    assert_eq!(rp["relative"], true);
    assert_eq!(rp["target"]["status"], "resolves");
    assert_eq!(rp["target"]["path"], "\\dir\\file.txt");
    // `data` is the whole attribute value: what `reparse --raw` writes.
    let raw = Command::new(env!("CARGO_BIN_EXE_ntfs-inspect"))
        .args(["reparse", REPARSE, "links/rel-file", "--raw"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap()
        .stdout;
    let hex: String = raw.iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(rp["data"], hex.as_str());
    let j = &by_path("\\links\\junction")["reparse"];
    assert_eq!(j["kind"], "mount_point");
    assert_eq!(j["relative"], false);
    assert_eq!(j["substitute_name"], "\\??\\C:\\dir");
    assert_eq!(
        by_path("\\links\\other-drive")["reparse"]["target"]["status"],
        "external"
    );
    assert_eq!(
        by_path("\\links\\broken")["reparse"]["target"]["status"],
        "broken"
    );
    assert_eq!(
        by_path("\\links\\loop1")["reparse"]["target"]["status"],
        "loop"
    );
    let ancestor = &by_path("\\a\\b\\loop")["reparse"]["target"];
    assert_eq!(ancestor["status"], "resolves");
    assert_eq!(ancestor["ancestor"], true);
    assert_eq!(
        by_path("\\special\\lx-rel")["reparse"]["lx_target"],
        "../target.txt"
    );
    // A Win32 + DOS pair: header count 2, one hard link, one path.
    let basic = ok(&["mft", BASIC]);
    let long = basic
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .find(|r| r["paths"][0] == "\\LongFileName.txt")
        .unwrap();
    assert_eq!(long["link_count"], 2);
    assert_eq!(long["hard_links"], 1);
    assert_eq!(long["names"].as_array().unwrap().len(), 2);
    // --deleted adds the deleted records, marked, with their names and paths.
    let with_deleted = ok(&["mft", BASIC, "--deleted"]);
    let del = with_deleted
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .find(|r| r["paths"][0] == "\\deleted-dir\\inner.txt")
        .unwrap();
    assert_eq!(del["in_use"], false);
    assert!(!basic.contains("inner.txt"));
}

/// `--help` documents every command and its options (issue 2).
#[test]
fn help_documents_every_command() {
    let top = ok(&["--help"]);
    for cmd in ["info", "ls", "stat", "mft", "links", "reparse"] {
        assert!(top.contains(cmd), "{cmd} missing from --help:\n{top}");
        let help = ok(&[cmd, "--help"]);
        for opt in ["--partition", "--offset", "--drive"] {
            assert!(help.contains(opt), "{cmd} --help lacks {opt}:\n{help}");
        }
    }
    assert!(ok(&["mft", "--help"]).contains("--deleted"));
    assert!(ok(&["mft", "--help"]).contains("bodyfile"));
    assert!(ok(&["reparse", "--help"]).contains("--raw"));
}
