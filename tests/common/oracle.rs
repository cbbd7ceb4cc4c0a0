//! Parsers for the independent oracles' answers recorded under `images/oracle/<fixture>/` by
//! `images/make-fixtures.sh` (and, same formats, `images/record-windows-oracles.sh`):
//! `fls.txt` (The Sleuth Kit `fls -r -p`), `fls-m.txt` (its body file, `fls -r -m /`), `istat.txt` (`istat` per record, `==== <n>`
//! separators), `fsntfsinfo.txt` (libfsntfs `fsntfsinfo -E all`), `reparse.txt` (ntfs-3g
//! `getfattr -e hex -n system.ntfs_reparse_data`) and `images/oracle/containers.txt`.
//! See `images/MANIFEST.md`. Plain std, so the tests need no oracle tool at run time.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::PathBuf;

/// `images/oracle/<fixture>/`.
pub fn oracle_dir(fixture: &str) -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/images/oracle")).join(fixture)
}

/// Path of a committed container, e.g. `image_path("basic-fixed.vhd")`.
pub fn image_path(file: &str) -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/images")).join(file)
}

/// The text of `images/oracle/<fixture>/<file>`; panics with the path when missing.
pub fn read_oracle(fixture: &str, file: &str) -> String {
    let p = oracle_dir(fixture).join(file);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// The fixtures this crate builds itself (see `images/MANIFEST.md`).
pub const FIXTURES: &[&str] = &["basic", "reparse", "mbr-disk", "gpt-disk"];

/// fls's `/`-separated path as our `\`-separated path from the root: `docs/a.txt` → `\docs\a.txt`.
pub fn to_backslash(fls_path: &str) -> String {
    format!("\\{}", fls_path.replace('/', "\\"))
}

// ---------------------------------------------------------------- body files

/// One line of a body file (The Sleuth Kit 3.x format, `MD5|name|inode|mode|UID|GID|size|atime|
/// mtime|ctime|crtime`), as `fls -r -m /` writes it and as our bodyfile export does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BodyLine {
    /// The name field: the path, then ` ($FILE_NAME)` on a name's line, then ` (deleted)`.
    pub name: String,
    pub record: u64,
    /// The attribute type of the inode field (`142-128-2` or our `142-128`: 128).
    pub attr_type: Option<u32>,
    pub mode: String,
    pub size: u64,
    /// atime, mtime, ctime (the MFT entry's change), crtime, in seconds since 1970.
    pub times: [i64; 4],
}

impl BodyLine {
    /// A ` ($FILE_NAME)` line: a name's own times and size.
    pub fn is_file_name(&self) -> bool {
        self.name.contains(" ($FILE_NAME)")
    }
    /// A named stream's line (`/a.txt:secret`, `/$Secure:$SDS`).
    pub fn is_stream(&self) -> bool {
        let path = self.name.split(" (").next().unwrap_or(&self.name);
        path.rsplit('/').next().unwrap_or(path).contains(':')
    }
}

/// Parses a body file; lines that do not have eleven fields are left out.
pub fn parse_body(text: &str) -> Vec<BodyLine> {
    text.lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split('|').collect();
            if f.len() != 11 {
                return None;
            }
            let mut inode = f[2].split('-');
            let record = inode.next()?.parse().ok()?;
            let attr_type = inode.next().and_then(|t| t.parse().ok());
            let t = |i: usize| f[i].parse::<i64>().ok();
            Some(BodyLine {
                name: f[1].to_string(),
                record,
                attr_type,
                mode: f[3].to_string(),
                size: f[6].parse().ok()?,
                times: [t(7)?, t(8)?, t(9)?, t(10)?],
            })
        })
        .collect()
}

/// `images/oracle/<fixture>/fls-m.txt`, parsed.
pub fn fls_body(fixture: &str) -> Vec<BodyLine> {
    parse_body(&read_oracle(fixture, "fls-m.txt"))
}

// ---------------------------------------------------------------- fls

