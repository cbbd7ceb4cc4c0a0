pub mod fixtures;
pub mod oracle;
