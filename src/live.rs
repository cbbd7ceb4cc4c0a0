//! Live volumes and disks: `\\.\C:` and `\\.\PhysicalDriveN` on Windows, block devices
//! (`/dev/sdb1`, `/dev/nvme0n1p2`, `/dev/loop0`) on Linux.
//!
//! A Windows volume or disk handle only accepts reads whose offset and length are multiples of
//! the device's logical sector size (and, opened with `FILE_FLAG_NO_BUFFERING`, whose buffer is
//! aligned in memory to it too). The NTFS code reads at any offset and length, so
//! [`AlignedReader`] sits in between: it widens every read to whole sectors, reads them into a
//! sector-aligned bounce buffer (at most [`CHUNK`] bytes at a time) and copies the wanted bytes
//! out. The sector size is asked of the device, never assumed.
//!
//! Linux block devices opened without `O_DIRECT` go through the page cache and accept any
//! offset and length, so [`open_path`] opens them with [`FileSource`] (positioned reads, size
//! taken from the device). Everything here is read-only: devices are opened for reading only.

use crate::error::{Error, Result};
use crate::source::{check_range, FileSource, ReadAt, Source};
use std::fs::File;
use std::io;
use std::path::Path;
use std::sync::Arc;

/// Largest single read issued to the device (1 MiB, a multiple of every sector size up to it).
pub const CHUNK: usize = 1 << 20;

/// A device that only accepts reads at sector-aligned offsets, of whole sectors, into
/// sector-aligned memory.
pub trait SectorDevice: Send + Sync {
    /// Logical sector size in bytes (a power of two).
    fn sector_size(&self) -> u32;

    /// Length in bytes.
    fn len(&self) -> u64;

    /// True when the device has no bytes.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Fills `buf` with the bytes at `offset`. `offset`, `buf.len()` and the address of `buf`
    /// are multiples of [`SectorDevice::sector_size`]. When the length of the device is not a
    /// multiple of the sector size (a plain file read through this path), the last sector may
    /// be asked for whole: the bytes past the end must be filled with zeros.
    fn read_aligned(&self, offset: u64, buf: &mut [u8]) -> io::Result<()>;
}

/// A [`ReadAt`] over a [`SectorDevice`]: turns any read into sector-aligned ones.
pub struct AlignedReader<D> {
    dev: D,
    sector: usize,
    len: u64,
    name: String,
}

impl<D: SectorDevice> AlignedReader<D> {
    /// Wraps `dev`; `name` (e.g. `\\.\C:`) is used in error messages. Fails when the sector
    /// size is not a power of two of at least 512 bytes.
    pub fn new(dev: D, name: impl Into<String>) -> Result<Self> {
        let sector = dev.sector_size();
        let name = name.into();
        if sector < 512 || !sector.is_power_of_two() || sector as usize > CHUNK {
            return Err(Error::Unsupported(format!(
                "{name}: sector size {sector} (expected a power of two from 512 to {CHUNK})"
            )));
        }
        let len = dev.len();
        Ok(AlignedReader {
            dev,
            sector: sector as usize,
            len,
            name,
        })
    }

    /// The device underneath.
    pub fn device(&self) -> &D {
        &self.dev
    }

    /// The sector size reads are aligned to.
    pub fn sector_size(&self) -> u32 {
        self.sector as u32
    }

    fn read_error(&self, offset: u64, len: usize, e: io::Error) -> Error {
        Error::io(
            format!(
                "reading {len} bytes at byte offset {offset:#x} of {} ({}-byte sectors)",
                self.name, self.sector
            ),
            e,
        )
    }
}

/// A zeroed buffer of `len` bytes whose address is a multiple of `align` (a power of two),
/// returned as the vector that owns it and the offset of the aligned part inside it.
fn aligned_buffer(len: usize, align: usize) -> (Vec<u8>, usize) {
    let v = vec![0u8; len + align];
    let addr = v.as_ptr() as usize;
    let start = (align - addr % align) % align;
    (v, start)
}

