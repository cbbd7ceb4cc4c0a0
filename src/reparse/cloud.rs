//! IO_REPARSE_TAG_CLOUD and CLOUD_1..CLOUD_F: cloud files placeholders (OneDrive and every sync
//! engine built on the Cloud Files API, driver `cldflt.sys`).
//!
//! Microsoft does not document this layout (MS-FSCC 2.1.2.1 lists only the tags). Public
//! reverse engineering (Ladislav Zezula's FileTest, `ReparseDataHsm.h`, and write-ups of
//! CVE-2021-31969 / CVE-2024-30085 in `cldflt.sys`) gives the header:
//!
//! ```text
//! HSM_REPARSE_DATA { USHORT Flags;   // low 8 bits: revision (1); 0x8000: the rest is
//!                                    // compressed with RtlCompressBuffer (LZNT1)
//!                    USHORT Length;  // size of HSM_REPARSE_DATA, counting Flags and Length
//!                    HSM_DATA FileData; }
//! HSM_DATA { ULONG Magic;            // 'FeRp' (0x70526546) file data, 'BtRp' (0x70527442) bitmap
//!            ULONG Crc32; ULONG Length; USHORT Flags;  // 0x02: has CRC
//!            USHORT NumberOfElements;
//!            HSM_ELEMENT_INFO ElementInfos[NumberOfElements]; }  // { USHORT Type; USHORT Length; ULONG Offset; }
//! ```
//!
//! We report the header, whether the payload is compressed and the lengths; when it is not
//! compressed we also decode the HSM_DATA header and element table. We do not decompress LZNT1
//! payloads and do not check the CRC; the payload is kept as bytes.

use super::{hex, json, need, u32_at, ReparseError, Value};

/// HSM_REPARSE_DATA Flags bit: the payload after Flags/Length is LZNT1-compressed.
pub const HSM_FLAG_COMPRESSED: u16 = 0x8000;
/// HSM_DATA magic for file data, 'FeRp'.
pub const HSM_FILE_MAGIC: u32 = 0x7052_6546;
/// HSM_DATA magic for bitmap data, 'BtRp'.
pub const HSM_BITMAP_MAGIC: u32 = 0x7052_7442;

/// One HSM_ELEMENT_INFO.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct HsmElement {
    /// Type (0 none, 6 u64, 7 byte, 0x0A u32, 0x11 bitmap, per FileTest).
    pub element_type: u16,
    /// Length of the element data in bytes.
    pub length: u16,
    /// Offset of the element data from the start of HSM_DATA.
    pub offset: u32,
}

/// The HSM_DATA header of an uncompressed payload.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct HsmData {
    pub magic: u32,
    pub crc32: u32,
    pub length: u32,
    pub flags: u16,
    pub number_of_elements: u16,
    /// The element table (only the entries present in the data).
    pub elements: Vec<HsmElement>,
}

/// A decoded cloud files placeholder header.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Cloud {
    /// HSM_REPARSE_DATA.Flags.
    pub flags: u16,
    /// HSM_REPARSE_DATA.Length.
    pub length: u16,
    /// HSM_DATA when the payload is not compressed and long enough.
    pub hsm: Option<HsmData>,
    /// Everything after Flags and Length (compressed or not), as stored.
    pub payload: Vec<u8>,
}

impl Cloud {
    /// Low 8 bits of Flags: the revision (1 on Windows 10 1709 and later).
    pub fn revision(&self) -> u8 {
        (self.flags & 0xFF) as u8
    }

    /// Flags has [`HSM_FLAG_COMPRESSED`].
    pub fn is_compressed(&self) -> bool {
        self.flags & HSM_FLAG_COMPRESSED != 0
    }

    pub(crate) fn json_fields(&self) -> Vec<(&'static str, Value)> {
        vec![
            ("cloud_flags", json!(self.flags)),
            ("cloud_revision", json!(self.revision())),
            ("compressed", json!(self.is_compressed())),
            ("cloud_length", json!(self.length)),
            ("payload_length", json!(self.payload.len())),
            ("hsm", json!(self.hsm)),
            ("payload_hex", json!(hex(&self.payload))),
        ]
    }

    pub(crate) fn describe_fields(&self) -> Vec<(String, String)> {
        let mut out = vec![
            (
                "Cloud Flags".to_string(),
                format!(
                    "{:#06x} (revision {}, {})",
                    self.flags,
                    self.revision(),
                    if self.is_compressed() {
                        "compressed"
                    } else {
                        "not compressed"
                    }
                ),
            ),
            ("Cloud Length".to_string(), format!("{:#06x}", self.length)),
            (
                "Payload Length".to_string(),
                format!("{:#x}", self.payload.len()),
            ),
        ];
        if let Some(h) = &self.hsm {
            let magic = match h.magic {
                HSM_FILE_MAGIC => " (FeRp)",
                HSM_BITMAP_MAGIC => " (BtRp)",
                _ => "",
            };
            out.push(("HSM Magic".to_string(), format!("{:#010x}{magic}", h.magic)));
            out.push(("HSM CRC32".to_string(), format!("{:#010x}", h.crc32)));
            out.push(("HSM Length".to_string(), format!("{:#x}", h.length)));
            out.push(("HSM Flags".to_string(), format!("{:#06x}", h.flags)));
            out.push(("HSM Elements".to_string(), h.number_of_elements.to_string()));
        }
        out
    }
}

/// Decodes the data of a CLOUD* reparse point; `base` is the value offset of `data`.
pub fn decode(data: &[u8], base: usize, warnings: &mut Vec<String>) -> Result<Cloud, ReparseError> {
    need(data, base, &[("HsmFlags", 2), ("HsmLength", 2)])?;
    let word = |d: &[u8], i: usize| {
        d.get(i..i + 2)
            .map(|b| u16::from_le_bytes([b[0], b[1]]))
            .unwrap_or(0)
    };
    let flags = word(data, 0);
    let length = word(data, 2);
    if usize::from(length) != data.len() {
        warnings.push(format!(
            "cloud HSM_REPARSE_DATA Length is {length:#x} but the data is {:#x} bytes",
            data.len()
        ));
    }
    let payload = data.get(4..).unwrap_or(&[]);
    let mut hsm = None;
    if flags & HSM_FLAG_COMPRESSED == 0 {
        let at = base + 4;
        need(
            payload,
            at,
            &[
                ("HsmMagic", 4),
                ("HsmCrc32", 4),
                ("HsmDataLength", 4),
                ("HsmDataFlags", 2),
                ("NumberOfElements", 2),
            ],
        )?;
        let number_of_elements = word(payload, 14);
        let table = payload.get(16..).unwrap_or(&[]);
        let present = table.len() / 8;
        if usize::from(number_of_elements) > present {
            return Err(ReparseError::new(
                "NumberOfElements",
                at + 14,
                format!(
                    "{number_of_elements} element entries of 8 bytes do not fit in the {} bytes left",
                    table.len()
                ),
            ));
        }
        let elements = table
            .chunks_exact(8)
            .take(usize::from(number_of_elements))
            .map(|e| HsmElement {
                element_type: word(e, 0),
                length: word(e, 2),
                offset: u32_at(e, 4).unwrap_or(0),
            })
            .collect();
        hsm = Some(HsmData {
            magic: u32_at(payload, 0).unwrap_or(0),
            crc32: u32_at(payload, 4).unwrap_or(0),
            length: u32_at(payload, 8).unwrap_or(0),
            flags: word(payload, 12),
            number_of_elements,
            elements,
        });
    }
    Ok(Cloud {
        flags,
        length,
        hsm,
        payload: payload.to_vec(),
    })
}
