//! MFT file records (FILE records): the multi-sector header, the update sequence ("fixups") and
//! the record header. Layout: MS-FSCC has none for this; it follows the public NTFS documentation
//! (Linux-NTFS "NTFS Documentation", the `ntfs` crate): all fields little-endian.
//!
//! ```text
//! 0x00 "FILE"          0x04 update sequence offset   0x06 update sequence count
//! 0x08 $LogFile LSN    0x10 sequence number          0x12 hard link count (header)
//! 0x14 first attribute 0x16 flags (1 in use, 2 directory, 4 $Extend, 8 view index)
//! 0x18 bytes in use    0x1C bytes allocated          0x20 base record reference
//! 0x28 next attribute id                             0x2C this record's number (NTFS 3.1)
//! ```

use crate::attribute::{Attribute, Attributes};
use crate::error::{Error, Result};

/// The fixup stride: NTFS protects every 512 bytes of a multi-sector structure, whatever the
/// disk's sector size.
pub const FIXUP_STRIDE: usize = 512;

/// Record header flag: the record is in use.
pub const FLAG_IN_USE: u16 = 0x0001;
/// Record header flag: the record is a directory (has a `$I30` index).
pub const FLAG_DIRECTORY: u16 = 0x0002;

/// A 48-bit record number with the 16-bit sequence number it expects (MS-FSCC 2.1.2 does not
/// cover this; MS-FSCC 2.4.x FILE_ID_128 is the 128-bit form of the same idea).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize)]
pub struct FileReference {
    pub record: u64,
    pub sequence: u16,
}

impl FileReference {
    /// Splits the on-disk 64-bit reference.
    pub fn from_u64(v: u64) -> Self {
        FileReference {
            record: v & 0x0000_FFFF_FFFF_FFFF,
            sequence: (v >> 48) as u16,
        }
    }
}

/// Reads a little-endian `u16` at `at`, or `None` when the slice is too short.
pub(crate) fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(
        b.get(at..at.checked_add(2)?)?.try_into().ok()?,
    ))
}
/// Reads a little-endian `u32` at `at`.
pub(crate) fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(
        b.get(at..at.checked_add(4)?)?.try_into().ok()?,
    ))
}
/// Reads a little-endian `u64` at `at`.
pub(crate) fn u64_at(b: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_le_bytes(
        b.get(at..at.checked_add(8)?)?.try_into().ok()?,
    ))
}

/// Applies the update sequence array of a multi-sector structure (FILE or INDX) in place.
/// `what` and `offset` only serve the error message. Returns the number of sectors fixed.
///
/// The last two bytes of every 512-byte stride must equal the update sequence number; they are
/// replaced by the saved bytes from the array. A mismatch means a torn write.
pub fn apply_fixups(buf: &mut [u8], what: &'static str, offset: u64) -> Result<usize> {
    let usa_offset = u16_at(buf, 4).unwrap_or(0) as usize;
    let usa_count = u16_at(buf, 6).unwrap_or(0) as usize;
    let err = |at: usize, m: String| Error::format(what, offset + at as u64, m);
    if usa_count == 0 {
        return Err(err(6, "update sequence count is 0".into()));
    }
    let sectors = usa_count - 1;
    if sectors * FIXUP_STRIDE != buf.len() {
        return Err(err(
            6,
            format!(
                "update sequence count {usa_count} does not fit a {}-byte structure",
                buf.len()
            ),
        ));
    }
    let usa_end = usa_offset + usa_count * 2;
    if usa_offset < 8 || usa_offset % 2 != 0 || usa_end > FIXUP_STRIDE - 2 {
        return Err(err(
            4,
            format!("update sequence array at {usa_offset:#x} is outside the first sector"),
        ));
    }
    let usn = [buf[usa_offset], buf[usa_offset + 1]];
    for i in 0..sectors {
        let end = (i + 1) * FIXUP_STRIDE - 2;
        if buf[end..end + 2] != usn {
            return Err(err(
                end,
                format!(
                    "torn write: sector {} ends with {:02x}{:02x}, update sequence number is {:02x}{:02x}",
                    i, buf[end], buf[end + 1], usn[0], usn[1]
                ),
            ));
        }
        let saved = usa_offset + 2 + i * 2;
        let (a, b) = (buf[saved], buf[saved + 1]);
        buf[end] = a;
        buf[end + 1] = b;
    }
    Ok(sectors)
}

/// A FILE record after fixups, owning its bytes.
#[derive(Debug, Clone)]
pub struct FileRecord {
    /// The record number (its position in the `$MFT`).
    pub number: u64,
    /// Byte offset of the record inside the volume (first byte), for error messages.
    pub offset: u64,
    pub header: RecordHeader,
    pub bytes: Vec<u8>,
}

