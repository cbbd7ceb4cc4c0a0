//! ntfs-inspect: read NTFS straight from bytes.
//!
//! The library is layered the way the bytes are: a [`source::ReadAt`] for every container
//! ([`vhd`], [`vhdx`], [`mbr`], [`gpt`], [`live`]) chosen by [`container::open`]; the NTFS
//! structures ([`boot_sector`], [`record`], [`attribute`], [`data_runs`], [`attribute_list`],
//! [`file_name`], [`standard_information`], [`index`]); the whole-volume [`scan`] that reads every
//! MFT record and builds every path; the [`reparse`] decoders and the link [`resolve`]r; and
//! [`export`] writers for JSON, CSV and bodyfile. The `ntfs-inspect` binary is a thin CLI over
//! these public types.
//!
//! Everything is read-only: no type in this crate can write to a source.

pub mod attribute;
pub mod attribute_list;
pub mod boot_sector;
pub mod container;
pub mod data_runs;
pub mod error;
pub mod export;
pub mod file_name;
pub mod gpt;
pub mod index;
pub mod live;
pub mod mbr;
pub mod path_table;
pub mod record;
pub mod reparse;
pub mod resolve;
pub mod scan;
pub mod source;
pub mod standard_information;
pub mod tree;
pub mod vhd;
pub mod vhdx;
pub mod volume;

pub use error::{Error, Result};
pub use source::{ReadAt, Source};
