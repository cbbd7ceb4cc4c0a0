//! VHDX ([MS-VHDX] "Virtual Hard Disk v2 (VHDX) File Format", Microsoft Open Specifications).
//!
//! Layout (all little-endian; section numbers are MS-VHDX's):
//! - §2.2.1 File type identifier at 0: "vhdxfile", Creator (UTF-16LE, 512 bytes).
//! - §2.2.2 Headers at 64 KiB and 128 KiB (4 KiB each): "head", Checksum (CRC-32C over the 4 KiB
//!   with the field zeroed), SequenceNumber, FileWriteGuid, DataWriteGuid, LogGuid, LogVersion,
//!   Version (1), LogLength, LogOffset. The valid header with the higher SequenceNumber is the
//!   current one.
//! - §2.2.3 Region tables at 192 KiB and 256 KiB (64 KiB each): "regi", Checksum (CRC-32C over
//!   64 KiB), EntryCount (≤ 2047); entries: Guid, FileOffset, Length, Required. Known regions:
//!   BAT 2DC27766-F623-4200-9D64-115E9BFD4A08 and metadata 8B7CA206-4790-4B9A-B8FE-575F050F886E;
//!   an unknown region marked required makes the file unreadable for us.
//! - §2.3 Log: entries ("loge") of descriptors ("desc" data, "zero" zero) and data sectors
//!   ("data"). When the current header's LogGuid is not zero, the log must be replayed before
//!   anything else is read (§2.3.3): we replay it into an in-memory overlay of file sectors,
//!   never writing to the file.
//! - §2.5 BAT: 64-bit entries, State in bits 0–2, FileOffsetMB in bits 20–63; payload block
//!   entries interleaved with a sector bitmap block entry after every ChunkRatio payload entries,
//!   ChunkRatio = (2^23 × LogicalSectorSize) / BlockSize.
//! - §2.6 Metadata region: "metadata" table (EntryCount ≤ 2047), entries ItemId, Offset, Length,
//!   flags (IsUser, IsVirtualDisk, IsRequired); items File Parameters (BlockSize,
//!   LeaveBlockAllocated, HasParent), Virtual Disk Size, Logical/Physical Sector Size, Page 83
//!   Data, Parent Locator (key/value UTF-16LE pairs: parent_linkage, relative_path,
//!   volume_path, absolute_win32_path).
//!
//! CRC-32C (Castagnoli, reflected polynomial 0x82F63B78) is computed with a table here; the
//! `crc32fast` crate only does the IEEE polynomial.

use crate::container::{
    base_dir, bytes16, guid_text, le16, le32, le64, utf16le, windows_file_name,
    windows_path_candidate,
};
use crate::error::{Error, Result};
use crate::source::{check_range, read_vec, FileSource, ReadAt, Source};
use std::path::{Path, PathBuf};
use std::sync::Arc;

const KIB: u64 = 1024;
const MIB: u64 = 1024 * 1024;
/// Deepest chain of differencing disks followed.
pub const MAX_CHAIN: u32 = 32;

const BAT_REGION: &str = "2DC27766-F623-4200-9D64-115E9BFD4A08";
const METADATA_REGION: &str = "8B7CA206-4790-4B9A-B8FE-575F050F886E";
const FILE_PARAMETERS: &str = "CAA16737-FA36-4D43-B3B6-33F0AA44E76B";
const VIRTUAL_DISK_SIZE: &str = "2FA54224-CD1B-4876-B211-5DBED83BF4B8";
const PAGE_83: &str = "BECA12AB-B2E6-4523-93EF-C309E000C746";
const LOGICAL_SECTOR_SIZE: &str = "8141BF1D-A96F-4709-BA47-F233A8FAAB5F";
const PHYSICAL_SECTOR_SIZE: &str = "CDA348C7-445D-4471-9CC9-E9885251C556";
const PARENT_LOCATOR: &str = "A8D35F2D-B30B-454D-ABF7-D3D84834AB0C";

// BAT entry states (§2.5.1.1, §2.5.1.2).
const PAYLOAD_NOT_PRESENT: u64 = 0;
const PAYLOAD_UNDEFINED: u64 = 1;
const PAYLOAD_ZERO: u64 = 2;
const PAYLOAD_UNMAPPED: u64 = 3;
const PAYLOAD_FULLY_PRESENT: u64 = 6;
const PAYLOAD_PARTIALLY_PRESENT: u64 = 7;
const SB_PRESENT: u64 = 6;

const fn crc32c_table() -> [u32; 256] {
    let mut t = [0u32; 256];
    let mut i = 0;
    while i < 256 {
        let mut c = i as u32;
        let mut k = 0;
        while k < 8 {
            c = if c & 1 != 0 {
                (c >> 1) ^ 0x82F6_3B78
            } else {
                c >> 1
            };
            k += 1;
        }
        t[i] = c;
        i += 1;
    }
    t
}
static CRC32C: [u32; 256] = crc32c_table();

/// CRC-32C (Castagnoli) of `data`.
pub fn crc32c(data: &[u8]) -> u32 {
    let mut c = !0u32;
    for &b in data {
        c = CRC32C[((c ^ u32::from(b)) & 0xFF) as usize] ^ (c >> 8);
    }
    !c
}

/// CRC-32C of `data` with the 4 bytes at `field` taken as zero.
pub fn crc32c_without(data: &[u8], field: usize) -> u32 {
    let mut c = !0u32;
    for (i, &b) in data.iter().enumerate() {
        let b = if i >= field && i < field + 4 { 0 } else { b };
        c = CRC32C[((c ^ u32::from(b)) & 0xFF) as usize] ^ (c >> 8);
    }
    !c
}

/// What the headers and metadata say.
#[derive(Debug, Clone)]
pub struct VhdxInfo {
    /// Creator string of the file type identifier.
    pub creator: String,
    /// Which header is current (1 or 2) and its sequence number.
    pub header: (u8, u64),
    /// FileWriteGuid of the current header.
    pub file_write_guid: String,
    /// DataWriteGuid of the current header (what a child's parent_linkage names).
    pub data_write_guid: String,
    /// Virtual disk size in bytes.
    pub virtual_size: u64,
    /// Payload block size in bytes.
    pub block_size: u32,
    /// Logical sector size (512 or 4096).
    pub logical_sector_size: u32,
    /// Physical sector size (512 or 4096).
    pub physical_sector_size: u32,
    /// File Parameters LeaveBlockAllocated (a "fixed" VHDX).
    pub leave_blocks_allocated: bool,
    /// File Parameters HasParent (a differencing VHDX).
    pub has_parent: bool,
    /// Page 83 data (SCSI identifier) as GUID text.
    pub page83: Option<String>,
    /// Parent locator key/value pairs.
    pub parent_locator: Vec<(String, String)>,
    /// The parent file that was opened.
    pub parent_path: Option<PathBuf>,
    /// Number of log entries replayed in memory (0 when the log was clean).
    pub log_entries_replayed: usize,
}

