//! `BootSector::parse` on any 512+ bytes, and `BootSector::read` (primary then backup) on the
//! whole input as a source.
#![no_main]
use libfuzzer_sys::fuzz_target;
use ntfs_inspect::boot_sector::BootSector;
use ntfs_inspect::source::MemSource;

fuzz_target!(|data: &[u8]| {
    if let Ok(bs) = BootSector::parse(data, 0) {
        let _ = bs.volume_size();
        let _ = bs.mft_offset();
        let _ = bs.mft_mirror_offset();
    }
    let src = MemSource(data.to_vec());
    let _ = BootSector::read(&src);
});
