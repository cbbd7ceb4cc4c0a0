//! Master Boot Record partition tables: the four primary entries at byte 446 of sector 0 and the
//! chain of Extended Boot Records (EBRs) of an extended partition.
//!
//! Layout (UEFI specification 2.10, §5.2.1 "Legacy Master Boot Record", table 5-2/5-3): each
//! 16-byte entry is BootIndicator (0x00 or 0x80), StartingCHS[3], OSType, EndingCHS[3],
//! StartingLBA (u32 LE), SizeInLBA (u32 LE); the signature 0x55 0xAA is at byte 510.
//! In an EBR the first entry is the logical partition (relative to this EBR) and the second
//! the link to the next EBR (relative to the start of the extended partition).
//! MBR disks always use 512-byte sectors here (disk images).

use crate::container::{le32, Partition, Scheme};
use crate::error::{Error, Result};
use crate::source::ReadAt;
use std::collections::HashSet;

/// Sector size assumed for MBR disks.
pub const SECTOR: u64 = 512;

/// Most logical partitions followed in an EBR chain; a longer chain is treated as damaged.
pub const MAX_LOGICAL: usize = 128;

/// One raw 16-byte partition entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MbrEntry {
    /// Boot indicator (0x80 = active).
    pub status: u8,
    /// Partition type (OSType).
    pub type_id: u8,
    /// Starting LBA.
    pub start_lba: u32,
    /// Size in sectors.
    pub sectors: u32,
}

impl MbrEntry {
    fn parse(b: &[u8]) -> MbrEntry {
        MbrEntry {
            status: b.first().copied().unwrap_or(0),
            type_id: b.get(4).copied().unwrap_or(0),
            start_lba: le32(b, 8),
            sectors: le32(b, 12),
        }
    }
    fn is_empty(&self) -> bool {
        self.type_id == 0 || self.sectors == 0
    }
}

/// The four primary entries of a sector that carries the 0x55AA signature; `None` otherwise.
pub fn primary_entries(sector: &[u8]) -> Option<[MbrEntry; 4]> {
    if sector.len() < 512 || sector[510] != 0x55 || sector[511] != 0xAA {
        return None;
    }
    let e = |i: usize| MbrEntry::parse(sector.get(446 + 16 * i..462 + 16 * i).unwrap_or(&[]));
    Some([e(0), e(1), e(2), e(3)])
}

/// True for the extended-partition types (CHS, LBA, Linux).
pub fn is_extended(type_id: u8) -> bool {
    matches!(type_id, 0x05 | 0x0F | 0x85)
}

/// Human name of an MBR partition type.
pub fn type_name(type_id: u8) -> &'static str {
    match type_id {
        0x01 => "FAT12",
        0x04 => "FAT16 <32M",
        0x05 => "Extended",
        0x06 => "FAT16",
        0x07 => "NTFS/exFAT",
        0x0B => "FAT32",
        0x0C => "FAT32 (LBA)",
        0x0E => "FAT16 (LBA)",
        0x0F => "Extended (LBA)",
        0x11 => "Hidden FAT12",
        0x12 => "OEM service/recovery",
        0x17 => "Hidden NTFS/exFAT",
        0x1B => "Hidden FAT32",
        0x1C => "Hidden FAT32 (LBA)",
        0x27 => "Windows recovery",
        0x42 => "Windows dynamic disk (LDM)",
        0x82 => "Linux swap",
        0x83 => "Linux",
        0x85 => "Linux extended",
        0x8E => "Linux LVM",
        0xA5 => "FreeBSD",
        0xAF => "HFS/HFS+",
        0xEE => "GPT protective",
        0xEF => "EFI system",
        0xFD => "Linux RAID",
        _ => "unknown",
    }
}

fn make(index: u32, type_id: u8, start_lba: u64, sectors: u32) -> Partition {
    Partition {
        index,
        start: start_lba.saturating_mul(SECTOR),
        len: u64::from(sectors).saturating_mul(SECTOR),
        type_name: format!("{:#04x} {}", type_id, type_name(type_id)),
        type_id: format!("{type_id:#04x}"),
        name: None,
        scheme: Scheme::Mbr,
    }
}

/// The partitions of an MBR disk: primary entries 1–4 (extended containers themselves are not
/// listed), then logical partitions numbered from 5 in chain order. The EBR chain is followed at
/// most [`MAX_LOGICAL`] links and never to an EBR already seen; a broken chain ends with a
/// warning, keeping what was found.
pub fn partitions(disk: &dyn ReadAt, warnings: &mut Vec<String>) -> Result<Vec<Partition>> {
    let mut sector = [0u8; 512];
    disk.read_at(0, &mut sector)?;
    let Some(entries) = primary_entries(&sector) else {
        return Err(Error::format("MBR", 510, "no 0x55AA boot signature"));
    };
    for (i, e) in entries.iter().enumerate() {
        if e.status != 0 && e.status != 0x80 {
            return Err(Error::format(
                "MBR",
                446 + 16 * i as u64,
                format!("partition entry {} has boot indicator {:#04x} (not 0x00 or 0x80): not a partition table", i + 1, e.status),
            ));
        }
    }
    let mut out = Vec::new();
    let mut extended = None;
    for (i, e) in entries.iter().enumerate() {
        if e.is_empty() {
            continue;
        }
        if is_extended(e.type_id) {
            if extended.is_none() {
                extended = Some(*e);
            } else {
                warnings.push(format!(
                    "MBR: a second extended partition in entry {} was ignored",
                    i + 1
                ));
            }
            continue;
        }
        out.push(make(
            i as u32 + 1,
            e.type_id,
            u64::from(e.start_lba),
            e.sectors,
        ));
    }
    if let Some(ext) = extended {
        logical(disk, ext, &mut out, warnings);
    }
    Ok(out)
}

