//! Container layer, seeded with mbr_gpt images: see common/container.rs.
#![no_main]

#[path = "../common/container.rs"]
mod container;

libfuzzer_sys::fuzz_target!(|data: &[u8]| container::run(data));
