//! GUID Partition Table (UEFI specification 2.10, chapter 5.3 "GUID Partition Table (GPT) Disk
//! Layout").
//!
//! The primary GPT header is at LBA 1, the backup at the last LBA. Header (table 5-5, all
//! little-endian): Signature "EFI PART" (0), Revision (8), HeaderSize (12), HeaderCRC32 (16, CRC-32
//! over HeaderSize bytes with this field zeroed), Reserved (20), MyLBA (24), AlternateLBA (32),
//! FirstUsableLBA (40), LastUsableLBA (48), DiskGUID (56), PartitionEntryLBA (72),
//! NumberOfPartitionEntries (80), SizeOfPartitionEntry (84, 128 × 2^n), PartitionEntryArrayCRC32
//! (88). Entry (table 5-6): PartitionTypeGUID (0), UniquePartitionGUID (16), StartingLBA (32),
//! EndingLBA (40, inclusive), Attributes (48), PartitionName (56, 72 bytes UTF-16LE).
//!
//! When the primary header or its entry array fails its CRC, the backup is used and a warning
//! says so (§5.3.2: "If the primary GPT is invalid, the backup GPT is used instead").

use crate::container::{bytes16, guid_text, le32, le64, utf16le, Partition, Scheme};
use crate::error::{Error, Result};
use crate::source::{read_vec, ReadAt};

/// Largest entry array we read (the spec minimum is 16 KiB; 128 entries × 128 bytes is usual).
pub const MAX_ENTRY_ARRAY: u64 = 4 << 20;

/// A parsed GPT.
#[derive(Debug, Clone)]
pub struct Gpt {
    /// Sector size the GPT was found with (512 or 4096).
    pub sector_size: u64,
    /// Disk GUID text.
    pub disk_guid: String,
    /// Non-empty entries, numbered from 1 by entry index.
    pub partitions: Vec<Partition>,
    /// True when the backup header at the last LBA was used.
    pub used_backup: bool,
}

/// Human name of a partition type GUID.
pub fn type_name(guid: &str) -> &'static str {
    match guid {
        "EBD0A0A2-B9E5-4433-87C0-68B6B72699C7" => "Basic data",
        "C12A7328-F81F-11D2-BA4B-00A0C93EC93B" => "EFI system",
        "E3C9E316-0B5C-4DB8-817D-F92DF00215AE" => "Microsoft reserved",
        "DE94BBA4-06D1-4D40-A16A-BFD50179D6AC" => "Windows recovery",
        "5808C8AA-7E8F-42E0-85D2-E1E90434CFB3" => "LDM metadata",
        "AF9B60A0-1431-4F62-BC68-3311714A69AD" => "LDM data",
        "E75CAF8F-F680-4CEE-AFA3-B001E56EFC2D" => "Storage Spaces",
        "0FC63DAF-8483-4772-8E79-3D69D8477DE4" => "Linux filesystem",
        "0657FD6D-A4AB-43C4-84E5-0933C84B4F4F" => "Linux swap",
        "E6D6D379-F507-44C2-A23C-238F2A3DF928" => "Linux LVM",
        "21686148-6449-6E6F-744E-656564454649" => "BIOS boot",
        "48465300-0000-11AA-AA11-00306543ECAC" => "Apple HFS+",
        "7C3457EF-0000-11AA-AA11-00306543ECAC" => "Apple APFS",
        _ => "unknown",
    }
}

struct Header {
    my_lba: u64,
    entry_lba: u64,
    count: u32,
    entry_size: u32,
    entries_crc: u32,
    disk_guid: [u8; 16],
}

