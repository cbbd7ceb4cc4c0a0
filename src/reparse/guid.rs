//! REPARSE_GUID_DATA_BUFFER (MS-FSCC 2.1.2.3): the layout of every non-Microsoft tag (bit 31
//! clear).
//!
//! | value offset | size | field |
//! |---|---|---|
//! | 0 | 4 | ReparseTag |
//! | 4 | 2 | ReparseDataLength: the size of DataBuffer only (24 + ReparseDataLength = buffer size) |
//! | 6 | 2 | Reserved |
//! | 8 | 16 | ReparseGuid |
//! | 24 | .. | DataBuffer (owner-defined) |

use super::{hex, json, need, ReparseError, Value};
use std::fmt;

/// A GUID as stored on disk: Data1 (u32 LE), Data2 (u16 LE), Data3 (u16 LE), Data4 (8 bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Guid(pub [u8; 16]);

impl fmt::Display for Guid {
    /// `{XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX}` in the usual mixed-endian reading.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let b = &self.0;
        write!(
            f,
            "{{{:08X}-{:04X}-{:04X}-{:02X}{:02X}-{:02X}{:02X}{:02X}{:02X}{:02X}{:02X}}}",
            u32::from_le_bytes([b[0], b[1], b[2], b[3]]),
            u16::from_le_bytes([b[4], b[5]]),
            u16::from_le_bytes([b[6], b[7]]),
            b[8],
            b[9],
            b[10],
            b[11],
            b[12],
            b[13],
            b[14],
            b[15]
        )
    }
}

impl serde::Serialize for Guid {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// The data of a non-Microsoft reparse point.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct GuidData {
    /// ReparseGuid.
    pub guid: Guid,
    /// DataBuffer (ReparseDataLength bytes).
    pub data: Vec<u8>,
}

impl GuidData {
    pub(crate) fn json_fields(&self) -> Vec<(&'static str, Value)> {
        vec![
            ("guid", json!(self.guid.to_string())),
            ("data_hex", json!(hex(&self.data))),
        ]
    }

    pub(crate) fn describe_fields(&self) -> Vec<(String, String)> {
        vec![("Reparse GUID".to_string(), self.guid.to_string())]
    }
}

/// Reads the 16-byte ReparseGuid at value offset `at` (8).
pub fn read_guid(value: &[u8], at: usize) -> Result<Guid, ReparseError> {
    let rest = value.get(at..).unwrap_or(&[]);
    need(rest, at, &[("ReparseGuid", 16)])?;
    let mut bytes = [0u8; 16];
    if let Some(b) = rest.get(..16) {
        bytes.copy_from_slice(b);
    }
    Ok(Guid(bytes))
}