impl<D: SectorDevice> ReadAt for AlignedReader<D> {
    fn len(&self) -> u64 {
        self.len
    }

    fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<()> {
        check_range("read", offset, buf.len() as u64, self.len)?;
        if buf.is_empty() {
            return Ok(());
        }
        let s = self.sector as u64;
        // Already aligned in every way: read straight into the caller's buffer, in chunks.
        if offset % s == 0
            && buf.len() % self.sector == 0
            && buf.as_ptr() as usize % self.sector == 0
        {
            let mut pos = offset;
            for piece in buf.chunks_mut(CHUNK) {
                self.dev
                    .read_aligned(pos, piece)
                    .map_err(|e| self.read_error(pos, piece.len(), e))?;
                pos += piece.len() as u64;
            }
            return Ok(());
        }
        // The whole sectors that cover [offset, offset + len), read one chunk at a time.
        let end = offset + buf.len() as u64;
        let first = offset - offset % s;
        let last = end.div_ceil(s) * s;
        let span = usize::try_from(last - first)
            .unwrap_or(usize::MAX)
            .min(CHUNK);
        let (mut storage, start) = aligned_buffer(span, self.sector);
        let bounce = &mut storage[start..start + span];
        let mut pos = first;
        while pos < end {
            let n = ((last - pos) as usize).min(CHUNK);
            let piece = &mut bounce[..n];
            self.dev
                .read_aligned(pos, piece)
                .map_err(|e| self.read_error(pos, n, e))?;
            // The part of this chunk that the caller asked for.
            let from = offset.max(pos);
            let to = end.min(pos + n as u64);
            buf[(from - offset) as usize..(to - offset) as usize]
                .copy_from_slice(&piece[(from - pos) as usize..(to - pos) as usize]);
            pos += n as u64;
        }
        Ok(())
    }
}

/// An open file or device handle read with positioned reads, that refuses (with
/// `InvalidInput`) any read that is not sector-aligned in offset, length and memory, so a
/// misaligned read is caught on every platform and not only by a real Windows volume.
pub struct HandleDevice {
    file: File,
    sector: u32,
    len: u64,
}

impl HandleDevice {
    /// A device over an open `file` of `len` bytes with `sector`-byte sectors.
    pub fn new(file: File, sector: u32, len: u64) -> Self {
        HandleDevice { file, sector, len }
    }
}

impl SectorDevice for HandleDevice {
    fn sector_size(&self) -> u32 {
        self.sector
    }

    fn len(&self) -> u64 {
        self.len
    }

    fn read_aligned(&self, mut offset: u64, mut buf: &mut [u8]) -> io::Result<()> {
        let s = self.sector as usize;
        if offset % s as u64 != 0 || buf.len() % s != 0 || buf.as_ptr() as usize % s != 0 {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "unaligned read of {} bytes at byte offset {offset:#x} (sector size {s})",
                    buf.len()
                ),
            ));
        }
        while !buf.is_empty() {
            let n = positioned_read(&self.file, offset, buf)?;
            if n == 0 {
                if offset >= self.len {
                    // The tail of the last, partial sector of a plain file.
                    buf.fill(0);
                    return Ok(());
                }
                return Err(io::ErrorKind::UnexpectedEof.into());
            }
            buf = &mut buf[n..];
            offset += n as u64;
        }
        Ok(())
    }
}

#[cfg(unix)]
fn positioned_read(file: &File, offset: u64, buf: &mut [u8]) -> io::Result<usize> {
    use std::os::unix::fs::FileExt;
    file.read_at(buf, offset)
}

/// `ReadFile` with the offset in an `OVERLAPPED` structure (synchronous handle), which is what
/// `seek_read` does.
#[cfg(windows)]
fn positioned_read(file: &File, offset: u64, buf: &mut [u8]) -> io::Result<usize> {
    use std::os::windows::fs::FileExt;
    // A device handle caps one ReadFile at u32::MAX bytes; our chunks are far smaller.
    file.seek_read(buf, offset)
}