/// The fixed fields of a FILE record header.
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct RecordHeader {
    pub lsn: u64,
    pub sequence: u16,
    pub link_count: u16,
    pub first_attribute: u16,
    pub flags: u16,
    pub used_size: u32,
    pub allocated_size: u32,
    pub base: FileReference,
    pub next_attribute_id: u16,
    /// The record number the record says it has (NTFS 3.1+), if the header is long enough.
    pub self_number: Option<u32>,
}

impl RecordHeader {
    pub fn in_use(&self) -> bool {
        self.flags & FLAG_IN_USE != 0
    }
    pub fn is_directory(&self) -> bool {
        self.flags & FLAG_DIRECTORY != 0
    }
    /// True for an extension record (its base reference is not zero).
    pub fn is_extension(&self) -> bool {
        self.base.record != 0 || self.base.sequence != 0
    }
}

/// What a record slot holds when it is not a valid FILE record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EmptyKind {
    /// All zeros: never used.
    Zeroed,
    /// Marked "BAAD" by chkdsk.
    Baad,
}

/// Parses and fixes up one record in place. `Ok(None)` for a slot that never held a record
/// (all zero) — the normal state of the `$MFT`'s tail.
pub fn parse_header(buf: &mut [u8], number: u64, offset: u64) -> Result<Option<RecordHeader>> {
    let rec_err = |at: usize, m: String| Error::record(number, offset + at as u64, m);
    match buf.get(0..4) {
        Some(b"FILE") => {}
        Some(b"BAAD") => return Err(rec_err(0, "marked BAAD (chkdsk found it damaged)".into())),
        Some(s) if s == [0, 0, 0, 0] => return Ok(None),
        Some(s) => return Err(rec_err(0, format!("signature is {:02x?}, not \"FILE\"", s))),
        None => return Err(rec_err(0, "record is empty".into())),
    }
    apply_fixups(buf, "FILE record", offset).map_err(|e| match e {
        Error::Format {
            offset: o, message, ..
        } => Error::record(number, o, message),
        e => e,
    })?;
    let len = buf.len();
    let g16 = |at| u16_at(buf, at).unwrap_or(0);
    let header = RecordHeader {
        lsn: u64_at(buf, 0x08).unwrap_or(0),
        sequence: g16(0x10),
        link_count: g16(0x12),
        first_attribute: g16(0x14),
        flags: g16(0x16),
        used_size: u32_at(buf, 0x18).unwrap_or(0),
        allocated_size: u32_at(buf, 0x1C).unwrap_or(0),
        base: FileReference::from_u64(u64_at(buf, 0x20).unwrap_or(0)),
        next_attribute_id: g16(0x28),
        self_number: if g16(0x04) >= 0x30 {
            u32_at(buf, 0x2C)
        } else {
            None
        },
    };
    if header.first_attribute < 0x18
        || header.first_attribute as usize >= len
        || header.first_attribute % 8 != 0
    {
        return Err(rec_err(
            0x14,
            format!(
                "first attribute offset {:#x} is outside the record",
                header.first_attribute
            ),
        ));
    }
    if header.used_size as usize > len || header.used_size < u32::from(header.first_attribute) {
        return Err(rec_err(
            0x18,
            format!(
                "bytes in use {:#x} do not fit a {len:#x}-byte record",
                header.used_size
            ),
        ));
    }
    Ok(Some(header))
}

impl FileRecord {
    /// Parses a record from raw bytes (fixups applied here). `Ok(None)` for an all-zero slot.
    pub fn parse(mut bytes: Vec<u8>, number: u64, offset: u64) -> Result<Option<FileRecord>> {
        let header = match parse_header(&mut bytes, number, offset)? {
            Some(h) => h,
            None => return Ok(None),
        };
        Ok(Some(FileRecord {
            number,
            offset,
            header,
            bytes,
        }))
    }

    /// The attributes of this record, in on-disk order. Each item is an attribute or the error
    /// that stopped the walk (after an error the walk ends: the next header cannot be found).
    pub fn attributes(&self) -> Attributes<'_> {
        Attributes::new(&self.bytes, &self.header, self.number, self.offset)
    }

    /// The first attribute of `type_code` with the given name (empty for unnamed).
    pub fn find(&self, type_code: u32, name: &str) -> Option<Attribute<'_>> {
        self.attributes()
            .filter_map(|a| a.ok())
            .find(|a| a.type_code == type_code && a.name == name)
    }
}
