//! Where the test volumes are: the committed fixtures under `images/`, and the real Windows
//! volumes in `../shared/windows-images/` (unpacked once per run into the target directory; never
//! copied into the project).

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Every committed fixture container (`images/*.vhd`, `images/*.vhdx`), sorted.
pub fn committed() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(root().join("images"))
        .map(|d| {
            d.filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| matches!(p.extension().and_then(|e| e.to_str()), Some("vhd" | "vhdx")))
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

/// A real Windows volume: its oracle directory name and the file to open.
pub struct WindowsImage {
    /// `win-server2022`, `win-win10`, `win-win7`: the directory under `images/oracle/`.
    pub oracle: &'static str,
    pub path: PathBuf,
}

fn tool(name: &str) -> bool {
    Command::new(name).arg("--version").output().is_ok()
        || Command::new(name).arg("-h").output().is_ok()
}

/// Unpacks the shared Windows images into `target/windows-images/` (once) and returns them.
/// Returns an empty list, saying why on stderr, when the shared folder or a tool is missing.
pub fn windows_images() -> Vec<WindowsImage> {
    let shared = root().join("../shared/windows-images");
    if !shared.is_dir() {
        eprintln!(
            "skipping the real Windows images: {} is not there",
            shared.display()
        );
        return Vec::new();
    }
    let out = root().join("target/windows-images");
    let _ = std::fs::create_dir_all(&out);
    let mut v = Vec::new();
    let unpack = |dst: &Path, f: &dyn Fn(&Path) -> bool| -> bool {
        if dst.exists() {
            return true;
        }
        let tmp = dst.with_extension(format!("part{}", std::process::id()));
        let ok = f(&tmp) && std::fs::rename(&tmp, dst).is_ok();
        if !ok {
            eprintln!("could not unpack {}", dst.display());
        }
        ok
    };
    // Server 2022: a ZIP holding a dynamic VHDX with a GPT.
    let vhdx = out.join("test.vhdx");
    if tool("unzip")
        && unpack(&vhdx, &|tmp| {
            let dir = tmp.with_extension("d");
            let ok = Command::new("unzip")
                .args(["-q", "-o"])
                .arg(shared.join("test.vhdx.zip"))
                .arg("-d")
                .arg(&dir)
                .status()
                .is_ok_and(|s| s.success());
            ok && std::fs::rename(dir.join("test.vhdx"), tmp).is_ok()
        })
    {
        v.push(WindowsImage {
            oracle: "win-server2022",
            path: vhdx,
        });
    }
    // Windows 10: a gzipped raw MBR disk.
    let raw = out.join("ntfs-lastaccess.raw");
    if unpack(&raw, &|tmp| {
        std::fs::File::create(tmp).is_ok_and(|f| {
            Command::new("gzip")
                .arg("-dc")
                .arg(shared.join("ntfs-lastaccess.raw.gz"))
                .stdout(f)
                .status()
                .is_ok_and(|s| s.success())
        })
    }) {
        v.push(WindowsImage {
            oracle: "win-win10",
            path: raw,
        });
    }
    // Windows 7: a QCOW2 holding a raw volume (no partition table).
    let vss = out.join("vsstest.raw");
    if tool("qemu-img")
        && unpack(&vss, &|tmp| {
            Command::new("qemu-img")
                .args(["convert", "-f", "qcow2", "-O", "raw"])
                .arg(shared.join("vsstest.qcow2"))
                .arg(tmp)
                .status()
                .is_ok_and(|s| s.success())
        })
    {
        v.push(WindowsImage {
            oracle: "win-win7",
            path: vss,
        });
    }
    v
}
