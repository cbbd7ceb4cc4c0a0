//! The container layer on the fuzz bytes: container::open_source (VHD/VHDX detection, the
//! MBR/GPT partition table, the NTFS volume inside), then a few reads through the result.
//! Shared by the `vhd`, `vhdx` and `mbr_gpt` targets, which differ only in their seeds.

use ntfs_inspect::container::{open_source, OpenOptions};
use ntfs_inspect::source::MemSource;
use std::path::Path;
use std::sync::Arc;

pub fn run(data: &[u8]) {
    let src = Arc::new(MemSource(data.to_vec()));
    // A path whose directory does not exist: differencing disks fail to find their parent.
    let Ok(o) = open_source(
        src,
        Path::new("/nonexistent-fuzz-dir/input.img"),
        &OpenOptions::default(),
    ) else {
        return;
    };
    let mut buf = [0u8; 4096];
    for src in [&o.disk, &o.volume] {
        let len = src.len();
        for at in [0, len / 3, len.saturating_sub(4096), len.saturating_sub(1)] {
            let n = (len - at.min(len)).min(4096) as usize;
            let _ = src.read_at(at, &mut buf[..n]);
        }
    }
}
