//! VHD (Virtual PC / Virtual Server / Hyper-V "Virtual Hard Disk Image Format Specification",
//! Microsoft, version 1.0, October 2006): fixed, dynamic and differencing disks.
//!
//! - Hard Disk Footer (spec "Hard Disk Footer Format", 512 bytes, big-endian): Cookie "conectix"
//!   (0), Features (8), File Format Version (12), Data Offset (16), Time Stamp (24), Creator
//!   Application (28), Creator Version (32), Creator Host OS (36), Original Size (40), Current
//!   Size (48), Disk Geometry (56), Disk Type (60: 2 fixed, 3 dynamic, 4 differencing),
//!   Checksum (64), Unique Id (68), Saved State (84). Images made before Virtual PC 2004 have a
//!   511-byte footer. Fixed disks: the data, then the footer. Dynamic and differencing disks: a
//!   copy of the footer at 0, the dynamic header at Data Offset, the BAT, the blocks, the footer.
//! - Checksum (footer and dynamic header): the one's complement of the sum of all the bytes of
//!   the structure with the checksum field taken as zero.
//! - Dynamic Disk Header ("Dynamic Disk Header Format", 1024 bytes): Cookie "cxsparse" (0), Data
//!   Offset (8), Table Offset (16), Header Version (24), Max Table Entries (28), Block Size (32),
//!   Checksum (36), Parent Unique ID (40), Parent Time Stamp (56), Reserved (60), Parent Unicode
//!   Name (64, 512 bytes, UTF-16 big-endian), Parent Locator Entries (576, 8 × 24 bytes:
//!   Platform Code, Platform Data Space, Platform Data Length, Reserved, Platform Data Offset).
//! - BAT ("Block Allocation Table and Data Blocks"): Max Table Entries big-endian u32 sector
//!   offsets; 0xFFFFFFFF = block not allocated. A block is a sector bitmap (one bit per sector,
//!   most significant bit first, padded to a 512-byte boundary) followed by the block's data.
//!   In a dynamic disk a clear bit or an absent block reads as zeros; in a differencing disk it
//!   reads from the parent.
//! - Parent locators: platform codes "W2ru" (relative path) and "W2ku" (absolute path), both
//!   UTF-16 little-endian Windows paths, resolved here relative to the child's directory.

use crate::container::{
    base_dir, be32, be64, bytes16, guid_text, utf16le, windows_file_name, windows_path_candidate,
};
use crate::error::{Error, Result};
use crate::source::{check_range, read_vec, FileSource, ReadAt, Source};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The footer cookie.
pub const COOKIE: &[u8; 8] = b"conectix";
const SPARSE_COOKIE: &[u8; 8] = b"cxsparse";
/// Deepest chain of differencing disks followed.
pub const MAX_CHAIN: u32 = 32;
const ABSENT: u32 = 0xFFFF_FFFF;
const SECTOR: u64 = 512;

/// VHD disk type (footer field Disk Type).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DiskType {
    /// 2.
    Fixed,
    /// 3.
    Dynamic,
    /// 4.
    Differencing,
}

/// What the headers say.
#[derive(Debug, Clone)]
pub struct VhdInfo {
    /// Disk type.
    pub disk_type: DiskType,
    /// Virtual disk size in bytes (footer Current Size).
    pub current_size: u64,
    /// Block size (dynamic and differencing disks).
    pub block_size: Option<u32>,
    /// Creator application, e.g. "win ", "qem2", "vpc ".
    pub creator_app: String,
    /// Creator version (major << 16 | minor).
    pub creator_version: u32,
    /// Creator host OS, e.g. "Wi2k", "Mac ".
    pub creator_os: String,
    /// Unique id (footer), as GUID text.
    pub unique_id: String,
    /// Raw unique id bytes.
    pub unique_id_bytes: [u8; 16],
    /// Parent unique id (differencing).
    pub parent_id: Option<String>,
    /// Parent Unicode Name from the dynamic header (differencing).
    pub parent_name: Option<String>,
    /// The parent file that was opened (differencing).
    pub parent_path: Option<PathBuf>,
    /// Byte offset of the footer that was used.
    pub footer_offset: u64,
    /// Size given by the footer's Disk Geometry (cylinders × heads × sectors per track × 512).
    /// Virtual PC (and qemu for creators "vpc " and "qemu") present this size; we read Current
    /// Size, and warn when the two differ.
    pub chs_size: u64,
}