/// One line of `fls -r -p`: one per (non-DOS) name, plus one per named stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlsEntry {
    /// As fls prints it, `/`-separated, no leading `/`, stream suffix included (`ads.txt:secret`).
    pub path: String,
    /// `path` without the `:stream` suffix.
    pub name_path: String,
    /// Named stream (`secret` for `ads.txt:secret`; `$SDS` for `$Secure:$SDS`), if any.
    pub stream: Option<String>,
    pub record: u64,
    /// fls -p does not print sequence numbers (the `-128-2` is attribute type and id): always
    /// `None` here; take it from [`istat_sequence`] or [`fsntfsinfo_entries`].
    pub sequence: Option<u16>,
    /// Attribute type (128 = `$DATA`, 144 = `$INDEX_ROOT`), absent for `$OrphanFiles` lines.
    pub attr_type: Option<u32>,
    pub attr_id: Option<u16>,
    /// The `*` mark: the name (or record) is deleted.
    pub deleted: bool,
    /// `(realloc)`: name deleted, record reused.
    pub realloc: bool,
    /// Meta type, the letter after `/`: `r` file, `d` directory, `V` virtual, `-` unknown.
    pub kind: char,
    /// Directory-entry type, the letter before `/`.
    pub name_kind: char,
}

impl FlsEntry {
    /// True for the virtual `$OrphanFiles` tree that TSK makes up.
    pub fn is_virtual(&self) -> bool {
        self.kind == 'V' || self.path.starts_with("$OrphanFiles")
    }
}

/// Parses one `fls -r -p` line.
pub fn parse_fls_line(line: &str) -> Option<FlsEntry> {
    let (left, path) = line.split_once('\t')?;
    let left = left.trim_end().strip_suffix(':')?;
    let mut toks = left.split_whitespace();
    let types = toks.next()?;
    let mut chars = types.chars();
    let name_kind = chars.next()?;
    if chars.next()? != '/' {
        return None;
    }
    let kind = chars.next()?;
    let mut addr = toks.next()?;
    let mut deleted = false;
    if addr == "*" {
        deleted = true;
        addr = toks.next()?;
    }
    let realloc = addr.ends_with("(realloc)");
    let addr = addr.trim_end_matches("(realloc)");
    let mut parts = addr.split('-');
    let record = parts.next()?.parse().ok()?;
    let attr_type = parts.next().and_then(|s| s.parse().ok());
    let attr_id = parts.next().and_then(|s| s.parse().ok());
    let last_start = path.rfind('/').map_or(0, |i| i + 1);
    let (name_path, stream) = match path[last_start..].find(':') {
        Some(i) => (
            path[..last_start + i].to_string(),
            Some(path[last_start + i + 1..].to_string()),
        ),
        None => (path.to_string(), None),
    };
    Some(FlsEntry {
        path: path.to_string(),
        name_path,
        stream,
        record,
        sequence: None,
        attr_type,
        attr_id,
        deleted,
        realloc,
        kind,
        name_kind,
    })
}

/// Every line of `images/oracle/<fixture>/fls.txt`, in fls's order.
pub fn fls_paths(fixture: &str) -> Vec<FlsEntry> {
    read_oracle(fixture, "fls.txt")
        .lines()
        .filter_map(parse_fls_line)
        .collect()
}

/// fls names without stream lines and without the virtual `$OrphanFiles` tree: record →
/// sorted `\`-separated paths (deleted names included; filter on [`fls_paths`] if needed).
pub fn fls_names_by_record(fixture: &str) -> BTreeMap<u64, Vec<String>> {
    let mut m: BTreeMap<u64, Vec<String>> = BTreeMap::new();
    for e in fls_paths(fixture) {
        if e.stream.is_some() || e.is_virtual() {
            continue;
        }
        let v = m.entry(e.record).or_default();
        let p = to_backslash(&e.path);
        if !v.contains(&p) {
            v.push(p);
        }
    }
    for v in m.values_mut() {
        v.sort();
    }
    m
}

// ---------------------------------------------------------------- istat

