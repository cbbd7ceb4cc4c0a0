//! Reparse point decoders: pure functions over the bytes of a `$REPARSE_POINT` attribute value.
//!
//! The value is a REPARSE_DATA_BUFFER (MS-FSCC 2.1.2.2) for Microsoft tags and a
//! REPARSE_GUID_DATA_BUFFER (MS-FSCC 2.1.2.3) for all other tags. [`decode`] reads the header,
//! validates the lengths and hands the tag-specific data to one module per layout:
//!
//! | module | tags | source |
//! |---|---|---|
//! | [`tag`] | every tag | MS-FSCC 2.1.2.1 |
//! | [`mount_point`] | MOUNT_POINT (junctions, volume mount points) | MS-FSCC 2.1.2.5 |
//! | [`symlink`] | SYMLINK | MS-FSCC 2.1.2.4 |
//! | [`app_exec_link`] | APPEXECLINK | public reverse engineering, see docs/reparse.md |
//! | [`lx_symlink`] | LX_SYMLINK | public reverse engineering, see docs/reparse.md |
//! | [`lx_special`] | AF_UNIX, LX_FIFO, LX_CHR, LX_BLK | MS-FSCC 2.1.2.1 (tags only) |
//! | [`nfs`] | NFS (Windows NFS special files) | MS-FSCC 2.1.2.6 |
//! | [`wof`] | WOF | WOF_EXTERNAL_INFO & co. (ntifs.h / wofapi.h) |
//! | [`dedup`] | DEDUP | header only (ntfs-3g dedup plugin) |
//! | [`cloud`] | CLOUD, CLOUD_1..CLOUD_F | HSM header (FileTest ReparseDataHsm.h) |
//! | [`guid`] | any non-Microsoft tag | MS-FSCC 2.1.2.3 |
//!
//! [`decode`] never fails and never panics: problems are reported in
//! [`ReparsePoint::content`] as a [`ReparseError`] naming the field and its byte offset inside
//! the value, and the raw bytes are always kept.

pub mod app_exec_link;
pub mod cloud;
pub mod dedup;
pub mod guid;
pub mod lx_special;
pub mod lx_symlink;
pub mod mount_point;
pub mod nfs;
pub mod symlink;
pub mod tag;
pub mod wof;

pub use app_exec_link::AppExecLink;
pub use cloud::{Cloud, HsmData, HsmElement};
pub use dedup::Dedup;
pub use guid::{Guid, GuidData};
pub use lx_special::LxSpecial;
pub use lx_symlink::LxSymlink;
pub use mount_point::MountPoint;
pub use nfs::Nfs;
pub use symlink::Symlink;
pub use tag::ReparseTag;
pub use wof::{Wof, WofProvider};

use binrw::meta::ReadEndian;
use binrw::BinRead;
use serde::ser::SerializeMap;
use serde_json::{json, Value};
use std::fmt;
use std::fmt::Write as _;

/// Size of the REPARSE_DATA_BUFFER header: ReparseTag, ReparseDataLength, Reserved (MS-FSCC 2.1.2.2).
pub const HEADER_SIZE: usize = 8;
/// Size of the REPARSE_GUID_DATA_BUFFER header: the above plus the 16-byte ReparseGuid
/// (MS-FSCC 2.1.2.3).
pub const GUID_HEADER_SIZE: usize = 24;

/// A problem with one field of a reparse buffer.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, thiserror::Error)]
#[error("{field} at byte offset {offset:#x}: {message}")]
pub struct ReparseError {
    /// The MS-FSCC name of the field, e.g. `SubstituteNameOffset`.
    pub field: &'static str,
    /// Byte offset of the field (or of the missing bytes) inside the attribute value.
    pub offset: usize,
    /// What is wrong.
    pub message: String,
}

impl ReparseError {
    /// A new error.
    pub fn new(field: &'static str, offset: usize, message: impl fmt::Display) -> Self {
        ReparseError {
            field,
            offset,
            message: message.to_string(),
        }
    }
}

