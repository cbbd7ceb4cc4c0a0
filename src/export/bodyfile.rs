//! Bodyfile export (TODO).

use super::Selection;
use crate::resolve::Resolver;
use crate::scan::Scan;
use std::io::{self, Write};

/// Writes the bodyfile.
pub fn write(_w: &mut impl Write, _scan: &Scan, _resolver: &Resolver<'_>, _sel: Selection) -> io::Result<()> {
    Err(io::Error::other("bodyfile export is not written yet"))
}
