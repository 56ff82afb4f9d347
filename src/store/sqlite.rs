//! The SQLite backend: one file, WAL, writers serialised by `BEGIN IMMEDIATE`.

use std::fs;
use std::io::ErrorKind;
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::config::DbConfig;
use rusqlite::{
    Connection, ErrorCode, OpenFlags, OptionalExtension, Row, TransactionBehavior, params,
};

use super::{
    Access, Batch, Changes, Credential, Dump, Durability, Event, HashRecord, ListFilter, LogFilter,
    NewCredential, NewEvent, REHASHED, Rejection, Store, StoredCredential, Timestamp, Use,
    duplicate_name, kind, list_text, name_key, text_list,
};
use crate::error::{Error, Result};

/// `PRAGMA application_id` of an appw store ("appw" in ASCII): tells our files from other
/// programs' SQLite databases.
const APPLICATION_ID: i32 = 0x6170_7077;

/// How long a write waits for another process's write to finish. Writes hold the lock for
/// about a millisecond; a minute covers hundreds of queued writers on a slow disk.
/// Measured (tests/it/reliability.rs soak, 2 cores): the worst `BEGIN IMMEDIATE` wait with
/// 32 parallel verifiers plus creators and revokers was 0.11 s; maintenance holds it longer
/// (pruning 2 M events, or the checkpoint of a 155 MB WAL on close, ~1.5 s here). The margin
/// is for slow disks and large stores; a shorter timeout would only turn waits into errors.
const BUSY_TIMEOUT: Duration = Duration::from_secs(60);

/// WAL size at which a write folds the WAL back into the main file and empties it. Every
/// process re-reads the whole WAL when it opens the store (it is the only connection, so
/// the WAL index is rebuilt), so it is kept small; a verify adds ~25 KB, so about one
/// write in twenty pays the checkpoint's fsyncs.
const WAL_FOLD_BYTES: u64 = 512 * 1024;

/// Schema migrations; `MIGRATIONS[n]` takes a store from version n to n + 1.
const MIGRATIONS: &[&str] = &[
    // 1: credentials and the audit log.
    "CREATE TABLE credentials (
        id TEXT PRIMARY KEY,
        user TEXT NOT NULL,
        name TEXT NOT NULL,
        name_key TEXT NOT NULL,
        app_id TEXT,
        hash TEXT,
        created INTEGER NOT NULL,
        expires_at INTEGER,
        last_used INTEGER,
        last_source TEXT,
        use_count INTEGER NOT NULL DEFAULT 0,
        last_failed INTEGER,
        last_failed_source TEXT,
        revoked_at INTEGER,
        replaced_by TEXT,
        CHECK ((revoked_at IS NULL) = (hash IS NOT NULL))
    ) STRICT;
    CREATE UNIQUE INDEX credentials_active_name
        ON credentials (user, name_key) WHERE revoked_at IS NULL;
    CREATE INDEX credentials_user ON credentials (user, created);
    CREATE TABLE events (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        at INTEGER NOT NULL,
        kind TEXT NOT NULL,
        user TEXT,
        credential_id TEXT,
        name TEXT,
        source TEXT,
        detail TEXT
    ) STRICT;
    CREATE INDEX events_at ON events (at);
    CREATE INDEX events_user ON events (user, seq);",
    // 2: one event may stand for several identical occurrences (a server's batches).
    "ALTER TABLE events ADD COLUMN count INTEGER NOT NULL DEFAULT 1 CHECK (count > 0);",
    // 3: scopes and allowed networks, space-separated; '' (none) for every older credential.
    "ALTER TABLE credentials ADD COLUMN scopes TEXT NOT NULL DEFAULT '';
     ALTER TABLE credentials ADD COLUMN allow_from TEXT NOT NULL DEFAULT '';",
    // 4: name keys by full Unicode case folding. The keys are computed in Rust, by
    // `fold_name_keys` right after this step, which also puts the index back.
    "DROP INDEX credentials_active_name;",
];

pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

const CREDENTIAL_COLUMNS: &str = "id, user, name, app_id, created, last_used, last_source, \
    use_count, expires_at, last_failed, last_failed_source, revoked_at, scopes, allow_from";