/// A VHDX image as a [`ReadAt`] over its virtual disk.
pub struct Vhdx {
    /// The file, with the log replayed over it in memory when there was one.
    file: Source,
    /// What the headers say.
    pub info: VhdxInfo,
    /// Damage worked around (a bad header or region table copy…).
    pub warnings: Vec<String>,
    bat: Vec<u64>,
    bat_offset: u64,
    chunk_ratio: u64,
    parent: Option<Source>,
}

struct Header {
    seq: u64,
    file_write: [u8; 16],
    data_write: [u8; 16],
    log_guid: [u8; 16],
    log_version: u16,
    log_length: u32,
    log_offset: u64,
}

fn parse_header(file: &dyn ReadAt, offset: u64) -> Result<Header> {
    let b = read_vec(file, "VHDX header", offset, 4 * KIB)?;
    if b.get(0..4) != Some(b"head".as_slice()) {
        return Err(Error::format(
            "VHDX header",
            offset,
            "no \"head\" signature",
        ));
    }
    let stored = le32(&b, 4);
    let crc = crc32c_without(&b, 4);
    if stored != crc {
        return Err(Error::format(
            "VHDX header",
            offset,
            format!("CRC-32C is {stored:#010x}, computed {crc:#010x}"),
        ));
    }
    let version = le16(&b, 66);
    if version != 1 {
        return Err(Error::format(
            "VHDX header",
            offset,
            format!("version {version} is not 1"),
        ));
    }
    Ok(Header {
        seq: le64(&b, 8),
        file_write: bytes16(&b, 16),
        data_write: bytes16(&b, 32),
        log_guid: bytes16(&b, 48),
        log_version: le16(&b, 64),
        log_length: le32(&b, 68),
        log_offset: le64(&b, 72),
    })
}

struct Region {
    offset: u64,
    len: u64,
}

fn parse_region_table(file: &dyn ReadAt, offset: u64) -> Result<(Option<Region>, Option<Region>)> {
    let b = read_vec(file, "VHDX region table", offset, 64 * KIB)?;
    if b.get(0..4) != Some(b"regi".as_slice()) {
        return Err(Error::format(
            "VHDX region table",
            offset,
            "no \"regi\" signature",
        ));
    }
    let stored = le32(&b, 4);
    let crc = crc32c_without(&b, 4);
    if stored != crc {
        return Err(Error::format(
            "VHDX region table",
            offset,
            format!("CRC-32C is {stored:#010x}, computed {crc:#010x}"),
        ));
    }
    let count = le32(&b, 8);
    if count > 2047 {
        return Err(Error::format(
            "VHDX region table",
            offset,
            format!("{count} entries (at most 2047)"),
        ));
    }
    let (mut bat, mut meta) = (None, None);
    for i in 0..count as usize {
        let e = b.get(16 + 32 * i..48 + 32 * i).unwrap_or(&[]);
        let guid = guid_text(&bytes16(e, 0));
        let r = Region {
            offset: le64(e, 16),
            len: u64::from(le32(e, 24)),
        };
        let required = le32(e, 28) & 1 != 0;
        let entry_off = offset + 16 + 32 * i as u64;
        if r.offset < MIB || r.offset % MIB != 0 || r.len % MIB != 0 || r.len == 0 {
            return Err(Error::format(
                "VHDX region table entry",
                entry_off,
                format!(
                    "region {guid} at {:#x} of {:#x} bytes is not 1 MiB-aligned",
                    r.offset, r.len
                ),
            ));
        }
        match guid.as_str() {
            BAT_REGION => bat = Some(r),
            METADATA_REGION => meta = Some(r),
            _ if required => {
                return Err(Error::Unsupported(format!(
                    "VHDX region table at byte {offset:#x}: unknown required region {guid}"
                )))
            }
            _ => {}
        }
    }
    Ok((bat, meta))
}

impl Vhdx {
    /// Opens a VHDX held in `file`; `path` is where it lives (to find a differencing disk's
    /// parent).
    pub fn open(file: Source, path: &Path) -> Result<Vhdx> {
        Self::open_chain(file, path, 0)
    }

