//! Tests for the reparse decoders. Buffers are built byte by byte the way Windows writes them.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::*;

fn utf16(s: &str) -> Vec<u8> {
    s.encode_utf16().flat_map(|u| u.to_le_bytes()).collect()
}

fn le16(v: u16) -> [u8; 2] {
    v.to_le_bytes()
}

/// A REPARSE_DATA_BUFFER: tag, ReparseDataLength = data.len(), Reserved 0, data.
fn value(tag: u32, data: &[u8]) -> Vec<u8> {
    let mut v = tag.to_le_bytes().to_vec();
    v.extend_from_slice(&le16(data.len() as u16));
    v.extend_from_slice(&[0, 0]);
    v.extend_from_slice(data);
    v
}

/// Name header + optional flags + path buffer.
fn names(sub: (u16, u16), print: (u16, u16), flags: Option<u32>, path: &[u8]) -> Vec<u8> {
    let mut d = Vec::new();
    d.extend_from_slice(&le16(sub.0));
    d.extend_from_slice(&le16(sub.1));
    d.extend_from_slice(&le16(print.0));
    d.extend_from_slice(&le16(print.1));
    if let Some(f) = flags {
        d.extend_from_slice(&f.to_le_bytes());
    }
    d.extend_from_slice(path);
    d
}

/// `mklink link.txt ..\target.txt`: CreateSymbolicLink puts the PRINT name first, then the
/// substitute name, no NUL terminators, Flags = SYMLINK_FLAG_RELATIVE.
fn mklink_relative() -> Vec<u8> {
    let name = utf16(r"..\target.txt");
    let n = name.len() as u16;
    let mut path = name.clone();
    path.extend_from_slice(&name);
    value(0xA000_000C, &names((n, n), (0, n), Some(1), &path))
}

/// `mklink C:\link.txt C:\target.txt`: absolute, print name `C:\target.txt` first, substitute
/// `\??\C:\target.txt` second, Flags 0.
fn mklink_absolute() -> Vec<u8> {
    let print = utf16(r"C:\target.txt");
    let sub = utf16(r"\??\C:\target.txt");
    let mut path = print.clone();
    path.extend_from_slice(&sub);
    value(
        0xA000_000C,
        &names(
            (print.len() as u16, sub.len() as u16),
            (0, print.len() as u16),
            Some(0),
            &path,
        ),
    )
}

/// `mklink /J C:\link C:\target`: substitute `\??\C:\target` first, NUL, print `C:\target`, NUL;
/// the NULs count in ReparseDataLength, not in the name lengths.
fn mklink_junction() -> Vec<u8> {
    let sub = utf16(r"\??\C:\target");
    let print = utf16(r"C:\target");
    let mut path = sub.clone();
    path.extend_from_slice(&[0, 0]);
    path.extend_from_slice(&print);
    path.extend_from_slice(&[0, 0]);
    value(
        0xA000_0003,
        &names(
            (0, sub.len() as u16),
            (sub.len() as u16 + 2, print.len() as u16),
            None,
            &path,
        ),
    )
}

const VOLUME: &str = r"\??\Volume{01234567-89ab-cdef-0123-456789abcdef}\";

/// A volume mount point as mountvol writes it: substitute `\??\Volume{GUID}\`, NUL, empty print
/// name, NUL.
fn volume_mount_point() -> Vec<u8> {
    let sub = utf16(VOLUME);
    let mut path = sub.clone();
    path.extend_from_slice(&[0, 0, 0, 0]);
    value(
        0xA000_0003,
        &names(
            (0, sub.len() as u16),
            (sub.len() as u16 + 2, 0),
            None,
            &path,
        ),
    )
}

fn app_exec_link_data(strings: &[&str]) -> Vec<u8> {
    let mut d = 3u32.to_le_bytes().to_vec();
    for s in strings {
        d.extend_from_slice(&utf16(s));
        d.extend_from_slice(&[0, 0]);
    }
    d
}