pub struct SqliteStore {
    conn: Connection,
    path: PathBuf,
    /// The connection's `PRAGMA synchronous`, set per write by its [`Durability`].
    synchronous: &'static str,
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
        super::trust::check_store(path)?;
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|e| sql_error(path, &e))?;
        let mut store = SqliteStore {
            conn,
            path: path.to_path_buf(),
            synchronous: "NORMAL",
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

    /// The schema version, after making sure this is an appw store this appw can read.
    fn check_identity(&self) -> Result<i64> {
        let path = &self.path;
        let (app_id, version, tables): (i32, i64, i64) = self
            .conn
            .query_row(
                "SELECT (SELECT application_id FROM pragma_application_id),
                        (SELECT user_version FROM pragma_user_version),
                        (SELECT count(*) FROM sqlite_master)",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .map_err(|err| sql_error(path, &err))?;
        if app_id != APPLICATION_ID && !(app_id == 0 && version == 0 && tables == 0) {
            return Err(Error::Store(format!(
                "{} is a SQLite database of another program, not an appw store; \
                 point --db at another file",
                path.display()
            )));
        }
        if version > SCHEMA_VERSION {
            return Err(Error::Store(format!(
                "{} was written by a newer appw (schema version {version}; this appw reads up \
                 to {SCHEMA_VERSION}); upgrade appw to use it",
                path.display()
            )));
        }
        Ok(version)
    }

    /// Applies the missing migrations in one transaction; concurrent openers queue on the
    /// write lock and find the work done.
    fn migrate(&mut self) -> Result<()> {
        let path = self.path.clone();
        let e = |err: rusqlite::Error| sql_error(&path, &err);
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(e)?;
        let version: i64 = tx
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .map_err(e)?;
        for (n, sql) in MIGRATIONS.iter().enumerate().skip(version as usize) {
            tx.execute_batch(sql).map_err(e)?;
            if n + 1 == super::FOLDED_NAME_KEYS {
                fold_name_keys(&tx).map_err(e)?;
            }
            tx.pragma_update(None, "user_version", n as i64 + 1)
                .map_err(e)?;
        }
        tx.pragma_update(None, "application_id", APPLICATION_ID)
            .map_err(e)?;
        tx.commit().map_err(e)
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

/// Recomputes every stored name key as [`name_key`] makes it now (schema 2), then restores
/// the index that keeps active names unique.
fn fold_name_keys(tx: &rusqlite::Transaction<'_>) -> rusqlite::Result<()> {
    let rows = tx
        .prepare("SELECT id, user, name, revoked_at IS NULL FROM credentials ORDER BY created, id")?
        .query_map([], |r| {
            Ok(super::KeyedRow {
                id: r.get(0)?,
                user: r.get(1)?,
                name: r.get(2)?,
                active: r.get(3)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let mut update = tx.prepare("UPDATE credentials SET name_key = ?2 WHERE id = ?1")?;
    for (id, key) in super::refolded_keys(rows) {
        update.execute(params![id, key])?;
    }
    tx.execute_batch(
        "CREATE UNIQUE INDEX credentials_active_name
            ON credentials (user, name_key) WHERE revoked_at IS NULL;",
    )
}

/// Refuses what SQLite would misread or silently adopt: folders, empty files.
fn check_file(path: &Path, meta: &fs::Metadata) -> Result<()> {
    if meta.is_dir() {
        return Err(Error::Store(format!(
            "{} is a folder, not an appw store; point --db at a file",
            path.display()
        )));
    }
    if meta.len() == 0 {
        return Err(Error::Store(format!(
            "{} is an empty file, not an appw store; remove it or point --db elsewhere",
            path.display()
        )));
    }
    Ok(())
}

/// Creates a new store atomically: the schema is written to a private temporary file that
/// is then linked into place, so no process ever sees a half-made store, and of several
/// processes creating it at once exactly one wins and the others open the winner's file.
fn create(path: &Path) -> Result<()> {
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
    super::trust::check_folder(dir)?;
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
fn private_temporary(dir: &Path, path: &Path) -> Result<PathBuf> {
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

fn remove_with_companions(path: &Path) {
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let mut p = path.as_os_str().to_owned();
        p.push(suffix);
        let _ = fs::remove_file(p);
    }
}

fn io_error(path: &Path, what: &str, err: &std::io::Error) -> Error {
    Error::Store(format!("{what} {}: {err}", path.display()))
}

/// Maps SQLite's errors to a store error naming the file, with a hint where one helps.
fn sql_error(path: &Path, err: &rusqlite::Error) -> Error {
    let code = err.sqlite_error_code();
    let what = match code {
        Some(ErrorCode::NotADatabase) => "is not an appw store (not a SQLite database)".to_string(),
        Some(ErrorCode::DatabaseCorrupt) => "is corrupt".to_string(),
        Some(ErrorCode::DiskFull) => "cannot be written: the disk is full".to_string(),
        Some(ErrorCode::ReadOnly) => "cannot be written: it or its folder is read-only".to_string(),
        Some(ErrorCode::CannotOpen) => {
            "cannot be opened (check that it and its folder exist and are writable)".to_string()
        }
        Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => {
            format!(
                "stayed locked by another process for over {}s",
                BUSY_TIMEOUT.as_secs()
            )
        }
        _ => format!("cannot be used: {err}"),
    };
    Error::Store(format!("the store {} {what}", path.display()))
}

fn is_constraint(err: &rusqlite::Error, extended: i32) -> bool {
    matches!(err, rusqlite::Error::SqliteFailure(e, _) if e.extended_code == extended)
}

/// An `events` row, selected as `seq, at, kind, user, credential_id, name, source, detail,
/// count`.
fn event(row: &Row<'_>) -> rusqlite::Result<Event> {
    Ok(Event {
        seq: row.get(0)?,
        at: row.get(1)?,
        kind: row.get(2)?,
        user: row.get(3)?,
        credential_id: row.get(4)?,
        name: row.get(5)?,
        source: row.get(6)?,
        detail: row.get(7)?,
        count: row.get(8)?,
    })
}

fn credential(row: &Row<'_>) -> rusqlite::Result<Credential> {
    Ok(Credential {
        id: row.get(0)?,
        user: row.get(1)?,
        name: row.get(2)?,
        app_id: row.get(3)?,
        created: row.get(4)?,
        last_used: row.get(5)?,
        last_source: row.get(6)?,
        use_count: row.get(7)?,
        expires_at: row.get(8)?,
        last_failed: row.get(9)?,
        last_failed_source: row.get(10)?,
        revoked_at: row.get(11)?,
        scopes: text_list(&row.get::<_, String>(12)?),
        allow_from: text_list(&row.get::<_, String>(13)?),
    })
}

fn insert_event(tx: &rusqlite::Transaction<'_>, e: &NewEvent<'_>) -> rusqlite::Result<()> {
    tx.prepare_cached(
        "INSERT INTO events (at, kind, user, credential_id, name, source, detail, count)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?
    .execute(params![
        e.at,
        e.kind,
        e.user,
        e.credential_id,
        e.name,
        e.source,
        e.detail,
        e.count
    ])
    .map(drop)
}

/// Inserts `new`; `Ok(false)` when its id is taken.
fn insert_row(
    tx: &rusqlite::Transaction<'_>,
    new: &NewCredential,
    now: Timestamp,
) -> Result<bool, rusqlite::Error> {
    let inserted = tx.execute(
        "INSERT INTO credentials (id, user, name, name_key, app_id, hash, created, expires_at,
            scopes, allow_from)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        params![
            new.id,
            new.user,
            new.name,
            name_key(&new.name),
            new.app_id,
            new.hash,
            now,
            new.expires_at,
            list_text(&new.scopes),
            list_text(&new.allow_from)
        ],
    );
    match inserted {
        Ok(_) => Ok(true),
        Err(e) if is_constraint(&e, rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY) => Ok(false),
        Err(e) => Err(e),
    }
}

impl Store for SqliteStore {
    fn insert(&mut self, new: &NewCredential, now: Timestamp) -> Result<bool> {
        let path = self.path.clone();
        self.write(|tx| {
            match insert_row(tx, new, now) {
                Ok(true) => {}
                Ok(false) => return Ok(false),
                Err(e) if is_constraint(&e, rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE) => {
                    return Err(duplicate_name(&new.user, &new.name));
                }
                Err(e) => return Err(sql_error(&path, &e)),
            }
            insert_event(
                tx,
                &NewEvent::about(kind::CREATED, now, &new.user, &new.id, &new.name),
            )
            .map_err(|e| sql_error(&path, &e))?;
            Ok(true)
        })
    }

    fn hash_record(&mut self, id: &str) -> Result<Option<HashRecord>> {
        // Cached: a server reads this row on every request.
        self.conn
            .prepare_cached(
                "SELECT id, user, name, hash, expires_at, scopes, allow_from
                 FROM credentials WHERE id = ?1",
            )
            .and_then(|mut stmt| {
                stmt.query_row([id], |r| {
                    Ok(HashRecord {
                        id: r.get(0)?,
                        user: r.get(1)?,
                        name: r.get(2)?,
                        hash: r.get(3)?,
                        expires_at: r.get(4)?,
                        scopes: text_list(&r.get::<_, String>(5)?),
                        allow_from: text_list(&r.get::<_, String>(6)?),
                    })
                })
                .optional()
            })
            .map_err(|e| self.err(e))
    }

    fn record_use(&mut self, u: &Use<'_>, now: Timestamp) -> Result<bool> {
        let path = self.path.clone();
        self.write_as(Durability::Relaxed, |tx| {
            let e = |err: rusqlite::Error| sql_error(&path, &err);
            let row: Option<(String, String)> = tx
                .query_row(
                    "UPDATE credentials
                     SET use_count = use_count + 1, last_used = ?2, last_source = ?3,
                         hash = CASE WHEN hash = ?5 THEN coalesce(?4, hash) ELSE hash END
                     WHERE id = ?1 AND revoked_at IS NULL
                     RETURNING user, name",
                    params![u.id, now, u.source, u.rehash, u.checked_hash],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()
                .map_err(e)?;
            let Some((user, name)) = row else {
                return Ok(false);
            };
            let detail = u.rehash.map(|_| REHASHED);
            insert_event(
                tx,
                &NewEvent::about(kind::VERIFIED, now, &user, u.id, &name)
                    .source(u.source)
                    .detail(detail),
            )
            .map_err(e)?;
            Ok(true)
        })
    }

    fn record_rejection(&mut self, r: &Rejection<'_>, now: Timestamp) -> Result<()> {
        let path = self.path.clone();
        self.write_as(Durability::Relaxed, |tx| {
            let e = |err: rusqlite::Error| sql_error(&path, &err);
            let mut name = None;
            if let Some(id) = r.id {
                name = tx
                    .query_row(
                        "UPDATE credentials SET last_failed = ?2, last_failed_source = ?3
                         WHERE id = ?1 RETURNING name",
                        params![id, now, r.source],
                        |row| row.get::<_, String>(0),
                    )
                    .optional()
                    .map_err(e)?;
            }
            insert_event(tx, &NewEvent::rejection(r, name.as_deref(), now)).map_err(e)
        })
    }

    fn record_uses(&mut self, batch: &Batch) -> Result<()> {
        let path = self.path.clone();
        self.write_as(Durability::Relaxed, |tx| {
            let e = |err: rusqlite::Error| sql_error(&path, &err);
            for u in &batch.uses {
                let (checked, rehash) = match &u.rehash {
                    Some((checked, new)) => (Some(checked.as_str()), Some(new.as_str())),
                    None => (None, None),
                };
                let row: Option<(String, String, bool)> = tx
                    .prepare_cached(
                        "UPDATE credentials
                         SET use_count = use_count + ?2,
                             last_source = CASE WHEN last_used > ?3 THEN last_source ELSE ?4 END,
                             last_used = max(coalesce(last_used, ?3), ?3),
                             hash = CASE WHEN hash = ?5 THEN coalesce(?6, hash) ELSE hash END
                         WHERE id = ?1
                         RETURNING user, name, hash IS ?6",
                    )
                    .and_then(|mut stmt| {
                        stmt.query_row(
                            params![u.id, u.count, u.at, u.source, checked, rehash],
                            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                        )
                        .optional()
                    })
                    .map_err(e)?;
                // A credential deleted from under the server (by hand) leaves nothing to count.
                let Some((user, name, rehashed)) = row else {
                    continue;
                };
                let detail = (rehash.is_some() && rehashed).then_some(REHASHED);
                insert_event(
                    tx,
                    &NewEvent::about(kind::VERIFIED, u.at, &user, &u.id, &name)
                        .source(u.source.as_deref())
                        .detail(detail)
                        .count(u.count),
                )
                .map_err(e)?;
            }
            for r in &batch.rejections {
                let mut name = None;
                if let Some(id) = &r.id {
                    name = tx
                        .prepare_cached(
                            "UPDATE credentials
                             SET last_failed_source =
                                     CASE WHEN last_failed > ?2 THEN last_failed_source ELSE ?3 END,
                                 last_failed = max(coalesce(last_failed, ?2), ?2)
                             WHERE id = ?1 RETURNING name",
                        )
                        .and_then(|mut stmt| {
                            stmt.query_row(params![id, r.at, r.source], |row| {
                                row.get::<_, String>(0)
                            })
                            .optional()
                        })
                        .map_err(e)?;
                }
                let rejection = Rejection {
                    id: r.id.as_deref(),
                    claimed_user: &r.claimed_user,
                    reason: r.reason,
                    source: r.source.as_deref(),
                    expired: r.expired,
                };
                insert_event(
                    tx,
                    &NewEvent::rejection(&rejection, name.as_deref(), r.at).count(r.count),
                )
                .map_err(e)?;
            }
            Ok(())
        })
    }

    fn list(&mut self, filter: &ListFilter, now: Timestamp) -> Result<Vec<Credential>> {
        let sql = format!(
            "SELECT {CREDENTIAL_COLUMNS} FROM credentials
             WHERE revoked_at IS NULL
               AND (?1 IS NULL OR user = ?1)
               AND (?2 = 0 OR expires_at <= ?3)
               AND (?4 IS NULL OR (expires_at > ?3 AND expires_at <= ?4))
             ORDER BY user, created, id"
        );
        let mut stmt = self
            .conn
            .prepare(&sql)
            .map_err(|e| sql_error(&self.path, &e))?;
        let rows = stmt
            .query_map(
                params![
                    filter.user,
                    filter.expired_only,
                    now,
                    filter.expiring_before
                ],
                credential,
            )
            .and_then(|rows| rows.collect::<rusqlite::Result<Vec<_>>>());
        rows.map_err(|e| sql_error(&self.path, &e))
    }

    fn get(&mut self, id_or_prefix: &str) -> Result<Credential> {
        // Ids are [0-9a-z]; '{' sorts right after 'z', so this range is "starts with".
        let sql = format!(
            "SELECT {CREDENTIAL_COLUMNS} FROM credentials WHERE id >= ?1 AND id < ?1 || '{{'
             ORDER BY id LIMIT 2"
        );
        let mut stmt = self
            .conn
            .prepare(&sql)
            .map_err(|e| sql_error(&self.path, &e))?;
        let found = stmt
            .query_map([id_or_prefix], credential)
            .and_then(|rows| rows.collect::<rusqlite::Result<Vec<_>>>())
            .map_err(|e| sql_error(&self.path, &e))?;
        super::one_match(id_or_prefix, found)
    }

    fn find_by_name(&mut self, user: &str, name: &str) -> Result<Option<Credential>> {
        let sql = format!(
            "SELECT {CREDENTIAL_COLUMNS} FROM credentials
             WHERE user = ?1 AND name_key = ?2 AND revoked_at IS NULL"
        );
        self.conn
            .query_row(&sql, params![user, name_key(name)], credential)
            .optional()
            .map_err(|e| self.err(e))
    }

    fn revoke(&mut self, ids: &[String], now: Timestamp) -> Result<()> {
        let path = self.path.clone();
        self.write(|tx| {
            let e = |err: rusqlite::Error| sql_error(&path, &err);
            for id in ids {
                let row: Option<(String, String)> = tx
                    .query_row(
                        "UPDATE credentials SET revoked_at = ?2, hash = NULL
                         WHERE id = ?1 AND revoked_at IS NULL RETURNING user, name",
                        params![id, now],
                        |r| Ok((r.get(0)?, r.get(1)?)),
                    )
                    .optional()
                    .map_err(e)?;
                let Some((user, name)) = row else {
                    return Err(super::refuse_revoked(id, "already revoked"));
                };
                insert_event(tx, &NewEvent::about(kind::REVOKED, now, &user, id, &name))
                    .map_err(e)?;
            }
            Ok(())
        })
    }

    fn revoke_all(&mut self, user: Option<&str>, now: Timestamp) -> Result<u64> {
        let path = self.path.clone();
        self.write(|tx| {
            let e = |err: rusqlite::Error| sql_error(&path, &err);
            let count = tx
                .execute(
                    "UPDATE credentials SET revoked_at = ?2, hash = NULL
                     WHERE revoked_at IS NULL AND (?1 IS NULL OR user = ?1)",
                    params![user, now],
                )
                .map_err(e)?;
            let detail = super::detail::revoke_all(count);
            insert_event(
                tx,
                &NewEvent {
                    user,
                    ..NewEvent::new(kind::REVOKE_ALL, now)
                }
                .detail(Some(&detail)),
            )
            .map_err(e)?;
            Ok(count as u64)
        })
    }

    fn rotate(&mut self, old_id: &str, new: &NewCredential, now: Timestamp) -> Result<bool> {
        let path = self.path.clone();
        let rotated = self.write_or_roll_back(|tx| {
            let e = |err: rusqlite::Error| sql_error(&path, &err);
            let retired = tx
                .execute(
                    "UPDATE credentials SET revoked_at = ?2, hash = NULL, replaced_by = ?3
                     WHERE id = ?1 AND revoked_at IS NULL",
                    params![old_id, now, new.id],
                )
                .map_err(e)?;
            if retired == 0 {
                return Err(super::refuse_revoked(
                    old_id,
                    "revoked; create a new one instead",
                ));
            }
            match insert_row(tx, new, now) {
                Ok(true) => {}
                // The id is taken: roll the retirement back too; the caller draws anew.
                Ok(false) => return Ok(None),
                Err(err) => return Err(e(err)),
            }
            let detail = super::detail::rotated(old_id);
            insert_event(
                tx,
                &NewEvent::about(kind::ROTATED, now, &new.user, &new.id, &new.name)
                    .detail(Some(&detail)),
            )
            .map_err(e)?;
            Ok(Some(()))
        })?;
        Ok(rotated.is_some())
    }

    fn rename(&mut self, id: &str, new_name: &str, now: Timestamp) -> Result<()> {
        let path = self.path.clone();
        self.write(|tx| {
            let e = |err: rusqlite::Error| sql_error(&path, &err);
            let old: Option<(String, String)> = tx
                .query_row(
                    "SELECT user, name FROM credentials WHERE id = ?1 AND revoked_at IS NULL",
                    [id],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()
                .map_err(e)?;
            let Some((user, old_name)) = old else {
                return Err(super::refuse_revoked(id, "revoked; it cannot be renamed"));
            };
            match tx.execute(
                "UPDATE credentials SET name = ?2, name_key = ?3 WHERE id = ?1",
                params![id, new_name, name_key(new_name)],
            ) {
                Ok(_) => {}
                Err(err) if is_constraint(&err, rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE) => {
                    return Err(duplicate_name(&user, new_name));
                }
                Err(err) => return Err(e(err)),
            }
            let detail = super::detail::renamed(&old_name);
            insert_event(
                tx,
                &NewEvent::about(kind::RENAMED, now, &user, id, new_name).detail(Some(&detail)),
            )
            .map_err(e)
        })
    }

    fn update(&mut self, id: &str, changes: &Changes, now: Timestamp) -> Result<Credential> {
        let path = self.path.clone();
        self.write(|tx| {
            let e = |err: rusqlite::Error| sql_error(&path, &err);
            let (set_expiry, expires_at) = match changes.expires_at {
                Some(at) => (true, at),
                None => (false, None),
            };
            let updated = tx
                .query_row(
                    &format!(
                        "UPDATE credentials
                         SET scopes = coalesce(?2, scopes), allow_from = coalesce(?3, allow_from),
                             expires_at = CASE WHEN ?4 THEN ?5 ELSE expires_at END
                         WHERE id = ?1 AND revoked_at IS NULL
                         RETURNING {CREDENTIAL_COLUMNS}"
                    ),
                    params![
                        id,
                        changes.scopes.as_deref().map(list_text),
                        changes.allow_from.as_deref().map(list_text),
                        set_expiry,
                        expires_at
                    ],
                    credential,
                )
                .optional()
                .map_err(e)?;
            let Some(c) = updated else {
                return Err(super::refuse_revoked(id, "revoked; it cannot be updated"));
            };
            let detail = changes.detail();
            insert_event(
                tx,
                &NewEvent::about(kind::UPDATED, now, &c.user, &c.id, &c.name).detail(Some(&detail)),
            )
            .map_err(e)?;
            Ok(c)
        })
    }

    fn events(&mut self, filter: &LogFilter) -> Result<Vec<Event>> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT seq, at, kind, user, credential_id, name, source, detail, count FROM events
                 WHERE (?1 IS NULL OR user = ?1 OR (user IS NULL AND kind = 'revoke-all'))
                   AND (?2 IS NULL OR at >= ?2)
                 ORDER BY seq",
            )
            .map_err(|e| sql_error(&self.path, &e))?;
        let rows = stmt
            .query_map(params![filter.user, filter.since], event)
            .and_then(|rows| rows.collect::<rusqlite::Result<Vec<_>>>());
        rows.map_err(|e| sql_error(&self.path, &e))
    }

    fn prune_events(&mut self, before: Timestamp, now: Timestamp) -> Result<u64> {
        let path = self.path.clone();
        self.write(|tx| {
            let e = |err: rusqlite::Error| sql_error(&path, &err);
            let count = tx
                .execute("DELETE FROM events WHERE at < ?1", [before])
                .map_err(e)?;
            let detail = super::detail::pruned(count);
            insert_event(tx, &NewEvent::new(kind::PRUNED, now).detail(Some(&detail))).map_err(e)?;
            Ok(count as u64)
        })
    }

    fn export(&mut self) -> Result<Dump> {
        // A read transaction: both tables from one snapshot, even while others write.
        let path = self.path.clone();
        let e = |err: rusqlite::Error| sql_error(&path, &err);
        let tx = self.conn.transaction().map_err(e)?;
        let credentials = tx
            .prepare(&format!(
                "SELECT {CREDENTIAL_COLUMNS}, hash, replaced_by FROM credentials
                 ORDER BY created, id"
            ))
            .and_then(|mut stmt| {
                stmt.query_map([], |r| {
                    Ok(StoredCredential {
                        credential: credential(r)?,
                        hash: r.get(14)?,
                        replaced_by: r.get(15)?,
                    })
                })?
                .collect::<rusqlite::Result<Vec<_>>>()
            })
            .map_err(e)?;
        let events = tx
            .prepare(
                "SELECT seq, at, kind, user, credential_id, name, source, detail, count FROM events
                 ORDER BY seq",
            )
            .and_then(|mut stmt| {
                stmt.query_map([], event)?
                    .collect::<rusqlite::Result<Vec<_>>>()
            })
            .map_err(e)?;
        tx.commit().map_err(e)?;
        Ok(Dump {
            credentials,
            events,
        })
    }

    fn import(&mut self, dump: &Dump) -> Result<()> {
        let path = self.path.clone();
        self.write(|tx| {
            let e = |err: rusqlite::Error| sql_error(&path, &err);
            let (credentials, events): (i64, i64) = tx
                .query_row(
                    "SELECT (SELECT count(*) FROM credentials), (SELECT count(*) FROM events)",
                    [],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .map_err(e)?;
            super::check_empty(credentials, events)?;
            let mut insert = tx
                .prepare(
                    "INSERT INTO credentials (id, user, name, name_key, app_id, hash, created,
                        expires_at, last_used, last_source, use_count, last_failed,
                        last_failed_source, revoked_at, replaced_by, scopes, allow_from)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15,
                             ?16, ?17)",
                )
                .map_err(e)?;
            for s in &dump.credentials {
                let c = &s.credential;
                insert
                    .execute(params![
                        c.id,
                        c.user,
                        c.name,
                        name_key(&c.name),
                        c.app_id,
                        s.hash,
                        c.created,
                        c.expires_at,
                        c.last_used,
                        c.last_source,
                        c.use_count,
                        c.last_failed,
                        c.last_failed_source,
                        c.revoked_at,
                        s.replaced_by,
                        list_text(&c.scopes),
                        list_text(&c.allow_from)
                    ])
                    .map_err(e)?;
            }
            // Explicit seq values also move AUTOINCREMENT's counter past them.
            // Explicit seq values also move AUTOINCREMENT's counter past them.
            let mut insert = tx
                .prepare(
                    "INSERT INTO events
                        (seq, at, kind, user, credential_id, name, source, detail, count)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                )
                .map_err(e)?;
            for ev in &dump.events {
                insert
                    .execute(params![
                        ev.seq,
                        ev.at,
                        ev.kind,
                        ev.user,
                        ev.credential_id,
                        ev.name,
                        ev.source,
                        ev.detail,
                        ev.count
                    ])
                    .map_err(e)?;
            }
            Ok(())
        })
    }
}
