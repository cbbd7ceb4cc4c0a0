//! Live volumes: the Linux block-device path (a read-only loop device over a fixture volume) and
//! the sector-aligned reader of Windows devices, exercised over fixture files on every platform
//! (under Wine too). Both must give the same bytes and the same paths as reading the image.
//!
//! The fixture is `images/basic-dynamic.vhd` (else any committed `images/*.vhd[x]`); without
//! one, on Linux, a small volume made with `mkntfs` in the test's temporary directory (which the
//! Wine run of `scripts/test` then reuses). `$NTFS_INSPECT_LIVE_FIXTURE` overrides the choice.
//! What cannot run here (no loop devices, not root, no `qemu-img`) says why and returns.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use ntfs_inspect::container::{self, OpenOptions};
use ntfs_inspect::live;
use ntfs_inspect::scan::Scan;
use ntfs_inspect::source::{ReadAt, Source};
use ntfs_inspect::volume::Volume;
use std::path::{Path, PathBuf};

/// Where the mkntfs fallback volume lives (shared by the Linux and Wine runs).
fn generated_volume() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("live-fixture-ntfs.raw")
}

/// The fixture image to read, or why there is none. Chosen (and made, if need be) once per
/// process: the tests run on parallel threads and must not both run mkntfs on one file.
fn fixture() -> Result<PathBuf, String> {
    static FIXTURE: std::sync::OnceLock<Result<PathBuf, String>> = std::sync::OnceLock::new();
    FIXTURE.get_or_init(choose_fixture).clone()
}

fn choose_fixture() -> Result<PathBuf, String> {
    if let Some(p) = std::env::var_os("NTFS_INSPECT_LIVE_FIXTURE") {
        return Ok(PathBuf::from(p));
    }
    let images = Path::new(env!("CARGO_MANIFEST_DIR")).join("images");
    let preferred = images.join("basic-dynamic.vhd");
    if preferred.is_file() {
        return Ok(preferred);
    }
    let mut found: Vec<PathBuf> = std::fs::read_dir(&images)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_file() && p.extension().is_some_and(|x| x == "vhd" || x == "vhdx"))
        .collect();
    found.sort();
    if let Some(p) = found.into_iter().next() {
        return Ok(p);
    }
    make_volume()
}

#[cfg(unix)]
fn make_volume() -> Result<PathBuf, String> {
    use std::process::Command;
    let path = generated_volume();
    if path.is_file() {
        return Ok(path);
    }
    let tmp = path.with_extension(format!("{}.tmp", std::process::id()));
    let f = std::fs::File::create(&tmp).map_err(|e| e.to_string())?;
    f.set_len(8 << 20).map_err(|e| e.to_string())?;
    drop(f);
    let out = Command::new("mkntfs")
        .args(["-F", "-f", "-q", "-s", "512", "-c", "4096", "-L", "live"])
        .arg(&tmp)
        .output();
    match out {
        Ok(o) if o.status.success() => {
            std::fs::rename(&tmp, &path).map_err(|e| e.to_string())?;
            Ok(path)
        }
        Ok(o) => {
            let _ = std::fs::remove_file(&tmp);
            Err(format!(
                "no fixture image and mkntfs failed: {}",
                String::from_utf8_lossy(&o.stderr)
            ))
        }
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            Err(format!(
                "no fixture image in images/ and mkntfs cannot run ({e})"
            ))
        }
    }
}

/// No mkntfs here: use the volume the Linux run made. Cross-built, this binary's temporary
/// directory is `target/<triple>/tmp` and the Linux run's is `target/tmp`.
#[cfg(not(unix))]
fn make_volume() -> Result<PathBuf, String> {
    let own = generated_volume();
    let host = Path::new(env!("CARGO_TARGET_TMPDIR")).join("../../tmp/live-fixture-ntfs.raw");
    for path in [&own, &host] {
        if path.is_file() {
            return Ok(path.clone());
        }
    }
    Err(format!(
        "no fixture image in images/, and neither {} nor {} (made by the Linux run of this test)",
        own.display(),
        host.display()
    ))
}

/// What a scan found, in a form two scans can be compared with: every record with its paths.
fn fingerprint(volume: Source) -> Vec<(u64, bool, Vec<String>, Option<u64>)> {
    let vol = Volume::open(volume).unwrap();
    let scan = Scan::new(&vol);
    let out: Vec<_> = scan
        .entries()
        .iter()
        .map(|e| (e.record, e.in_use, scan.paths(e.record), e.data_size))
        .collect();
    assert!(
        out.iter()
            .any(|(_, _, p, _)| p.iter().any(|p| p == "\\$MFT")),
        "the scan did not find \\$MFT"
    );
    out
}

/// Every byte of `a` and `b` is the same.
fn assert_same_bytes(a: &dyn ReadAt, b: &dyn ReadAt, what: &str) {
    assert_eq!(a.len(), b.len(), "{what}: lengths differ");
    let step = 1 << 20;
    let (mut x, mut y) = (vec![0u8; step], vec![0u8; step]);
    let mut pos = 0;
    while pos < a.len() {
        let n = step.min((a.len() - pos) as usize);
        a.read_at(pos, &mut x[..n]).unwrap();
        b.read_at(pos, &mut y[..n]).unwrap();
        assert!(
            x[..n] == y[..n],
            "{what}: bytes differ in the MiB at {pos:#x}"
        );
        pos += n as u64;
    }
}

