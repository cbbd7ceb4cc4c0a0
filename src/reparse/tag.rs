//! Reparse tags: MS-FSCC 2.1.2.1 "Reparse Tags".
//!
//! A tag is a 32-bit value laid out as (most significant bit first):
//!
//! ```text
//!  3 3 2 2 2 2 2 2 2 2 2 2 1 1 1 1 1 1 1 1 1 1
//!  1 0 9 8 7 6 5 4 3 2 1 0 9 8 7 6 5 4 3 2 1 0 9 8 7 6 5 4 3 2 1 0
//! +-+-+-+-+-----------------------+-------------------------------+
//! |M|R|N|D|     Reserved bits     |       Reparse tag value       |
//! +-+-+-+-+-----------------------+-------------------------------+
//! ```
//!
//! M = Microsoft (bit 31), R = reserved, formerly "high latency" (bit 30; MUST be zero for
//! non-Microsoft tags), N = name surrogate (bit 29), D = directory (bit 28; MUST NOT be set
//! together with N), then 12 reserved bits (16..=27) that SHOULD be zero.

use std::fmt;

/// A reparse tag as stored in the first four bytes of a reparse point (MS-FSCC 2.1.2.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ReparseTag(pub u32);

/// Every tag value listed in MS-FSCC 2.1.2.1, with its name.
const TAGS: &[(u32, &str)] = &[
    (0x0000_0000, "IO_REPARSE_TAG_RESERVED_ZERO"),
    (0x0000_0001, "IO_REPARSE_TAG_RESERVED_ONE"),
    (0x0000_0002, "IO_REPARSE_TAG_RESERVED_TWO"),
    (0xA000_0003, "IO_REPARSE_TAG_MOUNT_POINT"),
    (0xC000_0004, "IO_REPARSE_TAG_HSM"),
    (0x8000_0005, "IO_REPARSE_TAG_DRIVE_EXTENDER"),
    (0x8000_0006, "IO_REPARSE_TAG_HSM2"),
    (0x8000_0007, "IO_REPARSE_TAG_SIS"),
    (0x8000_0008, "IO_REPARSE_TAG_WIM"),
    (0x8000_0009, "IO_REPARSE_TAG_CSV"),
    (0x8000_000A, "IO_REPARSE_TAG_DFS"),
    (0x8000_000B, "IO_REPARSE_TAG_FILTER_MANAGER"),
    (0xA000_000C, "IO_REPARSE_TAG_SYMLINK"),
    (0xA000_0010, "IO_REPARSE_TAG_IIS_CACHE"),
    (0x8000_0012, "IO_REPARSE_TAG_DFSR"),
    (0x8000_0013, "IO_REPARSE_TAG_DEDUP"),
    (0xC000_0014, "IO_REPARSE_TAG_APPXSTRM"),
    (0x8000_0014, "IO_REPARSE_TAG_NFS"),
    (0x8000_0015, "IO_REPARSE_TAG_FILE_PLACEHOLDER"),
    (0x8000_0016, "IO_REPARSE_TAG_DFM"),
    (0x8000_0017, "IO_REPARSE_TAG_WOF"),
    (0x8000_0018, "IO_REPARSE_TAG_WCI"),
    (0x9000_1018, "IO_REPARSE_TAG_WCI_1"),
    (0xA000_0019, "IO_REPARSE_TAG_GLOBAL_REPARSE"),
    (0x9000_001A, "IO_REPARSE_TAG_CLOUD"),
    (0x9000_101A, "IO_REPARSE_TAG_CLOUD_1"),
    (0x9000_201A, "IO_REPARSE_TAG_CLOUD_2"),
    (0x9000_301A, "IO_REPARSE_TAG_CLOUD_3"),
    (0x9000_401A, "IO_REPARSE_TAG_CLOUD_4"),
    (0x9000_501A, "IO_REPARSE_TAG_CLOUD_5"),
    (0x9000_601A, "IO_REPARSE_TAG_CLOUD_6"),
    (0x9000_701A, "IO_REPARSE_TAG_CLOUD_7"),
    (0x9000_801A, "IO_REPARSE_TAG_CLOUD_8"),
    (0x9000_901A, "IO_REPARSE_TAG_CLOUD_9"),
    (0x9000_A01A, "IO_REPARSE_TAG_CLOUD_A"),
    (0x9000_B01A, "IO_REPARSE_TAG_CLOUD_B"),
    (0x9000_C01A, "IO_REPARSE_TAG_CLOUD_C"),
    (0x9000_D01A, "IO_REPARSE_TAG_CLOUD_D"),
    (0x9000_E01A, "IO_REPARSE_TAG_CLOUD_E"),
    (0x9000_F01A, "IO_REPARSE_TAG_CLOUD_F"),
    (0x8000_001B, "IO_REPARSE_TAG_APPEXECLINK"),
    (0x9000_001C, "IO_REPARSE_TAG_PROJFS"),
    (0xA000_001D, "IO_REPARSE_TAG_LX_SYMLINK"),
    (0x8000_001E, "IO_REPARSE_TAG_STORAGE_SYNC"),
    (0x9000_0027, "IO_REPARSE_TAG_STORAGE_SYNC_FOLDER"),
    (0xA000_001F, "IO_REPARSE_TAG_WCI_TOMBSTONE"),
    (0x8000_0020, "IO_REPARSE_TAG_UNHANDLED"),
    (0x8000_0021, "IO_REPARSE_TAG_ONEDRIVE"),
    (0xA000_0022, "IO_REPARSE_TAG_PROJFS_TOMBSTONE"),
    (0x8000_0023, "IO_REPARSE_TAG_AF_UNIX"),
    (0x8000_0024, "IO_REPARSE_TAG_LX_FIFO"),
    (0x8000_0025, "IO_REPARSE_TAG_LX_CHR"),
    (0x8000_0026, "IO_REPARSE_TAG_LX_BLK"),
    (0xA000_0027, "IO_REPARSE_TAG_WCI_LINK"),
    (0xA000_1027, "IO_REPARSE_TAG_WCI_LINK_1"),
    (0xA000_0028, "IO_REPARSE_TAG_DATALESS_CIM"),
];

