//! The JSON record (one object per base record); the schema is documented in
//! `docs/export.md`.

use super::Record;
use crate::file_name::{FileName, FileTimeIso, Times};
use crate::standard_information::attribute_names_iter;
use serde::ser::Serializer;
use serde::Serialize;

/// Appends `s` as a JSON string, escaped exactly as `serde_json` escapes it (`"`, `\\`, the
/// short escapes `\b \f \n \r \t`, other control characters as `\u00XX`; everything else
/// as UTF-8), so that the hand-written writer and `serde_json` agree byte for byte.
pub(crate) fn push_str(out: &mut Vec<u8>, s: &str) {
    out.push(b'"');
    push_escaped(out, s);
    out.push(b'"');
}

/// Appends `s` escaped as [`push_str`] does, without the quotes.
pub(crate) fn push_escaped(out: &mut Vec<u8>, s: &str) {
    let bytes = s.as_bytes();
    // Copy the runs between bytes to escape at once, finding each such byte eight bytes at a
    // time: every path has a `\\` per component, so the escape path is the common one.
    let mut start = 0;
    loop {
        let at = next_to_escape(bytes, start);
        out.extend_from_slice(&bytes[start..at]);
        let Some(&b) = bytes.get(at) else { break };
        match b {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            0x08 => out.extend_from_slice(b"\\b"),
            0x0c => out.extend_from_slice(b"\\f"),
            _ => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                out.extend_from_slice(b"\\u00");
                out.push(HEX[usize::from(b >> 4)]);
                out.push(HEX[usize::from(b & 0xf)]);
            }
        }
        start = at + 1;
    }
}

/// Bytes that JSON strings escape: control characters, `"` and `\\`.
const NEEDS_ESCAPE: [bool; 256] = {
    let mut t = [false; 256];
    let mut i = 0;
    while i < 0x20 {
        t[i] = true;
        i += 1;
    }
    t[b'"' as usize] = true;
    t[b'\\' as usize] = true;
    t
};