const PKG: &str = "Microsoft.WindowsTerminal_8wekyb3d8bbwe";
const AUMID: &str = "Microsoft.WindowsTerminal_8wekyb3d8bbwe!App";
const EXE: &str =
    r"C:\Program Files\WindowsApps\Microsoft.WindowsTerminal_1.0.0.0_x64__8wekyb3d8bbwe\wt.exe";

fn app_exec_link() -> Vec<u8> {
    value(0x8000_001B, &app_exec_link_data(&[PKG, AUMID, EXE, "0"]))
}

fn lx_symlink() -> Vec<u8> {
    let mut d = 2u32.to_le_bytes().to_vec();
    d.extend_from_slice(b"/usr/bin/python3.12");
    value(0xA000_001D, &d)
}

fn wof_file() -> Vec<u8> {
    let mut d = Vec::new();
    for v in [1u32, 2, 1, 1] {
        d.extend_from_slice(&v.to_le_bytes());
    }
    value(0x8000_0017, &d)
}

fn wof_wim() -> Vec<u8> {
    let mut d = Vec::new();
    for v in [1u32, 1, 1, 0] {
        d.extend_from_slice(&v.to_le_bytes());
    }
    d.extend_from_slice(&7i64.to_le_bytes());
    d.extend_from_slice(&[0xAB; 20]);
    value(0x8000_0017, &d)
}

fn cloud_uncompressed() -> Vec<u8> {
    let mut hsm = Vec::new();
    hsm.extend_from_slice(&HSM_MAGIC_FILE.to_le_bytes());
    hsm.extend_from_slice(&0xDEAD_BEEFu32.to_le_bytes());
    hsm.extend_from_slice(&32u32.to_le_bytes());
    hsm.extend_from_slice(&le16(2));
    hsm.extend_from_slice(&le16(2));
    hsm.extend_from_slice(&le16(7));
    hsm.extend_from_slice(&le16(1));
    hsm.extend_from_slice(&32u32.to_le_bytes());
    hsm.extend_from_slice(&le16(0x0A));
    hsm.extend_from_slice(&le16(4));
    hsm.extend_from_slice(&36u32.to_le_bytes());
    let mut d = le16(1).to_vec();
    d.extend_from_slice(&le16(4 + hsm.len() as u16));
    d.extend_from_slice(&hsm);
    value(0x9000_101A, &d)
}

const HSM_MAGIC_FILE: u32 = 0x7052_6546;

fn cloud_compressed() -> Vec<u8> {
    let mut d = le16(0x8001).to_vec();
    d.extend_from_slice(&le16(12));
    d.extend_from_slice(&[0x12, 0xB0, 0x00, 0x46, 0x65, 0x52, 0x70, 0x01]);
    value(0x9000_001A, &d)
}

fn dedup() -> Vec<u8> {
    let mut d = le16(0x0103).to_vec();
    d.extend_from_slice(&le16(0x20));
    d.extend_from_slice(&[0x55; 28]);
    value(0x8000_0013, &d)
}

fn guid_point() -> Vec<u8> {
    let data = b"vendor data";
    let mut v = 0x0000_0099u32.to_le_bytes().to_vec();
    v.extend_from_slice(&le16(data.len() as u16));
    v.extend_from_slice(&[0, 0]);
    v.extend_from_slice(&(0u8..16).collect::<Vec<_>>());
    v.extend_from_slice(data);
    v
}

/// An NFS client symlink: InodeType NFS_SPECFILE_LNK, then the UTF-16 target.
fn nfs_link() -> Vec<u8> {
    let mut d = 0x0000_0000_014B_4E4Cu64.to_le_bytes().to_vec();
    d.extend_from_slice(&utf16("../f0"));
    value(0x8000_0014, &d)
}