fn logical(disk: &dyn ReadAt, ext: MbrEntry, out: &mut Vec<Partition>, warnings: &mut Vec<String>) {
    let ext_start = u64::from(ext.start_lba);
    let mut ebr_lba = ext_start;
    let mut seen = HashSet::new();
    let mut index = 5u32;
    for _ in 0..MAX_LOGICAL {
        if !seen.insert(ebr_lba) {
            warnings.push(format!(
                "MBR: the EBR chain loops back to sector {ebr_lba}; stopped after {} logical partitions",
                index - 5
            ));
            return;
        }
        let offset = ebr_lba.saturating_mul(SECTOR);
        let mut sector = [0u8; 512];
        if offset.checked_add(512).map_or(true, |end| end > disk.len())
            || disk.read_at(offset, &mut sector).is_err()
        {
            warnings.push(format!(
                "MBR: the EBR at byte {offset:#x} is past the end of the disk; chain stopped"
            ));
            return;
        }
        let Some(entries) = primary_entries(&sector) else {
            warnings.push(format!(
                "MBR: the EBR at byte {offset:#x} has no 0x55AA signature; chain stopped"
            ));
            return;
        };
        let [part, link, ..] = entries;
        if !part.is_empty() {
            out.push(make(
                index,
                part.type_id,
                ebr_lba.saturating_add(u64::from(part.start_lba)),
                part.sectors,
            ));
            index += 1;
        }
        if link.is_empty() || !is_extended(link.type_id) {
            return;
        }
        ebr_lba = ext_start.saturating_add(u64::from(link.start_lba));
    }
    warnings.push(format!(
        "MBR: the EBR chain is longer than {MAX_LOGICAL} links; stopped"
    ));
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::source::MemSource;

    fn entry(buf: &mut [u8], sector: usize, slot: usize, t: u8, start: u32, len: u32) {
        let o = sector * 512 + 446 + slot * 16;
        buf[o + 4] = t;
        buf[o + 8..o + 12].copy_from_slice(&start.to_le_bytes());
        buf[o + 12..o + 16].copy_from_slice(&len.to_le_bytes());
        buf[sector * 512 + 510] = 0x55;
        buf[sector * 512 + 511] = 0xAA;
    }

    #[test]
    fn primaries_and_logicals() {
        let mut d = vec![0u8; 64 * 512];
        entry(&mut d, 0, 0, 0x07, 2, 4);
        entry(&mut d, 0, 1, 0x0F, 10, 50);
        // EBR at 10: logical at 10+1, link to EBR at 10+20
        entry(&mut d, 10, 0, 0x83, 1, 5);
        entry(&mut d, 10, 1, 0x05, 20, 10);
        entry(&mut d, 30, 0, 0x07, 2, 3);
        let mut w = Vec::new();
        let p = partitions(&MemSource(d), &mut w).unwrap();
        assert!(w.is_empty(), "{w:?}");
        let got: Vec<(u32, u64, u64, &str)> = p
            .iter()
            .map(|p| (p.index, p.start, p.len, p.type_id.as_str()))
            .collect();
        assert_eq!(
            got,
            vec![
                (1, 1024, 2048, "0x07"),
                (5, 11 * 512, 5 * 512, "0x83"),
                (6, 32 * 512, 3 * 512, "0x07")
            ]
        );
        assert_eq!(p[0].type_name, "0x07 NTFS/exFAT");
    }

    #[test]
    fn ebr_loop_is_bounded() {
        let mut d = vec![0u8; 64 * 512];
        entry(&mut d, 0, 0, 0x05, 10, 50);
        entry(&mut d, 10, 0, 0x07, 1, 5);
        entry(&mut d, 10, 1, 0x05, 0, 10); // links back to itself
        let mut w = Vec::new();
        let p = partitions(&MemSource(d), &mut w).unwrap();
        assert_eq!(p.len(), 1);
        assert!(w.iter().any(|m| m.contains("loops")), "{w:?}");
    }

    #[test]
    fn ebr_past_end_stops_with_warning() {
        let mut d = vec![0u8; 16 * 512];
        entry(&mut d, 0, 0, 0x05, 0xFFFF_FFF0, 50);
        let mut w = Vec::new();
        let p = partitions(&MemSource(d), &mut w).unwrap();
        assert!(p.is_empty());
        assert!(w.iter().any(|m| m.contains("past the end")), "{w:?}");
    }

    #[test]
    fn no_signature_is_error() {
        let d = vec![0u8; 1024];
        let mut w = Vec::new();
        assert!(partitions(&MemSource(d), &mut w).is_err());
    }
}
