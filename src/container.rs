//! Container detection and the one entry point, [`open`]: file → container layer (raw, VHD,
//! VHDX, block device) → partition table (MBR, GPT) → the NTFS volume.
//!
//! Detection looks at the bytes only, never at the file name:
//! - `vhdxfile` at byte 0 → VHDX (MS-VHDX §2.2.1, file type identifier);
//! - `conectix` in the last 512 bytes (or the last 511, for images written before Virtual PC
//!   2004), or at byte 0 (the footer copy of a dynamic disk) → VHD ("Virtual Hard Disk Image
//!   Format Specification", Hard Disk Footer Format);
//! - anything else is a raw disk or volume.
//!
//! Then the volume is found inside the disk: `--offset` wins; a disk that starts with an NTFS
//! boot sector is the volume itself; otherwise the GPT (behind a protective MBR) or the MBR is
//! read and the partition chosen with `--partition`, or else the single partition whose first
//! sector carries the NTFS OEM id.

use crate::error::{Error, Result};
use crate::source::{ReadAt, Slice, Source};
use crate::{gpt, mbr, vhd, vhdx};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Which partitioning scheme a [`Partition`] comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    /// Master Boot Record (primary entries and the EBR chain of an extended partition).
    Mbr,
    /// GUID Partition Table (UEFI specification, chapter 5).
    Gpt,
}

impl std::fmt::Display for Scheme {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Scheme::Mbr => "MBR",
            Scheme::Gpt => "GPT",
        })
    }
}

/// One partition of a disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Partition {
    /// 1-based number as the user sees it (MBR: 1–4 primary, 5… logical; GPT: entry index + 1).
    pub index: u32,
    /// Start, in bytes from the start of the disk.
    pub start: u64,
    /// Length in bytes.
    pub len: u64,
    /// Human type, e.g. `"0x07 NTFS/exFAT"` or `"Basic data"`.
    pub type_name: String,
    /// Machine type: `"0x07"` or the type GUID text.
    pub type_id: String,
    /// GPT partition name, when there is one.
    pub name: Option<String>,
    /// Where the entry came from.
    pub scheme: Scheme,
}

impl std::fmt::Display for Partition {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "#{} {} at byte {} ({} bytes), {}",
            self.index, self.scheme, self.start, self.len, self.type_name
        )?;
        if let Some(name) = &self.name {
            write!(f, " \"{name}\"")?;
        }
        Ok(())
    }
}

/// What the caller asked for.
#[derive(Debug, Clone, Default)]
pub struct OpenOptions {
    /// `--partition N` (1-based, as listed).
    pub partition: Option<u32>,
    /// `--offset BYTES`: the volume starts here inside the (virtual) disk; wins over partitions.
    pub offset: Option<u64>,
}

/// The outer container of the bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContainerKind {
    /// A plain image (disk or volume).
    Raw,
    /// VHD, fixed (disk type 2).
    VhdFixed,
    /// VHD, dynamic (disk type 3).
    VhdDynamic,
    /// VHD, differencing (disk type 4).
    VhdDifferencing,
    /// VHDX whose blocks are all allocated (LeaveBlockAllocated set).
    VhdxFixed,
    /// VHDX, dynamic.
    VhdxDynamic,
    /// VHDX with a parent.
    VhdxDifferencing,
    /// A block device (Linux `/dev/...`).
    BlockDevice,
}

/// The container layer that was opened.
#[derive(Debug, Clone)]
pub struct Layer {
    /// Which format.
    pub kind: ContainerKind,
    /// Human text: size, block size, creator, parent…
    pub description: String,
}

/// Everything [`open`] found.
pub struct Opened {
    /// The path that was opened.
    pub path: PathBuf,
    /// The container layer.
    pub container: Layer,
    /// The partition table of the disk, when one was read.
    pub partition_table: Option<(Scheme, Vec<Partition>)>,
    /// The chosen partition.
    pub partition: Option<Partition>,
    /// Byte offset of the volume inside the disk.
    pub volume_offset: u64,
    /// The whole virtual disk (after the container).
    pub disk: Source,
    /// The NTFS volume (a [`Slice`] of `disk`, or `disk` itself).
    pub volume: Source,
    /// Things the examiner should know (a damaged structure we worked around, a backup used…).
    pub warnings: Vec<String>,
}

