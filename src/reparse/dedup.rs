//! IO_REPARSE_TAG_DEDUP: files whose data was moved to the Data Deduplication chunk store
//! (`System Volume Information\Dedup`).
//!
//! Microsoft does not document this layout (MS-FSCC 2.1.2.1 lists only the tag). The one public
//! description we found is the NTFS-3G deduplication plugin (Jean-Pierre André, `dedup.c`,
//! `struct DEDUP_REPARSE` / `DEDUP_REPARSE_SHORT`), which names only the first two 16-bit fields
//! of the data with certainty ("format", probably a version, and "length"); the rest is marked
//! unknown there, and the choice between its two variants is not documented. So we decode those
//! two fields and keep every other byte as-is.

use super::{hex, json, need, ReparseError, Value};

/// A DEDUP reparse point: the fixed header we can cite, and the rest of the data.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Dedup {
    /// First 16-bit field ("format", probably major+minor version, per NTFS-3G).
    pub format: u16,
    /// Second 16-bit field ("length", per NTFS-3G).
    pub length: u16,
    /// The data after those four bytes, undecoded.
    pub rest: Vec<u8>,
}

impl Dedup {
    pub(crate) fn json_fields(&self) -> Vec<(&'static str, Value)> {
        vec![
            ("dedup_format", json!(self.format)),
            ("dedup_length", json!(self.length)),
            ("rest_hex", json!(hex(&self.rest))),
        ]
    }

    pub(crate) fn describe_fields(&self) -> Vec<(String, String)> {
        vec![
            ("Dedup Format".to_string(), format!("{:#06x}", self.format)),
            ("Dedup Length".to_string(), format!("{:#06x}", self.length)),
        ]
    }
}

/// Decodes the data of a DEDUP reparse point; `base` is the value offset of `data`.
pub fn decode(data: &[u8], base: usize) -> Result<Dedup, ReparseError> {
    need(data, base, &[("DedupFormat", 2), ("DedupLength", 2)])?;
    let word = |i: usize| {
        data.get(i..i + 2)
            .map(|b| u16::from_le_bytes([b[0], b[1]]))
            .unwrap_or(0)
    };
    Ok(Dedup {
        format: word(0),
        length: word(2),
        rest: data.get(4..).unwrap_or(&[]).to_vec(),
    })
}