/// The position of the first byte at or after `from` that JSON escapes (a control character,
/// `"` or `\\`), or `bytes.len()`. Eight bytes at a time with the classic bit trick: a byte of
/// `x` is zero exactly where `(x - 0x01..) & !x & 0x80..` has the lowest set top bit (borrows
/// only run upwards, so the lowest flag is exact), then the tail through the table.
fn next_to_escape(bytes: &[u8], from: usize) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let zero_byte = |x: u64| x.wrapping_sub(ONES) & !x & HIGH;
    let mut i = from;
    while let Some(w) = bytes.get(i..i + 8) {
        let mut a = [0u8; 8];
        a.copy_from_slice(w);
        let x = u64::from_le_bytes(a);
        // Bytes below 0x20: the top three bits are all zero.
        let control = zero_byte(x & (0xE0 * ONES));
        let quote = zero_byte(x ^ (u64::from(b'"') * ONES));
        let backslash = zero_byte(x ^ (u64::from(b'\\') * ONES));
        let any = control | quote | backslash;
        if any != 0 {
            return i + (any.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    while i < bytes.len() && !NEEDS_ESCAPE[usize::from(bytes[i])] {
        i += 1;
    }
    i
}

/// Appends an integer in decimal (shared by every hand-written exporter).
pub(crate) fn push_int(out: &mut Vec<u8>, v: impl itoa::Integer) {
    out.extend_from_slice(itoa::Buffer::new().format(v).as_bytes());
}

fn push_opt_int(out: &mut Vec<u8>, v: Option<u64>) {
    match v {
        Some(v) => push_int(out, v),
        None => out.extend_from_slice(b"null"),
    }
}

fn push_bool(out: &mut Vec<u8>, v: bool) {
    out.extend_from_slice(if v { b"true" } else { b"false" });
}

fn push_times(out: &mut Vec<u8>, t: &Times) {
    // A file's four times are often the same value: one equal to the time before it is copied.
    let values = [t.created, t.modified, t.mft_modified, t.accessed];
    let mut texts = [[0u8; 32]; 4];
    let mut lens = [0usize; 4];
    for i in 0..4 {
        lens[i] = match i.checked_sub(1) {
            Some(p) if values[p] == values[i] => {
                texts[i] = texts[p];
                lens[p]
            }
            _ => FileTimeIso(values[i]).write_to(&mut texts[i]).len(),
        };
    }
    if lens == [TIME_LEN; 4] {
        // The common shape, written into a template with fixed offsets and appended at once.
        let mut obj = *TIMES_TEMPLATE;
        for (at, text) in TIMES_AT.iter().zip(&texts) {
            obj[*at..*at + TIME_LEN].copy_from_slice(&text[..TIME_LEN]);
        }
        out.extend_from_slice(&obj);
        return;
    }
    for (i, key) in [
        &b"{\"created\":"[..],
        b",\"modified\":",
        b",\"mft_modified\":",
        b",\"accessed\":",
    ]
    .iter()
    .enumerate()
    {
        out.extend_from_slice(key);
        out.push(b'"');
        out.extend_from_slice(&texts[i][..lens[i]]);
        out.push(b'"');
    }
    out.push(b'}');
}

/// Length of a timestamp's text between years 1601 and 9999: `2024-01-02T03:04:05.1234567Z`.
const TIME_LEN: usize = 28;
/// A times object whose four texts are `TIME_LEN` long, the texts left blank.
const TIMES_TEMPLATE: &[u8; 172] = b"{\"created\":\"____________________________\",\"modified\":\"____________________________\",\"mft_modified\":\"____________________________\",\"accessed\":\"____________________________\"}";
/// Where `TIMES_TEMPLATE`'s blanks start.
const TIMES_AT: [usize; 4] = [12, 54, 100, 142];

fn push_name(out: &mut Vec<u8>, n: &FileName, last: &mut LastTimes) {
    out.extend_from_slice(b"{\"name\":");
    push_str(out, &n.name);
    out.extend_from_slice(b",\"namespace\":\"");
    out.extend_from_slice(n.namespace.as_str().as_bytes());
    out.extend_from_slice(b"\",\"parent\":");
    push_int(out, n.parent.record);
    out.extend_from_slice(b",\"parent_sequence\":");
    push_int(out, n.parent.sequence);
    out.extend_from_slice(b",\"file_attributes\":");
    push_int(out, n.file_attributes);
    out.extend_from_slice(b",\"times\":");
    last.push(out, &n.times, push_times);
    out.push(b'}');
}

/// The paths array as [`Tree::paths_of`] gives it (`\\` for the root; a path equal to the one
/// before it is not repeated), each path escaped as the tree writes it.
fn push_tree_paths(out: &mut Vec<u8>, tree: &dyn Tree, e: &Entry) {
    if e.record == ROOT {
        out.extend_from_slice(b"[\"\\\\\"]");
        return;
    }
    out.push(b'[');
    let mut last: Option<(usize, usize)> = None;
    for name in e.link_names() {
        let mark = out.len();
        if last.is_some() {
            out.push(b',');
        }
        out.push(b'"');
        let start = out.len();
        tree.push_json_path(name, out);
        let end = out.len();
        // Escaping is one to one, so equal escaped text is an equal path.
        if let Some((ls, le)) = last {
            if out[ls..le] == out[start..end] {
                out.truncate(mark);
                continue;
            }
        }
        out.push(b'"');
        last = Some((start, end));
    }
    out.push(b']');
}

/// `[a,b,...]` of strings.
fn push_str_array<'s>(out: &mut Vec<u8>, items: impl IntoIterator<Item = &'s str>) {
    out.push(b'[');
    for (i, s) in items.into_iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        push_str(out, s);
    }
    out.push(b']');
}

/// `["ARCHIVE",...]`: as `push_str_array` writes [`attribute_names_iter`]'s names, which are
/// ASCII capitals, `_` and parentheses and so need no escaping.
fn push_flag_names(out: &mut Vec<u8>, bits: u32) {
    out.push(b'[');
    // Set bits only, lowest first (the order of the names' table): most records have one.
    let mut rest = bits;
    let mut first = true;
    while rest != 0 {
        let bit = rest & rest.wrapping_neg();
        rest &= rest - 1;
        if let Some(name) = attribute_names_iter(bit).next() {
            if !first {
                out.push(b',');
            }
            first = false;
            out.push(b'"');
            out.extend_from_slice(name.as_bytes());
            out.push(b'"');
        }
    }
    out.push(b']');
}

/// The reparse object: the decoder's own (serde) object with `resident` and `target` added.
/// One record in a hundred has one, so it goes through `serde_json`.
fn push_reparse(out: &mut Vec<u8>, r: &Record<'_>) -> serde_json::Result<()> {
    let Some(rp) = &r.reparse else {
        out.extend_from_slice(b"null");
        return Ok(());
    };
    // The decoder's object is a map: write it, then put the two keys before its closing brace.
    let start = out.len();
    serde_json::to_writer(&mut *out, rp)?;
    if out.len() > start && out.last() == Some(&b'}') {
        out.pop();
        if out.last() != Some(&b'{') {
            out.push(b',');
        }
        out.extend_from_slice(b"\"resident\":");
        push_bool(out, r.entry.reparse_resident);
        out.extend_from_slice(b",\"target\":");
        serde_json::to_writer(&mut *out, &r.target)?;
        out.push(b'}');
    }
    Ok(())
}

