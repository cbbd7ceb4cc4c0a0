//! `$FILE_NAME` (type 0x30): one name of a file in one directory. A file has one per hard link,
//! plus a separate DOS 8.3 name when Windows made one (which is not a hard link).
//!
//! ```text
//! 0x00 parent directory reference  0x08 created  0x10 modified  0x18 MFT changed  0x20 accessed
//! 0x28 allocated size  0x30 real size  0x38 file attributes  0x3C reparse tag (or EA size)
//! 0x40 name length (UTF-16 units)  0x41 namespace  0x42 name
//! ```

use crate::attribute::push_utf16;
use crate::error::{Error, Result};
use crate::record::{u32_at, u64_at, FileReference};
use serde::Serialize;

/// The namespace of a `$FILE_NAME`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Namespace {
    /// Case-sensitive, any character but NUL and `/`; what modern Windows writes for user files.
    Posix,
    /// A long Windows name that has a separate DOS name.
    Win32,
    /// An 8.3 short name; never a hard link of its own.
    Dos,
    /// A name valid in both Win32 and DOS, so there is no separate DOS name.
    Win32AndDos,
}

impl Namespace {
    pub fn from_u8(v: u8) -> Option<Namespace> {
        Some(match v {
            0 => Namespace::Posix,
            1 => Namespace::Win32,
            2 => Namespace::Dos,
            3 => Namespace::Win32AndDos,
            _ => return None,
        })
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Namespace::Posix => "posix",
            Namespace::Win32 => "win32",
            Namespace::Dos => "dos",
            Namespace::Win32AndDos => "win32_and_dos",
        }
    }
    /// True for names that count as hard links (every namespace but DOS).
    pub fn is_link(self) -> bool {
        self != Namespace::Dos
    }
}

/// Four FILETIMEs (100 ns ticks since 1601-01-01 UTC), as stored.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Times {
    pub created: u64,
    pub modified: u64,
    pub mft_modified: u64,
    pub accessed: u64,
}

impl Times {
    pub(crate) fn parse(b: &[u8]) -> Times {
        Times {
            created: u64_at(b, 0).unwrap_or(0),
            modified: u64_at(b, 8).unwrap_or(0),
            mft_modified: u64_at(b, 16).unwrap_or(0),
            accessed: u64_at(b, 24).unwrap_or(0),
        }
    }
}

/// A decoded `$FILE_NAME`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FileName {
    pub name: String,
    pub namespace: Namespace,
    pub parent: FileReference,
    pub times: Times,
    pub allocated_size: u64,
    pub real_size: u64,
    pub file_attributes: u32,
    /// The reparse tag, when the file is a reparse point (`FILE_ATTRIBUTE_REPARSE_POINT` set);
    /// otherwise this field holds the extended-attribute size.
    pub reparse_or_ea: u32,
}

/// `FILE_ATTRIBUTE_REPARSE_POINT` (MS-FSCC 2.6).
pub const FILE_ATTRIBUTE_REPARSE_POINT: u32 = 0x400;

impl FileName {
    /// Parses the value of a `$FILE_NAME` attribute. `offset` locates it for errors.
    pub fn parse(v: &[u8], offset: u64) -> Result<FileName> {
        FileName::parse_into(v, offset, String::new())
    }

    /// Like [`FileName::parse`], decoding the name into `name` (cleared first), whose room a
    /// whole-volume export reuses record after record.
    pub fn parse_into(v: &[u8], offset: u64, mut name: String) -> Result<FileName> {
        let err = |at: usize, m: String| Error::format("$FILE_NAME", offset + at as u64, m);
        if v.len() < 0x42 {
            return Err(err(
                0,
                format!(
                    "value is {} bytes, shorter than the 66-byte header",
                    v.len()
                ),
            ));
        }
        let name_len = v[0x40] as usize * 2;
        let Some(raw) = v.get(0x42..0x42 + name_len) else {
            return Err(err(
                0x40,
                format!(
                    "name of {} UTF-16 units runs past the {}-byte value",
                    v[0x40],
                    v.len()
                ),
            ));
        };
        let namespace = Namespace::from_u8(v[0x41])
            .ok_or_else(|| err(0x41, format!("namespace {} is not 0 to 3", v[0x41])))?;
        name.clear();
        push_utf16(&mut name, raw);
        Ok(FileName {
            name,
            namespace,
            parent: FileReference::from_u64(u64_at(v, 0).unwrap_or(0)),
            times: Times::parse(&v[8..0x28]),
            allocated_size: u64_at(v, 0x28).unwrap_or(0),
            real_size: u64_at(v, 0x30).unwrap_or(0),
            file_attributes: u32_at(v, 0x38).unwrap_or(0),
            reparse_or_ea: u32_at(v, 0x3C).unwrap_or(0),
        })
    }

    /// The reparse tag this name carries, when its attributes say it is a reparse point.
    pub fn reparse_tag(&self) -> Option<u32> {
        (self.file_attributes & FILE_ATTRIBUTE_REPARSE_POINT != 0).then_some(self.reparse_or_ea)
    }
}

/// Formats a FILETIME (100 ns ticks since 1601-01-01 UTC) as ISO 8601 UTC with all seven
/// fractional digits, e.g. `2026-12-03T13:27:59.8541889Z`. Zero prints as an empty string.
pub fn filetime_iso(ft: u64) -> String {
    FileTimeIso(ft).to_string()
}

/// A FILETIME that displays (and serializes) as [`filetime_iso`] does, without allocating: the
/// exporters write millions of these.
#[derive(Debug, Clone, Copy)]
pub struct FileTimeIso(pub u64);