/// A VHD image as a [`ReadAt`] over its virtual disk.
pub struct Vhd {
    file: Source,
    /// What the headers say.
    pub info: VhdInfo,
    /// Damage worked around (e.g. a bad footer at the end, the copy at 0 used).
    pub warnings: Vec<String>,
    bat: Vec<u32>,
    bat_offset: u64,
    block_size: u64,
    bitmap_size: u64,
    parent: Option<Source>,
}

struct Footer {
    data_offset: u64,
    creator_app: [u8; 4],
    creator_version: u32,
    creator_os: [u8; 4],
    current_size: u64,
    disk_type: u32,
    unique_id: [u8; 16],
    geometry: u32,
}

/// One's complement of the byte sum, with the 4 checksum bytes at `field` taken as zero.
pub fn checksum(b: &[u8], field: usize) -> u32 {
    let mut sum = 0u32;
    for (i, &x) in b.iter().enumerate() {
        if i < field || i >= field + 4 {
            sum = sum.wrapping_add(u32::from(x));
        }
    }
    !sum
}

fn parse_footer(file: &dyn ReadAt, offset: u64) -> Result<Footer> {
    let len = 512u64.min(file.len().saturating_sub(offset));
    let mut b = read_vec(file, "VHD footer", offset, len)?;
    b.resize(512, 0); // a 511-byte footer: the missing byte adds nothing to the sum
    if b.get(0..8) != Some(COOKIE.as_slice()) {
        return Err(Error::format(
            "VHD footer",
            offset,
            "no \"conectix\" cookie",
        ));
    }
    let stored = be32(&b, 64);
    let computed = checksum(&b, 64);
    if stored != computed {
        return Err(Error::format(
            "VHD footer",
            offset,
            format!("checksum is {stored:#010x}, computed {computed:#010x}"),
        ));
    }
    let four = |o: usize| -> [u8; 4] {
        b.get(o..o + 4)
            .and_then(|s| s.try_into().ok())
            .unwrap_or([0; 4])
    };
    Ok(Footer {
        data_offset: be64(&b, 16),
        creator_app: four(28),
        creator_version: be32(&b, 32),
        creator_os: four(36),
        current_size: be64(&b, 48),
        disk_type: be32(&b, 60),
        unique_id: bytes16(&b, 68),
        geometry: be32(&b, 56),
    })
}

fn text4(b: &[u8; 4]) -> String {
    b.iter()
        .map(|&c| {
            if c.is_ascii_graphic() || c == b' ' {
                c as char
            } else {
                '.'
            }
        })
        .collect()
}

impl Vhd {
    /// Opens a VHD held in `file`; `path` is where it lives (to find a differencing disk's
    /// parent).
    pub fn open(file: Source, path: &Path) -> Result<Vhd> {
        Self::open_chain(file, path, 0)
    }