fn all_valid() -> Vec<Vec<u8>> {
    vec![
        mklink_relative(),
        mklink_absolute(),
        mklink_junction(),
        volume_mount_point(),
        app_exec_link(),
        lx_symlink(),
        value(0x8000_0023, &[]),
        value(0x8000_0024, &[]),
        value(0x8000_0025, &[1, 0, 0, 0, 3, 0, 0, 0]),
        value(0x8000_0026, &[]),
        wof_file(),
        wof_wim(),
        dedup(),
        cloud_uncompressed(),
        cloud_compressed(),
        guid_point(),
        nfs_link(),
        value(
            0x8000_0014,
            &[0x43, 0x48, 0x52, 0, 0, 0, 0, 0, 8, 0, 0, 0, 1, 0, 0, 0],
        ),
        value(0x8000_0012, &[1, 2, 3]),
    ]
}

fn err(v: &[u8]) -> ReparseError {
    decode(v).content.expect_err("expected an error")
}

// ----- header -----------------------------------------------------------------------------

#[test]
fn truncated_headers_name_the_missing_field() {
    assert_eq!(err(&[]).field, "ReparseTag");
    assert_eq!(err(&[]).offset, 0);
    assert_eq!(err(&[0x0C, 0, 0]).field, "ReparseTag");
    let e = err(&[0x0C, 0, 0, 0xA0, 0x10]);
    assert_eq!((e.field, e.offset), ("ReparseDataLength", 4));
    let e = err(&[0x0C, 0, 0, 0xA0, 0x10, 0, 0]);
    assert_eq!((e.field, e.offset), ("Reserved", 6));
    // the tag is still shown when its four bytes are there
    assert_eq!(decode(&[0x0C, 0, 0, 0xA0, 0x10]).tag, ReparseTag::SYMLINK);
    assert_eq!(decode(&[0x0C, 0, 0, 0xA0, 0x10]).kind(), "symlink");
}

#[test]
fn data_length_beyond_value() {
    let mut v = mklink_relative();
    v.truncate(v.len() - 1);
    let e = err(&v);
    assert_eq!((e.field, e.offset), ("ReparseDataLength", 4));
}

#[test]
fn slack_after_data_is_a_warning() {
    let mut v = mklink_junction();
    v.extend_from_slice(&[0xEE; 6]);
    let p = decode(&v);
    assert!(p.content.is_ok());
    assert_eq!(p.warnings.len(), 1);
    assert!(p.warnings[0].contains("6 bytes of slack"));
    assert_eq!(p.data().len(), usize::from(p.data_length));
}

// ----- symlink (MS-FSCC 2.1.2.4) --------------------------------------------------------

#[test]
fn symlink_relative_print_name_first() {
    let v = mklink_relative();
    let p = decode(&v);
    assert_eq!(p.data_length, 12 + 52);
    let Ok(ReparseContent::Symlink(s)) = &p.content else {
        panic!("{:?}", p.content)
    };
    assert_eq!(s.substitute_name, r"..\target.txt");
    assert_eq!(s.print_name, r"..\target.txt");
    assert_eq!((s.print_name_offset, s.substitute_name_offset), (0, 26));
    assert!(s.is_relative());
    assert_eq!(p.kind(), "symlink");
    let text = p.describe();
    assert!(text.starts_with(
        "Reparse Tag Value : 0xa000000c\nTag value: Microsoft\nTag value: Name Surrogate\nTag value: Symbolic Link\n\nReparse Data Length: 0x00000040\n"
    ), "{text}");
    assert!(
        text.contains("Substitute Name:     ..\\target.txt\n"),
        "{text}"
    );
    assert!(
        text.contains("Print Name:          ..\\target.txt\n"),
        "{text}"
    );
    assert!(
        text.contains("Flags:               0x00000001 (relative)\n"),
        "{text}"
    );
    assert!(
        text.contains("Reparse Data:\n0000:  1a 00 1a 00 00 00 1a 00  01 00 00 00 2e 00 2e 00"),
        "{text}"
    );
}

