//! `ntfs-inspect`: a thin command line over the `ntfs_inspect` library. Every fact printed here
//! comes from a public library type; this file only chooses and formats.

use clap::{Args, Parser, Subcommand, ValueEnum};
use ntfs_inspect::container::OpenOptions;
use ntfs_inspect::export::{self, Record, Selection};
use ntfs_inspect::file_name::filetime_iso;
use ntfs_inspect::path_table::PathTable;
use ntfs_inspect::resolve::Resolver;
use ntfs_inspect::scan::{Entry, Scan};
use ntfs_inspect::volume::Opened;
use ntfs_inspect::{attribute, reparse, Error};
use std::io::{self, BufWriter, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

/// Read NTFS straight from bytes: raw volumes, MBR/GPT disks, VHD, VHDX and live volumes,
/// read-only. Reports every MFT record, every hard link and path, and every reparse point.
#[derive(Parser)]
#[command(name = "ntfs-inspect", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// Where the NTFS volume is.
#[derive(Args, Clone)]
struct SourceArgs {
    /// Image file, VHD, VHDX, disk image, block device (/dev/sdb1) or Windows volume (\\.\C:).
    source: PathBuf,
    /// Partition number (1-based, as listed by `info`) when the disk has several NTFS partitions.
    #[arg(long, global = true)]
    partition: Option<u32>,
    /// Byte offset of the NTFS volume inside the disk; overrides the partition table.
    #[arg(long, global = true)]
    offset: Option<u64>,
    /// Drive letter the volume had, for resolving absolute link targets (default C).
    #[arg(long, global = true, default_value = "C")]
    drive: String,
}

#[derive(Subcommand)]
enum Command {
    /// Container, partition table, boot sector geometry, label, version and counts.
    Info {
        #[command(flatten)]
        src: SourceArgs,
    },
    /// List a directory like Windows `dir`: type, size, link count, reparse tag and target.
    Ls {
        #[command(flatten)]
        src: SourceArgs,
        /// Directory path (`\` or `/` separated) or #RECORD; the root by default.
        path: Option<String>,
    },
    /// Everything about one record: header, every attribute, every name and path.
    Stat {
        #[command(flatten)]
        src: SourceArgs,
        /// File path (`\` or `/` separated) or #RECORD.
        path: String,
    },
    /// Export every record: JSON lines, JSON, CSV or TSK bodyfile.
    Mft {
        #[command(flatten)]
        src: SourceArgs,
        #[arg(long, value_enum, default_value = "jsonl")]
        format: MftFormat,
        /// Include records not in use that still hold a valid record (deleted files).
        #[arg(long)]
        deleted: bool,
        /// Write to this file instead of stdout.
        #[arg(short, long)]
        output: Option<PathBuf>,
    },
    /// Every hard-linked file with all its paths, and every reparse point with its target and status.
    Links {
        #[command(flatten)]
        src: SourceArgs,
        #[arg(long, value_enum, default_value = "text")]
        format: LinksFormat,
    },
    /// One reparse point the way `fsutil reparsepoint query` shows it, then a hex dump.
    Reparse {
        #[command(flatten)]
        src: SourceArgs,
        /// File path or #RECORD.
        path: String,
        /// Write the exact `$REPARSE_POINT` attribute bytes to stdout instead.
        #[arg(long)]
        raw: bool,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum MftFormat {
    Jsonl,
    Json,
    Csv,
    Bodyfile,
}

#[derive(Clone, Copy, ValueEnum)]
enum LinksFormat {
    Text,
    Json,
    Jsonl,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // A closed pipe (`| head`) is the reader's choice, not an error.
            if let AppError::Output(err) = &e {
                if err.kind() == io::ErrorKind::BrokenPipe {
                    return ExitCode::SUCCESS;
                }
            }
            eprintln!("ntfs-inspect: {e}");
            ExitCode::from(e.exit_code())
        }
    }
}

#[derive(Debug)]
enum AppError {
    Lib(Error),
    Output(io::Error),
}

impl std::fmt::Display for AppError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AppError::Lib(e) => e.fmt(f),
            AppError::Output(e) => write!(f, "writing output: {e}"),
        }
    }
}

