//! Which file a SQLite store's path names, as the pool compares it before each use.

use std::io::ErrorKind;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

use crate::error::{Error, Result};

/// The file a SQLite path names: device and inode, and its size, modification time and
/// status change time (a file overwritten in place keeps its inode; a checkpoint changes
/// them too, which costs only a reopening). The change time is there because the other
/// two can be put back (`cp -p`, `touch -r`, an overwrite of the same size): nobody but
/// the kernel sets it, and any write or `utimes` moves it.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) struct FileId {
    dev: u64,
    ino: u64,
    size: u64,
    mtime: (i64, i64),
    ctime: (i64, i64),
}

impl FileId {
    /// Which file this is, whatever its content: what open connections hold.
    pub(super) fn inode(self) -> (u64, u64) {
        (self.dev, self.ino)
    }
}

/// The file at `path` (through symlinks, as SQLite opens it), `None` when nothing is there.
pub(super) fn file_id(path: &Path) -> Result<Option<FileId>> {
    match std::fs::metadata(path) {
        Ok(meta) => Ok(Some(FileId {
            dev: meta.dev(),
            ino: meta.ino(),
            size: meta.size(),
            mtime: (meta.mtime(), meta.mtime_nsec()),
            ctime: (meta.ctime(), meta.ctime_nsec()),
        })),
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Error::Unavailable(format!(
            "cannot look at the store {}: {e}",
            path.display()
        ))),
    }
}