    fn open_chain(file: Source, path: &Path, depth: u32) -> Result<Vhdx> {
        let mut warnings = Vec::new();
        let ident = read_vec(file.as_ref(), "VHDX file type identifier", 0, 64 * KIB)?;
        if ident.get(0..8) != Some(b"vhdxfile".as_slice()) {
            return Err(Error::format(
                "VHDX file type identifier",
                0,
                "no \"vhdxfile\" signature",
            ));
        }
        let creator = utf16le(ident.get(8..520).unwrap_or(&[]));

        let h1 = parse_header(file.as_ref(), 64 * KIB);
        let h2 = parse_header(file.as_ref(), 128 * KIB);
        let (h, which) = match (h1, h2) {
            (Ok(a), Ok(b)) => {
                if b.seq > a.seq {
                    (b, 2u8)
                } else {
                    (a, 1u8)
                }
            }
            (Ok(a), Err(e)) => {
                warnings.push(format!("{e}; using header 1"));
                (a, 1)
            }
            (Err(e), Ok(b)) => {
                warnings.push(format!("{e}; using header 2"));
                (b, 2)
            }
            (Err(e1), Err(e2)) => {
                return Err(Error::format(
                    "VHDX header",
                    64 * KIB,
                    format!("no valid header: {e1}; {e2}"),
                ))
            }
        };
        let header_off = u64::from(which) * 64 * KIB;

        // §2.3.3: replay the log before reading regions, metadata or BAT.
        let mut replayed = 0;
        let file: Source = if h.log_guid != [0u8; 16] {
            if h.log_version != 0 {
                return Err(Error::Unsupported(format!(
                    "VHDX header at byte {header_off:#x}: log version {} (only 0 is defined)",
                    h.log_version
                )));
            }
            let (overlay, n) = replay_log(file, &h, header_off)?;
            replayed = n;
            warnings.push(format!(
                "VHDX log (LogGuid {}) was not empty: {n} log entries replayed in memory (the file was not changed)",
                guid_text(&h.log_guid)
            ));
            overlay
        } else {
            file
        };

        let r1 = parse_region_table(file.as_ref(), 192 * KIB);
        let (bat_r, meta_r) = match r1 {
            Ok(r) => r,
            Err(e1) => match parse_region_table(file.as_ref(), 256 * KIB) {
                Ok(r) => {
                    warnings.push(format!("{e1}; using the second region table"));
                    r
                }
                Err(e2) => {
                    return Err(Error::format(
                        "VHDX region table",
                        192 * KIB,
                        format!("no valid region table: {e1}; {e2}"),
                    ))
                }
            },
        };
        let (Some(bat_r), Some(meta_r)) = (bat_r, meta_r) else {
            return Err(Error::format(
                "VHDX region table",
                192 * KIB,
                "no BAT or no metadata region",
            ));
        };
        check_range("VHDX BAT region", bat_r.offset, bat_r.len, file.len())?;
        check_range(
            "VHDX metadata region",
            meta_r.offset,
            meta_r.len,
            file.len(),
        )?;

        let meta = parse_metadata(file.as_ref(), &meta_r)?;
        let bs = u64::from(meta.block_size);
        let lss = u64::from(meta.logical_sector_size);
        let chunk_ratio = ((1u64 << 23) * lss) / bs;
        let payload_blocks = meta.virtual_size.div_ceil(bs);
        let sb_blocks = payload_blocks.div_ceil(chunk_ratio);
        let total = if meta.has_parent {
            sb_blocks * (chunk_ratio + 1)
        } else {
            payload_blocks + payload_blocks.saturating_sub(1) / chunk_ratio
        };
        let bat_bytes = total
            .checked_mul(8)
            .filter(|&n| n <= bat_r.len)
            .ok_or_else(|| {
                Error::format(
                    "VHDX BAT region",
                    bat_r.offset,
                    format!(
                        "{total} entries needed for a {} byte disk do not fit the {} byte region",
                        meta.virtual_size, bat_r.len
                    ),
                )
            })?;
        let raw = read_vec(file.as_ref(), "VHDX BAT", bat_r.offset, bat_bytes)?;
        let bat: Vec<u64> = raw
            .chunks_exact(8)
            .map(|c| u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]))
            .collect();

        let mut info = VhdxInfo {
            creator,
            header: (which, h.seq),
            file_write_guid: guid_text(&h.file_write),
            data_write_guid: guid_text(&h.data_write),
            virtual_size: meta.virtual_size,
            block_size: meta.block_size,
            logical_sector_size: meta.logical_sector_size,
            physical_sector_size: meta.physical_sector_size,
            leave_blocks_allocated: meta.leave_allocated,
            has_parent: meta.has_parent,
            page83: meta.page83.map(|g| guid_text(&g)),
            parent_locator: meta.parent_locator.clone(),
            parent_path: None,
            log_entries_replayed: replayed,
        };

        let mut parent = None;
        if meta.has_parent {
            if depth >= MAX_CHAIN {
                return Err(Error::format(
                    "VHDX metadata",
                    meta_r.offset,
                    format!("differencing chain deeper than {MAX_CHAIN} disks (a loop?)"),
                ));
            }
            let (p, p_path) = find_parent(
                path,
                &meta.parent_locator,
                meta.parent_locator_offset,
                depth,
            )?;
            if p.info.virtual_size != meta.virtual_size {
                warnings.push(format!(
                    "VHDX parent {} is {} bytes, the child {} bytes",
                    p_path.display(),
                    p.info.virtual_size,
                    meta.virtual_size
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
        Ok(Vhdx {
            file,
            info,
            warnings,
            bat,
            bat_offset: bat_r.offset,
            chunk_ratio,
            parent,
        })
    }

    /// One line for the examiner.
    pub fn describe(&self) -> String {
        let i = &self.info;
        let kind = if i.has_parent {
            "differencing"
        } else if i.leave_blocks_allocated {
            "fixed"
        } else {
            "dynamic"
        };
        let mut s = format!(
            "VHDX {kind}, {} bytes, block size {}, logical/physical sector {}/{}, creator \"{}\", data write GUID {}",
            i.virtual_size, i.block_size, i.logical_sector_size, i.physical_sector_size, i.creator, i.data_write_guid
        );
        if let Some(p) = &i.parent_path {
            s.push_str(&format!(", parent {}", p.display()));
        }
        if i.log_entries_replayed > 0 {
            s.push_str(&format!(
                ", {} log entries replayed in memory",
                i.log_entries_replayed
            ));
        }
        s
    }

    fn entry(&self, index: u64) -> (u64, u64) {
        let e = usize::try_from(index)
            .ok()
            .and_then(|i| self.bat.get(i))
            .copied()
            .unwrap_or(0);
        (e & 7, (e >> 20).saturating_mul(MIB))
    }

    fn read_in_block(&self, block: u64, in_block: u64, buf: &mut [u8]) -> Result<()> {
        let bs = u64::from(self.info.block_size);
        let virt = block * bs + in_block;
        let index = block + block / self.chunk_ratio;
        let entry_off = self.bat_offset + index * 8;
        let (state, off) = self.entry(index);
        match state {
            PAYLOAD_NOT_PRESENT => self.read_unset(virt, buf),
            PAYLOAD_UNDEFINED | PAYLOAD_ZERO | PAYLOAD_UNMAPPED => {
                buf.fill(0);
                Ok(())
            }
            PAYLOAD_FULLY_PRESENT | PAYLOAD_PARTIALLY_PRESENT => {
                if off < MIB
                    || off
                        .checked_add(bs)
                        .map_or(true, |end| end > self.file.len())
                {
                    return Err(Error::format(
                        "VHDX BAT entry",
                        entry_off,
                        format!(
                            "payload block {block} at byte {off:#x} is outside the file ({:#x} bytes)",
                            self.file.len()
                        ),
                    ));
                }
                if state == PAYLOAD_FULLY_PRESENT {
                    return self.file.read_at(off + in_block, buf);
                }
                if self.parent.is_none() {
                    return Err(Error::format(
                        "VHDX BAT entry",
                        entry_off,
                        format!(
                            "payload block {block} is PARTIALLY_PRESENT in a disk without a parent"
                        ),
                    ));
                }
                self.read_partial(block, off, in_block, buf)
            }
            s => Err(Error::format(
                "VHDX BAT entry",
                entry_off,
                format!("payload block {block} has invalid state {s}"),
            )),
        }
    }

    /// A PARTIALLY_PRESENT block: the sector bitmap of its chunk says, per logical sector, whether
    /// the data is in this file (bit set; bit i of the bitmap is bit i % 8 of byte i / 8) or in the
    /// parent.
    fn read_partial(&self, block: u64, off: u64, in_block: u64, buf: &mut [u8]) -> Result<()> {
        let bs = u64::from(self.info.block_size);
        let lss = u64::from(self.info.logical_sector_size);
        let chunk = block / self.chunk_ratio;
        let sb_index = chunk * (self.chunk_ratio + 1) + self.chunk_ratio;
        let (sb_state, sb_off) = self.entry(sb_index);
        let sb_entry_off = self.bat_offset + sb_index * 8;
        if sb_state != SB_PRESENT
            || sb_off < MIB
            || sb_off
                .checked_add(MIB)
                .map_or(true, |e| e > self.file.len())
        {
            return Err(Error::format(
                "VHDX BAT entry",
                sb_entry_off,
                format!("sector bitmap block of chunk {chunk} (state {sb_state}, byte {sb_off:#x}) is missing or outside the file"),
            ));
        }
        let virt = block * bs + in_block;
        // Sector number inside the chunk (a chunk is 2^23 logical sectors: one 1 MiB bitmap).
        let chunk_start = chunk * self.chunk_ratio * bs;
        let first = (virt - chunk_start) / lss;
        let last = (virt - chunk_start + buf.len() as u64 - 1) / lss;
        let bm_first = first / 8;
        let bitmap = read_vec(
            self.file.as_ref(),
            "VHDX sector bitmap",
            sb_off + bm_first,
            last / 8 - bm_first + 1,
        )?;
        let bit = |s: u64| -> bool {
            bitmap
                .get((s / 8 - bm_first) as usize)
                .is_some_and(|b| b & (1 << (s % 8)) != 0)
        };
        let rel = virt - chunk_start;
        crate::source::read_by_sector_bitmap(
            buf,
            rel,
            lss,
            (first, last),
            bit,
            |pos, part| self.file.read_at(off + in_block + pos as u64, part),
            |pos, part| self.read_unset(virt + pos as u64, part),
        )
    }

    fn read_unset(&self, virt: u64, buf: &mut [u8]) -> Result<()> {
        crate::source::read_parent_or_zeros(self.parent.as_ref(), virt, buf)
    }
}

impl ReadAt for Vhdx {
    fn len(&self) -> u64 {
        self.info.virtual_size
    }

    fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<()> {
        check_range(
            "VHDX read",
            offset,
            buf.len() as u64,
            self.info.virtual_size,
        )?;
        let bs = u64::from(self.info.block_size);
        let mut pos = 0usize;
        while pos < buf.len() {
            let off = offset + pos as u64;
            let block = off / bs;
            let in_block = off % bs;
            let n = ((bs - in_block) as usize).min(buf.len() - pos);
            self.read_in_block(block, in_block, &mut buf[pos..pos + n])?;
            pos += n;
        }
        Ok(())
    }
}

struct Metadata {
    block_size: u32,
    leave_allocated: bool,
    has_parent: bool,
    virtual_size: u64,
    logical_sector_size: u32,
    physical_sector_size: u32,
    page83: Option<[u8; 16]>,
    parent_locator: Vec<(String, String)>,
    parent_locator_offset: u64,
}

fn parse_metadata(file: &dyn ReadAt, r: &Region) -> Result<Metadata> {
    let table = read_vec(file, "VHDX metadata table", r.offset, 64 * KIB)?;
    if table.get(0..8) != Some(b"metadata".as_slice()) {
        return Err(Error::format(
            "VHDX metadata table",
            r.offset,
            "no \"metadata\" signature",
        ));
    }
    let count = le16(&table, 10);
    if count > 2047 {
        return Err(Error::format(
            "VHDX metadata table",
            r.offset,
            format!("{count} entries (at most 2047)"),
        ));
    }
    let mut items: Vec<(String, Vec<u8>, u64)> = Vec::new();
    for i in 0..usize::from(count) {
        let e = table.get(32 + 32 * i..64 + 32 * i).unwrap_or(&[]);
        let entry_off = r.offset + 32 + 32 * i as u64;
        let id = guid_text(&bytes16(e, 0));
        let off = u64::from(le32(e, 16));
        let len = u64::from(le32(e, 20));
        let required = le32(e, 24) & 4 != 0;
        if len == 0 {
            continue;
        }
        if off < 64 * KIB || off.checked_add(len).map_or(true, |end| end > r.len) {
            return Err(Error::format(
                "VHDX metadata entry",
                entry_off,
                format!("item {id} at {off:#x} of {len} bytes is outside the metadata region"),
            ));
        }
        let known = [
            FILE_PARAMETERS,
            VIRTUAL_DISK_SIZE,
            PAGE_83,
            LOGICAL_SECTOR_SIZE,
            PHYSICAL_SECTOR_SIZE,
            PARENT_LOCATOR,
        ];
        if !known.contains(&id.as_str()) {
            if required {
                return Err(Error::Unsupported(format!(
                    "VHDX metadata entry at byte {entry_off:#x}: unknown required item {id}"
                )));
            }
            continue;
        }
        let data = read_vec(file, "VHDX metadata item", r.offset + off, len)?;
        items.push((id, data, r.offset + off));
    }
    let get = |id: &str| items.iter().find(|(i, _, _)| i == id);
    let need = |id: &str, what: &str, min: usize| -> Result<(&[u8], u64)> {
        match get(id) {
            Some((_, d, o)) if d.len() >= min => Ok((d.as_slice(), *o)),
            Some((_, _, o)) => Err(Error::format(
                "VHDX metadata item",
                *o,
                format!("{what} item is too short"),
            )),
            None => Err(Error::format(
                "VHDX metadata table",
                r.offset,
                format!("no {what} item"),
            )),
        }
    };
    let (fp, fp_off) = need(FILE_PARAMETERS, "File Parameters", 8)?;
    let block_size = le32(fp, 0);
    let flags = le32(fp, 4);
    if !block_size.is_power_of_two() || !(MIB..=256 * MIB).contains(&u64::from(block_size)) {
        return Err(Error::format(
            "VHDX File Parameters",
            fp_off,
            format!("block size {block_size} is not a power of two between 1 MiB and 256 MiB"),
        ));
    }
    let (ls, ls_off) = need(LOGICAL_SECTOR_SIZE, "Logical Sector Size", 4)?;
    let logical_sector_size = le32(ls, 0);
    if logical_sector_size != 512 && logical_sector_size != 4096 {
        return Err(Error::format(
            "VHDX Logical Sector Size",
            ls_off,
            format!("{logical_sector_size} is not 512 or 4096"),
        ));
    }
    let (ps, ps_off) = need(PHYSICAL_SECTOR_SIZE, "Physical Sector Size", 4)?;
    let physical_sector_size = le32(ps, 0);
    if physical_sector_size != 512 && physical_sector_size != 4096 {
        return Err(Error::format(
            "VHDX Physical Sector Size",
            ps_off,
            format!("{physical_sector_size} is not 512 or 4096"),
        ));
    }
    let (vs, vs_off) = need(VIRTUAL_DISK_SIZE, "Virtual Disk Size", 8)?;
    let virtual_size = le64(vs, 0);
    if virtual_size == 0
        || virtual_size > 64 * 1024 * 1024 * MIB
        || virtual_size % u64::from(logical_sector_size) != 0
    {
        return Err(Error::format(
            "VHDX Virtual Disk Size",
            vs_off,
            format!("{virtual_size} bytes is not a multiple of the logical sector size between 1 byte and 64 TiB"),
        ));
    }
    let page83 = get(PAGE_83)
        .filter(|(_, d, _)| d.len() >= 16)
        .map(|(_, d, _)| bytes16(d, 0));
    let has_parent = flags & 2 != 0;
    let mut parent_locator = Vec::new();
    let mut parent_locator_offset = 0;
    if has_parent {
        let (pl, pl_off) = need(PARENT_LOCATOR, "Parent Locator", 20)?;
        parent_locator = parse_parent_locator(pl, pl_off)?;
        parent_locator_offset = pl_off;
    }
    Ok(Metadata {
        block_size,
        leave_allocated: flags & 1 != 0,
        has_parent,
        virtual_size,
        logical_sector_size,
        physical_sector_size,
        page83,
        parent_locator,
        parent_locator_offset,
    })
}

/// §2.6.2.6: LocatorType (16), Reserved (2), KeyValueCount (2), then 12-byte entries (KeyOffset,
/// ValueOffset, KeyLength, ValueLength), offsets from the start of the item.
fn parse_parent_locator(d: &[u8], off: u64) -> Result<Vec<(String, String)>> {
    let count = usize::from(le16(d, 18));
    let mut out = Vec::new();
    for i in 0..count {
        let e = 20 + 12 * i;
        if e + 12 > d.len() {
            return Err(Error::format(
                "VHDX parent locator",
                off,
                format!("{count} entries do not fit the item"),
            ));
        }
        let field = |o: usize, l: usize| -> Result<String> {
            d.get(o..o.saturating_add(l)).map(utf16le).ok_or_else(|| {
                Error::format(
                    "VHDX parent locator",
                    off + e as u64,
                    format!("entry {i} points outside the item"),
                )
            })
        };
        let key = field(le32(d, e) as usize, usize::from(le16(d, e + 8)))?;
        let value = field(le32(d, e + 4) as usize, usize::from(le16(d, e + 10)))?;
        out.push((key, value));
    }
    Ok(out)
}

fn norm_guid(s: &str) -> String {
    s.trim()
        .trim_start_matches('{')
        .trim_end_matches('}')
        .to_ascii_uppercase()
}

fn find_parent(
    child: &Path,
    locator: &[(String, String)],
    locator_off: u64,
    depth: u32,
) -> Result<(Vhdx, PathBuf)> {
    let dir = base_dir(child);
    let value = |k: &str| {
        locator
            .iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.as_str())
    };
    let Some(linkage) = value("parent_linkage") else {
        return Err(Error::NotFound(format!(
            "the parent of differencing VHDX {}: the parent locator has no parent_linkage",
            child.display()
        )));
    };
    let linkage2 = value("parent_linkage2").map(norm_guid);
    let want = norm_guid(linkage);
    let mut candidates = Vec::new();
    for k in ["relative_path", "absolute_win32_path", "volume_path"] {
        if let Some(v) = value(k) {
            candidates.extend(windows_path_candidate(v, &dir));
        }
    }
    for k in ["relative_path", "absolute_win32_path", "volume_path"] {
        if let Some(n) = value(k).and_then(windows_file_name) {
            candidates.push(dir.join(n));
        }
    }
    let mut seen: Vec<PathBuf> = Vec::new();
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
        let p = Vhdx::open_chain(src, &c, depth + 1)?;
        let got = norm_guid(&p.info.data_write_guid);
        if got == want || linkage2.as_deref() == Some(got.as_str()) {
            return Ok((p, c));
        }
        mismatches.push(format!("{} has DataWriteGuid {got}", c.display()));
    }
    if !mismatches.is_empty() {
        return Err(Error::Format {
            structure: "VHDX parent locator",
            offset: locator_off,
            message: format!(
                "the parent must have DataWriteGuid {want} but {}",
                mismatches.join("; ")
            ),
        });
    }
    let tried: Vec<String> = seen.iter().map(|p| p.display().to_string()).collect();
    Err(Error::NotFound(format!(
        "the parent of differencing VHDX {} (parent locator {locator:?}); tried: {}",
        child.display(),
        if tried.is_empty() {
            "nothing usable".to_string()
        } else {
            tried.join(", ")
        }
    )))
}

