//! Resolving link targets inside the volume: junctions, symlinks (absolute, relative,
//! root-relative) and WSL (LX) symlinks, through chains of links and links in intermediate path
//! components, with a status for each link: it resolves, it is broken, it leaves the volume, or it
//! loops.
//!
//! How targets are read (so that the results match what Windows would do on this volume):
//! - An NT path `\??\C:\dir` is absolute on drive `C:`; the inspected volume is `C:` unless the
//!   caller says otherwise ([`Resolver::new`]'s `drive`). Another letter is `external`, and so are
//!   `\??\UNC\server\share` and `\??\Volume{GUID}\` targets.
//! - A relative symlink (`SYMLINK_FLAG_RELATIVE`) is relative to the directory holding the link;
//!   one starting with `\` is relative to the root of the link's volume.
//! - `.` and `..` are folded lexically, as the I/O manager does when it rebuilds the name from a
//!   relative symlink.
//! - An LX symlink holds a POSIX path: relative ones are relative to the link's directory;
//!   absolute `/mnt/<drive>/...` paths are that drive's path; other absolute paths are in the
//!   Linux file system, so `external`.
//! - At most [`MAX_HOPS`] links are followed, like Windows' limit of 63 reparse points in one
//!   name.

use crate::reparse::{self, ReparseContent};
use crate::scan::{Entry, Scan, ROOT};
use crate::tree::Tree;
use serde::Serialize;

/// How many links one resolution may follow (Windows: `MAXIMUM_REPARSE_POINT_HOPS`-like limit of 63).
pub const MAX_HOPS: usize = 63;

/// The four outcomes of resolving a link.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// The target exists on this volume.
    Resolves,
    /// The target is on this volume's drive but does not exist.
    Broken,
    /// The target is on another drive, a UNC share, another volume, or outside the NTFS volume.
    External,
    /// Following the links comes back to a link already followed.
    Loop,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Resolves => "resolves",
            Status::Broken => "broken",
            Status::External => "external",
            Status::Loop => "loop",
        }
    }
}

/// The outcome of resolving one link.
#[derive(Debug, Clone, Serialize)]
pub struct Resolution {
    pub status: Status,
    /// The target as a path on this volume (`\dir\file`), when it is on this volume.
    pub path: Option<String>,
    /// The record of the final target, when it resolves.
    pub record: Option<u64>,
    /// The links followed after the first one, in order (record numbers), for chains and loops.
    pub chain: Vec<u64>,
    /// For a loop, the cycle of link records.
    pub cycle: Vec<u64>,
    /// A directory link whose target is its own ancestor (or itself): it resolves, but a
    /// recursive walk that follows links would loop forever.
    pub ancestor: bool,
    /// Why, in words.
    pub reason: String,
}

/// What a link's buffer says its target is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkTarget {
    /// Components from the volume root (`\a\b` → ["a","b"]).
    Absolute(Vec<String>),
    /// Components relative to the link's directory (may contain `..`).
    Relative(Vec<String>),
    /// Outside this volume, with the reason.
    External(String),
}

/// The target a decoded reparse point names, for the link kinds we resolve.
pub fn link_target(content: &ReparseContent, drive: char) -> Option<LinkTarget> {
    let split = |s: &str, sep: &[char]| -> Vec<String> {
        s.split(sep)
            .filter(|c| !c.is_empty())
            .map(str::to_string)
            .collect()
    };
    match content {
        ReparseContent::MountPoint(m) => Some(nt_target(&m.substitute_name, false, drive)),
        ReparseContent::Symlink(s) => Some(nt_target(&s.substitute_name, s.is_relative(), drive)),
        ReparseContent::LxSymlink(l) => {
            let t = &l.target;
            if let Some(rest) = t.strip_prefix("/mnt/") {
                let mut parts = rest.splitn(2, '/');
                let d = parts.next().unwrap_or("");
                let tail = parts.next().unwrap_or("");
                let mut chars = d.chars();
                match (chars.next(), chars.next()) {
                    (Some(c), None) if c.eq_ignore_ascii_case(&drive) => {
                        Some(LinkTarget::Absolute(split(tail, &['/'])))
                    }
                    (Some(c), None) if c.is_ascii_alphabetic() => Some(LinkTarget::External(
                        format!("drive {}: (WSL path {t})", c.to_ascii_uppercase()),
                    )),
                    _ => Some(LinkTarget::External(format!(
                        "absolute Linux path {t} (not on an NTFS drive)"
                    ))),
                }
            } else if t.starts_with('/') {
                Some(LinkTarget::External(format!(
                    "absolute Linux path {t} (not on an NTFS drive)"
                )))
            } else {
                Some(LinkTarget::Relative(split(t, &['/'])))
            }
        }
        _ => None,
    }
}

