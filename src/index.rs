//! NTFS indexes (`$INDEX_ROOT` / `$INDEX_ALLOCATION` INDX records), read here for the
//! `$Extend\$Reparse:$R` view index, which lists every reparse point of the volume as
//! (tag, file reference). Comparing it with the `$REPARSE_POINT` attributes the scan finds, and
//! with the tag each `$FILE_NAME` carries, shows damage or tampering.
//!
//! ```text
//! $INDEX_ROOT value: 0x00 indexed attribute type  0x04 collation rule  0x08 index record size
//!                    0x0C clusters per index record  0x10 INDEX_HEADER
//! INDX record:       "INDX", update sequence (as FILE records), 0x10 VCN, 0x18 INDEX_HEADER
//! INDEX_HEADER:      0x00 first entry offset  0x04 entries size  0x08 allocated size  0x0C flags
//! entry (view):      0x00 data offset u16  0x02 data length u16  0x08 entry length  0x0A key length
//!                    0x0C flags (1 has sub-node, 2 last entry)  0x10 key
//! $R key:            0x00 reparse tag u32  0x04 file reference u64
//! ```

use crate::attribute::{self, Form};
use crate::data_runs;
use crate::error::{Error, Result};
use crate::record::{apply_fixups, u16_at, u32_at, u64_at, FileReference};
use crate::scan::Scan;
use crate::volume::Volume;
use serde::Serialize;

/// One `$R` entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ReparseIndexEntry {
    pub tag: u32,
    pub file: FileReference,
}

/// Walks the entries of one INDEX_HEADER; `base` is the header's offset in `b`.
fn header_entries(b: &[u8], base: usize, at: u64, out: &mut Vec<ReparseIndexEntry>) -> Result<()> {
    let err = |rel: usize, m: String| Error::format("index entry", at + rel as u64, m);
    let first = u32_at(b, base).ok_or_else(|| err(base, "index header cut off".into()))? as usize;
    let size = u32_at(b, base + 4).unwrap_or(0) as usize;
    let end = base.saturating_add(size).min(b.len());
    let mut pos = base.saturating_add(first);
    while pos + 0x10 <= end {
        let len = u16_at(b, pos + 8).unwrap_or(0) as usize;
        let key_len = u16_at(b, pos + 10).unwrap_or(0) as usize;
        let flags = u16_at(b, pos + 12).unwrap_or(0);
        if flags & 2 != 0 {
            return Ok(());
        }
        if len < 0x10 || pos + len > end {
            return Err(err(
                pos,
                format!("entry length {len:#x} runs outside the index"),
            ));
        }
        if key_len >= 12 && 0x10 + key_len <= len {
            let tag = u32_at(b, pos + 0x10).unwrap_or(0);
            let file = FileReference::from_u64(u64_at(b, pos + 0x14).unwrap_or(0));
            out.push(ReparseIndexEntry { tag, file });
        }
        pos += len;
    }
    Ok(())
}

/// Reads every entry of `$Extend\$Reparse:$R`. `Ok(None)` when the volume has no `$Reparse`.
pub fn reparse_index(vol: &Volume, scan: &Scan) -> Result<Option<Vec<ReparseIndexEntry>>> {
    let Some(n) = scan.lookup("\\$Extend\\$Reparse") else {
        return Ok(None);
    };
    let records: Vec<u64> = std::iter::once(n)
        .chain(
            scan.entry(n)
                .map(|e| e.extensions.clone())
                .unwrap_or_default(),
        )
        .collect();
    let mut out = Vec::new();
    let mut alloc: Option<(Vec<u8>, u64)> = None;
    let mut bitmap: Option<Vec<u8>> = None;
    let mut block = vol.boot.index_record_size as usize;
    for r in records {
        let Some(rec) = vol.read_record(r)? else {
            continue;
        };
        for a in rec
            .attributes()
            .filter_map(|a| a.ok())
            .filter(|a| a.name == "$R")
        {
            let at = rec.offset + a.offset as u64;
            match (a.type_code, &a.form) {
                (
                    attribute::INDEX_ROOT,
                    Form::Resident {
                        value,
                        value_offset,
                    },
                ) => {
                    if let Some(sz) = u32_at(value, 8) {
                        if (256..=65536).contains(&sz) && sz.is_power_of_two() {
                            block = sz as usize;
                        }
                    }
                    header_entries(value, 0x10, rec.offset + u64::from(*value_offset), &mut out)?;
                }
                (
                    attribute::INDEX_ALLOCATION,
                    Form::NonResident {
                        runs,
                        first_vcn,
                        data_size,
                        ..
                    },
                ) => {
                    let runs = data_runs::decode(runs, *first_vcn, vol.total_clusters(), at)?;
                    alloc = Some((
                        vol.read_nonresident(&runs, *data_size, "$INDEX_ALLOCATION")?,
                        at,
                    ));
                }
                (attribute::BITMAP, _) => bitmap = Some(vol.attribute_value(&rec, &a)?),
                _ => {}
            }
        }
    }
    if let Some((mut data, at)) = alloc {
        for (i, chunk) in data.chunks_exact_mut(block).enumerate() {
            let used = bitmap.as_ref().map_or(true, |bm| {
                bm.get(i / 8).is_some_and(|b| b & (1 << (i % 8)) != 0)
            });
            if !used || chunk.get(0..4) != Some(b"INDX") {
                continue;
            }
            let off = at + (i * block) as u64;
            apply_fixups(chunk, "INDX record", off)?;
            header_entries(chunk, 0x18, off, &mut out)?;
        }
    }
    out.sort_by_key(|e| (e.file.record, e.tag));
    out.dedup();
    Ok(Some(out))
}

