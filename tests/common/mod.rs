pub mod agree;
pub mod fixtures;
pub mod oracle;
