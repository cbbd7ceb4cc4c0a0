//! IO_REPARSE_TAG_WOF: files backed by the Windows Overlay Filter (`compact /exe:...`, "Compact
//! OS", WIMBoot).
//!
//! Not in MS-FSCC beyond the tag (2.1.2.1). The data is the structures of FSCTL_SET_EXTERNAL_BACKING,
//! documented in the WDK (`ntifs.h`) and SDK (`wofapi.h`):
//!
//! ```text
//! WOF_EXTERNAL_INFO            { ULONG Version; ULONG Provider; }   // Provider 1 = WIM, 2 = FILE
//! FILE_PROVIDER_EXTERNAL_INFO_V0/V1 { ULONG Version; ULONG Algorithm; [ULONG Flags (V1)] }
//! WIM_PROVIDER_EXTERNAL_INFO   { ULONG Version; ULONG Flags; LARGE_INTEGER DataSourceId;
//!                                UCHAR ResourceHash[20]; }
//! ```
//!
//! Compressed files written by Windows 10/11 carry 16 bytes: WOF_EXTERNAL_INFO then the
//! (Version, Algorithm) pair; we read Flags when a 12-byte V1 structure is present.

use super::{hex, json, need, u32_at, ReparseError, Value};

/// WOF_PROVIDER_WIM.
pub const WOF_PROVIDER_WIM: u32 = 1;
/// WOF_PROVIDER_FILE.
pub const WOF_PROVIDER_FILE: u32 = 2;

/// The provider-specific part.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub enum WofProvider {
    /// WIM_PROVIDER_EXTERNAL_INFO: the file's data is a resource of a WIM file.
    Wim {
        version: u32,
        flags: u32,
        data_source_id: i64,
        /// WIM_PROVIDER_HASH_SIZE (20) bytes: the SHA-1 of the resource in the WIM.
        resource_hash: [u8; 20],
    },
    /// FILE_PROVIDER_EXTERNAL_INFO: the file's data is compressed in its `WofCompressedData` stream.
    File {
        version: u32,
        /// FILE_PROVIDER_COMPRESSION_*: 0 XPRESS4K, 1 LZX, 2 XPRESS8K, 3 XPRESS16K.
        algorithm: u32,
        /// Flags of the V1 structure, when present.
        flags: Option<u32>,
    },
    /// Another provider: the bytes after WOF_EXTERNAL_INFO.
    Unknown(Vec<u8>),
}

/// A decoded WOF reparse point.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Wof {
    /// WOF_EXTERNAL_INFO.Version (WOF_CURRENT_VERSION = 1).
    pub version: u32,
    /// WOF_EXTERNAL_INFO.Provider.
    pub provider: u32,
    /// The provider structure.
    pub provider_info: WofProvider,
}

/// The name of a FILE_PROVIDER_COMPRESSION_* value.
pub fn algorithm_name(algorithm: u32) -> Option<&'static str> {
    match algorithm {
        0 => Some("XPRESS4K"),
        1 => Some("LZX"),
        2 => Some("XPRESS8K"),
        3 => Some("XPRESS16K"),
        _ => None,
    }
}

/// The name of a WOF_PROVIDER_* value.
pub fn provider_name(provider: u32) -> Option<&'static str> {
    match provider {
        WOF_PROVIDER_WIM => Some("WIM"),
        WOF_PROVIDER_FILE => Some("FILE"),
        _ => None,
    }
}

impl Wof {
    pub(crate) fn json_fields(&self) -> Vec<(&'static str, Value)> {
        let mut out = vec![
            ("wof_version", json!(self.version)),
            ("provider", json!(self.provider)),
            ("provider_name", json!(provider_name(self.provider))),
        ];
        match &self.provider_info {
            WofProvider::File {
                version,
                algorithm,
                flags,
            } => {
                out.push(("file_info_version", json!(version)));
                out.push(("algorithm", json!(algorithm)));
                out.push(("algorithm_name", json!(algorithm_name(*algorithm))));
                out.push(("file_info_flags", json!(flags)));
            }
            WofProvider::Wim {
                version,
                flags,
                data_source_id,
                resource_hash,
            } => {
                out.push(("wim_info_version", json!(version)));
                out.push(("wim_flags", json!(flags)));
                out.push(("data_source_id", json!(data_source_id)));
                out.push(("resource_hash", json!(hex(resource_hash))));
            }
            WofProvider::Unknown(bytes) => out.push(("provider_data_hex", json!(hex(bytes)))),
        }
        out
    }

    pub(crate) fn describe_fields(&self) -> Vec<(String, String)> {
        let mut out = vec![
            ("WOF Version".to_string(), self.version.to_string()),
            (
                "Provider".to_string(),
                format!(
                    "{} ({})",
                    self.provider,
                    provider_name(self.provider).unwrap_or("unknown")
                ),
            ),
        ];
        match &self.provider_info {
            WofProvider::File {
                version,
                algorithm,
                flags,
            } => {
                out.push(("File Info Version".to_string(), version.to_string()));
                out.push((
                    "Algorithm".to_string(),
                    format!(
                        "{algorithm} ({})",
                        algorithm_name(*algorithm).unwrap_or("unknown")
                    ),
                ));
                if let Some(flags) = flags {
                    out.push(("File Info Flags".to_string(), format!("{flags:#010x}")));
                }
            }
            WofProvider::Wim {
                version,
                flags,
                data_source_id,
                resource_hash,
            } => {
                out.push(("WIM Info Version".to_string(), version.to_string()));
                out.push(("WIM Flags".to_string(), format!("{flags:#010x}")));
                out.push(("Data Source Id".to_string(), data_source_id.to_string()));
                out.push(("Resource Hash".to_string(), hex(resource_hash)));
            }
            WofProvider::Unknown(bytes) => {
                out.push(("Provider Data".to_string(), hex(bytes)));
            }
        }
        out
    }
}

/// Decodes the data of a WOF reparse point; `base` is the value offset of `data`.
pub fn decode(data: &[u8], base: usize) -> Result<Wof, ReparseError> {
    need(data, base, &[("WofVersion", 4), ("WofProvider", 4)])?;
    let version = u32_at(data, 0).unwrap_or(0);
    let provider = u32_at(data, 4).unwrap_or(0);
    let rest = data.get(8..).unwrap_or(&[]);
    let at = base + 8;
    let provider_info = match provider {
        WOF_PROVIDER_FILE => {
            need(rest, at, &[("FileInfoVersion", 4), ("Algorithm", 4)])?;
            WofProvider::File {
                version: u32_at(rest, 0).unwrap_or(0),
                algorithm: u32_at(rest, 4).unwrap_or(0),
                flags: u32_at(rest, 8),
            }
        }
        WOF_PROVIDER_WIM => {
            need(
                rest,
                at,
                &[
                    ("WimInfoVersion", 4),
                    ("WimFlags", 4),
                    ("DataSourceId", 8),
                    ("ResourceHash", 20),
                ],
            )?;
            let mut resource_hash = [0u8; 20];
            if let Some(h) = rest.get(16..36) {
                resource_hash.copy_from_slice(h);
            }
            let mut id = [0u8; 8];
            if let Some(b) = rest.get(8..16) {
                id.copy_from_slice(b);
            }
            WofProvider::Wim {
                version: u32_at(rest, 0).unwrap_or(0),
                flags: u32_at(rest, 4).unwrap_or(0),
                data_source_id: i64::from_le_bytes(id),
                resource_hash,
            }
        }
        _ => WofProvider::Unknown(rest.to_vec()),
    };
    Ok(Wof {
        version,
        provider,
        provider_info,
    })
}
