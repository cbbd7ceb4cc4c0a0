//! IO_REPARSE_TAG_AF_UNIX, IO_REPARSE_TAG_LX_FIFO, IO_REPARSE_TAG_LX_CHR, IO_REPARSE_TAG_LX_BLK
//! (tags in MS-FSCC 2.1.2.1; no data layout is documented).
//!
//! Windows (AF_UNIX sockets) and WSL (FIFOs, character and block devices) set these tags with
//! zero bytes of data: the tag alone says what the file is. For WSL devices the major/minor
//! numbers live in the `$LXDEV` extended attribute, not in the reparse point. We keep whatever
//! bytes are there; for LX_CHR and LX_BLK, when at least 8 bytes are present, the first 8 are
//! also shown as a raw device field (some non-Windows writers store device numbers there, but no
//! public layout says how, so we do not interpret them).

use super::{hex, json, Value};

/// The data of an AF_UNIX, LX_FIFO, LX_CHR or LX_BLK reparse point.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct LxSpecial {
    /// The data bytes (usually none).
    pub data: Vec<u8>,
}

/// What we say about device numbers.
pub const DEVICE_NOTE: &str =
    "reparse data is usually empty; WSL keeps the device numbers in the $LXDEV extended attribute";

impl LxSpecial {
    /// The first 8 data bytes, when there are at least 8 (raw, uninterpreted).
    pub fn device_raw(&self) -> Option<[u8; 8]> {
        self.data.get(..8).and_then(|b| <[u8; 8]>::try_from(b).ok())
    }

    pub(crate) fn json_fields(&self, device: bool) -> Vec<(&'static str, Value)> {
        let mut out = vec![("data_hex", json!(hex(&self.data)))];
        if device {
            out.push(("device_raw", json!(self.device_raw().map(|d| hex(&d)))));
            out.push(("note", json!(DEVICE_NOTE)));
        }
        out
    }

    pub(crate) fn describe_fields(&self, device: bool) -> Vec<(String, String)> {
        let mut out = Vec::new();
        if device {
            if let Some(raw) = self.device_raw() {
                out.push(("Device (raw)".to_string(), hex(&raw)));
            }
            out.push(("Note".to_string(), DEVICE_NOTE.to_string()));
        }
        out
    }
}

/// Keeps the data of one of these reparse points. Never fails.
pub fn decode(data: &[u8]) -> LxSpecial {
    LxSpecial {
        data: data.to_vec(),
    }
}