fn parse_header(disk: &dyn ReadAt, lba: u64, sector_size: u64) -> Result<Header> {
    let offset = lba
        .checked_mul(sector_size)
        .ok_or_else(|| Error::format("GPT header", 0, format!("LBA {lba} overflows")))?;
    let raw = read_vec(disk, "GPT header", offset, sector_size)?;
    if raw.get(0..8) != Some(b"EFI PART".as_slice()) {
        return Err(Error::format(
            "GPT header",
            offset,
            "no \"EFI PART\" signature",
        ));
    }
    let size = le32(&raw, 12) as usize;
    if size < 92 || size > raw.len() {
        return Err(Error::format(
            "GPT header",
            offset,
            format!("header size {size} is not in 92..={}", raw.len()),
        ));
    }
    let mut h = raw.get(..size).unwrap_or(&[]).to_vec();
    let stored = le32(&h, 16);
    h[16..20].fill(0);
    let crc = crc32fast::hash(&h);
    if crc != stored {
        return Err(Error::format(
            "GPT header",
            offset,
            format!("header CRC32 is {stored:#010x}, computed {crc:#010x}"),
        ));
    }
    let my_lba = le64(&raw, 24);
    if my_lba != lba {
        return Err(Error::format(
            "GPT header",
            offset,
            format!("MyLBA is {my_lba}, found at LBA {lba}"),
        ));
    }
    let entry_size = le32(&raw, 84);
    if entry_size < 128 || !entry_size.is_power_of_two() {
        return Err(Error::format(
            "GPT header",
            offset,
            format!("SizeOfPartitionEntry {entry_size} is not 128 × 2^n"),
        ));
    }
    Ok(Header {
        my_lba,
        entry_lba: le64(&raw, 72),
        count: le32(&raw, 80),
        entry_size,
        entries_crc: le32(&raw, 88),
        disk_guid: bytes16(&raw, 56),
    })
}

fn read_entries(disk: &dyn ReadAt, h: &Header, sector_size: u64) -> Result<Vec<Partition>> {
    let hdr_off = h.my_lba.saturating_mul(sector_size);
    let total = u64::from(h.count) * u64::from(h.entry_size);
    if total > MAX_ENTRY_ARRAY {
        return Err(Error::format(
            "GPT header",
            hdr_off,
            format!(
                "{} entries of {} bytes is more than {MAX_ENTRY_ARRAY} bytes",
                h.count, h.entry_size
            ),
        ));
    }
    let off = h
        .entry_lba
        .checked_mul(sector_size)
        .ok_or_else(|| Error::format("GPT header", hdr_off, "PartitionEntryLBA overflows"))?;
    let arr = read_vec(disk, "GPT partition entry array", off, total)?;
    let crc = crc32fast::hash(&arr);
    if crc != h.entries_crc {
        return Err(Error::format(
            "GPT partition entry array",
            off,
            format!(
                "entry array CRC32 is {:#010x}, computed {crc:#010x}",
                h.entries_crc
            ),
        ));
    }
    let mut out = Vec::new();
    for (i, e) in arr.chunks_exact(h.entry_size as usize).enumerate() {
        let t = bytes16(e, 0);
        if t == [0u8; 16] {
            continue;
        }
        let first = le64(e, 32);
        let last = le64(e, 40);
        let entry_off = off + (i as u64) * u64::from(h.entry_size);
        if last < first {
            return Err(Error::format(
                "GPT partition entry",
                entry_off,
                format!(
                    "entry {} ends (LBA {last}) before it starts (LBA {first})",
                    i + 1
                ),
            ));
        }
        let type_id = guid_text(&t);
        let name = utf16le(e.get(56..128).unwrap_or(&[]));
        out.push(Partition {
            index: i as u32 + 1,
            start: first.saturating_mul(sector_size),
            len: (last - first).saturating_add(1).saturating_mul(sector_size),
            type_name: type_name(&type_id).to_string(),
            type_id,
            name: if name.is_empty() { None } else { Some(name) },
            scheme: Scheme::Gpt,
        });
    }
    Ok(out)
}