// ---- log replay (§2.3) ------------------------------------------------------------------------

/// A patch of the file produced by the log: 4 KiB of data, or a run of zeros.
enum Patch {
    Data(Box<[u8; 4096]>),
    Zero(u64),
}

/// The file with log entries applied in memory (later patches win).
struct Replayed {
    inner: Source,
    len: u64,
    patches: Vec<(u64, Patch)>,
}

impl ReadAt for Replayed {
    fn len(&self) -> u64 {
        self.len
    }
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<()> {
        check_range("VHDX read", offset, buf.len() as u64, self.len)?;
        let end = offset + buf.len() as u64;
        // Bytes beyond the real file (the log may extend the file) read as zeros.
        let real = self
            .inner
            .len()
            .saturating_sub(offset)
            .min(buf.len() as u64) as usize;
        let (inside, past) = buf.split_at_mut(real);
        if !inside.is_empty() {
            self.inner.read_at(offset, inside)?;
        }
        past.fill(0);
        for (start, p) in &self.patches {
            let plen = match p {
                Patch::Data(_) => 4096,
                Patch::Zero(n) => *n,
            };
            let pend = start.saturating_add(plen);
            if pend <= offset || *start >= end {
                continue;
            }
            let lo = (*start).max(offset);
            let hi = pend.min(end);
            let dst = &mut buf[(lo - offset) as usize..(hi - offset) as usize];
            match p {
                Patch::Data(d) => {
                    dst.copy_from_slice(&d[(lo - start) as usize..(hi - start) as usize])
                }
                Patch::Zero(_) => dst.fill(0),
            }
        }
        Ok(())
    }
}

