//! Prints every hard link of every in-use file as a full path, one per line.
use ntfs_reader::{DefaultPathCache, Mft, Volume};
use std::io::Write;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args().nth(1).ok_or("usage: ntfs-reader-paths VOLUME")?;
    let mft = Mft::new(Volume::new(path)?)?;
    let mut cache = DefaultPathCache::new();
    let out = std::io::stdout();
    let mut w = std::io::BufWriter::with_capacity(1 << 20, out.lock());
    for file in mft.files() {
        for link in file.hard_links() {
            if let Some(p) = mft.resolve_path(&link, &mut cache) {
                writeln!(w, "{}", p.display())?;
            }
        }
    }
    w.flush()?;
    Ok(())
}