impl AppError {
    fn exit_code(&self) -> u8 {
        match self {
            AppError::Lib(e) => e.exit_code() as u8,
            AppError::Output(_) => 3,
        }
    }
}

impl From<Error> for AppError {
    fn from(e: Error) -> Self {
        AppError::Lib(e)
    }
}
impl From<io::Error> for AppError {
    fn from(e: io::Error) -> Self {
        AppError::Output(e)
    }
}

type AppResult = Result<(), AppError>;

fn open(src: &SourceArgs) -> Result<Opened, Error> {
    let opts = OpenOptions {
        partition: src.partition,
        offset: src.offset,
    };
    let opened = Opened::open(&src.source, &opts)?;
    for w in opened
        .container
        .warnings
        .iter()
        .chain(&opened.volume.warnings)
    {
        eprintln!("ntfs-inspect: warning: {w}");
    }
    Ok(opened)
}

fn drive(src: &SourceArgs) -> Result<char, Error> {
    let d = src.drive.trim_end_matches(':');
    let mut c = d.chars();
    match (c.next(), c.next()) {
        (Some(l), None) if l.is_ascii_alphabetic() => Ok(l.to_ascii_uppercase()),
        _ => Err(Error::Usage(format!(
            "--drive {} is not a drive letter",
            src.drive
        ))),
    }
}

/// Whether a progress line goes to stderr: a terminal, and a volume large enough to take a
/// while.
fn shows_progress(o: &Opened) -> bool {
    io::stderr().is_terminal() && o.volume.record_count() > 200_000
}

/// Runs a pass over every record of the volume, with a progress line on stderr when stderr is
/// a terminal and the volume is large.
fn with_progress<T>(o: &Opened, pass: impl FnOnce(&(dyn Fn(u64) + Sync)) -> T) -> T {
    let total = o.volume.record_count();
    if !shows_progress(o) {
        return pass(&|_| {});
    }
    let t = pass(&|done| {
        eprint!(
            "\rscanning MFT: {done}/{total} records ({}%)",
            done * 100 / total.max(1)
        );
    });
    eprintln!();
    t
}

/// Scans the volume (see [`with_progress`]) and prints a warning for every damaged record.
fn scan(o: &Opened) -> Scan {
    let scan = with_progress(o, |progress| Scan::with_progress(&o.volume, progress));
    for e in &scan.errors {
        eprintln!("ntfs-inspect: warning: {e}");
    }
    for e in scan.entries() {
        for p in &e.problems {
            eprintln!(
                "ntfs-inspect: warning: MFT record {} (byte offset {:#x}): {p}",
                e.record, e.offset
            );
        }
    }
    scan
}

/// The entry a command-line path (`\\a\\b`, `/a/b` or `#RECORD`) names.
fn find<'a>(scan: &'a Scan, path: &str) -> Result<&'a Entry, Error> {
    scan.lookup(path)
        .and_then(|n| scan.entry(n))
        .ok_or_else(|| Error::NotFound(format!("{path} is not on the volume")))
}

fn stdout() -> BufWriter<io::StdoutLock<'static>> {
    BufWriter::with_capacity(1 << 16, io::stdout().lock())
}

fn run(cli: Cli) -> AppResult {
    match cli.command {
        Command::Info { src } => info(&src),
        Command::Ls { src, path } => ls(&src, path.as_deref()),
        Command::Stat { src, path } => stat(&src, &path),
        Command::Mft {
            src,
            format,
            deleted,
            output,
        } => mft(&src, format, deleted, output),
        Command::Links { src, format } => links(&src, format),
        Command::Reparse { src, path, raw } => reparse_cmd(&src, &path, raw),
    }
}