struct LogEntry {
    pos: u64,
    len: u64,
    tail: u64,
    seq: u64,
    flushed: u64,
    last: u64,
    patches: Vec<(u64, Patch)>,
}

/// Reads `len` bytes at `pos` of the circular log.
fn read_log(file: &dyn ReadAt, log_off: u64, log_len: u64, pos: u64, len: u64) -> Result<Vec<u8>> {
    let first = len.min(log_len - pos);
    let mut v = read_vec(file, "VHDX log", log_off + pos, first)?;
    if first < len {
        v.extend(read_vec(file, "VHDX log", log_off, len - first)?);
    }
    Ok(v)
}

/// Parses and checks the log entry at `pos`: signature, length, CRC-32C, LogGuid, descriptors and
/// their data sectors. `None` when it is not a valid entry.
fn parse_entry(
    file: &dyn ReadAt,
    log_off: u64,
    log_len: u64,
    pos: u64,
    log_guid: &[u8; 16],
    budget: &mut u64,
) -> Option<LogEntry> {
    let hdr = read_log(file, log_off, log_len, pos, 4096).ok()?;
    if hdr.get(0..4) != Some(b"loge".as_slice()) {
        return None;
    }
    let len = u64::from(le32(&hdr, 8));
    if len == 0 || len % 4096 != 0 || len > log_len {
        return None;
    }
    if &bytes16(&hdr, 32) != log_guid {
        return None;
    }
    let tail = u64::from(le32(&hdr, 12));
    if tail % 4096 != 0 || tail >= log_len {
        return None;
    }
    // Reading whole entries at every slot could read the log once per slot; a hostile log is
    // stopped by a budget of a few times the log's size (a real log reads each entry once).
    if *budget < len {
        *budget = 0;
        return None;
    }
    *budget -= len;
    let seq = le64(&hdr, 16);
    let count = u64::from(le32(&hdr, 24));
    let desc_bytes = (64 + 32 * count).div_ceil(4096) * 4096;
    let entry = read_log(file, log_off, log_len, pos, len).ok()?;
    if le32(&entry, 4) != crc32c_without(&entry, 4) {
        return None;
    }
    let mut data_sector = desc_bytes;
    let mut patches = Vec::new();
    for i in 0..count {
        let d = entry.get((64 + 32 * i) as usize..(96 + 32 * i) as usize)?;
        if le64(d, 24) != seq {
            return None;
        }
        let file_offset = le64(d, 16);
        match d.get(0..4)? {
            b"zero" => {
                let n = le64(d, 8);
                if n % 4096 != 0 || file_offset % 4096 != 0 {
                    return None;
                }
                patches.push((file_offset, Patch::Zero(n)));
            }
            b"desc" => {
                let s = entry.get(data_sector as usize..(data_sector + 4096) as usize)?;
                if s.get(0..4) != Some(b"data".as_slice())
                    || u64::from(le32(s, 4)) != seq >> 32
                    || u64::from(le32(s, 4092)) != seq & 0xFFFF_FFFF
                    || file_offset % 4096 != 0
                {
                    return None;
                }
                let mut sector = Box::new([0u8; 4096]);
                sector[0..8].copy_from_slice(&le64(d, 8).to_le_bytes());
                sector[8..4092].copy_from_slice(s.get(8..4092)?);
                sector[4092..4096].copy_from_slice(&le32(d, 4).to_le_bytes());
                patches.push((file_offset, Patch::Data(sector)));
                data_sector += 4096;
            }
            _ => return None,
        }
    }
    if data_sector != len {
        return None;
    }
    Some(LogEntry {
        pos,
        len,
        tail,
        seq,
        flushed: le64(&hdr, 48),
        last: le64(&hdr, 56),
        patches,
    })
}