/// Reads the GPT of `disk` with sectors of `sector_size` bytes: the primary header at LBA 1, or,
/// if it or its entry array is damaged, the backup at the last LBA (with a warning).
pub fn read(disk: &dyn ReadAt, sector_size: u64, warnings: &mut Vec<String>) -> Result<Gpt> {
    let primary = parse_header(disk, 1, sector_size).and_then(|h| {
        let parts = read_entries(disk, &h, sector_size)?;
        Ok((h, parts))
    });
    let primary_err = match primary {
        Ok((h, partitions)) => {
            return Ok(Gpt {
                sector_size,
                disk_guid: guid_text(&h.disk_guid),
                partitions,
                used_backup: false,
            })
        }
        Err(e) => e,
    };
    let last = (disk.len() / sector_size).saturating_sub(1);
    if last <= 1 {
        return Err(primary_err);
    }
    let backup = parse_header(disk, last, sector_size).and_then(|h| {
        let parts = read_entries(disk, &h, sector_size)?;
        Ok((h, parts))
    });
    match backup {
        Ok((h, partitions)) => {
            warnings.push(format!(
                "GPT: the primary header is unusable ({primary_err}); using the backup header at LBA {last}"
            ));
            Ok(Gpt {
                sector_size,
                disk_guid: guid_text(&h.disk_guid),
                partitions,
                used_backup: true,
            })
        }
        Err(backup_err) => Err(Error::format(
            "GPT header",
            sector_size,
            format!("primary: {primary_err}; backup at LBA {last}: {backup_err}"),
        )),
    }
}

/// Builds a GPT disk image in memory (for tests here and in the container tests).
#[cfg(test)]
pub(crate) fn build_test_disk(sectors: u64, parts: &[(u64, u64, [u8; 16], &str)]) -> Vec<u8> {
    build_test_disk_ss(sectors, 512, parts)
}