fn info(src: &SourceArgs) -> AppResult {
    let o = open(src)?;
    // Counts only: the compact table is enough (a full Scan of 1M records holds ~800 MB).
    let s = path_table(&o);
    let c = &o.container;
    let b = &o.volume.boot;
    let mut w = stdout();
    writeln!(w, "Source:              {}", c.path.display())?;
    writeln!(w, "Container:           {}", c.container.description)?;
    match &c.partition_table {
        Some((scheme, parts)) => {
            writeln!(
                w,
                "Partition table:     {scheme}, {} partition(s)",
                parts.len()
            )?;
            for p in parts {
                let chosen = c.partition.as_ref().is_some_and(|q| q.index == p.index);
                writeln!(
                    w,
                    "  {} #{:<2} start {:>12} ({:#x})  length {:>12}  type {}{}",
                    if chosen { "*" } else { " " },
                    p.index,
                    p.start,
                    p.start,
                    p.len,
                    p.type_name,
                    p.name
                        .as_deref()
                        .map(|n| format!("  name {n:?}"))
                        .unwrap_or_default()
                )?;
            }
        }
        None => writeln!(w, "Partition table:     none (the volume starts the disk)")?,
    }
    writeln!(
        w,
        "Volume offset:       {} ({:#x})",
        c.volume_offset, c.volume_offset
    )?;
    writeln!(
        w,
        "Volume size:         {} bytes ({} sectors)",
        b.volume_size(),
        b.total_sectors
    )?;
    let (label, version) = o.volume.label_and_version();
    writeln!(
        w,
        "Volume label:        {}",
        label.as_deref().unwrap_or("(none)")
    )?;
    writeln!(
        w,
        "NTFS version:        {}",
        version
            .map(|(a, b)| format!("{a}.{b}"))
            .unwrap_or_else(|| "(unknown)".into())
    )?;
    writeln!(w, "Serial number:       {:016X}", b.serial_number)?;
    writeln!(w, "Bytes per sector:    {}", b.bytes_per_sector)?;
    writeln!(w, "Cluster size:        {}", b.cluster_size)?;
    writeln!(w, "File record size:    {}", b.file_record_size)?;
    writeln!(w, "Index record size:   {}", b.index_record_size)?;
    writeln!(
        w,
        "$MFT cluster:        {} (byte offset {:#x})",
        b.mft_lcn,
        b.mft_offset().unwrap_or(0)
    )?;
    writeln!(
        w,
        "$MFTMirr cluster:    {} (byte offset {:#x})",
        b.mft_mirror_lcn,
        b.mft_mirror_offset().unwrap_or(0)
    )?;
    writeln!(
        w,
        "$MFT size:           {} bytes in {} extent(s){}",
        o.volume.mft_size,
        o.volume.mft_runs.len(),
        if o.volume.mft_has_attribute_list {
            ", with an $ATTRIBUTE_LIST"
        } else {
            ""
        }
    )?;
    let sm = s.summary();
    writeln!(
        w,
        "MFT records:         {} slots, {} valid records",
        sm.record_slots, sm.valid_records
    )?;
    writeln!(
        w,
        "In use:              {} ({} files, {} directories)",
        sm.in_use, sm.files, sm.directories
    )?;
    writeln!(w, "Extension records:   {}", sm.extension_records)?;
    writeln!(w, "Deleted records:     {}", sm.deleted)?;
    writeln!(w, "Hard-linked files:   {}", sm.hard_linked_files)?;
    writeln!(w, "Reparse points:      {}", sm.reparse_points)?;
    writeln!(w, "Damaged records:     {}", sm.damaged_records)?;
    w.flush()?;
    Ok(())
}

/// `dir`-style type column for an entry.
fn type_column(e: &Entry, rp: Option<&reparse::ReparsePoint>) -> String {
    match rp {
        Some(rp) => match rp.kind() {
            "mount_point" => "<JUNCTION>".into(),
            "volume_mount_point" => "<MOUNTPOINT>".into(),
            "symlink" if e.directory => "<SYMLINKD>".into(),
            "symlink" => "<SYMLINK>".into(),
            _ if e.directory => "<DIR>".into(),
            _ => format!("{:>14}", e.data_size.unwrap_or(0)),
        },
        None if e.directory => "<DIR>".into(),
        None => format!("{:>14}", e.data_size.unwrap_or(0)),
    }
}

