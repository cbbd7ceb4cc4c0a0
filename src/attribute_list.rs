//! `$ATTRIBUTE_LIST` (type 0x20): when a file's attributes do not fit in one record, this lists
//! every attribute and the record (base or extension) that holds it.
//!
//! ```text
//! 0x00 type code  0x04 entry length  0x06 name length  0x07 name offset
//! 0x08 first VCN  0x10 file reference of the holding record  0x18 attribute id  0x1A name
//! ```

use crate::attribute::utf16_name;
use crate::error::Error;
use crate::record::{u16_at, u32_at, u64_at, FileReference};
use serde::Serialize;

/// One entry of an attribute list.
#[derive(Debug, Clone, Serialize)]
pub struct AttributeListEntry {
    pub type_code: u32,
    pub name: String,
    pub first_vcn: u64,
    pub record: FileReference,
    pub instance: u16,
}

/// Parses a whole attribute list value. `offset` is where the value starts (volume byte offset
/// or in-record offset), for errors. Entries parsed before an error are returned with it.
pub fn parse(value: &[u8], offset: u64) -> (Vec<AttributeListEntry>, Option<Error>) {
    let mut out = Vec::new();
    let mut pos = 0usize;
    while pos < value.len() {
        let err = |m: String| Error::format("$ATTRIBUTE_LIST entry", offset + pos as u64, m);
        let (Some(type_code), Some(len)) = (u32_at(value, pos), u16_at(value, pos + 4)) else {
            return (out, Some(err("entry header is cut off".into())));
        };
        if type_code == 0 && len == 0 {
            break; // zero padding at the end
        }
        let len = len as usize;
        if len < 0x1A || pos + len > value.len() {
            return (
                out,
                Some(err(format!(
                    "entry length {len:#x} is outside the list of {} bytes",
                    value.len()
                ))),
            );
        }
        let e = &value[pos..pos + len];
        let name_len = e[6] as usize * 2;
        let name_off = e[7] as usize;
        let name = if name_len == 0 {
            String::new()
        } else {
            match e.get(name_off..name_off + name_len) {
                Some(n) => utf16_name(n),
                None => {
                    return (
                        out,
                        Some(err(format!("name at {name_off:#x} is outside the entry"))),
                    )
                }
            }
        };
        out.push(AttributeListEntry {
            type_code,
            name,
            first_vcn: u64_at(e, 8).unwrap_or(0),
            record: FileReference::from_u64(u64_at(e, 0x10).unwrap_or(0)),
            instance: u16_at(e, 0x18).unwrap_or(0),
        });
        pos += len;
    }
    (out, None)
}
