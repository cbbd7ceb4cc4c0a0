//! Attribute headers inside a FILE record (resident and non-resident forms).
//!
//! ```text
//! 0x00 type code   0x04 length   0x08 non-resident flag   0x09 name length (UTF-16 units)
//! 0x0A name offset 0x0C flags (0x0001 compressed, 0x4000 encrypted, 0x8000 sparse)
//! 0x0E attribute id (instance)
//! resident:     0x10 value length (u32)  0x14 value offset (u16)  0x16 indexed flag
//! non-resident: 0x10 first VCN  0x18 last VCN  0x20 data runs offset  0x22 compression unit
//!               0x28 allocated size  0x30 data size  0x38 initialized size  (0x40 compressed size)
//! ```

use crate::error::{Error, Result};
use crate::record::{u16_at, u32_at, u64_at, RecordHeader};

pub const STANDARD_INFORMATION: u32 = 0x10;
pub const ATTRIBUTE_LIST: u32 = 0x20;
pub const FILE_NAME: u32 = 0x30;
pub const OBJECT_ID: u32 = 0x40;
pub const SECURITY_DESCRIPTOR: u32 = 0x50;
pub const VOLUME_NAME: u32 = 0x60;
pub const VOLUME_INFORMATION: u32 = 0x70;
pub const DATA: u32 = 0x80;
pub const INDEX_ROOT: u32 = 0x90;
pub const INDEX_ALLOCATION: u32 = 0xA0;
pub const BITMAP: u32 = 0xB0;
pub const REPARSE_POINT: u32 = 0xC0;
pub const EA_INFORMATION: u32 = 0xD0;
pub const EA: u32 = 0xE0;
pub const LOGGED_UTILITY_STREAM: u32 = 0x100;
/// Marks the end of the attributes in a record.
pub const END: u32 = 0xFFFF_FFFF;

/// The name NTFS gives an attribute type code.
pub fn type_name(code: u32) -> &'static str {
    match code {
        STANDARD_INFORMATION => "$STANDARD_INFORMATION",
        ATTRIBUTE_LIST => "$ATTRIBUTE_LIST",
        FILE_NAME => "$FILE_NAME",
        OBJECT_ID => "$OBJECT_ID",
        SECURITY_DESCRIPTOR => "$SECURITY_DESCRIPTOR",
        VOLUME_NAME => "$VOLUME_NAME",
        VOLUME_INFORMATION => "$VOLUME_INFORMATION",
        DATA => "$DATA",
        INDEX_ROOT => "$INDEX_ROOT",
        INDEX_ALLOCATION => "$INDEX_ALLOCATION",
        BITMAP => "$BITMAP",
        REPARSE_POINT => "$REPARSE_POINT",
        EA_INFORMATION => "$EA_INFORMATION",
        EA => "$EA",
        LOGGED_UTILITY_STREAM => "$LOGGED_UTILITY_STREAM",
        _ => "(unknown type)",
    }
}

/// Attribute flag: compressed.
pub const FLAG_COMPRESSED: u16 = 0x0001;
/// Attribute flag: encrypted.
pub const FLAG_ENCRYPTED: u16 = 0x4000;
/// Attribute flag: sparse.
pub const FLAG_SPARSE: u16 = 0x8000;

/// Where an attribute's value lives.
#[derive(Debug, Clone)]
pub enum Form<'a> {
    Resident {
        value: &'a [u8],
        /// Byte offset of the value inside the record.
        value_offset: u16,
    },
    NonResident {
        first_vcn: u64,
        last_vcn: u64,
        /// The encoded data runs (decode with [`crate::data_runs::decode`]).
        runs: &'a [u8],
        runs_offset: u16,
        compression_unit: u16,
        allocated_size: u64,
        data_size: u64,
        initialized_size: u64,
    },
}

/// One attribute in a record, borrowing the record's bytes.
#[derive(Debug, Clone)]
pub struct Attribute<'a> {
    pub type_code: u32,
    /// Byte offset of the attribute header inside its record.
    pub offset: usize,
    pub length: u32,
    pub name: String,
    pub flags: u16,
    pub instance: u16,
    pub form: Form<'a>,
}

impl Attribute<'_> {
    /// True when the value is stored in the record.
    pub fn is_resident(&self) -> bool {
        matches!(self.form, Form::Resident { .. })
    }
    /// The resident value, if resident.
    pub fn resident_value(&self) -> Option<&[u8]> {
        match &self.form {
            Form::Resident { value, .. } => Some(value),
            Form::NonResident { .. } => None,
        }
    }
    /// The logical size of the value (data size for non-resident attributes).
    pub fn value_size(&self) -> u64 {
        match &self.form {
            Form::Resident { value, .. } => value.len() as u64,
            Form::NonResident { data_size, .. } => *data_size,
        }
    }
}