/// The ` [target]` part `dir` prints after a link's name, and our status.
fn target_column(rec: &Record<'_>) -> String {
    let Some(rp) = &rec.reparse else {
        return String::new();
    };
    let tag = rp.tag.name().unwrap_or("unknown tag");
    let shown = match &rp.content {
        Ok(reparse::ReparseContent::Symlink(s)) => s.print_name.clone(),
        Ok(reparse::ReparseContent::MountPoint(m)) => {
            if m.print_name.is_empty() {
                m.substitute_name.clone()
            } else {
                m.print_name.clone()
            }
        }
        Ok(reparse::ReparseContent::LxSymlink(l)) => l.target.clone(),
        Ok(_) => String::new(),
        Err(e) => format!("malformed: {} at {}: {}", e.field, e.offset, e.message),
    };
    let status = rec
        .target
        .as_ref()
        .map(|t| {
            format!(
                " ({}{})",
                t.status.as_str(),
                if t.ancestor { ", ancestor" } else { "" }
            )
        })
        .unwrap_or_default();
    if shown.is_empty() {
        format!(" [{tag}]")
    } else {
        format!(" [{shown}] {tag}{status}")
    }
}

fn ls(src: &SourceArgs, path: Option<&str>) -> AppResult {
    let o = open(src)?;
    let s = scan(&o);
    let resolver = Resolver::new(&s, drive(src)?);
    let e = find(&s, path.unwrap_or("\\"))?;
    let dir = e.record;
    if !e.directory {
        return Err(Error::Usage(format!("{} is not a directory", path.unwrap_or("\\"))).into());
    }
    let mut w = stdout();
    writeln!(
        w,
        " Directory of {}\n",
        s.dir_path(dir).unwrap_or_else(|| format!("#{dir}"))
    )?;
    writeln!(
        w,
        "{:<17}  {:>14}  {:>5}  {:>8}  {:<12}  Name",
        "Modified (UTC)", "Type/Size", "Links", "Record", "Short name"
    )?;
    let mut files = 0;
    let mut dirs = 0;
    for (child, name) in s.list_dir(dir) {
        if !name.namespace.is_link() {
            continue; // the DOS name is shown beside its long name
        }
        let rec = Record::new(&s, &resolver, child);
        let when = child
            .standard_information
            .map(|si| filetime_iso(si.times.modified))
            .unwrap_or_default();
        let when = when.get(..16).unwrap_or(&when).replace('T', " ");
        let short = child
            .dos_name()
            .filter(|_| name.namespace == ntfs_inspect::file_name::Namespace::Win32)
            .map(|d| d.name.as_str())
            .unwrap_or("");
        if child.directory {
            dirs += 1
        } else {
            files += 1
        }
        writeln!(
            w,
            "{when:<17}  {:>14}  {:>5}  {:>8}  {short:<12}  {}{}",
            type_column(child, rec.reparse.as_ref()),
            child.hard_links(),
            child.record,
            name.name,
            target_column(&rec)
        )?;
    }
    writeln!(w, "{files:>16} File(s)\n{dirs:>16} Dir(s)")?;
    w.flush()?;
    Ok(())
}