    fn open_chain(file: Source, path: &Path, depth: u32) -> Result<Vhd> {
        let mut warnings = Vec::new();
        let len = file.len();
        let mut cookie = [0u8; 8];
        let mut end_offset = None;
        for footer_len in [512u64, 511] {
            if len >= footer_len {
                file.read_at(len - footer_len, &mut cookie)?;
                if &cookie == COOKIE {
                    end_offset = Some(len - footer_len);
                    break;
                }
            }
        }
        let copy_at_zero = len >= 512 && {
            file.read_at(0, &mut cookie)?;
            &cookie == COOKIE
        };
        let (footer, footer_offset) = match end_offset.map(|o| (parse_footer(file.as_ref(), o), o))
        {
            Some((Ok(f), o)) => (f, o),
            Some((Err(end_err), _)) if copy_at_zero && end_offset != Some(0) => {
                match parse_footer(file.as_ref(), 0) {
                    Ok(f) => {
                        warnings.push(format!("{end_err}; using the footer copy at byte 0"));
                        (f, 0)
                    }
                    Err(copy_err) => {
                        return Err(Error::format(
                            "VHD footer",
                            0,
                            format!("{end_err}; and the copy at byte 0: {copy_err}"),
                        ))
                    }
                }
            }
            Some((Err(e), _)) => return Err(e),
            None if copy_at_zero => {
                let f = parse_footer(file.as_ref(), 0)?;
                warnings.push(
                    "VHD footer: no footer in the last 512 bytes (truncated image?); using the copy at byte 0".to_string(),
                );
                (f, 0)
            }
            None => {
                return Err(Error::format(
                    "VHD footer",
                    len.saturating_sub(512),
                    "no \"conectix\" cookie",
                ))
            }
        };
        if footer_offset != 0 && copy_at_zero {
            // Dynamic and differencing disks keep a copy of the footer at 0; a copy that differs
            // from the footer in use is worth knowing about.
            let mut a = [0u8; 512];
            let mut b = [0u8; 512];
            let n = (len - footer_offset).min(512) as usize;
            file.read_at(0, &mut a[..n])?;
            file.read_at(footer_offset, &mut b[..n])?;
            if a != b {
                warnings.push(format!(
                    "VHD footer: the copy at byte 0 differs from the footer at byte {footer_offset:#x}; using the latter"
                ));
            }
        }
        let disk_type = match footer.disk_type {
            2 => DiskType::Fixed,
            3 => DiskType::Dynamic,
            4 => DiskType::Differencing,
            t => {
                return Err(Error::format(
                    "VHD footer",
                    footer_offset,
                    format!("disk type {t} is not 2 (fixed), 3 (dynamic) or 4 (differencing)"),
                ))
            }
        };
        let mut info = VhdInfo {
            disk_type,
            current_size: footer.current_size,
            block_size: None,
            creator_app: text4(&footer.creator_app),
            creator_version: footer.creator_version,
            creator_os: text4(&footer.creator_os),
            unique_id: guid_text(&footer.unique_id),
            unique_id_bytes: footer.unique_id,
            parent_id: None,
            parent_name: None,
            parent_path: None,
            footer_offset,
            chs_size: u64::from(footer.geometry >> 16)
                * u64::from((footer.geometry >> 8) & 0xFF)
                * u64::from(footer.geometry & 0xFF)
                * SECTOR,
        };
        // 65535/16/255 is the largest geometry the format can state; writers (qemu, Hyper-V)
        // put it on disks whose size it cannot express, meaning "use Current Size".
        if info.chs_size != info.current_size && footer.geometry != 0xFFFF_10FF {
            warnings.push(format!(
                "VHD footer at byte {footer_offset:#x}: Current Size is {} bytes but the disk geometry gives {} bytes (Virtual PC uses the geometry); reading Current Size",
                info.current_size, info.chs_size
            ));
        }
        if disk_type == DiskType::Fixed {
            if footer_offset == 0 || footer.current_size > footer_offset {
                return Err(Error::format(
                    "VHD footer",
                    footer_offset,
                    format!(
                        "fixed disk of {} bytes but only {footer_offset} bytes of data precede the footer",
                        footer.current_size
                    ),
                ));
            }
            return Ok(Vhd {
                file,
                info,
                warnings,
                bat: Vec::new(),
                bat_offset: 0,
                block_size: 0,
                bitmap_size: 0,
                parent: None,
            });
        }

        // Dynamic disk header.
        let hdr_off = footer.data_offset;
        let hdr = read_vec(file.as_ref(), "VHD dynamic header", hdr_off, 1024)?;
        if hdr.get(0..8) != Some(SPARSE_COOKIE.as_slice()) {
            return Err(Error::format(
                "VHD dynamic header",
                hdr_off,
                "no \"cxsparse\" cookie",
            ));
        }
        let stored = be32(&hdr, 36);
        let computed = checksum(&hdr, 36);
        if stored != computed {
            return Err(Error::format(
                "VHD dynamic header",
                hdr_off,
                format!("checksum is {stored:#010x}, computed {computed:#010x}"),
            ));
        }
        let bat_offset = be64(&hdr, 16);
        let entries = be32(&hdr, 28);
        let block_size = be32(&hdr, 32);
        if !block_size.is_power_of_two() || !(512..=(1 << 28)).contains(&block_size) {
            return Err(Error::format(
                "VHD dynamic header",
                hdr_off,
                format!(
                    "block size {block_size} is not a power of two between 512 bytes and 256 MiB"
                ),
            ));
        }
        let block_size64 = u64::from(block_size);
        let needed = footer.current_size.div_ceil(block_size64);
        if u64::from(entries) < needed {
            warnings.push(format!(
                "VHD dynamic header at byte {hdr_off:#x}: {entries} BAT entries cover less than the disk size ({needed} blocks); the rest reads as zeros"
            ));
        }
        // The BAT read is bounded by the file's size (read_vec checks the range).
        let raw_bat = read_vec(file.as_ref(), "VHD BAT", bat_offset, u64::from(entries) * 4)?;
        let bat: Vec<u32> = raw_bat
            .chunks_exact(4)
            .map(|c| u32::from_be_bytes([c[0], c[1], c[2], c[3]]))
            .collect();
        let bitmap_size = (block_size64 / SECTOR / 8).div_ceil(SECTOR) * SECTOR;
        info.block_size = Some(block_size);

        let mut parent = None;
        if disk_type == DiskType::Differencing {
            let parent_id = bytes16(&hdr, 40);
            info.parent_id = Some(guid_text(&parent_id));
            let name = utf16be(hdr.get(64..576).unwrap_or(&[]));
            info.parent_name = if name.is_empty() {
                None
            } else {
                Some(name.clone())
            };
            if depth >= MAX_CHAIN {
                return Err(Error::format(
                    "VHD dynamic header",
                    hdr_off,
                    format!("differencing chain deeper than {MAX_CHAIN} disks (a loop?)"),
                ));
            }
            let (p, p_path) =
                find_parent(file.as_ref(), path, &hdr, hdr_off, &name, &parent_id, depth)?;
            if p.info.current_size < footer.current_size {
                warnings.push(format!(
                    "VHD parent {} is smaller ({} bytes) than the child ({} bytes); the rest reads as zeros",
                    p_path.display(),
                    p.info.current_size,
                    footer.current_size
                ));
            }
            warnings.extend(
                p.warnings
                    .iter()
                    .map(|w| format!("parent {}: {w}", p_path.display())),
            );
            info.parent_path = Some(p_path);
            parent = Some(Arc::new(p) as Source);
        }
        Ok(Vhd {
            file,
            info,
            warnings,
            bat,
            bat_offset,
            block_size: block_size64,
            bitmap_size,
            parent,
        })
    }

