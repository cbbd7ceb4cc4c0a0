//! `$STANDARD_INFORMATION` (type 0x10): the times and DOS attributes Windows shows.
//!
//! ```text
//! 0x00 created 0x08 modified 0x10 MFT changed 0x18 accessed 0x20 file attributes (MS-FSCC 2.6)
//! 0x24 max versions 0x28 version 0x2C class id   NTFS 3.0+: 0x30 owner id 0x34 security id
//! 0x38 quota charged 0x40 USN
//! ```

use crate::error::{Error, Result};
use crate::file_name::Times;
use crate::record::{u32_at, u64_at};
use serde::Serialize;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct StandardInformation {
    pub times: Times,
    pub file_attributes: u32,
    pub owner_id: Option<u32>,
    pub security_id: Option<u32>,
    pub usn: Option<u64>,
}

impl StandardInformation {
    /// Parses the value (48 bytes for NTFS 1.2, 72 for 3.0+).
    pub fn parse(v: &[u8], offset: u64) -> Result<StandardInformation> {
        if v.len() < 0x24 {
            return Err(Error::format(
                "$STANDARD_INFORMATION",
                offset,
                format!("value is {} bytes, shorter than 36", v.len()),
            ));
        }
        let long = v.len() >= 0x48;
        Ok(StandardInformation {
            times: Times::parse(&v[..0x20]),
            file_attributes: u32_at(v, 0x20).unwrap_or(0),
            owner_id: if long { u32_at(v, 0x30) } else { None },
            security_id: if long { u32_at(v, 0x34) } else { None },
            usn: if long { u64_at(v, 0x40) } else { None },
        })
    }
}

/// Names of the file attribute bits (MS-FSCC 2.6), for display.
pub fn attribute_names(bits: u32) -> Vec<&'static str> {
    attribute_names_iter(bits).collect()
}

/// The names of the set bits of `bits`, as [`attribute_names`] lists them, without a `Vec`.
pub fn attribute_names_iter(bits: u32) -> impl Iterator<Item = &'static str> {
    const NAMES: [(u32, &str); 17] = [
        (0x1, "READONLY"),
        (0x2, "HIDDEN"),
        (0x4, "SYSTEM"),
        (0x10, "DIRECTORY"),
        (0x20, "ARCHIVE"),
        (0x40, "DEVICE"),
        (0x80, "NORMAL"),
        (0x100, "TEMPORARY"),
        (0x200, "SPARSE_FILE"),
        (0x400, "REPARSE_POINT"),
        (0x800, "COMPRESSED"),
        (0x1000, "OFFLINE"),
        (0x2000, "NOT_CONTENT_INDEXED"),
        (0x4000, "ENCRYPTED"),
        (0x8000, "INTEGRITY_STREAM"),
        (0x10000, "VIRTUAL"),
        (0x1000_0000, "DIRECTORY(MFT)"),
    ];
    NAMES
        .iter()
        .filter(move |(b, _)| bits & b != 0)
        .map(|(_, n)| *n)
}