fn stat(src: &SourceArgs, path: &str) -> AppResult {
    let o = open(src)?;
    let s = scan(&o);
    let resolver = Resolver::new(&s, drive(src)?);
    let e = find(&s, path)?;
    let mut w = stdout();
    writeln!(w, "MFT record {} (byte offset {:#x})", e.record, e.offset)?;
    writeln!(w, "Sequence:          {}", e.sequence)?;
    writeln!(
        w,
        "State:             {}{}",
        if e.in_use {
            "in use"
        } else {
            "not in use (deleted)"
        },
        if e.directory { ", directory" } else { "" }
    )?;
    writeln!(w, "$LogFile LSN:      {}", e.lsn)?;
    writeln!(w, "Link count:        {} (record header)", e.link_count)?;
    writeln!(
        w,
        "Hard links:        {} (names that are not DOS 8.3 names)",
        e.hard_links()
    )?;
    if let Some(b) = e.base {
        writeln!(
            w,
            "Base record:       {} (sequence {}): this is an extension record",
            b.record, b.sequence
        )?;
    }
    if !e.extensions.is_empty() {
        writeln!(w, "Extension records: {:?}", e.extensions)?;
    }
    if let Some(si) = &e.standard_information {
        writeln!(w, "\n$STANDARD_INFORMATION")?;
        writeln!(
            w,
            "  Flags:           {:#x} {}",
            si.file_attributes,
            ntfs_inspect::standard_information::attribute_names(si.file_attributes).join(" ")
        )?;
        write_times(&mut w, &si.times)?;
        if let Some(id) = si.security_id {
            writeln!(
                w,
                "  Owner/Security:  {} / {}",
                si.owner_id.unwrap_or(0),
                id
            )?;
        }
        if let Some(usn) = si.usn {
            writeln!(w, "  USN:             {usn}")?;
        }
    }
    for name in &e.names {
        writeln!(
            w,
            "\n$FILE_NAME {:?} ({})",
            name.name,
            name.namespace.as_str()
        )?;
        writeln!(
            w,
            "  Parent:          record {} sequence {}",
            name.parent.record, name.parent.sequence
        )?;
        if name.namespace.is_link() {
            writeln!(w, "  Path:            {}", s.path_of(name))?;
        } else {
            writeln!(w, "  Path:            (DOS 8.3 name, not a hard link)")?;
        }
        writeln!(
            w,
            "  Flags:           {:#x} {}",
            name.file_attributes,
            ntfs_inspect::standard_information::attribute_names(name.file_attributes).join(" ")
        )?;
        if let Some(tag) = name.reparse_tag() {
            writeln!(w, "  Reparse tag:     {}", reparse::tag::ReparseTag(tag))?;
        }
        writeln!(
            w,
            "  Sizes:           allocated {}, real {}",
            name.allocated_size, name.real_size
        )?;
        write_times(&mut w, &name.times)?;
    }
    // Every attribute, from the base record and its extension records, as stored.
    writeln!(w, "\nAttributes:")?;
    for r in std::iter::once(e.record).chain(e.extensions.iter().copied()) {
        match o.volume.read_record(r) {
            Ok(Some(rec)) => {
                for a in rec.attributes() {
                    match a {
                        Ok(a) => {
                            let name = if a.name.is_empty() {
                                String::new()
                            } else {
                                format!(" {:?}", a.name)
                            };
                            let form = match &a.form {
                                attribute::Form::Resident { value, .. } => {
                                    format!("resident, {} bytes", value.len())
                                }
                                attribute::Form::NonResident {
                                    first_vcn,
                                    last_vcn,
                                    data_size,
                                    allocated_size,
                                    runs,
                                    ..
                                } => {
                                    let runs = ntfs_inspect::data_runs::decode(
                                        runs,
                                        *first_vcn,
                                        o.volume.total_clusters(),
                                        rec.offset + a.offset as u64,
                                    )
                                    .map(|rs| {
                                        rs.iter()
                                            .map(|r| match r.lcn {
                                                Some(l) => format!("{}+{}", l, r.length),
                                                None => format!("sparse+{}", r.length),
                                            })
                                            .collect::<Vec<_>>()
                                            .join(" ")
                                    })
                                    .unwrap_or_else(|e| format!("bad runs: {e}"));
                                    format!("non-resident, size {data_size}, allocated {allocated_size}, VCN {first_vcn}-{last_vcn}, runs {runs}")
                                }
                            };
                            writeln!(
                                w,
                                "  record {r:>6} +{:#05x}  {} ({:#x}) id {}{name}: {form}",
                                a.offset,
                                attribute::type_name(a.type_code),
                                a.type_code,
                                a.instance
                            )?;
                        }
                        Err(err) => writeln!(w, "  record {r}: {err}")?,
                    }
                }
            }
            Ok(None) => writeln!(w, "  record {r}: empty slot")?,
            Err(err) => writeln!(w, "  record {r}: {err}")?,
        }
    }
    if let Some(list) = &e.attribute_list {
        writeln!(w, "\n$ATTRIBUTE_LIST ({} entries)", list.len())?;
        for l in list {
            writeln!(
                w,
                "  {} ({:#x}){} in record {} (seq {}), first VCN {}, id {}",
                attribute::type_name(l.type_code),
                l.type_code,
                if l.name.is_empty() {
                    String::new()
                } else {
                    format!(" {:?}", l.name)
                },
                l.record.record,
                l.record.sequence,
                l.first_vcn,
                l.instance
            )?;
        }
    }
    if !e.streams.is_empty() {
        writeln!(w, "\nAlternate data streams:")?;
        for st in &e.streams {
            writeln!(
                w,
                "  {}:{}  {} bytes",
                e.primary_name().map(|n| n.name.as_str()).unwrap_or(""),
                st.name,
                st.size
            )?;
        }
    }
    let rec = Record::new(&s, &resolver, e);
    if let Some(rp) = &rec.reparse {
        writeln!(w, "\nReparse point: {} {}", rp.tag, target_column(&rec))?;
        if let Some(t) = &rec.target {
            writeln!(
                w,
                "  Resolution:      {} {} ({})",
                t.status.as_str(),
                t.path.as_deref().unwrap_or(""),
                t.reason
            )?;
        }
    }
    writeln!(w, "\nPaths:")?;
    for p in &rec.paths {
        writeln!(w, "  {p}")?;
    }
    if !e.problems.is_empty() {
        writeln!(w, "\nProblems:")?;
        for p in &e.problems {
            writeln!(w, "  {p}")?;
        }
    }
    w.flush()?;
    Ok(())
}

