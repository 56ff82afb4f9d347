//! A new store made so that nobody else can slip anything in: a private, unpredictable,
//! exclusively created temporary file linked into place.

use std::fs;
use std::io::ErrorKind;
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};

use rusqlite::{Connection, OpenFlags};

use super::SqliteStore;
use super::rows::sql_error;
use crate::error::{Error, Result};

/// Refuses what SQLite would misread or silently adopt: folders, empty files.
pub(super) fn check_file(path: &Path, meta: &fs::Metadata) -> Result<()> {
    if meta.is_dir() {
        return Err(Error::Unavailable(format!(
            "{} is a folder, not an appw store; point --db at a file",
            path.display()
        )));
    }
    if meta.len() == 0 {
        return Err(Error::Unavailable(format!(
            "{} is an empty file, not an appw store; remove it or point --db elsewhere",
            path.display()
        )));
    }
    Ok(())
}

/// Creates a new store atomically: the schema is written to a private temporary file that
/// is then linked into place, so no process ever sees a half-made store, and of several
/// processes creating it at once exactly one wins and the others open the winner's file.
pub(super) fn create(path: &Path) -> Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(|e| io_error(dir, "cannot create the folder", &e))?;
    // Before anything is written there: a folder someone else made or can write (made
    // ready for the victim's first create) is refused, not filled.
    crate::store::trust::check_folder(dir)?;
    let tmp = private_temporary(dir, path)?;
    let result = (|| {
        let conn = Connection::open_with_flags(
            &tmp,
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_NOFOLLOW
                | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|e| sql_error(&tmp, &e))?;
        let mut store = SqliteStore {
            conn,
            path: tmp.clone(),
            synchronous: "NORMAL",
            memo: None,
        };
        store
            .conn
            .execute_batch("PRAGMA journal_mode = WAL;")
            .map_err(|e| store.err(e))?;
        store.migrate()?;
        store.conn.close().map_err(|(_, e)| sql_error(&tmp, &e))?;
        match fs::hard_link(&tmp, path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == ErrorKind::AlreadyExists => Ok(()),
            Err(e) => Err(io_error(path, "cannot create", &e)),
        }
    })();
    remove_with_companions(&tmp);
    result
}

/// Creates the empty file a new store is built in, `DIR/.NAME.RANDOM.tmp`: a name nobody can
/// guess, created only if nothing is there (`O_EXCL`) and never through a symlink
/// (`O_NOFOLLOW`), so no file planted in advance is adopted or turned into a store.
pub(super) fn private_temporary(dir: &Path, path: &Path) -> Result<PathBuf> {
    use rand::RngExt;
    use std::os::unix::fs::OpenOptionsExt;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    let mut rng = rand::rng();
    loop {
        let tmp = dir.join(format!(".{name}.{:016x}.tmp", rng.random::<u64>()));
        match fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .custom_flags(libc::O_NOFOLLOW)
            .open(&tmp)
        {
            Ok(_) => return Ok(tmp),
            // 2^64 names: only a name someone else already holds can come back.
            Err(e) if e.kind() == ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(io_error(&tmp, "cannot create", &e)),
        }
    }
}

pub(super) fn remove_with_companions(path: &Path) {
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let mut p = path.as_os_str().to_owned();
        p.push(suffix);
        let _ = fs::remove_file(p);
    }
}

pub(super) fn io_error(path: &Path, what: &str, err: &std::io::Error) -> Error {
    Error::Unavailable(format!("{what} {}: {err}", path.display()))
}