/// The decoded, tag-specific part of a reparse point.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReparseContent {
    /// IO_REPARSE_TAG_MOUNT_POINT: a junction or a volume mount point (MS-FSCC 2.1.2.5).
    MountPoint(MountPoint),
    /// IO_REPARSE_TAG_SYMLINK (MS-FSCC 2.1.2.4).
    Symlink(Symlink),
    /// IO_REPARSE_TAG_APPEXECLINK: an app execution alias.
    AppExecLink(AppExecLink),
    /// IO_REPARSE_TAG_LX_SYMLINK: a WSL symbolic link.
    LxSymlink(LxSymlink),
    /// IO_REPARSE_TAG_AF_UNIX: a WSL / Win32 Unix domain socket.
    AfUnix(LxSpecial),
    /// IO_REPARSE_TAG_LX_FIFO: a WSL named pipe.
    LxFifo(LxSpecial),
    /// IO_REPARSE_TAG_LX_CHR: a WSL character device.
    LxChr(LxSpecial),
    /// IO_REPARSE_TAG_LX_BLK: a WSL block device.
    LxBlk(LxSpecial),
    /// IO_REPARSE_TAG_NFS: an NFS symlink, device, FIFO or socket (MS-FSCC 2.1.2.6).
    Nfs(Nfs),
    /// IO_REPARSE_TAG_WOF: a file backed by the Windows Overlay Filter (compact OS, WIMBoot).
    Wof(Wof),
    /// IO_REPARSE_TAG_DEDUP: a file whose data lives in the deduplication chunk store.
    Dedup(Dedup),
    /// IO_REPARSE_TAG_CLOUD*: a cloud files placeholder (OneDrive and other sync engines).
    Cloud(Cloud),
    /// A non-Microsoft tag: REPARSE_GUID_DATA_BUFFER (MS-FSCC 2.1.2.3).
    Guid(GuidData),
    /// A Microsoft tag (known or not) whose data we do not decode: the data bytes.
    Other(Vec<u8>),
}

impl ReparseContent {
    /// The kind string used in JSON (see [`ReparsePoint::kind`]).
    pub fn kind(&self) -> &'static str {
        match self {
            ReparseContent::MountPoint(m) if m.is_volume_mount_point() => "volume_mount_point",
            ReparseContent::MountPoint(_) => "mount_point",
            ReparseContent::Symlink(_) => "symlink",
            ReparseContent::AppExecLink(_) => "app_exec_link",
            ReparseContent::LxSymlink(_) => "lx_symlink",
            ReparseContent::AfUnix(_) => "af_unix",
            ReparseContent::LxFifo(_) => "lx_fifo",
            ReparseContent::LxChr(_) => "lx_chr",
            ReparseContent::LxBlk(_) => "lx_blk",
            ReparseContent::Nfs(_) => "nfs",
            ReparseContent::Wof(_) => "wof",
            ReparseContent::Dedup(_) => "dedup",
            ReparseContent::Cloud(_) => "cloud",
            ReparseContent::Guid(_) => "guid",
            ReparseContent::Other(_) => "other",
        }
    }

    /// The kind-specific JSON fields, in order.
    fn json_fields(&self) -> Vec<(&'static str, Value)> {
        match self {
            ReparseContent::MountPoint(m) => m.json_fields(),
            ReparseContent::Symlink(s) => s.json_fields(),
            ReparseContent::AppExecLink(a) => a.json_fields(),
            ReparseContent::LxSymlink(l) => l.json_fields(),
            ReparseContent::AfUnix(x) | ReparseContent::LxFifo(x) => x.json_fields(false),
            ReparseContent::LxChr(x) | ReparseContent::LxBlk(x) => x.json_fields(true),
            ReparseContent::Nfs(n) => n.json_fields(),
            ReparseContent::Wof(w) => w.json_fields(),
            ReparseContent::Dedup(d) => d.json_fields(),
            ReparseContent::Cloud(c) => c.json_fields(),
            ReparseContent::Guid(g) => g.json_fields(),
            ReparseContent::Other(data) => vec![("data_hex", json!(hex(data)))],
        }
    }

    /// The kind-specific lines of [`ReparsePoint::describe`]: (label, value).
    fn describe_fields(&self) -> Vec<(String, String)> {
        match self {
            ReparseContent::MountPoint(m) => m.describe_fields(),
            ReparseContent::Symlink(s) => s.describe_fields(),
            ReparseContent::AppExecLink(a) => a.describe_fields(),
            ReparseContent::LxSymlink(l) => l.describe_fields(),
            ReparseContent::AfUnix(x) | ReparseContent::LxFifo(x) => x.describe_fields(false),
            ReparseContent::LxChr(x) | ReparseContent::LxBlk(x) => x.describe_fields(true),
            ReparseContent::Nfs(n) => n.describe_fields(),
            ReparseContent::Wof(w) => w.describe_fields(),
            ReparseContent::Dedup(d) => d.describe_fields(),
            ReparseContent::Cloud(c) => c.describe_fields(),
            ReparseContent::Guid(g) => g.describe_fields(),
            ReparseContent::Other(_) => Vec::new(),
        }
    }
}