fn write_times(w: &mut impl Write, t: &ntfs_inspect::file_name::Times) -> io::Result<()> {
    writeln!(w, "  Created:         {}", filetime_iso(t.created))?;
    writeln!(w, "  Modified:        {}", filetime_iso(t.modified))?;
    writeln!(w, "  MFT modified:    {}", filetime_iso(t.mft_modified))?;
    writeln!(w, "  Accessed:        {}", filetime_iso(t.accessed))
}

/// The compact first pass for `mft` (see `PathTable`), with the same progress line and
/// warnings as [`scan`].
fn path_table(o: &Opened) -> PathTable<'_> {
    let t = with_progress(o, |progress| PathTable::with_progress(&o.volume, progress));
    for e in &t.errors {
        eprintln!("ntfs-inspect: warning: {e}");
    }
    for (record, offset, p) in &t.problems {
        eprintln!("ntfs-inspect: warning: MFT record {record} (byte offset {offset:#x}): {p}");
    }
    t
}

fn mft(src: &SourceArgs, format: MftFormat, deleted: bool, output: Option<PathBuf>) -> AppResult {
    let o = open(src)?;
    // Exports stream: a compact table first, then every record decoded again into the output,
    // so that memory does not grow with the number of records (docs/performance.md).
    let s = path_table(&o);
    let resolver = Resolver::new(&s, drive(src)?);
    let sel = Selection { deleted };
    let out: Box<dyn Write> = match &output {
        Some(p) => Box::new(
            std::fs::File::create(p)
                .map_err(|e| Error::io(format!("creating {}", p.display()), e))?,
        ),
        None => Box::new(io::stdout().lock()),
    };
    // The export of a large volume takes longer than its scan: say how far it is, on a
    // terminal, unless the output goes to that terminal too.
    let show = shows_progress(&o) && (output.is_some() || !io::stdout().is_terminal());
    let out: Box<dyn Write> = match show {
        true => Box::new(ExportProgress::new(out, |written, done| {
            eprint!("\rexporting: {} MiB written", written >> 20);
            if done {
                eprintln!();
            }
        })),
        false => out,
    };
    // Small: the exporters write whole rendered chunks (hundreds of KiB to MiBs each), which a
    // BufWriter passes straight through only when they are at least its capacity; below it,
    // every byte of the output was copied once more (a tenth of the CSV's instructions).
    let mut w = BufWriter::with_capacity(1 << 16, out);
    match format {
        MftFormat::Jsonl => export::json::write_jsonl(&mut w, &s, &resolver, sel)?,
        MftFormat::Json => export::json::write_json(&mut w, &s, &resolver, sel)?,
        MftFormat::Csv => export::csv::write(&mut w, &s, &resolver, sel)?,
        MftFormat::Bodyfile => export::bodyfile::write(&mut w, &s, &resolver, sel)?,
    }
    w.flush()?;
    Ok(())
}