#[test]
fn symlink_absolute() {
    let p = decode(&mklink_absolute());
    let Ok(ReparseContent::Symlink(s)) = &p.content else {
        panic!()
    };
    assert_eq!(s.substitute_name, r"\??\C:\target.txt");
    assert_eq!(s.print_name, r"C:\target.txt");
    assert!(!s.is_relative());
}

#[test]
fn symlink_substitute_first_also_works() {
    let sub = utf16(r"\??\D:\x");
    let print = utf16(r"D:\x");
    let mut path = sub.clone();
    path.extend_from_slice(&print);
    let v = value(
        0xA000_000C,
        &names(
            (0, sub.len() as u16),
            (sub.len() as u16, print.len() as u16),
            Some(0),
            &path,
        ),
    );
    let Ok(ReparseContent::Symlink(s)) = decode(&v).content else {
        panic!()
    };
    assert_eq!(
        (s.substitute_name.as_str(), s.print_name.as_str()),
        (r"\??\D:\x", r"D:\x")
    );
}

#[test]
fn symlink_missing_flags() {
    let v = value(0xA000_000C, &names((0, 0), (0, 0), None, &[]));
    let e = err(&v);
    assert_eq!((e.field, e.offset), ("Flags", 16));
    let v = value(0xA000_000C, &[0, 0, 0]);
    assert_eq!(err(&v).field, "SubstituteNameLength");
}

#[test]
fn name_fields_out_of_range_or_odd() {
    let path = utf16("abcd");
    // substitute offset beyond the 8-byte path buffer
    let e = err(&value(0xA000_000C, &names((10, 2), (0, 2), Some(0), &path)));
    assert_eq!((e.field, e.offset), ("SubstituteNameOffset", 8));
    // print length runs past the end
    let e = err(&value(0xA000_000C, &names((0, 2), (4, 6), Some(0), &path)));
    assert_eq!((e.field, e.offset), ("PrintNameLength", 14));
    // odd substitute length
    let e = err(&value(0xA000_0003, &names((0, 3), (4, 2), None, &path)));
    assert_eq!((e.field, e.offset), ("SubstituteNameLength", 10));
    // odd print offset
    let e = err(&value(0xA000_0003, &names((0, 2), (3, 2), None, &path)));
    assert_eq!((e.field, e.offset), ("PrintNameOffset", 12));
    // mount point header cut short
    let e = err(&value(0xA000_0003, &[0, 0, 0, 0, 0]));
    assert_eq!((e.field, e.offset), ("PrintNameOffset", 12));
    // kind survives the error
    assert_eq!(decode(&value(0xA000_0003, &[0])).kind(), "mount_point");
}

#[test]
fn unpaired_surrogate_is_replaced() {
    let path = [0x00, 0xD8, 0x41, 0x00];
    let v = value(0xA000_000C, &names((0, 4), (0, 4), Some(1), &path));
    let Ok(ReparseContent::Symlink(s)) = decode(&v).content else {
        panic!()
    };
    assert_eq!(s.substitute_name, "\u{FFFD}A");
}

// ----- mount point (MS-FSCC 2.1.2.5) ------------------------------------------------------

#[test]
fn junction() {
    let v = mklink_junction();
    let p = decode(&v);
    assert_eq!(p.data_length, 8 + 26 + 2 + 18 + 2);
    let Ok(ReparseContent::MountPoint(m)) = &p.content else {
        panic!()
    };
    assert_eq!(m.substitute_name, r"\??\C:\target");
    assert_eq!(m.print_name, r"C:\target");
    assert_eq!((m.substitute_name_offset, m.print_name_offset), (0, 28));
    assert!(!m.is_volume_mount_point());
    assert_eq!(p.kind(), "mount_point");
    let text = p.describe();
    assert!(text.contains("Tag value: Mount Point\n"), "{text}");
    assert!(
        text.contains("Substitute Name:     \\??\\C:\\target\n"),
        "{text}"
    );
}

