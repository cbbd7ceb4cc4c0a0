//! IO_REPARSE_TAG_MOUNT_POINT: junctions and volume mount points (MS-FSCC 2.1.2.5,
//! "Mount Point Reparse Data Buffer").
//!
//! Data layout (after the 8-byte REPARSE_DATA_BUFFER header of MS-FSCC 2.1.2.2):
//!
//! | data offset | size | field |
//! |---|---|---|
//! | 0 | 2 | SubstituteNameOffset (bytes, relative to PathBuffer) |
//! | 2 | 2 | SubstituteNameLength (bytes, without a terminating NUL) |
//! | 4 | 2 | PrintNameOffset |
//! | 6 | 2 | PrintNameLength |
//! | 8 | .. | PathBuffer (UTF-16LE) |
//!
//! `mklink /J` writes the substitute name (`\??\C:\target`) first, then a NUL, then the print
//! name (`C:\target`) and a NUL; the NULs are counted in ReparseDataLength but not in the name
//! lengths. A volume mount point (mountvol, Disk Management) has the substitute name
//! `\??\Volume{GUID}\` and usually an empty print name. We never assume an order: the names are
//! found through their offsets.

use super::{json, read_le, utf16_name, NameRef, ReparseError, Value};
use binrw::BinRead;

/// The four name fields shared by mount points and symbolic links (MS-FSCC 2.1.2.4, 2.1.2.5).
#[derive(BinRead, Debug, Clone, Copy)]
#[br(little)]
pub(crate) struct NameHeader {
    pub substitute_name_offset: u16,
    pub substitute_name_length: u16,
    pub print_name_offset: u16,
    pub print_name_length: u16,
}

pub(crate) const NAME_HEADER_LAYOUT: &[(&str, usize)] = &[
    ("SubstituteNameOffset", 2),
    ("SubstituteNameLength", 2),
    ("PrintNameOffset", 2),
    ("PrintNameLength", 2),
];

/// Decodes both names of `header` from `path_buffer`. `header_at` is the value offset of
/// SubstituteNameOffset, `buffer_at` the value offset of PathBuffer.
pub(crate) fn decode_names(
    header: &NameHeader,
    header_at: usize,
    path_buffer: &[u8],
    buffer_at: usize,
) -> Result<(String, String), ReparseError> {
    let substitute = utf16_name(
        path_buffer,
        buffer_at,
        &NameRef {
            offset: header.substitute_name_offset,
            length: header.substitute_name_length,
            offset_field: "SubstituteNameOffset",
            offset_at: header_at,
            length_field: "SubstituteNameLength",
            length_at: header_at + 2,
        },
    )?;
    let print = utf16_name(
        path_buffer,
        buffer_at,
        &NameRef {
            offset: header.print_name_offset,
            length: header.print_name_length,
            offset_field: "PrintNameOffset",
            offset_at: header_at + 4,
            length_field: "PrintNameLength",
            length_at: header_at + 6,
        },
    )?;
    Ok((substitute, print))
}

/// A decoded mount point reparse buffer.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct MountPoint {
    /// SubstituteNameOffset, bytes from the start of PathBuffer.
    pub substitute_name_offset: u16,
    /// SubstituteNameLength in bytes.
    pub substitute_name_length: u16,
    /// PrintNameOffset, bytes from the start of PathBuffer.
    pub print_name_offset: u16,
    /// PrintNameLength in bytes.
    pub print_name_length: u16,
    /// The NT path the link points to, e.g. `\??\C:\target` or `\??\Volume{GUID}\`.
    pub substitute_name: String,
    /// The name shown to users, e.g. `C:\target` (often empty for volume mount points).
    pub print_name: String,
    /// `{GUID}` (as written) when the substitute name is exactly `\??\Volume{GUID}\`.
    pub volume_guid: Option<String>,
}

impl MountPoint {
    /// True for a volume mount point (`\??\Volume{GUID}\`), false for a junction.
    pub fn is_volume_mount_point(&self) -> bool {
        self.volume_guid.is_some()
    }

    pub(crate) fn json_fields(&self) -> Vec<(&'static str, Value)> {
        let mut out = vec![
            ("substitute_name", json!(self.substitute_name)),
            ("print_name", json!(self.print_name)),
            // Mount points have no flags field: their targets are always absolute (2.1.2.5).
            ("relative", json!(false)),
        ];
        out.extend(self.names().json_offsets());
        if let Some(guid) = &self.volume_guid {
            out.push(("volume_guid", json!(guid)));
        }
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
        let mut out = self.names().describe();
        out.push((
            "Mount Point Type".to_string(),
            if self.is_volume_mount_point() {
                "volume mount point".to_string()
            } else {
                "junction".to_string()
            },
        ));
        if let Some(guid) = &self.volume_guid {
            out.push(("Volume GUID".to_string(), guid.clone()));
        }
        out
    }
}

/// Decodes the data of a MOUNT_POINT reparse point; `base` is the value offset of `data`.
pub fn decode(data: &[u8], base: usize) -> Result<MountPoint, ReparseError> {
    let header: NameHeader = read_le(data, base, NAME_HEADER_LAYOUT)?;
    let path_buffer = data.get(8..).unwrap_or(&[]);
    let (substitute_name, print_name) = decode_names(&header, base, path_buffer, base + 8)?;
    let volume_guid = volume_guid(&substitute_name);
    Ok(MountPoint {
        substitute_name_offset: header.substitute_name_offset,
        substitute_name_length: header.substitute_name_length,
        print_name_offset: header.print_name_offset,
        print_name_length: header.print_name_length,
        substitute_name,
        print_name,
        volume_guid,
    })
}

/// `{GUID}` when `name` is `\??\Volume{GUID}` with an optional trailing backslash and nothing
/// else (a junction into a path on a volume GUID path has more after the backslash).
pub fn volume_guid(name: &str) -> Option<String> {
    let rest = name.strip_prefix(r"\??\")?;
    let prefix = rest.get(..7)?;
    if !prefix.eq_ignore_ascii_case("Volume{") {
        return None;
    }
    let guid = rest.get(6..44)?; // "{" + 36 + "}"
    let tail = rest.get(44..)?;
    if !(tail.is_empty() || tail == "\\") || !is_guid_text(guid) {
        return None;
    }
    Some(guid.to_string())
}

/// `{xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx}`, either case.
fn is_guid_text(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 38
        && b.first() == Some(&b'{')
        && b.last() == Some(&b'}')
        && b.iter().enumerate().skip(1).take(36).all(|(i, c)| match i {
            9 | 14 | 19 | 24 => *c == b'-',
            _ => c.is_ascii_hexdigit(),
        })
}