/// Same, with `ss`-byte sectors.
#[cfg(test)]
pub(crate) fn build_test_disk_ss(
    sectors: u64,
    ss: usize,
    parts: &[(u64, u64, [u8; 16], &str)],
) -> Vec<u8> {
    let mut d = vec![0u8; sectors as usize * ss];
    // protective MBR
    d[446 + 4] = 0xEE;
    d[446 + 8..446 + 12].copy_from_slice(&1u32.to_le_bytes());
    d[446 + 12..446 + 16].copy_from_slice(&((sectors - 1) as u32).to_le_bytes());
    d[510] = 0x55;
    d[511] = 0xAA;
    let mut arr = vec![0u8; 128 * 128];
    for (i, (first, last, t, name)) in parts.iter().enumerate() {
        let e = &mut arr[i * 128..(i + 1) * 128];
        e[0..16].copy_from_slice(t);
        e[16] = i as u8 + 1;
        e[32..40].copy_from_slice(&first.to_le_bytes());
        e[40..48].copy_from_slice(&last.to_le_bytes());
        for (j, u) in name.encode_utf16().enumerate() {
            e[56 + 2 * j..58 + 2 * j].copy_from_slice(&u.to_le_bytes());
        }
    }
    let arr_crc = crc32fast::hash(&arr);
    let last_lba = sectors - 1;
    let backup_arr_lba = last_lba - 32;
    let mut put_header = |my: u64, alt: u64, entries: u64| {
        let mut h = vec![0u8; 92];
        h[0..8].copy_from_slice(b"EFI PART");
        h[8..12].copy_from_slice(&0x0001_0000u32.to_le_bytes());
        h[12..16].copy_from_slice(&92u32.to_le_bytes());
        h[24..32].copy_from_slice(&my.to_le_bytes());
        h[32..40].copy_from_slice(&alt.to_le_bytes());
        h[40..48].copy_from_slice(&34u64.to_le_bytes());
        h[48..56].copy_from_slice(&(last_lba - 33).to_le_bytes());
        h[56..72].copy_from_slice(&[7u8; 16]);
        h[72..80].copy_from_slice(&entries.to_le_bytes());
        h[80..84].copy_from_slice(&128u32.to_le_bytes());
        h[84..88].copy_from_slice(&128u32.to_le_bytes());
        h[88..92].copy_from_slice(&arr_crc.to_le_bytes());
        let crc = crc32fast::hash(&h);
        h[16..20].copy_from_slice(&crc.to_le_bytes());
        let o = my as usize * ss;
        d[o..o + 92].copy_from_slice(&h);
        let a = entries as usize * ss;
        d[a..a + arr.len()].copy_from_slice(&arr);
    };
    put_header(1, last_lba, 2);
    put_header(last_lba, 1, backup_arr_lba);
    d
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::source::MemSource;

    const BASIC: [u8; 16] = [
        0xA2, 0xA0, 0xD0, 0xEB, 0xE5, 0xB9, 0x33, 0x44, 0x87, 0xC0, 0x68, 0xB6, 0xB7, 0x26, 0x99,
        0xC7,
    ];

    #[test]
    fn reads_primary() {
        let d = build_test_disk(200, &[(40, 79, BASIC, "data"), (80, 99, BASIC, "")]);
        let mut w = Vec::new();
        let g = read(&MemSource(d), 512, &mut w).unwrap();
        assert!(!g.used_backup);
        assert!(w.is_empty());
        assert_eq!(g.partitions.len(), 2);
        assert_eq!(g.partitions[0].start, 40 * 512);
        assert_eq!(g.partitions[0].len, 40 * 512);
        assert_eq!(g.partitions[0].type_name, "Basic data");
        assert_eq!(g.partitions[0].name.as_deref(), Some("data"));
        assert_eq!(g.partitions[1].name, None);
        assert_eq!(g.partitions[1].index, 2);
    }

    #[test]
    fn bad_header_crc_falls_back_to_backup() {
        let mut d = build_test_disk(200, &[(40, 79, BASIC, "data")]);
        d[512 + 40] ^= 1; // FirstUsableLBA changed, CRC now wrong
        let mut w = Vec::new();
        let g = read(&MemSource(d), 512, &mut w).unwrap();
        assert!(g.used_backup);
        assert!(w[0].contains("CRC32"), "{w:?}");
        assert_eq!(g.partitions[0].start, 40 * 512);
    }

    #[test]
    fn bad_entry_crc_falls_back_to_backup() {
        let mut d = build_test_disk(200, &[(40, 79, BASIC, "data")]);
        d[2 * 512 + 32] = 41; // primary entry array changed
        let mut w = Vec::new();
        let g = read(&MemSource(d), 512, &mut w).unwrap();
        assert!(g.used_backup);
        assert_eq!(g.partitions[0].start, 40 * 512);
    }

    #[test]
    fn both_bad_is_error() {
        let mut d = build_test_disk(200, &[(40, 79, BASIC, "data")]);
        d[512 + 40] ^= 1;
        d[199 * 512 + 40] ^= 1;
        let mut w = Vec::new();
        let e = read(&MemSource(d), 512, &mut w).unwrap_err();
        assert!(e.to_string().contains("backup"), "{e}");
    }

    #[test]
    fn mutations_never_panic() {
        let base = build_test_disk(200, &[(40, 79, BASIC, "data")]);
        for pos in (0..512).step_by(7).chain(512..604).chain(1024..1200) {
            for val in [0u8, 0xFF, 0x7F] {
                let mut d = base.clone();
                d[pos] = val;
                if (512..604).contains(&pos) {
                    d[512 + 16..512 + 20].fill(0);
                    let crc = crc32fast::hash(&d[512..604]);
                    d[512 + 16..512 + 20].copy_from_slice(&crc.to_le_bytes());
                }
                let mut w = Vec::new();
                let _ = read(&MemSource(d.clone()), 512, &mut w);
                let _ = crate::mbr::partitions(&MemSource(d), &mut w);
            }
        }
    }

    #[test]
    fn huge_entry_count_is_rejected() {
        let mut d = build_test_disk(200, &[(40, 79, BASIC, "data")]);
        for lba in [1usize, 199] {
            let o = lba * 512;
            d[o + 80..o + 84].copy_from_slice(&u32::MAX.to_le_bytes());
            d[o + 16..o + 20].fill(0);
            let crc = crc32fast::hash(&d[o..o + 92]);
            d[o + 16..o + 20].copy_from_slice(&crc.to_le_bytes());
        }
        let mut w = Vec::new();
        assert!(read(&MemSource(d), 512, &mut w).is_err());
    }
}
