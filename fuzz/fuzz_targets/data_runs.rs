//! Data runs: the first 8 bytes are the first VCN (low 32 bits used) and the cluster count of
//! the volume; the rest are the runs.
#![no_main]
use libfuzzer_sys::fuzz_target;
use ntfs_inspect::data_runs;

fuzz_target!(|data: &[u8]| {
    if data.len() < 8 {
        return;
    }
    let first_vcn = u64::from(u32::from_le_bytes([data[0], data[1], data[2], data[3]]));
    let total = u64::from(u32::from_le_bytes([data[4], data[5], data[6], data[7]]));
    if let Ok(runs) = data_runs::decode(&data[8..], first_vcn, total, 0) {
        let _ = data_runs::total_length(&runs);
        let _ = ntfs_inspect::volume::map_position(&runs, u64::from(data[0]) * 977, 4096);
    }
});
