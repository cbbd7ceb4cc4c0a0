//! IO_REPARSE_TAG_NFS: special files created by the Windows NFS client and server
//! (MS-FSCC 2.1.2.6, "Network File System (NFS) Reparse Data Buffer").
//!
//! | data offset | size | field |
//! |---|---|---|
//! | 0 | 8 | InodeType: NFS_SPECFILE_LNK / _CHR / _BLK / _FIFO / _SOCK |
//! | 8 | .. | DataBuffer: LNK = UTF-16LE target (no NUL); CHR, BLK = major (u32), minor (u32); FIFO, SOCK = empty |

use super::{hex, json, need, u32_at, utf16le_lossy, ReparseError, Value};

/// NFS_SPECFILE_LNK ("LNK\x01").
pub const NFS_SPECFILE_LNK: u64 = 0x0000_0000_014B_4E4C;
/// NFS_SPECFILE_CHR ("CHR").
pub const NFS_SPECFILE_CHR: u64 = 0x0000_0000_0052_4843;
/// NFS_SPECFILE_BLK ("BLK").
pub const NFS_SPECFILE_BLK: u64 = 0x0000_0000_004B_4C42;
/// NFS_SPECFILE_FIFO ("FIFO").
pub const NFS_SPECFILE_FIFO: u64 = 0x0000_0000_4F46_4946;
/// NFS_SPECFILE_SOCK ("SOCK").
pub const NFS_SPECFILE_SOCK: u64 = 0x0000_0000_4B43_4F53;

/// A decoded NFS reparse point.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Nfs {
    /// InodeType.
    pub inode_type: u64,
    /// The link text of an NFS_SPECFILE_LNK.
    pub link: Option<String>,
    /// Major device number of an NFS_SPECFILE_CHR / _BLK.
    pub major: Option<u32>,
    /// Minor device number of an NFS_SPECFILE_CHR / _BLK.
    pub minor: Option<u32>,
    /// DataBuffer as stored.
    pub data: Vec<u8>,
}

impl Nfs {
    /// `symlink`, `chr`, `blk`, `fifo`, `sock` or `unknown`.
    pub fn file_type(&self) -> &'static str {
        match self.inode_type {
            NFS_SPECFILE_LNK => "symlink",
            NFS_SPECFILE_CHR => "chr",
            NFS_SPECFILE_BLK => "blk",
            NFS_SPECFILE_FIFO => "fifo",
            NFS_SPECFILE_SOCK => "sock",
            _ => "unknown",
        }
    }

    pub(crate) fn json_fields(&self) -> Vec<(&'static str, Value)> {
        vec![
            ("nfs_type", json!(self.file_type())),
            ("inode_type", json!(format!("{:#018x}", self.inode_type))),
            ("nfs_link", json!(self.link)),
            ("major", json!(self.major)),
            ("minor", json!(self.minor)),
            ("data_hex", json!(hex(&self.data))),
        ]
    }

    pub(crate) fn describe_fields(&self) -> Vec<(String, String)> {
        let mut out = vec![(
            "NFS Inode Type".to_string(),
            format!("{:#018x} ({})", self.inode_type, self.file_type()),
        )];
        if let Some(link) = &self.link {
            out.push(("NFS Link".to_string(), link.clone()));
        }
        if let (Some(major), Some(minor)) = (self.major, self.minor) {
            out.push(("Device".to_string(), format!("{major}, {minor}")));
        }
        out
    }
}

/// Decodes the data of an NFS reparse point; `base` is the value offset of `data`.
pub fn decode(data: &[u8], base: usize) -> Result<Nfs, ReparseError> {
    need(data, base, &[("InodeType", 8)])?;
    let mut raw = [0u8; 8];
    if let Some(b) = data.get(..8) {
        raw.copy_from_slice(b);
    }
    let inode_type = u64::from_le_bytes(raw);
    let buffer = data.get(8..).unwrap_or(&[]);
    let mut nfs = Nfs {
        inode_type,
        link: None,
        major: None,
        minor: None,
        data: buffer.to_vec(),
    };
    match inode_type {
        NFS_SPECFILE_LNK => {
            if buffer.len() % 2 != 0 {
                return Err(ReparseError::new(
                    "DataBuffer",
                    base + 8,
                    format!("{} bytes is odd for a UTF-16 link", buffer.len()),
                ));
            }
            nfs.link = Some(utf16le_lossy(buffer));
        }
        NFS_SPECFILE_CHR | NFS_SPECFILE_BLK => {
            need(buffer, base + 8, &[("Major", 4), ("Minor", 4)])?;
            nfs.major = u32_at(buffer, 0);
            nfs.minor = u32_at(buffer, 4);
        }
        _ => {}
    }
    Ok(nfs)
}