/// What `istat` printed for one record.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IstatEntry {
    pub record: u64,
    /// `Entry: <n>  Sequence: <s>`.
    pub sequence: Option<u16>,
    /// `Links:`, the header's hard-link count.
    pub links: Option<u16>,
    /// `Allocated ...` (true) / `Not Allocated ...` (false).
    pub allocated: Option<bool>,
    /// `... Directory` vs `... File`.
    pub directory: Option<bool>,
    /// `Name:` lines of the `$FILE_NAME Attribute Values:` sections (DOS names included).
    pub names: Vec<String>,
    /// `(parent record, parent sequence)` of each `$FILE_NAME` section, same order as `names`.
    pub parents: Vec<(u64, u16)>,
    /// The `$STANDARD_INFORMATION` times as istat prints them (`2013-12-03 06:30:41.807907700
    /// (UTC)`): created, file modified, MFT modified, accessed.
    pub si_times: Option<[String; 4]>,
    /// Each `$FILE_NAME` section's times, same order as `names`.
    pub name_times: Vec<[String; 4]>,
    /// The `$STANDARD_INFORMATION` section's `Flags:` (`Hidden, System, Archive`).
    pub si_flags: Option<String>,
    /// Each `$FILE_NAME` section's `Flags:`, same order as `names`.
    pub name_flags: Vec<String>,
    /// The `Type: $X (type-id) ...` lines of the `Attributes:` list, as printed.
    pub attributes: Vec<String>,
    /// istat printed an error instead (e.g. a never-used record).
    pub error: Option<String>,
}

/// istat's four time lines, in its order.
const TIME_LABELS: [&str; 4] = ["Created:", "File Modified:", "MFT Modified:", "Accessed:"];

/// `images/oracle/<fixture>/istat.txt`, record → entry.
pub fn istat_entries(fixture: &str) -> BTreeMap<u64, IstatEntry> {
    let text = read_oracle(fixture, "istat.txt");
    let mut out = BTreeMap::new();
    let mut cur: Option<IstatEntry> = None;
    let mut in_file_name = false;
    // Inside a $STANDARD_INFORMATION or $FILE_NAME section, before its four times.
    let (mut in_times, mut times) = (false, Vec::new());
    for line in text.lines() {
        if let Some(n) = line.strip_prefix("==== ") {
            if let Some(e) = cur.take() {
                out.insert(e.record, e);
            }
            let record = n.trim().parse().unwrap_or(u64::MAX);
            cur = Some(IstatEntry {
                record,
                ..Default::default()
            });
            in_file_name = false;
            (in_times, times) = (false, Vec::new());
            continue;
        }
        let Some(e) = cur.as_mut() else { continue };
        if line.starts_with("istat:") || line.starts_with("Error") {
            e.error.get_or_insert_with(|| line.to_string());
        } else if let Some(rest) = line.strip_prefix("Entry: ") {
            if let Some((_, s)) = rest.split_once("Sequence: ") {
                e.sequence = s.trim().parse().ok();
            }
        } else if let Some(l) = line.strip_prefix("Links: ") {
            e.links = l.trim().parse().ok();
        } else if matches!(
            line,
            "Allocated File"
                | "Allocated Directory"
                | "Not Allocated File"
                | "Not Allocated Directory"
        ) {
            e.allocated = Some(line.starts_with("Allocated "));
            e.directory = Some(line.ends_with("Directory"));
        } else if line.ends_with("Attribute Values:") {
            in_file_name = line.starts_with("$FILE_NAME");
            in_times = line.starts_with("$FILE_NAME") || line.starts_with("$STANDARD_INFORMATION");
            if in_times {
                times.clear();
            }
        } else if let Some(t) = TIME_LABELS
            .iter()
            .find_map(|l| line.strip_prefix(l))
            .filter(|_| in_times)
        {
            times.push(t.trim().to_string());
            if times.len() == 4 {
                let four = <[String; 4]>::try_from(std::mem::take(&mut times)).unwrap_or_default();
                if in_file_name {
                    e.name_times.push(four);
                } else {
                    e.si_times = Some(four);
                }
                in_times = false;
            }
        } else if let Some(f) = line.strip_prefix("Flags:").filter(|_| in_times) {
            if in_file_name {
                e.name_flags.push(f.trim().to_string());
            } else {
                e.si_flags = Some(f.trim().to_string());
            }
        } else if in_file_name && line.starts_with("Name: ") {
            e.names.push(line["Name: ".len()..].to_string());
        } else if in_file_name && line.starts_with("Parent MFT Entry: ") {
            let rest = &line["Parent MFT Entry: ".len()..];
            let mut it = rest.split_whitespace();
            let p = it.next().and_then(|s| s.parse().ok()).unwrap_or(u64::MAX);
            let s = rest
                .split_once("Sequence: ")
                .and_then(|(_, s)| s.trim().parse().ok())
                .unwrap_or(u16::MAX);
            e.parents.push((p, s));
        } else if line.starts_with("Type: ") {
            e.attributes.push(line.to_string());
        }
    }
    if let Some(e) = cur.take() {
        out.insert(e.record, e);
    }
    out
}

