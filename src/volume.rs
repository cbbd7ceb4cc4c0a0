//! An NTFS volume: the boot sector, the `$MFT`'s own extents (following the `$MFT`'s
//! `$ATTRIBUTE_LIST` when it has one), and random access to records and attribute values.

use crate::attribute::{self, Attribute, Form};
use crate::attribute_list;
use crate::boot_sector::BootSector;
use crate::data_runs::{self, Run};
use crate::error::{Error, Result};
use crate::record::FileRecord;
use crate::source::{check_range, Source};

/// The largest attribute value we read into memory whole (attribute lists, reparse points,
/// `$Volume` names, index allocations). Real ones are far smaller: reparse buffers are at most
/// 16 KiB and attribute lists a few hundred KiB; the bound stops a lying size field.
pub const MAX_VALUE_IN_MEMORY: u64 = 64 * 1024 * 1024;

/// An opened NTFS volume.
pub struct Volume {
    source: Source,
    pub boot: BootSector,
    /// The `$MFT`'s extents, in VCN order.
    pub mft_runs: Vec<Run>,
    /// The `$MFT`'s `$DATA` size in bytes.
    pub mft_size: u64,
    /// Things worth saying that did not stop the open (a bad primary boot sector, say).
    pub warnings: Vec<String>,
    /// True when record 0 has an `$ATTRIBUTE_LIST` (the `$MFT` is spread over several records).
    pub mft_has_attribute_list: bool,
}

impl Volume {
    /// Reads the boot sector and the `$MFT`'s extents.
    pub fn open(source: Source) -> Result<Volume> {
        let (boot, primary_err) = BootSector::read(&*source)?;
        let mut warnings = Vec::new();
        if let Some(e) = primary_err {
            warnings.push(format!(
                "primary boot sector unusable ({e}); using the backup at byte offset {:#x}",
                boot.offset
            ));
        }
        if boot.volume_size() > source.len() {
            warnings.push(format!(
                "the boot sector says the volume is {} bytes but the source holds {}: the image is truncated",
                boot.volume_size(),
                source.len()
            ));
        }
        let mut vol = Volume {
            source,
            boot,
            mft_runs: Vec::new(),
            mft_size: 0,
            warnings,
            mft_has_attribute_list: false,
        };
        vol.load_mft_runs()?;
        Ok(vol)
    }

    /// The source the volume reads from.
    pub fn source(&self) -> &Source {
        &self.source
    }

    /// Cluster count of the volume.
    pub fn total_clusters(&self) -> u64 {
        self.boot.total_sectors / u64::from(self.boot.sectors_per_cluster)
    }

    /// Number of record slots in the `$MFT`.
    pub fn record_count(&self) -> u64 {
        self.mft_size / u64::from(self.boot.file_record_size)
    }