impl Record<'_> {
    /// Appends this record as one JSON object (keys in the order docs/export.md gives).
    /// Hand-written rather than derived: this runs a million times per large volume, and the
    /// generic serializer spent most of the export's time on it.
    pub fn write_json(&self, out: &mut Vec<u8>) -> serde_json::Result<()> {
        self.write_json_paths_from(out, None)
    }

    /// [`Record::write_json`], with the paths written straight from `tree` when given (the
    /// record's `paths` are then not used): the exports do this.
    fn write_json_paths_from(
        &self,
        out: &mut Vec<u8>,
        tree: Option<&dyn Tree>,
    ) -> serde_json::Result<()> {
        let e = self.entry;
        // Room for a typical record at once, instead of growing piece by piece.
        out.reserve(2048);
        out.extend_from_slice(b"{\"record\":");
        push_int(out, e.record);
        out.extend_from_slice(b",\"sequence\":");
        push_int(out, e.sequence);
        out.extend_from_slice(b",\"in_use\":");
        push_bool(out, e.in_use);
        out.extend_from_slice(b",\"directory\":");
        push_bool(out, e.directory);
        out.extend_from_slice(b",\"link_count\":");
        push_int(out, e.link_count);
        out.extend_from_slice(b",\"hard_links\":");
        push_int(out, e.hard_links());
        out.extend_from_slice(b",\"names\":[");
        let mut last = LastTimes::default();
        for (i, n) in e.names.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            push_name(out, n, &mut last);
        }
        out.extend_from_slice(b"],\"paths\":");
        match tree {
            Some(tree) => push_tree_paths(out, tree, e),
            None => push_str_array(out, self.paths.iter().map(String::as_str)),
        }
        out.extend_from_slice(b",\"size\":");
        push_opt_int(out, e.data_size);
        out.extend_from_slice(b",\"allocated_size\":");
        push_opt_int(out, e.allocated_size);
        out.extend_from_slice(b",\"streams\":[");
        for (i, s) in e.streams.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            out.extend_from_slice(b"{\"name\":");
            push_str(out, &s.name);
            out.extend_from_slice(b",\"size\":");
            push_int(out, s.size);
            out.push(b'}');
        }
        out.push(b']');
        match &e.standard_information {
            Some(si) => {
                out.extend_from_slice(b",\"si_times\":");
                last.push(out, &si.times, push_times);
                out.extend_from_slice(b",\"si_flags\":");
                push_int(out, si.file_attributes);
                out.extend_from_slice(b",\"si_flag_names\":");
                push_flag_names(out, si.file_attributes);
            }
            None => {
                out.extend_from_slice(b",\"si_times\":null,\"si_flags\":null,\"si_flag_names\":[]")
            }
        }
        out.extend_from_slice(b",\"reparse\":");
        push_reparse(out, self)?;
        out.extend_from_slice(b",\"extension_records\":[");
        for (i, x) in e.extensions.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            push_int(out, *x);
        }
        out.extend_from_slice(b"],\"problems\":");
        push_str_array(out, e.problems.iter().map(String::as_str));
        out.push(b'}');
        Ok(())
    }
}

impl Serialize for Record<'_> {
    /// The same object as [`Record::write_json`], for callers that hold a serializer.
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut buf = Vec::new();
        self.write_json(&mut buf)
            .map_err(serde::ser::Error::custom)?;
        let v: serde_json::Value =
            serde_json::from_slice(&buf).map_err(serde::ser::Error::custom)?;
        v.serialize(s)
    }
}

use super::{with_record, LastTimes, Selection, SkipFirst};
use crate::resolve::Resolver;
use crate::scan::{Entry, ROOT};
use crate::tree::Tree;
use std::io::{self, Write};

/// One JSON object per line for every selected record.
pub fn write_jsonl(
    w: &mut impl Write,
    tree: &dyn Tree,
    resolver: &Resolver<'_>,
    sel: Selection,
) -> io::Result<()> {
    tree.prepare_lookups();
    tree.render_entries(sel, w, &|e, buf| {
        with_record(resolver, e, |r| r.write_json_paths_from(buf, Some(tree)))
            .map_err(io::Error::other)?;
        buf.push(b'\n');
        Ok(())
    })
}