/// The aligned reader (the code path of `\\.\` devices, over a plain file) reads the fixture
/// the same as the plain file reader: same bytes of the whole disk, same scan, for 512- and
/// 4096-byte sectors, and odd reads at odd offsets.
#[test]
fn aligned_reader_reads_a_fixture_like_the_plain_reader() {
    let image = match fixture() {
        Ok(p) => p,
        Err(why) => {
            eprintln!("SKIPPED: {why}");
            return;
        }
    };
    let opts = OpenOptions::default();
    let plain = container::open(&image, &opts).unwrap();
    let expected = fingerprint(plain.volume.clone());
    for sector in [512u32, 4096] {
        let aligned = live::open_file_aligned(&image, sector).unwrap();
        let opened = container::open_source(aligned, &image, &opts).unwrap();
        assert_eq!(opened.container.kind, plain.container.kind);
        assert_eq!(opened.volume_offset, plain.volume_offset);
        assert_same_bytes(
            opened.disk.as_ref(),
            plain.disk.as_ref(),
            &format!("{sector}-byte sectors"),
        );
        assert_eq!(
            fingerprint(opened.volume.clone()),
            expected,
            "{sector}-byte sectors"
        );

        let raw = live::open_file_aligned(&image, sector).unwrap();
        let file = live::open_path(&image).unwrap();
        for (offset, len) in [
            (0u64, 1usize),
            (1, 511),
            (511, 2),
            (4095, 4098),
            (12_345, 70_001),
        ] {
            if offset + len as u64 > file.len() {
                continue;
            }
            let (mut a, mut b) = (vec![0u8; len], vec![0u8; len]);
            raw.read_at(offset, &mut a).unwrap();
            file.read_at(offset, &mut b).unwrap();
            assert!(a == b, "{sector}-byte sectors: {len} bytes at {offset}");
        }
    }
}

/// Removes the loop device when the test ends, however it ends.
#[cfg(target_os = "linux")]
struct Loop(String);

#[cfg(target_os = "linux")]
impl Drop for Loop {
    fn drop(&mut self) {
        let _ = std::process::Command::new("losetup")
            .arg("-d")
            .arg(&self.0)
            .status();
    }
}

/// A read-only loop device over the fixture's raw bytes opens as a block device (size from the
/// device) and scans to the same paths as the image.
#[cfg(target_os = "linux")]
#[test]
fn loop_device_scans_like_the_image() {
    use ntfs_inspect::container::ContainerKind;
    use ntfs_inspect::volume::Opened;
    use std::process::Command;

    let image = match fixture() {
        Ok(p) => p,
        Err(why) => {
            eprintln!("SKIPPED: {why}");
            return;
        }
    };
    let opts = OpenOptions::default();
    let plain = container::open(&image, &opts).unwrap();
    // losetup needs the raw bytes: convert a VHD/VHDX with qemu-img.
    let dir =
        Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("live-loop-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let raw = if plain.container.kind == ContainerKind::Raw {
        image.clone()
    } else {
        let raw = dir.join("disk.raw");
        let out = Command::new("qemu-img")
            .args(["convert", "-O", "raw"])
            .arg(&image)
            .arg(&raw)
            .output();
        match out {
            Ok(o) if o.status.success() => raw,
            Ok(o) => panic!(
                "qemu-img convert failed: {}",
                String::from_utf8_lossy(&o.stderr)
            ),
            Err(e) => {
                eprintln!("SKIPPED: qemu-img cannot run ({e}); it makes the raw bytes for the loop device");
                return;
            }
        }
    };
    let out = Command::new("losetup")
        .args(["-f", "--show", "-r"])
        .arg(&raw)
        .output();
    let dev = match out {
        Ok(o) if o.status.success() => Loop(String::from_utf8_lossy(&o.stdout).trim().to_string()),
        Ok(o) => {
            eprintln!(
                "SKIPPED: cannot make a loop device (needs root and the loop module): {}",
                String::from_utf8_lossy(&o.stderr).trim()
            );
            let _ = std::fs::remove_dir_all(&dir);
            return;
        }
        Err(e) => {
            eprintln!("SKIPPED: losetup cannot run ({e})");
            let _ = std::fs::remove_dir_all(&dir);
            return;
        }
    };
    let dev_path = Path::new(&dev.0);
    let opened = Opened::open(dev_path, &opts).unwrap();
    assert_eq!(opened.container.container.kind, ContainerKind::BlockDevice);
    assert_eq!(opened.container.disk.len(), plain.disk.len(), "device size");
    assert_eq!(opened.container.volume_offset, plain.volume_offset);
    let scan = Scan::new(&opened.volume);
    let got: Vec<_> = scan
        .entries()
        .iter()
        .map(|e| (e.record, e.in_use, scan.paths(e.record), e.data_size))
        .collect();
    assert_eq!(got, fingerprint(plain.volume.clone()));
    // The device also reads through the aligned path (512-byte logical sectors).
    let aligned = live::open_file_aligned(dev_path, 512).unwrap();
    assert_same_bytes(
        aligned.as_ref(),
        opened.container.disk.as_ref(),
        "loop device, aligned reader",
    );
    drop(dev);
    let _ = std::fs::remove_dir_all(&dir);
}