    fn load_mft_runs(&mut self) -> Result<()> {
        let rs = self.boot.file_record_size as u64;
        let mft_offset = self
            .boot
            .mft_offset()
            .ok_or_else(|| Error::NotNtfs("$MFT offset overflows".into()))?;
        // Record 0 describes the $MFT; until we have its runs, it is at the boot sector's LCN.
        let mut buf = vec![0u8; rs as usize];
        self.source
            .read_at(mft_offset, &mut buf)
            .map_err(|e| Error::NotNtfs(format!("cannot read $MFT record 0: {e}")))?;
        let rec0 = FileRecord::parse(buf, 0, mft_offset)
            .map_err(|e| Error::NotNtfs(format!("$MFT record 0 is unreadable: {e}")))?
            .ok_or_else(|| {
                Error::NotNtfs(format!(
                    "$MFT record 0 at byte offset {mft_offset:#x} is all zeros"
                ))
            })?;
        let data = rec0
            .find(attribute::DATA, "")
            .ok_or_else(|| Error::NotNtfs("$MFT record 0 has no $DATA attribute".into()))?;
        let (runs, size) = self.runs_of(&rec0, &data)?;
        self.mft_runs = runs;
        self.mft_size = size;
        // The $MFT's own $ATTRIBUTE_LIST: further $DATA pieces live in extension records, whose
        // positions are (by construction) inside the extents we already know.
        if let Some(list_attr) = rec0.find(attribute::ATTRIBUTE_LIST, "") {
            self.mft_has_attribute_list = true;
            let value = self.attribute_value(&rec0, &list_attr)?;
            let (entries, err) =
                attribute_list::parse(&value, rec0.offset + list_attr.offset as u64);
            if let Some(e) = err {
                self.warnings.push(format!("$MFT attribute list: {e}"));
            }
            // Read the extension records with the extents known so far; one holding a later
            // piece may itself lie in a piece found in this pass, so go on while passes add runs.
            let mut pending: Vec<u64> = entries
                .iter()
                .filter(|e| {
                    e.type_code == attribute::DATA && e.name.is_empty() && e.record.record != 0
                })
                .map(|e| e.record.record)
                .collect();
            pending.sort_unstable();
            pending.dedup();
            let mut last_error: Vec<(u64, String)> = Vec::new();
            while !pending.is_empty() {
                let mut found = Vec::new();
                last_error.clear();
                pending.retain(|&n| match self.mft_piece(n) {
                    Ok(runs) => {
                        found.extend(runs);
                        false
                    }
                    Err(err) => {
                        last_error.push((n, err));
                        true
                    }
                });
                if found.is_empty() {
                    break;
                }
                self.mft_runs.extend(found);
                self.mft_runs.sort_by_key(|r| r.vcn);
                self.mft_runs.dedup_by_key(|r| r.vcn);
            }
            for (n, err) in last_error {
                self.warnings
                    .push(format!("$MFT extension record {n}: {err}"));
            }
        }
        // Never trust the size beyond what the extents cover.
        let covered = data_runs::total_length(&self.mft_runs)
            .saturating_mul(u64::from(self.boot.cluster_size));
        if self.mft_size > covered {
            self.warnings.push(format!(
                "$MFT data size {} is larger than its extents ({covered} bytes)",
                self.mft_size
            ));
            self.mft_size = covered;
        }
        // Nor beyond what the source can hold: a lying size in a small image must not make the
        // scan allocate and report billions of record slots.
        if self.mft_size > self.source.len() {
            self.warnings.push(format!(
                "$MFT data size {} is larger than the source ({} bytes)",
                self.mft_size,
                self.source.len()
            ));
            self.mft_size = self.source.len();
        }
        Ok(())
    }

    /// The `$DATA` runs held by `$MFT` extension record `n`.
    fn mft_piece(&self, n: u64) -> std::result::Result<Vec<Run>, String> {
        let ext = match self.read_record(n) {
            Ok(Some(r)) => r,
            Ok(None) => return Err("the record is empty".into()),
            Err(err) => return Err(err.to_string()),
        };
        if !ext.header.is_extension() {
            return Err("the record is not an extension record".into());
        }
        if ext.header.base.record != 0 {
            return Err(format!(
                "the record belongs to record {}, not to the $MFT",
                ext.header.base.record
            ));
        }
        let Some(a) = ext.find(attribute::DATA, "") else {
            return Err("the record has no $DATA piece".into());
        };
        match a.form {
            Form::NonResident {
                runs, first_vcn, ..
            } => data_runs::decode(
                runs,
                first_vcn,
                self.total_clusters(),
                ext.offset + a.offset as u64,
            )
            .map_err(|e| e.to_string()),
            Form::Resident { .. } => Err("its $DATA piece is resident".into()),
        }
    }

