//! What makes a file an appw store of a version this appw reads, and the migrations that
//! bring an older one forward in one transaction.

use rusqlite::{TransactionBehavior, params};

use super::rows::sql_error;
use super::{APPLICATION_ID, SqliteStore};
use crate::error::{Error, Result};

/// Schema migrations; `MIGRATIONS[n]` takes a store from version n to n + 1.
pub(super) const MIGRATIONS: &[&str] = &[
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
    // 5: who made each change (NULL for uses, rejections and older events), and pausing
    // (nothing an older appw wrote is paused).
    "ALTER TABLE events ADD COLUMN actor TEXT;
     ALTER TABLE credentials ADD COLUMN disabled INTEGER NOT NULL DEFAULT 0
         CHECK (disabled IN (0, 1));",
];

pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

impl SqliteStore {
    /// The schema version, after making sure this is an appw store this appw can read.
    pub(super) fn check_identity(&self) -> Result<i64> {
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
            return Err(Error::Unavailable(format!(
                "{} is a SQLite database of another program, not an appw store; \
                 point --db at another file",
                path.display()
            )));
        }
        if version > SCHEMA_VERSION {
            return Err(Error::Unavailable(format!(
                "{} was written by a newer appw (schema version {version}; this appw reads up \
                 to {SCHEMA_VERSION}); upgrade appw to use it",
                path.display()
            )));
        }
        Ok(version)
    }

    /// Applies the missing migrations in one transaction; concurrent openers queue on the
    /// write lock and find the work done.
    pub(super) fn migrate(&mut self) -> Result<()> {
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
            if n + 1 == crate::store::FOLDED_NAME_KEYS {
                fold_name_keys(&tx).map_err(e)?;
            }
            tx.pragma_update(None, "user_version", n as i64 + 1)
                .map_err(e)?;
        }
        tx.pragma_update(None, "application_id", APPLICATION_ID)
            .map_err(e)?;
        tx.commit().map_err(e)
    }
}

/// Recomputes every stored name key as [`name_key`] makes it now (schema 2), then restores
/// the index that keeps active names unique.
pub(super) fn fold_name_keys(tx: &rusqlite::Transaction<'_>) -> rusqlite::Result<()> {
    let rows = tx
        .prepare("SELECT id, user, name, revoked_at IS NULL FROM credentials ORDER BY created, id")?
        .query_map([], |r| {
            Ok(crate::store::KeyedRow {
                id: r.get(0)?,
                user: r.get(1)?,
                name: r.get(2)?,
                active: r.get(3)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let mut update = tx.prepare("UPDATE credentials SET name_key = ?2 WHERE id = ?1")?;
    for (id, key) in crate::store::refolded_keys(rows) {
        update.execute(params![id, key])?;
    }
    tx.execute_batch(
        "CREATE UNIQUE INDEX credentials_active_name
            ON credentials (user, name_key) WHERE revoked_at IS NULL;",
    )
}