/// A disagreement between the three places a reparse point is recorded.
#[derive(Debug, Clone, Serialize)]
pub struct Disagreement {
    pub record: u64,
    pub message: String,
}

/// Compares the `$R` index, each file's `$REPARSE_POINT` tag, the tag in its `$FILE_NAME`s
/// (when their reparse flag is set: Windows and ntfs-3g do not always update the record's own
/// `$FILE_NAME` copies) and the reparse flag in `$STANDARD_INFORMATION`.
pub fn cross_check(scan: &Scan, index: Option<&[ReparseIndexEntry]>) -> Vec<Disagreement> {
    let mut sorted = index.map(<[ReparseIndexEntry]>::to_vec);
    if let Some(v) = &mut sorted {
        v.sort_by_key(|e| (e.file.record, e.tag));
    }
    let index = sorted.as_deref();
    let mut out = Vec::new();
    let mut say = |record, message: String| out.push(Disagreement { record, message });
    for e in scan.files() {
        let tag = e.reparse_tag();
        for n in &e.names {
            match (n.reparse_tag(), tag) {
                (Some(t), Some(a)) if t != a => say(
                    e.record,
                    format!(
                        "$FILE_NAME {:?} carries tag {t:#010x}, $REPARSE_POINT has {a:#010x}",
                        n.name
                    ),
                ),
                (Some(t), None) => say(
                    e.record,
                    format!(
                        "$FILE_NAME {:?} carries tag {t:#010x} but the file has no $REPARSE_POINT",
                        n.name
                    ),
                ),
                _ => {}
            }
        }
        let si_flag = e
            .standard_information
            .map(|si| si.file_attributes & crate::file_name::FILE_ATTRIBUTE_REPARSE_POINT != 0);
        match (si_flag, tag) {
            (Some(true), None) => say(e.record, "$STANDARD_INFORMATION has FILE_ATTRIBUTE_REPARSE_POINT but the file has no $REPARSE_POINT".into()),
            (Some(false), Some(a)) => say(e.record, format!("$REPARSE_POINT tag {a:#010x} but $STANDARD_INFORMATION lacks FILE_ATTRIBUTE_REPARSE_POINT")),
            _ => {}
        }
        if let (Some(idx), Some(a)) = (index, tag) {
            // `reparse_index` returns the entries sorted by record.
            let at = idx.partition_point(|i| i.file.record < e.record);
            match idx.get(at).filter(|i| i.file.record == e.record) {
                None => say(e.record, format!("$REPARSE_POINT tag {a:#010x} is not in $Extend\\$Reparse:$R")),
                Some(i) if i.tag != a || i.file.sequence != e.sequence => say(
                    e.record,
                    format!("$R lists tag {:#010x} sequence {}, the record has tag {a:#010x} sequence {}", i.tag, i.file.sequence, e.sequence),
                ),
                _ => {}
            }
        }
    }
    if let Some(idx) = index {
        for i in idx {
            if scan
                .entry(i.file.record)
                .filter(|e| e.in_use)
                .and_then(|e| e.reparse.as_ref())
                .is_none()
            {
                say(
                    i.file.record,
                    format!(
                        "$R lists tag {:#010x} for record {}, which has no $REPARSE_POINT in use",
                        i.tag, i.file.record
                    ),
                );
            }
        }
    }
    out
}