/// One JSON array of every selected record.
pub fn write_json(
    w: &mut impl Write,
    tree: &dyn Tree,
    resolver: &Resolver<'_>,
    sel: Selection,
) -> io::Result<()> {
    w.write_all(b"[\n")?;
    // Every record starts with the separator; the first one's is dropped.
    let mut sep = SkipFirst { inner: w, skip: 2 };
    tree.prepare_lookups();
    tree.render_entries(sel, &mut sep, &|e, buf| {
        buf.extend_from_slice(b",\n");
        with_record(resolver, e, |r| r.write_json_paths_from(buf, Some(tree)))
            .map_err(io::Error::other)
    })?;
    w.write_all(b"\n]\n")
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn flag_names_are_written_as_escaped_strings_would_be() {
        for bits in (0..32)
            .map(|b| 1u32 << b)
            .chain([0, 0x20 | 0x400, u32::MAX, 0x1000_0027])
        {
            let (mut fast, mut escaped) = (Vec::new(), Vec::new());
            push_flag_names(&mut fast, bits);
            push_str_array(&mut escaped, attribute_names_iter(bits));
            assert_eq!(fast, escaped, "{bits:#x}");
        }
    }

    #[test]
    fn times_template_blanks_are_where_the_offsets_say() {
        for at in TIMES_AT {
            assert_eq!(&TIMES_TEMPLATE[at..at + TIME_LEN], &[b'_'; TIME_LEN][..]);
            assert_eq!(TIMES_TEMPLATE[at - 1], b'"');
            assert_eq!(TIMES_TEMPLATE[at + TIME_LEN], b'"');
        }
        assert_eq!(
            TIMES_TEMPLATE.iter().filter(|&&b| b == b'_').count(),
            4 * TIME_LEN + 1
        );
    }

    #[test]
    fn times_objects_are_what_serde_json_makes_of_them() {
        let year_10000 = 2_650_467_744_000_000_000 + 10_000_000; // past 9999-12-31
        let samples = [
            0,
            1,
            133_000_000_000_000_000,
            133_000_000_000_000_001,
            year_10000,
            u64::MAX,
        ];
        for &a in &samples {
            for &b in &samples {
                let t = Times {
                    created: a,
                    modified: a,
                    mft_modified: b,
                    accessed: a,
                };
                let mut out = Vec::new();
                push_times(&mut out, &t);
                let text = |v: u64| {
                    let mut buf = [0u8; 32];
                    String::from_utf8(FileTimeIso(v).write_to(&mut buf).to_vec()).unwrap()
                };
                let expected = serde_json::json!({
                    "created": text(a), "modified": text(a), "mft_modified": text(b), "accessed": text(a)
                });
                assert_eq!(String::from_utf8(out).unwrap(), expected.to_string());
            }
        }
    }

    #[test]
    fn equal_times_are_copied_and_others_formatted() {
        let a = Times {
            created: 133_000_000_000_000_000,
            modified: 1,
            mft_modified: 0,
            accessed: u64::MAX,
        };
        let b = Times { created: 5, ..a };
        let mut last = LastTimes::default();
        let mut out = Vec::new();
        for t in [a, a, b, a] {
            let mut alone = Vec::new();
            push_times(&mut alone, &t);
            let start = out.len();
            last.push(&mut out, &t, push_times);
            assert_eq!(out[start..], alone[..]);
        }
    }

    #[test]
    fn escapes_as_serde_json_does() {
        let mut samples: Vec<String> = (0u8..=0x7f)
            .map(|b| format!("abcdefgh{}ij", b as char))
            .collect();
        samples.extend(
            [
                "",
                "plain ascii name.txt",
                "caf\u{e9} \u{1F600}",
                "a\"b\\c",
                "12345678\u{7f}",
            ]
            .map(String::from),
        );
        // A byte to escape at every position of a string longer than two words, and several
        // in one word.
        for at in 0..20 {
            for c in ['\\', '"', '\n', '\u{1}', '\u{1f}'] {
                let mut t: Vec<char> = "abcdefghijklmnopqrst".chars().collect();
                t[at] = c;
                samples.push(t.iter().collect());
            }
        }
        samples.push("\\a\\b\"\\\n\\dir\\\u{1f}x\\ \u{e9}\\".into());
        for s in samples {
            let mut out = Vec::new();
            push_str(&mut out, &s);
            assert_eq!(out, serde_json::to_vec(&s).unwrap(), "{s:?}");
        }
    }
}