/// Record → istat's `Links:` (the header count), for every record istat could read.
pub fn istat_link_counts(fixture: &str) -> BTreeMap<u64, u16> {
    istat_entries(fixture)
        .into_values()
        .filter_map(|e| Some((e.record, e.links?)))
        .collect()
}

/// Record → istat's `Sequence:`.
pub fn istat_sequence(fixture: &str) -> BTreeMap<u64, u16> {
    istat_entries(fixture)
        .into_values()
        .filter_map(|e| Some((e.record, e.sequence?)))
        .collect()
}

/// Record → in use (istat `Allocated` / `Not Allocated`).
pub fn istat_allocated(fixture: &str) -> BTreeMap<u64, bool> {
    istat_entries(fixture)
        .into_values()
        .filter_map(|e| Some((e.record, e.allocated?)))
        .collect()
}

// ---------------------------------------------------------------- fsntfsinfo

/// One `$FILE_NAME` as fsntfsinfo prints it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OracleName {
    pub name: String,
    /// As printed: `POSIX (0)`, `Windows (1)`, `DOS (2)`, `DOS and Windows (3)`.
    pub namespace: String,
    pub parent: u64,
    pub parent_sequence: Option<u16>,
}

impl OracleName {
    /// The number in the parentheses of [`OracleName::namespace`].
    pub fn namespace_code(&self) -> Option<u8> {
        let open = self.namespace.rfind('(')?;
        self.namespace[open + 1..]
            .trim_end_matches(')')
            .parse()
            .ok()
    }
}

/// One `MFT entry: <n> information:` block of `fsntfsinfo -E all`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FsntfsEntry {
    pub record: u64,
    /// From `File reference: <n>-<seq>`.
    pub sequence: Option<u16>,
    /// `Is allocated`.
    pub allocated: Option<bool>,
    /// `Base record file reference`: `None` for base records (`Not set (0)`), `(record,
    /// sequence)` of the base for extension records.
    pub base: Option<(u64, u16)>,
    /// The `$FILE_NAME`s listed in the block. For a base record with an `$ATTRIBUTE_LIST`
    /// these include the ones stored in its extension records (which fsntfsinfo also prints
    /// again under each extension record's own block).
    pub names: Vec<OracleName>,
    /// Attribute type names in order (`$STANDARD_INFORMATION`, `$FILE_NAME`, ...).
    pub attribute_types: Vec<String>,
    /// `Tag` of a `$REPARSE_POINT`.
    pub reparse_tag: Option<u32>,
    pub reparse_substitute: Option<String>,
    pub reparse_print: Option<String>,
    /// The block reported an error instead of attributes.
    pub error: Option<String>,
}

fn parse_ref(s: &str) -> Option<(u64, u16)> {
    let (r, q) = s.trim().split_once('-')?;
    Some((r.trim().parse().ok()?, q.trim().parse().ok()?))
}