impl FileTimeIso {
    /// Writes the text into `b` and returns it (empty for zero). Digit by digit: the exporters
    /// format millions of these, and the formatting machinery (padding, width) was a tenth of
    /// the JSON export's time.
    pub fn write_to(self, b: &mut [u8; 32]) -> &[u8] {
        let ft = self.0;
        if ft == 0 {
            return &[];
        }
        let secs = ft / 10_000_000;
        let frac = (ft % 10_000_000) as u32;
        // The text up to the seconds' fraction of the last second formatted on this thread: a
        // file's eight timestamps are mostly the same second (often the same value), and the
        // calendar arithmetic is the costly part.
        thread_local! {
            static LAST_SECOND: std::cell::Cell<(u64, [u8; 21], u8)> =
                const { std::cell::Cell::new((u64::MAX, [0; 21], 0)) };
        }
        let (second, text, len) = LAST_SECOND.with(std::cell::Cell::get);
        let n = if second == secs {
            b[..21].copy_from_slice(&text);
            usize::from(len)
        } else {
            let n = format_second(b, secs);
            let mut text = [0u8; 21];
            text.copy_from_slice(&b[..21]);
            LAST_SECOND.with(|c| c.set((secs, text, n as u8)));
            n
        };
        // Seven fractional digits, two at a time.
        let mut f = frac;
        for i in [5, 3, 1] {
            let d = (f % 100) as usize * 2;
            b[n + i..n + i + 2].copy_from_slice(&DIGIT_PAIRS[d..d + 2]);
            f /= 100;
        }
        b[n] = b'0' + f as u8;
        b[n + 7] = b'Z';
        &b[..n + 8]
    }
}

/// "00" to "99", for formatting two digits at a time.
const DIGIT_PAIRS: [u8; 200] = {
    let mut t = [0u8; 200];
    let mut i = 0;
    while i < 100 {
        t[2 * i] = b'0' + (i / 10) as u8;
        t[2 * i + 1] = b'0' + (i % 10) as u8;
        i += 1;
    }
    t
};

/// Writes `YYYY-MM-DDTHH:MM:SS.` (a fifth year digit after year 9999) for `secs` seconds since
/// 1601-01-01 into `b`; returns where the fraction goes (20, or 21 with five year digits).
fn format_second(b: &mut [u8; 32], secs: u64) -> usize {
    let days = (secs / 86_400) as i64;
    let rem = (secs % 86_400) as u32;
    let two = |b: &mut [u8; 32], at: usize, v: u32| {
        let d = (v % 100) as usize * 2;
        b[at..at + 2].copy_from_slice(&DIGIT_PAIRS[d..d + 2]);
    };
    let (y, m, d) = civil_from_days(days - 134_774); // days from 1601-01-01 to 1970-01-01
    let y = y.max(0) as u32; // at most 60056 (u64::MAX ticks)
    let mut n = 0;
    if y > 9999 {
        b[0] = b'0' + (y / 10_000 % 10) as u8;
        n = 1;
    }
    two(b, n, y / 100);
    two(b, n + 2, y);
    b[n + 4] = b'-';
    two(b, n + 5, m);
    b[n + 7] = b'-';
    two(b, n + 8, d);
    b[n + 10] = b'T';
    two(b, n + 11, rem / 3600);
    b[n + 13] = b':';
    two(b, n + 14, rem / 60 % 60);
    b[n + 16] = b':';
    two(b, n + 17, rem % 60);
    b[n + 19] = b'.';
    n + 20
}

impl std::fmt::Display for FileTimeIso {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut b = [0u8; 32];
        let text = self.write_to(&mut b);
        f.write_str(std::str::from_utf8(text).map_err(|_| std::fmt::Error)?)
    }
}

impl serde::Serialize for FileTimeIso {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// Unix seconds of a FILETIME (may be negative before 1970), for bodyfile output.
pub fn filetime_unix(ft: u64) -> i64 {
    (ft / 10_000_000) as i64 - 11_644_473_600
}

/// Howard Hinnant's days-to-civil algorithm (proleptic Gregorian, days since 1970-01-01).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filetime_formats() {
        // 2026-12-03 13:27:59.8541889 UTC, as istat printed it for a fixture file.
        assert_eq!(
            filetime_iso(134_407_780_798_541_889),
            "2026-12-03T13:27:59.8541889Z"
        );
        assert_eq!(
            filetime_iso(116_444_736_000_000_000),
            "1970-01-01T00:00:00.0000000Z"
        );
        assert_eq!(filetime_unix(116_444_736_000_000_000), 0);
        assert_eq!(filetime_iso(0), "");
        // The largest FILETIME is in year 60056: five digits.
        assert_eq!(filetime_iso(u64::MAX), "60056-05-28T05:36:10.9551615Z");
    }

    #[test]
    fn filetime_cache_keeps_each_second_apart() {
        // The per-thread cache of the last second: the same second with another fraction, a
        // five-digit year after a four-digit one, and back.
        let t = 134_407_780_798_541_889;
        assert_eq!(filetime_iso(t), "2026-12-03T13:27:59.8541889Z");
        assert_eq!(filetime_iso(t - 541_889), "2026-12-03T13:27:59.8000000Z");
        assert_eq!(filetime_iso(t + 1_458_111), "2026-12-03T13:28:00.0000000Z");
        assert_eq!(filetime_iso(u64::MAX - 9), "60056-05-28T05:36:10.9551606Z");
        assert_eq!(filetime_iso(u64::MAX), "60056-05-28T05:36:10.9551615Z");
        assert_eq!(filetime_iso(t), "2026-12-03T13:27:59.8541889Z");
        assert_eq!(filetime_iso(1), "1601-01-01T00:00:00.0000001Z");
    }
}