/// §2.3.3: find the active sequence (the valid sequence with the highest sequence number: entries
/// contiguous in the circular log with consecutive sequence numbers, from the entry the head's
/// Tail names to the head) and apply its entries in order over the file, in memory.
fn replay_log(file: Source, h: &Header, header_off: u64) -> Result<(Source, usize)> {
    let log_off = h.log_offset;
    let log_len = u64::from(h.log_length);
    if log_off < MIB || log_off % MIB != 0 || log_len == 0 || log_len % MIB != 0 {
        return Err(Error::format(
            "VHDX header",
            header_off,
            format!("log at {log_off:#x} of {log_len:#x} bytes is not 1 MiB-aligned"),
        ));
    }
    check_range("VHDX log", log_off, log_len, file.len())?;
    let slots = log_len / 4096;
    let mut entries: Vec<Option<LogEntry>> = Vec::new();
    let mut budget = log_len.saturating_mul(4).saturating_add(1);
    for i in 0..slots {
        entries.push(parse_entry(
            file.as_ref(),
            log_off,
            log_len,
            i * 4096,
            &h.log_guid,
            &mut budget,
        ));
        if budget == 0 {
            return Err(Error::format(
                "VHDX log",
                log_off,
                "the log needs replaying, but it holds too many overlapping entry headers to scan (damaged or crafted)",
            ));
        }
    }
    // Best (head sequence number, tail slot, head slot).
    let mut best: Option<(u64, u64, u64)> = None;
    for head in entries.iter().flatten() {
        // Only an entry that no valid entry with the next sequence number follows can be a head.
        // (Entries that continue a chain are skipped, so the walks below stay linear in the log
        // size even for a hostile log.)
        let next = ((head.pos + head.len) % log_len) / 4096;
        let continued = entries
            .get(next as usize)
            .and_then(|e| e.as_ref())
            .is_some_and(|e| e.pos != head.pos && Some(e.seq) == head.seq.checked_add(1));
        if continued {
            continue;
        }
        let tail_slot = head.tail / 4096;
        // Walk from the tail to the head.
        let mut slot = tail_slot;
        let mut expect = None;
        let mut ok = false;
        for _ in 0..slots {
            let Some(Some(e)) = entries.get(slot as usize) else {
                break;
            };
            if let Some(x) = expect {
                if e.seq != x {
                    break;
                }
            }
            if e.pos == head.pos {
                ok = e.seq == head.seq;
                break;
            }
            expect = e.seq.checked_add(1);
            slot = ((e.pos + e.len) % log_len) / 4096;
        }
        if ok && best.map_or(true, |(s, _, _)| head.seq > s) {
            best = Some((head.seq, tail_slot, head.pos / 4096));
        }
    }
    let Some((_, tail_slot, head_slot)) = best else {
        return Err(Error::format(
            "VHDX log",
            log_off,
            format!(
                "the header's LogGuid {} says the log must be replayed, but the log holds no valid sequence of entries",
                guid_text(&h.log_guid)
            ),
        ));
    };
    let head_flushed = entries
        .get(head_slot as usize)
        .and_then(|e| e.as_ref())
        .map_or(0, |e| e.flushed);
    if head_flushed > file.len() {
        return Err(Error::format(
            "VHDX log",
            log_off + head_slot * 4096,
            format!(
                "the log says the file was at least {head_flushed} bytes long but it is {} bytes (truncated?)",
                file.len()
            ),
        ));
    }
    let mut patches = Vec::new();
    let mut new_len = file.len();
    let mut slot = tail_slot;
    let mut n = 0;
    for _ in 0..slots {
        let Some(e) = entries.get_mut(slot as usize).and_then(|e| e.take()) else {
            break;
        };
        n += 1;
        new_len = new_len.max(e.last);
        for (off, p) in e.patches {
            let plen = match &p {
                Patch::Data(_) => 4096,
                Patch::Zero(z) => *z,
            };
            // A patch may extend the file, but not absurdly past what the log itself says.
            let end = off.saturating_add(plen);
            if end > new_len.max(e.last) {
                new_len = end;
            }
            patches.push((off, p));
        }
        if slot == head_slot {
            break;
        }
        slot = ((e.pos + e.len) % log_len) / 4096;
    }
    let overlay = Replayed {
        inner: file,
        len: new_len,
        patches,
    };
    Ok((Arc::new(overlay), n))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::source::MemSource;

    #[test]
    fn crc32c_check_value() {
        // The standard check value of CRC-32C.
        assert_eq!(crc32c(b"123456789"), 0xE306_9283);
    }

    fn guid_bytes(text: &str) -> [u8; 16] {
        let h: String = text.chars().filter(|c| *c != '-').collect();
        let b: Vec<u8> = (0..16)
            .map(|i| u8::from_str_radix(&h[2 * i..2 * i + 2], 16).unwrap())
            .collect();
        [
            b[3], b[2], b[1], b[0], b[5], b[4], b[7], b[6], b[8], b[9], b[10], b[11], b[12], b[13],
            b[14], b[15],
        ]
    }

    fn put_crc(b: &mut [u8], start: usize, len: usize) {
        b[start + 4..start + 8].fill(0);
        let c = crc32c(&b[start..start + len]);
        b[start + 4..start + 8].copy_from_slice(&c.to_le_bytes());
    }

    /// A 4 MiB dynamic VHDX with 1 MiB blocks: block 0 fully present at 3 MiB (bytes = 0xAB).
    fn image() -> Vec<u8> {
        let mut f = vec![0u8; 4 * MIB as usize];
        f[0..8].copy_from_slice(b"vhdxfile");
        for (k, hoff) in [(1u64, 64 * KIB as usize), (2, 128 * KIB as usize)] {
            f[hoff..hoff + 4].copy_from_slice(b"head");
            f[hoff + 8..hoff + 16].copy_from_slice(&k.to_le_bytes());
            f[hoff + 32] = k as u8; // DataWriteGuid
            f[hoff + 66..hoff + 68].copy_from_slice(&1u16.to_le_bytes());
            f[hoff + 68..hoff + 72].copy_from_slice(&(MIB as u32).to_le_bytes());
            f[hoff + 72..hoff + 80].copy_from_slice(&MIB.to_le_bytes());
            put_crc(&mut f, hoff, 4096);
        }
        for roff in [192 * KIB as usize, 256 * KIB as usize] {
            f[roff..roff + 4].copy_from_slice(b"regi");
            f[roff + 8..roff + 12].copy_from_slice(&2u32.to_le_bytes());
            let e = roff + 16;
            f[e..e + 16].copy_from_slice(&guid_bytes(BAT_REGION));
            f[e + 16..e + 24].copy_from_slice(&(2 * MIB).to_le_bytes());
            f[e + 24..e + 28].copy_from_slice(&(MIB as u32).to_le_bytes());
            f[e + 28] = 1;
            let e = roff + 48;
            f[e..e + 16].copy_from_slice(&guid_bytes(METADATA_REGION));
            f[e + 16..e + 24].copy_from_slice(&(2 * MIB + 512 * KIB).to_le_bytes()); // not aligned: fixed below
            f[e + 24..e + 28].copy_from_slice(&(MIB as u32).to_le_bytes());
            f[e + 28] = 1;
            put_crc(&mut f, roff, 64 * KIB as usize);
        }
        f
    }

    /// The metadata region must be 1 MiB-aligned, so the test image puts it at 1 MiB and the log
    /// nowhere; build that layout.
    fn good_image() -> Vec<u8> {
        let mut f = image();
        for roff in [192 * KIB as usize, 256 * KIB as usize] {
            let e = roff + 48;
            f[e + 16..e + 24].copy_from_slice(&MIB.to_le_bytes());
            put_crc(&mut f, roff, 64 * KIB as usize);
        }
        for hoff in [64 * KIB as usize, 128 * KIB as usize] {
            f[hoff + 68..hoff + 80].fill(0);
            put_crc(&mut f, hoff, 4096);
        }
        let m = MIB as usize;
        f[m..m + 8].copy_from_slice(b"metadata");
        f[m + 10..m + 12].copy_from_slice(&4u16.to_le_bytes());
        let items: [(&str, u32, Vec<u8>); 4] = [
            (
                FILE_PARAMETERS,
                64 * 1024,
                [(MIB as u32).to_le_bytes(), 0u32.to_le_bytes()].concat(),
            ),
            (
                VIRTUAL_DISK_SIZE,
                64 * 1024 + 8,
                (4 * MIB).to_le_bytes().to_vec(),
            ),
            (
                LOGICAL_SECTOR_SIZE,
                64 * 1024 + 16,
                512u32.to_le_bytes().to_vec(),
            ),
            (
                PHYSICAL_SECTOR_SIZE,
                64 * 1024 + 20,
                4096u32.to_le_bytes().to_vec(),
            ),
        ];
        for (i, (id, off, data)) in items.iter().enumerate() {
            let e = m + 32 + 32 * i;
            f[e..e + 16].copy_from_slice(&guid_bytes(id));
            f[e + 16..e + 20].copy_from_slice(&off.to_le_bytes());
            f[e + 20..e + 24].copy_from_slice(&(data.len() as u32).to_le_bytes());
            f[e + 24] = 4;
            let o = m + *off as usize;
            f[o..o + data.len()].copy_from_slice(data);
        }
        // BAT at 2 MiB: block 0 fully present at 3 MiB.
        let bat = 2 * m;
        f[bat..bat + 8].copy_from_slice(&((3u64 << 20) | 6).to_le_bytes());
        f[bat + 8..bat + 16].copy_from_slice(&2u64.to_le_bytes()); // block 1: ZERO
        f[3 * m..4 * m].fill(0xAB);
        f
    }

    fn open(v: Vec<u8>) -> Result<Vhdx> {
        Vhdx::open(Arc::new(MemSource(v)), Path::new("/nonexistent/t.vhdx"))
    }

    #[test]
    fn reads_blocks() {
        let v = open(good_image()).unwrap();
        assert_eq!(v.len(), 4 * MIB);
        assert_eq!(v.info.header.0, 2);
        let mut b = vec![0u8; 2 * MIB as usize];
        v.read_at(MIB - 1024, &mut b).unwrap();
        assert!(b[..1024].iter().all(|&x| x == 0xAB));
        assert!(b[1024..].iter().all(|&x| x == 0));
        assert!(v.warnings.is_empty(), "{:?}", v.warnings);
    }

    #[test]
    fn unaligned_region_is_error() {
        assert!(open(image()).is_err());
    }

    #[test]
    fn bad_header_crc_uses_other() {
        let mut f = good_image();
        f[128 * KIB as usize + 40] ^= 1;
        let v = open(f).unwrap();
        assert_eq!(v.info.header.0, 1);
        assert!(v.warnings[0].contains("CRC-32C"), "{:?}", v.warnings);
    }

    #[test]
    fn both_region_tables_bad_is_error() {
        let mut f = good_image();
        f[192 * KIB as usize + 100] ^= 1;
        f[256 * KIB as usize + 100] ^= 1;
        assert!(open(f).is_err());
    }

    #[test]
    fn bat_entry_past_end_is_error_on_read() {
        let mut f = good_image();
        let bat = 2 * MIB as usize;
        f[bat..bat + 8].copy_from_slice(&((4000u64 << 20) | 6).to_le_bytes());
        let v = open(f).unwrap();
        let mut b = [0u8; 512];
        let e = v.read_at(0, &mut b).unwrap_err();
        assert!(e.to_string().contains("VHDX BAT entry"), "{e}");
        v.read_at(MIB, &mut b).unwrap();
    }

    #[test]
    fn absurd_block_size_is_error() {
        let mut f = good_image();
        let o = (MIB + 64 * KIB) as usize;
        f[o..o + 4].copy_from_slice(&3u32.to_le_bytes());
        let e = open(f).err().unwrap();
        assert!(e.to_string().contains("block size"), "{e}");
    }

    #[test]
    fn huge_virtual_size_is_bounded_by_bat_region() {
        let mut f = good_image();
        let o = (MIB + 64 * KIB + 8) as usize;
        f[o..o + 8].copy_from_slice(&(1u64 << 45).to_le_bytes());
        let e = open(f).err().unwrap();
        assert!(e.to_string().contains("do not fit"), "{e}");
    }

    #[test]
    fn truncated_file_is_error() {
        let f = good_image();
        assert!(open(f[..200 * KIB as usize].to_vec()).is_err());
        assert!(open(f[..(2 * MIB + 4096) as usize].to_vec()).is_err());
    }

    #[test]
    fn mutations_never_panic() {
        let base = good_image();
        let mut seed = 0x9E37_79B9_7F4A_7C15u64;
        // Random bytes of the headers, region tables, metadata and BAT, with the CRCs fixed so
        // the parsers behind them are reached.
        let areas = [
            (64 * KIB as usize, 4096usize),
            (128 * KIB as usize, 4096),
            (192 * KIB as usize, 128),
            (MIB as usize, 200),
            ((MIB + 64 * KIB) as usize, 32),
            (2 * MIB as usize, 32),
        ];
        for _ in 0..600 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let (start, len) = areas[(seed % areas.len() as u64) as usize];
            let pos = start + ((seed >> 8) as usize % len);
            let mut img = base.clone();
            img[pos] = (seed >> 40) as u8;
            for h in [64 * KIB as usize, 128 * KIB as usize] {
                put_crc(&mut img, h, 4096);
            }
            for r in [192 * KIB as usize, 256 * KIB as usize] {
                put_crc(&mut img, r, 64 * KIB as usize);
            }
            if let Ok(v) = open(img) {
                let mut b = vec![0u8; 8192];
                let n = (v.len().min(8192)) as usize;
                let _ = v.read_at(0, &mut b[..n]);
                let _ = v.read_at(v.len().saturating_sub(n as u64), &mut b[..n]);
            }
        }
    }

    /// Writes a log (at 1 MiB… the metadata is there; use a log at the end) holding one entry
    /// that writes 4 KiB at 3 MiB, and checks that the reader sees it.
    #[test]
    fn log_is_replayed_in_memory() {
        let mut f = good_image();
        f.resize(5 * MIB as usize, 0);
        let log_off = 4 * MIB as usize;
        let guid = [0x5Au8; 16];
        for hoff in [64 * KIB as usize, 128 * KIB as usize] {
            f[hoff + 48..hoff + 64].copy_from_slice(&guid);
            f[hoff + 68..hoff + 72].copy_from_slice(&(MIB as u32).to_le_bytes());
            f[hoff + 72..hoff + 80].copy_from_slice(&(log_off as u64).to_le_bytes());
            put_crc(&mut f, hoff, 4096);
        }
        let seq = 0x1_0000_0007u64;
        let e = log_off;
        f[e..e + 4].copy_from_slice(b"loge");
        f[e + 8..e + 12].copy_from_slice(&8192u32.to_le_bytes());
        f[e + 12..e + 16].copy_from_slice(&0u32.to_le_bytes());
        f[e + 16..e + 24].copy_from_slice(&seq.to_le_bytes());
        f[e + 24..e + 28].copy_from_slice(&1u32.to_le_bytes());
        f[e + 32..e + 48].copy_from_slice(&guid);
        f[e + 48..e + 56].copy_from_slice(&(4 * MIB).to_le_bytes());
        f[e + 56..e + 64].copy_from_slice(&(5 * MIB).to_le_bytes());
        let d = e + 64;
        f[d..d + 4].copy_from_slice(b"desc");
        f[d + 4..d + 8].copy_from_slice(&0x4433_2211u32.to_le_bytes());
        f[d + 8..d + 16].copy_from_slice(&0x0807_0605_0403_0201u64.to_le_bytes());
        f[d + 16..d + 24].copy_from_slice(&(3 * MIB).to_le_bytes());
        f[d + 24..d + 32].copy_from_slice(&seq.to_le_bytes());
        let s = e + 4096;
        f[s..s + 4].copy_from_slice(b"data");
        f[s + 4..s + 8].copy_from_slice(&1u32.to_le_bytes());
        f[s + 8..s + 4092].fill(0xCD);
        f[s + 4092..s + 4096].copy_from_slice(&7u32.to_le_bytes());
        put_crc(&mut f, e, 8192);
        let v = open(f.clone()).unwrap();
        assert_eq!(v.info.log_entries_replayed, 1);
        let mut b = vec![0u8; 4097];
        v.read_at(0, &mut b).unwrap();
        assert_eq!(&b[0..8], &[1, 2, 3, 4, 5, 6, 7, 8]);
        assert!(b[8..4092].iter().all(|&x| x == 0xCD));
        assert_eq!(&b[4092..4096], &[0x11, 0x22, 0x33, 0x44]);
        assert_eq!(b[4096], 0xAB);
        // A damaged entry leaves no valid sequence: an error, never a silent read.
        f[s + 100] ^= 1;
        let err = open(f).err().unwrap();
        assert!(err.to_string().contains("log"), "{err}");
    }
}