    /// One line for the examiner: type, size, block size, creator, id, parent.
    pub fn describe(&self) -> String {
        let i = &self.info;
        let kind = match i.disk_type {
            DiskType::Fixed => "fixed",
            DiskType::Dynamic => "dynamic",
            DiskType::Differencing => "differencing",
        };
        let mut s = format!("VHD {kind}, {} bytes", i.current_size);
        if let Some(bs) = i.block_size {
            s.push_str(&format!(", block size {bs}"));
        }
        s.push_str(&format!(
            ", creator \"{}\" {}.{} on \"{}\", unique id {}",
            i.creator_app,
            i.creator_version >> 16,
            i.creator_version & 0xFFFF,
            i.creator_os,
            i.unique_id
        ));
        if let Some(p) = &i.parent_path {
            s.push_str(&format!(", parent {}", p.display()));
        }
        s
    }

    /// Reads `buf.len()` bytes at `in_block` inside block `block` (never crossing the block end).
    fn read_in_block(&self, block: u64, in_block: u64, buf: &mut [u8]) -> Result<()> {
        let virt = block * self.block_size + in_block;
        let entry = usize::try_from(block)
            .ok()
            .and_then(|b| self.bat.get(b))
            .copied()
            .unwrap_or(ABSENT);
        if entry == ABSENT {
            return self.read_unset(virt, buf);
        }
        let bitmap_off = u64::from(entry) * SECTOR;
        let data_off = bitmap_off + self.bitmap_size;
        let entry_off = self.bat_offset + block * 4;
        if data_off
            .checked_add(self.block_size)
            .map_or(true, |end| end > self.file.len())
        {
            return Err(Error::format(
                "VHD BAT",
                entry_off,
                format!(
                    "block {block} at sector {entry} (byte {bitmap_off:#x}) lies past the end of the file ({:#x} bytes)",
                    self.file.len()
                ),
            ));
        }
        let first_sector = in_block / SECTOR;
        let last_sector = (in_block + buf.len() as u64 - 1) / SECTOR;
        let bm_first = first_sector / 8;
        let bitmap = read_vec(
            self.file.as_ref(),
            "VHD sector bitmap",
            bitmap_off + bm_first,
            last_sector / 8 - bm_first + 1,
        )?;
        let bit = |s: u64| -> bool {
            let idx = (s / 8 - bm_first) as usize;
            bitmap.get(idx).is_some_and(|b| b & (0x80 >> (s % 8)) != 0)
        };
        crate::source::read_by_sector_bitmap(
            buf,
            in_block,
            SECTOR,
            (first_sector, last_sector),
            bit,
            |pos, part| self.file.read_at(data_off + in_block + pos as u64, part),
            |pos, part| self.read_unset(virt + pos as u64, part),
        )
    }

