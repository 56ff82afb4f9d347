//! The SQLite backend: one file, WAL, writers serialised by `BEGIN IMMEDIATE`.
//!
//! `mod.rs` opens a store and runs its transactions; `schema` checks and migrates it,
//! `files` makes a new one safely, `rows` maps rows and errors, `store` is the [`Store`]
//! implementation, with the server's batch write in `batch` and `copy-store`'s two halves
//! in `transfer`.

mod batch;
mod changes;
mod files;
mod rows;
mod schema;
mod store;
mod transfer;
mod watch;

use std::fs;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::config::DbConfig;
use rusqlite::{Connection, OpenFlags, TransactionBehavior};

use super::{Access, Durability};
use crate::error::{Error, Result};
use files::{check_file, create, io_error};
use rows::sql_error;
pub use schema::SCHEMA_VERSION;

/// `PRAGMA application_id` of an appw store ("appw" in ASCII): tells our files from other
/// programs' SQLite databases.
pub(super) const APPLICATION_ID: i32 = 0x6170_7077;

/// How long a write waits for another process's write to finish. Writes hold the lock for
/// about a millisecond; a minute covers hundreds of queued writers on a slow disk.
/// Measured (tests/it/concurrency.rs soak, 2 cores): the worst `BEGIN IMMEDIATE` wait with
/// 32 parallel verifiers plus creators and revokers was 0.11 s; maintenance holds it longer
/// (pruning 2 M events, or the checkpoint of a 155 MB WAL on close, ~1.5 s here). The margin
/// is for slow disks and large stores; a shorter timeout would only turn waits into errors.
pub(super) const BUSY_TIMEOUT: Duration = Duration::from_secs(60);

/// WAL size at which a write folds the WAL back into the main file and empties it. Every
/// process re-reads the whole WAL when it opens the store (it is the only connection, so
/// the WAL index is rebuilt), so it is kept small; a verify adds ~25 KB, so about one
/// write in twenty pays the checkpoint's fsyncs.
pub(super) const WAL_FOLD_BYTES: u64 = 512 * 1024;

pub struct SqliteStore {
    conn: Connection,
    path: PathBuf,
    /// The connection's `PRAGMA synchronous`, set per write by its [`Durability`].
    synchronous: &'static str,
    /// Rows read since the last commit to the store (see `watch`): a server reads the
    /// same rows over and over. Set up after the first read, once the WAL index is mapped.
    memo: Option<watch::Memo>,
}