/// Opens a plain file (or, on Linux, a block device) through the aligned path: the same
/// [`HandleDevice`] and [`AlignedReader`] as a Windows volume, with `sector_size` given by the
/// caller. Used to test the aligned path against fixture files on every platform.
pub fn open_file_aligned(path: &Path, sector_size: u32) -> Result<Source> {
    let file = open_read_only(path, false)?;
    let len = file_len(&file)
        .map_err(|e| Error::io(format!("finding the size of {}", path.display()), e))?;
    let dev = HandleDevice::new(file, sector_size, len);
    Ok(Arc::new(AlignedReader::new(
        dev,
        path.display().to_string(),
    )?))
}

fn file_len(file: &File) -> io::Result<u64> {
    let meta = file.metadata()?;
    if meta.is_file() {
        return Ok(meta.len());
    }
    use std::io::{Seek, SeekFrom};
    let mut f = file;
    let len = f.seek(SeekFrom::End(0))?;
    f.seek(SeekFrom::Start(0))?;
    Ok(len)
}

#[cfg(not(windows))]
fn open_read_only(path: &Path, _device: bool) -> Result<File> {
    File::open(path).map_err(|e| Error::io(format!("opening {}", path.display()), e))
}

/// True for the paths that name a Windows device rather than a file: `\\.\C:`,
/// `\\.\PhysicalDrive0` (also written `//./C:`), and the NT device namespace through
/// `\\?\GLOBALROOT\Device\...` (volume shadow copies:
/// `\\?\GLOBALROOT\Device\HarddiskVolumeShadowCopy1`). Only Windows opens these through the
/// device reader; elsewhere it is just a name.
pub fn is_device_path(path: &Path) -> bool {
    let s = path.to_string_lossy();
    s.starts_with(r"\\.\")
        || s.starts_with("//./")
        || s.to_ascii_uppercase().starts_with(r"\\?\GLOBALROOT\")
}

/// Opens `path` read-only as the bottom layer of [`crate::container::open`]: a Windows device
/// path (`\\.\C:`, `\\.\PhysicalDrive1`) through [`open_windows_device`] on Windows; anything
/// else (image files, Linux block devices) with [`FileSource::open`].
pub fn open_path(path: &Path) -> Result<Source> {
    #[cfg(windows)]
    if is_device_path(path) {
        return open_windows_device(&path.to_string_lossy());
    }
    Ok(Arc::new(FileSource::open(path)?))
}

/// The message added to "access denied" when opening a device.
pub const ADMIN_HINT: &str =
    "reading a live volume or disk needs administrator rights: run ntfs-inspect from an elevated prompt (Run as administrator)";

#[cfg(windows)]
pub use windows::open_windows_device;

#[cfg(windows)]
use windows::open_read_only;

#[cfg(windows)]
#[allow(unsafe_code)]
mod windows {
    use super::{AlignedReader, HandleDevice, ADMIN_HINT};
    use crate::error::{Error, Result};
    use crate::source::Source;
    use std::ffi::c_void;
    use std::fs::File;
    use std::io;
    use std::os::windows::ffi::OsStrExt;
    use std::os::windows::io::{AsRawHandle, FromRawHandle, RawHandle};
    use std::path::Path;
    use std::sync::Arc;
    use windows_sys::Win32::Foundation::{
        ERROR_ACCESS_DENIED, GENERIC_READ, HANDLE, INVALID_HANDLE_VALUE,
    };
    use windows_sys::Win32::Storage::FileSystem::{
        CreateFileW, FILE_ATTRIBUTE_NORMAL, FILE_FLAG_NO_BUFFERING, FILE_SHARE_READ,
        FILE_SHARE_WRITE, OPEN_EXISTING,
    };
    use windows_sys::Win32::System::Ioctl::{
        PropertyStandardQuery, StorageAccessAlignmentProperty, DISK_GEOMETRY_EX,
        GET_LENGTH_INFORMATION, IOCTL_DISK_GET_DRIVE_GEOMETRY_EX, IOCTL_DISK_GET_LENGTH_INFO,
        IOCTL_STORAGE_QUERY_PROPERTY, STORAGE_ACCESS_ALIGNMENT_DESCRIPTOR, STORAGE_PROPERTY_QUERY,
    };
    use windows_sys::Win32::System::IO::DeviceIoControl;

    /// Opens `path` with `CreateFileW`: read access only, sharing read and write (a mounted
    /// volume is in use by the system, which keeps writing to it), existing only.
    ///
    /// Devices are opened with `FILE_FLAG_NO_BUFFERING`, so what we read comes from the device
    /// and not from a cached copy; that flag requires sector-aligned offsets, lengths and
    /// buffer addresses, which [`AlignedReader`] guarantees (its bounce buffer is allocated
    /// sector-aligned). Plain files opened through [`super::open_file_aligned`] are opened
    /// without it, because their "sector size" is chosen by the caller and may be smaller than
    /// that of the disk holding the file, which `NO_BUFFERING` would then reject.
    pub(super) fn open_read_only(path: &Path, device: bool) -> Result<File> {
        let wide: Vec<u16> = path
            .as_os_str()
            .encode_wide()
            .chain(std::iter::once(0))
            .collect();
        let flags = if device {
            FILE_FLAG_NO_BUFFERING
        } else {
            FILE_ATTRIBUTE_NORMAL
        };
        // SAFETY: `wide` is a NUL-terminated UTF-16 string that outlives the call; the security
        // attributes and template handle are documented as optional (null).
        let handle: HANDLE = unsafe {
            CreateFileW(
                wide.as_ptr(),
                GENERIC_READ,
                FILE_SHARE_READ | FILE_SHARE_WRITE,
                std::ptr::null(),
                OPEN_EXISTING,
                flags,
                std::ptr::null_mut(),
            )
        };
        if handle == INVALID_HANDLE_VALUE {
            let e = io::Error::last_os_error();
            let context = if e.raw_os_error() == Some(ERROR_ACCESS_DENIED as i32) {
                format!("opening {} ({ADMIN_HINT})", path.display())
            } else {
                format!("opening {}", path.display())
            };
            return Err(Error::io(context, e));
        }
        // SAFETY: `handle` is a valid handle that we own (just returned by CreateFileW and not
        // INVALID_HANDLE_VALUE); the File takes ownership and closes it on drop.
        Ok(unsafe { File::from_raw_handle(handle as RawHandle) })
    }

    /// `DeviceIoControl` with a fixed-size input and output structure.
    fn ioctl<I, O: Copy>(file: &File, code: u32, input: Option<&I>, out: &mut O) -> io::Result<()> {
        let (in_ptr, in_len) = match input {
            Some(i) => (
                i as *const I as *const c_void,
                std::mem::size_of::<I>() as u32,
            ),
            None => (std::ptr::null(), 0),
        };
        let mut returned = 0u32;
        // SAFETY: the handle is open for the lifetime of `file`; the input and output pointers
        // point to live structures of exactly the sizes passed; the call is synchronous (no
        // OVERLAPPED), so nothing outlives it.
        let ok = unsafe {
            DeviceIoControl(
                file.as_raw_handle() as HANDLE,
                code,
                in_ptr,
                in_len,
                out as *mut O as *mut c_void,
                std::mem::size_of::<O>() as u32,
                &mut returned,
                std::ptr::null_mut(),
            )
        };
        if ok == 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }

    /// Logical sector size: `IOCTL_STORAGE_QUERY_PROPERTY` (StorageAccessAlignmentProperty),
    /// else `IOCTL_DISK_GET_DRIVE_GEOMETRY_EX`.
    fn sector_size(file: &File) -> io::Result<u32> {
        let query = STORAGE_PROPERTY_QUERY {
            PropertyId: StorageAccessAlignmentProperty,
            QueryType: PropertyStandardQuery,
            AdditionalParameters: [0],
        };
        let mut align = STORAGE_ACCESS_ALIGNMENT_DESCRIPTOR {
            Version: 0,
            Size: 0,
            BytesPerCacheLine: 0,
            BytesOffsetForCacheAlignment: 0,
            BytesPerLogicalSector: 0,
            BytesPerPhysicalSector: 0,
            BytesOffsetForSectorAlignment: 0,
        };
        if ioctl(file, IOCTL_STORAGE_QUERY_PROPERTY, Some(&query), &mut align).is_ok()
            && align.BytesPerLogicalSector != 0
        {
            return Ok(align.BytesPerLogicalSector);
        }
        // SAFETY: DISK_GEOMETRY_EX is a plain C structure of integers, for which all zero bytes
        // are a valid value.
        let mut geometry: DISK_GEOMETRY_EX = unsafe { std::mem::zeroed() };
        ioctl::<(), _>(file, IOCTL_DISK_GET_DRIVE_GEOMETRY_EX, None, &mut geometry)?;
        Ok(geometry.Geometry.BytesPerSector)
    }

    /// Opens a Windows volume or disk (`\\.\C:`, `\\.\PhysicalDrive0`) read-only, with its
    /// sector size and length asked of the device, behind an [`AlignedReader`].
    pub fn open_windows_device(path: &str) -> Result<Source> {
        let file = open_read_only(Path::new(path), true)?;
        let sector = sector_size(&file)
            .map_err(|e| Error::io(format!("asking {path} for its sector size"), e))?;
        let mut length = GET_LENGTH_INFORMATION { Length: 0 };
        ioctl::<(), _>(&file, IOCTL_DISK_GET_LENGTH_INFO, None, &mut length)
            .map_err(|e| Error::io(format!("asking {path} for its length"), e))?;
        let dev = HandleDevice::new(file, sector, length.Length as u64);
        Ok(Arc::new(AlignedReader::new(dev, path)?))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU64, Ordering};

    /// A device that fails any read that is not aligned in offset, length or memory.
    struct Strict {
        data: Vec<u8>,
        sector: u32,
        reads: AtomicU64,
    }

    impl SectorDevice for Strict {
        fn sector_size(&self) -> u32 {
            self.sector
        }
        fn len(&self) -> u64 {
            self.data.len() as u64
        }
        fn read_aligned(&self, offset: u64, buf: &mut [u8]) -> io::Result<()> {
            let s = self.sector as usize;
            if offset % s as u64 != 0 || buf.len() % s != 0 || buf.as_ptr() as usize % s != 0 {
                return Err(io::Error::new(io::ErrorKind::InvalidInput, "unaligned"));
            }
            if buf.len() > CHUNK {
                return Err(io::Error::new(io::ErrorKind::InvalidInput, "too big"));
            }
            self.reads.fetch_add(1, Ordering::Relaxed);
            let o = offset as usize;
            let have = self.data.len().saturating_sub(o).min(buf.len());
            buf[..have].copy_from_slice(&self.data[o..o + have]);
            buf[have..].fill(0);
            Ok(())
        }
    }

    fn pattern(len: usize) -> Vec<u8> {
        (0..len).map(|i| (i * 31 + (i >> 8) * 7) as u8).collect()
    }

    #[test]
    fn any_read_becomes_aligned_reads() {
        for sector in [512u32, 4096] {
            let data = pattern(3 * CHUNK + 3 * sector as usize);
            let r = AlignedReader::new(
                Strict {
                    data: data.clone(),
                    sector,
                    reads: AtomicU64::new(0),
                },
                "strict",
            )
            .unwrap();
            assert_eq!(r.len(), data.len() as u64);
            let s = sector as u64;
            let len = data.len() as u64;
            let offsets = [
                0,
                1,
                s - 1,
                s,
                s + 1,
                3 * s - 7,
                CHUNK as u64 - 3,
                CHUNK as u64,
                len - s,
                len - 1,
            ];
            let lengths = [
                0usize,
                1,
                7,
                511,
                512,
                513,
                4095,
                4096,
                4097,
                CHUNK - 1,
                CHUNK + 5,
                2 * CHUNK + 1,
            ];
            for &o in &offsets {
                for &n in &lengths {
                    if o + n as u64 > len {
                        continue;
                    }
                    let mut buf = vec![0xAAu8; n];
                    r.read_at(o, &mut buf)
                        .unwrap_or_else(|e| panic!("sector {sector}, {n} bytes at {o}: {e}"));
                    assert!(
                        buf == data[o as usize..o as usize + n],
                        "sector {sector}, {n} bytes at {o}"
                    );
                }
            }
            // Aligned everything: straight into the caller's buffer.
            let (mut v, start) = aligned_buffer(2 * sector as usize, sector as usize);
            r.read_at(s, &mut v[start..start + 2 * sector as usize])
                .unwrap();
            assert!(
                v[start..start + 2 * sector as usize] == data[sector as usize..3 * sector as usize]
            );
            // The whole device in one call: chunked reads.
            let mut all = vec![0u8; data.len()];
            let before = r.device().reads.load(Ordering::Relaxed);
            r.read_at(0, &mut all).unwrap();
            assert!(all == data);
            assert!(r.device().reads.load(Ordering::Relaxed) - before >= 4);
            // Past the end: refused before the device is asked.
            let mut one = [0u8; 1];
            assert!(matches!(
                r.read_at(len, &mut one),
                Err(Error::ShortRead { .. })
            ));
        }
    }

    #[test]
    fn partial_last_sector_of_a_file() {
        let data = pattern(10_000);
        let r = AlignedReader::new(
            Strict {
                data: data.clone(),
                sector: 4096,
                reads: AtomicU64::new(0),
            },
            "strict",
        )
        .unwrap();
        let mut tail = vec![0u8; 1000];
        r.read_at(9_000, &mut tail).unwrap();
        assert!(tail == data[9_000..]);
    }

    #[test]
    fn bad_sector_sizes_are_refused() {
        for sector in [0u32, 256, 520, 4 << 20] {
            let dev = Strict {
                data: vec![],
                sector,
                reads: AtomicU64::new(0),
            };
            assert!(AlignedReader::new(dev, "x").is_err(), "{sector}");
        }
    }

    #[test]
    fn handle_device_refuses_unaligned_reads() {
        let dir =
            std::env::temp_dir().join(format!("ntfs-inspect-live-unit-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("data.bin");
        let data = pattern(5000);
        std::fs::write(&path, &data).unwrap();
        let file = File::open(&path).unwrap();
        let dev = HandleDevice::new(file, 512, 5000);
        let (mut v, start) = aligned_buffer(1024, 512);
        assert!(dev.read_aligned(1, &mut v[start..start + 512]).is_err());
        assert!(dev.read_aligned(0, &mut v[start..start + 100]).is_err());
        assert!(dev.read_aligned(0, &mut v[start + 1..start + 513]).is_err());
        let src = open_file_aligned(&path, 512).unwrap();
        let mut buf = vec![0u8; 4999];
        src.read_at(1, &mut buf).unwrap();
        assert!(buf == data[1..]);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn device_paths() {
        assert!(is_device_path(Path::new(r"\\.\C:")));
        assert!(is_device_path(Path::new(r"\\.\PhysicalDrive0")));
        assert!(is_device_path(Path::new(
            r"\\?\GLOBALROOT\Device\HarddiskVolumeShadowCopy3"
        )));
        assert!(!is_device_path(Path::new(r"\\?\C:\images\disk.raw")));
        assert!(!is_device_path(Path::new("/dev/sdb1")));
        assert!(!is_device_path(Path::new(r"C:\images\disk.vhdx")));
    }
}