/// One decoded `$REPARSE_POINT` attribute value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReparsePoint {
    /// ReparseTag (value offset 0; zero when the value is shorter than 4 bytes).
    pub tag: ReparseTag,
    /// ReparseDataLength from the header (value offset 4).
    pub data_length: u16,
    /// Reserved (value offset 6).
    pub reserved: u16,
    /// ReparseGuid of a REPARSE_GUID_DATA_BUFFER (non-Microsoft tags, MS-FSCC 2.1.2.3).
    pub guid: Option<Guid>,
    /// The decoded data, or the first problem found.
    pub content: Result<ReparseContent, ReparseError>,
    /// Things that are odd but did not stop decoding (slack after the data, bad tag bits, ...).
    pub warnings: Vec<String>,
    /// The whole attribute value.
    pub raw: Vec<u8>,
}

/// Decodes one `$REPARSE_POINT` attribute value. Never fails, never panics.
pub fn decode(value: &[u8]) -> ReparsePoint {
    let mut point = ReparsePoint {
        tag: ReparseTag(0),
        data_length: 0,
        reserved: 0,
        guid: None,
        content: Ok(ReparseContent::Other(Vec::new())),
        warnings: Vec::new(),
        raw: value.to_vec(),
    };
    point.content = decode_into(value, &mut point);
    point
}

#[derive(BinRead)]
#[br(little)]
struct RawHeader {
    tag: u32,
    data_length: u16,
    reserved: u16,
}

const HEADER_LAYOUT: &[(&str, usize)] =
    &[("ReparseTag", 4), ("ReparseDataLength", 2), ("Reserved", 2)];

fn decode_into(value: &[u8], point: &mut ReparsePoint) -> Result<ReparseContent, ReparseError> {
    // A short value still shows its tag when the four bytes are there.
    if let Some(bytes) = value.get(..4).and_then(|b| <[u8; 4]>::try_from(b).ok()) {
        point.tag = ReparseTag(u32::from_le_bytes(bytes));
    }
    // MS-FSCC 2.1.2.2: ReparseTag (4), ReparseDataLength (2), Reserved (2).
    let header: RawHeader = read_le(value, 0, HEADER_LAYOUT)?;
    point.tag = ReparseTag(header.tag);
    point.data_length = header.data_length;
    point.reserved = header.reserved;
    let tag = point.tag;
    for problem in tag.bit_problems() {
        point
            .warnings
            .push(format!("tag {:#010x}: {problem}", tag.0));
    }
    if header.reserved != 0 {
        point.warnings.push(format!(
            "Reserved at byte offset 0x6 is {:#06x}, not zero",
            header.reserved
        ));
    }

    // Non-Microsoft tags: REPARSE_GUID_DATA_BUFFER (MS-FSCC 2.1.2.3); ReparseDataLength
    // counts the DataBuffer only, after the 16-byte GUID.
    let data_start = if tag.is_microsoft() {
        HEADER_SIZE
    } else {
        let guid = guid::read_guid(value, HEADER_SIZE)?;
        point.guid = Some(guid);
        GUID_HEADER_SIZE
    };
    let available = value.len().saturating_sub(data_start);
    let wanted = usize::from(header.data_length);
    if wanted > available {
        return Err(ReparseError::new(
            "ReparseDataLength",
            4,
            format!(
                "says {wanted:#x} bytes of data but only {available:#x} follow the {data_start}-byte header"
            ),
        ));
    }
    if wanted < available {
        point.warnings.push(format!(
            "{} bytes of slack after the {wanted:#x} bytes that ReparseDataLength covers (byte offset {:#x})",
            available - wanted,
            data_start + wanted
        ));
    }
    let data = value.get(data_start..data_start + wanted).unwrap_or(&[]);

    if let Some(guid) = point.guid {
        return Ok(ReparseContent::Guid(GuidData {
            guid,
            data: data.to_vec(),
        }));
    }
    let base = data_start;
    Ok(match tag {
        ReparseTag::MOUNT_POINT => ReparseContent::MountPoint(mount_point::decode(data, base)?),
        ReparseTag::SYMLINK => ReparseContent::Symlink(symlink::decode(data, base)?),
        ReparseTag::APPEXECLINK => {
            ReparseContent::AppExecLink(app_exec_link::decode(data, base, &mut point.warnings)?)
        }
        ReparseTag::LX_SYMLINK => {
            ReparseContent::LxSymlink(lx_symlink::decode(data, base, &mut point.warnings)?)
        }
        ReparseTag::AF_UNIX => ReparseContent::AfUnix(lx_special::decode(data)),
        ReparseTag::LX_FIFO => ReparseContent::LxFifo(lx_special::decode(data)),
        ReparseTag::LX_CHR => ReparseContent::LxChr(lx_special::decode(data)),
        ReparseTag::LX_BLK => ReparseContent::LxBlk(lx_special::decode(data)),
        ReparseTag::NFS => ReparseContent::Nfs(nfs::decode(data, base)?),
        ReparseTag::WOF => ReparseContent::Wof(wof::decode(data, base)?),
        ReparseTag::DEDUP => ReparseContent::Dedup(dedup::decode(data, base)?),
        t if t.is_cloud() => ReparseContent::Cloud(cloud::decode(data, base, &mut point.warnings)?),
        _ => ReparseContent::Other(data.to_vec()),
    })
}