impl SqliteStore {
    pub fn open(path: &Path, access: Access) -> Result<Option<SqliteStore>> {
        match fs::metadata(path) {
            Ok(meta) => check_file(path, &meta)?,
            Err(e) if e.kind() == ErrorKind::NotFound => match access {
                Access::Existing => return Ok(None),
                Access::Create => create(path)?,
            },
            Err(e) => return Err(io_error(path, "cannot read", &e)),
        }
        // A store another user could have replaced is not used at all (CLI.md, "Trusting
        // the store"); checked on every opening, since a folder can be made writable later.
        crate::store::trust::check_store(path)?;
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|e| sql_error(path, &e))?;
        let mut store = SqliteStore {
            conn,
            path: path.to_path_buf(),
            synchronous: "NORMAL",
            memo: None,
        };
        store.prepare()?;
        Ok(Some(store))
    }

    /// Checks the file is ours and current, migrates it forward, then sets per-connection
    /// options. Nothing is written before the checks pass, so a foreign or newer file is
    /// left exactly as it was.
    fn prepare(&mut self) -> Result<()> {
        let path = self.path.clone();
        let e = |err: rusqlite::Error| sql_error(&path, &err);
        self.conn.busy_timeout(BUSY_TIMEOUT).map_err(e)?;
        let version = self.check_identity()?;
        if version < SCHEMA_VERSION {
            self.migrate()?;
        }
        self.conn
            .execute_batch(
                "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;
                 PRAGMA secure_delete = ON;",
            )
            .map_err(e)?;
        // Each appw process is the store's last connection when it exits. By default that
        // checkpoints and deletes the WAL (three fsyncs and a directory fsync, ~5 ms, a
        // quarter of a verify); the next writer then recreates it. Leave the WAL in place
        // and fold it back in `write` once it passes WAL_FOLD_BYTES. (SQLite's own
        // auto-checkpoint does not help here: it never empties the WAL, because each new
        // process rebuilds the WAL index and forgets the WAL was already checkpointed.)
        self.conn
            .set_db_config(DbConfig::SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, true)
            .map_err(e)?;
        self.conn
            .pragma_update(None, "wal_autocheckpoint", 0)
            .map_err(e)
    }

    /// Checkpoints the WAL into the main file and truncates it, once it is big enough to
    /// slow every opening down. Best effort and without waiting: if another process is
    /// reading or writing, a later write retries.
    fn fold_wal(&self) {
        let mut wal = self.path.as_os_str().to_owned();
        wal.push("-wal");
        if fs::metadata(&wal).is_ok_and(|m| m.len() > WAL_FOLD_BYTES) {
            let _ = self.conn.busy_timeout(Duration::ZERO);
            let _ = self
                .conn
                .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()));
            let _ = self.conn.busy_timeout(BUSY_TIMEOUT);
        }
    }

    fn err(&self, err: rusqlite::Error) -> Error {
        sql_error(&self.path, &err)
    }

    /// Runs `f` in one write transaction and commits it, durably.
    fn write<T>(&mut self, f: impl FnOnce(&rusqlite::Transaction<'_>) -> Result<T>) -> Result<T> {
        self.write_as(Durability::Durable, f)
    }

    /// Runs `f` in one write transaction and commits it with `durability`.
    fn write_as<T>(
        &mut self,
        durability: Durability,
        f: impl FnOnce(&rusqlite::Transaction<'_>) -> Result<T>,
    ) -> Result<T> {
        let out = self.write_or_roll_back_as(durability, |tx| f(tx).map(Some))?;
        Ok(out.expect("write_or_roll_back commits every Some"))
    }

    fn write_or_roll_back<T>(
        &mut self,
        f: impl FnOnce(&rusqlite::Transaction<'_>) -> Result<Option<T>>,
    ) -> Result<Option<T>> {
        self.write_or_roll_back_as(Durability::Durable, f)
    }

    /// Runs `f` in one write transaction: commits when it returns `Some`, rolls back on
    /// `None` or an error. A durable commit syncs the WAL before it returns
    /// (`synchronous = FULL`); a relaxed one leaves that to the next checkpoint (`NORMAL`:
    /// still atomic and consistent after a crash, only the latest commits may be lost).
    fn write_or_roll_back_as<T>(
        &mut self,
        durability: Durability,
        f: impl FnOnce(&rusqlite::Transaction<'_>) -> Result<Option<T>>,
    ) -> Result<Option<T>> {
        let path = self.path.clone();
        let level = match durability {
            Durability::Durable => "FULL",
            Durability::Relaxed => "NORMAL",
        };
        if self.synchronous != level {
            self.conn
                .pragma_update(None, "synchronous", level)
                .map_err(|err| sql_error(&path, &err))?;
            self.synchronous = level;
        }
        // Fold before the transaction, not after its commit: a fold takes milliseconds (its
        // fsyncs), and `create` killed between commit and print leaves a stored password
        // nobody saw (soak_sigkill_during_create: 55 of 500 killed creates left one when the
        // fold followed the commit, 1 of 500 with the fold here).
        self.fold_wal();
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|err| sql_error(&path, &err))?;
        let out = f(&tx)?;
        if out.is_some() {
            tx.commit().map_err(|err| sql_error(&path, &err))?;
        }
        // Otherwise dropping `tx` rolls everything back.
        Ok(out)
    }
}
