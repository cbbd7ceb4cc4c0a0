//! Container and partition-table readers, checked byte for byte against `qemu-img convert -O raw`
//! (VHD fixed/dynamic, VHDX dynamic/fixed/1 MiB blocks, and a real Windows VHDX), plus MBR/GPT
//! partition discovery and a hand-built differencing VHD.
//!
//! Images are built at test time in a temporary directory. Without `qemu-img` the qemu tests say
//! why and return early; without `../shared/windows-images/` the Windows tests do the same.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use ntfs_inspect::container::{self, ContainerKind, OpenOptions, Scheme};
use ntfs_inspect::source::{FileSource, ReadAt};
use ntfs_inspect::Error;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};

const MIB: usize = 1024 * 1024;

fn tmpdir(name: &str) -> PathBuf {
    static N: AtomicU32 = AtomicU32::new(0);
    let d = std::env::temp_dir().join(format!(
        "ntfs-inspect-containers-{}-{}-{name}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    ));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn qemu_img() -> Option<&'static str> {
    match Command::new("qemu-img").arg("--version").output() {
        Ok(o) if o.status.success() => Some("qemu-img"),
        _ => {
            eprintln!(
                "SKIPPED: qemu-img is not installed; the byte-for-byte container checks need it"
            );
            None
        }
    }
}

fn run(cmd: &mut Command) {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A 6 MiB disk: an NTFS-looking sector 0, patterned data in a few places, zeros elsewhere.
fn raw_disk() -> Vec<u8> {
    let mut d = vec![0u8; 6 * MIB];
    let pattern = |i: usize| ((i * 7 + (i >> 9)) as u8) | 1;
    for r in [
        0..64 * 1024,
        MIB + 512..MIB + 70_000,
        3 * MIB..3 * MIB + MIB / 2,
        6 * MIB - 4096..6 * MIB,
    ] {
        for i in r {
            d[i] = pattern(i);
        }
    }
    d[3..11].copy_from_slice(b"NTFS    ");
    d
}

/// Compares every byte of `ours` with the file `raw` (qemu's output).
fn assert_same(ours: &dyn ReadAt, raw: &Path, what: &str) {
    let mut f = std::fs::File::open(raw).unwrap();
    let raw_len = f.metadata().unwrap().len();
    assert_eq!(
        ours.len(),
        raw_len,
        "{what}: virtual size differs from qemu-img's"
    );
    let mut a = vec![0u8; MIB];
    let mut b = vec![0u8; MIB];
    let mut off = 0u64;
    while off < raw_len {
        let n = (raw_len - off).min(MIB as u64) as usize;
        ours.read_at(off, &mut a[..n]).unwrap();
        f.read_exact(&mut b[..n]).unwrap();
        if a[..n] != b[..n] {
            let i = a[..n]
                .iter()
                .zip(&b[..n])
                .position(|(x, y)| x != y)
                .unwrap();
            panic!("{what}: first difference at byte {}", off + i as u64);
        }
        off += n as u64;
    }
}

fn to_raw(qemu: &str, fmt: &str, image: &Path, raw: &Path) {
    run(Command::new(qemu)
        .args(["convert", "-f", fmt, "-O", "raw"])
        .arg(image)
        .arg(raw));
}

#[test]
fn vhd_and_vhdx_match_qemu_img() {
    let Some(qemu) = qemu_img() else { return };
    let dir = tmpdir("qemu");
    let src = dir.join("disk.raw");
    std::fs::write(&src, raw_disk()).unwrap();
    let cases: [(&str, &str, &[&str], ContainerKind); 6] = [
        (
            "forced-size.vhd",
            "vpc",
            &["-o", "subformat=dynamic,force_size=on"],
            ContainerKind::VhdDynamic,
        ),
        (
            "fixed.vhd",
            "vpc",
            &["-o", "subformat=fixed"],
            ContainerKind::VhdFixed,
        ),
        (
            "dynamic.vhd",
            "vpc",
            &["-o", "subformat=dynamic"],
            ContainerKind::VhdDynamic,
        ),
        ("dynamic.vhdx", "vhdx", &[], ContainerKind::VhdxDynamic),
        (
            "fixed.vhdx",
            "vhdx",
            &["-o", "subformat=fixed"],
            ContainerKind::VhdxFixed,
        ),
        (
            "small-blocks.vhdx",
            "vhdx",
            &["-o", "block_size=1M"],
            ContainerKind::VhdxDynamic,
        ),
    ];
    for (name, fmt, opts, kind) in cases {
        let img = dir.join(name);
        run(Command::new(qemu)
            .args(["convert", "-f", "raw", "-O", fmt])
            .args(opts)
            .arg(&src)
            .arg(&img));
        let raw = dir.join(format!("{name}.raw"));
        to_raw(qemu, fmt, &img, &raw);
        let o = container::open(&img, &OpenOptions::default()).unwrap();
        eprintln!("{name}: {}", o.container.description);
        assert_eq!(
            o.container.kind, kind,
            "{name}: {}",
            o.container.description
        );
        // force_size=on: Current Size is exactly 6 MiB and qemu writes the largest geometry
        // (65535/16/255), which means "use Current Size": nothing to warn about.
        assert!(o.warnings.is_empty(), "{name}: {:?}", o.warnings);
        assert_eq!(o.volume_offset, 0, "{name}: the disk is the volume");
        assert_same(o.disk.as_ref(), &raw, name);
    }
    let _ = std::fs::remove_dir_all(&dir);
}

// ---- partition tables ------------------------------------------------------------------------

fn mbr_entry(d: &mut [u8], sector: usize, slot: usize, t: u8, start: u32, len: u32) {
    let o = sector * 512 + 446 + slot * 16;
    d[o + 4] = t;
    d[o + 8..o + 12].copy_from_slice(&start.to_le_bytes());
    d[o + 12..o + 16].copy_from_slice(&len.to_le_bytes());
    d[sector * 512 + 510] = 0x55;
    d[sector * 512 + 511] = 0xAA;
}

fn fake_ntfs(d: &mut [u8], lba: usize) {
    d[lba * 512 + 3..lba * 512 + 11].copy_from_slice(b"NTFS    ");
    d[lba * 512 + 510] = 0x55;
    d[lba * 512 + 511] = 0xAA;
}

/// 4 MiB MBR disk: #1 NTFS at LBA 128, #2 type 0x07 but not NTFS inside, #3 FAT32, an extended
/// partition with one logical (#5) that is not NTFS.
fn mbr_disk() -> Vec<u8> {
    let mut d = vec![0u8; 4 * MIB];
    mbr_entry(&mut d, 0, 0, 0x07, 128, 2048);
    mbr_entry(&mut d, 0, 1, 0x07, 2176, 1024);
    mbr_entry(&mut d, 0, 2, 0x0C, 3200, 1024);
    mbr_entry(&mut d, 0, 3, 0x0F, 4224, 4000);
    mbr_entry(&mut d, 4224, 0, 0x83, 64, 1000);
    fake_ntfs(&mut d, 128);
    d
}

fn open_bytes(
    dir: &Path,
    name: &str,
    bytes: &[u8],
    opts: &OpenOptions,
) -> ntfs_inspect::Result<container::Opened> {
    // A new file each call: an earlier `Opened` may still map the previous one, and Windows
    // refuses to rewrite a mapped file (error 1224), as it should.
    static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let p = dir.join(format!("{n}-{name}"));
    std::fs::write(&p, bytes).unwrap();
    container::open(&p, opts)
}

#[test]
fn mbr_discovery_and_selection() {
    let dir = tmpdir("mbr");
    let o = open_bytes(&dir, "mbr.raw", &mbr_disk(), &OpenOptions::default()).unwrap();
    assert_eq!(o.container.kind, ContainerKind::Raw);
    let (scheme, parts) = o.partition_table.clone().unwrap();
    assert_eq!(scheme, Scheme::Mbr);
    let got: Vec<(u32, u64, u64, &str)> = parts
        .iter()
        .map(|p| (p.index, p.start, p.len, p.type_id.as_str()))
        .collect();
    assert_eq!(
        got,
        vec![
            (1, 128 * 512, 2048 * 512, "0x07"),
            (2, 2176 * 512, 1024 * 512, "0x07"),
            (3, 3200 * 512, 1024 * 512, "0x0c"),
            (5, (4224 + 64) * 512, 1000 * 512, "0x83"),
        ]
    );
    assert_eq!(parts[0].type_name, "0x07 NTFS/exFAT");
    // Auto-selection checks the bytes: #2 has type 0x07 but no NTFS boot sector.
    assert_eq!(o.partition.as_ref().unwrap().index, 1);
    assert_eq!(o.volume_offset, 128 * 512);
    assert_eq!(o.volume.len(), 2048 * 512);
    let mut oem = [0u8; 8];
    o.volume.read_at(3, &mut oem).unwrap();
    assert_eq!(&oem, b"NTFS    ");

    // --partition
    let opts = OpenOptions {
        partition: Some(5),
        offset: None,
    };
    let o = open_bytes(&dir, "mbr.raw", &mbr_disk(), &opts).unwrap();
    assert_eq!(o.volume_offset, (4224 + 64) * 512);
    let opts = OpenOptions {
        partition: Some(9),
        offset: None,
    };
    let e = open_bytes(&dir, "mbr.raw", &mbr_disk(), &opts)
        .err()
        .unwrap();
    assert!(matches!(e, Error::Usage(_)), "{e}");
    assert!(
        e.to_string().contains("#5"),
        "the error lists the partitions: {e}"
    );

    // --offset wins
    let opts = OpenOptions {
        partition: None,
        offset: Some(2176 * 512),
    };
    let o = open_bytes(&dir, "mbr.raw", &mbr_disk(), &opts).unwrap();
    assert_eq!(o.volume_offset, 2176 * 512);
    assert_eq!(o.partition.unwrap().index, 2);

    // Two NTFS partitions: ambiguous without --partition.
    let mut d = mbr_disk();
    fake_ntfs(&mut d, 4224 + 64);
    let e = open_bytes(&dir, "two.raw", &d, &OpenOptions::default())
        .err()
        .unwrap();
    assert!(matches!(e, Error::Usage(_)), "{e}");
    assert!(e.to_string().contains("1, 5"), "{e}");

    // No NTFS partition at all.
    let mut d = mbr_disk();
    d[128 * 512 + 3] = b'X';
    let e = open_bytes(&dir, "none.raw", &d, &OpenOptions::default())
        .err()
        .unwrap();
    assert!(matches!(e, Error::Usage(_)), "{e}");
    let _ = std::fs::remove_dir_all(&dir);
}

fn guid(text: &str) -> [u8; 16] {
    let h: String = text.chars().filter(|c| *c != '-').collect();
    let b: Vec<u8> = (0..16)
        .map(|i| u8::from_str_radix(&h[2 * i..2 * i + 2], 16).unwrap())
        .collect();
    [
        b[3], b[2], b[1], b[0], b[5], b[4], b[7], b[6], b[8], b[9], b[10], b[11], b[12], b[13],
        b[14], b[15],
    ]
}

const BASIC_DATA: &str = "EBD0A0A2-B9E5-4433-87C0-68B6B72699C7";
const MS_RESERVED: &str = "E3C9E316-0B5C-4DB8-817D-F92DF00215AE";

/// A GPT disk of `sectors` 512-byte sectors with `parts` (first LBA, last LBA, type, name).
fn gpt_disk(sectors: usize, parts: &[(u64, u64, &str, &str)]) -> Vec<u8> {
    let mut d = vec![0u8; sectors * 512];
    mbr_entry(&mut d, 0, 0, 0xEE, 1, (sectors - 1) as u32);
    let mut arr = vec![0u8; 128 * 128];
    for (i, (first, last, t, name)) in parts.iter().enumerate() {
        let e = &mut arr[i * 128..(i + 1) * 128];
        e[0..16].copy_from_slice(&guid(t));
        e[16] = i as u8 + 1;
        e[32..40].copy_from_slice(&first.to_le_bytes());
        e[40..48].copy_from_slice(&last.to_le_bytes());
        for (j, u) in name.encode_utf16().enumerate() {
            e[56 + 2 * j..58 + 2 * j].copy_from_slice(&u.to_le_bytes());
        }
    }
    let arr_crc = crc32fast::hash(&arr);
    let last = (sectors - 1) as u64;
    for (my, alt, entries) in [(1u64, last, 2u64), (last, 1, last - 32)] {
        let mut h = vec![0u8; 92];
        h[0..8].copy_from_slice(b"EFI PART");
        h[8..12].copy_from_slice(&0x0001_0000u32.to_le_bytes());
        h[12..16].copy_from_slice(&92u32.to_le_bytes());
        h[24..32].copy_from_slice(&my.to_le_bytes());
        h[32..40].copy_from_slice(&alt.to_le_bytes());
        h[40..48].copy_from_slice(&34u64.to_le_bytes());
        h[48..56].copy_from_slice(&(last - 33).to_le_bytes());
        h[72..80].copy_from_slice(&entries.to_le_bytes());
        h[80..84].copy_from_slice(&128u32.to_le_bytes());
        h[84..88].copy_from_slice(&128u32.to_le_bytes());
        h[88..92].copy_from_slice(&arr_crc.to_le_bytes());
        let crc = crc32fast::hash(&h);
        h[16..20].copy_from_slice(&crc.to_le_bytes());
        d[my as usize * 512..my as usize * 512 + 92].copy_from_slice(&h);
        d[entries as usize * 512..entries as usize * 512 + arr.len()].copy_from_slice(&arr);
    }
    d
}

#[test]
fn gpt_discovery_selection_and_backup() {
    let dir = tmpdir("gpt");
    let parts = [
        (34u64, 161u64, MS_RESERVED, "Microsoft reserved partition"),
        (2048, 4095, BASIC_DATA, "Basic data partition"),
        (4096, 6143, BASIC_DATA, "second"),
    ];
    let mut d = gpt_disk(8192, &parts);
    fake_ntfs(&mut d, 2048);
    let o = open_bytes(&dir, "gpt.raw", &d, &OpenOptions::default()).unwrap();
    let (scheme, ps) = o.partition_table.clone().unwrap();
    assert_eq!(scheme, Scheme::Gpt);
    assert_eq!(ps.len(), 3);
    assert_eq!(ps[1].type_name, "Basic data");
    assert_eq!(ps[1].type_id, BASIC_DATA);
    assert_eq!(ps[1].name.as_deref(), Some("Basic data partition"));
    assert_eq!(o.partition.as_ref().unwrap().index, 2);
    assert_eq!(o.volume_offset, 2048 * 512);
    assert!(o.warnings.is_empty(), "{:?}", o.warnings);

    // Damaged primary header: the backup is used, and a warning says so.
    let mut bad = d.clone();
    bad[512 + 24] ^= 0x40;
    let o = open_bytes(&dir, "gpt-bad.raw", &bad, &OpenOptions::default()).unwrap();
    assert_eq!(o.volume_offset, 2048 * 512);
    assert!(
        o.warnings.iter().any(|w| w.contains("backup")),
        "{:?}",
        o.warnings
    );

    // Two NTFS partitions: ambiguous; --partition picks one.
    fake_ntfs(&mut d, 4096);
    let e = open_bytes(&dir, "gpt-two.raw", &d, &OpenOptions::default())
        .err()
        .unwrap();
    assert!(matches!(e, Error::Usage(_)), "{e}");
    assert!(e.to_string().contains("second"), "{e}");
    let opts = OpenOptions {
        partition: Some(3),
        offset: None,
    };
    let o = open_bytes(&dir, "gpt-two.raw", &d, &opts).unwrap();
    assert_eq!(o.volume_offset, 4096 * 512);
    let _ = std::fs::remove_dir_all(&dir);
}

/// A GPT disk inside a VHDX: the container and the partition step together.
#[test]
fn gpt_inside_vhdx() {
    let Some(qemu) = qemu_img() else { return };
    let dir = tmpdir("gpt-vhdx");
    let mut d = gpt_disk(8192, &[(2048, 6143, BASIC_DATA, "data")]);
    fake_ntfs(&mut d, 2048);
    let raw = dir.join("gpt.raw");
    std::fs::write(&raw, &d).unwrap();
    let img = dir.join("gpt.vhdx");
    run(Command::new(qemu)
        .args(["convert", "-f", "raw", "-O", "vhdx"])
        .arg(&raw)
        .arg(&img));
    let o = container::open(&img, &OpenOptions::default()).unwrap();
    assert_eq!(o.container.kind, ContainerKind::VhdxDynamic);
    assert_eq!(o.partition.unwrap().index, 1);
    assert_eq!(o.volume_offset, 2048 * 512);
    let _ = std::fs::remove_dir_all(&dir);
}

// ---- differencing VHD, built by hand ---------------------------------------------------------

fn vhd_checksum(b: &mut [u8], field: usize) {
    let mut sum = 0u32;
    for (i, &x) in b.iter().enumerate() {
        if i < field || i >= field + 4 {
            sum = sum.wrapping_add(u32::from(x));
        }
    }
    b[field..field + 4].copy_from_slice(&(!sum).to_be_bytes());
}

fn be32(b: &[u8], o: usize) -> u32 {
    u32::from_be_bytes(b[o..o + 4].try_into().unwrap())
}

/// Turns a copy of the dynamic VHD `parent` into a differencing child: type 4, a new unique id,
/// the parent's id, name and a W2ru locator ".\<parent_name>"; in block 0 only sectors 2..=9 are
/// the child's (0xC1), the rest of the block's bytes in the child file are 0xEE and must not be
/// read; block 1 is dropped from the child's BAT so it reads from the parent.
fn make_child(parent: &[u8], parent_name: &str) -> Vec<u8> {
    let mut c = parent.to_vec();
    let n = c.len();
    let footer_at = n - 512;
    let hdr = be32(&c, 16 + 4) as usize; // low half of Data Offset (the header is at 512)
    assert_eq!(hdr, 512);
    let bat = u64::from_be_bytes(c[hdr + 16..hdr + 24].try_into().unwrap()) as usize;
    let block_size = be32(&c, hdr + 32) as usize;
    let bitmap_size = (block_size / 512 / 8).div_ceil(512) * 512;
    // Block 0: bitmap and data.
    let b0 = be32(&c, bat) as usize * 512;
    assert_ne!(be32(&c, bat), u32::MAX, "qemu allocated block 0");
    c[b0..b0 + bitmap_size].fill(0);
    for s in 2..=9usize {
        c[b0 + s / 8] |= 0x80 >> (s % 8);
    }
    let data = b0 + bitmap_size;
    c[data..data + block_size].fill(0xEE);
    c[data + 2 * 512..data + 10 * 512].fill(0xC1);
    // Block 1: absent in the child.
    c[bat + 4..bat + 8].copy_from_slice(&u32::MAX.to_be_bytes());
    // Parent locator data where the old footer was; the footer goes after it.
    let parent_id: [u8; 16] = parent[footer_at + 68..footer_at + 84].try_into().unwrap();
    let rel: Vec<u8> = format!(".\\{parent_name}")
        .encode_utf16()
        .flat_map(|u| u.to_le_bytes())
        .collect();
    let loc_off = footer_at;
    c.truncate(footer_at);
    let mut loc = vec![0u8; 512];
    loc[..rel.len()].copy_from_slice(&rel);
    c.extend_from_slice(&loc);
    // Dynamic header: parent id, parent name (UTF-16 big-endian), locator entry 0.
    c[hdr + 40..hdr + 56].copy_from_slice(&parent_id);
    c[hdr + 64..hdr + 576].fill(0);
    for (i, u) in parent_name.encode_utf16().enumerate() {
        c[hdr + 64 + 2 * i..hdr + 66 + 2 * i].copy_from_slice(&u.to_be_bytes());
    }
    let e = hdr + 576;
    c[e..e + 4].copy_from_slice(b"W2ru");
    c[e + 4..e + 8].copy_from_slice(&512u32.to_be_bytes());
    c[e + 8..e + 12].copy_from_slice(&(rel.len() as u32).to_be_bytes());
    c[e + 16..e + 24].copy_from_slice(&(loc_off as u64).to_be_bytes());
    vhd_checksum(&mut c[hdr..hdr + 1024], 36);
    // Footers: type 4, new unique id.
    let mut footer = parent[footer_at..].to_vec();
    footer[60..64].copy_from_slice(&4u32.to_be_bytes());
    footer[68..84].copy_from_slice(&[0xC4; 16]);
    vhd_checksum(&mut footer, 64);
    c[0..512].copy_from_slice(&footer);
    c.extend_from_slice(&footer);
    c
}

#[test]
fn differencing_vhd_reads_through_to_parent() {
    let Some(qemu) = qemu_img() else { return };
    let dir = tmpdir("diff");
    let src = dir.join("disk.raw");
    std::fs::write(&src, raw_disk()).unwrap();
    let parent = dir.join("parent.vhd");
    run(Command::new(qemu)
        .args([
            "convert",
            "-f",
            "raw",
            "-O",
            "vpc",
            "-o",
            "subformat=dynamic",
        ])
        .arg(&src)
        .arg(&parent));
    let parent_raw = dir.join("parent.raw");
    to_raw(qemu, "vpc", &parent, &parent_raw);
    let parent_bytes = std::fs::read(&parent).unwrap();
    let child_bytes = make_child(&parent_bytes, "parent.vhd");
    let sub = dir.join("child");
    std::fs::create_dir_all(&sub).unwrap();
    // The child sits next to the parent (".\parent.vhd").
    let child = dir.join("child.vhd");
    std::fs::write(&child, &child_bytes).unwrap();

    let o = container::open(&child, &OpenOptions::default()).unwrap();
    eprintln!("child: {}", o.container.description);
    assert_eq!(o.container.kind, ContainerKind::VhdDifferencing);
    assert!(
        o.container.description.contains("parent.vhd"),
        "{}",
        o.container.description
    );
    let mut expected = std::fs::read(&parent_raw).unwrap();
    expected[2 * 512..10 * 512].fill(0xC1);
    let exp = dir.join("expected.raw");
    std::fs::write(&exp, &expected).unwrap();
    assert_same(o.disk.as_ref(), &exp, "differencing VHD");

    // A child whose parent is not there: a clear error naming what was tried.
    let lonely = sub.join("child.vhd");
    std::fs::write(&lonely, &child_bytes).unwrap();
    let e = container::open(&lonely, &OpenOptions::default())
        .err()
        .unwrap();
    assert!(matches!(e, Error::NotFound(_)), "{e}");
    assert!(e.to_string().contains("parent.vhd"), "{e}");

    // A parent with another unique id: refused.
    let mut other = parent_bytes.clone();
    let n = other.len();
    for o in [0, n - 512] {
        other[o + 68] ^= 0xFF;
        vhd_checksum(&mut other[o..o + 512], 64);
    }
    std::fs::write(sub.join("parent.vhd"), &other).unwrap();
    let e = container::open(&lonely, &OpenOptions::default())
        .err()
        .unwrap();
    assert!(e.to_string().contains("unique id"), "{e}");
    let _ = std::fs::remove_dir_all(&dir);
}

// ---- real Windows images ---------------------------------------------------------------------

fn windows_images() -> Option<PathBuf> {
    let d = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/windows-images");
    if d.is_dir() {
        Some(d)
    } else {
        eprintln!("SKIPPED: {} is absent", d.display());
        None
    }
}

#[test]
fn windows_vhdx_matches_qemu_and_finds_gpt_partition() {
    let Some(images) = windows_images() else {
        return;
    };
    let zip = images.join("test.vhdx.zip");
    if !zip.is_file() {
        eprintln!("SKIPPED: {} is absent", zip.display());
        return;
    }
    let Some(qemu) = qemu_img() else { return };
    let dir = tmpdir("win-vhdx");
    let out = Command::new("unzip")
        .arg("-q")
        .arg("-o")
        .arg(&zip)
        .arg("-d")
        .arg(&dir)
        .output();
    match out {
        Ok(o) if o.status.success() => {}
        other => {
            eprintln!("SKIPPED: could not unzip {}: {other:?}", zip.display());
            return;
        }
    }
    let img = dir.join("test.vhdx");
    let o = container::open(&img, &OpenOptions::default()).unwrap();
    eprintln!(
        "Windows VHDX: {}; warnings {:?}",
        o.container.description, o.warnings
    );
    assert_eq!(
        o.container.kind,
        ContainerKind::VhdxDynamic,
        "{}",
        o.container.description
    );
    assert!(
        o.container.description.contains("Microsoft Windows"),
        "{}",
        o.container.description
    );
    assert_eq!(o.partition_table.as_ref().unwrap().0, Scheme::Gpt);
    assert_eq!(o.volume_offset, 128 * 512);
    assert_eq!(o.partition.as_ref().unwrap().start, 128 * 512);
    let raw = dir.join("test.raw");
    to_raw(qemu, "vhdx", &img, &raw);
    assert_same(o.disk.as_ref(), &raw, "Windows VHDX");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn windows_mbr_disk_finds_ntfs_partition() {
    let Some(images) = windows_images() else {
        return;
    };
    let gz = images.join("ntfs-lastaccess.raw.gz");
    if !gz.is_file() {
        eprintln!("SKIPPED: {} is absent", gz.display());
        return;
    }
    let dir = tmpdir("win-mbr");
    let raw = dir.join("disk.raw");
    let out = Command::new("gunzip").arg("-c").arg(&gz).output();
    match out {
        Ok(o) if o.status.success() => std::fs::write(&raw, o.stdout).unwrap(),
        other => {
            eprintln!(
                "SKIPPED: could not gunzip {}: {:?}",
                gz.display(),
                other.map(|o| o.status)
            );
            return;
        }
    }
    let o = container::open(&raw, &OpenOptions::default()).unwrap();
    assert_eq!(o.container.kind, ContainerKind::Raw);
    let (scheme, parts) = o.partition_table.clone().unwrap();
    assert_eq!(scheme, Scheme::Mbr);
    assert_eq!(parts.len(), 1);
    assert_eq!(parts[0].type_id, "0x07");
    assert_eq!(o.volume_offset, 128 * 512);
    // The same disk from an already opened source.
    let src: ntfs_inspect::Source = std::sync::Arc::new(FileSource::open(&raw).unwrap());
    let o2 = container::open_source(src, &raw, &OpenOptions::default()).unwrap();
    assert_eq!(o2.volume_offset, 128 * 512);
    let _ = std::fs::remove_dir_all(&dir);
}

// ---- VHDX log replay, checked against qemu-img's own replay -----------------------------------

fn le_u64(b: &[u8], o: usize) -> u64 {
    u64::from_le_bytes(b[o..o + 8].try_into().unwrap())
}

fn put_crc32c(b: &mut [u8], start: usize, len: usize) {
    b[start + 4..start + 8].fill(0);
    let c = ntfs_inspect::vhdx::crc32c(&b[start..start + len]);
    b[start + 4..start + 8].copy_from_slice(&c.to_le_bytes());
}

/// Writes a two-entry log sequence into a qemu-made VHDX and marks the log dirty: entry 1 writes
/// one 4 KiB sector (with leading/trailing bytes from the descriptor) and zeroes 8 KiB; entry 2
/// writes another sector. Our in-memory replay must give what `qemu-img check -r all` (which
/// replays the log into the file) gives.
#[test]
fn vhdx_log_replay_matches_qemu() {
    let Some(qemu) = qemu_img() else { return };
    let dir = tmpdir("vhdx-log");
    let src = dir.join("disk.raw");
    let raw = raw_disk();
    std::fs::write(&src, &raw).unwrap();
    let img = dir.join("clean.vhdx");
    run(Command::new(qemu)
        .args(["convert", "-f", "raw", "-O", "vhdx", "-o", "block_size=1M"])
        .arg(&src)
        .arg(&img));
    let mut f = std::fs::read(&img).unwrap();
    // Block 0's payload: the MiB-aligned place holding the disk's first 4 KiB.
    let payload = (1..f.len() / MIB)
        .map(|m| m * MIB)
        .find(|&o| f[o..o + 4096] == raw[..4096])
        .expect("block 0 payload");
    let (h1, h2) = (64 * 1024, 128 * 1024);
    let cur = if le_u64(&f, h2 + 8) > le_u64(&f, h1 + 8) {
        h2
    } else {
        h1
    };
    let log_len = u32::from_le_bytes(f[cur + 68..cur + 72].try_into().unwrap()) as usize;
    let log_off = le_u64(&f, cur + 72) as usize;
    assert!(log_len >= 3 * 4096);
    let log_guid = [0x3Cu8; 16];
    let file_len = f.len() as u64;

    let mut entry = |pos: usize, seq: u64, tail: u32, descs: &[(&[u8; 4], u64, u64, u8)]| {
        let data_count = descs.iter().filter(|d| d.0 == b"desc").count();
        let len = 4096 * (1 + data_count);
        let e = log_off + pos;
        f[e..e + len].fill(0);
        f[e..e + 4].copy_from_slice(b"loge");
        f[e + 8..e + 12].copy_from_slice(&(len as u32).to_le_bytes());
        f[e + 12..e + 16].copy_from_slice(&tail.to_le_bytes());
        f[e + 16..e + 24].copy_from_slice(&seq.to_le_bytes());
        f[e + 24..e + 28].copy_from_slice(&(descs.len() as u32).to_le_bytes());
        f[e + 32..e + 48].copy_from_slice(&log_guid);
        f[e + 48..e + 56].copy_from_slice(&file_len.to_le_bytes());
        f[e + 56..e + 64].copy_from_slice(&file_len.to_le_bytes());
        let mut sector = e + 4096;
        for (i, (kind, file_off, zero_len, fill)) in descs.iter().enumerate() {
            let d = e + 64 + 32 * i;
            f[d..d + 4].copy_from_slice(*kind);
            f[d + 16..d + 24].copy_from_slice(&file_off.to_le_bytes());
            f[d + 24..d + 32].copy_from_slice(&seq.to_le_bytes());
            if *kind == b"zero" {
                f[d + 8..d + 16].copy_from_slice(&zero_len.to_le_bytes());
            } else {
                f[d + 4..d + 8].copy_from_slice(&0xDDCC_BBAAu32.to_le_bytes()); // trailing
                f[d + 8..d + 16].copy_from_slice(&0x1122_3344_5566_7788u64.to_le_bytes()); // leading
                f[sector..sector + 4].copy_from_slice(b"data");
                f[sector + 4..sector + 8].copy_from_slice(&((seq >> 32) as u32).to_le_bytes());
                f[sector + 8..sector + 4092].fill(*fill);
                f[sector + 4092..sector + 4096].copy_from_slice(&(seq as u32).to_le_bytes());
                sector += 4096;
            }
        }
        put_crc32c(&mut f, e, len);
        len
    };
    let p = payload as u64;
    let first = entry(
        0,
        0x0000_0002_0000_0010,
        0,
        &[(b"desc", p + 8192, 0, 0x5A), (b"zero", p + 16384, 8192, 0)],
    );
    entry(
        first,
        0x0000_0002_0000_0011,
        0,
        &[(b"desc", p + 65536, 0, 0xA5)],
    );
    for h in [h1, h2] {
        f[h + 48..h + 64].copy_from_slice(&log_guid);
        put_crc32c(&mut f, h, 4096);
    }
    let dirty = dir.join("dirty.vhdx");
    std::fs::write(&dirty, &f).unwrap();

    let o = container::open(&dirty, &OpenOptions::default()).unwrap();
    assert!(
        o.warnings
            .iter()
            .any(|w| w.contains("2 log entries replayed")),
        "{:?}",
        o.warnings
    );
    // Our reader never writes: the file is unchanged.
    assert_eq!(std::fs::read(&dirty).unwrap(), f);

    let replayed = dir.join("replayed-by-qemu.vhdx");
    std::fs::write(&replayed, &f).unwrap();
    run(Command::new(qemu)
        .args(["check", "-r", "all", "-f", "vhdx"])
        .arg(&replayed));
    let out = dir.join("replayed.raw");
    to_raw(qemu, "vhdx", &replayed, &out);
    let expect = std::fs::read(&out).unwrap();
    assert_ne!(expect[8192..8200], raw[8192..8200], "qemu applied the log");
    assert_same(o.disk.as_ref(), &out, "VHDX after log replay");
    let _ = std::fs::remove_dir_all(&dir);
}

// ---- differencing VHDX, built by hand -------------------------------------------------------

fn guid_text(g: &[u8]) -> String {
    format!(
        "{:08X}-{:04X}-{:04X}-{}-{}",
        u32::from_le_bytes(g[0..4].try_into().unwrap()),
        u16::from_le_bytes(g[4..6].try_into().unwrap()),
        u16::from_le_bytes(g[6..8].try_into().unwrap()),
        g[8..10]
            .iter()
            .map(|b| format!("{b:02X}"))
            .collect::<String>(),
        g[10..16]
            .iter()
            .map(|b| format!("{b:02X}"))
            .collect::<String>()
    )
}

fn utf16(s: &str) -> Vec<u8> {
    s.encode_utf16().flat_map(|u| u.to_le_bytes()).collect()
}

/// Turns a copy of a qemu-made dynamic VHDX (1 MiB blocks) into a differencing child of it:
/// HasParent set, a parent locator (parent_linkage = the parent's DataWriteGuid, relative_path),
/// a sector bitmap block for chunk 0; block 0 PARTIALLY_PRESENT with only sectors 2..=9 in the
/// child (0xC1; the rest of the child's block is 0xEE and must not be read), block 1
/// NOT_PRESENT (parent), block 3 ZERO.
fn make_vhdx_child(parent: &[u8], parent_name: &str) -> Vec<u8> {
    let mut c = parent.to_vec();
    let (h1, h2) = (64 * 1024, 128 * 1024);
    let cur = if le_u64(&c, h2 + 8) > le_u64(&c, h1 + 8) {
        h2
    } else {
        h1
    };
    let linkage = format!("{{{}}}", guid_text(&c[cur + 32..cur + 48]));
    let rt = 192 * 1024;
    let count = u32::from_le_bytes(c[rt + 8..rt + 12].try_into().unwrap()) as usize;
    let (mut bat, mut meta, mut meta_len) = (0, 0, 0);
    for i in 0..count {
        let e = rt + 16 + 32 * i;
        let g = guid_text(&c[e..e + 16]);
        let off = le_u64(&c, e + 16) as usize;
        if g == "2DC27766-F623-4200-9D64-115E9BFD4A08" {
            bat = off;
        } else if g == "8B7CA206-4790-4B9A-B8FE-575F050F886E" {
            meta = off;
            meta_len = u32::from_le_bytes(c[e + 24..e + 28].try_into().unwrap()) as usize;
        }
    }
    assert!(bat > 0 && meta > 0);
    let n = u16::from_le_bytes(c[meta + 10..meta + 12].try_into().unwrap()) as usize;
    let mut end = 64 * 1024;
    for i in 0..n {
        let e = meta + 32 + 32 * i;
        let off = u32::from_le_bytes(c[e + 16..e + 20].try_into().unwrap()) as usize;
        let len = u32::from_le_bytes(c[e + 20..e + 24].try_into().unwrap()) as usize;
        end = end.max(off + len);
        if guid_text(&c[e..e + 16]) == "CAA16737-FA36-4D43-B3B6-33F0AA44E76B" {
            c[meta + off + 4] |= 2; // HasParent
        }
    }
    // The parent locator item.
    let item_off = end.div_ceil(8) * 8;
    let keys = [
        ("parent_linkage", linkage.as_str()),
        ("relative_path", &format!(".\\{parent_name}")),
    ];
    let mut item = vec![0u8; 20 + 12 * keys.len()];
    item[0..16].copy_from_slice(&guid("B04AEFB7-D19E-4A81-B789-25B8E9445913"));
    item[18..20].copy_from_slice(&(keys.len() as u16).to_le_bytes());
    for (i, (k, v)) in keys.iter().enumerate() {
        let (k, v) = (utf16(k), utf16(v));
        let e = 20 + 12 * i;
        let ko = item.len() as u32;
        item.extend_from_slice(&k);
        let vo = item.len() as u32;
        item.extend_from_slice(&v);
        item[e..e + 4].copy_from_slice(&ko.to_le_bytes());
        item[e + 4..e + 8].copy_from_slice(&vo.to_le_bytes());
        item[e + 8..e + 10].copy_from_slice(&(k.len() as u16).to_le_bytes());
        item[e + 10..e + 12].copy_from_slice(&(v.len() as u16).to_le_bytes());
    }
    assert!(item_off + item.len() <= meta_len);
    c[meta + item_off..meta + item_off + item.len()].copy_from_slice(&item);
    let e = meta + 32 + 32 * n;
    c[e..e + 16].copy_from_slice(&guid("A8D35F2D-B30B-454D-ABF7-D3D84834AB0C"));
    c[e + 16..e + 20].copy_from_slice(&(item_off as u32).to_le_bytes());
    c[e + 20..e + 24].copy_from_slice(&(item.len() as u32).to_le_bytes());
    c[e + 24..e + 28].copy_from_slice(&4u32.to_le_bytes());
    c[meta + 10..meta + 12].copy_from_slice(&((n + 1) as u16).to_le_bytes());
    // Sector bitmap block for chunk 0 (BAT index = chunk ratio = 2^23 * 512 / 1 MiB = 4096).
    c.resize(c.len().div_ceil(MIB) * MIB, 0);
    let sb = c.len();
    c.resize(sb + MIB, 0);
    for s in 2..=9usize {
        c[sb + s / 8] |= 1 << (s % 8);
    }
    let bat_entry = |c: &mut Vec<u8>, i: usize, v: u64| {
        c[bat + 8 * i..bat + 8 * i + 8].copy_from_slice(&v.to_le_bytes())
    };
    bat_entry(&mut c, 4096, sb as u64 | 6);
    let b0 = le_u64(&c, bat);
    assert_eq!(b0 & 7, 6, "qemu allocated block 0");
    let data = ((b0 >> 20) << 20) as usize;
    c[data..data + MIB].fill(0xEE);
    c[data + 2 * 512..data + 10 * 512].fill(0xC1);
    bat_entry(&mut c, 0, (b0 & !7) | 7);
    bat_entry(&mut c, 1, 0);
    bat_entry(&mut c, 3, 2);
    c
}

#[test]
fn differencing_vhdx_reads_through_to_parent() {
    let Some(qemu) = qemu_img() else { return };
    let dir = tmpdir("diff-vhdx");
    let src = dir.join("disk.raw");
    std::fs::write(&src, raw_disk()).unwrap();
    let parent = dir.join("parent.vhdx");
    run(Command::new(qemu)
        .args(["convert", "-f", "raw", "-O", "vhdx", "-o", "block_size=1M"])
        .arg(&src)
        .arg(&parent));
    let parent_raw = dir.join("parent.raw");
    to_raw(qemu, "vhdx", &parent, &parent_raw);
    let child_bytes = make_vhdx_child(&std::fs::read(&parent).unwrap(), "parent.vhdx");
    let child = dir.join("child.vhdx");
    std::fs::write(&child, &child_bytes).unwrap();

    let o = container::open(&child, &OpenOptions::default()).unwrap();
    eprintln!("child: {}", o.container.description);
    assert_eq!(o.container.kind, ContainerKind::VhdxDifferencing);
    assert!(o.warnings.is_empty(), "{:?}", o.warnings);
    let mut expected = std::fs::read(&parent_raw).unwrap();
    expected[2 * 512..10 * 512].fill(0xC1);
    expected[3 * MIB..4 * MIB].fill(0);
    let exp = dir.join("expected.raw");
    std::fs::write(&exp, &expected).unwrap();
    assert_same(o.disk.as_ref(), &exp, "differencing VHDX");

    // Without its parent: a clear error.
    let sub = dir.join("alone");
    std::fs::create_dir_all(&sub).unwrap();
    std::fs::write(sub.join("child.vhdx"), &child_bytes).unwrap();
    let e = container::open(&sub.join("child.vhdx"), &OpenOptions::default())
        .err()
        .unwrap();
    assert!(matches!(e, Error::NotFound(_)), "{e}");
    assert!(e.to_string().contains("parent.vhdx"), "{e}");
    let _ = std::fs::remove_dir_all(&dir);
}