    /// Decodes the runs of a non-resident attribute and returns them with the data size.
    pub fn runs_of(&self, rec: &FileRecord, a: &Attribute<'_>) -> Result<(Vec<Run>, u64)> {
        match a.form {
            Form::NonResident {
                runs,
                first_vcn,
                data_size,
                ..
            } => {
                let r = data_runs::decode(
                    runs,
                    first_vcn,
                    self.total_clusters(),
                    rec.offset + a.offset as u64,
                )
                .map_err(|e| Error::record(rec.number, rec.offset + a.offset as u64, e))?;
                Ok((r, data_size))
            }
            Form::Resident { .. } => Err(Error::record(
                rec.number,
                rec.offset + a.offset as u64,
                "attribute is resident, has no runs",
            )),
        }
    }

    /// Maps a byte position inside the `$MFT` to a volume byte offset and the bytes left in
    /// that extent.
    /// Where byte `pos` of the `$MFT` is in the volume, and how many bytes of the same extent
    /// follow it.
    pub(crate) fn mft_position(&self, pos: u64) -> Option<(u64, u64)> {
        map_position(&self.mft_runs, pos, u64::from(self.boot.cluster_size))
    }

    /// Hints that `len` bytes of the `$MFT` from byte `pos` of it will be read soon (see
    /// [`ReadAt::will_need`](crate::source::ReadAt::will_need)).
    pub fn will_need_mft_bytes(&self, mut pos: u64, len: u64) {
        let end = pos.saturating_add(len);
        while pos < end {
            let Some((at, left)) = self.mft_position(pos) else {
                return;
            };
            let n = left.min(end - pos);
            if n == 0 {
                return;
            }
            self.source.will_need(at, n);
            pos += n;
        }
    }

    /// Reads `buf.len()` bytes of the `$MFT` starting at byte `pos` of it.
    pub fn read_mft_bytes(&self, mut pos: u64, mut buf: &mut [u8]) -> Result<()> {
        while !buf.is_empty() {
            let (at, left) = self.mft_position(pos).ok_or_else(|| {
                Error::format("$MFT", pos, "position is not covered by the $MFT's extents")
            })?;
            let n = (left.min(buf.len() as u64)) as usize;
            let (now, rest) = buf.split_at_mut(n);
            self.source.read_at(at, now)?;
            buf = rest;
            pos += n as u64;
        }
        Ok(())
    }

    /// Volume byte offset of record `n`'s first byte (the record may continue in another extent
    /// when clusters are smaller than records).
    pub fn record_offset(&self, n: u64) -> Option<u64> {
        let pos = n.checked_mul(u64::from(self.boot.file_record_size))?;
        self.mft_position(pos).map(|(at, _)| at)
    }

    /// Reads record `n` with fixups applied; `Ok(None)` for an all-zero slot.
    pub fn read_record(&self, n: u64) -> Result<Option<FileRecord>> {
        let rs = u64::from(self.boot.file_record_size);
        let pos = n
            .checked_mul(rs)
            .filter(|p| p.saturating_add(rs) <= self.mft_size.max(rs * 16));
        let Some(pos) = pos else {
            return Err(Error::NotFound(format!(
                "record {n} is beyond the $MFT's {} records",
                self.record_count()
            )));
        };
        let offset = self.mft_position(pos).map(|(a, _)| a).unwrap_or(0);
        let mut buf = vec![0u8; rs as usize];
        self.read_mft_bytes(pos, &mut buf)
            .map_err(|e| Error::record(n, offset, e))?;
        FileRecord::parse(buf, n, offset)
    }

