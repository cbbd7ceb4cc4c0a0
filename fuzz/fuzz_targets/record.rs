//! One FILE record: fixups, header, every attribute, and the resident values of
//! `$FILE_NAME`, `$STANDARD_INFORMATION` and `$ATTRIBUTE_LIST`, plus data runs of non-resident
//! attributes. The first byte picks the record size (1024 or 4096) so both layouts get fuzzed.
#![no_main]
use libfuzzer_sys::fuzz_target;
use ntfs_inspect::attribute::{self, Form};
use ntfs_inspect::file_name::FileName;
use ntfs_inspect::record::FileRecord;
use ntfs_inspect::standard_information::StandardInformation;
use ntfs_inspect::{attribute_list, data_runs};

fuzz_target!(|data: &[u8]| {
    let Some((&sel, rest)) = data.split_first() else {
        return;
    };
    let size = if sel & 1 == 0 { 1024 } else { 4096 };
    let mut bytes = rest.to_vec();
    bytes.resize(size, 0);
    let Ok(Some(rec)) = FileRecord::parse(bytes, 42, 0x4000) else {
        return;
    };
    for a in rec.attributes() {
        let Ok(a) = a else { break };
        let _ = a.value_size();
        match &a.form {
            Form::Resident { value, .. } => match a.type_code {
                attribute::FILE_NAME => {
                    if let Ok(n) = FileName::parse(value, 0) {
                        let _ = n.reparse_tag();
                    }
                }
                attribute::STANDARD_INFORMATION => {
                    let _ = StandardInformation::parse(value, 0);
                }
                attribute::ATTRIBUTE_LIST => {
                    let _ = attribute_list::parse(value, 0);
                }
                _ => {}
            },
            Form::NonResident {
                runs, first_vcn, ..
            } => {
                let _ = data_runs::decode(runs, *first_vcn, 1 << 20, 0);
            }
        }
    }
    let _ = rec.find(attribute::DATA, "");
});