/// Iterator over a record's attributes.
pub struct Attributes<'a> {
    bytes: &'a [u8],
    pos: usize,
    end: usize,
    record: u64,
    record_offset: u64,
    done: bool,
}

impl<'a> Attributes<'a> {
    pub(crate) fn new(
        bytes: &'a [u8],
        header: &RecordHeader,
        record: u64,
        record_offset: u64,
    ) -> Self {
        Attributes {
            bytes,
            pos: header.first_attribute as usize,
            end: (header.used_size as usize).min(bytes.len()),
            record,
            record_offset,
            done: false,
        }
    }
}

/// Decodes UTF-16LE bytes into a `String`, replacing unpaired surrogates (NTFS names are not
/// validated UTF-16; see docs/export.md for how they print).
pub fn utf16_name(bytes: &[u8]) -> String {
    // Exact for ASCII names, the common case: no slack kept per name on big volumes.
    let mut s = String::with_capacity(bytes.len() / 2);
    push_utf16(&mut s, bytes);
    s
}

/// Appends UTF-16LE `bytes` to `s` as [`utf16_name`] decodes them.
pub(crate) fn push_utf16(s: &mut String, bytes: &[u8]) {
    // ASCII names (most of them) are narrowed into a stack buffer and appended at once:
    // decoding char by char, or pushing byte by byte, was a tenth of a whole-volume export.
    // Four units at a time: a word is ASCII when no unit has a bit above 0x7F, and its low
    // bytes are the text. A `$FILE_NAME` holds at most 255 units; longer values take the
    // general path.
    let mut narrow = [0u8; 256];
    if bytes.len() / 2 <= narrow.len() {
        let mut n = 0;
        let mut ascii = true;
        let words = bytes.chunks_exact(8);
        let tail = words.remainder();
        for w in words {
            // (Always eight bytes; were it not, all-ones would take the general path.)
            let w = u64::from_le_bytes(w.try_into().unwrap_or([0xFF; 8]));
            if w & 0xFF80_FF80_FF80_FF80 != 0 {
                ascii = false;
                break;
            }
            let low =
                (w & 0xFF) | (w >> 8 & 0xFF00) | (w >> 16 & 0xFF_0000) | (w >> 24 & 0xFF00_0000);
            narrow[n..n + 4].copy_from_slice(&(low as u32).to_le_bytes());
            n += 4;
        }
        if ascii {
            for c in tail.chunks_exact(2) {
                if c[1] != 0 || c[0] & 0x80 != 0 {
                    ascii = false;
                    break;
                }
                narrow[n] = c[0];
                n += 1;
            }
        }
        if ascii {
            if let Ok(t) = std::str::from_utf8(&narrow[..n]) {
                s.push_str(t);
                return;
            }
        }
    }
    let units = bytes
        .chunks_exact(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]));
    s.extend(char::decode_utf16(units).map(|r| r.unwrap_or(char::REPLACEMENT_CHARACTER)));
}

impl<'a> Iterator for Attributes<'a> {
    type Item = Result<Attribute<'a>>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        // `parse_one` returns the item itself, so that the attribute is built where the caller
        // receives it instead of being moved through a second wrapping.
        let r = self.parse_one();
        if !matches!(r, Some(Ok(_))) {
            self.done = true;
        }
        r
    }
}