    /// Reads a non-resident attribute's value whole (bounded by [`MAX_VALUE_IN_MEMORY`] and by
    /// its extents; sparse runs read as zeros).
    pub fn read_nonresident(
        &self,
        runs: &[Run],
        data_size: u64,
        what: &'static str,
    ) -> Result<Vec<u8>> {
        let cs = u64::from(self.boot.cluster_size);
        let covered = data_runs::total_length(runs).saturating_mul(cs);
        if data_size > MAX_VALUE_IN_MEMORY || data_size > covered {
            return Err(Error::format(
                what,
                0,
                format!("data size {data_size} is larger than its extents ({covered} bytes) or than we read whole"),
            ));
        }
        let mut out = vec![0u8; data_size as usize];
        // Positions are checked: the first VCN comes from the attribute header and a sparse
        // run may be as long as the header says, so byte positions can exceed u64.
        let first_vcn = runs.first().map(|r| r.vcn).unwrap_or(0);
        let Some(start) = first_vcn.checked_mul(cs) else {
            return Err(Error::format(
                what,
                0,
                format!("first VCN {first_vcn} is past the largest byte offset"),
            ));
        };
        let mut pos = 0u64;
        while pos < data_size {
            let Some((run, within)) = start.checked_add(pos).and_then(|p| find_run(runs, p, cs))
            else {
                break;
            };
            let run_bytes = run.length.saturating_mul(cs);
            let n = (run_bytes - within).min(data_size - pos) as usize;
            let dst = &mut out[pos as usize..pos as usize + n];
            if let Some(lcn) = run.lcn {
                let Some(at) = lcn.checked_mul(cs).and_then(|b| b.checked_add(within)) else {
                    return Err(Error::format(
                        what,
                        0,
                        format!("run at LCN {lcn} is past the largest byte offset"),
                    ));
                };
                check_range(what, at, n as u64, self.source.len())?;
                self.source.read_at(at, dst)?;
            }
            pos += n as u64;
        }
        Ok(out)
    }

    /// An attribute's value, resident or not.
    pub fn attribute_value(&self, rec: &FileRecord, a: &Attribute<'_>) -> Result<Vec<u8>> {
        match &a.form {
            Form::Resident { value, .. } => Ok(value.to_vec()),
            Form::NonResident { .. } => {
                let (runs, size) = self.runs_of(rec, a)?;
                self.read_nonresident(&runs, size, attribute::type_name(a.type_code))
                    .map_err(|e| Error::record(rec.number, rec.offset + a.offset as u64, e))
            }
        }
    }

    /// The volume label (`$Volume`'s `$VOLUME_NAME`) and NTFS version (`$VOLUME_INFORMATION`).
    pub fn label_and_version(&self) -> (Option<String>, Option<(u8, u8)>) {
        let Ok(Some(rec)) = self.read_record(3) else {
            return (None, None);
        };
        let label = rec
            .find(attribute::VOLUME_NAME, "")
            .and_then(|a| a.resident_value().map(attribute::utf16_name));
        let version = rec.find(attribute::VOLUME_INFORMATION, "").and_then(|a| {
            a.resident_value()
                .and_then(|v| Some((*v.get(8)?, *v.get(9)?)))
        });
        (label, version)
    }
}

/// Finds the run holding logical byte `pos` (counted from VCN 0) and the offset inside it.
fn find_run(runs: &[Run], pos: u64, cs: u64) -> Option<(&Run, u64)> {
    let vcn = pos / cs;
    let i = runs.partition_point(|r| r.vcn + r.length <= vcn);
    let r = runs.get(i)?;
    if r.vcn > vcn {
        return None;
    }
    Some((r, pos - r.vcn * cs))
}

/// Maps byte `pos` of a non-resident stream to a volume byte offset and the bytes left in that
/// extent; `None` inside a sparse run or past the end.
pub fn map_position(runs: &[Run], pos: u64, cs: u64) -> Option<(u64, u64)> {
    let (r, within) = find_run(runs, pos, cs)?;
    let lcn = r.lcn?;
    Some((
        lcn.checked_mul(cs)?.checked_add(within)?,
        r.length.checked_mul(cs)? - within,
    ))
}

/// A source opened through its container and partition table, with its NTFS volume.
pub struct Opened {
    pub container: crate::container::Opened,
    pub volume: Volume,
}

impl Opened {
    /// Opens `path` (image, VHD, VHDX, disk or block device) and the NTFS volume in it.
    pub fn open(path: &std::path::Path, opts: &crate::container::OpenOptions) -> Result<Opened> {
        let container = crate::container::open(path, opts)?;
        let volume = Volume::open(container.volume.clone())?;
        Ok(Opened { container, volume })
    }
}
