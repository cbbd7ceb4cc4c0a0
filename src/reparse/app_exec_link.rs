//! IO_REPARSE_TAG_APPEXECLINK: app execution aliases (`%LOCALAPPDATA%\Microsoft\WindowsApps\*.exe`).
//!
//! Not in MS-FSCC beyond the tag (2.1.2.1). Layout from public reverse engineering (James
//! Forshaw's NtObjectManager `ExecutionAliasReparseBuffer`, Windows Internals 7th ed. part 2
//! ch. 11 "fsutil reparsepoint query" experiment): after the 8-byte header,
//!
//! | data offset | size | field |
//! |---|---|---|
//! | 0 | 4 | Version (3) |
//! | 4 | .. | NUL-terminated UTF-16LE strings: package id, app user model id, target exe path, application type |
//!
//! We require the first three strings and their terminators, take the fourth when present and
//! keep any further strings (lenient: future versions may add some).

use super::{json, need, u32_at, utf16le_lossy, ReparseError, Value};

/// Names of the strings, in order, for error messages.
const STRING_FIELDS: [&str; 4] = [
    "PackageId",
    "AppUserModelId",
    "TargetPath",
    "ApplicationType",
];

/// A decoded app execution alias.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct AppExecLink {
    /// Version (3 on every Windows 10/11 build seen).
    pub version: u32,
    /// Package family/full name, e.g. `Microsoft.WindowsTerminal_8wekyb3d8bbwe`.
    pub package_id: String,
    /// Application user model id, e.g. `Microsoft.WindowsTerminal_8wekyb3d8bbwe!App`.
    pub app_user_model_id: String,
    /// The executable the alias launches.
    pub exe_path: String,
    /// The fourth string (application type), when present.
    pub application_type: Option<String>,
    /// Any strings after the fourth.
    pub extra_strings: Vec<String>,
}

impl AppExecLink {
    pub(crate) fn json_fields(&self) -> Vec<(&'static str, Value)> {
        vec![
            ("version", json!(self.version)),
            ("package_id", json!(self.package_id)),
            ("app_user_model_id", json!(self.app_user_model_id)),
            ("exe_path", json!(self.exe_path)),
            ("application_type", json!(self.application_type)),
            ("extra_strings", json!(self.extra_strings)),
        ]
    }

    pub(crate) fn describe_fields(&self) -> Vec<(String, String)> {
        let mut out = vec![
            ("Version".to_string(), self.version.to_string()),
            ("Package ID".to_string(), self.package_id.clone()),
            ("Entry Point".to_string(), self.app_user_model_id.clone()),
            ("Executable".to_string(), self.exe_path.clone()),
        ];
        if let Some(t) = &self.application_type {
            out.push(("Application Type".to_string(), t.clone()));
        }
        for s in &self.extra_strings {
            out.push(("Extra String".to_string(), s.clone()));
        }
        out
    }
}

/// Decodes the data of an APPEXECLINK reparse point; `base` is the value offset of `data`.
pub fn decode(
    data: &[u8],
    base: usize,
    warnings: &mut Vec<String>,
) -> Result<AppExecLink, ReparseError> {
    need(data, base, &[("Version", 4)])?;
    let version = u32_at(data, 0).unwrap_or(0);
    if version != 3 {
        warnings.push(format!("AppExecLink Version is {version}, expected 3"));
    }
    let mut strings: Vec<String> = Vec::new();
    let mut pos = 4usize;
    while pos < data.len() {
        let field = STRING_FIELDS
            .get(strings.len())
            .copied()
            .unwrap_or("ExtraString");
        let rest = data.get(pos..).unwrap_or(&[]);
        let nul = rest
            .chunks_exact(2)
            .position(|c| c == [0, 0])
            .ok_or_else(|| {
                ReparseError::new(
                    field,
                    base + pos,
                    format!(
                        "UTF-16 string has no NUL terminator before the end of the data ({} bytes left)",
                        rest.len()
                    ),
                )
            })?;
        strings.push(utf16le_lossy(rest.get(..nul * 2).unwrap_or(&[])));
        pos += nul * 2 + 2;
    }
    if strings.len() < 3 {
        let field = STRING_FIELDS
            .get(strings.len())
            .copied()
            .unwrap_or("TargetPath");
        return Err(ReparseError::new(
            field,
            base + data.len(),
            format!(
                "missing: the data holds only {} string(s), 3 needed",
                strings.len()
            ),
        ));
    }
    let mut it = strings.into_iter();
    Ok(AppExecLink {
        version,
        package_id: it.next().unwrap_or_default(),
        app_user_model_id: it.next().unwrap_or_default(),
        exe_path: it.next().unwrap_or_default(),
        application_type: it.next(),
        extra_strings: it.collect(),
    })
}