impl<'a> Attributes<'a> {
    /// The next attribute; `None` at the end marker; an error ends the walk.
    fn parse_one(&mut self) -> Option<Result<Attribute<'a>>> {
        let b = self.bytes;
        let at = self.pos;
        let err = |rel: usize, m: String| {
            Error::record(self.record, self.record_offset + (at + rel) as u64, m)
        };
        let type_code = match u32_at(b, at) {
            Some(t) if at + 4 <= self.end => t,
            _ => {
                return Some(Err(err(
                    0,
                    "attributes run past the bytes in use without an end marker".into(),
                )))
            }
        };
        if type_code == END {
            return None;
        }
        let length = u32_at(b, at + 4).unwrap_or(0);
        if length < 0x18 || length % 8 != 0 || at + length as usize > self.end {
            return Some(Err(err(
                4,
                format!("{} attribute length {length:#x} is outside the record (bytes in use end at {:#x})", type_name(type_code), self.end),
            )));
        }
        let attr = &b[at..at + length as usize];
        let non_resident = attr[8] != 0;
        let name_len = attr[9] as usize * 2;
        let name_off = u16_at(attr, 0x0A).unwrap_or(0) as usize;
        let name = if name_len == 0 {
            String::new()
        } else {
            match attr.get(name_off..name_off + name_len) {
                Some(n) => utf16_name(n),
                None => {
                    return Some(Err(err(
                        0x0A,
                        format!(
                        "attribute name at {name_off:#x} (+{name_len}) is outside the attribute"
                    ),
                    )))
                }
            }
        };
        let flags = u16_at(attr, 0x0C).unwrap_or(0);
        let instance = u16_at(attr, 0x0E).unwrap_or(0);
        let form = if !non_resident {
            let value_len = u32_at(attr, 0x10).unwrap_or(0) as usize;
            let value_off = u16_at(attr, 0x14).unwrap_or(0);
            match attr.get(value_off as usize..(value_off as usize).saturating_add(value_len)) {
                Some(value) => Form::Resident { value, value_offset: (at + value_off as usize) as u16 },
                None => {
                    return Some(Err(err(
                        0x10,
                        format!("resident {} value ({value_len} bytes at {value_off:#x}) is outside the attribute's {length} bytes", type_name(type_code)),
                    )))
                }
            }
        } else {
            if length < 0x40 {
                return Some(Err(err(
                    4,
                    format!("non-resident attribute length {length:#x} is shorter than its header"),
                )));
            }
            let runs_off = u16_at(attr, 0x20).unwrap_or(0);
            let runs = match attr.get(runs_off as usize..) {
                Some(r) if runs_off >= 0x40 => r,
                _ => {
                    return Some(Err(err(
                        0x20,
                        format!("data runs offset {runs_off:#x} is outside the attribute"),
                    )))
                }
            };
            Form::NonResident {
                first_vcn: u64_at(attr, 0x10).unwrap_or(0),
                last_vcn: u64_at(attr, 0x18).unwrap_or(0),
                runs,
                runs_offset: (at + runs_off as usize) as u16,
                compression_unit: u16_at(attr, 0x22).unwrap_or(0),
                allocated_size: u64_at(attr, 0x28).unwrap_or(0),
                data_size: u64_at(attr, 0x30).unwrap_or(0),
                initialized_size: u64_at(attr, 0x38).unwrap_or(0),
            }
        };
        self.pos = at + length as usize;
        Some(Ok(Attribute {
            type_code,
            offset: at,
            length,
            name,
            flags,
            instance,
            form,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What `push_utf16` must equal: UTF-16LE decoded, unpaired surrogates replaced.
    fn reference(bytes: &[u8]) -> String {
        let units = bytes
            .chunks_exact(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]));
        char::decode_utf16(units)
            .map(|r| r.unwrap_or(char::REPLACEMENT_CHARACTER))
            .collect()
    }

    #[test]
    fn utf16_names_decode_as_the_reference_does() {
        let enc = |s: &str| -> Vec<u8> { s.encode_utf16().flat_map(u16::to_le_bytes).collect() };
        let long_ascii = "a".repeat(255);
        let longer = "b".repeat(300); // past the stack buffer: the general path
        let mut cases: Vec<Vec<u8>> =
            ["", "x", "LongFileName.txt", "café", "日本語.txt", "a\u{7f}"]
                .iter()
                .map(|s| enc(s))
                .collect();
        cases.push(enc(&long_ascii));
        cases.push(enc(&longer));
        cases.push(vec![0x41, 0x00, 0x00, 0xD8, 0x42, 0x00]); // unpaired high surrogate
        cases.push(vec![0x41, 0x00, 0x42]); // odd length: the last byte is no unit
        cases.push(vec![0x80, 0x00]); // U+0080: one unit, not ASCII
        cases.push(vec![0x41, 0x01]); // U+0141: high byte set

        // A non-ASCII unit at every position of a word and of the tail.
        for len in 1..=9 {
            for at in 0..len {
                for wide in ["é", "\u{141}", "\u{7f}"] {
                    let s: String = (0..len).map(|i| if i == at { wide } else { "a" }).collect();
                    cases.push(enc(&s));
                }
            }
        }
        for c in cases {
            let mut s = String::from("pre:");
            push_utf16(&mut s, &c);
            assert_eq!(s, format!("pre:{}", reference(&c)), "{c:02x?}");
            assert_eq!(utf16_name(&c), reference(&c));
        }
    }
}
