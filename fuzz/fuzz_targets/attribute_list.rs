//! An `$ATTRIBUTE_LIST` value.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (entries, err) = ntfs_inspect::attribute_list::parse(data, 0x1000);
    for e in &entries {
        let _ = ntfs_inspect::attribute::type_name(e.type_code);
    }
    if let Some(e) = err {
        let _ = e.to_string();
    }
});
