//! The NTFS boot sector (the BIOS parameter block NTFS extends), at byte 0 of the volume with a
//! backup copy in the last sector. Layout as documented in the `ntfs` crate and by Microsoft's
//! "NTFS boot sector" (TechNet, "How NTFS Works"): all fields little-endian.

use crate::error::{Error, Result};
use crate::source::ReadAt;
use serde::Serialize;

/// The OEM id every NTFS boot sector carries at byte 3.
pub const NTFS_OEM_ID: &[u8; 8] = b"NTFS    ";

/// True when `sector` starts with an NTFS boot sector's OEM id (used by partition detection).
pub fn has_ntfs_oem_id(sector: &[u8]) -> bool {
    sector.get(3..11) == Some(&NTFS_OEM_ID[..])
}

/// The fields of the boot sector that locate everything else.
#[derive(Debug, Clone, Serialize)]
pub struct BootSector {
    /// Byte offset (inside the volume) the boot sector was read from: 0, or the backup's.
    pub offset: u64,
    pub bytes_per_sector: u32,
    pub sectors_per_cluster: u32,
    pub cluster_size: u32,
    pub total_sectors: u64,
    pub mft_lcn: u64,
    pub mft_mirror_lcn: u64,
    /// Size of one MFT record in bytes (usually 1024; 4096 on 4Kn disks).
    pub file_record_size: u32,
    /// Size of one index record (INDX block) in bytes.
    pub index_record_size: u32,
    pub serial_number: u64,
}

impl BootSector {
    /// Volume size in bytes as the boot sector states it.
    pub fn volume_size(&self) -> u64 {
        self.total_sectors
            .saturating_mul(u64::from(self.bytes_per_sector))
    }

    /// Byte offset of the `$MFT`'s first cluster.
    pub fn mft_offset(&self) -> Option<u64> {
        self.mft_lcn.checked_mul(u64::from(self.cluster_size))
    }

    /// Byte offset of the `$MFTMirr`'s first cluster.
    pub fn mft_mirror_offset(&self) -> Option<u64> {
        self.mft_mirror_lcn
            .checked_mul(u64::from(self.cluster_size))
    }

    /// Parses one 512-byte boot sector found at `offset`.
    pub fn parse(b: &[u8], offset: u64) -> Result<BootSector> {
        let err = |at: usize, m: String| Error::format("NTFS boot sector", offset + at as u64, m);
        if b.len() < 512 {
            return Err(err(0, format!("only {} bytes", b.len())));
        }
        if !has_ntfs_oem_id(b) {
            return Err(err(3, "no \"NTFS    \" OEM id".into()));
        }
        if b[510..512] != [0x55, 0xAA] {
            return Err(err(
                510,
                format!("end marker is {:02x}{:02x}, not 55aa", b[510], b[511]),
            ));
        }
        let bytes_per_sector = u32::from(u16::from_le_bytes([b[11], b[12]]));
        if !(256..=4096).contains(&bytes_per_sector) || !bytes_per_sector.is_power_of_two() {
            return Err(err(
                11,
                format!(
                    "bytes per sector is {bytes_per_sector}, not a power of two from 256 to 4096"
                ),
            ));
        }
        // 0x0D: sectors per cluster; values above 0x80 are a negative exponent (2^(256-n)), used
        // for clusters of 128 KiB and more (Windows 10 1709+ allows up to 2 MiB).
        let spc_raw = b[13];
        let sectors_per_cluster: u32 = match spc_raw {
            0 => return Err(err(13, "sectors per cluster is 0".into())),
            1..=0x80 => u32::from(spc_raw),
            n => {
                let shift = 256 - u32::from(n);
                if shift > 12 {
                    return Err(err(
                        13,
                        format!("sectors per cluster 2^{shift} is too large"),
                    ));
                }
                1 << shift
            }
        };
        if !sectors_per_cluster.is_power_of_two() {
            return Err(err(
                13,
                format!("sectors per cluster {sectors_per_cluster} is not a power of two"),
            ));
        }
        let cluster_size = bytes_per_sector * sectors_per_cluster;
        if cluster_size > 2 * 1024 * 1024 {
            return Err(err(
                13,
                format!("cluster size {cluster_size} is over 2 MiB"),
            ));
        }
        let u64_at = |at: usize| {
            u64::from_le_bytes([
                b[at],
                b[at + 1],
                b[at + 2],
                b[at + 3],
                b[at + 4],
                b[at + 5],
                b[at + 6],
                b[at + 7],
            ])
        };
        let total_sectors = u64_at(0x28);
        let mft_lcn = u64_at(0x30);
        let mft_mirror_lcn = u64_at(0x38);
        let record_size = |at: usize, what: &str| -> Result<u32> {
            // Positive: clusters per record; negative: 2^-n bytes.
            let v = b[at] as i8;
            let size = if v > 0 {
                u64::from(v as u8) * u64::from(cluster_size)
            } else {
                let shift = u32::from(v.unsigned_abs());
                if shift > 31 {
                    return Err(err(at, format!("{what} size 2^{shift} is absurd")));
                }
                1u64 << shift
            };
            if !(256..=65536).contains(&size) || !size.is_power_of_two() {
                return Err(err(
                    at,
                    format!("{what} size {size} is not a power of two from 256 to 65536"),
                ));
            }
            Ok(size as u32)
        };
        let file_record_size = record_size(0x40, "file record")?;
        let index_record_size = record_size(0x44, "index record")?;
        let total_clusters = total_sectors / u64::from(sectors_per_cluster);
        if mft_lcn == 0 || mft_lcn >= total_clusters.max(1) {
            return Err(err(
                0x30,
                format!("$MFT cluster {mft_lcn} is outside the volume's {total_clusters} clusters"),
            ));
        }
        Ok(BootSector {
            offset,
            bytes_per_sector,
            sectors_per_cluster,
            cluster_size,
            total_sectors,
            mft_lcn,
            mft_mirror_lcn,
            file_record_size,
            index_record_size,
            serial_number: u64_at(0x48),
        })
    }

    /// Reads the boot sector at byte 0; when that one is damaged, the backup in the volume's last
    /// sector (the source's last 512 bytes, and at 4096 before the end for 4Kn volumes). The error
    /// of the primary is returned as a warning alongside a good backup.
    pub fn read(src: &dyn ReadAt) -> Result<(BootSector, Option<Error>)> {
        let mut buf = [0u8; 512];
        let primary = src
            .read_at(0, &mut buf)
            .and_then(|()| BootSector::parse(&buf, 0));
        let primary_err = match primary {
            Ok(bs) => return Ok((bs, None)),
            Err(e) => e,
        };
        for back in [512u64, 4096] {
            if let Some(at) = src.len().checked_sub(back) {
                if at > 0 && src.read_at(at, &mut buf).is_ok() {
                    if let Ok(bs) = BootSector::parse(&buf, at) {
                        return Ok((bs, Some(primary_err)));
                    }
                }
            }
        }
        Err(Error::NotNtfs(format!(
            "{primary_err}; no valid backup boot sector at the end either"
        )))
    }
}
