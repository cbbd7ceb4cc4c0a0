//! Random-access byte sources. Every container layer (VHD, VHDX, partition, live volume) is a
//! [`ReadAt`] over the layer below it; the NTFS code only ever sees the innermost one.
//!
//! Sources are read-only by construction: nothing here has a write method, and files are opened
//! with read access only.

use crate::error::{Error, Result};
use std::fs::File;
use std::path::Path;
use std::sync::Arc;

/// A read-only, random-access byte source of known length.
pub trait ReadAt: Send + Sync {
    /// Total length in bytes.
    fn len(&self) -> u64;

    /// True when the source has no bytes.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Fills `buf` with the bytes at `offset`. Reading past [`ReadAt::len`] is an
    /// [`Error::ShortRead`]; nothing is read partially.
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<()>;

    /// The whole source as one slice, when it is memory-mapped or in memory. Lets the MFT scan
    /// parse records in place instead of copying.
    fn as_slice(&self) -> Option<&[u8]> {
        None
    }

    /// A hint that `len` bytes at `offset` will be read soon, so that a cold page cache starts
    /// reading them in the background. Reads nothing, fails never; the default does nothing.
    fn will_need(&self, _offset: u64, _len: u64) {}
}

/// Shared handle to a source.
pub type Source = Arc<dyn ReadAt>;

/// Checks that `len` bytes at `offset` lie inside a source of `source_len` bytes.
pub fn check_range(what: &'static str, offset: u64, len: u64, source_len: u64) -> Result<()> {
    match offset.checked_add(len) {
        Some(end) if end <= source_len => Ok(()),
        _ => Err(Error::ShortRead {
            what,
            offset,
            len,
            source_len,
        }),
    }
}

/// Reads `len` bytes at `offset` into a new vector, after checking the range (so a lying length
/// field can never make us allocate more than the source holds).
pub fn read_vec(src: &dyn ReadAt, what: &'static str, offset: u64, len: u64) -> Result<Vec<u8>> {
    check_range(what, offset, len, src.len())?;
    let len = usize::try_from(len).map_err(|_| Error::ShortRead {
        what,
        offset,
        len,
        source_len: src.len(),
    })?;
    let mut buf = vec![0u8; len];
    src.read_at(offset, &mut buf)?;
    Ok(buf)
}

/// Bytes held in memory.
pub struct MemSource(pub Vec<u8>);

impl ReadAt for MemSource {
    fn len(&self) -> u64 {
        self.0.len() as u64
    }
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<()> {
        check_range("read", offset, buf.len() as u64, self.len())?;
        let start = offset as usize;
        buf.copy_from_slice(&self.0[start..start + buf.len()]);
        Ok(())
    }
    fn as_slice(&self) -> Option<&[u8]> {
        Some(&self.0)
    }
}

/// A window `[start, start + len)` of another source: a partition, or a volume at `--offset`.
pub struct Slice {
    inner: Source,
    start: u64,
    len: u64,
}

impl Slice {
    /// A window of `inner`; fails if the window does not fit.
    pub fn new(inner: Source, start: u64, len: u64) -> Result<Self> {
        check_range("partition", start, len, inner.len())?;
        Ok(Slice { inner, start, len })
    }
}

impl ReadAt for Slice {
    fn len(&self) -> u64 {
        self.len
    }
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<()> {
        check_range("read", offset, buf.len() as u64, self.len)?;
        self.inner.read_at(self.start + offset, buf)
    }
    fn as_slice(&self) -> Option<&[u8]> {
        let all = self.inner.as_slice()?;
        all.get(self.start as usize..(self.start + self.len) as usize)
    }
    fn will_need(&self, offset: u64, len: u64) {
        if offset < self.len {
            let len = len.min(self.len - offset);
            self.inner.will_need(self.start + offset, len);
        }
    }
}

/// A plain file (or a Linux block device), memory-mapped when possible and read with positioned
/// reads otherwise. Opened read-only.
pub struct FileSource {
    file: File,
    len: u64,
    map: Option<memmap2::Mmap>,
}

impl FileSource {
    /// Opens `path` read-only. Regular files are mapped; block devices and anything that cannot
    /// be mapped are read with positioned reads, with their size taken from the device.
    pub fn open(path: &Path) -> Result<Self> {
        let file =
            File::open(path).map_err(|e| Error::io(format!("opening {}", path.display()), e))?;
        let meta = file
            .metadata()
            .map_err(|e| Error::io(format!("reading metadata of {}", path.display()), e))?;
        let len = if meta.is_file() {
            meta.len()
        } else {
            device_len(&file)
                .map_err(|e| Error::io(format!("finding the size of {}", path.display()), e))?
        };
        let map = if meta.is_file() && len > 0 {
            map_file(&file)
        } else {
            None
        };
        Ok(FileSource { file, len, map })
    }
}

#[allow(unsafe_code)]
fn map_file(file: &File) -> Option<memmap2::Mmap> {
    // SAFETY: the map is read-only. If another process truncates the image while we read it, the
    // process may get SIGBUS; that is the documented trade-off of mapping (docs/dependencies.md),
    // and evidence images are not modified while being examined.
    unsafe { memmap2::Mmap::map(file) }.ok()
}

/// Size of a block device: seek to its end (works on Linux block devices; regular files use
/// their metadata length).
fn device_len(file: &File) -> std::io::Result<u64> {
    use std::io::{Seek, SeekFrom};
    let mut f = file;
    let len = f.seek(SeekFrom::End(0))?;
    f.seek(SeekFrom::Start(0))?;
    Ok(len)
}

