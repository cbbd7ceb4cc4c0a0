//! Container layer, seeded with vhd images: see common/container.rs.
#![no_main]

#[path = "../common/container.rs"]
mod container;

libfuzzer_sys::fuzz_target!(|data: &[u8]| container::run(data));
