//! Whether a SQLite store can be trusted: nobody but the user running appw (or root) could
//! have put a file of their own in its place. Checked as OpenSSH's StrictModes checks
//! `~/.ssh`: the store's files (`credentials.db`, `-wal`, `-shm`), its folder, and every
//! folder above it up to `/`, each of which must belong to the user or root; none may be
//! writable by group or others, except a folder above the store's own that has the sticky
//! bit (`/tmp`), in which others can neither rename nor remove what is not theirs.

use std::ffi::OsString;
use std::fs;
use std::io::ErrorKind;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// Group- or other-writable permission bits.
const WRITABLE_BY_OTHERS: u32 = 0o022;
const READABLE_BY_OTHERS: u32 = 0o044;
const STICKY: u32 = 0o1000;

/// Checks the folder that holds, or is about to hold, the store (it must exist).
pub fn check_folder(dir: &Path) -> Result<()> {
    let me = euid();
    check_links(dir, me)?;
    let real = fs::canonicalize(dir).map_err(|e| io_error(dir, &e))?;
    let meta = fs::metadata(&real).map_err(|e| io_error(&real, &e))?;
    check_owner(&real, &meta, me, "the store's folder")?;
    if meta.mode() & WRITABLE_BY_OTHERS != 0 {
        return Err(Error::Unavailable(format!(
            "the store's folder {} is writable by group or others (mode {:04o}), so they could \
             replace the store; run chmod go-w {0} if only you can have written to it",
            real.display(),
            meta.mode() & 0o7777
        )));
    }
    for above in real.ancestors().skip(1) {
        let meta = fs::metadata(above).map_err(|e| io_error(above, &e))?;
        check_owner(above, &meta, me, "the folder above the store")?;
        if meta.mode() & WRITABLE_BY_OTHERS != 0 && meta.mode() & STICKY == 0 {
            return Err(Error::Unavailable(format!(
                "the folder {} above the store is writable by group or others and not sticky \
                 (mode {:04o}), so they could swap the store's folder; run chmod go-w {0}, or \
                 keep the store elsewhere (--db PATH)",
                above.display(),
                meta.mode() & 0o7777
            )));
        }
    }
    Ok(())
}

/// Checks an existing store: its folder as [`check_folder`] does, and the database file and
/// its companions, where SQLite really finds them (a symlinked store's are by its target).
/// Others being able to read them draws a warning; to write them, a refusal.
pub fn check_store(path: &Path) -> Result<()> {
    check_store_as(path, true)
}

/// [`check_store`] without the warning about readable files: for a server that checks its
/// store again and again, which warned when it opened it.
pub fn check_store_quietly(path: &Path) -> Result<()> {
    check_store_as(path, false)
}

fn check_store_as(path: &Path, warn: bool) -> Result<()> {
    let me = euid();
    check_links(path, me)?;
    let real = fs::canonicalize(path).map_err(|e| io_error(path, &e))?;
    check_folder(real.parent().unwrap_or(Path::new("/")))?;
    for suffix in ["", "-wal", "-shm"] {
        let mut file = OsString::from(real.as_os_str());
        file.push(suffix);
        let file = PathBuf::from(file);
        let meta = match fs::symlink_metadata(&file) {
            Ok(meta) => meta,
            Err(e) if e.kind() == ErrorKind::NotFound => continue,
            Err(e) => return Err(io_error(&file, &e)),
        };
        if meta.file_type().is_symlink() {
            return Err(Error::Unavailable(format!(
                "{} is a symbolic link, which SQLite would follow to whatever it names; remove \
                 it (appw never makes one)",
                file.display()
            )));
        }
        check_owner(&file, &meta, me, "the store file")?;
        let mode = meta.mode() & 0o7777;
        if mode & WRITABLE_BY_OTHERS != 0 {
            return Err(Error::Unavailable(format!(
                "the store file {} is writable by group or others (mode {mode:04o}), so they \
                 could have changed it; run chmod 600 {0} if only you can have written to it",
                file.display()
            )));
        }
        if warn && mode & READABLE_BY_OTHERS != 0 {
            eprintln!(
                "appw: warning: {} can be read by other users (mode {mode:04o}); run chmod 600 on it",
                crate::text::clean(&file.display().to_string())
            );
        }
    }
    Ok(())
}

/// Every symbolic link on the way to `path` is followed by whoever opens it: each must
/// belong to the user or root (in a sticky `/tmp`, another user's link could be re-pointed at
/// a folder of theirs between two commands).
fn check_links(path: &Path, me: u32) -> Result<()> {
    let absolute = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir()
            .map_err(|e| io_error(Path::new("."), &e))?
            .join(path)
    };
    let mut prefix = PathBuf::new();
    for part in absolute.components() {
        prefix.push(part);
        match fs::symlink_metadata(&prefix) {
            Ok(meta) if meta.file_type().is_symlink() => {
                check_owner(&prefix, &meta, me, "the symbolic link")?;
            }
            // What is missing or unreadable is reported by whoever opens it next.
            _ => {}
        }
    }
    Ok(())
}

fn check_owner(path: &Path, meta: &fs::Metadata, me: u32, what: &str) -> Result<()> {
    let owner = meta.uid();
    if owner == me || owner == 0 {
        return Ok(());
    }
    Err(Error::Unavailable(format!(
        "{what} {} belongs to another user (uid {owner}), who could replace the store; appw \
         trusts only files and folders of its own user (uid {me}) or root: keep the store in \
         a folder of your own (--db PATH), or chown it if you trust it",
        path.display()
    )))
}

fn euid() -> u32 {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() }
}

fn io_error(path: &Path, err: &std::io::Error) -> Error {
    Error::Unavailable(format!("cannot check {}: {err}", path.display()))
}