impl ReparseTag {
    pub const MOUNT_POINT: ReparseTag = ReparseTag(0xA000_0003);
    pub const SYMLINK: ReparseTag = ReparseTag(0xA000_000C);
    pub const DEDUP: ReparseTag = ReparseTag(0x8000_0013);
    pub const NFS: ReparseTag = ReparseTag(0x8000_0014);
    pub const WOF: ReparseTag = ReparseTag(0x8000_0017);
    pub const CLOUD: ReparseTag = ReparseTag(0x9000_001A);
    pub const APPEXECLINK: ReparseTag = ReparseTag(0x8000_001B);
    pub const LX_SYMLINK: ReparseTag = ReparseTag(0xA000_001D);
    pub const AF_UNIX: ReparseTag = ReparseTag(0x8000_0023);
    pub const LX_FIFO: ReparseTag = ReparseTag(0x8000_0024);
    pub const LX_CHR: ReparseTag = ReparseTag(0x8000_0025);
    pub const LX_BLK: ReparseTag = ReparseTag(0x8000_0026);
    /// IO_REPARSE_TAG_CLOUD_MASK (0x0000F000): the bits that tell CLOUD_1..CLOUD_F apart.
    pub const CLOUD_MASK: u32 = 0x0000_F000;
    /// Bit 31 (M).
    pub const MICROSOFT_BIT: u32 = 0x8000_0000;
    /// Bit 30 (R, formerly "high latency").
    pub const RESERVED_BIT: u32 = 0x4000_0000;
    /// Bit 29 (N).
    pub const NAME_SURROGATE_BIT: u32 = 0x2000_0000;
    /// Bit 28 (D).
    pub const DIRECTORY_BIT: u32 = 0x1000_0000;
    /// Bits 16..=27: reserved, SHOULD be zero.
    pub const RESERVED_MASK: u32 = 0x0FFF_0000;