/// The kind a tag decodes to, used when the content could not be decoded.
fn kind_for_tag(tag: ReparseTag) -> &'static str {
    if !tag.is_microsoft() {
        return "guid";
    }
    match tag {
        ReparseTag::MOUNT_POINT => "mount_point",
        ReparseTag::SYMLINK => "symlink",
        ReparseTag::APPEXECLINK => "app_exec_link",
        ReparseTag::LX_SYMLINK => "lx_symlink",
        ReparseTag::AF_UNIX => "af_unix",
        ReparseTag::LX_FIFO => "lx_fifo",
        ReparseTag::LX_CHR => "lx_chr",
        ReparseTag::LX_BLK => "lx_blk",
        ReparseTag::NFS => "nfs",
        ReparseTag::WOF => "wof",
        ReparseTag::DEDUP => "dedup",
        t if t.is_cloud() => "cloud",
        _ => "other",
    }
}

impl ReparsePoint {
    /// One of `mount_point`, `volume_mount_point`, `symlink`, `app_exec_link`, `lx_symlink`,
    /// `af_unix`, `lx_fifo`, `lx_chr`, `lx_blk`, `nfs`, `wof`, `dedup`, `cloud`, `guid`, `other`.
    /// When the content could not be decoded, the kind its tag would have decoded to
    /// (`mount_point` for a broken MOUNT_POINT buffer).
    pub fn kind(&self) -> &'static str {
        match &self.content {
            Ok(content) => content.kind(),
            Err(_) => kind_for_tag(self.tag),
        }
    }

    /// The data bytes after the header (after the GUID for non-Microsoft tags), as far as
    /// ReparseDataLength says and the value holds.
    pub fn data(&self) -> &[u8] {
        let start = if self.guid.is_some() {
            GUID_HEADER_SIZE
        } else {
            HEADER_SIZE
        };
        let end = start
            .saturating_add(usize::from(self.data_length))
            .min(self.raw.len());
        self.raw.get(start..end).unwrap_or(&[])
    }

    /// Human-readable text laid out like `fsutil reparsepoint query`, with our decoded fields
    /// added after the data length and the data hex dump at the end.
    pub fn describe(&self) -> String {
        let mut out = String::new();
        let tag = self.tag;
        let _ = writeln!(out, "Reparse Tag Value : {:#010x}", tag.0);
        if tag.is_microsoft() {
            let _ = writeln!(out, "Tag value: Microsoft");
        }
        if tag.is_name_surrogate() {
            let _ = writeln!(out, "Tag value: Name Surrogate");
        }
        if tag.is_directory() {
            let _ = writeln!(out, "Tag value: Directory");
        }
        let label = match tag {
            ReparseTag::SYMLINK => Some("Symbolic Link"),
            ReparseTag::MOUNT_POINT => Some("Mount Point"),
            _ => tag.name().and_then(|n| n.strip_prefix("IO_REPARSE_TAG_")),
        };
        if let Some(label) = label {
            let _ = writeln!(out, "Tag value: {label}");
        }
        if let Some(guid) = &self.guid {
            let _ = writeln!(out, "GUID : {guid}");
        }
        out.push('\n');
        let mut fields = vec![(
            "Reparse Data Length".to_string(),
            format!("{:#010x}", self.data_length),
        )];
        match &self.content {
            Ok(content) => fields.extend(content.describe_fields()),
            Err(e) => fields.push(("Error".to_string(), e.to_string())),
        }
        for warning in &self.warnings {
            fields.push(("Warning".to_string(), warning.clone()));
        }
        for (label, value) in fields {
            // Values start in column 21 as in fsutil; longer labels get one space.
            let label = format!("{label}:");
            let pad = 21usize.saturating_sub(label.len()).max(1);
            let _ = writeln!(out, "{label}{:pad$}{value}", "");
        }
        let data = self.data();
        if !data.is_empty() {
            let _ = writeln!(out, "Reparse Data:");
            out.push_str(&hex_dump(data));
        }
        out
    }
}