/// Passes every byte to `inner` and calls `report(bytes written, finished)` each time another
/// 64 MiB have gone through, and once at the end: the export's progress line.
struct ExportProgress<W: Write, F: Fn(u64, bool)> {
    inner: W,
    report: F,
    written: u64,
    reported: u64,
}

impl<W: Write, F: Fn(u64, bool)> ExportProgress<W, F> {
    const EVERY: u64 = 64 << 20;

    fn new(inner: W, report: F) -> Self {
        ExportProgress {
            inner,
            report,
            written: 0,
            reported: 0,
        }
    }
}

impl<W: Write, F: Fn(u64, bool)> Write for ExportProgress<W, F> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.written += n as u64;
        if self.written - self.reported >= Self::EVERY {
            self.reported = self.written;
            (self.report)(self.written, false);
        }
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

impl<W: Write, F: Fn(u64, bool)> Drop for ExportProgress<W, F> {
    fn drop(&mut self) {
        (self.report)(self.written, true);
    }
}

fn links(src: &SourceArgs, format: LinksFormat) -> AppResult {
    let o = open(src)?;
    let s = scan(&o);
    let resolver = Resolver::new(&s, drive(src)?);
    let report = ntfs_inspect::resolve::LinkReport::new(&o.volume, &s, &resolver);
    let mut w = stdout();
    match format {
        LinksFormat::Json => {
            serde_json::to_writer_pretty(&mut w, &report).map_err(io::Error::other)?;
            writeln!(w)?;
        }
        LinksFormat::Jsonl => {
            for h in &report.hard_links {
                serde_json::to_writer(&mut w, &serde_json::json!({"type": "hard_link", "link": h}))
                    .map_err(io::Error::other)?;
                writeln!(w)?;
            }
            for r in &report.reparse_points {
                serde_json::to_writer(
                    &mut w,
                    &serde_json::json!({"type": "reparse_point", "link": r}),
                )
                .map_err(io::Error::other)?;
                writeln!(w)?;
            }
        }
        LinksFormat::Text => {
            writeln!(w, "Hard-linked files: {}", report.hard_links.len())?;
            for h in &report.hard_links {
                writeln!(
                    w,
                    "\n#{} links: {} hard link(s), header link count {}",
                    h.record, h.hard_links, h.link_count
                )?;
                for p in &h.paths {
                    writeln!(w, "  {p}")?;
                }
            }
            writeln!(w, "\nReparse points: {}", report.reparse_points.len())?;
            for r in &report.reparse_points {
                writeln!(w, "\n{}  <{}>  #{}", r.path, r.kind, r.record)?;
                writeln!(w, "  tag:    {}", r.tag)?;
                if let Some(t) = &r.link_text {
                    writeln!(
                        w,
                        "  target: {t}{}",
                        match r.relative {
                            Some(true) => " (relative)",
                            Some(false) => " (absolute)",
                            None => "",
                        }
                    )?;
                }
                if let Some(res) = &r.resolution {
                    writeln!(
                        w,
                        "  status: {}{}{}",
                        res.status.as_str(),
                        res.path
                            .as_deref()
                            .map(|p| format!(" {p}"))
                            .unwrap_or_default(),
                        res.record.map(|n| format!(" (#{n})")).unwrap_or_default()
                    )?;
                    writeln!(w, "          {}", res.reason)?;
                    let name = |n: &u64| {
                        format!(
                            "{} (#{n})",
                            s.paths(*n).first().map(String::as_str).unwrap_or("?")
                        )
                    };
                    if !res.chain.is_empty() {
                        writeln!(
                            w,
                            "  via:    {}",
                            res.chain.iter().map(name).collect::<Vec<_>>().join(" -> ")
                        )?;
                    }
                    if !res.cycle.is_empty() {
                        writeln!(
                            w,
                            "  cycle:  {}",
                            res.cycle.iter().map(name).collect::<Vec<_>>().join(" -> ")
                        )?;
                    }
                }
                if let Some(e) = &r.error {
                    writeln!(w, "  error:  {e}")?;
                }
            }
            match (&report.reparse_index_entries, &report.reparse_index_error) {
                (Some(n), _) => writeln!(w, "\n$Extend\\$Reparse:$R: {n} entries")?,
                (None, Some(e)) => writeln!(w, "\n$Extend\\$Reparse:$R unreadable: {e}")?,
                (None, None) => writeln!(w, "\n$Extend\\$Reparse:$R: not present")?,
            }
            writeln!(
                w,
                "Disagreements between $R, $REPARSE_POINT and $FILE_NAME tags: {}",
                report.disagreements.len()
            )?;
            for d in &report.disagreements {
                writeln!(w, "  #{}: {}", d.record, d.message)?;
            }
        }
    }
    w.flush()?;
    Ok(())
}

