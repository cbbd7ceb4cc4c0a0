//! The JSON record (one object per base record); the schema is documented in
//! `docs/export.md`.

use super::Record;
use crate::file_name::{FileTimeIso, Times};
use crate::standard_information::attribute_names;
use serde::ser::{SerializeMap, Serializer};
use serde::Serialize;

struct TimesJson<'a>(&'a Times);

impl Serialize for TimesJson<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(4))?;
        m.serialize_entry("created", &FileTimeIso(self.0.created))?;
        m.serialize_entry("modified", &FileTimeIso(self.0.modified))?;
        m.serialize_entry("mft_modified", &FileTimeIso(self.0.mft_modified))?;
        m.serialize_entry("accessed", &FileTimeIso(self.0.accessed))?;
        m.end()
    }
}

struct NameJson<'a>(&'a crate::file_name::FileName);

impl Serialize for NameJson<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let n = self.0;
        let mut m = s.serialize_map(Some(6))?;
        m.serialize_entry("name", &n.name)?;
        m.serialize_entry("namespace", n.namespace.as_str())?;
        m.serialize_entry("parent", &n.parent.record)?;
        m.serialize_entry("parent_sequence", &n.parent.sequence)?;
        m.serialize_entry("file_attributes", &n.file_attributes)?;
        m.serialize_entry("times", &TimesJson(&n.times))?;
        m.end()
    }
}

struct ReparseJson<'a>(&'a Record<'a>);

impl Serialize for ReparseJson<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        // The decoder's own object, with the resolution added as `target`.
        let Some(rp) = &self.0.reparse else {
            return s.serialize_none();
        };
        let mut v = serde_json::to_value(rp).map_err(serde::ser::Error::custom)?;
        if let serde_json::Value::Object(o) = &mut v {
            o.insert("resident".into(), self.0.entry.reparse_resident.into());
            let t = match &self.0.target {
                Some(r) => serde_json::to_value(r).map_err(serde::ser::Error::custom)?,
                None => serde_json::Value::Null,
            };
            o.insert("target".into(), t);
        }
        v.serialize(s)
    }
}

impl Serialize for Record<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let e = self.entry;
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("record", &e.record)?;
        m.serialize_entry("sequence", &e.sequence)?;
        m.serialize_entry("in_use", &e.in_use)?;
        m.serialize_entry("directory", &e.directory)?;
        m.serialize_entry("link_count", &e.link_count)?;
        m.serialize_entry("hard_links", &e.hard_links())?;
        let names: Vec<NameJson<'_>> = e.names.iter().map(NameJson).collect();
        m.serialize_entry("names", &names)?;
        m.serialize_entry("paths", &self.paths)?;
        m.serialize_entry("size", &e.data_size)?;
        m.serialize_entry("allocated_size", &e.allocated_size)?;
        let streams: Vec<(&str, u64)> = e
            .streams
            .iter()
            .map(|s| (s.name.as_str(), s.size))
            .collect();
        m.serialize_entry(
            "streams",
            &streams
                .iter()
                .map(|(n, z)| serde_json::json!({"name": n, "size": z}))
                .collect::<Vec<_>>(),
        )?;
        match &e.standard_information {
            Some(si) => {
                m.serialize_entry("si_times", &TimesJson(&si.times))?;
                m.serialize_entry("si_flags", &si.file_attributes)?;
                m.serialize_entry("si_flag_names", &attribute_names(si.file_attributes))?;
            }
            None => {
                m.serialize_entry("si_times", &None::<()>)?;
                m.serialize_entry("si_flags", &None::<()>)?;
                m.serialize_entry("si_flag_names", &Vec::<&str>::new())?;
            }
        }
        m.serialize_entry("reparse", &ReparseJson(self))?;
        m.serialize_entry("extension_records", &e.extensions)?;
        m.serialize_entry("problems", &e.problems)?;
        m.end()
    }
}

use super::Selection;
use crate::resolve::Resolver;
use crate::scan::Scan;
use std::io::{self, Write};

/// One JSON object per line for every selected record.
pub fn write_jsonl(
    w: &mut impl Write,
    scan: &Scan,
    resolver: &Resolver<'_>,
    sel: Selection,
) -> io::Result<()> {
    super::write_parallel(w, scan, sel, |_, e, buf| {
        serde_json::to_writer(&mut *buf, &Record::new(scan, resolver, e))
            .map_err(io::Error::other)?;
        buf.push(b'\n');
        Ok(())
    })
}

/// One JSON array of every selected record.
pub fn write_json(
    w: &mut impl Write,
    scan: &Scan,
    resolver: &Resolver<'_>,
    sel: Selection,
) -> io::Result<()> {
    w.write_all(b"[\n")?;
    super::write_parallel(w, scan, sel, |i, e, buf| {
        if i > 0 {
            buf.extend_from_slice(b",\n");
        }
        serde_json::to_writer(&mut *buf, &Record::new(scan, resolver, e)).map_err(io::Error::other)
    })?;
    w.write_all(b"\n]\n")
}