impl fmt::Display for ReparsePoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.describe())
    }
}

impl serde::Serialize for ReparsePoint {
    /// A flat object: `tag`, `tag_hex`, `tag_name`, `microsoft`, `name_surrogate`,
    /// `directory`, `tag_bits_ok`, `data_length`, `reserved`, `kind`, then the fields of the
    /// kind, then `warnings`, `error` (null or `{field, offset, message}`) and `data` (the
    /// whole value in lowercase hex). No key is named `target`: callers add that.
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("tag", &self.tag.0)?;
        map.serialize_entry("tag_hex", &format!("{:#010X}", self.tag.0))?;
        map.serialize_entry("tag_name", &self.tag.name())?;
        map.serialize_entry("microsoft", &self.tag.is_microsoft())?;
        map.serialize_entry("name_surrogate", &self.tag.is_name_surrogate())?;
        map.serialize_entry("directory", &self.tag.is_directory())?;
        map.serialize_entry("tag_bits_ok", &self.tag.reserved_bits_ok())?;
        map.serialize_entry("data_length", &self.data_length)?;
        map.serialize_entry("reserved", &self.reserved)?;
        map.serialize_entry("kind", self.kind())?;
        match &self.content {
            Ok(content) => {
                for (key, value) in content.json_fields() {
                    map.serialize_entry(key, &value)?;
                }
            }
            Err(_) => {
                if let Some(guid) = &self.guid {
                    map.serialize_entry("guid", &guid.to_string())?;
                }
            }
        }
        map.serialize_entry("warnings", &self.warnings)?;
        map.serialize_entry("error", &self.content.as_ref().err())?;
        map.serialize_entry("data", &hex(&self.raw))?;
        map.end()
    }
}

// ---------------------------------------------------------------------------------------------
// Helpers shared by the layout modules.

/// Checks that the fields of `layout` (name, size) are all inside `data`, which starts at byte
/// offset `base` of the value; the error names the first field that is cut off.
pub(crate) fn need(
    data: &[u8],
    base: usize,
    layout: &[(&'static str, usize)],
) -> Result<(), ReparseError> {
    let mut pos = 0usize;
    for (field, size) in layout {
        if pos + size > data.len() {
            return Err(ReparseError::new(
                field,
                base + pos,
                format!(
                    "needs {size} bytes but the data ends {} bytes in",
                    data.len().saturating_sub(pos)
                ),
            ));
        }
        pos += size;
    }
    Ok(())
}

/// Reads a fixed-layout little-endian binrw structure at the start of `data` after checking with
/// [`need`] that every field of `layout` is there.
pub(crate) fn read_le<T>(
    data: &[u8],
    base: usize,
    layout: &[(&'static str, usize)],
) -> Result<T, ReparseError>
where
    T: for<'a> BinRead<Args<'a> = ()> + ReadEndian,
{
    need(data, base, layout)?;
    let field = layout.first().map(|(f, _)| *f).unwrap_or("header");
    T::read(&mut binrw::io::Cursor::new(data))
        .map_err(|e| ReparseError::new(field, base, format!("cannot read: {e}")))
}

/// A UTF-16LE name inside a path buffer, located by an (offset, length) pair of fields.
pub(crate) struct NameRef {
    pub offset: u16,
    pub length: u16,
    pub offset_field: &'static str,
    pub offset_at: usize,
    pub length_field: &'static str,
    pub length_at: usize,
}

/// Decodes the name `name` from `buffer` (a PathBuffer starting at value offset `buffer_at`).
/// Offsets and lengths are in bytes, relative to the start of the path buffer, and must be even.
pub(crate) fn utf16_name(
    buffer: &[u8],
    buffer_at: usize,
    name: &NameRef,
) -> Result<String, ReparseError> {
    let offset = usize::from(name.offset);
    let length = usize::from(name.length);
    if offset % 2 != 0 {
        return Err(ReparseError::new(
            name.offset_field,
            name.offset_at,
            format!("{offset:#x} is odd: UTF-16 names start on an even byte"),
        ));
    }
    if length % 2 != 0 {
        return Err(ReparseError::new(
            name.length_field,
            name.length_at,
            format!("{length:#x} is odd: UTF-16 names are a whole number of 2-byte units"),
        ));
    }
    if offset > buffer.len() {
        return Err(ReparseError::new(
            name.offset_field,
            name.offset_at,
            format!(
                "{offset:#x} is past the end of the {:#x}-byte path buffer (value offset {buffer_at:#x})",
                buffer.len()
            ),
        ));
    }
    let bytes = buffer.get(offset..offset + length).ok_or_else(|| {
        ReparseError::new(
            name.length_field,
            name.length_at,
            format!(
                "{length:#x} bytes at path buffer offset {offset:#x} run past the end of the {:#x}-byte path buffer (value offset {buffer_at:#x})",
                buffer.len()
            ),
        )
    })?;
    Ok(utf16le_lossy(bytes))
}

/// UTF-16LE bytes (even count) to a String, unpaired surrogates replaced by U+FFFD.
pub(crate) fn utf16le_lossy(bytes: &[u8]) -> String {
    let units: Vec<u16> = bytes
        .chunks_exact(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .collect();
    String::from_utf16_lossy(&units)
}

/// Lowercase hex, no separators.
pub fn hex(bytes: &[u8]) -> String {
    // By table, not `write!`: every reparse point's raw bytes are exported this way, and the
    // formatting machinery cost as much as the rest of the record's JSON.
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0xf)]));
    }
    out
}