/// Reads an NT path target (`\??\C:\x`, `\??\UNC\…`, `\??\Volume{…}\`, `..\x`, `\x`).
fn nt_target(sub: &str, relative: bool, drive: char) -> LinkTarget {
    let split = |s: &str| -> Vec<String> {
        s.split(['\\', '/'])
            .filter(|c| !c.is_empty())
            .map(str::to_string)
            .collect()
    };
    if relative {
        return if sub.starts_with('\\') {
            LinkTarget::Absolute(split(sub))
        } else {
            LinkTarget::Relative(split(sub))
        };
    }
    let rest = sub
        .strip_prefix("\\??\\")
        .or_else(|| sub.strip_prefix("\\\\?\\"))
        .or_else(|| sub.strip_prefix("\\DosDevices\\"))
        .unwrap_or(sub);
    if rest
        .get(..4)
        .is_some_and(|p| p.eq_ignore_ascii_case("UNC\\"))
    {
        return LinkTarget::External(format!("UNC path \\\\{}", &rest[4..]));
    }
    if rest.starts_with("\\\\") {
        return LinkTarget::External(format!("UNC path {rest}"));
    }
    if rest
        .get(..7)
        .is_some_and(|p| p.eq_ignore_ascii_case("Volume{"))
    {
        return LinkTarget::External(format!("volume {}", rest.trim_end_matches('\\')));
    }
    let mut chars = rest.chars();
    if let (Some(d), Some(':')) = (chars.next(), chars.next()) {
        if d.eq_ignore_ascii_case(&drive) {
            return LinkTarget::Absolute(split(&rest[2..]));
        }
        return LinkTarget::External(format!("drive {}:", d.to_ascii_uppercase()));
    }
    if rest.starts_with('\\') && sub == rest {
        // A bare `\dir` substitute name without the relative flag: root of the current volume.
        return LinkTarget::Absolute(split(rest));
    }
    LinkTarget::External(format!("unrecognised target {sub}"))
}

/// Folds `.` and `..` lexically; `..` at the root stays at the root.
fn normalize(parts: impl IntoIterator<Item = String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for p in parts {
        match p.as_str() {
            "." => {}
            ".." => {
                out.pop();
            }
            _ => out.push(p),
        }
    }
    out
}

/// Resolves links against one scanned volume.
pub struct Resolver<'a> {
    scan: &'a dyn Tree,
    drive: char,
}

enum Walk {
    Found(u64),
    Missing(String),
    External(String),
    Loop(Vec<u64>),
}

impl<'a> Resolver<'a> {
    /// `drive` is the letter the inspected volume has (usually `C`).
    pub fn new(scan: &'a dyn Tree, drive: char) -> Self {
        Resolver {
            scan,
            drive: drive.to_ascii_uppercase(),
        }
    }

    /// The decoded link target of record `n`, if it is a link we resolve.
    fn target_of(&self, n: u64) -> Option<LinkTarget> {
        if !self.scan.may_be_reparse_point(n) {
            return None;
        }
        self.target_in(&*self.scan.entry(n)?)
    }

    /// The decoded link target `e` holds, if it is a link we resolve.
    fn target_in(&self, e: &Entry) -> Option<LinkTarget> {
        let rp = reparse::decode(e.reparse.as_ref()?);
        let content = rp.content.as_ref().ok()?;
        link_target(content, self.drive)
    }

    /// Components of the directory holding record `n` (its primary name's parent).
    fn dir_components(&self, n: u64) -> Vec<String> {
        let Some(p) = self.scan.primary_path(n) else {
            return Vec::new();
        };
        let mut parts: Vec<String> = p
            .split('\\')
            .filter(|c| !c.is_empty())
            .map(str::to_string)
            .collect();
        parts.pop();
        parts
    }

    /// Absolute components a link's target points at (None: external, with reason).
    fn absolute(&self, link: u64, t: LinkTarget) -> Result<Vec<String>, String> {
        match t {
            LinkTarget::Absolute(p) => Ok(normalize(p)),
            LinkTarget::Relative(p) => {
                Ok(normalize(self.dir_components(link).into_iter().chain(p)))
            }
            LinkTarget::External(r) => Err(r),
        }
    }