impl std::fmt::Debug for Opened {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Opened")
            .field("path", &self.path)
            .field("container", &self.container)
            .field("partition_table", &self.partition_table)
            .field("partition", &self.partition)
            .field("volume_offset", &self.volume_offset)
            .field("disk_len", &self.disk.len())
            .field("volume_len", &self.volume.len())
            .field("warnings", &self.warnings)
            .finish()
    }
}

/// Opens `path` read-only and finds the NTFS volume in it.
pub fn open(path: &Path, opts: &OpenOptions) -> Result<Opened> {
    let file: Source = crate::live::open_path(path)?;
    let mut opened = open_source(file, path, opts)?;
    if opened.container.kind == ContainerKind::Raw && is_block_device(path) {
        opened.container.kind = ContainerKind::BlockDevice;
        opened.container.description = format!("block device, {} bytes", opened.disk.len());
    }
    Ok(opened)
}

#[cfg(unix)]
fn is_block_device(path: &Path) -> bool {
    use std::os::unix::fs::FileTypeExt;
    std::fs::metadata(path)
        .map(|m| m.file_type().is_block_device())
        .unwrap_or(false)
}

/// Windows volumes and disks (`\\.\C:`, `\\.\PhysicalDrive0`).
#[cfg(not(unix))]
fn is_block_device(path: &Path) -> bool {
    crate::live::is_device_path(path)
}

/// Same as [`open`], from a source that is already open. `path` names it in messages and is the
/// directory that a differencing disk's parent is looked for relative to.
pub fn open_source(file: Source, path: &Path, opts: &OpenOptions) -> Result<Opened> {
    let mut warnings = Vec::new();
    let (container, disk) = open_container(file, path, &mut warnings)?;
    let (partition_table, partition, volume_offset) = find_volume(&disk, opts, &mut warnings)?;
    let volume: Source = if volume_offset == 0 && partition.is_none() {
        disk.clone()
    } else {
        let len = match &partition {
            Some(p) => p.len,
            None => disk.len().saturating_sub(volume_offset),
        };
        if volume_offset >= disk.len() {
            return Err(Error::Usage(format!(
                "the volume offset {volume_offset} is at or past the end of the disk ({} bytes)",
                disk.len()
            )));
        }
        Arc::new(Slice::new(disk.clone(), volume_offset, len)?)
    };
    Ok(Opened {
        path: path.to_path_buf(),
        container,
        partition_table,
        partition,
        volume_offset,
        disk,
        volume,
        warnings,
    })
}

/// What the first bytes say the container is.
enum Detected {
    Vhdx,
    Vhd,
    Raw,
}

fn detect(file: &dyn ReadAt) -> Result<Detected> {
    let len = file.len();
    let mut magic = [0u8; 8];
    if len >= 8 {
        file.read_at(0, &mut magic)?;
        if &magic == b"vhdxfile" {
            return Ok(Detected::Vhdx);
        }
        if &magic == vhd::COOKIE {
            return Ok(Detected::Vhd);
        }
    }
    for footer_len in [512u64, 511] {
        if len >= footer_len {
            file.read_at(len - footer_len, &mut magic)?;
            if &magic == vhd::COOKIE {
                return Ok(Detected::Vhd);
            }
        }
    }
    Ok(Detected::Raw)
}

fn open_container(
    file: Source,
    path: &Path,
    warnings: &mut Vec<String>,
) -> Result<(Layer, Source)> {
    match detect(file.as_ref())? {
        Detected::Vhdx => {
            let v = vhdx::Vhdx::open(file, path)?;
            warnings.extend(v.warnings.iter().cloned());
            let layer = Layer {
                kind: if v.info.has_parent {
                    ContainerKind::VhdxDifferencing
                } else if v.info.leave_blocks_allocated {
                    ContainerKind::VhdxFixed
                } else {
                    ContainerKind::VhdxDynamic
                },
                description: v.describe(),
            };
            Ok((layer, Arc::new(v)))
        }
        Detected::Vhd => {
            let v = vhd::Vhd::open(file, path)?;
            warnings.extend(v.warnings.iter().cloned());
            let layer = Layer {
                kind: match v.info.disk_type {
                    vhd::DiskType::Fixed => ContainerKind::VhdFixed,
                    vhd::DiskType::Dynamic => ContainerKind::VhdDynamic,
                    vhd::DiskType::Differencing => ContainerKind::VhdDifferencing,
                },
                description: v.describe(),
            };
            Ok((layer, Arc::new(v)))
        }
        Detected::Raw => Ok((
            Layer {
                kind: ContainerKind::Raw,
                description: format!("raw image, {} bytes", file.len()),
            },
            file,
        )),
    }
}