/// fsutil-style hex dump: `0000:  xx xx xx xx xx xx xx xx  xx xx xx xx xx xx xx xx  ascii`.
pub fn hex_dump(bytes: &[u8]) -> String {
    let mut out = String::new();
    for (line, chunk) in bytes.chunks(16).enumerate() {
        let _ = write!(out, "{:04x}: ", line * 16);
        for i in 0..16 {
            if i == 8 {
                out.push(' ');
            }
            match chunk.get(i) {
                Some(b) => {
                    let _ = write!(out, " {b:02x}");
                }
                None => out.push_str("   "),
            }
        }
        out.push_str("  ");
        for b in chunk {
            out.push(if b.is_ascii_graphic() || *b == b' ' {
                char::from(*b)
            } else {
                '.'
            });
        }
        out.push('\n');
    }
    out
}

/// Little-endian u32 at `pos` of `data`, if the four bytes are there.
pub(crate) fn u32_at(data: &[u8], pos: usize) -> Option<u32> {
    data.get(pos..pos.checked_add(4)?)
        .and_then(|b| <[u8; 4]>::try_from(b).ok())
        .map(u32::from_le_bytes)
}

#[cfg(test)]
mod tests;

/// The name fields that symbolic links (2.1.2.4) and mount points (2.1.2.5) share: both point
/// into a PathBuffer with a substitute and a print name, by offset and length.
pub(crate) struct PathBufferNames<'a> {
    pub substitute_name_offset: u16,
    pub substitute_name_length: u16,
    pub print_name_offset: u16,
    pub print_name_length: u16,
    pub substitute_name: &'a str,
    pub print_name: &'a str,
}

impl PathBufferNames<'_> {
    /// The four offsets and lengths as JSON fields.
    pub(crate) fn json_offsets(&self) -> Vec<(&'static str, Value)> {
        vec![
            ("substitute_name_offset", json!(self.substitute_name_offset)),
            ("substitute_name_length", json!(self.substitute_name_length)),
            ("print_name_offset", json!(self.print_name_offset)),
            ("print_name_length", json!(self.print_name_length)),
        ]
    }

    /// Offsets, lengths and both names as `fsutil`-style lines.
    pub(crate) fn describe(&self) -> Vec<(String, String)> {
        vec![
            (
                "Substitute Name offset".to_string(),
                self.substitute_name_offset.to_string(),
            ),
            (
                "Substitute Name length".to_string(),
                self.substitute_name_length.to_string(),
            ),
            (
                "Print Name offset".to_string(),
                self.print_name_offset.to_string(),
            ),
            (
                "Print Name Length".to_string(),
                self.print_name_length.to_string(),
            ),
            (
                "Substitute Name".to_string(),
                self.substitute_name.to_string(),
            ),
            ("Print Name".to_string(), self.print_name.to_string()),
        ]
    }
}