/// `images/oracle/<fixture>/fsntfsinfo.txt`, record → entry (every record fsntfsinfo printed).
pub fn fsntfsinfo_entries(fixture: &str) -> BTreeMap<u64, FsntfsEntry> {
    let text = read_oracle(fixture, "fsntfsinfo.txt");
    let mut out = BTreeMap::new();
    let mut cur: Option<FsntfsEntry> = None;
    let mut attr_type = String::new();
    let mut pending_parent: Option<(u64, Option<u16>)> = None;
    let mut pending_ns: Option<String> = None;
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("MFT entry: ") {
            if let Some(e) = cur.take() {
                out.insert(e.record, e);
            }
            let n = rest
                .split_whitespace()
                .next()
                .unwrap_or("")
                .trim_end_matches(':');
            cur = Some(FsntfsEntry {
                record: n.parse().unwrap_or(u64::MAX),
                ..Default::default()
            });
            attr_type.clear();
            pending_parent = None;
            pending_ns = None;
            continue;
        }
        let Some(e) = cur.as_mut() else { continue };
        let t = line.trim_start();
        if line.starts_with("Unable") || line.starts_with("Error") || line.contains(": unable to ")
        {
            e.error.get_or_insert_with(|| line.to_string());
            continue;
        }
        let Some((key, value)) = t.split_once(": ") else {
            continue;
        };
        let key = key.trim();
        match key {
            "Is allocated" => e.allocated = Some(value.trim() == "true"),
            "File reference" if attr_type.is_empty() => e.sequence = parse_ref(value).map(|r| r.1),
            "Base record file reference" => {
                e.base = parse_ref(value).filter(|r| r.0 != 0 || r.1 != 0)
            }
            "Type" => {
                attr_type = value.split_whitespace().next().unwrap_or("").to_string();
                e.attribute_types.push(attr_type.clone());
                pending_parent = None;
                pending_ns = None;
            }
            "Parent file reference" if attr_type == "$FILE_NAME" => {
                pending_parent = parse_ref(value).map(|(r, s)| (r, Some(s)));
            }
            "Name space" if attr_type == "$FILE_NAME" => {
                pending_ns = Some(value.trim().to_string())
            }
            "Name" if attr_type == "$FILE_NAME" => {
                let (parent, parent_sequence) = pending_parent.take().unwrap_or((u64::MAX, None));
                e.names.push(OracleName {
                    name: value.to_string(),
                    namespace: pending_ns.take().unwrap_or_default(),
                    parent,
                    parent_sequence,
                });
            }
            "Tag" if attr_type == "$REPARSE_POINT" => {
                e.reparse_tag = u32::from_str_radix(value.trim().trim_start_matches("0x"), 16).ok();
            }
            "Substitute name" if attr_type == "$REPARSE_POINT" => {
                e.reparse_substitute = Some(value.to_string())
            }
            "Print name" if attr_type == "$REPARSE_POINT" => {
                e.reparse_print = Some(value.to_string())
            }
            _ => {}
        }
    }
    if let Some(e) = cur.take() {
        out.insert(e.record, e);
    }
    out
}

/// `images/oracle/<fixture>/fsntfsinfo-errors.txt`: entry (as written after `==== `, a record
/// number or `all`) → fsntfsinfo's error messages. `fsntfsinfo -E all` stops at the first entry
/// it cannot print (the malformed reparse point of `reparse`); the entries after it were printed
/// one by one. Empty map when there were no errors.
pub fn fsntfsinfo_errors(fixture: &str) -> BTreeMap<String, String> {
    let p = oracle_dir(fixture).join("fsntfsinfo-errors.txt");
    let Ok(text) = std::fs::read_to_string(&p) else {
        return BTreeMap::new();
    };
    let mut out: BTreeMap<String, String> = BTreeMap::new();
    let mut cur: Option<String> = None;
    for line in text.lines() {
        if let Some(k) = line.strip_prefix("==== ") {
            cur = Some(k.trim().to_string());
            out.entry(k.trim().to_string()).or_default();
        } else if let Some(k) = &cur {
            let v = out.entry(k.clone()).or_default();
            v.push_str(line);
            v.push('\n');
        }
    }
    out
}