    /// Walks `parts` from the root, following links in every component (and in the last one
    /// when `follow_last`). `followed` holds the links followed so far, for loop detection.
    fn walk(&self, parts: Vec<String>, follow_last: bool, followed: &mut Vec<u64>) -> Walk {
        let mut parts = parts;
        'restart: loop {
            let mut cur = ROOT;
            for i in 0..parts.len() {
                let Some(next) = self.scan.child(cur, &parts[i]) else {
                    return Walk::Missing(format!("\\{}", parts[..=i].join("\\")));
                };
                let last = i + 1 == parts.len();
                if !last || follow_last {
                    if let Some(t) = self.target_of(next) {
                        if let Some(at) = followed.iter().position(|&r| r == next) {
                            return Walk::Loop(followed[at..].to_vec());
                        }
                        if followed.len() > MAX_HOPS {
                            return Walk::Loop(followed.clone());
                        }
                        followed.push(next);
                        let base = match self.absolute(next, t) {
                            Ok(b) => b,
                            Err(r) => return Walk::External(r),
                        };
                        parts = normalize(base.into_iter().chain(parts[i + 1..].iter().cloned()));
                        continue 'restart;
                    }
                }
                cur = next;
            }
            return Walk::Found(cur);
        }
    }

    /// Resolves the link in record `n`; `None` when it is not a link we resolve.
    pub fn resolve(&self, n: u64) -> Option<Resolution> {
        if !self.scan.may_be_reparse_point(n) {
            return None;
        }
        self.resolve_entry(&*self.scan.entry(n)?)
    }

    /// Resolves the link `e` holds (the entry of its record, as the tree gives it), without
    /// looking the record up again; `None` when it is not a link we resolve.
    pub fn resolve_entry(&self, e: &Entry) -> Option<Resolution> {
        let n = e.record;
        let t = self.target_in(e)?;
        let mk = |status, path: Option<String>, record, reason: String| Resolution {
            status,
            path,
            record,
            chain: Vec::new(),
            cycle: Vec::new(),
            ancestor: false,
            reason,
        };
        let parts = match self.absolute(n, t) {
            Ok(p) => p,
            Err(reason) => return Some(mk(Status::External, None, None, reason)),
        };
        let display = format!("\\{}", parts.join("\\"));
        let mut followed = vec![n];
        let mut r = match self.walk(parts, true, &mut followed) {
            Walk::Found(rec) => {
                let path = self.scan.first_path(rec).unwrap_or(display);
                mk(
                    Status::Resolves,
                    Some(path),
                    Some(rec),
                    "target exists".into(),
                )
            }
            Walk::Missing(at) => mk(
                Status::Broken,
                Some(display),
                None,
                format!("{at} does not exist"),
            ),
            Walk::External(reason) => mk(
                Status::External,
                Some(display),
                None,
                format!("a link on the way leads off the volume: {reason}"),
            ),
            Walk::Loop(cycle) => {
                let mut r = mk(
                    Status::Loop,
                    Some(display),
                    None,
                    format!("links loop through records {cycle:?}"),
                );
                r.cycle = cycle;
                r
            }
        };
        r.chain = followed.into_iter().skip(1).collect();
        if let (Status::Resolves, Some(target)) = (r.status, r.record) {
            if self.scan.is_directory(target) == Some(true) && self.is_ancestor_or_self(target, n) {
                r.ancestor = true;
                r.reason = "target is an ancestor of the link: it resolves, but a recursive walk that follows links loops".into();
            }
        }
        Some(r)
    }

    /// True when directory `dir` is `link`'s directory or one of its ancestors.
    fn is_ancestor_or_self(&self, dir: u64, link: u64) -> bool {
        let mut cur = link;
        for _ in 0..4096 {
            let Some(parent) = self.scan.primary_parent(cur) else {
                return false;
            };
            if parent == dir {
                return true;
            }
            if parent == cur || cur == ROOT {
                return false;
            }
            cur = parent;
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nt_targets() {
        let abs = |v: &[&str]| LinkTarget::Absolute(v.iter().map(|s| s.to_string()).collect());
        assert_eq!(nt_target("\\??\\C:\\a\\b", false, 'C'), abs(&["a", "b"]));
        assert_eq!(nt_target("\\??\\c:\\a", false, 'C'), abs(&["a"]));
        assert!(matches!(
            nt_target("\\??\\D:\\a", false, 'C'),
            LinkTarget::External(_)
        ));
        assert!(matches!(
            nt_target("\\??\\UNC\\srv\\share", false, 'C'),
            LinkTarget::External(_)
        ));
        assert!(matches!(
            nt_target(
                "\\??\\Volume{01234567-89ab-cdef-0123-456789abcdef}\\",
                false,
                'C'
            ),
            LinkTarget::External(_)
        ));
        assert_eq!(nt_target("\\x\\y", true, 'C'), abs(&["x", "y"]));
        assert_eq!(
            nt_target("..\\x", true, 'C'),
            LinkTarget::Relative(vec!["..".into(), "x".into()])
        );
    }

    #[test]
    fn normalize_folds_dots() {
        let v = |s: &[&str]| s.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(normalize(v(&["a", "b", "..", ".", "c"])), v(&["a", "c"]));
        assert_eq!(normalize(v(&["..", "..", "a"])), v(&["a"]));
    }
}

/// One hard-linked file for the `links` report.
#[derive(Debug, Clone, Serialize)]
pub struct HardLinkedFile {
    pub record: u64,
    pub sequence: u16,
    /// The header link count (counts DOS names too).
    pub link_count: u16,
    /// The true number of hard links.
    pub hard_links: usize,
    pub paths: Vec<String>,
}

/// One reparse point for the `links` report.
#[derive(Debug, Clone, Serialize)]
pub struct ReparseLink {
    pub record: u64,
    pub path: String,
    pub directory: bool,
    pub tag: String,
    pub tag_value: u32,
    pub kind: &'static str,
    /// The target as the buffer's print name (or substitute name / LX target) says it.
    pub link_text: Option<String>,
    pub substitute_name: Option<String>,
    pub print_name: Option<String>,
    /// For symlinks: the `SYMLINK_FLAG_RELATIVE` flag; junctions are always absolute.
    pub relative: Option<bool>,
    pub resolution: Option<Resolution>,
    /// A malformed buffer's error.
    pub error: Option<String>,
}

/// Every hard-linked file and every reparse point of a volume.
#[derive(Debug, Clone, Serialize)]
pub struct LinkReport {
    pub hard_links: Vec<HardLinkedFile>,
    pub reparse_points: Vec<ReparseLink>,
    /// Entries in `$Extend\$Reparse:$R` (None when the volume has none or it is unreadable).
    pub reparse_index_entries: Option<usize>,
    /// Where `$R`, `$REPARSE_POINT` and the `$FILE_NAME` tags disagree.
    pub disagreements: Vec<crate::index::Disagreement>,
    /// Why `$R` could not be read, if it could not.
    pub reparse_index_error: Option<String>,
}

impl LinkReport {
    /// Collects the report from a scan (in-use base records only).
    pub fn new(vol: &crate::volume::Volume, scan: &Scan, resolver: &Resolver<'_>) -> LinkReport {
        let mut hard_links = Vec::new();
        let mut reparse_points = Vec::new();
        for e in scan.files() {
            if e.hard_links() > 1 {
                hard_links.push(HardLinkedFile {
                    record: e.record,
                    sequence: e.sequence,
                    link_count: e.link_count,
                    hard_links: e.hard_links(),
                    paths: scan.paths(e.record),
                });
            }
            let Some(v) = &e.reparse else { continue };
            let rp = reparse::decode(v);
            let (sub, print, relative, text) = match &rp.content {
                Ok(ReparseContent::Symlink(s)) => (
                    Some(s.substitute_name.clone()),
                    Some(s.print_name.clone()),
                    Some(s.is_relative()),
                    Some(s.print_name.clone()),
                ),
                Ok(ReparseContent::MountPoint(m)) => {
                    let text = if m.print_name.is_empty() {
                        m.substitute_name.clone()
                    } else {
                        m.print_name.clone()
                    };
                    (
                        Some(m.substitute_name.clone()),
                        Some(m.print_name.clone()),
                        Some(false),
                        Some(text),
                    )
                }
                Ok(ReparseContent::LxSymlink(l)) => (
                    None,
                    None,
                    Some(!l.target.starts_with('/')),
                    Some(l.target.clone()),
                ),
                Ok(ReparseContent::AppExecLink(a)) => (None, None, None, Some(a.exe_path.clone())),
                _ => (None, None, None, None),
            };
            for path in scan.paths(e.record) {
                reparse_points.push(ReparseLink {
                    record: e.record,
                    path,
                    directory: e.directory,
                    tag: rp.tag.to_string(),
                    tag_value: rp.tag.0,
                    kind: rp.kind(),
                    link_text: text.clone(),
                    substitute_name: sub.clone(),
                    print_name: print.clone(),
                    relative,
                    resolution: resolver.resolve(e.record),
                    error: rp
                        .content
                        .as_ref()
                        .err()
                        .map(|e| format!("{} at byte {}: {}", e.field, e.offset, e.message)),
                });
            }
        }
        let (index, reparse_index_error) = match crate::index::reparse_index(vol, scan) {
            Ok(i) => (i, None),
            Err(e) => (None, Some(e.to_string())),
        };
        LinkReport {
            hard_links,
            reparse_points,
            reparse_index_entries: index.as_ref().map(Vec::len),
            disagreements: crate::index::cross_check(scan, index.as_deref()),
            reparse_index_error,
        }
    }
}
