//! IO_REPARSE_TAG_LX_SYMLINK: symbolic links created by WSL (and by Linux tools writing the WSL
//! format, e.g. the Linux ntfs3 driver).
//!
//! MS-FSCC 2.1.2.7 (as cited by Linux `fs/smb/common/smb2pdu.h`,
//! `struct reparse_wsl_symlink_data_buffer`): after the 8-byte header,
//!
//! | data offset | size | field |
//! |---|---|---|
//! | 0 | 4 | Version: 2 = target stored here; 1 = target stored in the file's `$DATA` |
//! | 4 | .. | Target, UTF-8, not NUL-terminated, up to the end of the data |

use super::{hex, json, need, u32_at, ReparseError, Value};

/// A decoded WSL symbolic link.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct LxSymlink {
    /// Version (2; 1 means the target is in the file's `$DATA`).
    pub version: u32,
    /// The link text as Linux sees it (lossy UTF-8: invalid sequences become U+FFFD).
    pub target: String,
    /// The link text bytes as stored.
    pub target_bytes: Vec<u8>,
}

impl LxSymlink {
    /// True when the stored bytes are valid UTF-8.
    pub fn is_valid_utf8(&self) -> bool {
        std::str::from_utf8(&self.target_bytes).is_ok()
    }

    pub(crate) fn json_fields(&self) -> Vec<(&'static str, Value)> {
        let mut out = vec![
            ("version", json!(self.version)),
            ("lx_target", json!(self.target)),
        ];
        if !self.is_valid_utf8() {
            out.push(("lx_target_hex", json!(hex(&self.target_bytes))));
        }
        out
    }

    pub(crate) fn describe_fields(&self) -> Vec<(String, String)> {
        vec![
            ("Version".to_string(), self.version.to_string()),
            ("Link Target".to_string(), self.target.clone()),
        ]
    }
}

/// Decodes the data of an LX_SYMLINK reparse point; `base` is the value offset of `data`.
pub fn decode(
    data: &[u8],
    base: usize,
    warnings: &mut Vec<String>,
) -> Result<LxSymlink, ReparseError> {
    need(data, base, &[("Version", 4)])?;
    let version = u32_at(data, 0).unwrap_or(0);
    match version {
        2 => {}
        1 => warnings.push(
            "LX symlink Version 1: the target is stored in the file's $DATA, not in the reparse point"
                .to_string(),
        ),
        v => warnings.push(format!("LX symlink Version is {v}, expected 2")),
    }
    let target_bytes = data.get(4..).unwrap_or(&[]).to_vec();
    if std::str::from_utf8(&target_bytes).is_err() {
        warnings.push("LX symlink target is not valid UTF-8".to_string());
    }
    Ok(LxSymlink {
        version,
        target: String::from_utf8_lossy(&target_bytes).into_owned(),
        target_bytes,
    })
}