/// True when the sector at `offset` of `src` carries the NTFS OEM id at byte 3.
pub fn has_ntfs_oem_id(src: &dyn ReadAt, offset: u64) -> bool {
    let mut oem = [0u8; 8];
    match offset.checked_add(11) {
        Some(end) if end <= src.len() => {
            src.read_at(offset + 3, &mut oem).is_ok() && &oem == b"NTFS    "
        }
        _ => false,
    }
}

/// Reads the partition table of `disk`, if it has one: GPT behind a protective MBR (512-byte
/// sectors, then 4096), else MBR. `Ok(None)` when there is neither.
pub fn read_partition_table(
    disk: &dyn ReadAt,
    warnings: &mut Vec<String>,
) -> Result<Option<(Scheme, Vec<Partition>)>> {
    if disk.len() < 512 {
        return Ok(None);
    }
    let mut sector0 = [0u8; 512];
    disk.read_at(0, &mut sector0)?;
    let entries = mbr::primary_entries(&sector0);
    let protective = entries
        .as_ref()
        .is_some_and(|e| e.iter().any(|p| p.type_id == 0xEE));
    if protective || entries.is_none() {
        let mut errors = Vec::new();
        for sector_size in [512u64, 4096] {
            let mut w = Vec::new();
            match gpt::read(disk, sector_size, &mut w) {
                Ok(g) => {
                    warnings.extend(w);
                    return Ok(Some((Scheme::Gpt, g.partitions)));
                }
                Err(e) => errors.push(format!("{sector_size}-byte sectors: {e}")),
            }
        }
        if protective {
            return Err(Error::format(
                "GPT",
                512,
                format!(
                    "the MBR is a GPT protective MBR but no valid GPT header was found ({})",
                    errors.join("; ")
                ),
            ));
        }
        return Ok(None);
    }
    let parts = mbr::partitions(disk, warnings)?;
    Ok(Some((Scheme::Mbr, parts)))
}

fn list(parts: &[Partition]) -> String {
    if parts.is_empty() {
        return "the partition table is empty".to_string();
    }
    let items: Vec<String> = parts.iter().map(|p| p.to_string()).collect();
    format!("partitions: {}", items.join("; "))
}

type VolumeChoice = (Option<(Scheme, Vec<Partition>)>, Option<Partition>, u64);

fn find_volume(
    disk: &Source,
    opts: &OpenOptions,
    warnings: &mut Vec<String>,
) -> Result<VolumeChoice> {
    if let Some(offset) = opts.offset {
        // The table is still read for information; a damaged one does not matter here.
        let mut w = Vec::new();
        let table = read_partition_table(disk.as_ref(), &mut w).ok().flatten();
        let partition = table
            .as_ref()
            .and_then(|(_, ps)| ps.iter().find(|p| p.start == offset).cloned());
        return Ok((table, partition, offset));
    }
    if has_ntfs_oem_id(disk.as_ref(), 0) {
        if let Some(n) = opts.partition {
            return Err(Error::Usage(format!(
                "--partition {n}: the disk has no partition table, it is itself an NTFS volume (byte 3 is \"NTFS    \")"
            )));
        }
        return Ok((None, None, 0));
    }
    let table = read_partition_table(disk.as_ref(), warnings)?;
    let Some((scheme, parts)) = table else {
        if let Some(n) = opts.partition {
            return Err(Error::Usage(format!(
                "--partition {n}: the disk has no MBR or GPT partition table"
            )));
        }
        return Err(Error::NotNtfs(
            "no NTFS boot sector at byte 0 and no MBR or GPT partition table".to_string(),
        ));
    };
    let chosen = if let Some(n) = opts.partition {
        match parts.iter().find(|p| p.index == n) {
            Some(p) => p.clone(),
            None => {
                return Err(Error::Usage(format!(
                    "--partition {n} does not exist on this {scheme} disk; {}",
                    list(&parts)
                )))
            }
        }
    } else {
        let ntfs: Vec<&Partition> = parts
            .iter()
            .filter(|p| p.len >= 512 && has_ntfs_oem_id(disk.as_ref(), p.start))
            .collect();
        match ntfs.as_slice() {
            [one] => (*one).clone(),
            [] => {
                return Err(Error::Usage(format!(
                    "no partition of this {scheme} disk starts with an NTFS boot sector; choose one with --partition or --offset; {}",
                    list(&parts)
                )))
            }
            several => {
                let nums: Vec<String> = several.iter().map(|p| p.index.to_string()).collect();
                return Err(Error::Usage(format!(
                    "several NTFS partitions ({}); choose one with --partition; {}",
                    nums.join(", "),
                    list(&parts)
                )));
            }
        }
    };
    if chosen
        .start
        .checked_add(chosen.len)
        .map_or(true, |end| end > disk.len())
    {
        return Err(Error::format(
            "partition",
            chosen.start,
            format!(
                "partition {} ({} bytes at byte {}) goes past the end of the disk ({} bytes)",
                chosen.index,
                chosen.len,
                chosen.start,
                disk.len()
            ),
        ));
    }
    let offset = chosen.start;
    Ok((Some((scheme, parts)), Some(chosen), offset))
}