/// Reads of at least this many bytes bypass the map.
const LARGE_READ: usize = 64 * 1024;

impl ReadAt for FileSource {
    fn len(&self) -> u64 {
        self.len
    }
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<()> {
        check_range("read", offset, buf.len() as u64, self.len)?;
        // Small reads come from the map; large ones (the scan's $MFT chunks) are positioned
        // reads: the kernel copies from the page cache without a page fault per 4 KiB.
        if let Some(map) = self.map.as_ref().filter(|_| buf.len() < LARGE_READ) {
            let start = offset as usize;
            buf.copy_from_slice(&map[start..start + buf.len()]);
            return Ok(());
        }
        read_exact_at(&self.file, offset, buf).map_err(|e| {
            Error::io(
                format!("reading {} bytes at byte offset {offset:#x}", buf.len()),
                e,
            )
        })
    }
    fn as_slice(&self) -> Option<&[u8]> {
        self.map.as_deref()
    }
    /// `madvise(MADV_WILLNEED)` on the mapped range: the kernel reads it ahead asynchronously,
    /// which keeps the disk busy while the scan decodes what it already has.
    fn will_need(&self, offset: u64, len: u64) {
        #[cfg(unix)]
        if let Some(map) = &self.map {
            if offset < self.len {
                let len = len.min(self.len - offset);
                let _ = map.advise_range(memmap2::Advice::WillNeed, offset as usize, len as usize);
            }
        }
        #[cfg(not(unix))]
        let _ = (offset, len);
    }
}

#[cfg(unix)]
fn read_exact_at(file: &File, offset: u64, buf: &mut [u8]) -> std::io::Result<()> {
    use std::os::unix::fs::FileExt;
    file.read_exact_at(buf, offset)
}

#[cfg(windows)]
fn read_exact_at(file: &File, mut offset: u64, mut buf: &mut [u8]) -> std::io::Result<()> {
    use std::os::windows::fs::FileExt;
    while !buf.is_empty() {
        let n = file.seek_read(buf, offset)?;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        buf = &mut buf[n..];
        offset += n as u64;
    }
    Ok(())
}

/// `std::io::Read + Seek` over a [`ReadAt`], for crates that want a reader (the `ntfs` crate).
pub struct Cursor {
    src: Source,
    pos: u64,
}

impl Cursor {
    /// A reader positioned at 0.
    pub fn new(src: Source) -> Self {
        Cursor { src, pos: 0 }
    }
}

impl std::io::Read for Cursor {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let left = self.src.len().saturating_sub(self.pos);
        let n = (buf.len() as u64).min(left) as usize;
        self.src
            .read_at(self.pos, &mut buf[..n])
            .map_err(|e| std::io::Error::other(e.to_string()))?;
        self.pos += n as u64;
        Ok(n)
    }
}

impl std::io::Seek for Cursor {
    fn seek(&mut self, pos: std::io::SeekFrom) -> std::io::Result<u64> {
        let new = match pos {
            std::io::SeekFrom::Start(p) => Some(p),
            std::io::SeekFrom::End(d) => self.src.len().checked_add_signed(d),
            std::io::SeekFrom::Current(d) => self.pos.checked_add_signed(d),
        };
        self.pos = new.ok_or_else(|| {
            std::io::Error::new(std::io::ErrorKind::InvalidInput, "seek before start")
        })?;
        Ok(self.pos)
    }
}

/// Bytes a differencing image does not hold itself: its parent's, or zeros without a parent
/// (and zeros past the parent's end). Shared by the VHD and VHDX readers.
pub(crate) fn read_parent_or_zeros(
    parent: Option<&Source>,
    offset: u64,
    buf: &mut [u8],
) -> Result<()> {
    match parent {
        None => {
            buf.fill(0);
            Ok(())
        }
        Some(p) => {
            let avail = p.len().saturating_sub(offset).min(buf.len() as u64) as usize;
            let (inside, past) = buf.split_at_mut(avail);
            if !inside.is_empty() {
                p.read_at(offset, inside)?;
            }
            past.fill(0);
            Ok(())
        }
    }
}

/// Fills `buf` run by run of sectors whose sector-bitmap bit is the same: `present(pos, part)`
/// for sectors the image holds, `absent(pos, part)` for the others (`pos` is the offset of `part`
/// in `buf`). `rel` is the byte position of `buf[0]` counted from sector 0 of the bitmap, and
/// `first`..=`last` the sectors `buf` covers. Shared by the VHD and VHDX readers.
pub(crate) fn read_by_sector_bitmap(
    buf: &mut [u8],
    rel: u64,
    sector_size: u64,
    (first, last): (u64, u64),
    bit: impl Fn(u64) -> bool,
    mut present: impl FnMut(usize, &mut [u8]) -> Result<()>,
    mut absent: impl FnMut(usize, &mut [u8]) -> Result<()>,
) -> Result<()> {
    let mut pos = 0usize;
    let mut s = first;
    while pos < buf.len() {
        let set = bit(s);
        let mut e = s;
        while e < last && bit(e + 1) == set {
            e += 1;
        }
        let run_end = ((e + 1) * sector_size).min(rel + buf.len() as u64);
        let n = (run_end - (rel + pos as u64)) as usize;
        let part = &mut buf[pos..pos + n];
        if set {
            present(pos, part)?;
        } else {
            absent(pos, part)?;
        }
        pos += n;
        s = e + 1;
    }
    Ok(())
}