#[test]
fn volume_mount_point_is_told_apart() {
    let p = decode(&volume_mount_point());
    assert_eq!(p.kind(), "volume_mount_point");
    let Ok(ReparseContent::MountPoint(m)) = &p.content else {
        panic!()
    };
    assert_eq!(
        m.volume_guid.as_deref(),
        Some("{01234567-89ab-cdef-0123-456789abcdef}")
    );
    assert_eq!(m.print_name, "");
    let j: serde_json::Value = serde_json::to_value(&p).unwrap();
    assert_eq!(j["volume_guid"], "{01234567-89ab-cdef-0123-456789abcdef}");
    // a junction INTO a volume GUID path is a junction
    assert_eq!(mount_point::volume_guid(&format!("{VOLUME}foo\\")), None);
    assert!(
        mount_point::volume_guid(r"\??\VOLUME{01234567-89AB-CDEF-0123-456789ABCDEF}").is_some()
    );
    assert_eq!(mount_point::volume_guid(r"\??\Volume{0123}\"), None);
}

// ----- AppExecLink ----------------------------------------------------------------------

#[test]
fn app_exec_link_decodes() {
    let p = decode(&app_exec_link());
    let Ok(ReparseContent::AppExecLink(a)) = &p.content else {
        panic!("{:?}", p.content)
    };
    assert_eq!(a.version, 3);
    assert_eq!(a.package_id, PKG);
    assert_eq!(a.app_user_model_id, AUMID);
    assert_eq!(a.exe_path, EXE);
    assert_eq!(a.application_type.as_deref(), Some("0"));
    assert!(a.extra_strings.is_empty());
    assert_eq!(p.kind(), "app_exec_link");
    let j = serde_json::to_value(&p).unwrap();
    assert_eq!(j["exe_path"], EXE);
    assert!(j.get("target").is_none());
}

#[test]
fn app_exec_link_lenient_and_strict() {
    // three strings: fine, no application type
    let p = decode(&value(0x8000_001B, &app_exec_link_data(&[PKG, AUMID, EXE])));
    let Ok(ReparseContent::AppExecLink(a)) = &p.content else {
        panic!()
    };
    assert_eq!(a.application_type, None);
    // extra strings are kept
    let p = decode(&value(
        0x8000_001B,
        &app_exec_link_data(&[PKG, AUMID, EXE, "0", "x", ""]),
    ));
    let Ok(ReparseContent::AppExecLink(a)) = &p.content else {
        panic!()
    };
    assert_eq!(a.extra_strings, vec!["x".to_string(), String::new()]);
    // missing terminator on the exe path
    let mut d = app_exec_link_data(&[PKG, AUMID]);
    let exe_at = 8 + d.len();
    d.extend_from_slice(&utf16(EXE));
    let e = err(&value(0x8000_001B, &d));
    assert_eq!((e.field, e.offset), ("TargetPath", exe_at));
    // odd trailing byte
    let mut d = app_exec_link_data(&[PKG, AUMID, EXE]);
    d.push(0x41);
    assert_eq!(err(&value(0x8000_001B, &d)).field, "ApplicationType");
    // only two strings
    let e = err(&value(0x8000_001B, &app_exec_link_data(&[PKG, AUMID])));
    assert_eq!(e.field, "TargetPath");
    // no version
    let e = err(&value(0x8000_001B, &[3, 0]));
    assert_eq!((e.field, e.offset), ("Version", 8));
    // another version is a warning only
    let mut d = app_exec_link_data(&[PKG, AUMID, EXE]);
    d[0] = 4;
    let p = decode(&value(0x8000_001B, &d));
    assert!(p.content.is_ok() && p.warnings.len() == 1);
}

// ----- LX symlink and the other WSL tags ------------------------------------------------

#[test]
fn lx_symlink_decodes() {
    let p = decode(&lx_symlink());
    let Ok(ReparseContent::LxSymlink(l)) = &p.content else {
        panic!()
    };
    assert_eq!((l.version, l.target.as_str()), (2, "/usr/bin/python3.12"));
    let j = serde_json::to_value(&p).unwrap();
    assert_eq!(j["lx_target"], "/usr/bin/python3.12");
    assert!(j.get("target").is_none());
    let e = err(&value(0xA000_001D, &[2, 0, 0]));
    assert_eq!((e.field, e.offset), ("Version", 8));
    let mut d = 2u32.to_le_bytes().to_vec();
    d.extend_from_slice(&[b'a', 0xFF]);
    let p = decode(&value(0xA000_001D, &d));
    assert!(p.content.is_ok());
    assert_eq!(serde_json::to_value(&p).unwrap()["lx_target_hex"], "61ff");
}

#[test]
fn wsl_special_files() {
    for (tag, kind) in [
        (0x8000_0023, "af_unix"),
        (0x8000_0024, "lx_fifo"),
        (0x8000_0025, "lx_chr"),
        (0x8000_0026, "lx_blk"),
    ] {
        let p = decode(&value(tag, &[]));
        assert!(p.content.is_ok());
        assert_eq!(p.kind(), kind);
    }
    let p = decode(&value(0x8000_0025, &[1, 0, 0, 0, 3, 0, 0, 0]));
    let j = serde_json::to_value(&p).unwrap();
    assert_eq!(j["device_raw"], "0100000003000000");
    let j = serde_json::to_value(decode(&value(0x8000_0026, &[]))).unwrap();
    assert!(j["device_raw"].is_null());
    assert!(j["note"].as_str().unwrap().contains("$LXDEV"));
}

// ----- WOF ------------------------------------------------------------------------------

#[test]
fn wof_file_and_wim() {
    let p = decode(&wof_file());
    let Ok(ReparseContent::Wof(w)) = &p.content else {
        panic!()
    };
    assert_eq!(
        w.provider_info,
        WofProvider::File {
            version: 1,
            algorithm: 1,
            flags: None
        }
    );
    let j = serde_json::to_value(&p).unwrap();
    assert_eq!(j["provider"], 2);
    assert_eq!(j["algorithm"], 1);
    assert_eq!(j["algorithm_name"], "LZX");
    let p = decode(&wof_wim());
    let Ok(ReparseContent::Wof(w)) = &p.content else {
        panic!()
    };
    assert!(matches!(
        w.provider_info,
        WofProvider::Wim {
            data_source_id: 7,
            ..
        }
    ));
    let j = serde_json::to_value(&p).unwrap();
    assert_eq!(j["resource_hash"], "ab".repeat(20));
}

#[test]
fn wof_too_short() {
    let e = err(&value(0x8000_0017, &[1, 0, 0, 0, 2, 0]));
    assert_eq!((e.field, e.offset), ("WofProvider", 12));
    let e = err(&value(0x8000_0017, &[1, 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0]));
    assert_eq!((e.field, e.offset), ("Algorithm", 20));
    let mut d = wof_wim()[8..].to_vec();
    d.truncate(30);
    let e = err(&value(0x8000_0017, &d));
    assert_eq!((e.field, e.offset), ("ResourceHash", 32));
}

// ----- dedup, cloud -----------------------------------------------------------------------

#[test]
fn dedup_header() {
    let p = decode(&dedup());
    let Ok(ReparseContent::Dedup(d)) = &p.content else {
        panic!()
    };
    assert_eq!((d.format, d.length, d.rest.len()), (0x0103, 0x20, 28));
    let e = err(&value(0x8000_0013, &[1, 2, 3]));
    assert_eq!((e.field, e.offset), ("DedupLength", 10));
}

#[test]
fn cloud_headers() {
    let p = decode(&cloud_uncompressed());
    assert_eq!(p.kind(), "cloud");
    assert!(p.warnings.is_empty(), "{:?}", p.warnings);
    let Ok(ReparseContent::Cloud(c)) = &p.content else {
        panic!("{:?}", p.content)
    };
    assert!(!c.is_compressed());
    assert_eq!(c.revision(), 1);
    let h = c.hsm.as_ref().unwrap();
    assert_eq!(
        (h.magic, h.number_of_elements, h.elements.len()),
        (HSM_MAGIC_FILE, 2, 2)
    );
    assert_eq!(h.elements[1].element_type, 0x0A);

    let p = decode(&cloud_compressed());
    let Ok(ReparseContent::Cloud(c)) = &p.content else {
        panic!()
    };
    assert!(c.is_compressed() && c.hsm.is_none());
    assert_eq!(c.payload.len(), 8);
    let j = serde_json::to_value(&p).unwrap();
    assert_eq!(j["compressed"], true);

    let mut v = cloud_uncompressed();
    v[8 + 4 + 14] = 9; // NumberOfElements
    let e = err(&v);
    assert_eq!((e.field, e.offset), ("NumberOfElements", 26));
    let e = err(&value(0x9000_001A, &[1, 0, 8, 0, 0x46, 0x65]));
    assert_eq!((e.field, e.offset), ("HsmMagic", 12));
    let e = err(&value(0x9000_001A, &[1]));
    assert_eq!(e.field, "HsmFlags");
}

// ----- GUID (MS-FSCC 2.1.2.3) -------------------------------------------------------------

#[test]
fn guid_buffer() {
    let v = guid_point();
    let p = decode(&v);
    assert_eq!(p.kind(), "guid");
    let g = p.guid.unwrap();
    assert_eq!(g.to_string(), "{03020100-0504-0706-0809-0A0B0C0D0E0F}");
    let Ok(ReparseContent::Guid(d)) = &p.content else {
        panic!()
    };
    assert_eq!(d.data, b"vendor data");
    let j = serde_json::to_value(&p).unwrap();
    assert_eq!(j["guid"], "{03020100-0504-0706-0809-0A0B0C0D0E0F}");
    assert_eq!(j["data_hex"], hex(b"vendor data"));
    assert_eq!(j["microsoft"], false);
    // shorter than 24 bytes
    let e = err(&v[..20]);
    assert_eq!((e.field, e.offset), ("ReparseGuid", 8));
    // data length beyond: the GUID is still reported
    let p = decode(&v[..30]);
    assert_eq!(p.content.as_ref().unwrap_err().field, "ReparseDataLength");
    assert!(p.guid.is_some());
    assert_eq!(serde_json::to_value(&p).unwrap()["guid"], g.to_string());
    assert!(p.describe().contains("GUID : {03020100-"));
}

// ----- tags, JSON -------------------------------------------------------------------------

#[test]
fn unknown_and_undecoded_microsoft_tags_are_other() {
    let p = decode(&value(0x8000_0012, &[1, 2, 3]));
    assert_eq!(p.kind(), "other");
    assert_eq!(p.content, Ok(ReparseContent::Other(vec![1, 2, 3])));
    assert!(p.describe().contains("Tag value: DFSR\n"));
    let p = decode(&value(0x8FFF_0077, &[]));
    assert_eq!(p.kind(), "other");
    assert!(p.tag.name().is_none());
    assert!(!p.warnings.is_empty(), "reserved bits warn");
}

#[test]
fn json_layout() {
    let p = decode(&mklink_relative());
    let text = serde_json::to_string(&p).unwrap();
    assert!(text.starts_with(
        r#"{"tag":2684354572,"tag_hex":"0xA000000C","tag_name":"IO_REPARSE_TAG_SYMLINK","microsoft":true,"name_surrogate":true,"directory":false,"tag_bits_ok":true,"data_length":64,"reserved":0,"kind":"symlink","substitute_name":"..\\target.txt","print_name":"..\\target.txt","relative":true,"#
    ), "{text}");
    let j: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert!(j["error"].is_null());
    assert_eq!(j["data"], hex(&mklink_relative()));
    let j = serde_json::to_value(decode(&[1, 2])).unwrap();
    assert_eq!(j["error"]["field"], "ReparseTag");
    assert_eq!(j["error"]["offset"], 0);
    assert_eq!(j["data"], "0102");
    assert_eq!(j["tag_name"], "IO_REPARSE_TAG_RESERVED_ZERO");
    for v in all_valid() {
        let j = serde_json::to_value(decode(&v)).unwrap();
        assert!(j.get("target").is_none(), "{j}");
        assert!(j["error"].is_null(), "{j}");
        assert!(j["kind"].is_string());
    }
}

// ----- robustness -------------------------------------------------------------------------

fn exercise(v: &[u8]) {
    let p = decode(v);
    let _ = p.kind();
    let _ = p.describe();
    let _ = serde_json::to_string(&p).unwrap();
    assert_eq!(p.raw, v);
}

#[test]
fn never_panics_on_prefixes() {
    for v in all_valid() {
        for n in 0..=v.len() {
            exercise(&v[..n]);
        }
        // and with ReparseDataLength fixed up to the prefix length
        for n in 8..=v.len() {
            let mut w = v[..n].to_vec();
            let dl = (n - 8) as u16;
            w[4..6].copy_from_slice(&dl.to_le_bytes());
            exercise(&w);
        }
    }
}

#[test]
fn never_panics_on_random_buffers() {
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let tags: Vec<u32> = ReparseTag::known().map(|(t, _)| t.0).collect();
    for i in 0..5000 {
        let len = (next() % 160) as usize;
        let mut v: Vec<u8> = (0..len).map(|_| next() as u8).collect();
        if v.len() >= 8 {
            let tag = tags[(next() as usize) % tags.len()];
            v[..4].copy_from_slice(&tag.to_le_bytes());
            if i % 2 == 0 {
                // a consistent ReparseDataLength half of the time
                let start = if tag & 0x8000_0000 != 0 { 8 } else { 24 };
                let dl = v.len().saturating_sub(start) as u16;
                v[4..6].copy_from_slice(&dl.to_le_bytes());
            }
            if i % 3 == 0 && v.len() >= 16 {
                // small name offsets/lengths so the name paths get exercised
                for k in 0..4 {
                    let x = (next() % 40) as u16;
                    v[8 + 2 * k..10 + 2 * k].copy_from_slice(&x.to_le_bytes());
                }
            }
        }
        exercise(&v);
    }
}

// ----- NFS (MS-FSCC 2.1.2.6) --------------------------------------------------------------

#[test]
fn nfs_special_files() {
    let p = decode(&nfs_link());
    assert_eq!(p.kind(), "nfs");
    let j = serde_json::to_value(&p).unwrap();
    assert_eq!(j["nfs_type"], "symlink");
    assert_eq!(j["nfs_link"], "../f0");
    assert!(j.get("target").is_none());
    let p = decode(&value(
        0x8000_0014,
        &[0x43, 0x48, 0x52, 0, 0, 0, 0, 0, 8, 0, 0, 0, 1, 0, 0, 0],
    ));
    let Ok(ReparseContent::Nfs(n)) = &p.content else {
        panic!()
    };
    assert_eq!((n.file_type(), n.major, n.minor), ("chr", Some(8), Some(1)));
    let e = err(&value(
        0x8000_0014,
        &[0x43, 0x48, 0x52, 0, 0, 0, 0, 0, 8, 0, 0, 0],
    ));
    assert_eq!((e.field, e.offset), ("Minor", 20));
    let e = err(&value(0x8000_0014, &[0x4C, 0x4E, 0x4B, 1]));
    assert_eq!((e.field, e.offset), ("InodeType", 8));
    let mut v = nfs_link();
    v.push(0);
    v[4] += 1;
    let e = err(&v);
    assert_eq!((e.field, e.offset), ("DataBuffer", 16));
}

#[test]
fn hex_is_lowercase_two_digits_a_byte() {
    assert_eq!(super::hex(&[0x00, 0x0f, 0xa0, 0xff, 0x5c]), "000fa0ff5c");
    assert_eq!(super::hex(&[]), "");
}