// ---- little helpers shared by the container readers -------------------------------------------

/// Little-endian u16 at `o`, 0 if out of range (callers size their buffers).
pub(crate) fn le16(b: &[u8], o: usize) -> u16 {
    b.get(o..o.saturating_add(2))
        .and_then(|s| s.try_into().ok())
        .map(u16::from_le_bytes)
        .unwrap_or(0)
}

/// Little-endian u32 at `o`.
pub(crate) fn le32(b: &[u8], o: usize) -> u32 {
    b.get(o..o.saturating_add(4))
        .and_then(|s| s.try_into().ok())
        .map(u32::from_le_bytes)
        .unwrap_or(0)
}

/// Little-endian u64 at `o`.
pub(crate) fn le64(b: &[u8], o: usize) -> u64 {
    b.get(o..o.saturating_add(8))
        .and_then(|s| s.try_into().ok())
        .map(u64::from_le_bytes)
        .unwrap_or(0)
}

/// Big-endian u32 at `o`.
pub(crate) fn be32(b: &[u8], o: usize) -> u32 {
    b.get(o..o.saturating_add(4))
        .and_then(|s| s.try_into().ok())
        .map(u32::from_be_bytes)
        .unwrap_or(0)
}

/// Big-endian u64 at `o`.
pub(crate) fn be64(b: &[u8], o: usize) -> u64 {
    b.get(o..o.saturating_add(8))
        .and_then(|s| s.try_into().ok())
        .map(u64::from_be_bytes)
        .unwrap_or(0)
}

/// 16 bytes at `o` (zeros if out of range).
pub(crate) fn bytes16(b: &[u8], o: usize) -> [u8; 16] {
    b.get(o..o.saturating_add(16))
        .and_then(|s| s.try_into().ok())
        .unwrap_or([0; 16])
}

/// A GUID in its on-disk (mixed-endian: first three fields little-endian) form, as
/// `XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX`, upper case.
pub(crate) fn guid_text(g: &[u8; 16]) -> String {
    format!(
        "{:08X}-{:04X}-{:04X}-{:02X}{:02X}-{:02X}{:02X}{:02X}{:02X}{:02X}{:02X}",
        u32::from_le_bytes([g[0], g[1], g[2], g[3]]),
        u16::from_le_bytes([g[4], g[5]]),
        u16::from_le_bytes([g[6], g[7]]),
        g[8],
        g[9],
        g[10],
        g[11],
        g[12],
        g[13],
        g[14],
        g[15]
    )
}