    /// The MS-FSCC 2.1.2.1 name (`IO_REPARSE_TAG_...`), `None` for a tag not in the list.
    pub fn name(self) -> Option<&'static str> {
        TAGS.iter()
            .find(|(value, _)| *value == self.0)
            .map(|(_, name)| *name)
    }

    /// All tags listed in MS-FSCC 2.1.2.1, in the order of the specification.
    pub fn known() -> impl Iterator<Item = (ReparseTag, &'static str)> {
        TAGS.iter().map(|(value, name)| (ReparseTag(*value), *name))
    }

    /// M bit (bit 31): the tag is owned by Microsoft. Non-Microsoft tags use the
    /// REPARSE_GUID_DATA_BUFFER layout (MS-FSCC 2.1.2.3).
    pub fn is_microsoft(self) -> bool {
        self.0 & Self::MICROSOFT_BIT != 0
    }

    /// N bit (bit 29): the file or directory stands for another named entity (a link).
    pub fn is_name_surrogate(self) -> bool {
        self.0 & Self::NAME_SURROGATE_BIT != 0
    }

    /// D bit (bit 28): a directory with this tag can have children.
    pub fn is_directory(self) -> bool {
        self.0 & Self::DIRECTORY_BIT != 0
    }

    /// R bit (bit 30), formerly "high latency"; only Microsoft tags may set it (HSM, APPXSTRM).
    pub fn is_reserved_bit_set(self) -> bool {
        self.0 & Self::RESERVED_BIT != 0
    }

    /// The 12 reserved bits (16..=27), in place.
    pub fn reserved_bits(self) -> u32 {
        self.0 & Self::RESERVED_MASK
    }

    /// The low 16 bits: the tag value proper.
    pub fn value(self) -> u16 {
        (self.0 & 0xFFFF) as u16
    }

    /// True when the tag obeys the MS-FSCC 2.1.2.1 bit rules: reserved bits 16..=27 zero, R
    /// clear on non-Microsoft tags, and not both N and D.
    pub fn reserved_bits_ok(self) -> bool {
        self.reserved_bits() == 0
            && (self.is_microsoft() || !self.is_reserved_bit_set())
            && !(self.is_name_surrogate() && self.is_directory())
    }

    /// The problems [`ReparseTag::reserved_bits_ok`] found, as text (empty when none).
    pub fn bit_problems(self) -> Vec<String> {
        let mut out = Vec::new();
        if self.reserved_bits() != 0 {
            out.push(format!(
                "reserved tag bits 16-27 are set ({:#010x})",
                self.reserved_bits()
            ));
        }
        if !self.is_microsoft() && self.is_reserved_bit_set() {
            out.push("reserved bit 30 is set on a non-Microsoft tag".to_string());
        }
        if self.is_name_surrogate() && self.is_directory() {
            out.push("name surrogate bit and directory bit are both set".to_string());
        }
        out
    }

    /// Any of IO_REPARSE_TAG_CLOUD and CLOUD_1..CLOUD_F (the tag with the cloud mask removed).
    pub fn is_cloud(self) -> bool {
        self.0 & !Self::CLOUD_MASK == Self::CLOUD.0
    }
}

impl fmt::Display for ReparseTag {
    /// `IO_REPARSE_TAG_SYMLINK (0xA000000C)`, or `0x12345678` alone for an unknown tag.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => write!(f, "{name} ({:#010X})", self.0),
            None => write!(f, "{:#010X}", self.0),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn names_and_display() {
        assert_eq!(
            ReparseTag(0xA000_000C).to_string(),
            "IO_REPARSE_TAG_SYMLINK (0xA000000C)"
        );
        assert_eq!(ReparseTag(0x1234_5678).to_string(), "0x12345678");
        assert_eq!(
            ReparseTag(0x9000_701A).name(),
            Some("IO_REPARSE_TAG_CLOUD_7")
        );
        assert_eq!(
            ReparseTag(0x9000_0027).name(),
            Some("IO_REPARSE_TAG_STORAGE_SYNC_FOLDER")
        );
        assert_eq!(
            ReparseTag(0xA000_0028).name(),
            Some("IO_REPARSE_TAG_DATALESS_CIM")
        );
        assert_eq!(ReparseTag(0x8000_0014).name(), Some("IO_REPARSE_TAG_NFS"));
        assert_eq!(
            ReparseTag(0xC000_0014).name(),
            Some("IO_REPARSE_TAG_APPXSTRM")
        );
        assert_eq!(ReparseTag(0x8000_00FF).name(), None);
    }

    #[test]
    fn table_has_no_duplicates_and_obeys_bit_rules() {
        let all: Vec<_> = ReparseTag::known().collect();
        assert_eq!(all.len(), 56);
        for (i, (a, _)) in all.iter().enumerate() {
            for (b, _) in &all[i + 1..] {
                assert_ne!(a, b);
            }
            assert!(a.reserved_bits_ok(), "{a}");
        }
    }

    #[test]
    fn bits() {
        let symlink = ReparseTag::SYMLINK;
        assert!(symlink.is_microsoft() && symlink.is_name_surrogate() && !symlink.is_directory());
        let cloud = ReparseTag(0x9000_301A);
        assert!(cloud.is_directory() && !cloud.is_name_surrogate() && cloud.is_cloud());
        assert!(!ReparseTag(0x9000_001C).is_cloud());
        let bad = ReparseTag(0x4001_0000 | 0x3000_0000);
        assert!(!bad.is_microsoft());
        assert!(!bad.reserved_bits_ok());
        assert_eq!(bad.bit_problems().len(), 3);
        assert_eq!(ReparseTag(0xA000_1027).value(), 0x1027);
    }
}