    /// Bytes not stored in this file: zeros, or the parent's.
    fn read_unset(&self, virt: u64, buf: &mut [u8]) -> Result<()> {
        crate::source::read_parent_or_zeros(self.parent.as_ref(), virt, buf)
    }
}

fn utf16be(b: &[u8]) -> String {
    let units: Vec<u16> = b
        .chunks_exact(2)
        .map(|c| u16::from_be_bytes([c[0], c[1]]))
        .take_while(|&u| u != 0)
        .collect();
    String::from_utf16_lossy(&units)
}

const W2RU: u32 = u32::from_be_bytes(*b"W2ru");
const W2KU: u32 = u32::from_be_bytes(*b"W2ku");

/// Finds and opens the parent of a differencing disk: the W2ru (relative) locator, the W2ku
/// (absolute) locator, then the Parent Unicode Name and the absolute path's file name in the
/// child's directory. The first candidate that exists must carry the Parent Unique ID.
fn find_parent(
    file: &dyn ReadAt,
    child: &Path,
    hdr: &[u8],
    hdr_off: u64,
    name: &str,
    parent_id: &[u8; 16],
    depth: u32,
) -> Result<(Vhd, PathBuf)> {
    let dir = base_dir(child);
    let mut relative = Vec::new();
    let mut absolute = Vec::new();
    for i in 0..8usize {
        let e = hdr.get(576 + 24 * i..600 + 24 * i).unwrap_or(&[]);
        let code = be32(e, 0);
        if code != W2RU && code != W2KU {
            continue;
        }
        let data_len = u64::from(be32(e, 8));
        let data_off = be64(e, 16);
        if data_len == 0 || data_len > 64 * 1024 {
            continue;
        }
        let Ok(data) = read_vec(file, "VHD parent locator", data_off, data_len) else {
            continue;
        };
        let text = utf16le(&data);
        if code == W2RU {
            relative.push(text);
        } else {
            absolute.push(text);
        }
    }
    let mut candidates: Vec<PathBuf> = Vec::new();
    for t in relative.iter().chain(absolute.iter()) {
        candidates.extend(windows_path_candidate(t, &dir));
    }
    if let Some(n) = windows_file_name(name) {
        candidates.push(dir.join(n));
    }
    for t in absolute.iter().chain(relative.iter()) {
        if let Some(n) = windows_file_name(t) {
            candidates.push(dir.join(n));
        }
    }
    let mut seen = Vec::new();
    let mut mismatches = Vec::new();
    for c in candidates {
        if seen.contains(&c) {
            continue;
        }
        seen.push(c.clone());
        if !c.is_file() {
            continue;
        }
        let src: Source = Arc::new(FileSource::open(&c)?);
        let p = Vhd::open_chain(src, &c, depth + 1)?;
        if &p.info.unique_id_bytes == parent_id {
            return Ok((p, c));
        }
        mismatches.push(format!(
            "{} has unique id {}",
            c.display(),
            p.info.unique_id
        ));
    }
    let tried: Vec<String> = seen.iter().map(|p| p.display().to_string()).collect();
    if !mismatches.is_empty() {
        return Err(Error::format(
            "VHD dynamic header",
            hdr_off,
            format!(
                "the parent must have unique id {} but {}",
                guid_text(parent_id),
                mismatches.join("; ")
            ),
        ));
    }
    Err(Error::NotFound(format!(
        "the parent of differencing VHD {} (name \"{name}\", locators relative {relative:?}, absolute {absolute:?}, unique id {}); tried: {}",
        child.display(),
        guid_text(parent_id),
        if tried.is_empty() { "nothing usable".to_string() } else { tried.join(", ") }
    )))
}

impl ReadAt for Vhd {
    fn len(&self) -> u64 {
        self.info.current_size
    }

    fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<()> {
        check_range("VHD read", offset, buf.len() as u64, self.info.current_size)?;
        if self.info.disk_type == DiskType::Fixed {
            return self.file.read_at(offset, buf);
        }
        let mut pos = 0usize;
        while pos < buf.len() {
            let off = offset + pos as u64;
            let block = off / self.block_size;
            let in_block = off % self.block_size;
            let n = ((self.block_size - in_block) as usize).min(buf.len() - pos);
            self.read_in_block(block, in_block, &mut buf[pos..pos + n])?;
            pos += n;
        }
        Ok(())
    }

    /// A fixed disk is its file's first Current Size bytes: the mapped file, when there is one.
    fn as_slice(&self) -> Option<&[u8]> {
        if self.info.disk_type != DiskType::Fixed {
            return None;
        }
        let len = usize::try_from(self.info.current_size).ok()?;
        self.file.as_slice()?.get(..len)
    }
}

/// Writes a valid checksum into a footer or dynamic header (tests only; the library never
/// writes).
#[cfg(test)]
pub(crate) fn fix_checksum(b: &mut [u8], field: usize) {
    let c = checksum(b, field);
    b[field..field + 4].copy_from_slice(&c.to_be_bytes());
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::source::MemSource;

    fn footer(disk_type: u32, size: u64, data_offset: u64) -> Vec<u8> {
        let mut f = vec![0u8; 512];
        f[0..8].copy_from_slice(COOKIE);
        f[12..16].copy_from_slice(&0x0001_0000u32.to_be_bytes());
        f[16..24].copy_from_slice(&data_offset.to_be_bytes());
        f[28..32].copy_from_slice(b"test");
        f[36..40].copy_from_slice(b"Wi2k");
        f[40..48].copy_from_slice(&size.to_be_bytes());
        f[48..56].copy_from_slice(&size.to_be_bytes());
        f[60..64].copy_from_slice(&disk_type.to_be_bytes());
        f[68..84].copy_from_slice(&[0x11; 16]);
        fix_checksum(&mut f, 64);
        f
    }

    /// A dynamic VHD of 2 blocks of 4096 bytes: block 0 allocated with sectors 0 and 2 present.
    fn dynamic() -> Vec<u8> {
        let bs = 4096u32;
        let mut img = footer(3, 8192, 512);
        let mut h = vec![0u8; 1024];
        h[0..8].copy_from_slice(SPARSE_COOKIE);
        h[8..16].copy_from_slice(&u64::MAX.to_be_bytes());
        h[16..24].copy_from_slice(&1536u64.to_be_bytes());
        h[24..28].copy_from_slice(&0x0001_0000u32.to_be_bytes());
        h[28..32].copy_from_slice(&2u32.to_be_bytes());
        h[32..36].copy_from_slice(&bs.to_be_bytes());
        fix_checksum(&mut h, 36);
        img.extend_from_slice(&h);
        let mut bat = vec![0xFFu8; 512];
        bat[0..4].copy_from_slice(&4u32.to_be_bytes()); // block 0 at sector 4 (byte 2048)
        img.extend_from_slice(&bat);
        let mut bitmap = vec![0u8; 512];
        bitmap[0] = 0b1010_0000;
        img.extend_from_slice(&bitmap);
        img.extend((0..4096u32).map(|i| (i / 512 + 1) as u8));
        let f = footer(3, 8192, 512);
        img.extend_from_slice(&f);
        img
    }

    fn open(v: Vec<u8>) -> Result<Vhd> {
        Vhd::open(Arc::new(MemSource(v)), Path::new("/nonexistent/t.vhd"))
    }

    #[test]
    fn dynamic_bitmap_and_absent_blocks() {
        let v = open(dynamic()).unwrap();
        let mut all = vec![0xEEu8; 8192];
        v.read_at(0, &mut all).unwrap();
        assert!(all[0..512].iter().all(|&b| b == 1));
        assert!(all[512..1024].iter().all(|&b| b == 0));
        assert!(all[1024..1536].iter().all(|&b| b == 3));
        assert!(all[1536..].iter().all(|&b| b == 0));
        // an unaligned read across runs
        let mut b = [0u8; 4];
        v.read_at(510, &mut b).unwrap();
        assert_eq!(b, [1, 1, 0, 0]);
    }

    #[test]
    fn bad_footer_checksum_uses_copy() {
        let mut img = dynamic();
        let n = img.len();
        img[n - 512 + 48] ^= 0xFF;
        let v = open(img).unwrap();
        assert_eq!(v.info.footer_offset, 0);
        assert!(v.warnings[0].contains("checksum"), "{:?}", v.warnings);
    }

    #[test]
    fn both_footers_bad_is_error() {
        let mut img = dynamic();
        let n = img.len();
        img[n - 512 + 48] ^= 0xFF;
        img[48] ^= 0xFF;
        assert!(open(img).is_err());
    }

    #[test]
    fn bad_header_checksum_is_error() {
        let mut img = dynamic();
        img[512 + 40] ^= 1;
        let e = open(img).err().unwrap();
        assert!(e.to_string().contains("dynamic header"), "{e}");
    }

    #[test]
    fn absurd_block_size_is_error() {
        let mut img = dynamic();
        img[512 + 32..512 + 36].copy_from_slice(&3000u32.to_be_bytes());
        fix_checksum(&mut img[512..1536], 36);
        assert!(open(img).is_err());
    }

    #[test]
    fn huge_bat_is_bounded_by_file() {
        let mut img = dynamic();
        img[512 + 28..512 + 32].copy_from_slice(&u32::MAX.to_be_bytes());
        fix_checksum(&mut img[512..1536], 36);
        let e = open(img).err().unwrap();
        assert!(matches!(e, Error::ShortRead { .. }), "{e}");
    }

    #[test]
    fn bat_entry_past_end_is_error_on_read() {
        let mut img = dynamic();
        img[1536..1540].copy_from_slice(&0x0010_0000u32.to_be_bytes());
        let v = open(img).unwrap();
        let mut b = [0u8; 512];
        let e = v.read_at(0, &mut b).unwrap_err();
        assert!(e.to_string().contains("VHD BAT"), "{e}");
        // the absent block still reads
        v.read_at(4096, &mut b).unwrap();
    }

    #[test]
    fn truncated_file_is_error() {
        let img = dynamic();
        assert!(open(img[..600].to_vec()).is_err());
    }

    #[test]
    fn fixed_disk() {
        let mut img: Vec<u8> = (0..4096u32).map(|i| i as u8).collect();
        img.extend(footer(2, 4096, u64::MAX));
        let v = open(img).unwrap();
        assert_eq!(v.len(), 4096);
        let mut b = [0u8; 3];
        v.read_at(256, &mut b).unwrap();
        assert_eq!(b, [0, 1, 2]);
        assert!(v.read_at(4095, &mut b).is_err());
        assert_eq!(v.as_slice().map(|s| s.len()), Some(4096));
    }

    #[test]
    fn fixed_disk_bigger_than_file_is_error() {
        let mut img = vec![0u8; 4096];
        img.extend(footer(2, 1 << 40, u64::MAX));
        assert!(open(img).is_err());
    }

    /// Reads the start and the end of whatever opened; errors are fine, panics are not.
    fn poke(v: &dyn ReadAt) {
        let mut b = vec![0u8; 8192];
        let n = (v.len().min(8192)) as usize;
        let _ = v.read_at(0, &mut b[..n]);
        let _ = v.read_at(v.len().saturating_sub(n as u64), &mut b[..n]);
        let _ = v.read_at(v.len() / 2, &mut b[..1.min(n)]);
    }

    #[test]
    fn mutations_never_panic() {
        let base = dynamic();
        let n = base.len();
        let mut seed = 0x2545_F491_4F6C_DD1Du64;
        // Every byte of the footer copy, header, BAT and bitmap, and of the end footer, set to a
        // few values; checksums fixed half of the time so the parsers behind them are reached.
        for pos in (0..2560).chain(n - 512..n) {
            for val in [0u8, 0xFF, 0x80, 0x01] {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                let mut img = base.clone();
                img[pos] = val;
                if seed & 1 == 0 {
                    fix_checksum(&mut img[0..512], 64);
                    fix_checksum(&mut img[512..1536], 36);
                    fix_checksum(&mut img[n - 512..n], 64);
                }
                if let Ok(v) = open(img) {
                    poke(&v);
                }
            }
        }
    }

    #[test]
    fn missing_parent_is_clear_error() {
        let mut img = dynamic();
        let n = img.len();
        for o in [0, n - 512] {
            img[o + 60..o + 64].copy_from_slice(&4u32.to_be_bytes());
            fix_checksum(&mut img[o..o + 512], 64);
        }
        let e = open(img).err().unwrap();
        assert!(matches!(e, Error::NotFound(_)), "{e}");
        assert!(e.to_string().contains("parent"), "{e}");
    }
}