/// Base record → its `$FILE_NAME`s (all namespaces, DOS included, extension records' names
/// included through the attribute list); extension records themselves are left out so that
/// no name is counted twice. Records without names are left out.
pub fn fsntfsinfo_names(fixture: &str) -> BTreeMap<u64, Vec<OracleName>> {
    fsntfsinfo_entries(fixture)
        .into_values()
        .filter(|e| e.base.is_none() && !e.names.is_empty())
        .map(|e| (e.record, e.names))
        .collect()
}

// ---------------------------------------------------------------- reparse.txt

/// Undoes getfattr's escaping of file names (`\ooo` octal bytes, `\\`).
fn getfattr_unescape(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\'
            && i + 3 < b.len()
            && b[i + 1..i + 4].iter().all(|c| (b'0'..=b'7').contains(c))
        {
            out.push((b[i + 1] - b'0') * 64 + (b[i + 2] - b'0') * 8 + (b[i + 3] - b'0'));
            i += 4;
        } else if b[i] == b'\\' && i + 1 < b.len() && b[i + 1] == b'\\' {
            out.push(b'\\');
            i += 2;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex_bytes(s: &str) -> Vec<u8> {
    let s = s.trim().trim_start_matches("0x");
    (0..s.len() / 2)
        .filter_map(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).ok())
        .collect()
}

/// `images/oracle/<fixture>/reparse.txt`: path (`/`-separated, relative to the root, as
/// getfattr prints it) → the whole reparse buffer (header included), as ntfs-3g returned it.
/// Empty map for fixtures without the file.
pub fn reparse_values(fixture: &str) -> BTreeMap<String, Vec<u8>> {
    let p = oracle_dir(fixture).join("reparse.txt");
    let Ok(text) = std::fs::read_to_string(&p) else {
        return BTreeMap::new();
    };
    let mut out = BTreeMap::new();
    let mut path: Option<String> = None;
    for line in text.lines() {
        if let Some(f) = line.strip_prefix("# file: ") {
            path = Some(getfattr_unescape(f));
        } else if let Some(v) = line.strip_prefix("system.ntfs_reparse_data=") {
            if let Some(p) = path.take() {
                out.insert(p, hex_bytes(v));
            }
        }
    }
    out
}

/// The reparse tag of a buffer (first four bytes, little endian).
pub fn reparse_tag(buffer: &[u8]) -> Option<u32> {
    Some(u32::from_le_bytes(buffer.get(..4)?.try_into().ok()?))
}

// ---------------------------------------------------------------- containers.txt

/// One line of `images/oracle/containers.txt`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContainerInfo {
    pub file: String,
    /// Size of the raw disk the container decodes to.
    pub virtual_size: u64,
    /// sha256 (lower-case hex) of that raw disk (`qemu-img convert -O raw`).
    pub sha256: String,
    /// Byte offset and length of the NTFS volume in it, and the volume bytes' sha256.
    pub ntfs_offset: u64,
    pub ntfs_size: u64,
    pub ntfs_sha256: String,
}

/// Every line of `images/oracle/containers.txt`.
pub fn containers() -> Vec<ContainerInfo> {
    let p = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/images/oracle/containers.txt"
    ));
    let text = std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .filter_map(|l| {
            let mut it = l.split_whitespace();
            let file = it.next()?.to_string();
            let kv: BTreeMap<&str, &str> = it.filter_map(|t| t.split_once('=')).collect();
            Some(ContainerInfo {
                file,
                virtual_size: kv.get("virtual_size")?.parse().ok()?,
                sha256: kv.get("sha256")?.to_string(),
                ntfs_offset: kv.get("ntfs_offset")?.parse().ok()?,
                ntfs_size: kv.get("ntfs_size")?.parse().ok()?,
                ntfs_sha256: kv.get("ntfs_sha256")?.to_string(),
            })
        })
        .collect()
}

/// sha256 of the raw disk a container (`basic-fixed.vhd`, ...) decodes to.
pub fn container_sha256(file: &str) -> String {
    containers()
        .into_iter()
        .find(|c| c.file == file)
        .map(|c| c.sha256)
        .unwrap_or_else(|| panic!("{file} is not in images/oracle/containers.txt"))
}
