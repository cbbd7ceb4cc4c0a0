//! A `$REPARSE_POINT` value: decode, describe (the fsutil-like text), Display and JSON.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let rp = ntfs_inspect::reparse::decode(data);
    let _ = rp.kind();
    let _ = rp.data();
    let _ = rp.describe();
    let _ = rp.to_string();
    let _ = serde_json::to_string(&rp);
    if let Ok(c) = &rp.content {
        let _ = ntfs_inspect::resolve::link_target(c, 'C');
    }
});
