//! Data runs ("mapping pairs"): the compressed list of extents of a non-resident attribute.
//! Each run starts with a header byte whose low nibble is the size of the length field and whose
//! high nibble is the size of the signed, relative LCN offset; an offset size of 0 is a sparse run.

use crate::error::{Error, Result};
use serde::Serialize;

/// One extent: `length` clusters starting at `lcn` (None for sparse), mapping VCNs from `vcn`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Run {
    pub vcn: u64,
    pub lcn: Option<u64>,
    pub length: u64,
}

/// Decodes the runs starting at `first_vcn`. `offset` is the byte offset of `bytes` in the
/// volume, for errors. Runs must stay below `total_clusters`.
pub fn decode(bytes: &[u8], first_vcn: u64, total_clusters: u64, offset: u64) -> Result<Vec<Run>> {
    let mut runs = Vec::new();
    let mut pos = 0usize;
    let mut vcn = first_vcn;
    let mut lcn: i64 = 0;
    let err = |at: usize, m: String| Error::format("data runs", offset + at as u64, m);
    loop {
        let Some(&head) = bytes.get(pos) else {
            return Err(err(
                pos,
                "data runs end without a terminating 0 byte".into(),
            ));
        };
        if head == 0 {
            break;
        }
        let len_size = (head & 0x0F) as usize;
        let off_size = (head >> 4) as usize;
        if len_size == 0 || len_size > 8 || off_size > 8 {
            return Err(err(
                pos,
                format!("run header {head:#04x} has field sizes {len_size}/{off_size}"),
            ));
        }
        let Some(field) = bytes.get(pos + 1..pos + 1 + len_size + off_size) else {
            return Err(err(
                pos,
                "run is cut off by the end of the attribute".into(),
            ));
        };
        let mut length: u64 = 0;
        for (i, &b) in field[..len_size].iter().enumerate() {
            length |= u64::from(b) << (8 * i);
        }
        if length == 0 || (length as i64) < 0 {
            return Err(err(pos + 1, format!("run length {length} is not positive")));
        }
        let this_lcn = if off_size == 0 {
            None
        } else {
            let mut delta: i64 = 0;
            for (i, &b) in field[len_size..].iter().enumerate() {
                delta |= i64::from(b) << (8 * i);
            }
            // Sign-extend from the field's top bit.
            let shift = 64 - 8 * off_size as u32;
            if shift > 0 && shift < 64 {
                delta = (delta << shift) >> shift;
            }
            lcn = lcn
                .checked_add(delta)
                .ok_or_else(|| err(pos, "LCN overflows".into()))?;
            if lcn < 0 || (lcn as u64).saturating_add(length) > total_clusters {
                return Err(err(pos, format!("run of {length} clusters at LCN {lcn} is outside the volume's {total_clusters} clusters")));
            }
            Some(lcn as u64)
        };
        runs.push(Run {
            vcn,
            lcn: this_lcn,
            length,
        });
        vcn = vcn
            .checked_add(length)
            .ok_or_else(|| err(pos, "VCN overflows".into()))?;
        pos += 1 + len_size + off_size;
    }
    Ok(runs)
}

/// Total clusters described by `runs`.
pub fn total_length(runs: &[Run]) -> u64 {
    runs.iter().fold(0u64, |a, r| a.saturating_add(r.length))
}