/// UTF-16LE bytes to a string, stopping at the first NUL; bad code units become U+FFFD.
pub(crate) fn utf16le(b: &[u8]) -> String {
    let units: Vec<u16> = b
        .chunks_exact(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .take_while(|&u| u != 0)
        .collect();
    String::from_utf16_lossy(&units)
}

/// Turns a Windows path stored in an image into candidate paths on this machine: relative paths
/// are taken relative to `base_dir` (the child image's directory), backslashes become the local
/// separator, and an absolute Windows path is kept as is (it can only exist on Windows).
pub(crate) fn windows_path_candidate(stored: &str, base_dir: &Path) -> Option<PathBuf> {
    let s = stored.trim_end_matches('\0').trim();
    if s.is_empty() {
        return None;
    }
    let is_absolute =
        s.starts_with("\\\\") || s.as_bytes().get(1) == Some(&b':') || s.starts_with('/');
    if is_absolute {
        if cfg!(windows) {
            return Some(PathBuf::from(s));
        }
        return if s.starts_with('/') {
            Some(PathBuf::from(s))
        } else {
            None
        };
    }
    let mut p = base_dir.to_path_buf();
    for part in s.split(['\\', '/']) {
        match part {
            "" | "." => {}
            ".." => p.push(".."),
            other => p.push(other),
        }
    }
    Some(p)
}

/// The last component of a Windows path (after the last `\` or `/`).
pub(crate) fn windows_file_name(stored: &str) -> Option<&str> {
    let s = stored.trim_end_matches('\0').trim();
    let name = s.rsplit(['\\', '/']).next()?;
    if name.is_empty() || name == "." || name == ".." {
        None
    } else {
        Some(name)
    }
}

/// The directory of the child image, for resolving parent paths.
pub(crate) fn base_dir(child: &Path) -> PathBuf {
    match child.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::source::MemSource;

    #[test]
    fn raw_volume_at_zero() {
        let mut v = vec![0u8; 4096];
        v[3..11].copy_from_slice(b"NTFS    ");
        let o = open_source(
            Arc::new(MemSource(v)),
            Path::new("x.raw"),
            &OpenOptions::default(),
        )
        .unwrap();
        assert_eq!(o.container.kind, ContainerKind::Raw);
        assert_eq!(o.volume_offset, 0);
        assert!(o.partition_table.is_none());
    }

    #[test]
    fn partition_on_a_bare_volume_is_usage() {
        let mut v = vec![0u8; 4096];
        v[3..11].copy_from_slice(b"NTFS    ");
        v[510] = 0x55;
        v[511] = 0xAA;
        let opts = OpenOptions {
            partition: Some(1),
            offset: None,
        };
        let e = open_source(Arc::new(MemSource(v)), Path::new("x.raw"), &opts)
            .err()
            .unwrap();
        assert!(matches!(e, Error::Usage(_)), "{e}");
    }

    #[test]
    fn nothing_there_is_not_ntfs() {
        let v = vec![0u8; 4096];
        let e = open_source(
            Arc::new(MemSource(v)),
            Path::new("x.raw"),
            &OpenOptions::default(),
        )
        .err()
        .unwrap();
        assert!(matches!(e, Error::NotNtfs(_)), "{e}");
    }

    #[test]
    fn offset_past_end_is_usage() {
        let v = vec![0u8; 4096];
        let opts = OpenOptions {
            partition: None,
            offset: Some(8192),
        };
        let e = open_source(Arc::new(MemSource(v)), Path::new("x.raw"), &opts)
            .err()
            .unwrap();
        assert!(matches!(e, Error::Usage(_)), "{e}");
    }

    #[test]
    fn gpt_with_4096_byte_sectors() {
        let basic = [
            0xA2, 0xA0, 0xD0, 0xEB, 0xE5, 0xB9, 0x33, 0x44, 0x87, 0xC0, 0x68, 0xB6, 0xB7, 0x26,
            0x99, 0xC7,
        ];
        let mut d = crate::gpt::build_test_disk_ss(100, 4096, &[(40, 59, basic, "data")]);
        d[40 * 4096 + 3..40 * 4096 + 11].copy_from_slice(b"NTFS    ");
        let o = open_source(
            Arc::new(MemSource(d)),
            Path::new("x.raw"),
            &OpenOptions::default(),
        )
        .unwrap();
        assert_eq!(o.volume_offset, 40 * 4096);
        assert_eq!(o.volume.len(), 20 * 4096);
        assert_eq!(o.partition_table.unwrap().0, Scheme::Gpt);
    }

    #[test]
    fn guid_text_is_mixed_endian() {
        let g = [
            0xA2, 0xA0, 0xD0, 0xEB, 0xE5, 0xB9, 0x33, 0x44, 0x87, 0xC0, 0x68, 0xB6, 0xB7, 0x26,
            0x99, 0xC7,
        ];
        assert_eq!(guid_text(&g), "EBD0A0A2-B9E5-4433-87C0-68B6B72699C7");
    }

    #[test]
    fn relative_windows_paths() {
        let base = Path::new("/img");
        assert_eq!(
            windows_path_candidate(".\\p.vhd", base).unwrap(),
            PathBuf::from("/img/p.vhd")
        );
        assert_eq!(
            windows_path_candidate("..\\d\\p.vhd", base).unwrap(),
            PathBuf::from("/img/../d/p.vhd")
        );
        assert_eq!(windows_file_name("C:\\x\\y\\p.vhdx"), Some("p.vhdx"));
    }
}
