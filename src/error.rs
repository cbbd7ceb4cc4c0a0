//! One error type for the whole library. Every variant that comes from the bytes of the source
//! carries the byte offset it was found at (and the MFT record number where there is one), so an
//! examiner can go and look at the damage with a hex editor.

use std::fmt;

/// Result alias used throughout the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong while reading a source.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The operating system refused a read or an open.
    #[error("I/O error {context}: {source}")]
    Io {
        /// What we were doing, e.g. "reading VHD footer at byte offset 0x1000".
        context: String,
        #[source]
        source: std::io::Error,
    },
    /// A read that would go past the end of the bytes that are there.
    #[error("{what}: {len} bytes at byte offset {offset:#x} go past the end of the source ({source_len:#x} bytes)")]
    ShortRead {
        what: &'static str,
        offset: u64,
        len: u64,
        source_len: u64,
    },
    /// A structure whose bytes are there but do not make sense.
    #[error("{structure} at byte offset {offset:#x}: {message}")]
    Format {
        structure: &'static str,
        offset: u64,
        message: String,
    },
    /// A problem with one MFT record; the scan goes on with the next one.
    #[error("MFT record {record} (byte offset {offset:#x}): {message}")]
    Record {
        record: u64,
        offset: u64,
        message: String,
    },
    /// The source holds no NTFS volume that we can find.
    #[error("no NTFS volume: {0}")]
    NotNtfs(String),
    /// A path or record asked for is not on the volume.
    #[error("not found: {0}")]
    NotFound(String),
    /// The source is valid but uses something we do not read.
    #[error("unsupported: {0}")]
    Unsupported(String),
    /// The caller asked for something that cannot be done (e.g. a partition that does not exist).
    #[error("{0}")]
    Usage(String),
}

impl Error {
    /// A [`Error::Format`] error.
    pub fn format(structure: &'static str, offset: u64, message: impl fmt::Display) -> Self {
        Error::Format {
            structure,
            offset,
            message: message.to_string(),
        }
    }

    /// A [`Error::Record`] error.
    pub fn record(record: u64, offset: u64, message: impl fmt::Display) -> Self {
        Error::Record {
            record,
            offset,
            message: message.to_string(),
        }
    }

    /// An [`Error::Io`] error with context.
    pub fn io(context: impl fmt::Display, source: std::io::Error) -> Self {
        Error::Io {
            context: context.to_string(),
            source,
        }
    }

    /// The process exit code the CLI uses for this error (documented in README and docs/cli.md).
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Usage(_) | Error::NotFound(_) => 2,
            Error::Io { .. } => 3,
            Error::NotNtfs(_) | Error::Unsupported(_) => 4,
            Error::ShortRead { .. } | Error::Format { .. } | Error::Record { .. } => 5,
        }
    }
}