fn reparse_cmd(src: &SourceArgs, path: &str, raw: bool) -> AppResult {
    let o = open(src)?;
    let s = scan(&o);
    let resolver = Resolver::new(&s, drive(src)?);
    let e = find(&s, path)?;
    let n = e.record;
    let value = e.reparse.as_deref().ok_or_else(|| {
        Error::NotFound(format!(
            "{path} (record {n}) has no $REPARSE_POINT attribute"
        ))
    })?;
    let mut w = stdout();
    if raw {
        w.write_all(value)?;
        w.flush()?;
        return Ok(());
    }
    let rp = reparse::decode(value);
    writeln!(w, "{}", rp.describe().trim_end())?;
    if let Some(res) = resolver.resolve(n) {
        writeln!(
            w,
            "Resolution:          {} {}",
            res.status.as_str(),
            res.path.as_deref().unwrap_or("")
        )?;
        writeln!(w, "                     {}", res.reason)?;
    }
    writeln!(
        w,
        "\nReparse data ({} bytes, {}):",
        value.len(),
        if e.reparse_resident {
            "resident"
        } else {
            "non-resident"
        }
    )?;
    let color = io::stdout().is_terminal();
    let mut printer = hexyl::PrinterBuilder::new(&mut w)
        .show_color(color)
        .with_border_style(hexyl::BorderStyle::Unicode)
        .enable_squeezing(false)
        .build();
    printer.print_all(value).map_err(AppError::Output)?;
    w.flush()?;
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use std::cell::RefCell;

    #[test]
    fn export_progress_reports_every_64_mib_and_at_the_end() {
        let reports = RefCell::new(Vec::new());
        let mut bytes = Vec::new();
        {
            let mut w =
                ExportProgress::new(&mut bytes, |n, done| reports.borrow_mut().push((n, done)));
            let piece = vec![7u8; 3 << 20];
            for _ in 0..50 {
                w.write_all(&piece).unwrap();
            }
            w.write_all(b"end").unwrap();
            w.flush().unwrap();
        }
        assert_eq!(bytes.len(), 150 * (1 << 20) + 3);
        assert!(bytes.iter().take(150 << 20).all(|&b| b == 7) && bytes.ends_with(b"end"));
        let mib = |m: u64| m << 20;
        assert_eq!(
            reports.into_inner(),
            vec![(mib(66), false), (mib(132), false), (mib(150) + 3, true)]
        );
    }
}
