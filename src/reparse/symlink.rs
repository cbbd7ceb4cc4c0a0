//! IO_REPARSE_TAG_SYMLINK: symbolic links (MS-FSCC 2.1.2.4, "Symbolic Link Reparse Data
//! Buffer").
//!
//! Data layout (after the 8-byte REPARSE_DATA_BUFFER header of MS-FSCC 2.1.2.2):
//!
//! | data offset | size | field |
//! |---|---|---|
//! | 0 | 2 | SubstituteNameOffset (bytes, relative to PathBuffer) |
//! | 2 | 2 | SubstituteNameLength |
//! | 4 | 2 | PrintNameOffset |
//! | 6 | 2 | PrintNameLength |
//! | 8 | 4 | Flags: SYMLINK_FLAG_RELATIVE (0x00000001) |
//! | 12 | .. | PathBuffer (UTF-16LE) |
//!
//! `mklink` (CreateSymbolicLink) stores the PRINT name first and the substitute name right
//! after it, without NUL terminators (e.g. `mklink /D dot .` gives PrintNameOffset 0,
//! SubstituteNameOffset 2, ReparseDataLength 0x10). Other writers put the substitute name first;
//! we always go by the offsets.

use super::mount_point::{decode_names, NameHeader, NAME_HEADER_LAYOUT};
use super::{json, need, read_le, u32_at, ReparseError, Value};

/// SYMLINK_FLAG_RELATIVE: the substitute name is relative to the directory holding the link.
pub const SYMLINK_FLAG_RELATIVE: u32 = 0x0000_0001;

/// A decoded symbolic link reparse buffer.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Symlink {
    /// SubstituteNameOffset, bytes from the start of PathBuffer.
    pub substitute_name_offset: u16,
    /// SubstituteNameLength in bytes.
    pub substitute_name_length: u16,
    /// PrintNameOffset, bytes from the start of PathBuffer.
    pub print_name_offset: u16,
    /// PrintNameLength in bytes.
    pub print_name_length: u16,
    /// Flags (value offset 0x10).
    pub flags: u32,
    /// The path the link points to (`\??\C:\target` when absolute, `..\target.txt` when relative).
    pub substitute_name: String,
    /// The name shown to users.
    pub print_name: String,
}

impl Symlink {
    /// SYMLINK_FLAG_RELATIVE is set.
    pub fn is_relative(&self) -> bool {
        self.flags & SYMLINK_FLAG_RELATIVE != 0
    }

    pub(crate) fn json_fields(&self) -> Vec<(&'static str, Value)> {
        let mut out = vec![
            ("substitute_name", json!(self.substitute_name)),
            ("print_name", json!(self.print_name)),
            ("relative", json!(self.is_relative())),
            ("flags", json!(self.flags)),
        ];
        out.extend(self.names().json_offsets());
        out
    }

    fn names(&self) -> super::PathBufferNames<'_> {
        super::PathBufferNames {
            substitute_name_offset: self.substitute_name_offset,
            substitute_name_length: self.substitute_name_length,
            print_name_offset: self.print_name_offset,
            print_name_length: self.print_name_length,
            substitute_name: &self.substitute_name,
            print_name: &self.print_name,
        }
    }

    pub(crate) fn describe_fields(&self) -> Vec<(String, String)> {
        let mut flags = format!("{:#010x}", self.flags);
        if self.is_relative() {
            flags.push_str(" (relative)");
        } else {
            flags.push_str(" (absolute)");
        }
        let mut out = self.names().describe();
        out.extend([("Flags".to_string(), flags)]);
        out
    }
}

/// Decodes the data of a SYMLINK reparse point; `base` is the value offset of `data`.
pub fn decode(data: &[u8], base: usize) -> Result<Symlink, ReparseError> {
    let mut layout = NAME_HEADER_LAYOUT.to_vec();
    layout.push(("Flags", 4));
    need(data, base, &layout)?;
    let header: NameHeader = read_le(data, base, NAME_HEADER_LAYOUT)?;
    let flags =
        u32_at(data, 8).ok_or_else(|| ReparseError::new("Flags", base + 8, "needs 4 bytes"))?;
    let path_buffer = data.get(12..).unwrap_or(&[]);
    let (substitute_name, print_name) = decode_names(&header, base, path_buffer, base + 12)?;
    Ok(Symlink {
        substitute_name_offset: header.substitute_name_offset,
        substitute_name_length: header.substitute_name_length,
        print_name_offset: header.print_name_offset,
        print_name_length: header.print_name_length,
        flags,
        substitute_name,
        print_name,
    })
}
